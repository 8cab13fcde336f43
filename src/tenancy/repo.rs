//! Queries of schools.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use super::{School, SchoolId};

pub async fn get(pool: &PgPool, id: SchoolId) -> sqlx::Result<Option<School>> {
    sqlx::query_as!(
        School,
        r#"SELECT id AS "id: SchoolId", name, short_name, slug, time_zone FROM school WHERE id = $1"#,
        id.0
    )
    .fetch_optional(pool)
    .await
}

pub async fn slug_taken(conn: &mut PgConnection, slug: &str) -> sqlx::Result<bool> {
    Ok(
        sqlx::query_scalar!("SELECT 1 AS one FROM school WHERE slug = $1", slug)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

pub struct NewSchoolRow<'a> {
    pub name: &'a str,
    pub short_name: &'a str,
    pub slug: &'a str,
    pub time_zone: &'a str,
}

pub async fn insert(conn: &mut PgConnection, s: &NewSchoolRow<'_>) -> sqlx::Result<SchoolId> {
    let id = sqlx::query_scalar!(
        "INSERT INTO school (name, short_name, slug, time_zone) VALUES ($1, $2, $3, $4)
         RETURNING id",
        s.name,
        s.short_name,
        s.slug,
        s.time_zone
    )
    .fetch_one(conn)
    .await?;
    Ok(SchoolId(id))
}

/// A school in the operator's list.
#[derive(Debug, Clone)]
pub struct SchoolLine {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub time_zone: String,
    pub people: i64,
}

pub async fn list(pool: &PgPool) -> sqlx::Result<Vec<SchoolLine>> {
    sqlx::query_as!(
        SchoolLine,
        // A join, not a subquery per school's row: Citus cannot run that over a reference table.
        r#"SELECT s.id, s.name, s.slug, s.time_zone, coalesce(p.people, 0) AS "people!"
           FROM school s
           LEFT JOIN (SELECT m.school_id, count(DISTINCT m.account_id) AS people
                      FROM membership m WHERE m.revoked_at IS NULL
                      GROUP BY m.school_id) p ON p.school_id = s.id
           ORDER BY s.name"#
    )
    .fetch_all(pool)
    .await
}

/// The figures on the start pages of the school's management.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub year: Option<String>,
    pub classes: i64,
    pub pupils: i64,
    pub staff: i64,
    pub parents: i64,
    pub must_change_password: i64,
    pub signed_in_last_week: i64,
}

/// The school's figures on `today` (the school's day): the current year — the one containing
/// today, else the open one that started last, else the latest (the order of
/// `school_year::repo::current_year`) — with its classes and its pupils; a next year already
/// opened does not lend its name to this year's counts.
pub async fn overview(pool: &PgPool, id: SchoolId, today: NaiveDate) -> sqlx::Result<Overview> {
    sqlx::query_as!(
        Overview,
        r#"WITH y AS (SELECT y.id, y.name FROM academic_year y WHERE y.school_id = $1
                      ORDER BY ($2 BETWEEN y.starts_on AND y.ends_on) DESC, (y.closed_at IS NULL) DESC,
                               y.starts_on DESC
                      LIMIT 1)
           SELECT
             (SELECT y.name FROM y) AS year,
             (SELECT count(*) FROM school_class c JOIN y ON y.id = c.academic_year_id
              WHERE c.school_id = $1) AS "classes!",
             (SELECT count(DISTINCT e.pupil_id) FROM class_enrollment e
              JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
              JOIN y ON y.id = c.academic_year_id
              WHERE e.school_id = $1 AND (e.ends_on IS NULL OR e.ends_on >= $2)) AS "pupils!",
             (SELECT count(DISTINCT m.account_id) FROM membership m
              WHERE m.school_id = $1 AND m.revoked_at IS NULL
                AND m.role IN ('director', 'deputy', 'administrator', 'teacher', 'class_teacher'))
              AS "staff!",
             (SELECT count(DISTINCT m.account_id) FROM membership m
              WHERE m.school_id = $1 AND m.revoked_at IS NULL AND m.role = 'parent') AS "parents!",
             (SELECT count(DISTINCT a.id) FROM membership m JOIN account a ON a.id = m.account_id
              WHERE m.school_id = $1 AND m.revoked_at IS NULL AND a.must_change_password)
              AS "must_change_password!",
             (SELECT count(DISTINCT e.account_id) FROM account_event e
              WHERE e.school_id = $1 AND e.kind = 'school_entered'
                AND e.at > now() - interval '7 days') AS "signed_in_last_week!""#,
        id.0,
        today
    )
    .fetch_one(pool)
    .await
}

/// A pupil of a class, for class lists.
#[derive(Debug, Clone)]
pub struct PupilLine {
    pub pupil_id: i64,
    pub full_name: String,
    pub class_name: String,
}

/// Pupils enrolled now in a class, in Russian alphabetical order.
pub async fn class_pupils(
    pool: &PgPool,
    id: SchoolId,
    class_id: i64,
) -> sqlx::Result<Vec<PupilLine>> {
    sqlx::query_as!(
        PupilLine,
        r#"SELECT p.id AS pupil_id,
                  p.last_name || ' ' || p.first_name || ' ' || p.middle_name AS "full_name!",
                  c.grade || c.letter AS "class_name!"
           FROM class_enrollment e
           JOIN pupil p ON p.school_id = e.school_id AND p.id = e.pupil_id
           JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
           WHERE e.school_id = $1 AND e.class_id = $2 AND e.ends_on IS NULL
           ORDER BY p.last_name, p.first_name, p.middle_name"#,
        id.0,
        class_id
    )
    .fetch_all(pool)
    .await
}

/// A pupil with their current class.
pub async fn pupil(pool: &PgPool, id: SchoolId, pupil_id: i64) -> sqlx::Result<Option<PupilLine>> {
    sqlx::query_as!(
        PupilLine,
        r#"SELECT p.id AS pupil_id,
                  p.last_name || ' ' || p.first_name || ' ' || p.middle_name AS "full_name!",
                  coalesce((SELECT c.grade || c.letter FROM class_enrollment e
                            JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
                            WHERE e.school_id = p.school_id AND e.pupil_id = p.id
                              AND e.ends_on IS NULL
                            ORDER BY e.starts_on DESC LIMIT 1), '') AS "class_name!"
           FROM pupil p WHERE p.school_id = $1 AND p.id = $2"#,
        id.0,
        pupil_id
    )
    .fetch_optional(pool)
    .await
}

/// The name of a class ("5Б").
pub async fn class_name(
    pool: &PgPool,
    id: SchoolId,
    class_id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        r#"SELECT grade || letter AS "name!" FROM school_class WHERE school_id = $1 AND id = $2"#,
        id.0,
        class_id
    )
    .fetch_optional(pool)
    .await
}

/// The school's regulation settings (see `settings`).
pub async fn settings(
    conn: &mut PgConnection,
    id: SchoolId,
) -> sqlx::Result<Option<super::settings::Settings>> {
    sqlx::query_as!(
        super::settings::Settings,
        "SELECT mark_cutoff, homework_window_minutes, period_mark_grace_days,
                accumulation_min_marks_one_hour, accumulation_min_marks_more_hours,
                accumulation_grace_weeks, accumulation_grace_weeks_one_hour,
                parent_inactivity_days, digest_hour, digest_weekday, entry_lock_days, gia_entry_days,
                correction_needs_director, homework_limit_grade_1, homework_limit_grades_2_3,
                homework_limit_grades_4_5, homework_limit_grades_6_8, homework_limit_grades_9_11
         FROM school WHERE id = $1",
        id.0
    )
    .fetch_optional(conn)
    .await
}

/// The settings, locked for a change in the caller's transaction.
pub async fn lock_settings(
    conn: &mut PgConnection,
    id: SchoolId,
) -> sqlx::Result<Option<super::settings::Settings>> {
    sqlx::query_as!(
        super::settings::Settings,
        "SELECT mark_cutoff, homework_window_minutes, period_mark_grace_days,
                accumulation_min_marks_one_hour, accumulation_min_marks_more_hours,
                accumulation_grace_weeks, accumulation_grace_weeks_one_hour,
                parent_inactivity_days, digest_hour, digest_weekday, entry_lock_days, gia_entry_days,
                correction_needs_director, homework_limit_grade_1, homework_limit_grades_2_3,
                homework_limit_grades_4_5, homework_limit_grades_6_8, homework_limit_grades_9_11
         FROM school WHERE id = $1 FOR UPDATE",
        id.0
    )
    .fetch_optional(conn)
    .await
}

pub async fn update_settings(
    conn: &mut PgConnection,
    id: SchoolId,
    s: &super::settings::Settings,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE school
         SET mark_cutoff = $2, homework_window_minutes = $3, period_mark_grace_days = $4,
             accumulation_min_marks_one_hour = $5, accumulation_min_marks_more_hours = $6,
             accumulation_grace_weeks = $7, accumulation_grace_weeks_one_hour = $8,
             parent_inactivity_days = $9, digest_hour = $10, digest_weekday = $11,
             entry_lock_days = $12, gia_entry_days = $13, correction_needs_director = $14,
             homework_limit_grade_1 = $15, homework_limit_grades_2_3 = $16,
             homework_limit_grades_4_5 = $17, homework_limit_grades_6_8 = $18,
             homework_limit_grades_9_11 = $19
         WHERE id = $1",
        id.0,
        s.mark_cutoff,
        s.homework_window_minutes,
        s.period_mark_grace_days,
        s.accumulation_min_marks_one_hour,
        s.accumulation_min_marks_more_hours,
        s.accumulation_grace_weeks,
        s.accumulation_grace_weeks_one_hour,
        s.parent_inactivity_days,
        s.digest_hour,
        s.digest_weekday,
        s.entry_lock_days,
        s.gia_entry_days,
        s.correction_needs_director,
        s.homework_limit_grade_1,
        s.homework_limit_grades_2_3,
        s.homework_limit_grades_4_5,
        s.homework_limit_grades_6_8,
        s.homework_limit_grades_9_11
    )
    .execute(conn)
    .await?;
    Ok(())
}
