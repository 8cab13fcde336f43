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
