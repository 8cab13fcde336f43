//! J17: the state final attestation (ГИА) — ОГЭ in grade 9, ЕГЭ in grade 11 — its results entered
//! no later than `gia_entry_days` (default 1) after they arrive at the school.

use chrono::NaiveDate;

use crate::error::FieldErrors;

/// Which exam a grade sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exam {
    /// Grade 9.
    Oge,
    /// Grade 11.
    Ege,
}

impl Exam {
    /// The exam of a grade; `None` for grades without ГИА.
    pub fn of_grade(grade: i16) -> Option<Exam> {
        match grade {
            9 => Some(Exam::Oge),
            11 => Some(Exam::Ege),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Exam::Oge => "oge",
            Exam::Ege => "ege",
        }
    }

    pub fn parse(code: &str) -> Option<Exam> {
        match code {
            "oge" => Some(Exam::Oge),
            "ege" => Some(Exam::Ege),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Exam::Oge => "ОГЭ",
            Exam::Ege => "ЕГЭ",
        }
    }
}

/// A result as typed, already split into fields.
#[derive(Debug, Clone, Default)]
pub struct Typed<'a> {
    pub exam_date: &'a str,
    pub results_on: &'a str,
    pub primary_score: &'a str,
    pub test_score: &'a str,
    pub mark: &'a str,
}

/// A checked result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub exam_date: NaiveDate,
    pub results_on: NaiveDate,
    pub primary_score: i16,
    pub test_score: Option<i16>,
    pub mark: Option<i16>,
}

fn date(errors: &mut FieldErrors, field: &'static str, typed: &str) -> Option<NaiveDate> {
    let d = crate::school_year::calendar::parse_date(typed);
    if d.is_none() {
        errors.add(field, "Укажите дату в виде ДД.ММ.ГГГГ");
    }
    d
}

fn score(
    errors: &mut FieldErrors,
    field: &'static str,
    typed: &str,
    max: i16,
) -> Option<Option<i16>> {
    let t = typed.trim();
    if t.is_empty() {
        return Some(None);
    }
    match t.parse::<i16>() {
        Ok(v) if (0..=max).contains(&v) => Some(Some(v)),
        _ => {
            errors.add(field, format!("Целое число от 0 до {max}"));
            None
        }
    }
}

/// Checks a result of `exam` entered on `today`: dates real and in order (the exam, then its
/// results, not in the future), the primary score always, the test score for ЕГЭ only, the mark
/// (2–5) always for ОГЭ and for ЕГЭ only where its scale gives one. Each wrong field gets its own
/// Russian message.
pub fn check(exam: Exam, typed: &Typed<'_>, today: NaiveDate) -> Result<Checked, FieldErrors> {
    let mut errors = FieldErrors::new();
    let exam_date = date(&mut errors, "exam_date", typed.exam_date);
    let results_on = date(&mut errors, "results_on", typed.results_on);
    if let Some(r) = results_on
        && r > today
    {
        errors.add(
            "results_on",
            "Укажите дату не позже сегодняшней: результаты ещё не пришли",
        );
    }
    if let (Some(e), Some(r)) = (exam_date, results_on)
        && r < e
    {
        errors.add("results_on", "Укажите дату не раньше дня экзамена");
    }
    let primary = score(&mut errors, "primary_score", typed.primary_score, 100);
    if primary == Some(None) {
        errors.add("primary_score", "Укажите первичный балл");
    }
    let test = score(&mut errors, "test_score", typed.test_score, 100);
    if exam == Exam::Oge && matches!(test, Some(Some(_))) {
        errors.add("test_score", "У ОГЭ нет тестового балла: оставьте пустым");
    }
    let mark = match typed.mark.trim() {
        "" => {
            if exam == Exam::Oge {
                errors.add("mark", "Укажите отметку ОГЭ (2–5)");
            }
            None
        }
        t => match t.parse::<i16>() {
            Ok(v) if (2..=5).contains(&v) => Some(v),
            _ => {
                errors.add("mark", "Отметка от 2 до 5");
                None
            }
        },
    };
    match (exam_date, results_on, primary, test) {
        (Some(exam_date), Some(results_on), Some(Some(primary_score)), Some(test_score))
            if errors.is_empty() =>
        {
            Ok(Checked {
                exam_date,
                results_on,
                primary_score,
                test_score,
                mark,
            })
        }
        _ => Err(errors),
    }
}

/// J17: entered after the day `results_on + entry_days` is late (accepted, flagged).
pub fn is_late(results_on: NaiveDate, entry_days: i16, today: NaiveDate) -> bool {
    today > results_on + chrono::Days::new(u64::try_from(entry_days).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn j17_a_result_entered_the_day_after_it_arrived_is_on_time_two_days_after_late() {
        assert!(!is_late(d(6, 20), 1, d(6, 20)));
        assert!(!is_late(d(6, 20), 1, d(6, 21)));
        assert!(is_late(d(6, 20), 1, d(6, 22)));
        assert!(is_late(d(6, 20), 0, d(6, 21)));
    }

    #[test]
    fn j17_oge_needs_a_mark_and_has_no_test_score_ege_has_a_test_score() {
        let typed = Typed {
            exam_date: "02.06.2026",
            results_on: "2026-06-15",
            primary_score: "25",
            test_score: "70",
            mark: "",
        };
        let errors = check(Exam::Oge, &typed, d(6, 16)).expect_err("refused");
        assert!(errors.get("mark").is_some() && errors.get("test_score").is_some());
        let ok = check(Exam::Ege, &typed, d(6, 16)).expect("an ЕГЭ result");
        assert_eq!((ok.test_score, ok.mark), (Some(70), None));
    }

    #[test]
    fn j17_dates_must_be_real_in_order_and_not_in_the_future() {
        let typed = Typed {
            exam_date: "20.06.2026",
            results_on: "10.06.2026",
            primary_score: "абв",
            test_score: "",
            mark: "6",
        };
        let errors = check(Exam::Oge, &typed, d(6, 30)).expect_err("refused");
        assert_eq!(
            errors.get("results_on"),
            Some("Укажите дату не раньше дня экзамена")
        );
        assert!(errors.get("primary_score").is_some() && errors.get("mark").is_some());
        let future = Typed {
            exam_date: "31.02.2026",
            results_on: "01.07.2026",
            ..typed
        };
        let errors = check(Exam::Oge, &future, d(6, 30)).expect_err("refused");
        assert_eq!(
            errors.get("exam_date"),
            Some("Укажите дату в виде ДД.ММ.ГГГГ")
        );
        assert!(
            errors
                .get("results_on")
                .unwrap()
                .contains("не позже сегодняшней")
        );
    }
}
