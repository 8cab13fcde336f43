//! Writes to the school year's structure, each with its audit event in the same transaction.

use chrono::NaiveDate;
use serde_json::json;
use sqlx::PgConnection;

use super::repo;
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
    let id = repo::insert_year(conn, school_id, name, starts_on, ends_on).await?;
    let after = json!({"name": name, "starts_on": starts_on, "ends_on": ends_on});
    let change = Change::new("academic_year.created", "academic_year", id).after(after);
    audit::record(conn, school_id, actor, change).await?;
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
    let id = repo::insert_class(conn, school_id, year_id, grade, letter).await?;
    let after = json!({"academic_year_id": year_id, "grade": grade, "letter": letter});
    let change = Change::new("class.created", "class", id).after(after);
    audit::record(conn, school_id, actor, change).await?;
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
    let id = repo::insert_pupil(conn, school_id, pupil).await?;
    repo::insert_enrollment(conn, school_id, id, class_id, starts_on).await?;
    let movement = crate::pupils::repo::Movement {
        pupil_id: id,
        kind: "enrolment",
        on_date: starts_on,
        from_class_id: None,
        to_class_id: Some(class_id),
        reason: "",
        order_ref: "",
    };
    crate::pupils::repo::insert_movement(conn, school_id, &movement).await?;
    let after = json!({
        "last_name": pupil.last_name, "first_name": pupil.first_name,
        "middle_name": pupil.middle_name, "birth_date": pupil.birth_date, "sex": pupil.sex,
        "class_id": class_id, "starts_on": starts_on,
    });
    let change = Change::new("pupil.enrolled", "pupil", id).after(after);
    audit::record(conn, school_id, actor, change).await?;
    Ok(id)
}
