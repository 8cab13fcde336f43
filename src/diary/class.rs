//! The class teacher's work with families (§4; 003, 004): parents' diary activity (who has not
//! opened it for `school.parent_inactivity_days`, with phone and e-mail to contact them), the
//! acknowledged weeks, the «risk group», the week's absences with their reasons, and the report
//! on progress and attendance of a period (preliminary before its end, final after).

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use serde_json::json;
use sqlx::PgPool;

use crate::audit::{self, Change};
use crate::error::{AppError, AppResult};
use crate::exports::table::{Cell, Column, Kind, Table};
use crate::journal::grid::PeriodTab;
use crate::journal::service::Author;
use crate::journal::{AbsenceReason, show_period_value};
use crate::rules::class_totals::{PupilStanding, Totals};
use crate::rules::grading::{Scale, scale_for};
use crate::rules::journal::{self as rules, AccumulationRule, Weighted};
use crate::tenancy::SchoolId;

/// A parent of a pupil of the class, with their diary activity.
#[derive(Clone, Debug)]
pub struct ParentActivity {
    pub pupil_id: i64,
    pub pupil: String,
    pub parent_id: i64,
    pub parent: String,
    pub relation: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub pd_consent: Option<bool>,
    pub has_account: bool,
    pub last_visit: Option<NaiveDate>,
    pub views_week: i64,
    pub last_ack: Option<NaiveDate>,
    pub risk: bool,
    /// Asked for the printed weekly extract (§4).
    pub paper_extract: bool,
}

impl ParentActivity {
    /// Not opened for `days` days (003): the class teacher calls or writes.
    pub fn inactive(&self, today: NaiveDate, days: i64) -> bool {
        self.last_visit
            .is_none_or(|d| (today - d).num_days() >= days)
    }

    /// Acknowledged the last full week (or this one).
    pub fn acknowledged_last_week(&self, today: NaiveDate) -> bool {
        let last_monday = super::monday(today) - Duration::days(7);
        self.last_ack.is_some_and(|d| d >= last_monday)
    }

    pub fn last_visit_text(&self) -> String {
        self.last_visit.map_or("не открывал(а)".into(), |d| {
            d.format("%d.%m.%Y").to_string()
        })
    }

    pub fn last_ack_text(&self) -> String {
        self.last_ack
            .map_or("—".into(), |d| format!("неделя с {}", d.format("%d.%m")))
    }

    /// Gets the diary on paper (§4): asked for it, or refused electronic processing (000 §3).
    pub fn on_paper(&self) -> bool {
        self.paper_extract || self.pd_consent == Some(false)
    }

    /// Whether the school may reach this parent electronically (000 §3).
    pub fn consent_text(&self) -> &'static str {
        match self.pd_consent {
            Some(true) => "согласие",
            Some(false) => "отказ",
            None => "не оформлено",
        }
    }
}

/// Parents of the pupils enrolled in the class now, with their diary activity. One query.
pub async fn parents_activity(
    pool: &PgPool,
    school: SchoolId,
    class_id: i64,
    today: NaiveDate,
) -> AppResult<Vec<ParentActivity>> {
    Ok(sqlx::query_as!(
        ParentActivity,
        r#"SELECT p.id AS pupil_id, p.last_name || ' ' || p.first_name AS "pupil!",
                  par.id AS parent_id,
                  par.last_name || ' ' || par.first_name ||
                      CASE WHEN par.middle_name = '' THEN '' ELSE ' ' || par.middle_name END AS "parent!",
                  pp.relation, par.phone, par.email, par.pd_consent,
                  par.account_id IS NOT NULL AS "has_account!",
                  (SELECT max(v.on_date) FROM diary_visit v
                   WHERE v.school_id = $1 AND v.pupil_id = p.id AND v.account_id = par.account_id) AS "last_visit?",
                  (SELECT coalesce(sum(v.views), 0) FROM diary_visit v
                   WHERE v.school_id = $1 AND v.pupil_id = p.id AND v.account_id = par.account_id
                     AND v.on_date > $3::date - 7)::bigint AS "views_week!",
                  (SELECT max(a.week_start) FROM diary_ack a
                   WHERE a.school_id = $1 AND a.pupil_id = p.id AND a.account_id = par.account_id) AS "last_ack?",
                  EXISTS (SELECT 1 FROM risk_pupil r WHERE r.school_id = $1 AND r.pupil_id = p.id) AS "risk!",
                  par.paper_extract
           FROM class_enrollment e
           JOIN pupil p ON p.school_id = e.school_id AND p.id = e.pupil_id
           JOIN pupil_parent pp ON pp.school_id = p.school_id AND pp.pupil_id = p.id
           JOIN parent par ON par.school_id = pp.school_id AND par.id = pp.parent_id
           WHERE e.school_id = $1 AND e.class_id = $2 AND e.ends_on IS NULL
           ORDER BY p.last_name, p.first_name, par.last_name, par.first_name"#,
        school.0,
        class_id,
        today
    )
    .fetch_all(pool)
    .await?)
}

/// A pupil of the risk group with the day's marks and absences and the parents' week.
#[derive(Clone, Debug)]
pub struct RiskLine {
    pub pupil_id: i64,
    pub pupil: String,
    pub note: String,
    pub marks_today: String,
    pub absences_today: i64,
    pub parent_views_week: i64,
}

/// The class's risk group as the class teacher checks it daily (003, 004). One query.
pub async fn risk_group(
    pool: &PgPool,
    school: SchoolId,
    class_id: i64,
    today: NaiveDate,
) -> AppResult<Vec<RiskLine>> {
    Ok(sqlx::query_as!(
        RiskLine,
        r#"SELECT p.id AS pupil_id, p.last_name || ' ' || p.first_name AS "pupil!", r.note,
                  coalesce((SELECT string_agg(s.short_name || ' ' ||
                                              CASE m.value WHEN 'pass' THEN 'зач' WHEN 'fail' THEN 'нз' ELSE m.value END,
                                              ', ' ORDER BY m.id)
                            FROM mark m
                            JOIN study_group g ON g.school_id = m.school_id AND g.id = m.group_id
                            JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
                            WHERE m.school_id = $1 AND m.pupil_id = p.id AND m.given_on = $3
                              AND m.value IS NOT NULL), '') AS "marks_today!",
                  (SELECT count(*) FROM absence a
                   JOIN lesson l ON l.school_id = a.school_id AND l.id = a.lesson_id
                   WHERE a.school_id = $1 AND a.pupil_id = p.id AND a.absent AND l.lesson_date = $3) AS "absences_today!",
                  (SELECT coalesce(sum(v.views), 0) FROM diary_visit v
                   WHERE v.school_id = $1 AND v.pupil_id = p.id AND v.role = 'parent'
                     AND v.on_date > $3::date - 7)::bigint AS "parent_views_week!"
           FROM risk_pupil r
           JOIN pupil p ON p.school_id = r.school_id AND p.id = r.pupil_id
           JOIN class_enrollment e ON e.school_id = p.school_id AND e.pupil_id = p.id
                                  AND e.class_id = $2 AND e.ends_on IS NULL
           WHERE r.school_id = $1
           ORDER BY p.last_name, p.first_name"#,
        school.0,
        class_id,
        today
    )
    .fetch_all(pool)
    .await?)
}

/// Puts a pupil of the class into the risk group or takes them out; audited.
pub async fn set_risk(
    pool: &PgPool,
    author: &Author<'_>,
    class_id: i64,
    pupil_id: i64,
    on: bool,
    note: &str,
) -> AppResult<()> {
    let (school, now) = (author.access.school_id, author.clock.now());
    let note = note.trim();
    let mut errors = crate::error::FieldErrors::new();
    crate::input::line(&mut errors, "note", note, crate::input::limits::LINE);
    errors.into_result()?;
    let mut tx = pool.begin().await?;
    let in_class = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM class_enrollment
                          WHERE school_id = $1 AND class_id = $2 AND pupil_id = $3 AND ends_on IS NULL) AS "x!""#,
        school.0,
        class_id,
        pupil_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if !in_class {
        return Err(AppError::NotFound);
    }
    let before = sqlx::query_scalar!(
        "SELECT note FROM risk_pupil WHERE school_id = $1 AND pupil_id = $2 FOR UPDATE",
        school.0,
        pupil_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if on {
        sqlx::query!(
            "INSERT INTO risk_pupil (school_id, pupil_id, note, marked_by, marked_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (school_id, pupil_id) DO UPDATE SET note = EXCLUDED.note",
            school.0,
            pupil_id,
            note,
            author.account_id,
            now
        )
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query!(
            "DELETE FROM risk_pupil WHERE school_id = $1 AND pupil_id = $2",
            school.0,
            pupil_id
        )
        .execute(&mut *tx)
        .await?;
    }
    let after = on.then_some(note);
    if before.as_deref() != after {
        audit::record(
            &mut tx,
            school,
            author.actor,
            Change::new(
                if on { "risk.marked" } else { "risk.cleared" },
                "pupil",
                pupil_id,
            )
            .before(json!({ "risk": before.is_some(), "note": before }))
            .after(json!({ "risk": on, "note": after })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Records that a parent of a pupil of the class asks for the printed weekly extract, or no
/// longer does (§4); audited. A parent of no pupil of the class is 404.
pub async fn set_paper_extract(
    pool: &PgPool,
    author: &Author<'_>,
    class_id: i64,
    parent_id: i64,
    on: bool,
) -> AppResult<()> {
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let before = sqlx::query_scalar!(
        "SELECT par.paper_extract FROM parent par
         WHERE par.school_id = $1 AND par.id = $2
           AND EXISTS (SELECT 1 FROM pupil_parent pp
                       JOIN class_enrollment e ON e.school_id = pp.school_id AND e.pupil_id = pp.pupil_id
                       WHERE pp.school_id = par.school_id AND pp.parent_id = par.id
                         AND e.class_id = $3 AND e.ends_on IS NULL)
         FOR UPDATE OF par",
        school.0,
        parent_id,
        class_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if before != on {
        sqlx::query!(
            "UPDATE parent SET paper_extract = $3 WHERE school_id = $1 AND id = $2",
            school.0,
            parent_id,
            on
        )
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            school,
            author.actor,
            Change::new("parent.paper_extract", "parent", parent_id)
                .before(json!({ "paper_extract": before }))
                .after(json!({ "paper_extract": on })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The pupils of the class (enrolled now) whose diary goes on paper: a parent asked for the
/// printed extract or refused electronic processing (§4).
pub async fn paper_pupils(pool: &PgPool, school: SchoolId, class_id: i64) -> AppResult<Vec<i64>> {
    Ok(sqlx::query_scalar!(
        "SELECT DISTINCT e.pupil_id FROM class_enrollment e
         JOIN pupil_parent pp ON pp.school_id = e.school_id AND pp.pupil_id = e.pupil_id
         JOIN parent par ON par.school_id = pp.school_id AND par.id = pp.parent_id
         WHERE e.school_id = $1 AND e.class_id = $2 AND e.ends_on IS NULL
           AND (par.paper_extract OR par.pd_consent IS FALSE)",
        school.0,
        class_id
    )
    .fetch_all(pool)
    .await?)
}

/// An absence of the class in a week, for the class teacher's reasons (J9).
#[derive(Clone, Debug)]
pub struct WeekAbsence {
    pub lesson_id: i64,
    pub pupil_id: i64,
    pub pupil: String,
    pub date: NaiveDate,
    pub lesson_number: i16,
    pub subject: String,
    pub reason: Option<String>,
}

impl WeekAbsence {
    pub fn reason_is(&self, r: &str) -> bool {
        self.reason.as_deref() == Some(r)
    }

    pub fn reason_short(&self) -> &'static str {
        self.reason
            .as_deref()
            .and_then(AbsenceReason::parse)
            .map_or("", AbsenceReason::short)
    }
}

/// The class's absences of the week starting `monday`, by pupil and lesson. One query.
pub async fn week_absences(
    pool: &PgPool,
    school: SchoolId,
    class_id: i64,
    monday: NaiveDate,
) -> AppResult<Vec<WeekAbsence>> {
    Ok(sqlx::query_as!(
        WeekAbsence,
        r#"SELECT a.lesson_id, a.pupil_id, p.last_name || ' ' || p.first_name AS "pupil!",
                  l.lesson_date AS date, l.lesson_number, s.name AS subject, a.reason
           FROM class_enrollment e
           JOIN absence a ON a.school_id = e.school_id AND a.pupil_id = e.pupil_id AND a.absent
           JOIN lesson l ON l.school_id = a.school_id AND l.id = a.lesson_id
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           JOIN pupil p ON p.school_id = e.school_id AND p.id = e.pupil_id
           WHERE e.school_id = $1 AND e.class_id = $2
             AND l.lesson_date BETWEEN greatest($3, e.starts_on) AND least($3::date + 6, coalesce(e.ends_on, $3::date + 6))
           ORDER BY p.last_name, p.first_name, l.lesson_date, l.lesson_number"#,
        school.0,
        class_id,
        monday
    )
    .fetch_all(pool)
    .await?)
}

/// The Monday of the last week in which the class had lessons before `today` (today's are not
/// over yet): where the class teacher's absences page and the printed extract open — on a Monday
/// the week just ended, not the new empty one; after the holidays the last week of lessons. The
/// current week when the class has had no lessons yet. One query.
pub async fn last_lesson_week(
    pool: &PgPool,
    school: SchoolId,
    class_id: i64,
    today: NaiveDate,
) -> AppResult<NaiveDate> {
    let last = sqlx::query_scalar!(
        r#"SELECT max(l.lesson_date) AS "last?"
           FROM study_group g
           JOIN lesson l ON l.school_id = g.school_id AND l.group_id = g.id
           WHERE g.school_id = $1 AND g.class_id = $2 AND l.lesson_date < $3
             AND l.status IN ('scheduled', 'held')"#,
        school.0,
        class_id,
        today
    )
    .fetch_one(pool)
    .await?;
    Ok(super::monday(last.unwrap_or(today)))
}

/// A pupil's line of the period report.
#[derive(Clone, Debug)]
pub struct ReportRow {
    pub pupil_id: i64,
    pub pupil: String,
    /// Per subject (in `ClassReport::subjects` order): the period mark, or the forecast.
    pub cells: Vec<String>,
    /// Per subject: for a forecast «н/а», what the pupil has so far — «ср. 3,67, 2 отм.» —
    /// else empty.
    pub notes: Vec<String>,
    /// What the pupil's marks make of them (успеваемость, качество, средний балл).
    pub standing: PupilStanding,
    pub lows: usize,
    pub not_attested: usize,
    /// Lessons missed while in the class, and of them by reason: УП, Б, НП, none given.
    pub absent: i64,
    pub excused: i64,
    pub ill: i64,
    pub unexcused: i64,
    pub no_reason: i64,
    /// The last day in the class, for a pupil who left it before the period's end.
    pub left_on: Option<NaiveDate>,
}

impl ReportRow {
    /// A subject's cell as the page shows it: «4», or a forecast «н/а (ср. 3,67, 2 отм.)».
    pub fn shown(&self, i: usize) -> String {
        match (self.cells.get(i), self.notes.get(i)) {
            (Some(c), Some(n)) if !n.is_empty() => format!("{c} ({n})"),
            (Some(c), _) => c.clone(),
            _ => String::new(),
        }
    }

    /// «выбыл(а) 05.10.2026», or nothing.
    pub fn note(&self) -> String {
        left_note(self.left_on)
    }

    /// The pupil's средний балл, empty without «5»–«2» marks.
    pub fn average_text(&self) -> String {
        self.standing
            .average()
            .map_or(String::new(), crate::exports::table::number_text)
    }
}

/// «выбыл(а) dd.mm.yyyy» for a pupil who left the class, or nothing.
pub fn left_note(left_on: Option<NaiveDate>) -> String {
    left_on.map_or(String::new(), |d| {
        format!("выбыл(а) {}", d.format("%d.%m.%Y"))
    })
}

/// Lessons missed by the class, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AbsenceTotals {
    pub absent: i64,
    pub excused: i64,
    pub ill: i64,
    pub unexcused: i64,
    pub no_reason: i64,
}

/// The report on progress and attendance of a class for a period (003, 004): preliminary (the
/// forecast of each period mark) until the period ends, final (the period marks) after; with the
/// class's totals (`rules::class_totals`: pupils who left before the period's end are shown but
/// not counted in успеваемость and качество; their absences while in the class are counted).
#[derive(Clone, Debug)]
pub struct ClassReport {
    pub final_report: bool,
    /// J11 as the school sets it: the marks a period needs at 1 hour a week and at 2 or more
    /// (the preliminary report's «н/а» means fewer than that so far).
    pub min_marks: (i64, i64),
    /// Some forecast is «н/а»: the page explains it.
    pub forecast_na: bool,
    pub subjects: Vec<String>,
    pub rows: Vec<ReportRow>,
    pub totals: Totals,
    pub absences: AbsenceTotals,
}

impl ClassReport {
    /// The report as a download: the page's table, its totals line and figures.
    pub fn table(&self, title: String) -> Table {
        let mut columns = vec![Column::new("Обучающийся", Kind::Text)];
        columns.extend(self.subjects.iter().map(|s| Column::new(s, Kind::Number)));
        for name in [
            "Средний балл",
            "«2» / незачёт",
            "Н/А",
            "Пропущено уроков",
            "Б",
            "УП",
            "НП",
            "Без причины",
        ] {
            columns.push(Column::new(name, Kind::Number));
        }
        columns.push(Column::new("Примечание", Kind::Text));
        let count = |n: usize| {
            if n > 0 {
                Cell::Number(n as f64)
            } else {
                Cell::Empty
            }
        };
        let opt = |x: Option<f64>| x.map_or(Cell::Empty, Cell::Number);
        let mut rows: Vec<Vec<Cell>> = self
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![Cell::text(r.pupil.clone())];
                row.extend(r.cells.iter().map(|c| Cell::mark(c)));
                row.extend([
                    opt(r.standing.average()),
                    count(r.lows),
                    count(r.not_attested),
                    Cell::Number(r.absent as f64),
                    Cell::Number(r.ill as f64),
                    Cell::Number(r.excused as f64),
                    Cell::Number(r.unexcused as f64),
                    Cell::Number(r.no_reason as f64),
                    Cell::text(r.note()),
                ]);
                row
            })
            .collect();
        let mut total = vec![Cell::text("Итого по классу")];
        total.extend(self.subjects.iter().map(|_| Cell::Empty));
        let a = &self.absences;
        total.extend([
            opt(self.totals.average),
            Cell::Empty,
            Cell::Empty,
            Cell::Number(a.absent as f64),
            Cell::Number(a.ill as f64),
            Cell::Number(a.excused as f64),
            Cell::Number(a.unexcused as f64),
            Cell::Number(a.no_reason as f64),
        ]);
        rows.push(total);
        rows.push(vec![]);
        rows.extend(totals_rows(&self.totals));
        Table {
            title,
            columns,
            rows,
            notes: DEFINITIONS.iter().map(|d| d.to_string()).collect(),
        }
    }
}

/// The figures of a class as rows of a download: name, value.
pub fn totals_rows(t: &Totals) -> Vec<Vec<Cell>> {
    let opt = |x: Option<f64>| x.map_or(Cell::text("—"), Cell::Number);
    vec![
        vec![
            Cell::text("Обучающихся с отметками"),
            Cell::Number(f64::from(t.pupils)),
        ],
        vec![
            Cell::text("Успевают"),
            Cell::Number(f64::from(t.progressing)),
        ],
        vec![Cell::text("Успеваемость, %"), opt(t.progress_percent)],
        vec![
            Cell::text("Учатся на «4» и «5»"),
            Cell::Number(f64::from(t.quality)),
        ],
        vec![Cell::text("Качество знаний, %"), opt(t.quality_percent)],
        vec![Cell::text("Средний балл"), opt(t.average)],
    ]
}

/// How the figures are counted, as the page says it under the table.
pub const DEFINITIONS: [&str; 5] = [
    "Успеваемость — доля обучающихся, у которых все отметки за период «3», «4», «5» или «зачёт», от числа обучающихся с отметками, × 100 %. Н/А (не аттестован), «2» и «незачёт» — неуспевающий.",
    "Качество знаний — доля обучающихся, у которых только «4» и «5» (зачёт не мешает), от числа обучающихся с отметками, × 100 %.",
    "ОСВ (освобождён) не входит ни в числитель, ни в знаменатель по этому предмету; обучающийся, у которого только ОСВ или нет отметок, не учитывается.",
    "Средний балл — среднее всех отметок «5»–«2» (Н/А, ОСВ и зачёты не учитываются).",
    "Выбывшие до конца периода показаны с датой выбытия и в успеваемость и качество не входят; их пропуски за время в классе учтены. Пропуски: Б — по болезни, УП — по уважительной причине, НП — по неуважительной, без причины — причина не указана.",
];

pub async fn report(
    pool: &PgPool,
    school: SchoolId,
    class_id: i64,
    grade: i16,
    period: &PeriodTab,
    today: NaiveDate,
) -> AppResult<ClassReport> {
    let (from, to) = (period.span.starts_on, period.span.ends_on);
    let final_report = today > to;
    // A pupil who was in the class during the period; `left_on` when every stay ended before
    // the period's end.
    let pupils = sqlx::query!(
        r#"SELECT p.id, p.last_name, p.first_name,
                  CASE WHEN bool_and(e.ends_on IS NOT NULL AND e.ends_on < $4) THEN max(e.ends_on) END AS left_on
           FROM class_enrollment e JOIN pupil p ON p.school_id = e.school_id AND p.id = e.pupil_id
           WHERE e.school_id = $1 AND e.class_id = $2 AND e.starts_on <= $4
             AND (e.ends_on IS NULL OR e.ends_on >= $3)
           GROUP BY p.id, p.last_name, p.first_name
           ORDER BY p.last_name, p.first_name, p.id"#,
        school.0,
        class_id,
        from,
        to
    )
    .fetch_all(pool)
    .await?;
    let groups = sqlx::query!(
        r#"SELECT g.id, s.name AS subject, s.scale,
                  (SELECT sgs.scale FROM subject_grade_scale sgs
                   WHERE sgs.school_id = $1 AND sgs.subject_id = s.id AND sgs.grade = $3) AS "grade_scale?",
                  coalesce((SELECT (max(t.hours_per_week) * 10)::integer FROM teaching_assignment t
                            WHERE t.school_id = $1 AND t.group_id = g.id), 10) AS "hours!",
                  sc.accumulation_min_marks_one_hour, sc.accumulation_min_marks_more_hours
           FROM study_group g
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           JOIN school sc ON sc.id = g.school_id
           WHERE g.school_id = $1 AND g.class_id = $2
           ORDER BY s.name, g.id"#,
        school.0,
        class_id,
        grade
    )
    .fetch_all(pool)
    .await?;
    let group_ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    let marks = sqlx::query!(
        r#"SELECT m.pupil_id, m.group_id, m.value AS "value!", (w.weight * 10)::bigint AS "weight!"
           FROM mark m JOIN work_type w ON w.school_id = m.school_id AND w.id = m.work_type_id
           WHERE m.school_id = $1 AND m.group_id = ANY($2) AND m.given_on BETWEEN $3 AND $4
             AND m.value IS NOT NULL"#,
        school.0,
        &group_ids,
        from,
        to
    )
    .fetch_all(pool)
    .await?;
    let period_marks = sqlx::query!(
        "SELECT pupil_id, group_id, value FROM period_mark
         WHERE school_id = $1 AND group_id = ANY($2) AND period_id = $3",
        school.0,
        &group_ids,
        period.id
    )
    .fetch_all(pool)
    .await?;
    let absences = sqlx::query!(
        r#"SELECT a.pupil_id, a.reason, count(*) AS "n!"
           FROM absence a
           JOIN lesson l ON l.school_id = a.school_id AND l.id = a.lesson_id
           JOIN class_enrollment e ON e.school_id = a.school_id AND e.pupil_id = a.pupil_id AND e.class_id = $2
           WHERE a.school_id = $1 AND a.absent AND l.lesson_date BETWEEN $3 AND $4
             AND l.lesson_date BETWEEN e.starts_on AND coalesce(e.ends_on, l.lesson_date)
           GROUP BY a.pupil_id, a.reason"#,
        school.0,
        class_id,
        from,
        to
    )
    .fetch_all(pool)
    .await?;

    let mut subjects: Vec<String> = Vec::new();
    let mut column_of: HashMap<i64, usize> = HashMap::new();
    for g in &groups {
        let i = match subjects.iter().position(|s| *s == g.subject) {
            Some(i) => i,
            None => {
                subjects.push(g.subject.clone());
                subjects.len() - 1
            }
        };
        column_of.insert(g.id, i);
    }
    let mut by_cell: HashMap<(i64, i64), (Vec<Weighted>, usize, usize)> = HashMap::new();
    for m in &marks {
        let entry = by_cell.entry((m.pupil_id, m.group_id)).or_default();
        match crate::journal::MarkValue::parse(&m.value).and_then(|v| v.points()) {
            Some(value) => entry.0.push(Weighted {
                value,
                weight_tenths: m.weight,
            }),
            None if m.value == "pass" => entry.1 += 1,
            None => entry.2 += 1,
        }
    }
    let set: HashMap<(i64, i64), Option<String>> = period_marks
        .into_iter()
        .map(|p| ((p.pupil_id, p.group_id), p.value))
        .collect();

    let mut rows: Vec<ReportRow> = pupils
        .iter()
        .map(|p| ReportRow {
            pupil_id: p.id,
            pupil: format!("{} {}", p.last_name, p.first_name),
            cells: vec![String::new(); subjects.len()],
            notes: vec![String::new(); subjects.len()],
            standing: PupilStanding::default(),
            lows: 0,
            not_attested: 0,
            absent: 0,
            excused: 0,
            ill: 0,
            unexcused: 0,
            no_reason: 0,
            left_on: p.left_on,
        })
        .collect();
    for row in &mut rows {
        let mut values: Vec<String> = Vec::new();
        for g in &groups {
            let scale = scale_for(
                Scale::parse(&g.scale).unwrap_or(Scale::FivePoint),
                g.grade_scale.as_deref().and_then(Scale::parse),
                grade,
            );
            let cell = by_cell.get(&(row.pupil_id, g.id));
            let set_value = set.get(&(row.pupil_id, g.id));
            if scale == Scale::NoMarks || (cell.is_none() && set_value.is_none()) {
                continue;
            }
            let mut note = String::new();
            let value: String = match set_value {
                Some(Some(v)) => v.clone(),
                _ => {
                    let (five, passes, fails) = cell.cloned().unwrap_or_default();
                    let rule = AccumulationRule {
                        min_marks_one_hour: i64::from(g.accumulation_min_marks_one_hour),
                        min_marks_more_hours: i64::from(g.accumulation_min_marks_more_hours),
                        ..AccumulationRule::default()
                    };
                    let hours = i64::from((g.hours + 9) / 10).max(1);
                    let forecast =
                        rules::suggest(&five, passes, fails, rule.min_marks(hours) as usize);
                    if forecast == rules::Suggestion::NotAttested {
                        let count = five.len() + passes + fails;
                        note = match rules::weighted_average(&five) {
                            Some(a) => {
                                format!("ср. {}, {count} отм.", format!("{a:.2}").replace('.', ","))
                            }
                            None if count > 0 => format!("{count} отм."),
                            None => "нет отметок".to_string(),
                        };
                    }
                    forecast.value().to_string()
                }
            };
            if matches!(value.as_str(), "2" | "fail") {
                row.lows += 1;
            }
            if value == "na" {
                row.not_attested += 1;
            }
            row.cells[column_of[&g.id]] = show_period_value(&value).to_string();
            row.notes[column_of[&g.id]] = note;
            values.push(value);
        }
        row.standing = PupilStanding::of(values.iter().map(String::as_str));
        for a in absences.iter().filter(|a| a.pupil_id == row.pupil_id) {
            row.absent += a.n;
            match a.reason.as_deref() {
                Some("excused") => row.excused += a.n,
                Some("ill") => row.ill += a.n,
                Some("unexcused") => row.unexcused += a.n,
                _ => row.no_reason += a.n,
            }
        }
    }
    let totals = Totals::of(
        rows.iter()
            .filter(|r| r.left_on.is_none())
            .map(|r| &r.standing),
    );
    let mut absences = AbsenceTotals::default();
    for r in &rows {
        absences.absent += r.absent;
        absences.excused += r.excused;
        absences.ill += r.ill;
        absences.unexcused += r.unexcused;
        absences.no_reason += r.no_reason;
    }
    let min_marks = groups.first().map_or((3, 5), |g| {
        (
            i64::from(g.accumulation_min_marks_one_hour),
            i64::from(g.accumulation_min_marks_more_hours),
        )
    });
    let forecast_na = rows.iter().any(|r| r.notes.iter().any(|n| !n.is_empty()));
    Ok(ClassReport {
        final_report,
        min_marks,
        forecast_na,
        subjects,
        rows,
        totals,
        absences,
    })
}

/// The school's «has not opened the diary for N days» setting (003: 2 weeks).
pub async fn inactivity_days(pool: &PgPool, school: SchoolId) -> AppResult<i64> {
    Ok(i64::from(
        sqlx::query_scalar!(
            "SELECT parent_inactivity_days FROM school WHERE id = $1",
            school.0
        )
        .fetch_one(pool)
        .await?,
    ))
}

/// A class as the class teacher's pages head it, and the period queries take it.
#[derive(Clone, Debug)]
pub struct ClassCtx {
    pub id: i64,
    pub name: String,
    pub grade: i16,
    pub academic_year_id: i64,
    pub shift: i16,
    pub week_days: i16,
}

impl ClassCtx {
    /// A pupil of this class in the shape the week and period queries take.
    pub fn pupil(&self, id: i64, full_name: String) -> super::DiaryPupil {
        super::DiaryPupil {
            id,
            full_name,
            class_id: Some(self.id),
            class_name: self.name.clone(),
            grade: self.grade,
            shift: self.shift,
            academic_year_id: Some(self.academic_year_id),
            week_days: self.week_days,
        }
    }
}

pub async fn class_ctx(pool: &PgPool, school: SchoolId, class_id: i64) -> AppResult<ClassCtx> {
    sqlx::query_as!(
        ClassCtx,
        r#"SELECT c.id, c.grade || '«' || c.letter || '»' AS "name!", c.grade, c.academic_year_id,
                  c.shift, coalesce(c.week_days, y.week_days) AS "week_days!"
           FROM school_class c
           JOIN academic_year y ON y.school_id = c.school_id AND y.id = c.academic_year_id
           WHERE c.school_id = $1 AND c.id = $2"#,
        school.0,
        class_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}
