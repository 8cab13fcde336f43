//! Queries of the catalogues.

use sqlx::PgConnection;

use crate::tenancy::SchoolId;

#[derive(Debug, Clone)]
pub struct SubjectRow {
    pub id: i64,
    pub name: String,
    pub short_name: String,
    pub component: String,
    pub scale: String,
}

pub async fn subjects(conn: &mut PgConnection, school: SchoolId) -> sqlx::Result<Vec<SubjectRow>> {
    sqlx::query_as!(
        SubjectRow,
        "SELECT id, name, short_name, component, scale FROM subject
         WHERE school_id = $1 ORDER BY name",
        school.0
    )
    .fetch_all(conn)
    .await
}

pub async fn insert_subject(
    conn: &mut PgConnection,
    school: SchoolId,
    s: &SubjectRow,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO subject (school_id, name, short_name, component, scale)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        school.0,
        s.name,
        s.short_name,
        s.component,
        s.scale
    )
    .fetch_one(conn)
    .await
}

#[derive(Debug, Clone)]
pub struct RoomRow {
    pub id: i64,
    pub name: String,
    pub capacity: Option<i16>,
}

pub async fn rooms(conn: &mut PgConnection, school: SchoolId) -> sqlx::Result<Vec<RoomRow>> {
    sqlx::query_as!(
        RoomRow,
        "SELECT id, name, capacity FROM room WHERE school_id = $1 ORDER BY name",
        school.0
    )
    .fetch_all(conn)
    .await
}

pub async fn insert_room(
    conn: &mut PgConnection,
    school: SchoolId,
    name: &str,
    capacity: Option<i16>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO room (school_id, name, capacity) VALUES ($1, $2, $3) RETURNING id",
        school.0,
        name,
        capacity
    )
    .fetch_one(conn)
    .await
}

#[derive(Debug, Clone)]
pub struct WorkTypeRow {
    pub id: i64,
    pub name: String,
    pub short_name: String,
    /// Tenths: 15 is a weight of 1.5.
    pub weight_tenths: i32,
    pub checking_days: i16,
}

impl WorkTypeRow {
    /// «1,5».
    pub fn weight(&self) -> String {
        format!("{},{}", self.weight_tenths / 10, self.weight_tenths % 10)
    }
}

pub async fn work_types(
    conn: &mut PgConnection,
    school: SchoolId,
) -> sqlx::Result<Vec<WorkTypeRow>> {
    sqlx::query_as!(
        WorkTypeRow,
        r#"SELECT id, name, short_name, (weight * 10)::integer AS "weight_tenths!", checking_days
           FROM work_type WHERE school_id = $1 ORDER BY name"#,
        school.0
    )
    .fetch_all(conn)
    .await
}

pub async fn insert_work_type(
    conn: &mut PgConnection,
    school: SchoolId,
    w: &WorkTypeRow,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO work_type (school_id, name, short_name, weight, checking_days)
         VALUES ($1, $2, $3, $4::integer / 10.0, $5) RETURNING id",
        school.0,
        w.name,
        w.short_name,
        w.weight_tenths,
        w.checking_days
    )
    .fetch_one(conn)
    .await
}

/// The default work types of a new school (the list lives in the migration's SQL function).
pub async fn add_default_work_types(
    conn: &mut PgConnection,
    school: SchoolId,
) -> sqlx::Result<i32> {
    sqlx::query_scalar!(r#"SELECT add_default_work_types($1) AS "added!""#, school.0)
        .fetch_one(conn)
        .await
}

/// Which catalogue a row to delete belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Catalogue {
    Subject,
    Room,
    WorkType,
}

/// Deletes a row of a catalogue; its name if there was one.
pub async fn delete(
    conn: &mut PgConnection,
    school: SchoolId,
    catalogue: Catalogue,
    id: i64,
) -> sqlx::Result<Option<String>> {
    match catalogue {
        Catalogue::Subject => {
            sqlx::query_scalar!(
                "DELETE FROM subject WHERE school_id = $1 AND id = $2 RETURNING name",
                school.0,
                id
            )
            .fetch_optional(conn)
            .await
        }
        Catalogue::Room => {
            sqlx::query_scalar!(
                "DELETE FROM room WHERE school_id = $1 AND id = $2 RETURNING name",
                school.0,
                id
            )
            .fetch_optional(conn)
            .await
        }
        Catalogue::WorkType => {
            sqlx::query_scalar!(
                "DELETE FROM work_type WHERE school_id = $1 AND id = $2 RETURNING name",
                school.0,
                id
            )
            .fetch_optional(conn)
            .await
        }
    }
}

/// Changes a work type's weight and checking period; its old values if it exists.
pub async fn update_work_type(
    conn: &mut PgConnection,
    school: SchoolId,
    id: i64,
    weight_tenths: i32,
    checking_days: i16,
) -> sqlx::Result<Option<(i32, i16)>> {
    let before = sqlx::query!(
        r#"SELECT (weight * 10)::integer AS "weight!", checking_days FROM work_type
           WHERE school_id = $1 AND id = $2 FOR UPDATE"#,
        school.0,
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(before) = before else {
        return Ok(None);
    };
    sqlx::query!(
        "UPDATE work_type SET weight = $3::integer / 10.0, checking_days = $4 WHERE school_id = $1 AND id = $2",
        school.0,
        id,
        weight_tenths,
        checking_days
    )
    .execute(conn)
    .await?;
    Ok(Some((before.weight, before.checking_days)))
}

/// The grades where a subject is graded otherwise than its own scale: (subject, grade, scale).
pub async fn grade_scales(
    conn: &mut PgConnection,
    school: SchoolId,
) -> sqlx::Result<Vec<(i64, i16, String)>> {
    let rows = sqlx::query!(
        "SELECT subject_id, grade, scale FROM subject_grade_scale WHERE school_id = $1 ORDER BY subject_id, grade",
        school.0
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.subject_id, r.grade, r.scale))
        .collect())
}

/// Sets (or, with `None`, removes) a subject's scale in one grade; false if no such subject.
pub async fn set_grade_scale(
    conn: &mut PgConnection,
    school: SchoolId,
    subject_id: i64,
    grade: i16,
    scale: Option<&str>,
) -> sqlx::Result<bool> {
    let exists = sqlx::query_scalar!(
        "SELECT 1 AS one FROM subject WHERE school_id = $1 AND id = $2",
        school.0,
        subject_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    if !exists {
        return Ok(false);
    }
    match scale {
        Some(scale) => {
            sqlx::query!(
                "INSERT INTO subject_grade_scale (school_id, subject_id, grade, scale) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (school_id, subject_id, grade) DO UPDATE SET scale = EXCLUDED.scale",
                school.0,
                subject_id,
                grade,
                scale
            )
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query!(
                "DELETE FROM subject_grade_scale WHERE school_id = $1 AND subject_id = $2 AND grade = $3",
                school.0,
                subject_id,
                grade
            )
            .execute(conn)
            .await?;
        }
    }
    Ok(true)
}
