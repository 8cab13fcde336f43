//! Queries of classes, pupils, parents and movement.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use crate::tenancy::SchoolId;

/// A class of a year in the classes list.
#[derive(Debug, Clone)]
pub struct ClassLine {
    pub id: i64,
    pub grade: i16,
    pub letter: String,
    pub shift: i16,
    pub profile: Option<String>,
    pub class_teacher: Option<String>,
    pub pupils: i64,
}

impl ClassLine {
    pub fn name(&self) -> String {
        format!("{}{}", self.grade, self.letter)
    }
}

pub async fn classes(
    pool: &PgPool,
    school: SchoolId,
    year_id: i64,
) -> sqlx::Result<Vec<ClassLine>> {
    let mut conn = pool.acquire().await?;
    class_lines(&mut conn, school, Some(year_id), None).await
}

/// The classes of a year on a given connection (inside a transaction).
pub async fn classes_in(
    conn: &mut PgConnection,
    school: SchoolId,
    year_id: i64,
) -> sqlx::Result<Vec<ClassLine>> {
    class_lines(conn, school, Some(year_id), None).await
}

/// One class, or `None` for another school's.
pub async fn class(
    conn: &mut PgConnection,
    school: SchoolId,
    class_id: i64,
) -> sqlx::Result<Option<ClassLine>> {
    Ok(class_lines(conn, school, None, Some(class_id)).await?.pop())
}

/// The classes of a year, or one class, with class teacher and pupil count.
async fn class_lines(
    conn: &mut PgConnection,
    school: SchoolId,
    year_id: Option<i64>,
    class_id: Option<i64>,
) -> sqlx::Result<Vec<ClassLine>> {
    // Subqueries name the school by `$1`, not the outer row's column: Citus routes it (SCALE.md).
    sqlx::query_as!(
        ClassLine,
        r#"SELECT c.id, c.grade, c.letter, c.shift, c.profile,
                  (SELECT a.last_name || ' ' || a.first_name || ' ' || a.middle_name
                   FROM membership m JOIN account a ON a.id = m.account_id
                   WHERE m.school_id = $1 AND m.class_id = c.id
                     AND m.role = 'class_teacher' AND m.revoked_at IS NULL
                   ORDER BY m.created_at DESC LIMIT 1) AS class_teacher,
                  (SELECT count(*) FROM class_enrollment e
                   WHERE e.school_id = $1 AND e.class_id = c.id AND e.ends_on IS NULL)
                   AS "pupils!"
           FROM school_class c
           WHERE c.school_id = $1 AND ($2::bigint IS NULL OR c.academic_year_id = $2)
             AND ($3::bigint IS NULL OR c.id = $3)
           ORDER BY c.grade, c.letter"#,
        school.0,
        year_id,
        class_id
    )
    .fetch_all(conn)
    .await
}

pub async fn class_year(
    conn: &mut PgConnection,
    school: SchoolId,
    class_id: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "SELECT academic_year_id FROM school_class WHERE school_id = $1 AND id = $2",
        school.0,
        class_id
    )
    .fetch_optional(conn)
    .await
}

pub async fn class_taken(
    conn: &mut PgConnection,
    school: SchoolId,
    year_id: i64,
    grade: i16,
    letter: &str,
) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(
        "SELECT 1 AS one FROM school_class
         WHERE school_id = $1 AND academic_year_id = $2 AND grade = $3 AND letter = $4",
        school.0,
        year_id,
        grade,
        letter
    )
    .fetch_optional(conn)
    .await?
    .is_some())
}

pub async fn set_class_regime(
    conn: &mut PgConnection,
    school: SchoolId,
    class_id: i64,
    shift: i16,
    profile: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE school_class SET shift = $3, profile = $4 WHERE school_id = $1 AND id = $2",
        school.0,
        class_id,
        shift,
        profile
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The active class-teacher memberships of a class.
pub async fn class_teacher_memberships(
    conn: &mut PgConnection,
    school: SchoolId,
    class_id: i64,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "SELECT id FROM membership WHERE school_id = $1 AND class_id = $2
           AND role = 'class_teacher' AND revoked_at IS NULL",
        school.0,
        class_id
    )
    .fetch_all(conn)
    .await
}

/// A teacher who could lead a class.
#[derive(Debug, Clone)]
pub struct StaffOption {
    pub account_id: i64,
    pub full_name: String,
}

/// Teachers of the school (for choosing a class teacher), in Russian order.
pub async fn teachers(pool: &PgPool, school: SchoolId) -> sqlx::Result<Vec<StaffOption>> {
    sqlx::query_as!(
        StaffOption,
        r#"SELECT a.id AS account_id,
                  a.last_name || ' ' || a.first_name || ' ' || a.middle_name AS "full_name!"
           FROM membership m JOIN account a ON a.id = m.account_id
           WHERE m.school_id = $1 AND m.revoked_at IS NULL
             AND m.role IN ('teacher', 'class_teacher', 'deputy', 'director')
           GROUP BY a.id
           ORDER BY a.last_name, a.first_name, a.middle_name"#,
        school.0
    )
    .fetch_all(pool)
    .await
}

pub async fn is_teacher(
    conn: &mut PgConnection,
    school: SchoolId,
    account_id: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(
        "SELECT 1 AS one FROM membership WHERE school_id = $1 AND account_id = $2
           AND revoked_at IS NULL AND role IN ('teacher', 'class_teacher', 'deputy', 'director')
         LIMIT 1",
        school.0,
        account_id
    )
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// A pupil with their current class, for cards and lists.
#[derive(Debug, Clone)]
pub struct PupilCard {
    pub id: i64,
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<String>,
    pub class_id: Option<i64>,
    pub class_name: Option<String>,
}

impl PupilCard {
    pub fn full_name(&self) -> String {
        format!(
            "{} {} {}",
            self.last_name, self.first_name, self.middle_name
        )
        .trim()
        .to_string()
    }
}

pub async fn pupil(
    conn: &mut PgConnection,
    school: SchoolId,
    pupil_id: i64,
) -> sqlx::Result<Option<PupilCard>> {
    sqlx::query_as!(
        PupilCard,
        r#"SELECT p.id, p.last_name AS "last_name!", p.first_name AS "first_name!",
                  p.middle_name AS "middle_name!", p.birth_date, p.sex,
                  e.class_id AS "class_id?", c.grade || c.letter AS class_name
           FROM pupil p
           LEFT JOIN class_enrollment e
                  ON e.school_id = p.school_id AND e.pupil_id = p.id AND e.ends_on IS NULL
           LEFT JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
           WHERE p.school_id = $1 AND p.id = $2"#,
        school.0,
        pupil_id
    )
    .fetch_optional(conn)
    .await
}

/// The pupils enrolled now in a class, in the order of their names.
pub async fn class_pupils(
    pool: impl sqlx::PgExecutor<'_>,
    school: SchoolId,
    class_id: i64,
) -> sqlx::Result<Vec<PupilCard>> {
    enrolled(pool, school, Some(class_id), None).await
}

/// The pupils enrolled now in each class of a year, by class (one query for the whole school:
/// the year's end page and its promotion order list every class).
pub async fn year_pupils(
    conn: &mut PgConnection,
    school: SchoolId,
    year_id: i64,
) -> sqlx::Result<std::collections::HashMap<i64, Vec<PupilCard>>> {
    let mut by_class: std::collections::HashMap<i64, Vec<PupilCard>> =
        std::collections::HashMap::new();
    for pupil in enrolled(conn, school, None, Some(year_id)).await? {
        by_class
            .entry(pupil.class_id.unwrap_or_default())
            .or_default()
            .push(pupil);
    }
    Ok(by_class)
}

/// The pupils enrolled now in a class (`class_id`) or in the classes of a year (`year_id`).
async fn enrolled(
    executor: impl sqlx::PgExecutor<'_>,
    school: SchoolId,
    class_id: Option<i64>,
    year_id: Option<i64>,
) -> sqlx::Result<Vec<PupilCard>> {
    sqlx::query_as!(
        PupilCard,
        r#"SELECT p.id, p.last_name AS "last_name!", p.first_name AS "first_name!",
                  p.middle_name AS "middle_name!", p.birth_date, p.sex,
                  e.class_id AS "class_id?", c.grade || c.letter AS class_name
           FROM class_enrollment e
           JOIN pupil p ON p.school_id = e.school_id AND p.id = e.pupil_id
           JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
           WHERE e.school_id = $1 AND e.ends_on IS NULL
             AND ($2::bigint IS NULL OR e.class_id = $2)
             AND ($3::bigint IS NULL OR c.academic_year_id = $3)
           ORDER BY p.last_name, p.first_name, p.middle_name"#,
        school.0,
        class_id,
        year_id
    )
    .fetch_all(executor)
    .await
}

/// A parent of a pupil.
#[derive(Debug, Clone)]
pub struct ParentLine {
    pub pupil_id: i64,
    pub parent_id: i64,
    pub full_name: String,
    pub relation: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub pd_consent: Option<bool>,
    pub pd_consent_on: Option<NaiveDate>,
    pub has_account: bool,
}

/// The parents of every pupil enrolled now in a class (one query for the whole class).
pub async fn class_parents(
    pool: impl sqlx::PgExecutor<'_>,
    school: SchoolId,
    class_id: i64,
) -> sqlx::Result<Vec<ParentLine>> {
    sqlx::query_as!(
        ParentLine,
        r#"SELECT pp.pupil_id, pa.id AS parent_id,
                  pa.last_name || ' ' || pa.first_name || ' ' || pa.middle_name AS "full_name!",
                  pp.relation, pa.phone, pa.email, pa.pd_consent, pa.pd_consent_on,
                  pa.account_id IS NOT NULL AS "has_account!"
           FROM class_enrollment e
           JOIN pupil_parent pp ON pp.school_id = e.school_id AND pp.pupil_id = e.pupil_id
           JOIN parent pa ON pa.school_id = pp.school_id AND pa.id = pp.parent_id
           WHERE e.school_id = $1 AND e.class_id = $2 AND e.ends_on IS NULL
           ORDER BY pa.last_name, pa.first_name"#,
        school.0,
        class_id
    )
    .fetch_all(pool)
    .await
}

pub async fn pupil_parents(
    conn: &mut PgConnection,
    school: SchoolId,
    pupil_id: i64,
) -> sqlx::Result<Vec<ParentLine>> {
    sqlx::query_as!(
        ParentLine,
        r#"SELECT pp.pupil_id, pa.id AS parent_id,
                  pa.last_name || ' ' || pa.first_name || ' ' || pa.middle_name AS "full_name!",
                  pp.relation, pa.phone, pa.email, pa.pd_consent, pa.pd_consent_on,
                  pa.account_id IS NOT NULL AS "has_account!"
           FROM pupil_parent pp
           JOIN parent pa ON pa.school_id = pp.school_id AND pa.id = pp.parent_id
           WHERE pp.school_id = $1 AND pp.pupil_id = $2
           ORDER BY pa.last_name, pa.first_name"#,
        school.0,
        pupil_id
    )
    .fetch_all(conn)
    .await
}

/// A parent's record to insert.
#[derive(Debug, Clone, Default)]
pub struct NewParent {
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

pub async fn insert_parent(
    conn: &mut PgConnection,
    school: SchoolId,
    p: &NewParent,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO parent (school_id, last_name, first_name, middle_name, phone, email)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        school.0,
        p.last_name,
        p.first_name,
        p.middle_name,
        p.phone,
        p.email
    )
    .fetch_one(conn)
    .await
}

pub async fn link_parent(
    conn: &mut PgConnection,
    school: SchoolId,
    pupil_id: i64,
    parent_id: i64,
    relation: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO pupil_parent (school_id, pupil_id, parent_id, relation) VALUES ($1, $2, $3, $4)",
        school.0,
        pupil_id,
        parent_id,
        relation
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The consent now on record for a parent of the pupil; `None` if not their parent.
pub async fn parent_consent(
    conn: &mut PgConnection,
    school: SchoolId,
    pupil_id: i64,
    parent_id: i64,
) -> sqlx::Result<Option<(Option<bool>, Option<NaiveDate>)>> {
    let row = sqlx::query!(
        "SELECT pa.pd_consent, pa.pd_consent_on FROM pupil_parent pp
         JOIN parent pa ON pa.school_id = pp.school_id AND pa.id = pp.parent_id
         WHERE pp.school_id = $1 AND pp.pupil_id = $2 AND pp.parent_id = $3",
        school.0,
        pupil_id,
        parent_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.pd_consent, r.pd_consent_on)))
}

pub async fn set_consent(
    conn: &mut PgConnection,
    school: SchoolId,
    parent_id: i64,
    consent: bool,
    on: NaiveDate,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE parent SET pd_consent = $3, pd_consent_on = $4 WHERE school_id = $1 AND id = $2",
        school.0,
        parent_id,
        consent,
        on
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The pupil's open enrolment: (enrolment id, class id, since).
/// The pupil's current enrolment: its id, the class, since when, and the school's time zone (for
/// "today" in the movement's checks).
pub async fn open_enrollment(
    conn: &mut PgConnection,
    school: SchoolId,
    pupil_id: i64,
) -> sqlx::Result<Option<OpenEnrollment>> {
    sqlx::query_as!(
        OpenEnrollment,
        "SELECT e.id, e.class_id, e.starts_on, s.time_zone
         FROM class_enrollment e JOIN school s ON s.id = e.school_id
         WHERE e.school_id = $1 AND e.pupil_id = $2 AND e.ends_on IS NULL",
        school.0,
        pupil_id
    )
    .fetch_optional(conn)
    .await
}

pub struct OpenEnrollment {
    pub id: i64,
    pub class_id: i64,
    pub starts_on: NaiveDate,
    pub time_zone: String,
}

pub async fn close_enrollment(
    conn: &mut PgConnection,
    school: SchoolId,
    enrollment_id: i64,
    ends_on: NaiveDate,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE class_enrollment SET ends_on = $3 WHERE school_id = $1 AND id = $2",
        school.0,
        enrollment_id,
        ends_on
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A movement of a pupil to record.
#[derive(Debug, Clone)]
pub struct Movement<'a> {
    pub pupil_id: i64,
    pub kind: &'a str,
    pub on_date: NaiveDate,
    pub from_class_id: Option<i64>,
    pub to_class_id: Option<i64>,
    pub reason: &'a str,
    pub order_ref: &'a str,
}

pub async fn insert_movement(
    conn: &mut PgConnection,
    school: SchoolId,
    m: &Movement<'_>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO pupil_movement (school_id, pupil_id, kind, on_date, from_class_id,
                                     to_class_id, reason, order_ref)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        school.0,
        m.pupil_id,
        m.kind,
        m.on_date,
        m.from_class_id,
        m.to_class_id,
        m.reason,
        m.order_ref
    )
    .fetch_one(conn)
    .await
}

/// A line of a pupil's movement history.
#[derive(Debug, Clone)]
pub struct MovementLine {
    pub kind: String,
    pub on_date: NaiveDate,
    pub from_class: Option<String>,
    pub to_class: Option<String>,
    pub reason: String,
    pub order_ref: String,
}

pub async fn movements(
    conn: &mut PgConnection,
    school: SchoolId,
    pupil_id: i64,
) -> sqlx::Result<Vec<MovementLine>> {
    sqlx::query_as!(
        MovementLine,
        r#"SELECT m.kind, m.on_date, f.grade || f.letter AS from_class, t.grade || t.letter AS to_class,
                  m.reason, m.order_ref
           FROM pupil_movement m
           LEFT JOIN school_class f ON f.school_id = m.school_id AND f.id = m.from_class_id
           LEFT JOIN school_class t ON t.school_id = m.school_id AND t.id = m.to_class_id
           WHERE m.school_id = $1 AND m.pupil_id = $2
           ORDER BY m.on_date, m.id"#,
        school.0,
        pupil_id
    )
    .fetch_all(conn)
    .await
}

/// Ends the pupil's and their parents' access to the pupil's diary (on withdrawal).
pub async fn revoke_family_access(
    conn: &mut PgConnection,
    school: SchoolId,
    pupil_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE membership SET revoked_at = $3
         WHERE school_id = $1 AND pupil_id = $2 AND revoked_at IS NULL",
        school.0,
        pupil_id,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Links a parent's record to their account (credentials issued).
pub async fn link_account(
    conn: &mut PgConnection,
    school: SchoolId,
    parent_id: i64,
    account_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE parent SET account_id = $3 WHERE school_id = $1 AND id = $2",
        school.0,
        parent_id,
        account_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Every pupil of the school: (last name, first name, middle name, birth date).
pub async fn all_pupils(
    conn: &mut PgConnection,
    school: SchoolId,
) -> sqlx::Result<Vec<(String, String, String, Option<NaiveDate>)>> {
    let rows = sqlx::query!(
        r#"SELECT last_name AS "last_name!", first_name AS "first_name!", middle_name AS "middle_name!", birth_date
           FROM pupil WHERE school_id = $1"#,
        school.0
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.last_name, r.first_name, r.middle_name, r.birth_date))
        .collect())
}
