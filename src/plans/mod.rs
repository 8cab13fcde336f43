//! The calendar-thematic plan (КТП) of each group, laid onto its lessons, and the schedule of
//! control works (ВШК).

pub mod repo;
pub mod service;

/// The most topics of one plan: a year is at most 34 weeks of a few hours, and a topic takes
/// one lesson or more.
pub const MAX_TOPICS: usize = 500;

/// The refusal of a plan with more topics than `MAX_TOPICS`.
pub fn too_many_topics(count: usize) -> String {
    format!(
        "В плане {count} {}: не больше {MAX_TOPICS}. Объедините темы (часы — после «;»).",
        crate::input::plural(count, "тема", "темы", "тем")
    )
}

/// A topic as typed: «Натуральные числа; 3» — a title and, after the last `;`, its hours (1 if
/// not given).
pub fn parse_topic_line(line: &str) -> Option<(String, i16)> {
    let line = line
        .trim()
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ')')
        .trim();
    if line.is_empty() {
        return None;
    }
    if let Some((title, hours)) = line.rsplit_once(';')
        && let Ok(h) = hours.trim().parse::<i16>()
    {
        return Some((title.trim().to_string(), h));
    }
    Some((line.to_string(), 1))
}

/// Which topic each of `lessons` gets, in order: a topic of n hours takes n lessons.
pub fn lay_out(topics: &[(String, i16)], lessons: usize) -> Vec<Option<&str>> {
    let mut out = Vec::with_capacity(lessons);
    for (title, hours) in topics {
        for _ in 0..*hours {
            if out.len() == lessons {
                return out;
            }
            out.push(Some(title.as_str()));
        }
    }
    out.resize(lessons, None);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_lines_carry_their_hours_after_a_semicolon() {
        assert_eq!(
            parse_topic_line("Натуральные числа; 3"),
            Some(("Натуральные числа".into(), 3))
        );
        assert_eq!(parse_topic_line("12. Дроби"), Some(("Дроби".into(), 1)));
        assert_eq!(
            parse_topic_line("Сложение; вычитание"),
            Some(("Сложение; вычитание".into(), 1))
        );
        assert_eq!(parse_topic_line("   "), None);
    }

    #[test]
    fn topics_are_laid_onto_lessons_in_order_by_their_hours() {
        let topics = vec![("А".to_string(), 2), ("Б".to_string(), 1)];
        assert_eq!(
            lay_out(&topics, 4),
            vec![Some("А"), Some("А"), Some("Б"), None]
        );
        assert_eq!(lay_out(&topics, 2), vec![Some("А"), Some("А")]);
    }
}

/// A КТП table (CSV or XLSX) as the plan's text: one «тема; часы» line per row. The topic is the
/// column headed «Тема» (or the first), the hours the one headed «Часы» / «Кол-во часов» (or the
/// second, if it holds numbers); a row without a topic is skipped.
pub fn plan_text_from_table(rows: &[Vec<String>]) -> Result<String, String> {
    let fold = |s: &str| crate::imports::values::fold(s);
    let header = rows
        .first()
        .map(|r| r.iter().map(|c| fold(c)).collect::<Vec<_>>())
        .unwrap_or_default();
    let topic_col = header.iter().position(|h| h.contains("тема"));
    let hours_col = header.iter().position(|h| h.contains("час"));
    // The spreadsheet row number of the first topic row.
    let (body, topic_col, hours_col, first) = match topic_col {
        Some(t) => (&rows[1..], t, hours_col, 2),
        None => (rows, 0, Some(1), 1),
    };
    let mut text = String::new();
    let mut count = 0;
    for (i, row) in body.iter().enumerate() {
        let title = row.get(topic_col).map(|s| s.trim()).unwrap_or("");
        if title.is_empty() {
            continue;
        }
        count += 1;
        let hours = match hours_col
            .and_then(|c| row.get(c))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            None => 1,
            Some(h) => h
                .parse::<i16>()
                .map_err(|_| format!("Строка {}: часы — целое число, а не «{h}».", i + first))?,
        };
        text.push_str(&format!("{}; {hours}\n", title.replace('\n', " ")));
    }
    if text.is_empty() {
        return Err("В таблице нет тем.".into());
    }
    if count > MAX_TOPICS {
        return Err(too_many_topics(count));
    }
    Ok(text)
}

#[cfg(test)]
mod table_tests {
    use super::plan_text_from_table;

    fn rows(data: &[&[&str]]) -> Vec<Vec<String>> {
        data.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn a_plan_table_with_headers_becomes_topic_lines() {
        let t = rows(&[
            &["№", "Тема урока", "Кол-во часов"],
            &["1", "Дроби", "3"],
            &["2", "Проценты", ""],
        ]);
        assert_eq!(plan_text_from_table(&t).unwrap(), "Дроби; 3\nПроценты; 1\n");
    }

    #[test]
    fn a_plan_table_without_headers_takes_topic_then_hours() {
        let t = rows(&[&["Дроби", "2"], &["Проценты", "пять"]]);
        assert!(plan_text_from_table(&t).unwrap_err().contains("Строка 2"));
    }
}
