//! A pupil's marks for a study period, per subject: every mark with its date and work type, the
//! weighted average, the period mark when set, and the forecast of it (003: teachers inform
//! pupils and parents of the forecast) — the suggestion of J12 with the Н/А of J11. Also the
//! class's teachers and the control works of the period (§4). Two queries for the marks (the
//! groups with their period marks and absence counts; the marks).

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use super::{DiaryPupil, show_mark};
use crate::error::AppResult;
use crate::journal::grid::{self, PeriodTab};
use crate::journal::show_period_value;
use crate::rules::grading::{Scale, scale_for};
use crate::rules::journal::{self as rules, AccumulationRule, Weighted};
use crate::tenancy::SchoolId;

/// The periods of the pupil's grade in their year.
pub async fn periods(
    conn: &mut PgConnection,
    school: SchoolId,
    pupil: &DiaryPupil,
) -> AppResult<Vec<PeriodTab>> {
    let Some(year) = pupil.academic_year_id else {
        return Ok(Vec::new());
    };
    grid::grade_periods(conn, school, year, pupil.grade).await
}

/// The requested period, else the one `today` is in, else the last one begun, else the first.
pub fn pick(periods: &[PeriodTab], requested: Option<i64>, today: NaiveDate) -> Option<&PeriodTab> {
    requested
        .and_then(|id| periods.iter().find(|p| p.id == id))
        .or_else(|| periods.iter().find(|p| p.span.contains(today)))
        .or_else(|| periods.iter().rev().find(|p| p.span.starts_on <= today))
        .or_else(|| periods.first())
}

/// A mark in the period list.
#[derive(Clone, Debug)]
pub struct PeriodMarkLine {
    pub given_on: NaiveDate,
    pub value: String,
    pub work_type: String,
    pub document: Option<String>,
    /// The work type's weight, in tenths.
    pub weight_tenths: i64,
}

impl PeriodMarkLine {
    /// «вес 2».
    pub fn weight_text(&self) -> String {
        super::weight_text(self.weight_tenths)
    }

    pub fn shown(&self) -> &'static str {
        show_mark(&self.value)
    }

    pub fn low(&self) -> bool {
        matches!(self.value.as_str(), "2" | "fail")
    }
}

/// One subject (group) of the pupil in the period.
#[derive(Clone, Debug)]
pub struct SubjectMarks {
    pub group_id: i64,
    pub subject: String,
    pub teachers: String,
    pub scale: Scale,
    pub marks: Vec<PeriodMarkLine>,
    pub average: Option<f64>,
    /// The J12 suggestion from the marks so far (Н/А with too few, J11).
    pub forecast: &'static str,
    /// The period mark, when set; «отложена до …» when deferred.
    pub period_mark: Option<String>,
    pub absences: i64,
}

impl SubjectMarks {
    pub fn average_text(&self) -> String {
        self.average
            .map(|a| format!("{a:.2}").replace('.', ","))
            .unwrap_or_default()
    }

    pub fn forecast_text(&self) -> &'static str {
        if self.scale == Scale::NoMarks {
            ""
        } else {
            show_period_value(self.forecast)
        }
    }

    pub fn no_marks(&self) -> bool {
        self.scale == Scale::NoMarks
    }
}

/// The pupil's subjects in the period with their marks, averages, forecasts and period marks.
///
/// On the page's connection: each acquire from the pool costs a round trip that sets the
/// request's scope (`db::scope`).
pub async fn subjects(
    conn: &mut PgConnection,
    school: SchoolId,
    pupil: &DiaryPupil,
    period: &PeriodTab,
) -> AppResult<Vec<SubjectMarks>> {
    let (from, to) = (period.span.starts_on, period.span.ends_on);
    let groups = sqlx::query!(
        // The period marks and the absences per group come with the groups: one round trip.
        r#"WITH ab AS MATERIALIZED (
               SELECT l.group_id, count(*) AS n
               FROM absence a
               JOIN lesson l ON l.school_id = a.school_id AND l.id = a.lesson_id
               WHERE a.school_id = $1 AND a.pupil_id = $2 AND a.absent
                 AND l.lesson_date BETWEEN $3 AND $4
               GROUP BY l.group_id)
           SELECT DISTINCT ON (s.name, g.id) g.id, s.name AS subject, s.scale AS subject_scale,
                  (SELECT sgs.scale FROM subject_grade_scale sgs
                   WHERE sgs.school_id = $1 AND sgs.subject_id = s.id AND sgs.grade = $5) AS "grade_scale?",
                  coalesce((SELECT (max(t.hours_per_week) * 10)::integer FROM teaching_assignment t
                            WHERE t.school_id = $1 AND t.group_id = g.id), 10) AS "hours!",
                  coalesce((SELECT string_agg(a.last_name || ' ' || a.first_name ||
                                              CASE WHEN a.middle_name = '' THEN '' ELSE ' ' || a.middle_name END,
                                              ', ' ORDER BY a.last_name)
                            FROM teaching_assignment t JOIN account a ON a.id = t.teacher_id
                            WHERE t.school_id = $1 AND t.group_id = g.id), '') AS "teachers!",
                  sc.accumulation_min_marks_one_hour, sc.accumulation_min_marks_more_hours,
                  pm.pupil_id IS NOT NULL AS "has_period_mark!", pm.value AS "period_value?",
                  pm.deferred_until AS "period_deferred?", coalesce(ab.n, 0) AS "absences!"
           FROM group_pupil gp
           JOIN study_group g ON g.school_id = gp.school_id AND g.id = gp.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           JOIN school sc ON sc.id = g.school_id
           LEFT JOIN period_mark pm ON pm.school_id = $1 AND pm.group_id = g.id AND pm.period_id = $7
                                   AND pm.pupil_id = $2
           LEFT JOIN ab ON ab.group_id = g.id
           WHERE gp.school_id = $1 AND gp.pupil_id = $2 AND g.academic_year_id = $6
             AND gp.starts_on <= $4 AND (gp.ends_on IS NULL OR gp.ends_on >= $3)
           ORDER BY s.name, g.id"#,
        school.0,
        pupil.id,
        from,
        to,
        pupil.grade,
        pupil.academic_year_id.unwrap_or(0),
        period.id
    )
    .fetch_all(&mut *conn)
    .await?;

    let marks = sqlx::query!(
        r#"SELECT m.group_id, m.given_on, m.value AS "value!", w.name AS work_type, m.document,
                  (w.weight * 10)::bigint AS "weight_tenths!"
           FROM mark m
           JOIN work_type w ON w.school_id = m.school_id AND w.id = m.work_type_id
           WHERE m.school_id = $1 AND m.pupil_id = $2 AND m.given_on BETWEEN $3 AND $4
             AND m.value IS NOT NULL
           ORDER BY m.given_on, m.id"#,
        school.0,
        pupil.id,
        from,
        to
    )
    .fetch_all(&mut *conn)
    .await?;

    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let scale = scale_for(
            Scale::parse(&g.subject_scale).unwrap_or(Scale::FivePoint),
            g.grade_scale.as_deref().and_then(Scale::parse),
            pupil.grade,
        );
        let rule = AccumulationRule {
            min_marks_one_hour: i64::from(g.accumulation_min_marks_one_hour),
            min_marks_more_hours: i64::from(g.accumulation_min_marks_more_hours),
            ..AccumulationRule::default()
        };
        let hours = i64::from((g.hours + 9) / 10).max(1);
        let mine: Vec<_> = marks.iter().filter(|m| m.group_id == g.id).collect();
        let five: Vec<Weighted> = mine
            .iter()
            .filter_map(|m| {
                crate::journal::MarkValue::parse(&m.value)
                    .and_then(|v| v.points())
                    .map(|value| Weighted {
                        value,
                        weight_tenths: m.weight_tenths,
                    })
            })
            .collect();
        let passes = mine.iter().filter(|m| m.value == "pass").count();
        let fails = mine.iter().filter(|m| m.value == "fail").count();
        let period_mark = g
            .has_period_mark
            .then(|| match (&g.period_value, g.period_deferred) {
                (Some(v), _) => show_period_value(v).to_string(),
                (None, Some(d)) => format!("отложена до {}", d.format("%d.%m.%Y")),
                (None, None) => String::new(),
            });
        out.push(SubjectMarks {
            group_id: g.id,
            subject: g.subject,
            teachers: g.teachers,
            scale,
            average: rules::weighted_average(&five),
            forecast: rules::suggest(&five, passes, fails, rule.min_marks(hours) as usize).value(),
            period_mark,
            marks: mine
                .into_iter()
                .map(|m| PeriodMarkLine {
                    given_on: m.given_on,
                    value: m.value.clone(),
                    work_type: m.work_type.clone(),
                    document: m.document.clone(),
                    weight_tenths: m.weight_tenths,
                })
                .collect(),
            absences: g.absences,
        });
    }
    Ok(out)
}

/// A teacher of the class or of one of the pupil's groups.
#[derive(Clone, Debug)]
pub struct TeacherLine {
    pub subject: String,
    pub name: String,
}

/// A control work of the period (§2 ВШК, shown to pupils and parents).
#[derive(Clone, Debug)]
pub struct ControlWorkLine {
    pub date: NaiveDate,
    pub subject: String,
    pub form: String,
    pub title: String,
}

/// A holiday of the pupil's year.
#[derive(Clone, Debug)]
pub struct HolidayLine {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// What the «О классе» part of the diary shows: the class teacher, the teachers of each
/// subject, the control works of the period, the holidays of the year.
#[derive(Clone, Debug)]
pub struct ClassInfo {
    pub class_teacher: Option<String>,
    pub teachers: Vec<TeacherLine>,
    pub control_works: Vec<ControlWorkLine>,
    pub holidays: Vec<HolidayLine>,
}

pub async fn class_info(
    pool: &PgPool,
    school: SchoolId,
    pupil: &DiaryPupil,
    period: Option<&PeriodTab>,
    today: NaiveDate,
) -> AppResult<ClassInfo> {
    let year = pupil.academic_year_id.unwrap_or(0);
    let class_teacher = sqlx::query_scalar!(
        r#"SELECT a.last_name || ' ' || a.first_name ||
                  CASE WHEN a.middle_name = '' THEN '' ELSE ' ' || a.middle_name END AS "name!"
           FROM membership m JOIN account a ON a.id = m.account_id
           WHERE m.school_id = $1 AND m.class_id = $2 AND m.role = 'class_teacher'
             AND m.revoked_at IS NULL
           ORDER BY m.created_at LIMIT 1"#,
        school.0,
        pupil.class_id.unwrap_or(0)
    )
    .fetch_optional(pool)
    .await?;
    let teachers = sqlx::query_as!(
        TeacherLine,
        r#"SELECT DISTINCT s.name AS subject,
                  a.last_name || ' ' || a.first_name ||
                  CASE WHEN a.middle_name = '' THEN '' ELSE ' ' || a.middle_name END AS "name!"
           FROM group_pupil gp
           JOIN study_group g ON g.school_id = gp.school_id AND g.id = gp.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           JOIN teaching_assignment t ON t.school_id = g.school_id AND t.group_id = g.id
           JOIN account a ON a.id = t.teacher_id
           WHERE gp.school_id = $1 AND gp.pupil_id = $2 AND g.academic_year_id = $3
             AND gp.starts_on <= $4 AND (gp.ends_on IS NULL OR gp.ends_on >= $4)
           ORDER BY 1, 2"#,
        school.0,
        pupil.id,
        year,
        today
    )
    .fetch_all(pool)
    .await?;
    let (from, to) = period.map_or((today, today), |p| (p.span.starts_on, p.span.ends_on));
    let control_works = sqlx::query_as!(
        ControlWorkLine,
        r#"SELECT cw.work_date AS date, s.name AS subject, cw.form, cw.title
           FROM control_work cw
           JOIN group_pupil gp ON gp.school_id = cw.school_id AND gp.group_id = cw.group_id
                              AND gp.pupil_id = $2 AND gp.starts_on <= cw.work_date
                              AND (gp.ends_on IS NULL OR gp.ends_on >= cw.work_date)
           JOIN study_group g ON g.school_id = cw.school_id AND g.id = cw.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           WHERE cw.school_id = $1 AND cw.work_date BETWEEN $3 AND $4
           ORDER BY cw.work_date, s.name"#,
        school.0,
        pupil.id,
        from,
        to
    )
    .fetch_all(pool)
    .await?;
    let holidays = sqlx::query_as!(
        HolidayLine,
        "SELECT name, starts_on, ends_on FROM holiday
         WHERE school_id = $1 AND academic_year_id = $2 AND $3 BETWEEN grade_from AND grade_to
         ORDER BY starts_on",
        school.0,
        year,
        pupil.grade
    )
    .fetch_all(pool)
    .await?;
    Ok(ClassInfo {
        class_teacher,
        teachers,
        control_works,
        holidays,
    })
}
