//! Queries of the school year's structure.

use chrono::NaiveDate;
use sqlx::PgConnection;

use super::service::NewPupil;
use crate::tenancy::SchoolId;

pub async fn insert_year(
    conn: &mut PgConnection,
    school_id: SchoolId,
    name: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO academic_year (school_id, name, starts_on, ends_on) VALUES ($1, $2, $3, $4)
         RETURNING id",
        school_id.0,
        name,
        starts_on,
        ends_on
    )
    .fetch_one(conn)
    .await
}

pub async fn insert_class(
    conn: &mut PgConnection,
    school_id: SchoolId,
    year_id: i64,
    grade: i16,
    letter: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO school_class (school_id, academic_year_id, grade, letter)
         VALUES ($1, $2, $3, $4) RETURNING id",
        school_id.0,
        year_id,
        grade,
        letter
    )
    .fetch_one(conn)
    .await
}

/// The year whose dates hold `today`, else the latest open one.
pub async fn current_year(
    conn: &mut PgConnection,
    school_id: SchoolId,
    today: NaiveDate,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "SELECT id FROM academic_year WHERE school_id = $1
         ORDER BY ($2 BETWEEN starts_on AND ends_on) DESC, (closed_at IS NULL) DESC, starts_on DESC
         LIMIT 1",
        school_id.0,
        today
    )
    .fetch_optional(conn)
    .await
}

pub async fn insert_pupil(
    conn: &mut PgConnection,
    school_id: SchoolId,
    pupil: &NewPupil<'_>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO pupil (school_id, last_name, first_name, middle_name, birth_date, sex)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        school_id.0,
        pupil.last_name,
        pupil.first_name,
        pupil.middle_name,
        pupil.birth_date,
        pupil.sex
    )
    .fetch_one(conn)
    .await
}

pub async fn insert_enrollment(
    conn: &mut PgConnection,
    school_id: SchoolId,
    pupil_id: i64,
    class_id: i64,
    starts_on: NaiveDate,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO class_enrollment (school_id, pupil_id, class_id, starts_on)
         VALUES ($1, $2, $3, $4) RETURNING id",
        school_id.0,
        pupil_id,
        class_id,
        starts_on
    )
    .fetch_one(conn)
    .await
}

/// An academic year as the setup pages show it.
#[derive(Debug, Clone)]
pub struct YearRow {
    pub id: i64,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub week_days: i16,
    pub closed: bool,
}

pub async fn years(
    pool: impl sqlx::PgExecutor<'_>,
    school_id: SchoolId,
) -> sqlx::Result<Vec<YearRow>> {
    sqlx::query_as!(
        YearRow,
        r#"SELECT id, name, starts_on, ends_on, week_days, closed_at IS NOT NULL AS "closed!"
           FROM academic_year WHERE school_id = $1 ORDER BY starts_on DESC"#,
        school_id.0
    )
    .fetch_all(pool)
    .await
}

pub async fn year(
    conn: &mut PgConnection,
    school_id: SchoolId,
    id: i64,
) -> sqlx::Result<Option<YearRow>> {
    sqlx::query_as!(
        YearRow,
        r#"SELECT id, name, starts_on, ends_on, week_days, closed_at IS NOT NULL AS "closed!"
           FROM academic_year WHERE school_id = $1 AND id = $2"#,
        school_id.0,
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn year_name_taken(
    conn: &mut PgConnection,
    school_id: SchoolId,
    name: &str,
) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(
        "SELECT 1 AS one FROM academic_year WHERE school_id = $1 AND name = $2",
        school_id.0,
        name
    )
    .fetch_optional(conn)
    .await?
    .is_some())
}

pub async fn set_week_days(
    conn: &mut PgConnection,
    school_id: SchoolId,
    year_id: i64,
    week_days: i16,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE academic_year SET week_days = $3 WHERE school_id = $1 AND id = $2",
        school_id.0,
        year_id,
        week_days
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct SchemeRow {
    pub id: i64,
    pub kind: String,
    pub grade_from: i16,
    pub grade_to: i16,
}

pub async fn schemes(
    conn: &mut PgConnection,
    school_id: SchoolId,
    year_id: i64,
) -> sqlx::Result<Vec<SchemeRow>> {
    sqlx::query_as!(
        SchemeRow,
        "SELECT id, kind, grade_from, grade_to FROM period_scheme
         WHERE school_id = $1 AND academic_year_id = $2 ORDER BY grade_from",
        school_id.0,
        year_id
    )
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone)]
pub struct PeriodRow {
    pub scheme_id: i64,
    pub number: i16,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// Every period of every scheme of the year, in one query.
pub async fn periods(
    conn: &mut PgConnection,
    school_id: SchoolId,
    year_id: i64,
) -> sqlx::Result<Vec<PeriodRow>> {
    sqlx::query_as!(
        PeriodRow,
        "SELECT p.scheme_id, p.number, p.starts_on, p.ends_on
         FROM study_period p
         JOIN period_scheme s ON s.school_id = p.school_id AND s.id = p.scheme_id
         WHERE p.school_id = $1 AND s.academic_year_id = $2
         ORDER BY p.scheme_id, p.number",
        school_id.0,
        year_id
    )
    .fetch_all(conn)
    .await
}

pub async fn insert_scheme(
    conn: &mut PgConnection,
    school_id: SchoolId,
    year_id: i64,
    kind: &str,
    grades: (i16, i16),
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO period_scheme (school_id, academic_year_id, kind, grade_from, grade_to)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        school_id.0,
        year_id,
        kind,
        grades.0,
        grades.1
    )
    .fetch_one(conn)
    .await
}

pub async fn insert_period(
    conn: &mut PgConnection,
    school_id: SchoolId,
    scheme_id: i64,
    number: i16,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO study_period (school_id, scheme_id, number, starts_on, ends_on)
         VALUES ($1, $2, $3, $4, $5)",
        school_id.0,
        scheme_id,
        number,
        starts_on,
        ends_on
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a scheme of the year (its periods go with it); false when there is none.
pub async fn delete_scheme(
    conn: &mut PgConnection,
    school_id: SchoolId,
    year_id: i64,
    scheme_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "DELETE FROM period_scheme WHERE school_id = $1 AND academic_year_id = $2 AND id = $3",
        school_id.0,
        year_id,
        scheme_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone)]
pub struct HolidayRow {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub grade_from: i16,
    pub grade_to: i16,
}

pub async fn holidays(
    conn: &mut PgConnection,
    school_id: SchoolId,
    year_id: i64,
) -> sqlx::Result<Vec<HolidayRow>> {
    sqlx::query_as!(
        HolidayRow,
        "SELECT id, kind, name, starts_on, ends_on, grade_from, grade_to FROM holiday
         WHERE school_id = $1 AND academic_year_id = $2 ORDER BY starts_on, grade_from",
        school_id.0,
        year_id
    )
    .fetch_all(conn)
    .await
}

/// A holiday to insert.
#[derive(Debug, Clone)]
pub struct NewHoliday<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub grade_from: i16,
    pub grade_to: i16,
}

pub async fn insert_holiday(
    conn: &mut PgConnection,
    school_id: SchoolId,
    year_id: i64,
    h: &NewHoliday<'_>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO holiday (school_id, academic_year_id, kind, name, starts_on, ends_on,
                              grade_from, grade_to)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        school_id.0,
        year_id,
        h.kind,
        h.name,
        h.starts_on,
        h.ends_on,
        h.grade_from,
        h.grade_to
    )
    .fetch_one(conn)
    .await
}

pub async fn delete_holiday(
    conn: &mut PgConnection,
    school_id: SchoolId,
    year_id: i64,
    holiday_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "DELETE FROM holiday WHERE school_id = $1 AND academic_year_id = $2 AND id = $3",
        school_id.0,
        year_id,
        holiday_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone)]
pub struct BellRow {
    pub shift: i16,
    pub lesson_number: i16,
    pub starts_at: chrono::NaiveTime,
    pub ends_at: chrono::NaiveTime,
}

pub async fn bells(
    conn: &mut PgConnection,
    school_id: SchoolId,
    year_id: i64,
) -> sqlx::Result<Vec<BellRow>> {
    sqlx::query_as!(
        BellRow,
        "SELECT shift, lesson_number, starts_at, ends_at FROM bell
         WHERE school_id = $1 AND academic_year_id = $2 ORDER BY shift, lesson_number",
        school_id.0,
        year_id
    )
    .fetch_all(conn)
    .await
}

/// Replaces the bell times of a shift.
pub async fn replace_bells(
    conn: &mut PgConnection,
    school_id: SchoolId,
    year_id: i64,
    shift: i16,
    bells: &[(i16, chrono::NaiveTime, chrono::NaiveTime)],
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM bell WHERE school_id = $1 AND academic_year_id = $2 AND shift = $3",
        school_id.0,
        year_id,
        shift
    )
    .execute(&mut *conn)
    .await?;
    let numbers: Vec<i16> = bells.iter().map(|b| b.0).collect();
    let starts: Vec<chrono::NaiveTime> = bells.iter().map(|b| b.1).collect();
    let ends: Vec<chrono::NaiveTime> = bells.iter().map(|b| b.2).collect();
    sqlx::query!(
        "INSERT INTO bell (school_id, academic_year_id, shift, lesson_number, starts_at, ends_at)
         SELECT $1, $2, $3, n, s, e FROM unnest($4::smallint[], $5::time[], $6::time[]) AS t(n, s, e)",
        school_id.0,
        year_id,
        shift,
        &numbers,
        &starts,
        &ends
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn close_year(
    conn: &mut PgConnection,
    school_id: SchoolId,
    year_id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE academic_year SET closed_at = $3 WHERE school_id = $1 AND id = $2",
        school_id.0,
        year_id,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}
