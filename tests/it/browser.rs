//! End-to-end in a real browser: headless Chromium driven over WebDriver (`chromedriver`, from
//! Debian's `chromium-driver`; `.ci/run` installs it). The WebDriver protocol is plain JSON over
//! HTTP, spoken here with the tests' HTTP client.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::journal::{maths_5b, msk};

pub(crate) struct Driver {
    process: Child,
    http: reqwest::Client,
    session: String,
    base: String,
}

impl Drop for Driver {
    /// Kills chromedriver with the Chromium it started: they share a process group of their
    /// own (`process_group(0)` below). Killing chromedriver alone left Chromium running, about
    /// a hundred processes after a run of the suite.
    fn drop(&mut self) {
        let group = format!("-{}", self.process.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Driver {
    /// A desktop-sized headless Chromium (1366×900).
    pub(crate) async fn start() -> Driver {
        Driver::with_size(1366, 900).await
    }

    /// A headless Chromium with a window of `width`×`height` CSS pixels (390×844: a phone).
    pub(crate) async fn with_size(width: u32, height: u32) -> Driver {
        let binary = [
            "chromedriver",
            "/usr/bin/chromedriver",
            "/usr/lib/chromium/chromedriver",
        ]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok())
        .expect("chromedriver is installed (Debian: apt-get install chromium chromium-driver)");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let process = Command::new(binary)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let started = Instant::now();
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver answers"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let mut options = json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     format!("--window-size={width},{height}"), "--lang=ru"]
        });
        if let Some(path) = chromium {
            options["binary"] = json!(path);
        }
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}}))
            .send()
            .await
            .expect("a browser session")
            .json()
            .await
            .expect("JSON");
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("a browser session: {created}"))
            .to_string();
        Driver {
            process,
            http,
            session,
            base,
        }
    }

    pub(crate) async fn command(&self, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let answer: Value = self
            .http
            .post(url)
            .json(&body)
            .send()
            .await
            .expect("WebDriver answers")
            .json()
            .await
            .expect("JSON");
        answer["value"].clone()
    }

    pub(crate) async fn go(&self, url: &str) {
        self.command("/url", json!({ "url": url })).await;
    }

    pub(crate) async fn element(&self, css: &str) -> String {
        let found = self
            .command("/element", json!({"using": "css selector", "value": css}))
            .await;
        found
            .get("element-6066-11e4-a52e-4f735466cecf")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("an element {css}: {found}"))
            .to_string()
    }

    pub(crate) async fn type_into(&self, element: &str, text: &str) {
        self.command(
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    pub(crate) async fn click(&self, element: &str) {
        self.command(&format!("/element/{element}/click"), json!({}))
            .await;
    }

    pub(crate) async fn script(&self, script: &str, args: Value) -> Value {
        self.command("/execute/sync", json!({"script": script, "args": args}))
            .await
    }

    /// Waits until `script` returns something truthy; returns it.
    pub(crate) async fn until(&self, script: &str, args: Value) -> Value {
        let started = Instant::now();
        loop {
            let v = self.script(script, args.clone()).await;
            if !(v.is_null() || v == json!(false) || v == json!("")) {
                return v;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "waited in vain for: {script}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Driver {
    /// Signs in through the login form as `login` (password `demo`) and waits to leave it.
    pub(crate) async fn sign_in(&self, base: &str, login: &str) {
        self.go(&format!("{base}/login")).await;
        let field = self.element("input[name=login]").await;
        self.type_into(&field, login).await;
        let password = self.element("input[name=password]").await;
        self.type_into(&password, "demo\u{E007}").await; // Enter submits
        self.until("return location.pathname !== '/login'", json!([]))
            .await;
    }

    /// A phone: pages laid out at 390×844 CSS pixels as on a phone (`mobile` viewport). A
    /// headless window is never narrower than 500 px, so `with_size(390, …)` alone lays pages out
    /// 500 px wide.
    pub(crate) async fn phone() -> Driver {
        let driver = Driver::with_size(390, 844).await;
        driver
            .command(
                "/goog/cdp/execute",
                json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
                    "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true
                }}),
            )
            .await;
        driver
    }
}

/// Marks (`data-e2e`) the grid's cell of a lesson and pupil: the lesson is its column heading's
/// `data-l`, the pupil its row's `data-p` (see `AT`).
const CELL: &str = "const input = [...document.querySelectorAll('td.c input[name=value]')]
    .find(i => { const td = i.closest('td');
                 const th = td.closest('table').tHead.rows[0].cells[td.cellIndex];
                 return th.dataset.l == arguments[0] && td.parentElement.dataset.p == arguments[1]; });
    if (input) { input.closest('td').dataset.e2e = 'x'; }
    return !!input";

/// The lesson and the pupil of the grid's focused cell, as `[lesson, pupil]`.
pub(crate) const AT: &str = "const td = document.activeElement.closest('td');
    const th = td.closest('table').tHead.rows[0].cells[td.cellIndex];
    return [Number(th.dataset.l), Number(td.parentElement.dataset.p)]";

#[tokio::test]
async fn in_a_browser_a_teacher_types_marks_with_the_keyboard_and_sees_saved_or_refused() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 10, 0));
    let driver = Driver::start().await;
    let base = j.teacher.base.clone();

    driver.sign_in(&base, "teacher").await;

    driver.go(&format!("{base}/journal/{}", j.group)).await;
    // The first pupil's cell on October 5: type «5», move down with the arrow key.
    let (first, second) = (j.pupils[0], j.pupils[1]);
    assert_eq!(
        driver.script(CELL, json!([monday, first])).await,
        json!(true)
    );
    let cell = driver.element("td[data-e2e] input").await;
    driver.click(&cell).await;
    driver.type_into(&cell, "5\u{E015}").await; // ArrowDown
    let saved = driver
        .until(
            "return document.querySelector('#journal-status')?.textContent",
            json!([]),
        )
        .await;
    assert_eq!(saved, json!("сохранено"));
    let mark: Option<String> = sqlx::query_scalar(
        "SELECT m.value FROM mark m JOIN mark_column c ON c.id = m.column_id
         WHERE c.lesson_id = $1 AND m.pupil_id = $2",
    )
    .bind(monday)
    .bind(first)
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    assert_eq!(mark.as_deref(), Some("5"));

    // The arrow moved the focus to the second pupil's cell of the same lesson; «9» is refused
    // with the reason, shown in the status line, and nothing is written.
    let focused = driver.script(AT, json!([])).await;
    assert_eq!(focused, json!([monday, second]), "focus moved down");
    driver
        .script(
            "document.activeElement.value = '9'; document.activeElement.dispatchEvent(new Event('change', {bubbles: true}))",
            json!([]),
        )
        .await;
    let refused = driver
        .until(
            "const s = document.querySelector('#journal-status'); return s && s.classList.contains('bad') && s.textContent",
            json!([]),
        )
        .await;
    assert!(
        refused
            .as_str()
            .unwrap_or_default()
            .contains("«9» — не отметка"),
        "{refused}"
    );
    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM mark WHERE pupil_id = $1")
        .bind(second)
        .fetch_one(&j.app.pool)
        .await
        .unwrap();
    assert_eq!(written, 0);
}

/// The marks shown in the diary's lesson of a date (`data-date` on the day, the subject's name).
const DIARY_MARKS: &str =
    "const day = document.querySelector('section.day[data-date=\"' + arguments[0] + '\"]');
    if (!day) { return null; }
    return [...day.querySelectorAll('li.lesson')]
        .filter(l => l.querySelector('.subject strong')?.textContent === arguments[1])
        .flatMap(l => [...l.querySelectorAll('.mark')].map(m => m.firstChild.textContent.trim()))
        .join(' ')";

#[tokio::test]
async fn s4_in_a_browser_an_open_diary_shows_the_teachers_new_mark_without_reloading() {
    let j = maths_5b().await;
    let ivan: i64 = sqlx::query_scalar(
        "SELECT m.pupil_id FROM membership m JOIN account a ON a.id = m.account_id
         WHERE a.login = 'student' AND m.role = 'pupil'",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 10, 0));
    let driver = Driver::start().await;
    let base = j.teacher.base.clone();

    driver.sign_in(&base, "parent").await;
    driver
        .go(&format!("{base}/diary?pupil={ivan}&week=2026-10-05"))
        .await;
    // The page is listening; nothing is marked in Monday's maths yet.
    driver
        .until(
            "return document.querySelector('#diary-week')?.dataset.connected === '1'",
            json!([]),
        )
        .await;
    let before = driver
        .script(DIARY_MARKS, json!(["2026-10-05", "Математика"]))
        .await;
    assert_eq!(before, json!(""), "no mark on Monday yet");
    driver.script("window.notReloaded = true", json!([])).await;

    // The teacher saves «5» in the journal (another person, over HTTP).
    let saved = j
        .teacher
        .post_htmx(
            "/journal/cells",
            &[
                ("lesson", &monday.to_string()),
                ("pupil", &ivan.to_string()),
                ("value", "5"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(saved.contains("сохранено"), "{saved}");

    // The week refreshes itself: the mark appears, the page was not reloaded.
    let after = driver
        .until(DIARY_MARKS, json!(["2026-10-05", "Математика"]))
        .await;
    assert_eq!(after, json!("5"));
    assert_eq!(
        driver
            .script("return window.notReloaded === true", json!([]))
            .await,
        json!(true),
        "the page updated in place"
    );
    let status = driver
        .script(
            "return document.querySelector('#diary-live').textContent",
            json!([]),
        )
        .await;
    assert!(
        status
            .as_str()
            .unwrap_or_default()
            .starts_with("Дневник обновлён"),
        "{status}"
    );
}
