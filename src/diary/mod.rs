//! The diary (regulations §4): what pupils and parents read — the week of lessons with topics,
//! homework, marks and absences, the marks of a period with the forecast of the period mark, the
//! class's teachers and control works — and the facts around it: who opened it (003), which
//! weeks a parent acknowledged (000 §15), the class teacher's risk group and reports.
//!
//! Every read is one pupil's, decided by `reader`; every page is a few indexed queries.

pub mod class;
pub mod live;
pub mod marks;
pub mod visits;
pub mod week;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sqlx::PgPool;

use crate::authz::Role;
use crate::error::{AppError, AppResult};
use crate::tenancy::SchoolId;

/// Who is reading a pupil's diary, and as what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// The pupil themself.
    Pupil,
    /// A parent with a membership for this child.
    Parent,
    /// The class teacher of the pupil's class, or the school's management: read-only view of
    /// what the family sees.
    Staff,
}

/// A person reading a pupil's diary: the pair the visits and acknowledgments are kept for.
#[derive(Clone, Copy, Debug)]
pub struct Who {
    pub pupil_id: i64,
    pub account_id: i64,
    pub reader: Reader,
}

/// The pupil as the diary heads them.
#[derive(Clone, Debug)]
pub struct DiaryPupil {
    pub id: i64,
    pub full_name: String,
    pub class_id: Option<i64>,
    pub class_name: String,
    pub grade: i16,
    pub shift: i16,
    pub academic_year_id: Option<i64>,
    pub week_days: i16,
}

/// Who the member is to the pupil, from what `reader_and_pupil` asked: parent, pupil
/// or staff, else 404 (a parent or pupil asking of another child, a pupil that does not exist)
/// or 403.
fn judge_reader(
    role: Role,
    parent: bool,
    pupil: bool,
    in_class: bool,
    exists: bool,
) -> AppResult<Reader> {
    match role {
        Role::Parent if parent => Ok(Reader::Parent),
        Role::Pupil if pupil => Ok(Reader::Pupil),
        Role::Parent | Role::Pupil => Err(AppError::NotFound),
        Role::ClassTeacher if in_class => Ok(Reader::Staff),
        Role::Director | Role::Deputy if exists => Ok(Reader::Staff),
        _ if !exists => Err(AppError::NotFound),
        _ => Err(AppError::Forbidden),
    }
}

/// May the member read this pupil's diary? Parents and pupils: only their own children / self
/// (anything else is 404, as if it did not exist — even in the same class); the class teacher of
/// the pupil's class, the director and deputies read; other staff 403.
/// Asked with the pupil and the class they are in on `day` (or their latest class) and a
/// parent's children, in one statement — the heading of a diary page; what it reads of the
/// pupil is returned only once the member may read the diary.
pub async fn reader_and_pupil(
    db: impl sqlx::PgExecutor<'_>,
    school: SchoolId,
    account_id: i64,
    role: Role,
    class_id: Option<i64>,
    pupil_id: i64,
    day: NaiveDate,
) -> AppResult<(Reader, DiaryPupil, Vec<Child>)> {
    // Subqueries name the school by `$1`, not the outer row's column: Citus routes it (SCALE.md).
    let r = sqlx::query!(
        r#"SELECT
             EXISTS (SELECT 1 FROM membership m
                     WHERE m.school_id = $1 AND m.account_id = $2 AND m.pupil_id = $3
                       AND m.role = 'parent' AND m.revoked_at IS NULL) AS "parent!",
             EXISTS (SELECT 1 FROM membership m
                     WHERE m.school_id = $1 AND m.account_id = $2 AND m.pupil_id = $3
                       AND m.role = 'pupil' AND m.revoked_at IS NULL) AS "pupil!",
             EXISTS (SELECT 1 FROM class_enrollment e
                     WHERE e.school_id = $1 AND e.pupil_id = $3 AND e.class_id = $4
                       AND e.ends_on IS NULL) AS "in_class!",
             p.id AS "id?", p.last_name || ' ' || p.first_name AS "full_name?",
             c.id AS "class_id?", c.grade AS "grade?", c.letter AS "letter?",
             c.shift AS "shift?", c.academic_year_id AS "academic_year_id?",
             coalesce(c.week_days, y.week_days) AS "week_days?",
             CASE WHEN $6 THEN
                 (SELECT coalesce(json_agg(json_build_object(
                              'pupil_id', cp.id, 'full_name', cp.last_name || ' ' || cp.first_name)
                              ORDER BY cp.last_name, cp.first_name), '[]')
                  FROM membership cm
                  JOIN pupil cp ON cp.school_id = cm.school_id AND cp.id = cm.pupil_id
                  WHERE cm.school_id = $1 AND cm.account_id = $2 AND cm.role = 'parent'
                    AND cm.revoked_at IS NULL)
             END AS children
           FROM (VALUES (1)) AS one (x)
           LEFT JOIN pupil p ON p.school_id = $1 AND p.id = $3
           LEFT JOIN LATERAL (
               SELECT e.class_id FROM class_enrollment e
               WHERE e.school_id = $1 AND e.pupil_id = p.id
               ORDER BY (e.starts_on <= $5 AND (e.ends_on IS NULL OR e.ends_on >= $5)) DESC,
                        e.starts_on DESC
               LIMIT 1) e ON true
           LEFT JOIN school_class c ON c.school_id = $1 AND c.id = e.class_id
           LEFT JOIN academic_year y ON y.school_id = $1 AND y.id = c.academic_year_id"#,
        school.0,
        account_id,
        pupil_id,
        class_id,
        day,
        role == Role::Parent
    )
    .fetch_one(db)
    .await?;
    let reader = judge_reader(role, r.parent, r.pupil, r.in_class, r.id.is_some())?;
    let (Some(id), Some(full_name)) = (r.id, r.full_name) else {
        return Err(AppError::NotFound);
    };
    let children = match r.children {
        Some(list) if reader == Reader::Parent => serde_json::from_value(list)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("children of a parent: {e}")))?,
        _ => Vec::new(),
    };
    let pupil = DiaryPupil {
        id,
        full_name,
        class_id: r.class_id,
        class_name: class_name(r.grade, r.letter),
        grade: r.grade.unwrap_or(5),
        shift: r.shift.unwrap_or(1),
        academic_year_id: r.academic_year_id,
        week_days: r.week_days.unwrap_or(5),
    };
    Ok((reader, pupil, children))
}

/// «5«Б»», or nothing without a class.
fn class_name(grade: Option<i16>, letter: Option<String>) -> String {
    match (grade, letter) {
        (Some(g), Some(l)) => format!("{g}«{l}»"),
        _ => String::new(),
    }
}

/// The Monday of the week `day` is in.
pub fn monday(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// A child the signed-in person may switch to (a parent of several children).
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Child {
    pub pupil_id: i64,
    pub full_name: String,
}

/// When a parent acknowledged the week, if they did.
pub async fn acknowledged_at(
    db: impl sqlx::PgExecutor<'_>,
    school: SchoolId,
    pupil_id: i64,
    account_id: i64,
    week_start: NaiveDate,
) -> AppResult<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT acknowledged_at AS "at: DateTime<Utc>" FROM diary_ack
           WHERE school_id = $1 AND pupil_id = $2 AND account_id = $3 AND week_start = $4"#,
        school.0,
        pupil_id,
        account_id,
        week_start
    )
    .fetch_optional(db)
    .await?)
}

/// «Ознакомлен» (000 §15): a parent confirms having read a week of the child's diary. Only a
/// parent of the child, only a week that has begun; a second confirmation keeps the first time.
pub async fn acknowledge(
    pool: &PgPool,
    school: SchoolId,
    who: Who,
    week_start: NaiveDate,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> AppResult<()> {
    if who.reader != Reader::Parent {
        return Err(AppError::Forbidden);
    }
    if week_start > today {
        return Err(AppError::Refused(
            "Нельзя подтвердить ознакомление с неделей, которая ещё не началась.".into(),
        ));
    }
    sqlx::query!(
        "INSERT INTO diary_ack (school_id, pupil_id, account_id, week_start, acknowledged_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
        school.0,
        who.pupil_id,
        who.account_id,
        monday(week_start),
        now
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// «5», «4», «зач», «нз» as the diary shows a current mark.
pub fn show_mark(value: &str) -> &'static str {
    crate::journal::MarkValue::parse(value).map_or("", crate::journal::MarkValue::show)
}

/// «вес 1», «вес 1,5»: a work type's weight in the weighted average, given in tenths.
pub fn weight_text(tenths: i64) -> String {
    if tenths % 10 == 0 {
        format!("вес {}", tenths / 10)
    } else {
        format!("вес {},{}", tenths / 10, tenths % 10)
    }
}

/// «пн, 23.11» — a short day heading.
pub fn day_heading(day: NaiveDate) -> String {
    const DAYS: [&str; 7] = [
        "Понедельник",
        "Вторник",
        "Среда",
        "Четверг",
        "Пятница",
        "Суббота",
        "Воскресенье",
    ];
    format!(
        "{}, {}",
        DAYS[day.weekday().num_days_from_monday() as usize],
        day.format("%d.%m")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_starts_on_monday() {
        let sunday = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let monday_ = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(monday(sunday), monday_);
        assert_eq!(monday(monday_), monday_);
        assert_eq!(day_heading(monday_), "Понедельник, 23.11");
    }

    #[test]
    fn a_weight_reads_as_a_russian_number() {
        assert_eq!(weight_text(10), "вес 1");
        assert_eq!(weight_text(20), "вес 2");
        assert_eq!(weight_text(15), "вес 1,5");
    }
}
