//! Writes to the school year's structure, each with its audit event in the same transaction.

use chrono::NaiveDate;
use serde_json::json;
use sqlx::PgConnection;

use crate::audit::{self, Actor, Change};
use crate::error::AppResult;
use crate::tenancy::SchoolId;

pub async fn create_year(
    conn: &mut PgConnection,
    school_id: SchoolId,
    actor: &Actor,
    name: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> AppResult<i64> {
    let id = sqlx::query_scalar!(
        "INSERT INTO academic_year (school_id, name, starts_on, ends_on) VALUES ($1, $2, $3, $4)
         RETURNING id",
        school_id.0,
        name,
        starts_on,
        ends_on
    )
    .fetch_one(&mut *conn)
    .await?;
    let after = json!({"name": name, "starts_on": starts_on, "ends_on": ends_on});
    audit::record(
        conn,
        school_id,
        actor,
        Change::new("academic_year.created", "academic_year", id).after(after),
    )
    .await?;
    Ok(id)
}

pub async fn create_class(
    conn: &mut PgConnection,
    school_id: SchoolId,
    actor: &Actor,
    year_id: i64,
    grade: i16,
    letter: &str,
) -> AppResult<i64> {
    let id = sqlx::query_scalar!(
        "INSERT INTO school_class (school_id, academic_year_id, grade, letter)
         VALUES ($1, $2, $3, $4) RETURNING id",
        school_id.0,
        year_id,
        grade,
        letter
    )
    .fetch_one(&mut *conn)
    .await?;
    let after = json!({"academic_year_id": year_id, "grade": grade, "letter": letter});
    audit::record(
        conn,
        school_id,
        actor,
        Change::new("class.created", "class", id).after(after),
    )
    .await?;
    Ok(id)
}

/// A pupil's record as the school keeps it.
#[derive(Debug, Clone)]
pub struct NewPupil<'a> {
    pub last_name: &'a str,
    pub first_name: &'a str,
    pub middle_name: &'a str,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<&'a str>,
}

/// Enrols a new pupil in a class from a date.
pub async fn enrol_pupil(
    conn: &mut PgConnection,
    school_id: SchoolId,
    actor: &Actor,
    pupil: &NewPupil<'_>,
    class_id: i64,
    starts_on: NaiveDate,
) -> AppResult<i64> {
    let id = sqlx::query_scalar!(
        "INSERT INTO pupil (school_id, last_name, first_name, middle_name, birth_date, sex)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        school_id.0,
        pupil.last_name,
        pupil.first_name,
        pupil.middle_name,
        pupil.birth_date,
        pupil.sex
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO class_enrollment (school_id, pupil_id, class_id, starts_on)
         VALUES ($1, $2, $3, $4)",
        school_id.0,
        id,
        class_id,
        starts_on
    )
    .execute(&mut *conn)
    .await?;
    let after = json!({
        "last_name": pupil.last_name, "first_name": pupil.first_name,
        "middle_name": pupil.middle_name, "birth_date": pupil.birth_date, "sex": pupil.sex,
        "class_id": class_id, "starts_on": starts_on,
    });
    audit::record(
        conn,
        school_id,
        actor,
        Change::new("pupil.enrolled", "pupil", id).after(after),
    )
    .await?;
    Ok(id)
}
