//! Teachers' absences (illness, courses, trips): a deputy or the director registers that a
//! teacher is away from one date to another, so that the lessons of those days get a substitute
//! (J15). The control start page counts the next school day's lessons whose teacher is absent and
//! that have no substitute (`attention::no_teacher_rows`, the database's `control_no_teacher`).
//!
//! One service function per write: permission, checks, write, and the audit event in the same
//! transaction. Another school's ids are not found (404); another school's teacher is not in the
//! list (a message next to the field).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::service::Author;
use crate::audit::{self, Change};
use crate::authz::{Access, Role};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::input;
use crate::school_year::calendar::parse_date;
use crate::tenancy::SchoolId;

/// The longest reason (the database keeps at most 200).
pub const REASON: usize = 200;

/// Register and remove teachers' absences: a deputy, or the director.
pub fn may_register(access: &Access) -> bool {
    matches!(access.role, Role::Deputy | Role::Director)
}

/// The absence form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AbsenceForm {
    #[serde(default)]
    pub teacher: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub reason: String,
}

/// An absence as the page lists it.
#[derive(Clone, Debug)]
pub struct AbsenceRow {
    pub id: i64,
    pub teacher_id: i64,
    pub teacher: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub reason: String,
    pub registered_by: String,
    pub registered_at: DateTime<Utc>,
}

impl AbsenceRow {
    /// «с 23.11.2026 по 25.11.2026», or one date.
    pub fn dates(&self) -> String {
        if self.starts_on == self.ends_on {
            self.starts_on.format("%d.%m.%Y").to_string()
        } else {
            format!(
                "с {} по {}",
                self.starts_on.format("%d.%m.%Y"),
                self.ends_on.format("%d.%m.%Y")
            )
        }
    }
}

/// The absences that are not over on `today` (current and future), the earliest first.
pub async fn current(
    pool: &PgPool,
    school: SchoolId,
    today: NaiveDate,
) -> sqlx::Result<Vec<AbsenceRow>> {
    sqlx::query_as!(
        AbsenceRow,
        r#"SELECT ta.id, ta.teacher_id,
                  a.last_name || ' ' || a.first_name || ' ' || a.middle_name AS "teacher!",
                  ta.starts_on, ta.ends_on, ta.reason,
                  r.last_name || ' ' || left(r.first_name, 1) || '.' AS "registered_by!",
                  ta.registered_at
           FROM teacher_absence ta
           JOIN account a ON a.id = ta.teacher_id
           JOIN account r ON r.id = ta.registered_by
           WHERE ta.school_id = $1 AND ta.ends_on >= $2
           ORDER BY ta.starts_on, a.last_name, a.first_name, ta.id"#,
        school.0,
        today
    )
    .fetch_all(pool)
    .await
}

/// Whether a teacher has a registered absence covering `date`.
pub async fn is_absent(
    conn: &mut PgConnection,
    school: SchoolId,
    teacher_id: i64,
    date: NaiveDate,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM teacher_absence
                          WHERE school_id = $1 AND teacher_id = $2
                            AND starts_on <= $3 AND ends_on >= $3) AS "absent!""#,
        school.0,
        teacher_id,
        date
    )
    .fetch_one(conn)
    .await
}

/// Registers a teacher's absence from `from` to `to` (both included). Bad input: a message next
/// to each field, nothing written.
pub async fn register(pool: &PgPool, author: &Author<'_>, form: &AbsenceForm) -> AppResult<i64> {
    if !may_register(author.access) {
        return Err(AppError::Forbidden);
    }
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let mut errors = FieldErrors::new();
    let teacher = match form.teacher.trim().parse::<i64>() {
        Ok(id) if crate::pupils::repo::is_teacher(&mut tx, school, id).await? => Some(id),
        _ => {
            errors.add("teacher", "Выберите учителя из списка.");
            None
        }
    };
    let mut day = |field: &'static str, text: &str| {
        let text = text.trim();
        if text.is_empty() {
            errors.add(field, "Укажите дату.");
            return None;
        }
        let parsed = parse_date(text);
        if parsed.is_none() {
            errors.add(
                field,
                "Укажите дату в виде ДД.ММ.ГГГГ, например 24.11.2026.",
            );
        }
        parsed
    };
    let from = day("from", &form.from);
    let to = day("to", &form.to);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.add("to", "Укажите дату окончания не раньше даты начала.");
    }
    let reason = form.reason.trim();
    input::line(&mut errors, "reason", reason, REASON);
    errors.into_result()?;
    let (teacher, from, to) = (
        teacher.expect("checked"),
        from.expect("checked"),
        to.expect("checked"),
    );
    let id = sqlx::query_scalar!(
        "INSERT INTO teacher_absence
             (school_id, teacher_id, starts_on, ends_on, reason, registered_by, registered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        school.0,
        teacher,
        from,
        to,
        reason,
        author.account_id,
        author.clock.now()
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut change = Change::new("teacher_absence.registered", "teacher_absence", id)
        .after(json!({"teacher_id": teacher, "starts_on": from, "ends_on": to, "reason": reason}));
    if !reason.is_empty() {
        change = change.reason(reason);
    }
    audit::record(&mut tx, school, author.actor, change).await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes an absence (registered by mistake, or the teacher is back); another school's: 404.
pub async fn remove(pool: &PgPool, author: &Author<'_>, id: i64) -> AppResult<()> {
    if !may_register(author.access) {
        return Err(AppError::Forbidden);
    }
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let gone = sqlx::query!(
        "DELETE FROM teacher_absence WHERE school_id = $1 AND id = $2
         RETURNING teacher_id, starts_on, ends_on, reason",
        school.0,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    audit::record(
        &mut tx,
        school,
        author.actor,
        Change::new("teacher_absence.removed", "teacher_absence", id).before(json!({
            "teacher_id": gone.teacher_id,
            "starts_on": gone.starts_on,
            "ends_on": gone.ends_on,
            "reason": gone.reason,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
