//! The private PostgreSQL cluster: starts, keeps data across a restart, stops.

use sqlx::Connection;
use sqlx::postgres::PgConnection;
use zhurnal::db::embedded::{Durability, EmbeddedPostgres};

async fn connect(cluster: &EmbeddedPostgres) -> PgConnection {
    PgConnection::connect(&cluster.url("postgres"))
        .await
        .expect("connect")
}

#[tokio::test]
async fn the_private_cluster_starts_keeps_data_across_a_restart_and_stops() {
    if std::env::var("DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        // The suite runs against an external server; the private cluster has its own run.
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("zhurnal-cluster-")
        .tempdir_in("/tmp")
        .unwrap();
    let path = dir.path().to_path_buf();
    let first = {
        let p = path.clone();
        tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&p, Durability::Ephemeral))
            .await
            .unwrap()
            .expect("the cluster starts")
    };
    let mut conn = connect(&first).await;
    sqlx::query("CREATE TABLE kept (name text)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO kept VALUES ('Ёжиков')")
        .execute(&mut conn)
        .await
        .unwrap();
    // Only a Unix socket inside the data directory, no TCP.
    let listen: String = sqlx::query_scalar("SHOW listen_addresses")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(listen, "");
    conn.close().await.unwrap();
    let pid_file = path.join("pg/postmaster.pid");
    assert!(pid_file.exists());
    tokio::task::spawn_blocking(move || first.stop())
        .await
        .unwrap();
    assert!(!pid_file.exists(), "stopped cleanly");

    let second = {
        let p = path.clone();
        tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&p, Durability::Ephemeral))
            .await
            .unwrap()
            .expect("the cluster starts again")
    };
    let mut conn = connect(&second).await;
    let name: String = sqlx::query_scalar("SELECT name FROM kept")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(name, "Ёжиков");
    conn.close().await.unwrap();
    tokio::task::spawn_blocking(move || drop(second))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stale_pid_file_left_by_a_crash_does_not_stop_the_next_start() {
    if std::env::var("DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("zhurnal-cluster-")
        .tempdir_in("/tmp")
        .unwrap();
    let path = dir.path().to_path_buf();
    let p = path.clone();
    let cluster =
        tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&p, Durability::Ephemeral))
            .await
            .unwrap()
            .unwrap();
    let pid_file = path.join("pg/postmaster.pid");
    let saved = std::fs::read_to_string(&pid_file).unwrap();
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .unwrap();
    // A crash leaves the pid file behind, naming a process that no longer exists.
    let fake = saved.replacen(saved.lines().next().unwrap(), "4194000", 1);
    std::fs::write(&pid_file, fake).unwrap();
    let p = path.clone();
    let again =
        tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&p, Durability::Ephemeral))
            .await
            .unwrap()
            .expect("starts despite the stale pid file");
    let mut conn = connect(&again).await;
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
    conn.close().await.unwrap();
    tokio::task::spawn_blocking(move || drop(again))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_application_role_cannot_switch_off_change_or_remove_the_audit_trail_nor_change_the_schema()
 {
    let app = crate::helpers::spawn_app().await;
    // The app serves as the application's role, not as the owner.
    let who: (String, bool) = sqlx::query_as(
        "SELECT current_user::text, rolsuper FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(&app.app_pool)
    .await
    .unwrap();
    assert_eq!(who, ("zhurnal_app".to_string(), false));
    for statement in [
        "SET session_replication_role = replica",
        "ALTER TABLE audit_event DISABLE TRIGGER ALL",
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_or_delete",
        "UPDATE audit_event SET reason = 'rewritten'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
        "DROP TABLE audit_event",
        "CREATE TABLE x ()",
        "DELETE FROM _sqlx_migrations",
        "ALTER TABLE mark ADD COLUMN x int",
        "CREATE ROLE intruder SUPERUSER",
    ] {
        let error = sqlx::query(statement)
            .execute(&app.app_pool)
            .await
            .expect_err(statement);
        assert!(
            error.to_string().contains("permission denied")
                || error.to_string().contains("must be "),
            "{statement}: {error}"
        );
    }
    // What the application does need still works: reading and adding to the trail, rows,
    // notifications, advisory locks.
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event")
        .fetch_one(&app.app_pool)
        .await
        .unwrap();
    assert!(before > 0);
    sqlx::query("SELECT pg_notify('diary', '{}'), pg_advisory_xact_lock(1)")
        .execute(&app.app_pool)
        .await
        .unwrap();
    // And the app serves pages with these rights.
    let teacher = app.signed_in("teacher").await;
    let (status, _) = teacher.text("/teacher").await;
    assert_eq!(status, reqwest::StatusCode::OK);
}
