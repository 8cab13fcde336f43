//! The audit trail: `record` writes one event in the caller's transaction, so that a change and
//! its record commit or fail together. The table is append-only (the database refuses UPDATE,
//! DELETE and TRUNCATE).

pub mod labels;

use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;

use crate::authz::Role;
use crate::tenancy::SchoolId;

/// Who makes a change.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    /// `None`: the platform itself (command line, demo seed).
    pub account_id: Option<i64>,
    pub role: Option<Role>,
    /// A short hash of the session the change came from.
    pub session_ref: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Self::default()
    }
}

/// What changed.
#[derive(Debug)]
pub struct Change<'a> {
    /// `area.verb`, e.g. `membership.granted`.
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<&'a str>,
}

impl<'a> Change<'a> {
    pub fn new(action: &'a str, subject_type: &'a str, subject_id: i64) -> Self {
        Self {
            action,
            subject_type,
            subject_id: Some(subject_id),
            before: None,
            after: None,
            reason: None,
        }
    }

    pub fn before(mut self, value: impl Serialize) -> Self {
        self.before = Some(serde_json::to_value(value).unwrap_or(Value::Null));
        self
    }

    pub fn after(mut self, value: impl Serialize) -> Self {
        self.after = Some(serde_json::to_value(value).unwrap_or(Value::Null));
        self
    }

    pub fn reason(mut self, reason: &'a str) -> Self {
        self.reason = Some(reason);
        self
    }
}

/// Records `change` in the caller's transaction.
pub async fn record(
    conn: &mut PgConnection,
    school_id: SchoolId,
    actor: &Actor,
    change: Change<'_>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO audit_event
             (school_id, actor_account_id, actor_role, session_ref, action, subject_type,
              subject_id, before, after, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        school_id.0,
        actor.account_id,
        actor.role.map(Role::as_str),
        actor.session_ref,
        change.action,
        change.subject_type,
        change.subject_id,
        change.before,
        change.after,
        change.reason,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One line of the audit trail as the audit page shows it.
#[derive(Debug, Clone)]
pub struct AuditLine {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
}

impl AuditLine {
    /// When, in the school's time zone: «23.11.2026 10:15».
    pub fn local_time(&self, time_zone: &str) -> String {
        let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
        self.at
            .with_timezone(&tz)
            .format("%d.%m.%Y %H:%M")
            .to_string()
    }

    /// What was done, in Russian.
    pub fn action_label(&self) -> &str {
        labels::action(&self.action)
    }

    /// What it was done to, in Russian.
    pub fn subject_label(&self) -> &str {
        labels::subject(&self.subject_type)
    }

    /// The state before the change, in Russian.
    pub fn before_text(&self) -> String {
        self.before.as_ref().map(labels::state).unwrap_or_default()
    }

    /// The state after the change, in Russian.
    pub fn after_text(&self) -> String {
        self.after.as_ref().map(labels::state).unwrap_or_default()
    }
}

/// The latest `limit` events of a school, newest first.
pub async fn latest(
    pool: &sqlx::PgPool,
    school_id: SchoolId,
    limit: i64,
) -> sqlx::Result<Vec<AuditLine>> {
    sqlx::query_as!(
        AuditLine,
        r#"SELECT e.id, e.at, e.actor_role, e.action, e.subject_type, e.subject_id, e.before,
                  e.after, e.reason,
                  a.last_name || ' ' || a.first_name AS actor
           FROM audit_event e
           LEFT JOIN account a ON a.id = e.actor_account_id
           WHERE e.school_id = $1
           ORDER BY e.id DESC
           LIMIT $2"#,
        school_id.0,
        limit
    )
    .fetch_all(pool)
    .await
}
