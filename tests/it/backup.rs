//! §6 backups that restore: `zhurnal backup` and `zhurnal restore` (the built binary, as users
//! run it) on a copy of the demo database, and the scheduled round of `serve`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use zhurnal::backup::schedule::{self, Round, Schedule};
use zhurnal::backup::{self as backups, BackupInfo};
use zhurnal::db::embedded::{Durability, EmbeddedPostgres};

use crate::helpers::{Client, path_of, spawn_app};

/// The built `zhurnal`: cargo's, or `ZHURNAL_TEST_BIN` where several checkouts share one target
/// directory and `target/debug/zhurnal` may be another checkout's build (docs/TESTING.md).
fn binary() -> String {
    std::env::var("ZHURNAL_TEST_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_zhurnal").to_string())
}

/// Runs the built `zhurnal` with only the given settings (none inherited from the test's own
/// environment); its exit status, stdout and stderr.
async fn zhurnal(args: &[&str], envs: &[(&str, &str)]) -> (bool, String, String) {
    let mut cmd = tokio::process::Command::new(binary());
    cmd.args(args).env("RUST_LOG", "warn");
    for name in [
        "DATABASE_URL",
        "ZHURNAL_APP_DATABASE_URL",
        "ZHURNAL_DATA_DIR",
        "ZHURNAL_BACKUP_DIR",
        "ZHURNAL_BACKUP_COPY_DIR",
    ] {
        cmd.env_remove(name);
    }
    cmd.envs(envs.iter().copied());
    let out = cmd.output().await.expect("zhurnal runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The same server's URL for another database.
fn with_database(url: &str, database: &str) -> String {
    let mut parsed = reqwest::Url::parse(url).expect("a URL");
    parsed.set_path(&format!("/{database}"));
    parsed.to_string()
}

fn as_app_role(url: &str) -> String {
    let mut parsed = reqwest::Url::parse(url).expect("a URL");
    parsed.set_username(zhurnal::db::APP_ROLE).expect("a user");
    parsed.set_password(None).expect("no password");
    parsed.to_string()
}

/// Every table of schema `public`: its row count and the MD5 of its rows in order.
async fn fingerprint(url: &str) -> BTreeMap<String, (i64, String)> {
    let mut conn = PgConnection::connect(url).await.expect("connect");
    sqlx::query("SET TimeZone = 'UTC'")
        .execute(&mut conn)
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut out = BTreeMap::new();
    for table in tables {
        let row: (i64, String) = sqlx::query_as(&format!(
            "SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE \"C\")), '') \
             FROM public.\"{table}\" t"
        ))
        .fetch_one(&mut conn)
        .await
        .unwrap();
        out.insert(table, row);
    }
    conn.close().await.unwrap();
    out
}

/// Row security as the schema has it: each table's switch and each policy's text.
async fn row_security(url: &str) -> (Vec<(String, bool)>, Vec<(String, String, String)>) {
    let mut conn = PgConnection::connect(url).await.expect("connect");
    let tables = sqlx::query_as(
        "SELECT c.relname::text, c.relrowsecurity FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let policies = sqlx::query_as(
        "SELECT tablename::text, policyname::text, coalesce(qual, '') FROM pg_policies \
         ORDER BY 1, 2",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    (tables, policies)
}

/// `zhurnal backup --to DIR` against the test's database; the dump's path.
async fn backup_of(owner_url: &str, dir: &Path, copy_dir: Option<&Path>) -> std::path::PathBuf {
    let to = dir.to_str().unwrap();
    let mut envs = vec![("DATABASE_URL", owner_url)];
    let copy = copy_dir.map(|d| d.to_str().unwrap().to_string());
    if let Some(copy) = &copy {
        envs.push(("ZHURNAL_BACKUP_COPY_DIR", copy));
    }
    let (ok, stdout, stderr) = zhurnal(&["backup", "--to", to], &envs).await;
    assert!(ok, "the backup is made: {stderr}");
    assert!(stdout.contains("Резервная копия сделана"), "{stdout}");
    let dumps: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "dump"))
        .collect();
    assert_eq!(dumps.len(), 1, "one dump in {}", dir.display());
    dumps[0].clone()
}

fn private_cluster_run() -> bool {
    !std::env::var("DATABASE_URL").is_ok_and(|u| !u.trim().is_empty())
}

#[tokio::test]
async fn s6_a_backup_restored_into_a_fresh_cluster_has_every_row_and_its_row_security_and_the_demo_logins_work()
 {
    if !private_cluster_run() {
        // The restore into a private cluster has its own run; the external path is below.
        return;
    }
    let app = spawn_app().await;
    let work = tempfile::Builder::new()
        .prefix("zhurnal-backup-")
        .tempdir_in("/tmp")
        .unwrap();
    let dir = work.path().join("backups");
    let copy = work.path().join("second-medium");
    let dump = backup_of(&app.owner_url, &dir, Some(&copy)).await;
    let name = dump.file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with("zhurnal-") && name.len() == "zhurnal-YYYYMMDD-HHMMSS.dump".len(),
        "{name}"
    );

    // The description beside it: the counts of the dump's own snapshot, the copy checked.
    let info: BackupInfo =
        serde_json::from_slice(&std::fs::read(dump.with_extension("json")).unwrap()).unwrap();
    let source = fingerprint(&app.owner_url).await;
    let counted: BTreeMap<String, i64> = source.iter().map(|(t, (n, _))| (t.clone(), *n)).collect();
    assert_eq!(info.tables, counted);
    assert!(
        info.tables["account"] > 10 && info.tables["audit_event"] > 0,
        "the demo's people and its audit trail are in the dump"
    );
    assert!(info.postgres_version.starts_with(char::is_numeric));
    assert!(info.database_size_bytes > 0);
    // Each school's audit chain head, as it stood in the dump's snapshot.
    let heads: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT school_id, seq, encode(hash, 'hex') FROM audit_chain_head ORDER BY school_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let printed: Vec<(i64, i64, String)> = info
        .audit_chain_heads
        .as_ref()
        .and_then(|h| h.as_array())
        .expect("the heads in the description")
        .iter()
        .map(|h| {
            (
                h["school_id"].as_i64().unwrap(),
                h["seq"].as_i64().unwrap(),
                h["hash"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(!heads.is_empty());
    assert_eq!(printed, heads);
    assert!(info.copy.as_ref().is_some_and(|c| c.verified), "{info:?}");
    assert_eq!(
        std::fs::read(copy.join(&name)).unwrap(),
        std::fs::read(&dump).unwrap(),
        "the second medium holds the same dump"
    );
    // The whole school's personal data: readable by the owner only, on both media.
    use std::os::unix::fs::PermissionsExt;
    for path in [
        dump.clone(),
        backups::checksum_path(&dump),
        dump.with_extension("json"),
        copy.join(&name),
        dir.clone(),
        copy.clone(),
    ] {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{} is private", path.display());
    }
    let sums = std::fs::read_to_string(backups::checksum_path(&dump)).unwrap();
    assert_eq!(sums, format!("{}  {name}\n", info.sha256));

    // A new machine: an empty data directory.
    let data = work.path().join("restored");
    let (ok, stdout, stderr) = zhurnal(
        &["restore", dump.to_str().unwrap()],
        &[("ZHURNAL_DATA_DIR", data.to_str().unwrap())],
    )
    .await;
    assert!(ok, "the restore succeeds: {stderr}");
    assert!(
        stdout.contains("число строк каждой таблицы совпадает"),
        "{stdout}"
    );
    // The restored trail verifies, school by school, up to the heads backed up.
    assert_eq!(
        stdout.matches("цепочка цела").count(),
        heads.len(),
        "{stdout}"
    );
    for (_, _, hash) in &heads {
        assert!(stdout.contains(hash.as_str()), "{hash}: {stdout}");
    }

    // The private cluster's own backup: `zhurnal backup` with no DATABASE_URL starts it...
    let again = work.path().join("again");
    let data_env = [("ZHURNAL_DATA_DIR", data.to_str().unwrap())];
    let (ok, _, stderr) = zhurnal(&["backup", "--to", again.to_str().unwrap()], &data_env).await;
    assert!(ok, "a backup of the stopped private cluster: {stderr}");

    let cluster = {
        let data = data.clone();
        tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&data, Durability::Ephemeral))
            .await
            .unwrap()
            .expect("the restored cluster starts")
    };
    let restored_url = cluster.url(zhurnal::startup::DATABASE);
    assert_eq!(fingerprint(&restored_url).await, source);

    // ... or uses the running one (here the test's), on its socket.
    let attached = work.path().join("attached");
    let (ok, _, stderr) = zhurnal(&["backup", "--to", attached.to_str().unwrap()], &data_env).await;
    assert!(ok, "a backup of the running private cluster: {stderr}");
    let both: Vec<_> = [&again, &attached]
        .iter()
        .flat_map(|d| backups::list(d, 10))
        .collect();
    assert_eq!(both.len(), 2);
    for listed in both {
        assert_eq!(
            listed.info.tables, info.tables,
            "the same rows backed up again"
        );
        assert!(listed.intact);
    }
    // A restore never goes into a data directory a running server uses.
    let (ok, _, stderr) = zhurnal(&["restore", dump.to_str().unwrap()], &data_env).await;
    assert!(!ok);
    assert!(stderr.contains("работает запущенный «Журнал»"), "{stderr}");
    let (walls, _) = row_security(&app.owner_url).await;
    assert_eq!(
        row_security(&restored_url).await,
        row_security(&app.owner_url).await
    );
    // A walled table with rows in it.
    let walled = walls
        .iter()
        .find(|(t, on)| *on && source[t].0 > 0)
        .map(|(t, _)| t.clone())
        .expect("a table under row security holds rows");

    // The application's role is back with its rights, walled by row security as before.
    let mut as_app =
        PgConnection::connect(&cluster.url_as(zhurnal::db::APP_ROLE, zhurnal::startup::DATABASE))
            .await
            .unwrap();
    let count = format!("SELECT count(*) FROM \"{walled}\"");
    let unscoped: i64 = sqlx::query_scalar(&count)
        .fetch_one(&mut as_app)
        .await
        .unwrap();
    assert_eq!(unscoped, 0, "no school's {walled} rows outside a scope");
    sqlx::query("SELECT set_config('zhurnal.all_schools', 'on', false)")
        .execute(&mut as_app)
        .await
        .unwrap();
    let scoped: i64 = sqlx::query_scalar(&count)
        .fetch_one(&mut as_app)
        .await
        .unwrap();
    assert_eq!(scoped, source[&walled].0);
    assert!(
        sqlx::query("DELETE FROM audit_event")
            .execute(&mut as_app)
            .await
            .is_err(),
        "the audit trail stays append-only"
    );
    as_app.close().await.unwrap();

    // The product serves the restored database; the demo people sign in.
    let mut config = zhurnal::config::Config::from_env().unwrap();
    config.database_url = Some(restored_url.clone());
    config.app_database_url =
        Some(cluster.url_as(zhurnal::db::APP_ROLE, zhurnal::startup::DATABASE));
    config.mail_poll_seconds = 0;
    config.smtp_url = None;
    config.backup_dir = dir.clone();
    config.backup_every_days = 7;
    let db = zhurnal::startup::Database::open(&config)
        .await
        .expect("the restored database opens");
    let clock = Arc::new(zhurnal::clock::ManualClock::new(Utc::now()));
    let state = zhurnal::startup::state(db.pool.clone(), config, clock);
    let server = zhurnal::startup::Application::bind(state, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", server.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    for (login, path) in [
        ("director", "/director"),
        ("teacher", "/teacher"),
        ("parent", "/parent"),
        ("student2", "/pupil"),
    ] {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = Client {
            http: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .build()
                .unwrap(),
            jar,
            base: base.clone(),
        };
        let response = client.login(login, zhurnal::demo::PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "{login}");
        assert_eq!(
            path_of(&response),
            path,
            "{login} signs in on the restored data"
        );
    }
    // The platform operator sees the last backup, whole and copied.
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let operator = Client {
        http: reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .unwrap(),
        jar,
        base: base.clone(),
    };
    operator.login("operator", zhurnal::demo::PASSWORD).await;
    let (status, html) = operator.text("/platform").await;
    assert_eq!(status, StatusCode::OK);
    let listed = &html[html.find("id=\"backups\"").expect("the backups are listed")..];
    assert!(listed.contains(&info.made_at.format("%d.%m.%Y %H:%M UTC").to_string()));
    assert!(
        listed.contains("в порядке") && listed.contains("проверена"),
        "{listed}"
    );
    assert!(html.contains("Копия базы делается раз в 7 дней."));
    let _ = stop.send(());
    running.await.unwrap().unwrap();
    db.close().await;
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .unwrap();
}

#[tokio::test]
async fn s6_a_backup_restores_through_database_url_into_an_empty_database_row_for_row() {
    let app = spawn_app().await;
    let work = tempfile::tempdir().unwrap();
    let dump = backup_of(&app.owner_url, work.path(), None).await;
    let source = fingerprint(&app.owner_url).await;

    let target = format!(
        "{}_restored",
        app.owner_url
            .rsplit('/')
            .next()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
    );
    let mut admin = PgConnection::connect(&with_database(&app.owner_url, "postgres"))
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {target}"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let target_url = with_database(&app.owner_url, &target);
    let (ok, _, stderr) = zhurnal(
        &["restore", dump.to_str().unwrap()],
        &[
            ("DATABASE_URL", &target_url),
            ("ZHURNAL_APP_DATABASE_URL", &as_app_role(&target_url)),
        ],
    )
    .await;
    assert!(ok, "the restore succeeds: {stderr}");
    assert_eq!(fingerprint(&target_url).await, source);
    assert_eq!(
        row_security(&target_url).await,
        row_security(&app.owner_url).await
    );
}

#[tokio::test]
async fn s6_a_damaged_backup_is_refused_by_name_and_nothing_is_restored() {
    let app = spawn_app().await;
    let work = tempfile::tempdir().unwrap();
    let dump = backup_of(&app.owner_url, work.path(), None).await;
    // One byte changed in the middle of the dump.
    let mut bytes = std::fs::read(&dump).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&dump, bytes).unwrap();

    let mut admin = PgConnection::connect(&with_database(&app.owner_url, "postgres"))
        .await
        .unwrap();
    let target = format!("zhurnal_damaged_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {target}"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let target_url = with_database(&app.owner_url, &target);
    let (ok, _, stderr) = zhurnal(
        &["restore", dump.to_str().unwrap()],
        &[
            ("DATABASE_URL", &target_url),
            ("ZHURNAL_APP_DATABASE_URL", &as_app_role(&target_url)),
        ],
    )
    .await;
    assert!(!ok, "a damaged backup is refused");
    let name = dump.file_name().unwrap().to_str().unwrap();
    assert!(
        stderr.contains(&format!("{name} повреждена")) && stderr.contains("контрольная сумма"),
        "{stderr}"
    );
    assert!(
        fingerprint(&target_url).await.is_empty(),
        "nothing restored"
    );

    // Without its checksum file a backup is not trusted either.
    std::fs::remove_file(backups::checksum_path(&dump)).unwrap();
    let (ok, _, stderr) = zhurnal(
        &["restore", dump.to_str().unwrap()],
        &[
            ("DATABASE_URL", &target_url),
            ("ZHURNAL_APP_DATABASE_URL", &as_app_role(&target_url)),
        ],
    )
    .await;
    assert!(!ok);
    assert!(stderr.contains("нет файла контрольной суммы"), "{stderr}");
}

#[tokio::test]
async fn s6_a_restore_into_a_database_that_holds_data_is_refused_and_leaves_it_as_it_was() {
    let app = spawn_app().await;
    let work = tempfile::tempdir().unwrap();
    let dump = backup_of(&app.owner_url, work.path(), None).await;
    sqlx::query("UPDATE school SET short_name = short_name || ' (после копии)' WHERE id = (SELECT min(id) FROM school)")
        .execute(&app.pool)
        .await
        .unwrap();
    let before = fingerprint(&app.owner_url).await;
    let (ok, _, stderr) = zhurnal(
        &["restore", dump.to_str().unwrap()],
        &[
            ("DATABASE_URL", &app.owner_url),
            ("ZHURNAL_APP_DATABASE_URL", &as_app_role(&app.owner_url)),
        ],
    )
    .await;
    assert!(!ok, "a database with data is not restored into");
    assert!(
        stderr.contains("не пуста") && stderr.contains("чтобы не смешать данные"),
        "{stderr}"
    );
    assert_eq!(fingerprint(&app.owner_url).await, before);
}

fn old_backup(dir: &Path, made_at: chrono::DateTime<Utc>) {
    let stem = format!("zhurnal-{}", made_at.format("%Y%m%d-%H%M%S"));
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(format!("{stem}.dump")), b"old").unwrap();
    std::fs::write(dir.join(format!("{stem}.dump.sha256")), b"0  x\n").unwrap();
    let info = BackupInfo {
        file: format!("{stem}.dump"),
        made_at,
        size_bytes: 3,
        sha256: "0".into(),
        database: "zhurnal".into(),
        database_size_bytes: 0,
        postgres_version: "15".into(),
        tables: BTreeMap::new(),
        audit_chain_heads: None,
        copy: None,
    };
    std::fs::write(
        dir.join(format!("{stem}.json")),
        serde_json::to_vec(&info).unwrap(),
    )
    .unwrap();
}

fn dumps_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".dump"))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn s6_the_weekly_backup_is_made_when_due_once_at_a_time_copied_and_checked_on_the_second_medium_and_the_last_n_kept()
 {
    let app = spawn_app().await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("backups");
    let copy = work.path().join("second-medium");
    let now = Utc::now();
    old_backup(&dir, now - Duration::days(15));
    old_backup(&dir, now - Duration::days(8));
    let plan = Schedule {
        owner_url: app.owner_url.clone(),
        every_days: 7,
        keep: 2,
        dir: dir.clone(),
        copy_dir: Some(copy.clone()),
    };

    // Due: the newest is 8 days old.
    let Round::Made(first) = schedule::run_once(&plan, now).await.unwrap() else {
        panic!("a backup is made when due");
    };
    assert!(first.info.copy.as_ref().is_some_and(|c| c.verified));
    let newest_old = format!(
        "zhurnal-{}.dump",
        (now - Duration::days(8)).format("%Y%m%d-%H%M%S")
    );
    assert_eq!(
        dumps_in(&dir),
        [newest_old.clone(), first.info.file.clone()],
        "the oldest beyond the last 2 is removed"
    );
    assert_eq!(dumps_in(&copy), std::slice::from_ref(&first.info.file));
    let listed = backups::list(&dir, 10);
    assert_eq!(listed.len(), 2);
    assert!(listed[0].intact, "the new backup is whole on disk");
    assert_eq!(listed[0].info.file, first.info.file);

    // Not due again within the week.
    assert!(matches!(
        schedule::run_once(&plan, now + Duration::days(6))
            .await
            .unwrap(),
        Round::NotDue
    ));

    // While another backup of the database is under way (another server), none is started.
    let held = backups::lock(&app.owner_url).await.unwrap().expect("free");
    assert!(matches!(
        schedule::run_once(&plan, now + Duration::days(7))
            .await
            .unwrap(),
        Round::Busy
    ));
    held.release().await;

    let Round::Made(second) = schedule::run_once(&plan, now + Duration::days(7))
        .await
        .unwrap()
    else {
        panic!("a backup is made a week later");
    };
    assert_eq!(
        dumps_in(&dir),
        [first.info.file.clone(), second.info.file.clone()]
    );
    assert_eq!(
        dumps_in(&copy),
        [first.info.file.clone(), second.info.file.clone()]
    );
    for name in [&first.info.file, &second.info.file] {
        backups::verify(&copy.join(name)).expect("the copy's checksum holds");
    }

    // A second medium that cannot be written is reported, the backup itself stands.
    let plan = Schedule {
        copy_dir: Some(work.path().join("not-a-dir")),
        ..plan
    };
    std::fs::write(work.path().join("not-a-dir"), b"a file").unwrap();
    let Round::Made(third) = schedule::run_once(&plan, now + Duration::days(14))
        .await
        .unwrap()
    else {
        panic!("a backup is made two weeks later");
    };
    let copy_info = third.info.copy.expect("the copy is described");
    assert!(!copy_info.verified);
    assert!(copy_info.error.is_some_and(|e| e.contains("not-a-dir")));
    backups::verify(&third.path).expect("the backup itself is whole");
}
