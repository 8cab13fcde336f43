//! Breaks in the system's work (001 §6: the school keeps teaching when the system is down). A
//! deputy or the director registers a break, from one moment to another; teachers keep the
//! journal on the blank pages printed in advance (`/paper`), and afterwards enter what was
//! written there. A lesson that started during a break is entered «from paper»: not late, the
//! reason (`PAPER_REASON`) recorded with each entry in the audit trail, within the lock's days
//! after the break ended (`rules::journal::may_write`, `JournalState::outage_ended`).
//!
//! One service function per write: permission, checks, write, and the audit event in the same
//! transaction. Another school's ids are not found (404).

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;

use super::service::Author;
use crate::audit::{self, Change};
use crate::authz::{Access, Role};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::input;
use crate::tenancy::SchoolId;

/// The longest note (the database keeps at most 200).
pub const NOTE: usize = 200;

/// The longest break one registration covers.
pub const LONGEST_DAYS: i64 = 14;

/// The reason recorded with every entry made from paper.
pub const PAPER_REASON: &str = "перерыв в работе системы: запись перенесена с бумажного журнала";

/// Register and remove breaks: a deputy, or the director.
pub fn may_register(access: &Access) -> bool {
    matches!(access.role, Role::Deputy | Role::Director)
}

/// The break form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct OutageForm {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub note: String,
}

/// A break as the page lists it (times local to the school).
#[derive(Clone, Debug)]
pub struct OutageRow {
    pub id: i64,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub note: String,
    pub registered_by: String,
}

impl OutageRow {
    /// «30.11.2026 08:00 — 30.11.2026 12:30».
    pub fn span(&self) -> String {
        format!(
            "{} — {}",
            self.starts_at.format("%d.%m.%Y %H:%M"),
            self.ends_at.format("%d.%m.%Y %H:%M")
        )
    }
}

fn zone(time_zone: &str) -> chrono_tz::Tz {
    time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow)
}

/// A local moment as typed: `2026-11-30T08:00` (the browser's field) or `30.11.2026 08:00`.
pub fn parse_moment(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
}

/// The breaks that ended within the last `LONGEST_DAYS` × 2 days or are still to come, the
/// latest first.
pub async fn recent(
    pool: &PgPool,
    school: SchoolId,
    time_zone: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<OutageRow>> {
    let tz = zone(time_zone);
    let rows = sqlx::query!(
        r#"SELECT o.id, o.starts_at, o.ends_at, o.note,
                  r.last_name || ' ' || left(r.first_name, 1) || '.' AS "registered_by!"
           FROM system_outage o
           JOIN account r ON r.id = o.registered_by
           WHERE o.school_id = $1 AND o.ends_at >= $2
           ORDER BY o.starts_at DESC, o.id DESC"#,
        school.0,
        now - Duration::days(2 * LONGEST_DAYS)
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| OutageRow {
            id: r.id,
            starts_at: r.starts_at.with_timezone(&tz).naive_local(),
            ends_at: r.ends_at.with_timezone(&tz).naive_local(),
            note: r.note,
            registered_by: r.registered_by,
        })
        .collect())
}

/// The school's local time of an instant.
pub fn local(time_zone: &str, at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&zone(time_zone)).naive_local()
}

/// Registers a break from `from` to `to` (local times of the school). Bad input: a message next
/// to each field, nothing written.
pub async fn register(
    pool: &PgPool,
    author: &Author<'_>,
    time_zone: &str,
    form: &OutageForm,
) -> AppResult<i64> {
    if !may_register(author.access) {
        return Err(AppError::Forbidden);
    }
    let school = author.access.school_id;
    let mut errors = FieldErrors::new();
    let mut moment = |field: &'static str, text: &str| {
        if text.trim().is_empty() {
            errors.add(field, "Укажите дату и время.");
            return None;
        }
        let parsed = parse_moment(text);
        if parsed.is_none() {
            errors.add(
                field,
                "Укажите дату и время в виде ДД.ММ.ГГГГ ЧЧ:ММ, например 30.11.2026 08:00.",
            );
        }
        parsed
    };
    let from = moment("from", &form.from);
    let to = moment("to", &form.to);
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f {
            errors.add("to", "Укажите окончание перерыва позже его начала.");
        } else if t - f > Duration::days(LONGEST_DAYS) {
            errors.add(
                "to",
                format!("Перерыв регистрируется не длиннее {LONGEST_DAYS} дней; более длинный — несколькими записями."),
            );
        }
    }
    let note = form.note.trim();
    input::line(&mut errors, "note", note, NOTE);
    errors.into_result()?;
    let tz = zone(time_zone);
    let utc = |at: NaiveDateTime| {
        tz.from_local_datetime(&at)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    };
    let (Some(starts), Some(ends)) = (from.and_then(utc), to.and_then(utc)) else {
        return Err(AppError::invalid(
            "from",
            "Такого времени в часовом поясе школы нет.",
        ));
    };
    let mut tx = pool.begin().await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO system_outage (school_id, starts_at, ends_at, note, registered_by, registered_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        school.0,
        starts,
        ends,
        note,
        author.account_id,
        author.clock.now()
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut change = Change::new("system_outage.registered", "system_outage", id)
        .after(json!({"starts_at": starts, "ends_at": ends, "note": note}));
    if !note.is_empty() {
        change = change.reason(note);
    }
    audit::record(&mut tx, school, author.actor, change).await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes a break registered by mistake; entries already made from paper keep their reason.
/// Another school's: 404.
pub async fn remove(pool: &PgPool, author: &Author<'_>, id: i64) -> AppResult<()> {
    if !may_register(author.access) {
        return Err(AppError::Forbidden);
    }
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let gone = sqlx::query!(
        "DELETE FROM system_outage WHERE school_id = $1 AND id = $2
         RETURNING starts_at, ends_at, note",
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
        Change::new("system_outage.removed", "system_outage", id).before(json!({
            "starts_at": gone.starts_at,
            "ends_at": gone.ends_at,
            "note": gone.note,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moment_is_read_as_the_browser_sends_it_and_as_a_person_types_it() {
        let want = chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
            .unwrap()
            .and_hms_opt(8, 5, 0)
            .unwrap();
        assert_eq!(parse_moment("2026-11-30T08:05"), Some(want));
        assert_eq!(parse_moment(" 30.11.2026 08:05 "), Some(want));
        assert_eq!(parse_moment("30.11.2026"), None);
        assert_eq!(parse_moment("вчера"), None);
    }
}
