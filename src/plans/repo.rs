//! Queries of КТП topics, lessons' planned topics and control works.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use crate::tenancy::SchoolId;

#[derive(Debug, Clone)]
pub struct TopicRow {
    pub position: i32,
    pub title: String,
    pub hours: i16,
}

pub async fn topics(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
) -> sqlx::Result<Vec<TopicRow>> {
    sqlx::query_as!(
        TopicRow,
        "SELECT position, title, hours FROM theme_plan_topic WHERE school_id = $1 AND group_id = $2 ORDER BY position",
        school.0,
        group_id
    )
    .fetch_all(conn)
    .await
}

/// Replaces the group's plan with `topics` (title, hours), in order.
pub async fn replace_topics(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
    topics: &[(String, i16)],
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM theme_plan_topic WHERE school_id = $1 AND group_id = $2",
        school.0,
        group_id
    )
    .execute(&mut *conn)
    .await?;
    let titles: Vec<String> = topics.iter().map(|t| t.0.clone()).collect();
    let hours: Vec<i16> = topics.iter().map(|t| t.1).collect();
    sqlx::query!(
        "INSERT INTO theme_plan_topic (school_id, group_id, position, title, hours)
         SELECT $1, $2, n::integer, t, h FROM unnest($3::text[], $4::smallint[]) WITH ORDINALITY AS x(t, h, n)",
        school.0,
        group_id,
        &titles,
        &hours
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The group's lessons in date order that are not cancelled: (id, date).
pub async fn lessons(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
) -> sqlx::Result<Vec<(i64, NaiveDate)>> {
    let rows = sqlx::query!(
        "SELECT id, lesson_date FROM lesson WHERE school_id = $1 AND group_id = $2 AND status <> 'cancelled'
         ORDER BY lesson_date, lesson_number",
        school.0,
        group_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.lesson_date)).collect())
}

/// Sets the planned topics of lessons (ids and topics in the same order).
pub async fn set_planned_topics(
    conn: &mut PgConnection,
    school: SchoolId,
    ids: &[i64],
    topics: &[Option<String>],
) -> sqlx::Result<u64> {
    Ok(sqlx::query!(
        "UPDATE lesson l SET planned_topic = x.t
         FROM unnest($2::bigint[], $3::text[]) AS x(id, t)
         WHERE l.school_id = $1 AND l.id = x.id AND l.planned_topic IS DISTINCT FROM x.t",
        school.0,
        ids,
        topics as &[Option<String>]
    )
    .execute(conn)
    .await?
    .rows_affected())
}

#[derive(Debug, Clone)]
pub struct ControlWorkRow {
    pub id: i64,
    pub group_id: i64,
    pub group_name: String,
    pub subject: String,
    pub work_date: NaiveDate,
    pub form: String,
    pub title: String,
    pub has_lesson: bool,
}

/// Control works of a year, by date.
pub async fn control_works(
    pool: &PgPool,
    school: SchoolId,
    year_id: i64,
) -> sqlx::Result<Vec<ControlWorkRow>> {
    sqlx::query_as!(
        ControlWorkRow,
        r#"SELECT w.id, w.group_id, g.name AS group_name, s.name AS subject, w.work_date, w.form, w.title,
                  EXISTS (SELECT 1 FROM lesson l WHERE l.school_id = w.school_id AND l.group_id = w.group_id
                            AND l.lesson_date = w.work_date AND l.status <> 'cancelled') AS "has_lesson!"
           FROM control_work w
           JOIN study_group g ON g.school_id = w.school_id AND g.id = w.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           WHERE w.school_id = $1 AND g.academic_year_id = $2
           ORDER BY w.work_date, g.name"#,
        school.0,
        year_id
    )
    .fetch_all(pool)
    .await
}

pub async fn insert_control_work(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
    on: NaiveDate,
    form: &str,
    title: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO control_work (school_id, group_id, work_date, form, title) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        school.0,
        group_id,
        on,
        form,
        title
    )
    .fetch_one(conn)
    .await
}

pub async fn delete_control_work(
    conn: &mut PgConnection,
    school: SchoolId,
    id: i64,
) -> sqlx::Result<Option<(NaiveDate, String)>> {
    let row = sqlx::query!(
        "DELETE FROM control_work WHERE school_id = $1 AND id = $2 RETURNING work_date, form",
        school.0,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.work_date, r.form)))
}

/// All groups of a year with their subject, for choosing (class groups and the others).
pub async fn year_groups_all(
    pool: &PgPool,
    school: SchoolId,
    year_id: i64,
) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        r#"SELECT g.id, s.name || ' — ' || g.name AS "label!"
           FROM study_group g JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           WHERE g.school_id = $1 AND g.academic_year_id = $2
           ORDER BY c.grade NULLS LAST, c.letter, s.name, g.name"#,
        school.0,
        year_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.label)).collect())
}
