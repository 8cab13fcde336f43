//! What every text a user sends must pass before it is used: a length limit and no control
//! characters. One place, so that every form speaks the same Russian and no NUL byte ever reaches
//! PostgreSQL (which cannot store it in `text` and would answer with an error → 500).
//!
//! Services call [`text`] / [`line`] for each field (the message goes next to the field, the
//! form comes back filled in); the web layer's guard (`web::input_guard`) refuses a request whose
//! form or query carries a control character anywhere, as a net for fields a service forgets.

use crate::error::FieldErrors;

/// Usual limits, in characters. A field with its own reason for another limit says so.
pub mod limits {
    /// A person's login as typed at the login form.
    pub const LOGIN: usize = 64;
    /// A password as typed.
    pub const PASSWORD: usize = 256;
    /// A name: a surname, a subject, a room, a class.
    pub const NAME: usize = 100;
    /// A short line: a reason, a document, a kind of work.
    pub const LINE: usize = 500;
    /// A paragraph: homework, a comment, a message.
    pub const TEXT: usize = 4000;
}

/// Whether `c` is a control character a person cannot have meant to type. Tabs and line breaks
/// are allowed (a textarea sends `\r\n`); NUL, the other C0 codes, DEL and the C1 codes are not,
/// nor the Unicode line/paragraph separators and the byte-order mark inside a value.
pub fn is_forbidden_char(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' => false,
        '\u{2028}' | '\u{2029}' | '\u{feff}' => true,
        c => c.is_control(),
    }
}

/// The message for a value with a forbidden character, or `None`.
pub fn control_char_message(value: &str) -> Option<&'static str> {
    value
        .chars()
        .any(is_forbidden_char)
        .then_some("В тексте есть служебные (непечатаемые) символы. Наберите текст заново без них.")
}

/// Checks a multi-line text: at most `max` characters, no control characters except tabs and
/// line breaks. Adds a Russian message for `field` and returns false when it fails.
pub fn text(errors: &mut FieldErrors, field: &'static str, value: &str, max: usize) -> bool {
    if let Some(message) = control_char_message(value) {
        errors.add(field, message);
        return false;
    }
    let len = value.chars().count();
    if len > max {
        errors.add(
            field,
            format!(
                "Слишком длинный текст: {len} {} при пределе {max}. Сократите его.",
                plural(len, "символ", "символа", "символов")
            ),
        );
        return false;
    }
    true
}

/// Checks a one-line value: as [`text`], and no line breaks or tabs either.
pub fn line(errors: &mut FieldErrors, field: &'static str, value: &str, max: usize) -> bool {
    if value.contains(['\n', '\r', '\t']) {
        errors.add(
            field,
            "Здесь нужна одна строка: уберите переносы строк и табуляцию.",
        );
        return false;
    }
    text(errors, field, value, max)
}

/// An id chosen from a list (a `<select>` of filters): empty is none; a value that is not one of
/// `ids` — a typo or another school's id alike — gets `message` under `field` and is none.
pub fn choice(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    ids: impl IntoIterator<Item = i64>,
    message: &str,
) -> Option<i64> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match value.parse::<i64>() {
        Ok(id) if ids.into_iter().any(|x| x == id) => Some(id),
        _ => {
            errors.add(field, message);
            None
        }
    }
}

/// The Russian plural form for `n`: `one` (1, 21, 101), `few` (2–4, 22–24), `many` (0, 5–20, 25).
/// Any integer (or a reference to one, as templates pass it): see [`Count`].
pub fn plural<'a>(n: impl Count, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    let n = n.amount();
    let (d10, d100) = (n % 10, n % 100);
    if d10 == 1 && d100 != 11 {
        one
    } else if (2..=4).contains(&d10) && !(12..=14).contains(&d100) {
        few
    } else {
        many
    }
}

/// A count with its noun, for pages and messages: `count(54, "сотрудник", "сотрудника",
/// "сотрудников")` is «54 сотрудника». Templates call it as
/// `{{ crate::input::count(n, "класс", "класса", "классов") }}` with any integer (askama passes a
/// reference: [`Count`] takes both).
pub fn count(n: impl Count, one: &str, few: &str, many: &str) -> String {
    let n = n.amount();
    format!("{n} {}", plural(n, one, few, many))
}

/// An integer that can be counted with [`count`] (a negative one counts as 0).
pub trait Count {
    fn amount(&self) -> usize;
}

macro_rules! count_for {
    ($($t:ty),*) => {$(
        impl Count for $t {
            fn amount(&self) -> usize {
                usize::try_from(*self).unwrap_or(0)
            }
        }
    )*};
}
count_for!(i16, i32, i64, u16, u32, u64, usize);

impl<T: Count + ?Sized> Count for &T {
    fn amount(&self) -> usize {
        (**self).amount()
    }
}

/// A local redirect target taken from the request (`?back=`): only a path of this site
/// (`/…`, not `//host`), printable, without a backslash; anything else gives `fallback`.
pub fn local_path<'a>(candidate: Option<&'a str>, fallback: &'a str) -> &'a str {
    match candidate {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && p.len() <= 2048
                && p.chars().all(|c| c.is_ascii_graphic()) =>
        {
            p
        }
        _ => fallback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_goes_with_the_right_form_of_its_noun() {
        let staff = |n: i64| count(n, "сотрудник", "сотрудника", "сотрудников");
        assert_eq!(staff(54), "54 сотрудника");
        assert_eq!(staff(1), "1 сотрудник");
        assert_eq!(staff(11), "11 сотрудников");
        assert_eq!(staff(21), "21 сотрудник");
        assert_eq!(staff(112), "112 сотрудников");
        assert_eq!(staff(0), "0 сотрудников");
        // Templates pass a reference.
        let classes = [3usize];
        let by_reference = classes.first().unwrap();
        assert_eq!(
            count(by_reference, "класс", "класса", "классов"),
            "3 класса"
        );
        assert_eq!(count(-2i32, "урок", "урока", "уроков"), "0 уроков");
    }

    #[test]
    fn nul_and_other_control_characters_are_refused_line_breaks_are_not() {
        for bad in [
            "a\0b",
            "\u{1}",
            "x\u{7f}",
            "\u{85}",
            "a\u{2028}b",
            "\u{feff}т",
        ] {
            let mut e = FieldErrors::new();
            assert!(!text(&mut e, "f", bad, 100), "{bad:?}");
            assert!(e.get("f").unwrap().contains("служебные"));
        }
        let mut e = FieldErrors::new();
        assert!(text(&mut e, "f", "Стр. 12,\r\n№ 3\tи 4", 100));
        assert!(e.is_empty());
    }

    #[test]
    fn a_line_refuses_line_breaks_and_a_text_its_length() {
        let mut e = FieldErrors::new();
        assert!(!line(&mut e, "f", "два\nслова", 100));
        let mut e = FieldErrors::new();
        assert!(!text(&mut e, "f", &"я".repeat(11), 10));
        assert_eq!(
            e.get("f"),
            Some("Слишком длинный текст: 11 символов при пределе 10. Сократите его.")
        );
        let mut e = FieldErrors::new();
        assert!(text(&mut e, "f", &"я".repeat(10), 10));
    }

    #[test]
    fn russian_plurals() {
        let forms = |n| plural(n, "класс", "класса", "классов");
        assert_eq!(forms(1), "класс");
        assert_eq!(forms(21), "класс");
        assert_eq!(forms(11), "классов");
        assert_eq!(forms(3), "класса");
        assert_eq!(forms(13), "классов");
        assert_eq!(forms(54), "класса");
        assert_eq!(forms(0), "классов");
        assert_eq!(forms(112), "классов");
    }

    #[test]
    fn back_is_a_path_of_this_site_only() {
        assert_eq!(local_path(Some("/classes/5"), "/"), "/classes/5");
        for bad in [
            "/classes/\n",
            "//evil.example/",
            "https://evil.example/",
            "/\\evil",
            "/классы",
        ] {
            assert_eq!(local_path(Some(bad), "/x"), "/x", "{bad:?}");
        }
        assert_eq!(local_path(None, "/x"), "/x");
    }
}
