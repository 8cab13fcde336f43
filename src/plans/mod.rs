//! The calendar-thematic plan (КТП) of each group, laid onto its lessons, and the schedule of
//! control works (ВШК).

pub mod repo;
pub mod service;

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
