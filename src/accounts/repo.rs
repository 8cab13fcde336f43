//! Queries of people in a school: accounts seen through their memberships there.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::authz::Role;
use crate::tenancy::SchoolId;

/// A new account's personal part.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub login: String,
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    pub email: Option<String>,
    pub must_change_password: bool,
    pub is_operator: bool,
}

pub async fn insert_account(
    conn: &mut PgConnection,
    account: &NewAccount,
    password_hash: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO account (login, password_hash, last_name, first_name, middle_name, email,
                              must_change_password, is_operator)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        account.login,
        password_hash,
        account.last_name,
        account.first_name,
        account.middle_name,
        account.email,
        account.must_change_password,
        account.is_operator
    )
    .fetch_one(conn)
    .await
}

pub async fn login_taken(conn: &mut PgConnection, login: &str) -> sqlx::Result<bool> {
    Ok(
        sqlx::query_scalar!("SELECT 1 AS one FROM account WHERE login = $1", login)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// The first free login among `stem`, `stem2`, `stem3`, …
pub async fn free_login(conn: &mut PgConnection, stem: &str) -> sqlx::Result<String> {
    // Stems hold only [a-z0-9.-], none of which LIKE treats specially.
    let taken: Vec<String> =
        sqlx::query_scalar!("SELECT login FROM account WHERE login LIKE $1 || '%'", stem)
            .fetch_all(conn)
            .await?;
    if !taken.iter().any(|l| l == stem) {
        return Ok(stem.to_string());
    }
    Ok((2..)
        .map(|n| format!("{stem}{n}"))
        .find(|l| !taken.contains(l))
        .expect("an unbounded range has a free login"))
}

pub async fn insert_membership(
    conn: &mut PgConnection,
    school_id: SchoolId,
    account_id: i64,
    role: Role,
    class_id: Option<i64>,
    pupil_id: Option<i64>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO membership (school_id, account_id, role, class_id, pupil_id)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        school_id.0,
        account_id,
        role.as_str(),
        class_id,
        pupil_id
    )
    .fetch_one(conn)
    .await
}

/// A line of the people list.
#[derive(Debug, Clone)]
pub struct PersonLine {
    pub account_id: i64,
    pub login: String,
    pub full_name: String,
    pub roles: Vec<String>,
    pub position: Option<String>,
    pub must_change_password: bool,
    pub last_login: Option<DateTime<Utc>>,
}

/// People with an active membership in the school, optionally only those with `role`, in
/// Russian alphabetical order. The school's people first, then their last logins from the
/// security log: on Citus the log stays on the coordinator and the memberships are on the
/// school's worker, which one statement may not join directly (the CTE is routed to the worker,
/// the rest runs on the coordinator).
pub async fn people(
    pool: &PgPool,
    school_id: SchoolId,
    role: Option<Role>,
    limit: i64,
) -> sqlx::Result<Vec<PersonLine>> {
    sqlx::query_as!(
        PersonLine,
        r#"WITH people AS MATERIALIZED (
               SELECT a.id, a.login, a.last_name, a.first_name, a.middle_name,
                      array_agg(DISTINCT m.role ORDER BY m.role) AS roles,
                      max(m.position) AS position, a.must_change_password
               FROM membership m
               JOIN account a ON a.id = m.account_id
               WHERE m.school_id = $1 AND m.revoked_at IS NULL
                 AND ($2::text IS NULL OR m.role = $2)
               GROUP BY a.id
               ORDER BY a.last_name, a.first_name, a.middle_name, a.id
               LIMIT $3
           )
           SELECT p.id AS "account_id!", p.login AS "login!",
                  p.last_name || ' ' || p.first_name || ' ' || p.middle_name AS "full_name!",
                  p.roles AS "roles!", p.position,
                  p.must_change_password AS "must_change_password!",
                  (SELECT max(e.at) FROM account_event e
                   WHERE e.account_id = p.id AND e.kind = 'login_succeeded') AS last_login
           FROM people p
           ORDER BY p.last_name, p.first_name, p.middle_name, p.id"#,
        school_id.0,
        role.map(Role::as_str),
        limit
    )
    .fetch_all(pool)
    .await
}

/// A person's card in one school.
#[derive(Debug, Clone)]
pub struct PersonCard {
    pub account_id: i64,
    pub login: String,
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    pub email: Option<String>,
    pub must_change_password: bool,
    pub disabled: bool,
    /// Schools other than this one where the person has an active role.
    pub other_schools: i64,
}

/// The person, if they hold (or held) a role in this school; `None` otherwise, so that another
/// school's people answer 404. The subqueries name the account by the parameter (Citus plans no
/// subquery tied to a row of the reference table `account`).
pub async fn person(
    conn: &mut PgConnection,
    school_id: SchoolId,
    account_id: i64,
) -> sqlx::Result<Option<PersonCard>> {
    sqlx::query_as!(
        PersonCard,
        r#"SELECT a.id AS account_id, a.login, a.last_name AS "last_name!",
                  a.first_name AS "first_name!", a.middle_name AS "middle_name!", a.email,
                  a.must_change_password, a.disabled_at IS NOT NULL AS "disabled!",
                  (SELECT count(DISTINCT o.school_id) FROM membership o
                   WHERE o.account_id = $2 AND o.school_id <> $1
                     AND o.revoked_at IS NULL) AS "other_schools!"
           FROM account a
           WHERE a.id = $2
             AND EXISTS (SELECT 1 FROM membership m
                         WHERE m.school_id = $1 AND m.account_id = $2)"#,
        school_id.0,
        account_id
    )
    .fetch_optional(conn)
    .await
}

/// A role of a person in a school, as the card lists it.
#[derive(Debug, Clone)]
pub struct RoleLine {
    pub membership_id: i64,
    pub role: String,
    pub scope: Option<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub timetable_editor: bool,
}

pub async fn roles_of(
    pool: &PgPool,
    school_id: SchoolId,
    account_id: i64,
) -> sqlx::Result<Vec<RoleLine>> {
    sqlx::query_as!(
        RoleLine,
        r#"SELECT m.id AS membership_id, m.role, m.created_at, m.revoked_at, m.timetable_editor,
                  CASE WHEN m.pupil_id IS NOT NULL THEN p.last_name || ' ' || p.first_name
                       WHEN m.class_id IS NOT NULL THEN c.grade || c.letter END AS scope
           FROM membership m
           LEFT JOIN school_class c ON c.school_id = m.school_id AND c.id = m.class_id
           LEFT JOIN pupil p ON p.school_id = m.school_id AND p.id = m.pupil_id
           WHERE m.school_id = $1 AND m.account_id = $2
           ORDER BY m.revoked_at NULLS FIRST, m.created_at"#,
        school_id.0,
        account_id
    )
    .fetch_all(pool)
    .await
}

/// An active membership of the person in the school, for revoking.
pub async fn active_membership(
    conn: &mut PgConnection,
    school_id: SchoolId,
    account_id: i64,
    membership_id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT role FROM membership
         WHERE school_id = $1 AND account_id = $2 AND id = $3 AND revoked_at IS NULL",
        school_id.0,
        account_id,
        membership_id
    )
    .fetch_optional(conn)
    .await
}

pub async fn has_active_role(
    conn: &mut PgConnection,
    school_id: SchoolId,
    account_id: i64,
    role: Role,
) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(
        "SELECT 1 AS one FROM membership
         WHERE school_id = $1 AND account_id = $2 AND role = $3 AND revoked_at IS NULL",
        school_id.0,
        account_id,
        role.as_str()
    )
    .fetch_optional(conn)
    .await?
    .is_some())
}

pub async fn revoke_membership(
    conn: &mut PgConnection,
    school_id: SchoolId,
    membership_id: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE membership SET revoked_at = $3 WHERE school_id = $1 AND id = $2",
        school_id.0,
        membership_id,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Pupils of a class who already have a pupil account.
pub async fn pupils_with_accounts(
    conn: &mut PgConnection,
    school_id: SchoolId,
    class_id: i64,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"SELECT m.pupil_id AS "pupil_id!" FROM membership m
           JOIN class_enrollment e ON e.school_id = m.school_id AND e.pupil_id = m.pupil_id
           WHERE m.school_id = $1 AND e.class_id = $2 AND e.ends_on IS NULL
             AND m.role = 'pupil' AND m.revoked_at IS NULL"#,
        school_id.0,
        class_id
    )
    .fetch_all(conn)
    .await
}

/// A parent's names as the school recorded them.
pub async fn parent_names(
    conn: &mut PgConnection,
    school_id: SchoolId,
    parent_id: i64,
) -> sqlx::Result<(String, String, String)> {
    let r = sqlx::query!(
        r#"SELECT last_name AS "last_name!", first_name AS "first_name!", middle_name AS "middle_name!"
           FROM parent WHERE school_id = $1 AND id = $2"#,
        school_id.0,
        parent_id
    )
    .fetch_one(conn)
    .await?;
    Ok((r.last_name, r.first_name, r.middle_name))
}

/// Staff of the school who never logged in with their issued password and work here only:
/// (account, full name, login, roles).
pub async fn staff_awaiting_first_login(
    conn: &mut PgConnection,
    school_id: SchoolId,
) -> sqlx::Result<Vec<(i64, String, String, Vec<String>)>> {
    let rows = sqlx::query!(
        r#"SELECT a.id, a.login,
                  a.last_name || ' ' || a.first_name || ' ' || a.middle_name AS "full_name!",
                  array_agg(DISTINCT m.role ORDER BY m.role) AS "roles!"
           FROM account a JOIN membership m ON m.account_id = a.id
           WHERE m.school_id = $1 AND m.revoked_at IS NULL AND a.must_change_password
             AND m.role IN ('director', 'deputy', 'administrator', 'teacher', 'class_teacher')
             AND NOT EXISTS (SELECT 1 FROM account_event e WHERE e.account_id = a.id AND e.kind = 'login_succeeded')
             AND NOT EXISTS (SELECT 1 FROM membership o WHERE o.account_id = a.id AND o.school_id <> $1 AND o.revoked_at IS NULL)
           GROUP BY a.id
           ORDER BY a.last_name, a.first_name, a.middle_name"#,
        school_id.0
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.full_name.trim().to_string(), r.login, r.roles))
        .collect())
}

/// The names of the school's staff («Фамилия Имя Отчество»).
pub async fn staff_names(
    conn: &mut PgConnection,
    school_id: SchoolId,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"SELECT DISTINCT trim(a.last_name || ' ' || a.first_name || ' ' || a.middle_name) AS "name!"
           FROM membership m JOIN account a ON a.id = m.account_id
           WHERE m.school_id = $1 AND m.revoked_at IS NULL
             AND m.role IN ('director', 'deputy', 'administrator', 'teacher', 'class_teacher')"#,
        school_id.0
    )
    .fetch_all(conn)
    .await
}

/// Sets the position of a staff member in the school (on their staff memberships).
pub async fn set_position(
    conn: &mut PgConnection,
    school_id: SchoolId,
    account_id: i64,
    position: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE membership SET position = $3 WHERE school_id = $1 AND account_id = $2 AND revoked_at IS NULL
           AND role IN ('director', 'deputy', 'administrator', 'teacher', 'class_teacher')",
        school_id.0,
        account_id,
        position
    )
    .execute(conn)
    .await?;
    Ok(())
}
