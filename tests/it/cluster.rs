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
    let before: i64 = zhurnal::db::scope::all_schools(
        sqlx::query_scalar("SELECT count(*) FROM audit_event").fetch_one(&app.app_pool),
    )
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

fn external() -> bool {
    std::env::var("DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("zhurnal-cluster-")
        .tempdir_in("/tmp")
        .unwrap()
}

async fn start(path: &std::path::Path) -> anyhow::Result<EmbeddedPostgres> {
    let p = path.to_path_buf();
    tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&p, Durability::Ephemeral))
        .await
        .unwrap()
}

async fn stop(cluster: EmbeddedPostgres) {
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .unwrap();
}

fn alive(pid: i32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

fn postmaster_pid(cluster_dir: &std::path::Path) -> i32 {
    std::fs::read_to_string(cluster_dir.join("postmaster.pid"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Runs a PostgreSQL program as the server's user (`postgres` under root, as `db::embedded`
/// does).
fn pg_program(name: &str) -> std::process::Command {
    let bins = zhurnal::db::embedded::PgBinaries::find().unwrap();
    let program = bins.bin_dir.join(name);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let mut cmd = std::process::Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        std::process::Command::new(program)
    }
}

/// Another PostgreSQL server, started by `pg_ctl` as a daemon: its parent is PID 1 (or the
/// nearest subreaper), as a system PostgreSQL's is. Stopped on drop.
struct OtherServer {
    dir: std::path::PathBuf,
    _tmp: tempfile::TempDir,
}

impl OtherServer {
    async fn start() -> Self {
        let tmp = temp_dir();
        // Initialised by our own supervisor (which knows how to run initdb as `postgres`).
        let cluster = start(tmp.path())
            .await
            .expect("the other cluster initialises");
        stop(cluster).await;
        let dir = tmp.path().join("pg");
        let status = pg_program("pg_ctl")
            .arg("-D")
            .arg(&dir)
            .args(["-l"])
            .arg(dir.join("other.log"))
            .args(["-w", "-o"])
            .arg(format!(
                "-c listen_addresses= -c unix_socket_directories={}",
                dir.display()
            ))
            .arg("start")
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "pg_ctl starts the other server");
        Self { dir, _tmp: tmp }
    }

    fn pid(&self) -> i32 {
        postmaster_pid(&self.dir)
    }

    /// A backend or helper process of the other server.
    fn child_pid(&self) -> i32 {
        let parent = self.pid().to_string();
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .find(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|s| {
                        s[s.rfind(')')? + 1..]
                            .split_whitespace()
                            .nth(1)
                            .map(|p| p == parent)
                    })
                    .unwrap_or(false)
            })
            .expect("the other server has children")
    }

    async fn answers(&self) -> bool {
        let url = format!(
            "postgres://postgres@localhost/postgres?host={}",
            self.dir.display()
        );
        match PgConnection::connect(&url).await {
            Ok(mut c) => sqlx::query("SELECT 1").execute(&mut c).await.is_ok(),
            Err(_) => false,
        }
    }
}

impl Drop for OtherServer {
    fn drop(&mut self) {
        let _ = pg_program("pg_ctl")
            .arg("-D")
            .arg(&self.dir)
            .args(["-m", "immediate", "stop"])
            .stdout(std::process::Stdio::null())
            .status();
    }
}

/// Writes a stale `postmaster.pid` into a stopped cluster, naming `pid`.
fn fake_pid_file(cluster_dir: &std::path::Path, saved: &str, pid: i32) {
    let fake = saved.replacen(saved.lines().next().unwrap(), &pid.to_string(), 1);
    std::fs::write(cluster_dir.join("postmaster.pid"), fake).unwrap();
}

#[tokio::test]
async fn a_stale_pid_file_naming_another_live_postgresql_server_leaves_that_server_alone() {
    if external() {
        return;
    }
    let other = OtherServer::start().await;
    let other_pid = other.pid();
    assert!(other.answers().await);

    let dir = temp_dir();
    let ours = start(dir.path()).await.unwrap();
    let cluster_dir = dir.path().join("pg");
    let saved = std::fs::read_to_string(cluster_dir.join("postmaster.pid")).unwrap();
    stop(ours).await;

    // The pid file names the other server's postmaster (a daemon whose parent is PID 1), then
    // one of its backends (whose parent is alive): neither is ours, neither is signalled, the
    // file is stale and our server starts.
    for pid in [other_pid, other.child_pid()] {
        fake_pid_file(&cluster_dir, &saved, pid);
        let again = start(dir.path())
            .await
            .expect("starts: the pid file is stale");
        let mut conn = connect(&again).await;
        sqlx::query("SELECT 1").execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        stop(again).await;
        assert!(alive(pid), "pid {pid} of the other server is not signalled");
        assert!(other.answers().await, "the other server still answers");
        assert_eq!(other.pid(), other_pid);
    }
}

#[tokio::test]
async fn a_second_start_on_a_cluster_in_use_refuses_in_russian_naming_the_directory_and_the_server()
{
    if external() {
        return;
    }
    let dir = temp_dir();
    let first = start(dir.path()).await.unwrap();
    let pid = postmaster_pid(&dir.path().join("pg"));
    let error = start(dir.path())
        .await
        .err()
        .expect("the second start refuses");
    let message = format!("{error:#}");
    assert!(
        message.contains(&format!(
            "каталог кластера {} занят работающим сервером PostgreSQL (pid {pid}",
            dir.path().join("pg").display()
        )),
        "{message}"
    );
    let mut conn = connect(&first).await;
    sqlx::query("SELECT 1").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    stop(first).await;
}

#[tokio::test]
async fn a_postmaster_killed_during_a_long_query_comes_back_after_its_orphaned_backend_ends() {
    if external() {
        return;
    }
    let dir = temp_dir();
    let cluster = start(dir.path()).await.unwrap();
    let cluster_dir = dir.path().join("pg");
    let killed = postmaster_pid(&cluster_dir);
    let mut long = connect(&cluster).await;
    // A query that computes for a few seconds and does not look for its postmaster meanwhile:
    // its backend outlives the postmaster and keeps the shared memory in use.
    let query = tokio::spawn(async move {
        sqlx::query("SELECT sum(x) FROM (SELECT generate_series(1, 60000000) AS x) s")
            .execute(&mut long)
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    // SAFETY: the test's own cluster's postmaster.
    unsafe { libc::kill(killed, libc::SIGKILL) };
    let started = std::time::Instant::now();
    let mut back = false;
    while started.elapsed() < std::time::Duration::from_secs(120) {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        if let Ok(mut conn) = PgConnection::connect(&cluster.url("postgres")).await
            && sqlx::query("SELECT 1").execute(&mut conn).await.is_ok()
        {
            back = true;
            break;
        }
    }
    eprintln!("back after {:?}", started.elapsed());
    assert!(back, "the supervisor keeps trying until the server is back");
    assert_ne!(postmaster_pid(&cluster_dir), killed);
    let _ = query.await;
    // And it keeps working afterwards.
    let mut conn = connect(&cluster).await;
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
    conn.close().await.unwrap();
    stop(cluster).await;
}

#[tokio::test]
async fn a_cluster_the_server_cannot_read_gives_a_russian_error_with_the_path_and_the_cause() {
    if external() {
        return;
    }
    let dir = temp_dir();
    let cluster = start(dir.path()).await.unwrap();
    stop(cluster).await;
    let global = dir.path().join("pg/global");
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::chown(&global, Some(0), Some(0)).unwrap();
    }
    std::fs::set_permissions(&global, std::fs::Permissions::from_mode(0o000)).unwrap();
    let error = start(dir.path()).await.err().expect("the start fails");
    let message = format!("{error:#}");
    assert!(
        message.starts_with(&format!(
            "PostgreSQL не запустился в {}",
            dir.path().join("pg").display()
        )),
        "{message}"
    );
    assert!(message.contains("Permission denied"), "{message}");
    assert!(
        message.contains(&dir.path().join("postgres.log").display().to_string()),
        "{message}"
    );
    std::fs::set_permissions(&global, std::fs::Permissions::from_mode(0o700)).unwrap();
}

#[tokio::test]
async fn a_request_in_flight_on_a_kept_alive_connection_at_shutdown_gets_its_answer_before_the_server_stops()
 {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (app, running) = crate::helpers::spawn_app_until(async move {
        let _ = stopped.await;
    })
    .await;
    // The teacher's browser keeps its connection alive between requests.
    let teacher = app.signed_in("teacher").await;
    // Hold the teacher's page back: its school row is locked by another transaction.
    let mut blocker = app.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE school IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let page = tokio::spawn(async move { teacher.text("/teacher").await });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!page.is_finished(), "the page waits for the lock");
    // SIGTERM arrives while the page is being made.
    stop.send(()).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(
        !running.is_finished(),
        "the server waits for the request under way"
    );
    // A new connection is not accepted any more.
    assert!(
        reqwest::Client::new()
            .get(format!("{}/healthz", app.base))
            .timeout(std::time::Duration::from_secs(2))
            .send()
            .await
            .is_err()
    );
    blocker.commit().await.unwrap();
    let (status, html) = page.await.unwrap();
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(html.contains("</html>"));
    tokio::time::timeout(std::time::Duration::from_secs(10), running)
        .await
        .expect("the server stops once the request is answered")
        .unwrap()
        .unwrap();
}
