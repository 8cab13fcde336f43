//! The database: pools, migrations, the application's role, and the private cluster
//! (`embedded`).
//!
//! Two roles: the *owner* applies the migrations and owns the tables (the private cluster's
//! superuser, or `DATABASE_URL` on an external server); the *application role* (`zhurnal_app`,
//! or the user of `ZHURNAL_APP_DATABASE_URL`) serves requests with only what it needs — reading
//! and writing rows, never DDL, never changing or removing the audit trail.

pub mod embedded;
pub mod readiness;
pub mod replica;
pub mod scope;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The role the application serves as on the private cluster (and in the tests).
pub const APP_ROLE: &str = "zhurnal_app";

pub async fn connect(url: &str) -> anyhow::Result<PgPool> {
    // How statements are planned is set on every acquire with the scope (`scope::Planning`).
    let options = PgConnectOptions::from_str(url).context("адрес базы данных не разобран")?;
    let pool = pool_options()
        .max_connections(20)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?;
    note_citus(&pool).await?;
    Ok(pool)
}

/// The sessions' own pool: the session store (`auth::session_store`) and the request's person
/// (`auth::repo::current`). The `session` table is outside the school wall, so its connections
/// are never given a scope — they see no walled row at all (fail closed, `scope`) — and a
/// request's session load takes no round trip to set one; the person's read sets its scope for
/// its own statement (`zhurnal_current_member`). They plan generically (set when the connection
/// is made), as these statements take plain keys. The load was planned afresh on every request
/// before (0.13 ms), and the two scope round trips were two of a page's three. Small: a request
/// holds one only for one statement, never while it waits for another connection.
pub fn session_pool(primary: &PgPool) -> PgPool {
    let mut options = (*primary.connect_options()).clone();
    if !is_citus() {
        options = options.options([("plan_cache_mode", "force_generic_plan")]);
    }
    PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .idle_timeout(Some(Duration::from_secs(60)))
        .connect_lazy_with(options)
}

/// Whether the database is a Citus coordinator (docs/SCALE.md), noted once when a pool is made.
static CITUS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Is the database a Citus coordinator? Its planner cannot make a generic plan of a statement it
/// must split (a school's rows beside a count over every school's shards), so `scope` keeps
/// planning per call there (`scope::Planning`).
pub fn is_citus() -> bool {
    CITUS.load(std::sync::atomic::Ordering::Relaxed)
}

async fn note_citus(pool: &PgPool) -> sqlx::Result<()> {
    if coordinator(pool).await? {
        CITUS.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    Ok(())
}

/// Does `pool` lead to a Citus coordinator? Unchecked: Citus's catalogue does not exist on
/// plain PostgreSQL.
async fn coordinator(pool: &PgPool) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT to_regclass('pg_catalog.pg_dist_node') IS NOT NULL")
        .fetch_one(pool)
        .await
}

/// Pool options that set every connection, when it is made and each time it is taken, to the
/// school scope of the task that takes it (`scope`; one round trip per acquire).
pub fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .after_connect(|conn, _| Box::pin(async move { scope::apply(conn).await }))
        .before_acquire(|conn, _| Box::pin(async move { scope::apply(conn).await.map(|()| true) }))
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Creates `database` on the server behind `admin_url` unless it exists.
pub async fn ensure_database(admin_url: &str, database: &str) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(admin_url)
        .await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(database)
            .fetch_one(&pool)
            .await?;
    if !exists {
        sqlx::query(&format!("CREATE DATABASE \"{database}\" ENCODING 'UTF8'"))
            .execute(&pool)
            .await?;
    }
    pool.close().await;
    Ok(())
}

/// Does the database answer?
pub async fn ping(pool: &PgPool) -> sqlx::Result<()> {
    sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
}

/// The user a PostgreSQL URL connects as.
pub fn user_of(url: &str) -> anyhow::Result<String> {
    let options = PgConnectOptions::from_str(url).context("адрес базы данных не разобран")?;
    Ok(options.get_username().to_string())
}

/// Makes `role` the application's role on the owner's database: creates it if it is missing and
/// the owner may create roles, and gives it exactly the rights the application needs — rows of
/// every table (and of tables later migrations add), the sequences; on `audit_event` only
/// reading and adding, on `audit_chain_head`, `audit_school_event` and `audit_journal_state_event` only reading; nothing on the migrations' own table; no DDL. Idempotent; run after the
/// migrations, as the owner. Refuses a role that could get around the audit trail (a superuser,
/// a role that bypasses row security, or the owner itself).
pub async fn ensure_app_role(owner: &PgPool, role: &str) -> anyhow::Result<()> {
    let mut tx = owner.begin().await?;
    // GRANT/REVOKE of concurrent starts (tests, a second process) would collide.
    sqlx::query("SELECT pg_advisory_xact_lock(7205560340991001)")
        .execute(&mut *tx)
        .await?;
    let me: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut *tx)
        .await?;
    anyhow::ensure!(
        me != role,
        "роль приложения «{role}» совпадает с владельцем базы: укажите в ZHURNAL_APP_DATABASE_URL \
         другую роль (см. README, «Внешний PostgreSQL»)"
    );
    let existing: Option<(bool, bool)> =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1")
            .bind(role)
            .fetch_optional(&mut *tx)
            .await?;
    let quoted = quote_ident(role);
    match existing {
        Some((superuser, bypass)) => anyhow::ensure!(
            !superuser && !bypass,
            "роль приложения «{role}» — суперпользователь или обходит защиту строк; ей нужны \
             только права на строки таблиц (ALTER ROLE {quoted} NOSUPERUSER NOBYPASSRLS)"
        ),
        None => {
            let may_create: bool = sqlx::query_scalar(
                "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user",
            )
            .fetch_one(&mut *tx)
            .await?;
            anyhow::ensure!(
                may_create,
                "роли приложения «{role}» нет, а владелец базы «{me}» не может её создать; \
                 создайте её: CREATE ROLE {quoted} LOGIN PASSWORD '…'"
            );
            // Roles belong to the whole server: another database's start may create it at the
            // same moment (the advisory lock is per database), which is as good.
            let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
            let created = sqlx::query(&format!(
                "CREATE ROLE {quoted} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION \
                 NOBYPASSRLS"
            ))
            .execute(&mut *savepoint)
            .await;
            match created {
                Ok(_) => savepoint.commit().await?,
                Err(sqlx::Error::Database(e))
                    if matches!(e.code().as_deref(), Some("42710" | "23505")) =>
                {
                    savepoint.rollback().await?
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let database: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(&mut *tx)
        .await?;
    let statements = [
        format!(
            "GRANT CONNECT ON DATABASE {} TO {quoted}",
            quote_ident(&database)
        ),
        // PostgreSQL 14 lets everybody create in `public`; the owner of the schema takes it back.
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC".to_string(),
        format!("REVOKE CREATE ON SCHEMA public FROM {quoted}"),
        format!("GRANT USAGE ON SCHEMA public TO {quoted}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"),
        format!(
            "REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {quoted}"
        ),
        format!("REVOKE UPDATE, DELETE ON audit_event FROM {quoted}"),
        format!("REVOKE INSERT, UPDATE, DELETE ON audit_school_event FROM {quoted}"),
        format!("REVOKE INSERT, UPDATE, DELETE ON audit_journal_state_event FROM {quoted}"),
        // The chain's heads move only through the trail's own (SECURITY DEFINER) triggers.
        format!("REVOKE INSERT, UPDATE, DELETE ON audit_chain_head FROM {quoted}"),
        format!("REVOKE ALL ON _sqlx_migrations FROM {quoted}"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"),
        format!(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public \
             GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}"
        ),
        format!(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {quoted}"
        ),
    ];
    for statement in &statements {
        sqlx::query(statement)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("не удалось выдать права роли «{role}»: {statement}"))?;
    }
    let can_create: bool =
        sqlx::query_scalar("SELECT has_schema_privilege($1, 'public', 'CREATE')")
            .bind(role)
            .fetch_one(&mut *tx)
            .await?;
    if can_create {
        tracing::warn!(
            role,
            "the application role may still create tables in schema public; as the schema's \
             owner run: REVOKE CREATE ON SCHEMA public FROM PUBLIC"
        );
    }
    tx.commit().await?;
    Ok(())
}

/// On a Citus coordinator (docs/SCALE.md), a pool of one lazy connection to each active worker,
/// as the same role with the same credentials: the live diary reads the workers' outboxes
/// (`diary::live`), the bench counts their CPU. On plain PostgreSQL there is none. Unchecked
/// queries: Citus's catalogue does not exist on plain PostgreSQL.
pub async fn citus_workers(pool: &PgPool) -> sqlx::Result<Vec<PgPool>> {
    if !coordinator(pool).await? {
        return Ok(Vec::new());
    }
    let nodes: Vec<(String, i32)> = sqlx::query_as(
        "SELECT nodename::text, nodeport FROM pg_catalog.pg_dist_node
         WHERE isactive AND noderole = 'primary' AND groupid <> 0",
    )
    .fetch_all(pool)
    .await?;
    let options = pool.connect_options();
    Ok(nodes
        .into_iter()
        .map(|(host, port)| {
            let at = (*options).clone().port(u16::try_from(port).unwrap_or(5432));
            // A Unix socket's directory, or a host name.
            let at = if host.starts_with('/') {
                at.socket(host)
            } else {
                at.host(&host)
            };
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect_lazy_with(at)
        })
        .collect())
}

/// Is the role of this pool's connections free of superuser powers (what the audit trail's
/// protection relies on)?
pub async fn is_unprivileged(pool: &PgPool) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT NOT (rolsuper OR rolbypassrls) FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(pool)
    .await
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_of_a_url_is_read_with_its_escapes() {
        assert_eq!(user_of("postgres://a%40b:x@h/db").unwrap(), "a@b");
        assert_eq!(
            user_of("postgres://zhurnal_app@localhost/zhurnal?host=/tmp/x/pg").unwrap(),
            "zhurnal_app"
        );
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("zhurnal_app"), "\"zhurnal_app\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
