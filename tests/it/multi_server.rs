//! Several servers, one database (issue 17, item 2): two real `zhurnal serve` processes on the
//! same `DATABASE_URL`, each on its own port, used by browsers that keep their cookies — as a
//! load balancer would send one person's clicks now to one server, now to the other. What a
//! person notices must not depend on which server answers: the session, the live diary, the
//! mail (each message once), the lock-outs and the address limit.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::{Client, TestApp, path_of, spawn_app};
use crate::journal::maths_5b;
use crate::smtp::SmtpServer;

/// One `zhurnal serve` child process on the test's database. Stopped (SIGTERM, then SIGKILL)
/// when dropped — also when the test panics — and by the kernel if the test process dies.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts `zhurnal serve` on `127.0.0.1:port` against the test's database (the owner for the
    /// migrations, the application's role to serve), its own data directory, no scheduled
    /// backups, the mail worker off unless `env` turns it on; waits until `/healthz` answers.
    async fn start(app: &TestApp, port: u16, env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let log = dir.path().join("serve.log");
        let out = std::fs::File::create(&log).expect("the server's log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhurnal"));
        cmd.arg("serve")
            .env_remove("ZHURNAL_SMTP_URL")
            .env("DATABASE_URL", &app.owner_url)
            .env("ZHURNAL_APP_DATABASE_URL", app.app_url())
            .env("ZHURNAL_BIND", format!("127.0.0.1:{port}"))
            .env("ZHURNAL_DATA_DIR", dir.path().join("data"))
            .env("ZHURNAL_BACKUP_EVERY_DAYS", "0")
            .env("ZHURNAL_MAIL_POLL_SECONDS", "0")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("the log again"))
            .stderr(out);
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd.spawn().expect("zhurnal serve starts");
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        let http = reqwest::Client::new();
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "zhurnal serve on port {port} exited ({status}):\n{}",
                    server.log_text()
                );
            }
            if let Ok(r) = http.get(format!("{}/healthz", server.base)).send().await
                && r.status() == StatusCode::OK
            {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "zhurnal serve on port {port} did not answer within a minute:\n{}",
                server.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A graceful stop first (the mail worker finishes its round), then no mercy.
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser with its own cookie jar (from `ip` of the loopback network when given), pointed at
/// `server`. Cookies of 127.0.0.1 go to every port, as to every server behind one site name.
fn browser(server: &Server, ip: Option<&str>) -> Client {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let mut builder = reqwest::Client::builder().cookie_provider(jar.clone());
    if let Some(ip) = ip {
        builder = builder.local_address(ip.parse::<std::net::IpAddr>().expect("an address"));
    }
    Client {
        http: builder.build().expect("a client"),
        jar,
        base: server.base.clone(),
    }
}

/// The same browser (cookies and all) sending its next clicks to another server.
fn on(client: &Client, server: &Server) -> Client {
    Client {
        http: client.http.clone(),
        jar: client.jar.clone(),
        base: server.base.clone(),
    }
}

/// The child of a demo parent (Морозов Иван, 5«Б», for `parent`).
async fn pupil_of(app: &TestApp, login: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT pp.pupil_id FROM pupil_parent pp JOIN parent p ON p.id = pp.parent_id
         JOIN account a ON a.id = p.account_id WHERE a.login = $1",
    )
    .bind(login)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// The archive's public key as «Настройки школы» shows it, or the page's refusal.
async fn printed_key(director: &Client) -> Result<String, String> {
    let (status, page) = director.text("/admin/settings").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let marker = "Открытый ключ (Ed25519): <code>";
    match page.find(marker) {
        Some(at) => {
            let rest = &page[at + marker.len()..];
            Ok(rest[..rest.find('<').expect("the key ends")].to_string())
        }
        None => Err(page),
    }
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[tokio::test]
async fn a_session_made_on_one_server_works_on_the_other_signing_out_on_either_ends_it_and_the_archive_key_is_one()
 {
    let app = spawn_app().await;
    // As ARCHITECTURE «Several servers» asks: one data directory for both (archives, keys).
    let shared = tempfile::tempdir().expect("a shared data directory");
    let data_dir = shared.path().to_str().expect("a UTF-8 path");
    let a = Server::start(&app, 8801, &[("ZHURNAL_DATA_DIR", data_dir)]).await;
    let b = Server::start(&app, 8802, &[("ZHURNAL_DATA_DIR", data_dir)]).await;

    // The login form is read from A and sent to B: its anonymous CSRF token needs no server's
    // memory.
    let on_a = browser(&a, None);
    let on_b = on(&on_a, &b);
    let token = on_a.csrf().await;
    let response = on_b
        .http
        .post(on_b.url("/login"))
        .form(&[("login", "teacher"), ("password", "demo"), ("csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(path_of(&response), "/teacher", "signed in through B");
    let session = on_a.session_cookie().expect("a session cookie");

    // Pages of either server know the person.
    let (status, page_a) = on_a.text("/teacher").await;
    assert_eq!(status, StatusCode::OK);
    let (_, page_b) = on_b.text("/teacher").await;
    assert!(
        page_a.contains("Выйти") && page_b.contains("Выйти"),
        "{page_b}"
    );
    // A form whose token was read from a page of A is accepted by B (the token is the
    // session's, kept in the database).
    let token = crate::helpers::csrf_of(&page_a).expect("a token on A's page");
    let response = on_b
        .http
        .post(on_b.url("/password"))
        .form(&[
            ("current", "wrong"),
            ("new", "x"),
            ("repeat", "y"),
            ("csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(
        response.status(),
        StatusCode::FORBIDDEN,
        "B takes A's token"
    );
    assert_eq!(on_a.session_cookie().as_deref(), Some(session.as_str()));

    // Signing out on B ends the session on A too.
    let response = on_b.post("/logout", &[]).await;
    assert_eq!(path_of(&response), "/login");
    assert_eq!(path_of(&on_a.get("/teacher").await), "/login");
    // Even the old cookie, kept by someone, opens nothing on either server.
    for server in [&a, &b] {
        let response = reqwest::Client::new()
            .get(format!("{}/teacher", server.base))
            .header("cookie", format!("zhurnal_session={session}"))
            .send()
            .await
            .unwrap();
        assert_eq!(path_of(&response), "/login", "{}", server.base);
    }

    // The archives' signing key: the director sees the school's one key through either server
    // (one data directory)…
    let director_a = browser(&a, None);
    assert_eq!(
        path_of(&director_a.login("director", "demo").await),
        "/director"
    );
    let key = printed_key(&director_a).await.expect("A shows the key");
    assert_eq!(printed_key(&on(&director_a, &b)).await, Ok(key.clone()));
    // …and a server given a data directory of its own refuses to sign, saying why, instead of
    // making the school a second key.
    let c = Server::start(&app, 8809, &[]).await;
    let refusal = printed_key(&on(&director_a, &c))
        .await
        .expect_err("C holds no key of the school");
    assert!(
        refusal.contains("Ключа подписи архивов школы")
            && refusal.contains(&key)
            && refusal.contains("ZHURNAL_DATA_DIR"),
        "{refusal}"
    );
    assert_eq!(
        printed_key(&director_a).await,
        Ok(key),
        "the school's key is unchanged"
    );
}

#[tokio::test]
async fn s4_a_diary_open_on_one_server_hears_of_a_mark_saved_through_the_other() {
    let j = maths_5b().await;
    let ivan = pupil_of(&j.app, "parent").await;
    let monday = j.lesson(10, 5).await;
    // The servers run on the real clock: a deputy's unlock keeps the October lesson open.
    sqlx::query(
        "INSERT INTO journal_unlock (school_id, group_id, lesson_id, until, reason, granted_by, granted_at)
         SELECT g.school_id, g.id, $2, now() + interval '1 hour', 'Учитель болел', a.id, now()
         FROM study_group g, account a WHERE g.id = $1 AND a.login = 'deputy'",
    )
    .bind(j.group)
    .bind(monday)
    .execute(&j.app.pool)
    .await
    .unwrap();
    let a = Server::start(&j.app, 8803, &[]).await;
    let b = Server::start(&j.app, 8804, &[]).await;

    let parent = browser(&b, None);
    let response = parent.login("parent", "demo").await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the parent signs in on B"
    );
    let mut stream = parent.get("/diary/events").await;
    assert_eq!(stream.status(), StatusCode::OK);

    let teacher = browser(&a, None);
    assert_eq!(path_of(&teacher.login("teacher", "demo").await), "/teacher");
    let r = teacher
        .post_htmx(
            "/journal/cells",
            &[
                ("lesson", &monday.to_string()),
                ("pupil", &ivan.to_string()),
                ("value", "5"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"5\""), "saved through A: {html}");

    let mut seen = String::new();
    let got = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: changed") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(got, Ok(true), "B's stream said: {seen:?}");
    // What the page then fetches from B has the new mark.
    let (status, week) = parent.text("/diary/week?week=2026-10-05").await;
    assert_eq!(status, StatusCode::OK);
    assert!(week.contains(">5<small>"), "{week}");
}

#[tokio::test]
async fn regulation_4_with_two_servers_sending_mail_each_queued_message_is_delivered_exactly_once()
{
    let app = spawn_app().await;
    let smtp = SmtpServer::start();
    let env = [
        ("ZHURNAL_SMTP_URL", smtp.url()),
        ("ZHURNAL_MAIL_POLL_SECONDS", "1".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = Server::start(&app, 8805, &env).await;
    let b = Server::start(&app, 8806, &env).await;

    // Forty letters to the demo parent (consent given, an address kept) are queued at once
    // while both workers poll.
    const LETTERS: i64 = 40;
    sqlx::query(
        "INSERT INTO mail_outbox (school_id, parent_id, kind, dedupe_key, to_address, subject,
                                  body, created_at, next_attempt_at)
         SELECT p.school_id, p.id, 'instant', 'multi:' || n, p.email, 'Письмо № ' || n,
                'Текст письма № ' || n, now(), now()
         FROM parent p JOIN account a ON a.id = p.account_id, generate_series(1, $1::int) n
         WHERE a.login = 'parent' AND p.pd_consent AND p.email IS NOT NULL",
    )
    .bind(LETTERS as i32)
    .execute(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM mail_outbox WHERE dedupe_key LIKE 'multi:%'"
        )
        .await,
        LETTERS
    );

    let deadline = Instant::now() + Duration::from_secs(45);
    while scalar(
        &app,
        "SELECT count(*) FROM mail_outbox WHERE dedupe_key LIKE 'multi:%' AND sent_at IS NULL",
    )
    .await
        > 0
    {
        assert!(
            Instant::now() < deadline,
            "the letters go within 45 s; A:\n{}\nB:\n{}",
            a.log_text(),
            b.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A few more polls of both workers: nothing goes again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got: Vec<_> = smtp
        .messages()
        .into_iter()
        .filter(|m| m.subject.starts_with("Письмо № "))
        .collect();
    assert_eq!(got.len() as i64, LETTERS, "each letter once");
    let mut subjects: Vec<&str> = got.iter().map(|m| m.subject.as_str()).collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!(
        subjects.len() as i64,
        LETTERS,
        "no letter twice: {subjects:?}"
    );
    let mut ids: Vec<&str> = got.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as i64, LETTERS);
    assert!(got.iter().all(|m| m.to == "parent@example.ru"));
    // Each row was claimed by one worker once.
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM mail_outbox WHERE dedupe_key LIKE 'multi:%' AND attempts <> 1"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn failures_split_between_two_servers_lock_the_login_and_the_address_on_both_even_when_sent_at_once()
 {
    let app = spawn_app().await;
    let a = Server::start(&app, 8807, &[]).await;
    let b = Server::start(&app, 8808, &[]).await;
    let either = |i: usize| if i.is_multiple_of(2) { &a } else { &b };

    // Five wrong passwords for one login, now on A, now on B (the policy's count)…
    let guesser_a = browser(&a, Some("127.0.0.5"));
    let guesser_b = on(&guesser_a, &b);
    for i in 0..5 {
        let who = if i % 2 == 0 { &guesser_a } else { &guesser_b };
        let response = who.login("teacher", "wrong").await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{i}");
    }
    // …lock it on both: the right password is refused on either.
    for who in [&guesser_a, &guesser_b] {
        let html = who.login("teacher", "demo").await.text().await.unwrap();
        assert!(
            html.contains("Вход временно заблокирован"),
            "{}: {html}",
            who.base
        );
    }

    // Ten wrong passwords sent at the same moment, half to each server, are counted one after
    // another: five are tried, the other five find the login locked.
    let guessers: Vec<Client> = (0..10)
        .map(|i| browser(either(i), Some("127.0.0.6")))
        .collect();
    futures_util::future::join_all(guessers.iter().map(|g| g.login("deputy", "wrong"))).await;
    let (failed, locked): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE kind = 'login_failed'),
                count(*) FILTER (WHERE kind = 'login_locked')
         FROM account_event WHERE login = 'deputy'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((failed, locked), (5, 5), "tried, refused as locked");
    for server in [&a, &b] {
        let response = browser(server, Some("127.0.0.6"))
            .login("deputy", "demo")
            .await;
        let html = response.text().await.unwrap();
        assert!(
            html.contains("Вход временно заблокирован"),
            "{}: {html}",
            server.base
        );
    }

    // Forty failures of different logins from one address at the same moment, split between
    // the servers: thirty are tried, then the address is refused (429) on both…
    let flood: Vec<Client> = (0..40)
        .map(|i| browser(either(i), Some("127.0.0.9")))
        .collect();
    let statuses: Vec<StatusCode> = futures_util::future::join_all(
        flood
            .iter()
            .enumerate()
            .map(|(i, c)| async move { c.login(&format!("guess{i}"), "123456").await.status() }),
    )
    .await;
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let tried = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert_eq!(
        (tried, refused),
        (30, 10),
        "{statuses:?}\nA:\n{}\nB:\n{}",
        a.log_text(),
        b.log_text()
    );
    // …before any password is checked, even the right one.
    for server in [&a, &b] {
        let response = browser(server, Some("127.0.0.9"))
            .login("director", "demo")
            .await;
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            server.base
        );
        let html = response.text().await.unwrap();
        assert!(
            html.contains("Слишком много неудачных попыток входа с этого компьютера"),
            "{html}"
        );
    }
    // Someone else, elsewhere, signs in through either.
    for server in [&a, &b] {
        let response = browser(server, Some("127.0.0.1"))
            .login("director", "demo")
            .await;
        assert_eq!(path_of(&response), "/director", "{}", server.base);
    }
}
