//! Cell values as schools type them: names, dates, phones, e-mails, classes. Each parser takes
//! the cell's text (already trimmed) and returns the typed value or a Russian message.

use chrono::NaiveDate;

/// The text with surrounding whitespace removed and inner runs (also non-breaking spaces, tabs
/// and line breaks) collapsed to one space.
pub fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The form used to compare words: lower case, «ё» as «е», whitespace collapsed.
pub fn fold(text: &str) -> String {
    collapse(&text.to_lowercase().replace('ё', "е"))
}

/// A date as a school types it: `DD.MM.YYYY`, `D.M.YYYY` (the form `read_table` renders Excel
/// dates in) or `YYYY-MM-DD`. The year must have four digits.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if t.contains('.') && t.contains('-') {
        return None;
    }
    let parts: Vec<&str> = t.split(['.', '-']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit())
    };
    let (year, month, day) = if t.contains('.') && digits(a, 1, 2) && digits(b, 1, 2) {
        (c, b, a)
    } else if !t.contains('.') && digits(a, 4, 4) && digits(b, 2, 2) {
        (a, b, c)
    } else {
        return None;
    };
    if !digits(year, 4, 4) || !digits(day, 1, 2) {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// A surname, first name or patronymic: letters, spaces, hyphens and apostrophes, at most 100
/// characters. The first letter (and the first after a hyphen) is made upper-case; a name
/// typed all in capitals («ИВАНОВ») becomes «Иванов».
pub fn normalize_name(text: &str) -> Result<String, &'static str> {
    let text = collapse(text);
    if text.chars().count() > 100 {
        return Err("Слишком длинное значение: не больше 100 символов.");
    }
    if !text
        .chars()
        .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’'))
    {
        return Err("Допустимы только буквы, пробел, дефис и апостроф.");
    }
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let text = if letters > 1 && !text.chars().any(char::is_lowercase) {
        text.to_lowercase()
    } else {
        text
    };
    let mut out = String::with_capacity(text.len());
    let mut start = true;
    for c in text.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = c == '-';
    }
    Ok(out)
}

/// A Russian phone number as `+7XXXXXXXXXX`: `8 (912) 345-67-89`, `+7 912 345 67 89` and
/// `9123456789` all give `+79123456789`.
pub fn normalize_phone(text: &str) -> Option<String> {
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '(' | ')' | '-' | '+' | '.'))
    {
        return None;
    }
    if text.chars().skip(1).any(|c| c == '+') {
        return None;
    }
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.len() {
        10 => &digits[..],
        11 if digits.starts_with('8') && !text.starts_with('+') => &digits[1..],
        11 if digits.starts_with('7') => &digits[1..],
        _ => return None,
    };
    Some(format!("+7{national}"))
}

/// An e-mail address, lower-cased: one `@`, a name before it, a domain with a dot after it,
/// no spaces.
pub fn normalize_email(text: &str) -> Option<String> {
    let email = text.trim().to_lowercase();
    let (name, domain) = email.split_once('@')?;
    let ok = !name.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.contains('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c == ',' || c == ';');
    ok.then_some(email)
}

/// A class: `5Б`, `5 б`, `5-Б`, `5«Б»`, `5 "Б" класс` → grade 5 and letter «Б». The grade is
/// 1–11, the letter one to three Cyrillic letters.
pub fn parse_class(text: &str) -> Result<(i16, String), String> {
    let upper = collapse(text).to_uppercase();
    let upper = upper
        .strip_suffix("КЛАСС")
        .or_else(|| upper.strip_suffix("КЛ."))
        .or_else(|| upper.strip_suffix("КЛ"))
        .unwrap_or(&upper);
    let digits: String = upper.chars().take_while(char::is_ascii_digit).collect();
    let letter: String = upper[digits.len()..]
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '«' | '»' | '"' | '\'' | '“' | '”' | '„'))
        .collect();
    let example = "Укажите класс цифрой и буквой, например 5Б.";
    let Ok(grade) = digits.parse::<i16>() else {
        return Err(format!(
            "Не удалось понять класс «{}». {example}",
            text.trim()
        ));
    };
    if !(1..=11).contains(&grade) {
        return Err(format!("Класс {grade}: параллель должна быть от 1 до 11."));
    }
    let cyrillic = |c: char| ('А'..='Я').contains(&c) || c == 'Ё';
    if letter.is_empty() {
        return Err(format!("У класса «{}» нет буквы. {example}", text.trim()));
    }
    if letter.chars().count() > 3 || !letter.chars().all(cyrillic) {
        return Err(format!(
            "Буква класса «{}» должна быть русской буквой. {example}",
            text.trim()
        ));
    }
    Ok((grade, letter))
}

/// Full years between `birth` and `today`.
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> i32 {
    use chrono::Datelike;
    let had_birthday = (today.month(), today.day()) >= (birth.month(), birth.day());
    today.year() - birth.year() - i32::from(!had_birthday)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_are_read_in_russian_and_iso_forms_with_four_digit_years() {
        assert_eq!(parse_date("01.09.2015"), Some(date(2015, 9, 1)));
        assert_eq!(parse_date(" 1.9.2015 "), Some(date(2015, 9, 1)));
        assert_eq!(parse_date("2015-09-01"), Some(date(2015, 9, 1)));
        assert_eq!(parse_date("01.09.15"), None);
        assert_eq!(parse_date("31.02.2015"), None);
        assert_eq!(parse_date("2015.09.01"), None);
        assert_eq!(parse_date("01.09-2015"), None);
        assert_eq!(parse_date("1 сентября 2015"), None);
    }

    #[test]
    fn phones_are_normalised_to_plus_seven_and_ten_digits() {
        for typed in [
            "8 (912) 345-67-89",
            "+7 912 345 67 89",
            "9123456789",
            "+7(912)345-67-89",
            "89123456789",
            "7 912 345-67-89",
        ] {
            assert_eq!(
                normalize_phone(typed).as_deref(),
                Some("+79123456789"),
                "{typed}"
            );
        }
        for wrong in [
            "345-67-89",
            "+8 912 345 67 89",
            "8912345678901",
            "912 345 67 89 доб. 2",
            "",
        ] {
            assert_eq!(normalize_phone(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn emails_need_a_name_and_a_domain_with_a_dot() {
        assert_eq!(
            normalize_email(" Ivanova@Mail.RU ").as_deref(),
            Some("ivanova@mail.ru")
        );
        for wrong in [
            "ivanova",
            "ivanova@mail",
            "@mail.ru",
            "a b@mail.ru",
            "a@mail..ru",
            "a@b@c.ru",
        ] {
            assert_eq!(normalize_email(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn classes_are_read_in_the_usual_spellings() {
        for typed in ["5Б", "5 Б", "5-б", "5«Б»", "5 \"б\" класс", "5б кл."] {
            assert_eq!(parse_class(typed), Ok((5, "Б".to_string())), "{typed}");
        }
        assert_eq!(parse_class("11 ё"), Ok((11, "Ё".to_string())));
        assert!(parse_class("12А").unwrap_err().contains("от 1 до 11"));
        assert!(parse_class("5B").unwrap_err().contains("русской буквой"));
        assert!(parse_class("5").unwrap_err().contains("нет буквы"));
        assert!(
            parse_class("пятый")
                .unwrap_err()
                .contains("Не удалось понять")
        );
    }

    #[test]
    fn names_get_a_capital_first_letter_and_lose_capital_lock() {
        assert_eq!(normalize_name("  иванова ").unwrap(), "Иванова");
        assert_eq!(normalize_name("ИВАНОВ").unwrap(), "Иванов");
        assert_eq!(
            normalize_name("римский-корсаков").unwrap(),
            "Римский-Корсаков"
        );
        assert_eq!(normalize_name("Гусейн оглы").unwrap(), "Гусейн оглы");
        assert_eq!(normalize_name("д’Артаньян").unwrap(), "Д’Артаньян");
        assert!(normalize_name("Иванов1").is_err());
    }

    #[test]
    fn age_counts_full_years_up_to_the_day() {
        assert_eq!(age_on(date(2015, 9, 2), date(2025, 9, 1)), 9);
        assert_eq!(age_on(date(2015, 9, 1), date(2025, 9, 1)), 10);
        assert_eq!(age_on(date(2016, 2, 29), date(2025, 2, 28)), 8);
    }
}
