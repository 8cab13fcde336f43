//! Setting up a year's calendar: the year itself, study periods per range of grades, holidays and
//! bell times (regulations §2). Each write: permission, rules::calendar, write, audit.

use chrono::{Datelike, NaiveDate, NaiveTime};
use serde::Deserialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::repo::{self, NewHoliday, YearRow};
use super::service::create_year;
use crate::audit::{self, Actor, Change};
use crate::authz::Access;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::input;
use crate::rules::calendar::{self, PeriodKind, Span, check_bells, check_periods};
use crate::tenancy::SchoolId;

/// A date as typed: `2026-09-01` (date pickers) or `01.09.2026`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d.%m.%Y"))
        .ok()
}

/// A time as typed: `08:30` or `8.30`.
pub fn parse_time(text: &str) -> Option<NaiveTime> {
    let t = text.trim().replace('.', ":");
    NaiveTime::parse_from_str(&t, "%H:%M").ok()
}

fn require_setup(access: &Access) -> AppResult<()> {
    if access.can_setup_year() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The year, open for changes; 404 for another school's, refused when closed.
pub async fn open_year(
    conn: &mut PgConnection,
    school: SchoolId,
    year_id: i64,
) -> AppResult<YearRow> {
    let year = repo::year(conn, school, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if year.closed {
        return Err(AppError::Refused(format!(
            "Учебный год {} закрыт: его нельзя изменить.",
            year.name
        )));
    }
    Ok(year)
}

fn span_of(year: &YearRow) -> Span {
    Span::new(year.starts_on, year.ends_on)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewYearForm {
    #[serde(default)]
    pub start_year: String,
    #[serde(default)]
    pub week_days: String,
    /// «Заполнить по умолчанию»: quarters for 1–9, half-years for 10–11, the usual holidays and
    /// bells.
    #[serde(default)]
    pub defaults: Option<String>,
}

/// Adds an academic year (September 1 to August 31), with the usual calendar if asked.
pub async fn add_year(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    form: &NewYearForm,
) -> AppResult<i64> {
    require_setup(access)?;
    let mut errors = FieldErrors::new();
    let start: Option<i32> = form
        .start_year
        .trim()
        .parse()
        .ok()
        .filter(|y| (2000..=2100).contains(y));
    if start.is_none() {
        errors.add("start_year", "Укажите год начала, например 2027.");
    }
    let week_days: i16 = match form.week_days.trim() {
        "6" => 6,
        "5" | "" => 5,
        _ => {
            errors.add("week_days", "Неделя — 5 или 6 дней.");
            5
        }
    };
    errors.into_result()?;
    let start = start.expect("checked above");
    let name = format!("{start}/{}", start + 1);
    let sept1 = NaiveDate::from_ymd_opt(start, 9, 1).expect("September 1 exists");
    let aug31 = NaiveDate::from_ymd_opt(start + 1, 8, 31).expect("August 31 exists");
    let mut tx = pool.begin().await?;
    if repo::year_name_taken(&mut tx, access.school_id, &name).await? {
        return Err(AppError::invalid(
            "start_year",
            format!("Учебный год {name} уже есть."),
        ));
    }
    let id = create_year(&mut tx, access.school_id, actor, &name, sept1, aug31).await?;
    repo::set_week_days(&mut tx, access.school_id, id, week_days).await?;
    if form.defaults.is_some() {
        apply_default_calendar(&mut tx, access.school_id, actor, id, sept1).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Fills a new year with the usual calendar (rules::calendar::default_calendar) and the usual
/// first-shift bells (45-minute lessons from 8:30).
pub async fn apply_default_calendar(
    conn: &mut PgConnection,
    school: SchoolId,
    actor: &Actor,
    year_id: i64,
    sept1: NaiveDate,
) -> AppResult<()> {
    let cal = calendar::default_calendar(sept1);
    insert_scheme(
        conn,
        school,
        actor,
        year_id,
        PeriodKind::Quarter,
        (1, 9),
        &cal.quarters,
    )
    .await?;
    insert_scheme(
        conn,
        school,
        actor,
        year_id,
        PeriodKind::HalfYear,
        (10, 11),
        &cal.half_years,
    )
    .await?;
    for (kind, name, span, grade_from, grade_to) in cal.holidays {
        let h = NewHoliday {
            kind,
            name,
            starts_on: span.starts_on,
            ends_on: span.ends_on,
            grade_from,
            grade_to,
        };
        insert_holiday(conn, school, actor, year_id, &h).await?;
    }
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("a valid time");
    let starts = [
        t(8, 30),
        t(9, 25),
        t(10, 30),
        t(11, 35),
        t(12, 35),
        t(13, 35),
        t(14, 30),
    ];
    let bells: Vec<_> = starts
        .iter()
        .enumerate()
        .map(|(i, s)| (i as i16 + 1, *s, *s + chrono::Duration::minutes(45)))
        .collect();
    write_bells(conn, school, actor, year_id, 1, &bells).await
}

async fn insert_scheme(
    conn: &mut PgConnection,
    school: SchoolId,
    actor: &Actor,
    year_id: i64,
    kind: PeriodKind,
    grades: (i16, i16),
    periods: &[Span],
) -> AppResult<i64> {
    let id = repo::insert_scheme(conn, school, year_id, kind.as_str(), grades).await?;
    for (i, p) in periods.iter().enumerate() {
        repo::insert_period(conn, school, id, i as i16 + 1, p.starts_on, p.ends_on).await?;
    }
    let shown: Vec<String> = periods.iter().map(Span::show).collect();
    let after = json!({"kind": kind.as_str(), "grade_from": grades.0, "grade_to": grades.1, "periods": shown});
    let change = Change::new("period_scheme.created", "period_scheme", id).after(after);
    audit::record(conn, school, actor, change).await?;
    Ok(id)
}

async fn insert_holiday(
    conn: &mut PgConnection,
    school: SchoolId,
    actor: &Actor,
    year_id: i64,
    h: &NewHoliday<'_>,
) -> AppResult<i64> {
    let id = repo::insert_holiday(conn, school, year_id, h).await?;
    let after = json!({
        "kind": h.kind, "name": h.name, "starts_on": h.starts_on, "ends_on": h.ends_on,
        "grade_from": h.grade_from, "grade_to": h.grade_to,
    });
    audit::record(
        conn,
        school,
        actor,
        Change::new("holiday.created", "holiday", id).after(after),
    )
    .await?;
    Ok(id)
}

async fn write_bells(
    conn: &mut PgConnection,
    school: SchoolId,
    actor: &Actor,
    year_id: i64,
    shift: i16,
    bells: &[(i16, NaiveTime, NaiveTime)],
) -> AppResult<()> {
    let before: Vec<String> = repo::bells(conn, school, year_id)
        .await?
        .iter()
        .filter(|b| b.shift == shift)
        .map(|b| {
            format!(
                "{}: {}–{}",
                b.lesson_number,
                b.starts_at.format("%H:%M"),
                b.ends_at.format("%H:%M")
            )
        })
        .collect();
    repo::replace_bells(conn, school, year_id, shift, bells).await?;
    let after: Vec<String> = bells
        .iter()
        .map(|(n, s, e)| format!("{n}: {}–{}", s.format("%H:%M"), e.format("%H:%M")))
        .collect();
    let change = Change::new("bells.set", "academic_year", year_id)
        .before(json!({"shift": shift, "bells": before}))
        .after(json!({"shift": shift, "bells": after}));
    audit::record(conn, school, actor, change).await?;
    Ok(())
}

fn parse_grades(errors: &mut FieldErrors, field: &'static str, from: &str, to: &str) -> (i16, i16) {
    let parse = |s: &str| {
        s.trim()
            .parse::<i16>()
            .ok()
            .filter(|g| (1..=11).contains(g))
    };
    match (parse(from), parse(to)) {
        (Some(a), Some(b)) if a <= b => (a, b),
        _ => {
            errors.add(field, "Параллели: от 1 до 11, «с» не больше «по».");
            (1, 11)
        }
    }
}

/// The form for a range of grades and its periods (up to four pairs of dates).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SchemeForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub grade_from: String,
    #[serde(default)]
    pub grade_to: String,
    #[serde(default)]
    pub p1_from: String,
    #[serde(default)]
    pub p1_to: String,
    #[serde(default)]
    pub p2_from: String,
    #[serde(default)]
    pub p2_to: String,
    #[serde(default)]
    pub p3_from: String,
    #[serde(default)]
    pub p3_to: String,
    #[serde(default)]
    pub p4_from: String,
    #[serde(default)]
    pub p4_to: String,
}

impl SchemeForm {
    fn pairs(&self) -> [(&str, &str); 4] {
        [
            (&self.p1_from, &self.p1_to),
            (&self.p2_from, &self.p2_to),
            (&self.p3_from, &self.p3_to),
            (&self.p4_from, &self.p4_to),
        ]
    }
}

/// Adds study periods for a range of grades that has none yet.
pub async fn add_scheme(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    year_id: i64,
    form: &SchemeForm,
) -> AppResult<()> {
    require_setup(access)?;
    let mut tx = pool.begin().await?;
    let year = open_year(&mut tx, access.school_id, year_id).await?;
    let mut errors = FieldErrors::new();
    let kind = PeriodKind::parse(&form.kind);
    if kind.is_none() {
        errors.add("kind", "Выберите: четверти, триместры или полугодия.");
    }
    let grades = parse_grades(&mut errors, "grades", &form.grade_from, &form.grade_to);
    let mut periods = Vec::new();
    for (i, (from, to)) in form.pairs().into_iter().enumerate() {
        if from.trim().is_empty() && to.trim().is_empty() {
            continue;
        }
        match (parse_date(from), parse_date(to)) {
            (Some(a), Some(b)) => periods.push(Span::new(a, b)),
            _ => errors.add(
                "periods",
                format!("Период {}: введите даты начала и окончания.", i + 1),
            ),
        }
    }
    errors.clone().into_result()?;
    let kind = kind.expect("checked above");
    if let Err(why) = check_periods(span_of(&year), kind, &periods) {
        return Err(AppError::invalid("periods", why));
    }
    let existing = repo::schemes(&mut tx, access.school_id, year_id).await?;
    if let Some(other) = existing
        .iter()
        .find(|s| s.grade_from <= grades.1 && grades.0 <= s.grade_to)
    {
        return Err(AppError::invalid(
            "grades",
            format!(
                "Для параллелей {}–{} периоды уже заданы.",
                other.grade_from, other.grade_to
            ),
        ));
    }
    insert_scheme(
        &mut tx,
        access.school_id,
        actor,
        year_id,
        kind,
        grades,
        &periods,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_scheme(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    year_id: i64,
    scheme_id: i64,
) -> AppResult<()> {
    require_setup(access)?;
    let mut tx = pool.begin().await?;
    open_year(&mut tx, access.school_id, year_id).await?;
    let scheme = repo::schemes(&mut tx, access.school_id, year_id)
        .await?
        .into_iter()
        .find(|s| s.id == scheme_id)
        .ok_or(AppError::NotFound)?;
    repo::delete_scheme(&mut tx, access.school_id, year_id, scheme_id).await?;
    let before =
        json!({"kind": scheme.kind, "grade_from": scheme.grade_from, "grade_to": scheme.grade_to});
    let change = Change::new("period_scheme.deleted", "period_scheme", scheme_id).before(before);
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

/// Kinds of holidays and their names in Russian.
pub const HOLIDAY_KINDS: [(&str, &str); 6] = [
    ("autumn", "осенние"),
    ("winter", "зимние"),
    ("spring", "весенние"),
    ("summer", "летние"),
    ("extra", "дополнительные"),
    ("public", "праздничные дни"),
];

#[derive(Debug, Clone, Default, Deserialize)]
pub struct HolidayForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub grade_from: String,
    #[serde(default)]
    pub grade_to: String,
}

pub async fn add_holiday(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    year_id: i64,
    form: &HolidayForm,
) -> AppResult<()> {
    require_setup(access)?;
    let mut tx = pool.begin().await?;
    let year = open_year(&mut tx, access.school_id, year_id).await?;
    let mut errors = FieldErrors::new();
    let kind = HOLIDAY_KINDS
        .iter()
        .find(|(k, _)| *k == form.kind)
        .map(|(k, _)| *k);
    if kind.is_none() {
        errors.add("h_kind", "Выберите вид каникул.");
    }
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.add("h_name", "Название: от 1 до 100 символов.");
    }
    input::line(&mut errors, "h_name", name, 100);
    let grades = parse_grades(&mut errors, "h_grades", &form.grade_from, &form.grade_to);
    let span = match (parse_date(&form.starts_on), parse_date(&form.ends_on)) {
        (Some(a), Some(b)) if a <= b => Some(Span::new(a, b)),
        (Some(_), Some(_)) => {
            errors.add("h_dates", "Укажите дату окончания не раньше даты начала.");
            None
        }
        _ => {
            errors.add(
                "h_dates",
                "Введите даты начала и окончания, например 25.10.2026.",
            );
            None
        }
    };
    if let Some(s) = span
        && !(span_of(&year).contains(s.starts_on) && span_of(&year).contains(s.ends_on))
    {
        errors.add(
            "h_dates",
            format!(
                "Укажите даты каникул внутри учебного года {}.",
                span_of(&year).show()
            ),
        );
    }
    errors.into_result()?;
    let span = span.expect("checked above");
    let h = NewHoliday {
        kind: kind.expect("checked above"),
        name,
        starts_on: span.starts_on,
        ends_on: span.ends_on,
        grade_from: grades.0,
        grade_to: grades.1,
    };
    insert_holiday(&mut tx, access.school_id, actor, year_id, &h).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_holiday(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    year_id: i64,
    holiday_id: i64,
) -> AppResult<()> {
    require_setup(access)?;
    let mut tx = pool.begin().await?;
    open_year(&mut tx, access.school_id, year_id).await?;
    let holiday = repo::holidays(&mut tx, access.school_id, year_id)
        .await?
        .into_iter()
        .find(|h| h.id == holiday_id)
        .ok_or(AppError::NotFound)?;
    repo::delete_holiday(&mut tx, access.school_id, year_id, holiday_id).await?;
    let before =
        json!({"name": holiday.name, "starts_on": holiday.starts_on, "ends_on": holiday.ends_on});
    let change = Change::new("holiday.deleted", "holiday", holiday_id).before(before);
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

/// How many lessons a bell form has rows for.
pub const BELL_ROWS: usize = 8;

/// Bell times of one shift: `shift`, and `s1`/`e1` … `s8`/`e8` (empty rows are skipped).
pub async fn set_bells(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    year_id: i64,
    fields: &[(String, String)],
) -> AppResult<()> {
    require_setup(access)?;
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let shift: i16 = match value("shift") {
        "2" => 2,
        _ => 1,
    };
    let mut bells = Vec::new();
    for n in 1..=BELL_ROWS {
        let (s, e) = (value(&format!("s{n}")), value(&format!("e{n}")));
        if s.trim().is_empty() && e.trim().is_empty() {
            continue;
        }
        match (parse_time(s), parse_time(e)) {
            (Some(s), Some(e)) => bells.push((n as i16, s, e)),
            _ => {
                return Err(AppError::invalid(
                    "bells",
                    format!("Урок {n}: укажите время как 08:30."),
                ));
            }
        }
    }
    if let Err(why) = check_bells(&bells) {
        return Err(AppError::invalid("bells", why));
    }
    let mut tx = pool.begin().await?;
    open_year(&mut tx, access.school_id, year_id).await?;
    write_bells(&mut tx, access.school_id, actor, year_id, shift, &bells).await?;
    tx.commit().await?;
    Ok(())
}

/// A year's calendar as the setup page shows it, with what is inconsistent in it.
pub struct YearCalendar {
    pub year: YearRow,
    pub schemes: Vec<SchemeView>,
    pub holidays: Vec<repo::HolidayRow>,
    pub bells: Vec<repo::BellRow>,
    pub problems: Vec<String>,
}

pub struct SchemeView {
    pub id: i64,
    pub title: String,
    pub periods: Vec<(String, String)>,
}

pub async fn year_calendar(
    pool: &PgPool,
    school: SchoolId,
    year_id: i64,
) -> AppResult<YearCalendar> {
    let mut conn = pool.acquire().await?;
    let year = repo::year(&mut conn, school, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let schemes = repo::schemes(&mut conn, school, year_id).await?;
    let periods = repo::periods(&mut conn, school, year_id).await?;
    let holidays = repo::holidays(&mut conn, school, year_id).await?;
    let bells = repo::bells(&mut conn, school, year_id).await?;
    let mut problems = Vec::new();
    let uncovered: Vec<i16> = (1..=11)
        .filter(|g| {
            !schemes
                .iter()
                .any(|s| s.grade_from <= *g && *g <= s.grade_to)
        })
        .collect();
    if !uncovered.is_empty() {
        let list: Vec<String> = uncovered.iter().map(i16::to_string).collect();
        problems.push(format!(
            "Нет учебных периодов для параллелей: {}.",
            list.join(", ")
        ));
    }
    let mut views = Vec::new();
    for s in &schemes {
        let kind = PeriodKind::parse(&s.kind).unwrap_or(PeriodKind::Quarter);
        let spans: Vec<Span> = periods
            .iter()
            .filter(|p| p.scheme_id == s.id)
            .map(|p| Span::new(p.starts_on, p.ends_on))
            .collect();
        let applying: Vec<Span> = holidays
            .iter()
            .filter(|h| h.grade_from <= s.grade_from && s.grade_to <= h.grade_to)
            .map(|h| Span::new(h.starts_on, h.ends_on))
            .collect();
        for gap in calendar::uncovered_gaps(&spans, &applying, year.week_days as u8) {
            problems.push(format!(
                "Параллели {}–{}: между периодами есть учебные дни {} — ни периода, ни каникул.",
                s.grade_from,
                s.grade_to,
                gap.show()
            ));
        }
        views.push(SchemeView {
            id: s.id,
            title: format!(
                "Параллели {}–{}: {}",
                s.grade_from,
                s.grade_to,
                kind.label()
            ),
            periods: spans
                .iter()
                .enumerate()
                .map(|(i, p)| (kind.period_name(i as i16 + 1), p.show()))
                .collect(),
        });
    }
    if !bells.iter().any(|b| b.shift == 1) {
        problems.push("Не заданы звонки первой смены.".into());
    }
    let _ = year.starts_on.year();
    Ok(YearCalendar {
        year,
        schemes: views,
        holidays,
        bells,
        problems,
    })
}

/// The year of a class, open for changes; 404 for another school's class, refused when closed.
pub async fn open_year_of_class(
    conn: &mut PgConnection,
    school: SchoolId,
    class_id: i64,
) -> AppResult<YearRow> {
    let year_id = crate::pupils::repo::class_year(conn, school, class_id)
        .await?
        .ok_or(AppError::NotFound)?;
    open_year(conn, school, year_id).await
}
