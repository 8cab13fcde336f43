//! People's accounts as a school administers them: issuing credentials to staff, granting and
//! revoking roles, resetting passwords.

pub mod credentials;
pub mod repo;
pub mod service;

/// A login made from a Russian surname and initials: «Иванова Мария Андреевна» → `ivanova.ma`.
pub fn login_stem(last_name: &str, first_name: &str, middle_name: &str) -> String {
    let initials: String = [first_name, middle_name]
        .iter()
        .filter_map(|n| n.trim().chars().next())
        .collect();
    let mut stem = transliterate(last_name.trim());
    let initials = transliterate(&initials);
    if !initials.is_empty() {
        stem.push('.');
        stem.push_str(&initials);
    }
    let stem: String = stem
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .take(40)
        .collect();
    let stem = stem.trim_matches(|c| c == '.' || c == '-').to_string();
    if stem.len() < 2 {
        "user".to_string()
    } else {
        stem
    }
}

/// Russian to Latin letters, as in passports (ICAO 9303, simplified).
pub fn transliterate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.to_lowercase().chars() {
        let t = match c {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' | 'й' => "i",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ы' => "y",
            'ъ' | 'ь' => "",
            'ю' => "iu",
            'я' => "ia",
            ' ' => "-",
            c if c.is_ascii_alphanumeric() || c == '-' || c == '.' => {
                out.push(c);
                continue;
            }
            _ => "",
        };
        out.push_str(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_the_transliterated_surname_and_initials() {
        assert_eq!(login_stem("Иванова", "Мария", "Андреевна"), "ivanova.ma");
        assert_eq!(login_stem("Щёголев", "Юрий", ""), "shchegolev.iu");
        assert_eq!(
            login_stem("Ёжиков-Львов", "Эдуард", "Ильич"),
            "ezhikov-lvov.ei"
        );
        assert_eq!(login_stem("Ъ", "", ""), "user");
    }
}
