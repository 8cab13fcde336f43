//! Queries of the curriculum, groups, members and load.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use crate::tenancy::SchoolId;

#[derive(Debug, Clone)]
pub struct LineRow {
    pub id: i64,
    pub subject_id: i64,
    pub subject: String,
    pub hours: i32,
}

pub async fn lines(pool: &PgPool, school: SchoolId, class_id: i64) -> sqlx::Result<Vec<LineRow>> {
    sqlx::query_as!(
        LineRow,
        r#"SELECT l.id, l.subject_id, s.name AS subject, (l.hours_per_week * 10)::integer AS "hours!"
           FROM curriculum_line l JOIN subject s ON s.school_id = l.school_id AND s.id = l.subject_id
           WHERE l.school_id = $1 AND l.class_id = $2 ORDER BY s.name"#,
        school.0,
        class_id
    )
    .fetch_all(pool)
    .await
}

pub async fn insert_line(
    conn: &mut PgConnection,
    school: SchoolId,
    class_id: i64,
    subject_id: i64,
    hours: i32,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO curriculum_line (school_id, class_id, subject_id, hours_per_week)
         VALUES ($1, $2, $3, $4::integer / 10.0) RETURNING id",
        school.0,
        class_id,
        subject_id,
        hours
    )
    .fetch_one(conn)
    .await
}

pub async fn subject_exists(
    conn: &mut PgConnection,
    school: SchoolId,
    subject_id: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(
        "SELECT 1 AS one FROM subject WHERE school_id = $1 AND id = $2",
        school.0,
        subject_id
    )
    .fetch_optional(conn)
    .await?
    .is_some())
}

#[derive(Debug, Clone)]
pub struct GroupRow {
    pub id: i64,
    pub academic_year_id: i64,
    pub subject_id: i64,
    pub subject: String,
    pub kind: String,
    pub class_id: Option<i64>,
    pub name: String,
}

/// The groups of a class (whole class and subgroups).
pub async fn class_groups(
    pool: impl sqlx::PgExecutor<'_>,
    school: SchoolId,
    class_id: i64,
) -> sqlx::Result<Vec<GroupRow>> {
    sqlx::query_as!(
        GroupRow,
        r#"SELECT g.id, g.academic_year_id, g.subject_id, s.name AS subject, g.kind, g.class_id, g.name
           FROM study_group g JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           WHERE g.school_id = $1 AND g.class_id = $2 ORDER BY s.name, g.name"#,
        school.0,
        class_id
    )
    .fetch_all(pool)
    .await
}

/// Streams, electives and individual plans of a year.
pub async fn year_groups(
    pool: &PgPool,
    school: SchoolId,
    year_id: i64,
) -> sqlx::Result<Vec<GroupRow>> {
    sqlx::query_as!(
        GroupRow,
        r#"SELECT g.id, g.academic_year_id, g.subject_id, s.name AS subject, g.kind, g.class_id, g.name
           FROM study_group g JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           WHERE g.school_id = $1 AND g.academic_year_id = $2 AND g.class_id IS NULL
           ORDER BY s.name, g.name"#,
        school.0,
        year_id
    )
    .fetch_all(pool)
    .await
}

pub async fn group(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
) -> sqlx::Result<Option<GroupRow>> {
    sqlx::query_as!(
        GroupRow,
        r#"SELECT g.id, g.academic_year_id, g.subject_id, s.name AS subject, g.kind, g.class_id, g.name
           FROM study_group g JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           WHERE g.school_id = $1 AND g.id = $2"#,
        school.0,
        group_id
    )
    .fetch_optional(conn)
    .await
}

/// A group to insert.
pub struct NewGroup<'a> {
    pub year_id: i64,
    pub subject_id: i64,
    pub kind: &'a str,
    pub class_id: Option<i64>,
    pub name: &'a str,
}

pub async fn insert_group(
    conn: &mut PgConnection,
    school: SchoolId,
    g: &NewGroup<'_>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO study_group (school_id, academic_year_id, subject_id, kind, class_id, name)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        school.0,
        g.year_id,
        g.subject_id,
        g.kind,
        g.class_id,
        g.name
    )
    .fetch_one(conn)
    .await
}

pub async fn delete_group(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM study_group WHERE school_id = $1 AND id = $2",
        school.0,
        group_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct AssignmentRow {
    pub group_id: i64,
    pub teacher_id: i64,
    pub teacher: String,
    pub hours: i32,
}

/// The load of every group of a class (one query).
pub async fn class_assignments(
    pool: &PgPool,
    school: SchoolId,
    class_id: i64,
) -> sqlx::Result<Vec<AssignmentRow>> {
    sqlx::query_as!(
        AssignmentRow,
        r#"SELECT t.group_id, t.teacher_id,
                  a.last_name || ' ' || left(a.first_name, 1) || '. ' || left(a.middle_name, 1) || '.' AS "teacher!",
                  (t.hours_per_week * 10)::integer AS "hours!"
           FROM teaching_assignment t
           JOIN study_group g ON g.school_id = t.school_id AND g.id = t.group_id
           JOIN account a ON a.id = t.teacher_id
           WHERE t.school_id = $1 AND g.class_id = $2"#,
        school.0,
        class_id
    )
    .fetch_all(pool)
    .await
}

pub async fn group_assignments(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
) -> sqlx::Result<Vec<AssignmentRow>> {
    sqlx::query_as!(
        AssignmentRow,
        r#"SELECT t.group_id, t.teacher_id,
                  a.last_name || ' ' || left(a.first_name, 1) || '. ' || left(a.middle_name, 1) || '.' AS "teacher!",
                  (t.hours_per_week * 10)::integer AS "hours!"
           FROM teaching_assignment t JOIN account a ON a.id = t.teacher_id
           WHERE t.school_id = $1 AND t.group_id = $2"#,
        school.0,
        group_id
    )
    .fetch_all(conn)
    .await
}

/// Sets the teacher of a group (one teacher per group: the previous one is replaced).
pub async fn replace_assignment(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
    teacher_id: i64,
    hours: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM teaching_assignment WHERE school_id = $1 AND group_id = $2",
        school.0,
        group_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO teaching_assignment (school_id, group_id, teacher_id, hours_per_week)
         VALUES ($1, $2, $3, $4::integer / 10.0)",
        school.0,
        group_id,
        teacher_id,
        hours
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A pupil who is, or could be, in a group on a day.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub pupil_id: i64,
    pub full_name: String,
    pub class_name: String,
    pub member: bool,
}

/// The candidates for a group's membership on `on`: the class's pupils for a subgroup, every
/// pupil of the year otherwise; with whether each is a member that day.
pub async fn members(
    conn: &mut PgConnection,
    school: SchoolId,
    group: &GroupRow,
    on: NaiveDate,
) -> sqlx::Result<Vec<MemberRow>> {
    sqlx::query_as!(
        MemberRow,
        r#"SELECT p.id AS pupil_id,
                  p.last_name || ' ' || p.first_name || ' ' || p.middle_name AS "full_name!",
                  c.grade || c.letter AS "class_name!",
                  EXISTS (SELECT 1 FROM group_member m
                          WHERE m.school_id = p.school_id AND m.group_id = $2 AND m.pupil_id = p.id
                            AND m.starts_on <= $4 AND (m.ends_on IS NULL OR m.ends_on >= $4)) AS "member!"
           FROM class_enrollment e
           JOIN pupil p ON p.school_id = e.school_id AND p.id = e.pupil_id
           JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
           WHERE e.school_id = $1 AND c.academic_year_id = $3
             AND ($5::bigint IS NULL OR e.class_id = $5)
             AND e.starts_on <= $4 AND (e.ends_on IS NULL OR e.ends_on >= $4)
           ORDER BY c.grade, c.letter, p.last_name, p.first_name"#,
        school.0,
        group.id,
        group.academic_year_id,
        on,
        group.class_id
    )
    .fetch_all(conn)
    .await
}

/// From `on`, the group holds exactly `pupils`: others leave the day before, newcomers join.
pub async fn set_members(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
    pupils: &[i64],
    on: NaiveDate,
) -> sqlx::Result<(u64, u64)> {
    let left = sqlx::query!(
        "UPDATE group_member SET ends_on = $4::date - 1
         WHERE school_id = $1 AND group_id = $2 AND NOT (pupil_id = ANY($3))
           AND (ends_on IS NULL OR ends_on >= $4) AND starts_on < $4",
        school.0,
        group_id,
        pupils,
        on
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // Memberships that would only start on or after `on` are simply withdrawn.
    sqlx::query!(
        "DELETE FROM group_member
         WHERE school_id = $1 AND group_id = $2 AND NOT (pupil_id = ANY($3)) AND starts_on >= $4",
        school.0,
        group_id,
        pupils,
        on
    )
    .execute(&mut *conn)
    .await?;
    let joined = sqlx::query!(
        "INSERT INTO group_member (school_id, group_id, pupil_id, starts_on)
         SELECT $1, $2, p, $4 FROM unnest($3::bigint[]) AS p
         WHERE NOT EXISTS (SELECT 1 FROM group_member m
                           WHERE m.school_id = $1 AND m.group_id = $2 AND m.pupil_id = p
                             AND (m.ends_on IS NULL OR m.ends_on >= $4))
         ON CONFLICT DO NOTHING",
        school.0,
        group_id,
        pupils,
        on
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok((left, joined))
}
