//! The harness: a private PostgreSQL cluster (or `DATABASE_URL`), a migrated template database
//! with the demo seeded, cloned for every test; the app on port 0; one cookie-keeping client per
//! user, which fetches the CSRF token like a browser before posting a form.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use chrono::Utc;
use reqwest::cookie::CookieStore;
use reqwest::{Response, StatusCode};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use zhurnal::clock::ManualClock;
use zhurnal::config::Config;
use zhurnal::db::embedded::{Durability, EmbeddedPostgres};
use zhurnal::startup::{self, Application};

struct TestServer {
    /// URL of a maintenance database on the server as its owner (a superuser, or a user with
    /// `CREATEDB`), with `{db}` where the name goes.
    url_pattern: String,
    /// The same as the application's role (`zhurnal_app`): what the served app connects as.
    app_pattern: String,
    template: String,
    _cluster: Option<EmbeddedPostgres>,
}

impl TestServer {
    fn url(&self, db: &str) -> String {
        self.url_pattern.replace("{db}", db)
    }

    fn app_url(&self, db: &str) -> String {
        self.app_pattern.replace("{db}", db)
    }
}

static SERVER: OnceLock<TestServer> = OnceLock::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Replaces the database name in a PostgreSQL URL with `{db}`.
fn url_pattern(url: &str) -> String {
    let mut parsed = reqwest::Url::parse(url).expect("DATABASE_URL is a URL");
    parsed.set_path("/DBNAME");
    parsed.to_string().replace("/DBNAME", "/{db}")
}

/// Removes test clusters left by test runs that died.
fn sweep_old_clusters(root: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("zhurnal-test-")) else {
            continue;
        };
        let alive = pid
            .parse::<i32>()
            .map(|p| std::path::Path::new(&format!("/proc/{p}")).exists())
            .unwrap_or(true);
        if !alive {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn start_server() -> TestServer {
    // Runs on its own thread with its own runtime: tests call it from inside theirs.
    std::thread::spawn(|| {
        let (url_pattern, app_pattern, cluster) = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => {
                // The application's role: ZHURNAL_APP_DATABASE_URL, or `zhurnal_app` on the
                // same server without a password (a server that trusts it).
                let app = match std::env::var("ZHURNAL_APP_DATABASE_URL") {
                    Ok(app) if !app.trim().is_empty() => app,
                    _ => {
                        let mut parsed = reqwest::Url::parse(&url).expect("DATABASE_URL is a URL");
                        parsed.set_username(zhurnal::db::APP_ROLE).expect("a user");
                        parsed.set_password(None).expect("no password");
                        parsed.to_string()
                    }
                };
                (url_pattern(&url), url_pattern(&app), None)
            }
            _ => {
                let root = std::env::temp_dir();
                sweep_old_clusters(&root);
                let dir = root.join(format!("zhurnal-test-{}", std::process::id()));
                let cluster = EmbeddedPostgres::start(&dir, Durability::Ephemeral)
                    .expect("the test PostgreSQL cluster starts");
                (
                    cluster.url("{db}"),
                    cluster.url_as(zhurnal::db::APP_ROLE, "{db}"),
                    Some(cluster),
                )
            }
        };
        let template = format!("zhurnal_test_tpl_{}", std::process::id());
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async {
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .connect(&url_pattern.replace("{db}", "postgres"))
                .await
                .expect("connect to the test server");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {template}"))
                .execute(&admin)
                .await
                .expect("drop an old template");
            sqlx::query(&format!("CREATE DATABASE {template}"))
                .execute(&admin)
                .await
                .expect("create the template");
            let pool = PgPoolOptions::new()
                .max_connections(2)
                .connect(&url_pattern.replace("{db}", &template))
                .await
                .expect("connect to the template");
            zhurnal::db::migrate(&pool).await.expect("migrations apply");
            let role = zhurnal::db::user_of(&app_pattern).expect("the app role");
            zhurnal::db::ensure_app_role(&pool, &role)
                .await
                .expect("the application's role gets its rights");
            pool.close().await;
            // The demo is seeded with the application's rights, as `zhurnal demo` does.
            let app = zhurnal::db::pool_options()
                .max_connections(2)
                .connect(&app_pattern.replace("{db}", &template))
                .await
                .expect("connect to the template as the application");
            zhurnal::db::scope::all_schools(zhurnal::demo::seed_if_empty(&app))
                .await
                .expect("the demo seeds");
            app.close().await;
            admin.close().await;
        });
        TestServer {
            url_pattern,
            app_pattern,
            template,
            _cluster: cluster,
        }
    })
    .join()
    .expect("the test server starts")
}

fn server() -> &'static TestServer {
    SERVER.get_or_init(start_server)
}

/// A running application on a fresh copy of the demo database.
pub struct TestApp {
    pub base: String,
    /// The database as its owner (the tests' own reads and set-ups; bypasses row security).
    pub pool: PgPool,
    /// The database as the application's role: what the served app uses. Outside a scope
    /// (`zhurnal::db::scope`) it sees no school's rows; `all_schools` as the command line.
    pub app_pool: PgPool,
    /// The owner's URL of this test's database.
    pub owner_url: String,
    pub clock: Arc<ManualClock>,
    /// The app's own data directory (archives, keys), removed with the test run's folder.
    pub data_dir: std::path::PathBuf,
}

pub async fn spawn_app() -> TestApp {
    // ZHURNAL_TEST_LOG=1: the served app's log (requests and their errors) in the test output.
    if std::env::var_os("ZHURNAL_TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_test_writer()
            .try_init();
    }
    spawn_app_until(std::future::pending()).await.0
}

/// A running application that shuts down (gracefully) when `shutdown` resolves; the handle ends
/// when it has.
pub async fn spawn_app_until(
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> (TestApp, tokio::task::JoinHandle<anyhow::Result<()>>) {
    let server = server();
    let db = format!(
        "zhurnal_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&server.url("postgres"))
        .await
        .expect("connect to the test server");
    sqlx::query(&format!(
        "CREATE DATABASE {db} TEMPLATE {} STRATEGY FILE_COPY",
        server.template
    ))
    .execute(&admin)
    .await
    .expect("clone the template");
    admin.close().await;
    let pool = PgPoolOptions::new()
        .max_connections(3)
        .connect(&server.url(&db))
        .await
        .expect("connect to the test database");
    // The application's pool, which sets each connection's school scope (row security). Two
    // connections: one the live diary's listener keeps, one for everything else — so a request
    // that waits for a second connection while it holds one (which under load, with every
    // connection so held, would stall the server until the pool's timeout) fails its test with
    // a 500 instead of passing on a roomy pool.
    let app_pool = zhurnal::db::pool_options()
        .max_connections(2)
        .connect(&server.app_url(&db))
        .await
        .expect("connect to the test database as the application");
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let mut config = Config::from_env().expect("config");
    config.database_url = Some(server.url(&db));
    config.app_database_url = Some(server.app_url(&db));
    // Mail is sent by the tests' own `mail::run_once` rounds (tests/it/mail.rs), not a worker.
    config.smtp_url = None;
    config.mail_poll_seconds = 0;
    // Files the app writes (archives, keys) go to a directory of this test's own.
    let data_dir = std::env::temp_dir()
        .join(format!("zhurnal-test-{}", std::process::id()))
        .join(format!("files-{db}"));
    std::fs::create_dir_all(&data_dir).expect("the test's data directory");
    config.data_dir = data_dir.clone();
    // The second medium of backups and archives (regulations §6: «at least two media»).
    config.backup_copy_dir = Some(data_dir.join("second-medium"));
    let state = startup::state(app_pool.clone(), config, clock.clone());
    let app = Application::bind(state, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("bind");
    let base = format!("http://127.0.0.1:{}", app.port());
    let running = tokio::spawn(app.run_until(shutdown));
    let app = TestApp {
        base,
        pool,
        app_pool,
        owner_url: server.url(&db),
        clock,
        data_dir,
    };
    (app, running)
}

/// A browser of one person: keeps cookies, follows redirects, posts forms with the CSRF token.
pub struct Client {
    pub http: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
    pub base: String,
}

impl TestApp {
    pub fn client(&self) -> Client {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .expect("client");
        Client {
            http,
            jar,
            base: self.base.clone(),
        }
    }

    /// A client signed in with a demo login (password `demo`).
    pub async fn signed_in(&self, login: &str) -> Client {
        let client = self.client();
        let response = client.login(login, zhurnal::demo::PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "{login} signs in");
        client
    }

    /// The id of an account by login.
    pub async fn account_id(&self, login: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM account WHERE login = $1")
            .bind(login)
            .fetch_one(&self.pool)
            .await
            .expect("the account exists")
    }
}

/// The value of the first `<input name="csrf">` of a page.
pub fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[at..].find('"')?;
    Some(html[at..at + end].to_string())
}

impl Client {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn text(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        let status = r.status();
        (status, r.text().await.expect("body"))
    }

    /// The session's CSRF token, read from a page as a browser would.
    pub async fn csrf(&self) -> String {
        let (_, html) = self.text("/login").await;
        csrf_of(&html).expect("the page has a CSRF token")
    }

    /// Posts a form with the session's CSRF token.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        let token = self.csrf().await;
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("csrf", &token));
        self.http
            .post(self.url(path))
            .form(&fields)
            .send()
            .await
            .expect("POST")
    }

    /// Posts a form as htmx does from a page (the CSRF token in a header, `HX-Request` set).
    pub async fn post_htmx(&self, path: &str, form: &[(&str, &str)]) -> Response {
        let token = self.csrf().await;
        self.http
            .post(self.url(path))
            .header("hx-request", "true")
            .header("x-csrf-token", token)
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    pub async fn login(&self, login: &str, password: &str) -> Response {
        self.post("/login", &[("login", login), ("password", password)])
            .await
    }

    /// The session cookie's value.
    pub fn session_cookie(&self) -> Option<String> {
        let url = self.base.parse().expect("url");
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|c| c.strip_prefix("zhurnal_session="))
            .map(str::to_string)
    }
}

/// The path a response ended on after redirects.
pub fn path_of(response: &Response) -> String {
    response.url().path().to_string()
}

/// An audit event of a lesson's cell, as [`TestApp::cell_events`] reads it.
#[derive(Debug, sqlx::FromRow)]
pub struct CellEvent {
    pub action: String,
    pub pupil_id: Option<i64>,
    /// Whether the event names the absence or mark row of its lesson and pupil it changed.
    pub names_its_row: bool,
    /// The transaction that wrote it.
    pub xmin: String,
}

impl TestApp {
    /// The audit events of the absences and marks of a lesson, in the chain's order.
    pub async fn cell_events(&self, lesson: i64) -> Vec<CellEvent> {
        sqlx::query_as(
            "SELECT e.action, e.pupil_id, e.xmin::text AS xmin,
                    e.subject_id IS NOT NULL
                    AND e.subject_id IS NOT DISTINCT FROM coalesce(a.id, m.id) AS names_its_row
             FROM audit_event e
             LEFT JOIN absence a ON e.subject_type = 'absence' AND a.id = e.subject_id
                                AND a.lesson_id = $1 AND a.pupil_id = e.pupil_id
             LEFT JOIN mark m ON e.subject_type = 'mark' AND m.id = e.subject_id
                             AND m.pupil_id = e.pupil_id
                             AND m.column_id IN (SELECT id FROM mark_column WHERE lesson_id = $1)
             WHERE e.subject_type IN ('absence', 'mark')
               AND (e.after ->> 'lesson_id')::bigint = $1
             ORDER BY e.school_id, e.chain_seq",
        )
        .bind(lesson)
        .fetch_all(&self.pool)
        .await
        .expect("the lesson's cell events")
    }
}

/// What each cell event did, and to whom.
pub fn actions(events: &[CellEvent]) -> Vec<(&str, Option<i64>)> {
    events
        .iter()
        .map(|e| (e.action.as_str(), e.pupil_id))
        .collect()
}

impl TestApp {
    /// The application role's URL of this test's database: what a `zhurnal serve` process
    /// started by a test is given as `ZHURNAL_APP_DATABASE_URL` (`owner_url` is its
    /// `DATABASE_URL`).
    pub fn app_url(&self) -> String {
        let owner = reqwest::Url::parse(&self.owner_url).expect("the owner's URL");
        server().app_url(owner.path().trim_start_matches('/'))
    }

    /// A pool of the application's role with room for the demo's fill, which (a one-off set-up
    /// like `zhurnal demo`, not a request) holds its transaction while its services read.
    pub async fn fill_pool(&self) -> PgPool {
        zhurnal::db::pool_options()
            .max_connections(5)
            .connect(&self.app_url())
            .await
            .expect("connect to the test database as the application")
    }
}
