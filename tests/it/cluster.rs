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
