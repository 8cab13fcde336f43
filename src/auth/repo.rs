//! Queries of accounts, memberships and the account security log.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::authz::Role;
use crate::tenancy::SchoolId;

#[derive(Debug, Clone)]
pub struct AccountRow {
    pub id: i64,
    pub login: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub is_operator: bool,
    pub disabled: bool,
}

pub async fn find_by_login(pool: &PgPool, login: &str) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        r#"SELECT id, login, password_hash, must_change_password, is_operator,
                  disabled_at IS NOT NULL AS "disabled!"
           FROM account WHERE login = $1"#,
        login
    )
    .fetch_optional(pool)
    .await
}

pub async fn find_by_id(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        r#"SELECT id, login, password_hash, must_change_password, is_operator,
                  disabled_at IS NOT NULL AS "disabled!"
           FROM account WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Failed attempts for `login` since its last successful login and not before `since`; only
/// those from `ip` when it is given.
pub async fn recent_failures(
    conn: &mut PgConnection,
    login: &str,
    ip: Option<IpAddr>,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<DateTime<Utc>>> {
    let ip = ip.map(|ip| ip.to_string());
    sqlx::query_scalar!(
        "SELECT at FROM account_event
         WHERE login = $1 AND kind = 'login_failed' AND at >= $2
           AND ($3::text IS NULL OR ip = $3::text::inet)
           AND at > coalesce((SELECT max(at) FROM account_event
                              WHERE login = $1 AND kind = 'login_succeeded' AND at >= $2),
                             '-infinity')
         ORDER BY at",
        login,
        since,
        ip
    )
    .fetch_all(conn)
    .await
}

/// The latest failed attempts from `ip` (whatever the login) not before `since`, at most `limit`.
pub async fn address_failures(
    conn: &mut PgConnection,
    ip: IpAddr,
    since: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<DateTime<Utc>>> {
    sqlx::query_scalar!(
        "SELECT at FROM account_event
         WHERE ip = $1::text::inet AND kind = 'login_failed' AND at >= $2
         ORDER BY at DESC LIMIT $3",
        ip.to_string(),
        since,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Whether `login` signed in successfully from `ip` since `since`.
pub async fn signed_in_from(
    conn: &mut PgConnection,
    login: &str,
    ip: IpAddr,
    since: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let found = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM account_event
                          WHERE login = $1 AND ip = $2::text::inet
                            AND kind = 'login_succeeded' AND at >= $3) AS "found!""#,
        login,
        ip.to_string(),
        since
    )
    .fetch_one(conn)
    .await?;
    Ok(found)
}

/// Holds, until the transaction ends, the turn of `login` — and of `ip` first when given — for
/// a login attempt: attempts of one login (or from one address) are decided one after another,
/// whichever server they reach, so attempts sent at once all see each other (`auth::service::
/// login`). Always the address before the login, so two attempts never wait for each other.
pub async fn take_attempt_turn(
    conn: &mut PgConnection,
    login: &str,
    ip: Option<IpAddr>,
) -> sqlx::Result<()> {
    let mut keys = Vec::with_capacity(2);
    if let Some(ip) = ip {
        keys.push(format!("zhurnal.login-address:{ip}"));
    }
    keys.push(format!("zhurnal.login:{login}"));
    for key in keys {
        sqlx::query_scalar!(
            r#"SELECT true AS "taken!" FROM pg_advisory_xact_lock(hashtextextended($1, 0))"#,
            key
        )
        .fetch_one(&mut *conn)
        .await?;
    }
    Ok(())
}

/// An attempt recorded as failed before its password was checked turns out to have succeeded.
pub async fn attempt_succeeded(pool: &PgPool, event_id: i64, account_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE account_event SET kind = 'login_succeeded', account_id = $2
         WHERE id = $1 AND kind = 'login_failed'",
        event_id,
        account_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// An entry of the account security log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    LoginSucceeded,
    LoginFailed,
    LoginLocked,
    Logout,
    PasswordChanged,
    SchoolEntered,
}

impl EventKind {
    fn as_str(self) -> &'static str {
        match self {
            EventKind::LoginSucceeded => "login_succeeded",
            EventKind::LoginFailed => "login_failed",
            EventKind::LoginLocked => "login_locked",
            EventKind::Logout => "logout",
            EventKind::PasswordChanged => "password_changed",
            EventKind::SchoolEntered => "school_entered",
        }
    }
}

/// Where a request came from, for the security log.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<std::net::IpAddr>,
    pub user_agent: Option<String>,
}

#[derive(Debug)]
pub struct AccountEvent<'a> {
    pub at: DateTime<Utc>,
    pub login: &'a str,
    pub account_id: Option<i64>,
    pub kind: EventKind,
    pub school_id: Option<SchoolId>,
}

/// Writes an entry of the security log; returns its id.
pub async fn record_event(
    conn: &mut PgConnection,
    event: AccountEvent<'_>,
    origin: &Origin,
) -> sqlx::Result<i64> {
    let ip = origin.ip.map(|ip| ip.to_string());
    sqlx::query_scalar!(
        "INSERT INTO account_event (at, login, account_id, kind, school_id, ip, user_agent)
         VALUES ($1, $2, $3, $4, $5, $6::text::inet, left($7, 300))
         RETURNING id",
        event.at,
        event.login,
        event.account_id,
        event.kind.as_str(),
        event.school_id.map(|s| s.0),
        ip,
        origin.user_agent,
    )
    .fetch_one(conn)
    .await
}

/// A membership as the "where to work" page lists it.
#[derive(Debug, Clone)]
pub struct MembershipChoice {
    pub school_id: SchoolId,
    pub membership_id: i64,
    pub role: Role,
    pub school_name: String,
    /// The class ("5Б") or the pupil ("Иванов Пётр, 5Б") the role is scoped to.
    pub scope: Option<String>,
}

struct ChoiceRow {
    school_id: i64,
    membership_id: i64,
    role: String,
    school_name: String,
    scope: Option<String>,
}

/// Every active membership of an account, in every school.
pub async fn memberships(pool: &PgPool, account_id: i64) -> sqlx::Result<Vec<MembershipChoice>> {
    // Every school's rows: the person's own roles in all their schools, named by class and
    // pupil, before (or instead of) choosing one — the query is bounded by the account.
    let rows = crate::db::scope::all_schools(
        sqlx::query_as!(
            ChoiceRow,
            r#"SELECT m.school_id, m.id AS membership_id, m.role, s.short_name AS school_name,
                  CASE WHEN m.pupil_id IS NOT NULL THEN
                           p.last_name || ' ' || p.first_name
                           || coalesce(', ' || pc.grade || pc.letter, '')
                       WHEN m.class_id IS NOT NULL THEN c.grade || c.letter
                  END AS scope
           FROM membership m
           JOIN school s ON s.id = m.school_id
           LEFT JOIN school_class c ON c.school_id = m.school_id AND c.id = m.class_id
           LEFT JOIN pupil p ON p.school_id = m.school_id AND p.id = m.pupil_id
           LEFT JOIN LATERAL (
               SELECT sc.grade, sc.letter FROM class_enrollment e
               JOIN school_class sc ON sc.school_id = e.school_id AND sc.id = e.class_id
               WHERE e.school_id = m.school_id AND e.pupil_id = m.pupil_id AND e.ends_on IS NULL
               ORDER BY e.starts_on DESC LIMIT 1
           ) pc ON true
           WHERE m.account_id = $1 AND m.revoked_at IS NULL
           ORDER BY s.short_name, m.role, scope"#,
            account_id
        )
        .fetch_all(pool),
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(MembershipChoice {
                school_id: SchoolId(r.school_id),
                membership_id: r.membership_id,
                role: r.role.parse().ok()?,
                school_name: r.school_name,
                scope: r.scope,
            })
        })
        .collect())
}

/// The signed-in person and the membership they work under, loaded once per request (with the
/// session: `session_store`; its fields are `zhurnal_current_member`'s columns).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct CurrentRow {
    pub account_id: i64,
    pub login: String,
    pub full_name: String,
    pub must_change_password: bool,
    pub is_operator: bool,
    pub membership_count: i64,
    pub school_id: Option<i64>,
    pub membership_id: Option<i64>,
    pub role: Option<String>,
    pub class_id: Option<i64>,
    pub pupil_id: Option<i64>,
    pub school_name: Option<String>,
    pub school_time_zone: Option<String>,
    pub timetable_editor: bool,
    /// Messages to this person in the membership's school not read yet (the menu's badge).
    pub unread_messages: i64,
}

/// The account (if enabled, and its credentials not declared compromised) and, when given, its
/// membership (if still active) with the count of unread messages in its school: one call of
/// `zhurnal_current_member` (migration `current_member`), which sets the membership's school
/// (or none) as the scope of its own statement — for the sessions' pool (`db::session_pool`),
/// whose connections carry no scope, so the read costs one round trip. On Citus the subqueries
/// name the account and the school by the parameters, not by the outer rows: the count of the
/// person's memberships (every school's shard) is then planned on its own and the rest routed to
/// the school's worker.
pub async fn current(
    db: impl sqlx::PgExecutor<'_>,
    account_id: i64,
    membership: Option<(SchoolId, i64)>,
) -> sqlx::Result<Option<CurrentRow>> {
    let (school_id, membership_id) = membership.map(|(s, m)| (s.0, m)).unzip();
    sqlx::query_as!(
        CurrentRow,
        r#"SELECT account_id AS "account_id!", login AS "login!", full_name AS "full_name!",
                  must_change_password AS "must_change_password!", is_operator AS "is_operator!",
                  membership_count AS "membership_count!", school_id AS "school_id?",
                  membership_id AS "membership_id?", role AS "role?", class_id AS "class_id?",
                  pupil_id AS "pupil_id?", school_name AS "school_name?",
                  school_time_zone AS "school_time_zone?", timetable_editor AS "timetable_editor!",
                  unread_messages AS "unread_messages!"
           FROM zhurnal_current_member($1, $2, $3, $4)"#,
        account_id,
        school_id,
        membership_id,
        crate::compromised::LOCKED_HASH
    )
    .fetch_optional(db)
    .await
}

pub async fn set_password(
    conn: &mut PgConnection,
    account_id: i64,
    hash: &str,
    must_change: bool,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE account SET password_hash = $2, must_change_password = $3,
                password_changed_at = $4
         WHERE id = $1",
        account_id,
        hash,
        must_change,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends every session of the account but the one with `keep` (its id hash).
pub async fn end_sessions(
    conn: &mut PgConnection,
    account_id: i64,
    keep: Option<&str>,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM session WHERE account_id = $1 AND id_hash IS DISTINCT FROM $2",
        account_id,
        keep
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
