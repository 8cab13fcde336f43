//! Control reports (regulations §5): each report is a few set-based queries over the whole school
//! or a slice of it, whatever the school's size. The shared `Filter` — the year, a period or any
//! date range within it, a class, a subject, a teacher — is read from GET parameters
//! (`RawFilter`) by `parse_filter`, with a Russian message next to each bad field; an id that is
//! not the school's is not in the choices, so it is a message, never another school's data.
//! No axum here: the pages are `web::reports`.

pub mod accumulation;
pub mod activity;
pub mod attendance;
pub mod catch_up;
pub mod control_works;
pub mod homework_load;
pub mod programme;
pub mod progress;
pub mod timeliness;

use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::PgPool;

use crate::error::{AppResult, FieldErrors};
use crate::input::choice;
use crate::tenancy::SchoolId;

/// The filter as typed (GET parameters), kept to refill the form.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RawFilter {
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub class: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub teacher: String,
}

impl RawFilter {
    fn pairs(&self) -> [(&'static str, &str); 7] {
        [
            ("year", self.year.trim()),
            ("period", self.period.trim()),
            ("from", self.from.trim()),
            ("to", self.to.trim()),
            ("class", self.class.trim()),
            ("subject", self.subject.trim()),
            ("teacher", self.teacher.trim()),
        ]
    }

    /// The query string of the filters given (for export links).
    pub fn query(&self) -> String {
        encode(self.pairs().into_iter())
    }

    /// The query string with one filter replaced (drill-down links).
    pub fn with(&self, key: &str, value: &str) -> String {
        encode(
            self.pairs()
                .into_iter()
                .map(|(k, v)| if k == key { (k, value) } else { (k, v) }),
        )
    }
}

fn encode<'a>(pairs: impl Iterator<Item = (&'static str, &'a str)>) -> String {
    let kept: Vec<(&str, &str)> = pairs.filter(|(_, v)| !v.is_empty()).collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

/// Something to choose in a filter list.
#[derive(Clone, Debug)]
pub struct Choice {
    pub id: i64,
    pub label: String,
}

#[derive(Clone, Debug)]
pub struct YearChoice {
    pub id: i64,
    pub label: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

#[derive(Clone, Debug)]
pub struct PeriodChoice {
    pub id: i64,
    pub label: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub grade_from: i16,
    pub grade_to: i16,
}

#[derive(Clone, Debug)]
pub struct ClassChoice {
    pub id: i64,
    pub label: String,
    pub grade: i16,
}

/// The lists of the filter form, for the chosen year.
#[derive(Clone, Debug, Default)]
pub struct Choices {
    /// The year the lists are for.
    pub year: Option<YearChoice>,
    pub years: Vec<YearChoice>,
    pub periods: Vec<PeriodChoice>,
    pub classes: Vec<ClassChoice>,
    pub subjects: Vec<Choice>,
    pub teachers: Vec<Choice>,
}

/// Whose part of the school the viewer may see (docs/ACCESS.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The director and the deputies.
    School,
    /// A class teacher: their class only, whatever the filter says.
    Class(i64),
    /// A teacher (the account id): their own journals only — the groups they teach — whatever
    /// the filter says. Figures that would reveal other journals (whole days missed) are left out.
    Teacher(i64),
}

/// What the report covers.
#[derive(Clone, Debug)]
pub struct Filter {
    pub year_id: i64,
    pub year_label: String,
    /// A period chosen: its period marks (progress); else the current marks of the dates.
    pub period_id: Option<i64>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The day on which the pupils counted are enrolled: the last day of the range, or today if
    /// the range ends later (a pupil withdrawn before it is not counted).
    pub on_day: NaiveDate,
    /// The grades the period's scheme covers (1–11 for dates).
    pub grade_from: i16,
    pub grade_to: i16,
    pub class_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub teacher_id: Option<i64>,
    /// The viewer is a teacher seeing their own journals (`Scope::Teacher`): the teacher is
    /// forced, and what other journals hold is not shown.
    pub own_journals: bool,
    /// Human words for the header: «2-я четверть (10.11.2026–28.12.2026)», «5А», ….
    pub what: String,
}

fn period_word(kind: &str, number: i16) -> String {
    match kind {
        "trimester" => format!("{number}-й триместр"),
        "half_year" => format!("{number}-е полугодие"),
        _ => format!("{number}-я четверть"),
    }
}

/// The filter lists of the school for one year (`year_id`), or for the year containing `today`
/// (else the newest) when none is given or the given one is not the school's.
pub async fn choices(
    pool: &PgPool,
    school: SchoolId,
    year_id: Option<i64>,
    today: NaiveDate,
) -> AppResult<Choices> {
    let years: Vec<YearChoice> = sqlx::query!(
        "SELECT id, name, starts_on, ends_on FROM academic_year WHERE school_id = $1
         ORDER BY starts_on DESC",
        school.0
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|y| YearChoice {
        id: y.id,
        label: y.name,
        starts_on: y.starts_on,
        ends_on: y.ends_on,
    })
    .collect();
    let year = year_id
        .and_then(|id| years.iter().find(|y| y.id == id))
        .or_else(|| {
            years
                .iter()
                .find(|y| y.starts_on <= today && today <= y.ends_on)
        })
        .or(years.first());
    let Some(year) = year else {
        return Ok(Choices::default());
    };
    let year = year.clone();
    let year_id = year.id;
    let schemes = sqlx::query!(
        "SELECT sp.id, sp.number, ps.kind, ps.grade_from, ps.grade_to, sp.starts_on, sp.ends_on
         FROM study_period sp
         JOIN period_scheme ps ON ps.school_id = sp.school_id AND ps.id = sp.scheme_id
         WHERE sp.school_id = $1 AND ps.academic_year_id = $2
         ORDER BY ps.grade_from, sp.number",
        school.0,
        year_id
    )
    .fetch_all(pool)
    .await?;
    let periods = schemes
        .into_iter()
        .map(|p| PeriodChoice {
            id: p.id,
            label: format!(
                "{} ({}–{} кл., {}–{})",
                period_word(&p.kind, p.number),
                p.grade_from,
                p.grade_to,
                p.starts_on.format("%d.%m.%Y"),
                p.ends_on.format("%d.%m.%Y")
            ),
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            grade_from: p.grade_from,
            grade_to: p.grade_to,
        })
        .collect();
    let classes = sqlx::query!(
        "SELECT id, grade, letter FROM school_class WHERE school_id = $1 AND academic_year_id = $2
         ORDER BY grade, letter",
        school.0,
        year_id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|c| ClassChoice {
        id: c.id,
        label: format!("{}{}", c.grade, c.letter),
        grade: c.grade,
    })
    .collect();
    let subjects = sqlx::query!(
        "SELECT DISTINCT s.id, s.name FROM study_group g
         JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
         WHERE g.school_id = $1 AND g.academic_year_id = $2 ORDER BY s.name, s.id",
        school.0,
        year_id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|s| Choice {
        id: s.id,
        label: s.name,
    })
    .collect();
    let teachers = sqlx::query!(
        "SELECT DISTINCT a.id, a.last_name, a.first_name, a.middle_name
         FROM teaching_assignment t
         JOIN study_group g ON g.school_id = t.school_id AND g.id = t.group_id
         JOIN account a ON a.id = t.teacher_id
         WHERE t.school_id = $1 AND g.academic_year_id = $2
         ORDER BY a.last_name, a.first_name, a.middle_name, a.id",
        school.0,
        year_id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|a| Choice {
        id: a.id,
        label: short_name(&a.last_name, &a.first_name, &a.middle_name),
    })
    .collect();
    Ok(Choices {
        year: Some(year.clone()),
        years,
        periods,
        classes,
        subjects,
        teachers,
    })
}

/// «Иванова А. П.»
pub fn short_name(last: &str, first: &str, middle: &str) -> String {
    let initial = |s: &str| {
        s.chars()
            .next()
            .map(|c| format!(" {c}."))
            .unwrap_or_default()
    };
    format!("{last}{}{}", initial(first), initial(middle))
}

/// The year id asked for, if it is a number (whether it is the school's is `choices`' business).
pub fn asked_year(raw: &RawFilter) -> Option<i64> {
    raw.year.trim().parse().ok()
}

/// Reads the typed filter against the school's lists: every bad field gets a Russian message,
/// and the filter keeps what was good. A class teacher's class is forced (`Scope::Class`).
pub fn parse_filter(
    raw: &RawFilter,
    choices: &Choices,
    scope: Scope,
    today: NaiveDate,
) -> (Option<Filter>, FieldErrors) {
    let mut errors = FieldErrors::new();
    let year_text = raw.year.trim();
    if !year_text.is_empty()
        && !choices
            .years
            .iter()
            .any(|y| year_text.parse::<i64>().ok() == Some(y.id))
    {
        errors.add("year", "Выберите учебный год из списка");
        return (None, errors);
    }
    let Some(year) = choices.year.as_ref() else {
        errors.add("year", "В школе ещё нет учебного года");
        return (None, errors);
    };
    let e = &mut errors;
    let period_id = choice(
        e,
        "period",
        &raw.period,
        choices.periods.iter().map(|x| x.id),
        "Выберите период из списка",
    );
    let class_id = match scope {
        Scope::Class(id) => Some(id),
        Scope::School | Scope::Teacher(_) => choice(
            e,
            "class",
            &raw.class,
            choices.classes.iter().map(|x| x.id),
            "Выберите класс из списка",
        ),
    };
    let subject_id = choice(
        e,
        "subject",
        &raw.subject,
        choices.subjects.iter().map(|x| x.id),
        "Выберите предмет из списка",
    );
    let teacher_id = match scope {
        Scope::Teacher(id) => Some(id),
        Scope::School | Scope::Class(_) => choice(
            e,
            "teacher",
            &raw.teacher,
            choices.teachers.iter().map(|x| x.id),
            "Выберите учителя из списка",
        ),
    };
    let in_year = format!(
        "Дата в пределах учебного года: с {} по {}",
        year.starts_on.format("%d.%m.%Y"),
        year.ends_on.format("%d.%m.%Y")
    );
    let mut day = |field: &'static str, text: &str| {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match crate::school_year::calendar::parse_date(text) {
            Some(d) if year.starts_on <= d && d <= year.ends_on => Some(d),
            Some(_) => {
                errors.add(field, in_year.clone());
                None
            }
            None => {
                errors.add(field, "Укажите дату в виде ДД.ММ.ГГГГ");
                None
            }
        }
    };
    let from_day = day("from", &raw.from);
    let to_day = day("to", &raw.to);
    let dates_typed = !raw.from.trim().is_empty() || !raw.to.trim().is_empty();
    if !raw.period.trim().is_empty() && dates_typed {
        errors.add(
            "period",
            "Выберите либо период, либо даты «с» и «по», но не то и другое",
        );
    }
    if let (Some(f), Some(t)) = (from_day, to_day)
        && f > t
    {
        errors.add("to", "Укажите конец не раньше начала");
    }
    if !errors.is_empty() {
        return (None, errors);
    }
    let period = period_id.and_then(|id| choices.periods.iter().find(|p| p.id == id));
    let (from, to, grade_from, grade_to) = match period {
        Some(p) => (p.starts_on, p.ends_on, p.grade_from, p.grade_to),
        None => (
            from_day.unwrap_or(year.starts_on),
            to_day.unwrap_or_else(|| today.clamp(year.starts_on, year.ends_on)),
            1,
            11,
        ),
    };
    let to = to.max(from);
    let on_day = to.min(today).max(from);
    let mut what = match period {
        Some(p) => p.label.clone(),
        None => format!(
            "текущие отметки с {} по {}",
            from.format("%d.%m.%Y"),
            to.format("%d.%m.%Y")
        ),
    };
    let label = |id: Option<i64>, list: &[Choice]| {
        id.and_then(|id| list.iter().find(|c| c.id == id).map(|c| c.label.clone()))
    };
    if let Some(c) = class_id.and_then(|id| choices.classes.iter().find(|c| c.id == id)) {
        what.push_str(&format!(", класс {}", c.label));
    }
    if let Some(s) = label(subject_id, &choices.subjects) {
        what.push_str(&format!(", предмет «{s}»"));
    }
    if let Some(t) = label(teacher_id, &choices.teachers) {
        what.push_str(&format!(", учитель {t}"));
    }
    (
        Some(Filter {
            year_id: year.id,
            year_label: year.label.clone(),
            period_id,
            from,
            to,
            on_day,
            grade_from,
            grade_to,
            class_id,
            subject_id,
            teacher_id,
            own_journals: matches!(scope, Scope::Teacher(_)),
            what,
        }),
        errors,
    )
}

/// A percentage rounded half up to tenths, as tenths (857 = 85,7 %); None without pupils.
pub fn percent_tenths(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (2 * 1000 * part + whole).div_euclid(2 * whole))
}

/// Tenths or hundredths as a Russian decimal: `decimal(857, 1)` = «85,7».
/// A count as a file's number cell.
fn whole(n: i64) -> crate::exports::table::Cell {
    crate::exports::table::Cell::Number(n as f64)
}

/// A figure the page shows with `places` decimals (a percentage in tenths, an average in
/// hundredths) as a file's cell with the same digits; none when the page shows «—».
fn fixed(scaled: Option<i64>, places: u32) -> crate::exports::table::Cell {
    scaled.map_or(crate::exports::table::Cell::Empty, |scaled| {
        crate::exports::table::Cell::Fixed { scaled, places }
    })
}

pub fn decimal(scaled: i64, places: u32) -> String {
    let unit = 10_i64.pow(places);
    format!(
        "{},{:0width$}",
        scaled / unit,
        scaled % unit,
        width = places as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_half_up_to_tenths() {
        assert_eq!(percent_tenths(2, 3), Some(667));
        assert_eq!(percent_tenths(1, 8), Some(125));
        assert_eq!(percent_tenths(1, 16), Some(63));
        assert_eq!(percent_tenths(0, 0), None);
        assert_eq!(decimal(667, 1), "66,7");
        assert_eq!(decimal(1000, 1), "100,0");
        assert_eq!(decimal(405, 2), "4,05");
    }
}
