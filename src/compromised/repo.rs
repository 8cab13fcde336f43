//! Queries of compromised-credentials declarations and their reverts. Always given a `SchoolId`.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;

use crate::tenancy::SchoolId;

/// A declaration as its pages show it.
#[derive(Debug, Clone)]
pub struct Declaration {
    pub id: i64,
    pub account_id: i64,
    pub person: String,
    pub since: DateTime<Utc>,
    pub declared_by: String,
    /// The database's time of the declaration: the end of the window of changes listed (the
    /// audit trail's times are the database's too).
    pub declared_at: DateTime<Utc>,
    pub reverted: i64,
}

/// Records a declaration; returns its id.
pub async fn insert(
    conn: &mut PgConnection,
    school: SchoolId,
    account_id: i64,
    since: DateTime<Utc>,
    declared_by: i64,
    sessions_ended: i32,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO credential_compromise
             (school_id, account_id, since, declared_by, declared_at, sessions_ended)
         VALUES ($1, $2, $3, $4, clock_timestamp(), $5)
         RETURNING id",
        school.0,
        account_id,
        since,
        declared_by,
        sessions_ended
    )
    .fetch_one(conn)
    .await
}

/// The school's declarations, newest first (at most `limit`), or the one with `id`.
pub async fn declarations(
    conn: &mut PgConnection,
    school: SchoolId,
    id: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<Declaration>> {
    sqlx::query_as!(
        Declaration,
        r#"SELECT c.id, c.account_id,
                  trim(a.last_name || ' ' || a.first_name || ' ' || a.middle_name) AS "person!",
                  c.since,
                  trim(d.last_name || ' ' || d.first_name || ' ' || d.middle_name) AS "declared_by!",
                  c.declared_at,
                  (SELECT count(*) FROM credential_compromise_revert r
                   WHERE r.school_id = $1 AND r.compromise_id = c.id) AS "reverted!"
           FROM credential_compromise c
           JOIN account a ON a.id = c.account_id
           JOIN account d ON d.id = c.declared_by
           WHERE c.school_id = $1 AND ($2::bigint IS NULL OR c.id = $2)
           ORDER BY c.id DESC
           LIMIT $3"#,
        school.0,
        id,
        limit
    )
    .fetch_all(conn)
    .await
}

/// A change made with the account within a declaration's window, and what stands in the way of
/// its revert.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// Already reverted.
    pub reverted: bool,
    /// Somebody else (or the account after the declaration) changed the same thing later.
    pub conflict: bool,
    /// The account itself changed the same thing later within the window (revert that first).
    pub later_own: bool,
}

/// The changes made with `account_id` between `since` and `until` in the school, oldest first,
/// at most `limit`; only the event `only` when given. The declaration itself is not one.
#[allow(clippy::too_many_arguments)]
pub async fn events(
    conn: &mut PgConnection,
    school: SchoolId,
    account_id: i64,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    only: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as!(
        Event,
        r#"SELECT e.id, e.at, e.action, e.subject_type, e.subject_id, e.before, e.after,
                  EXISTS (SELECT 1 FROM credential_compromise_revert r
                          WHERE r.school_id = e.school_id AND r.event_id = e.id) AS "reverted!",
                  EXISTS (SELECT 1 FROM audit_event l
                          WHERE l.school_id = e.school_id AND l.id > e.id
                            AND l.subject_type = e.subject_type AND l.subject_id = e.subject_id
                            AND l.pupil_id IS NOT DISTINCT FROM e.pupil_id
                            AND (e.subject_type <> 'period_mark'
                                 OR l.after -> 'period_id' = e.after -> 'period_id')
                            AND (l.actor_account_id IS DISTINCT FROM e.actor_account_id
                                 OR l.at > $4)
                            AND l.reason IS DISTINCT FROM $5) AS "conflict!",
                  EXISTS (SELECT 1 FROM audit_event l
                          WHERE l.school_id = e.school_id AND l.id > e.id
                            AND l.subject_type = e.subject_type AND l.subject_id = e.subject_id
                            AND l.pupil_id IS NOT DISTINCT FROM e.pupil_id
                            AND (e.subject_type <> 'period_mark'
                                 OR l.after -> 'period_id' = e.after -> 'period_id')
                            AND l.actor_account_id = e.actor_account_id AND l.at <= $4
                            AND NOT EXISTS (SELECT 1 FROM credential_compromise_revert r
                                            WHERE r.school_id = l.school_id
                                              AND r.event_id = l.id)) AS "later_own!"
           FROM audit_event e
           WHERE e.school_id = $1 AND e.actor_account_id = $2 AND e.at >= $3 AND e.at <= $4
             AND e.action <> 'account.credentials_compromised'
             AND ($6::bigint IS NULL OR e.id = $6)
           ORDER BY e.id
           LIMIT $7"#,
        school.0,
        account_id,
        since,
        until,
        crate::compromised::REASON,
        only,
        limit
    )
    .fetch_all(conn)
    .await
}

/// The mark column of a mark.
pub async fn mark_column(
    conn: &mut PgConnection,
    school: SchoolId,
    mark_id: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "SELECT column_id FROM mark WHERE school_id = $1 AND id = $2",
        school.0,
        mark_id
    )
    .fetch_optional(conn)
    .await
    .map(Option::flatten)
}

/// Records that an event's change was reverted; false if it already was.
pub async fn insert_revert(
    conn: &mut PgConnection,
    school: SchoolId,
    compromise_id: i64,
    event_id: i64,
    reverted_by: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO credential_compromise_revert
             (school_id, compromise_id, event_id, reverted_by, reverted_at)
         VALUES ($1, $2, $3, $4, clock_timestamp())
         ON CONFLICT (school_id, event_id) DO NOTHING",
        school.0,
        compromise_id,
        event_id,
        reverted_by
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
