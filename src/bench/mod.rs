//! `zhurnal bench`: the journal's speed and memory targets, measured through the whole web stack
//! (router, session, CSRF, rules, queries, template) on the demo school — the biggest class of
//! the demo teacher over a whole quarter — and the mail composer for every parent of the demo
//! school. Run it with `--release`; it fails when a target is missed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use chrono::TimeZone;
use sqlx::PgPool;
use tower::ServiceExt;

use crate::clock::ManualClock;
use crate::config::Config;

pub mod load;

/// The targets (release build, a 2-core machine).
pub const PAGE_P95: Duration = Duration::from_millis(100);
pub const CELL_P95: Duration = Duration::from_millis(50);
pub const PEAK_RSS_MB: u64 = 150;
/// A report page of the whole demo school over a quarter.
pub const REPORT_P95: Duration = Duration::from_millis(150);
/// A report's XLSX of the whole demo school over a quarter.
pub const REPORT_FILE_P95: Duration = Duration::from_secs(1);

struct Browser {
    app: Router,
    /// The cookie jar: name → value (the session, and the login form's CSRF cookie).
    cookies: std::collections::BTreeMap<String, String>,
    cookie: String,
    csrf: String,
    /// The last answer was a kept page (`web::page_cache`).
    kept: bool,
}

impl Browser {
    fn new(app: Router) -> Self {
        Browser {
            app,
            cookies: Default::default(),
            cookie: String::new(),
            csrf: String::new(),
            kept: false,
        }
    }

    async fn send(&mut self, request: Request<Body>) -> anyhow::Result<(StatusCode, String)> {
        let (status, encoding, body) = self.send_raw(request).await?;
        let body = decoded(encoding.as_deref(), &body)?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }

    /// `send` without reading the body as text: what the load measures is the server's work, and
    /// a browser's copy and UTF-8 check of a 236 KB grid (a tenth of the bench process's CPU on
    /// the grid, `perf record`) is not.
    async fn send_raw(
        &mut self,
        request: Request<Body>,
    ) -> anyhow::Result<(StatusCode, Option<String>, axum::body::Bytes)> {
        let response = self.app.clone().oneshot(request).await?;
        let status = response.status();
        self.kept = response
            .headers()
            .get("server-timing")
            .is_some_and(|v| v == "page;desc=kept");
        let encoding = response
            .headers()
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        for set in response.headers().get_all(header::SET_COOKIE) {
            let Some((name, value)) = set
                .to_str()?
                .split(';')
                .next()
                .and_then(|p| p.split_once('='))
            else {
                continue;
            };
            if value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_string(), value.to_string());
            }
        }
        self.cookie = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let body = to_bytes(response.into_body(), 64 * 1024 * 1024).await?;
        Ok((status, encoding, body))
    }

    /// A page read under load: its status and size, and whether it was served kept
    /// (`web::page_cache`: `Server-Timing: page;desc=kept`); the form token stays the one read
    /// before.
    async fn read(&mut self, path: &str) -> anyhow::Result<(StatusCode, usize, bool)> {
        let request = self.get_request(path)?;
        let (status, _, body) = self.send_raw(request).await?;
        Ok((status, body.len(), self.kept))
    }

    /// A GET of `path` with the cookie jar.
    fn get_request(&self, path: &str) -> anyhow::Result<Request<Body>> {
        Ok(Request::get(path)
            .header(header::COOKIE, &self.cookie)
            .header(header::ACCEPT_ENCODING, ACCEPT_ENCODING)
            .body(Body::empty())?)
    }

    async fn get(&mut self, path: &str) -> anyhow::Result<(StatusCode, String)> {
        let request = self.get_request(path)?;
        let (status, body) = self.send(request).await?;
        if let Some(token) = crate::bench::csrf_of(&body) {
            self.csrf = token;
        }
        Ok((status, body))
    }

    async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        htmx: bool,
    ) -> anyhow::Result<(StatusCode, String)> {
        let body = serde_urlencoded::to_string(form)?;
        let mut request = Request::post(path)
            .header(header::COOKIE, &self.cookie)
            .header(header::ACCEPT_ENCODING, ACCEPT_ENCODING)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("x-csrf-token", &self.csrf);
        if htmx {
            request = request.header("hx-request", "true");
        }
        self.send(request.body(Body::from(body))?).await
    }
}

/// What a browser accepts (Chromium's header over HTTPS): the server's CPU measured includes the
/// compression every browser asks for. Text read from a compressed answer is decoded first.
const ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// A body as the server sent it, uncompressed.
fn decoded(encoding: Option<&str>, body: &[u8]) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    match encoding {
        None => out.extend_from_slice(body),
        Some("gzip") => {
            flate2::read::GzDecoder::new(body).read_to_end(&mut out)?;
        }
        Some(other) => anyhow::bail!("unexpected Content-Encoding: {other}"),
    }
    Ok(out)
}

fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[at..].find('"')?;
    Some(html[at..at + end].to_string())
}

/// Median, 95th percentile and maximum.
fn spread(mut times: Vec<Duration>) -> (Duration, Duration, Duration) {
    times.sort();
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    (p(0.5), p(0.95), *times.last().unwrap_or(&Duration::ZERO))
}

fn peak_rss_mb() -> u64 {
    rss_mb("VmHWM:")
}

/// A memory figure of this process from /proc/self/status (`VmHWM:` the peak, `VmRSS:` now), MB.
fn rss_mb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// A time of 2026 in Moscow: month, day, hour.
fn moscow(month: u32, day: u32, hour: u32) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    chrono_tz::Europe::Moscow
        .with_ymd_and_hms(2026, month, day, hour, 0, 0)
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or_else(|| anyhow::anyhow!("a date"))
}

/// The demo teacher's biggest group, its first lesson without marks from Monday, November 23,
/// 2026 (the day the bench fills the demo up to) and its pupils.
struct DemoJournal {
    group: i64,
    lesson: i64,
    lesson_date: chrono::NaiveDate,
    pupils: Vec<i64>,
}

impl DemoJournal {
    async fn find(pool: &PgPool) -> anyhow::Result<Self> {
        let group: i64 = sqlx::query_scalar(
            "SELECT t.group_id FROM teaching_assignment t JOIN account a ON a.id = t.teacher_id
             JOIN group_pupil gp ON gp.school_id = t.school_id AND gp.group_id = t.group_id AND gp.ends_on IS NULL
             WHERE a.login = 'teacher' GROUP BY t.group_id ORDER BY count(*) DESC, t.group_id LIMIT 1",
        )
        .fetch_one(pool)
        .await?;
        // Without a mark yet: a demo filled later than the bench's day (`zhurnal demo` fills up
        // to the real date) has marks in the week of November 23, and writing «н» over a mark
        // is a correction that asks for a reason.
        let (lesson, lesson_date): (i64, chrono::NaiveDate) = sqlx::query_as(
            "SELECT l.id, l.lesson_date FROM lesson l
             WHERE l.group_id = $1 AND l.lesson_date >= '2026-11-23' AND l.status <> 'cancelled'
               AND NOT EXISTS (SELECT 1 FROM mark_column c JOIN mark m ON m.column_id = c.id
                               WHERE c.lesson_id = l.id)
             ORDER BY l.lesson_date, l.lesson_number LIMIT 1",
        )
        .bind(group)
        .fetch_one(pool)
        .await?;
        let pupils: Vec<i64> = sqlx::query_scalar(
            "SELECT pupil_id FROM group_pupil WHERE group_id = $1 AND ends_on IS NULL ORDER BY pupil_id",
        )
        .bind(group)
        .fetch_all(pool)
        .await?;
        Ok(DemoJournal {
            group,
            lesson,
            lesson_date,
            pupils,
        })
    }
}

/// The demo school's first quarter (of the youngest grades' scheme): its id, first and last day.
async fn first_quarter(
    pool: &PgPool,
) -> anyhow::Result<(i64, chrono::NaiveDate, chrono::NaiveDate)> {
    Ok(sqlx::query_as(
        "SELECT sp.id, sp.starts_on, sp.ends_on FROM study_period sp
         JOIN period_scheme ps ON ps.school_id = sp.school_id AND ps.id = sp.scheme_id
         JOIN school s ON s.id = sp.school_id
         WHERE s.slug = $1 AND sp.number = 1 ORDER BY ps.grade_from LIMIT 1",
    )
    .bind(crate::demo::SLUG_1)
    .fetch_one(pool)
    .await?)
}

/// Measures the journal; returns whether every target was met.
pub async fn journal(pool: PgPool, config: Config, rounds: usize) -> anyhow::Result<bool> {
    let clock = Arc::new(ManualClock::new(moscow(11, 23, 12)?));
    crate::demo::seed_if_empty(&pool).await?;
    crate::demo::fill_school_year(&pool, clock.as_ref()).await?;
    let DemoJournal {
        group,
        lesson,
        lesson_date,
        pupils,
    } = DemoJournal::find(&pool).await?;
    use chrono::Datelike;
    clock.set(moscow(lesson_date.month(), lesson_date.day(), 15)?);

    let state = crate::startup::state(pool.clone(), config, clock.clone());
    let mut browser = Browser::new(crate::web::router(state));
    browser.get("/login").await?;
    let (status, _) = browser
        .post(
            "/login",
            &[("login", "teacher"), ("password", crate::demo::PASSWORD)],
            false,
        )
        .await?;
    anyhow::ensure!(
        status == StatusCode::SEE_OTHER,
        "the demo teacher signs in ({status})"
    );
    // One membership: /choose enters the school.
    let (status, _) = browser.get("/choose").await?;
    anyhow::ensure!(
        status == StatusCode::SEE_OTHER,
        "the teacher enters the school ({status})"
    );

    let path = format!("/journal/{group}");
    let (_, page) = browser.get(&path).await?;
    let inputs = page.matches("name=\"value\"").count();
    let mut page_times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        let (status, _) = browser.get(&path).await?;
        page_times.push(started.elapsed());
        anyhow::ensure!(
            status == StatusCode::OK,
            "the journal page answers {status}"
        );
    }

    let mut cell_times = Vec::with_capacity(rounds);
    let lesson = lesson.to_string();
    for i in 0..rounds {
        let pupil = pupils[i % pupils.len()].to_string();
        let value = if (i / pupils.len()).is_multiple_of(2) {
            "н"
        } else {
            ""
        };
        let started = Instant::now();
        let (status, body) = browser
            .post(
                "/journal/cells",
                &[("lesson", &lesson), ("pupil", &pupil), ("value", value)],
                true,
            )
            .await?;
        cell_times.push(started.elapsed());
        anyhow::ensure!(
            status == StatusCode::OK && !body.contains("cell-why"),
            "a cell write is accepted: {body}"
        );
    }

    let (p50, p95, max) = spread(page_times);
    let (c50, c95, cmax) = spread(cell_times);
    let load = load(&browser.app, &path, rounds).await?;
    let rss = peak_rss_mb();
    println!(
        "Журнал группы {group}: {} обучающихся, {inputs} клеток, страница {} КБ",
        pupils.len(),
        page.len() / 1024
    );
    println!(
        "  страница журнала: медиана {p50:?}, 95% {p95:?}, максимум {max:?} (цель 95% ≤ {PAGE_P95:?})"
    );
    println!(
        "  запись клетки:    медиана {c50:?}, 95% {c95:?}, максимум {cmax:?} (цель 95% ≤ {CELL_P95:?})"
    );
    println!(
        "  нагрузка: {LOAD_SESSIONS} сеансов одновременно (учитель — журнал, родитель — дневник), {} запросов за {:?}",
        load.requests, load.elapsed
    );
    println!(
        "  пик памяти процесса: {rss} МБ (цель ≤ {PEAK_RSS_MB} МБ); после нагрузки занято {} МБ",
        load.rss_after_mb
    );
    Ok(p95 <= PAGE_P95 && c95 <= CELL_P95 && rss <= PEAK_RSS_MB)
}

/// Measures the reports of the whole demo school as the deputy, over the first quarter: each page
/// (the progress report both over the quarter's dates — current marks averaged per pupil and
/// subject, the heavier mode — and for its period marks) and the XLSX of the biggest ones. Run
/// after `journal` (the demo is filled). Returns whether every target was met.
pub async fn reports(pool: PgPool, config: Config, rounds: usize) -> anyhow::Result<bool> {
    let clock = Arc::new(ManualClock::new(moscow(11, 23, 12)?));
    let (period, from, to) = first_quarter(&pool).await?;
    let state = crate::startup::state(pool.clone(), config, clock);
    let mut browser = Browser::new(crate::web::router(state));
    browser.get("/login").await?;
    let (status, _) = browser
        .post(
            "/login",
            &[("login", "deputy"), ("password", crate::demo::PASSWORD)],
            false,
        )
        .await?;
    anyhow::ensure!(
        status == StatusCode::SEE_OTHER,
        "the deputy signs in ({status})"
    );
    browser.get("/choose").await?;
    let dates = format!("from={from}&to={to}");
    let mut met = true;
    for (what, path, target) in [
        (
            "Успеваемость, текущие отметки 1-й четверти",
            format!("/reports/progress?{dates}"),
            REPORT_P95,
        ),
        (
            "Успеваемость, итоговые отметки 1-й четверти",
            format!("/reports/progress?period={period}"),
            REPORT_P95,
        ),
        (
            "Посещаемость за 1-ю четверть",
            format!("/reports/attendance?{dates}"),
            REPORT_P95,
        ),
        (
            "Пропущенные темы и «2» за 1-ю четверть",
            format!("/reports/catch-up?{dates}"),
            REPORT_P95,
        ),
        (
            "Своевременность записей за 1-ю четверть",
            format!("/reports/timeliness?{dates}"),
            REPORT_P95,
        ),
        (
            "Накопляемость отметок на конец 1-й четверти",
            format!("/reports/accumulation?{dates}"),
            REPORT_P95,
        ),
        (
            "Выполнение программы за 1-ю четверть",
            format!("/reports/programme?{dates}"),
            REPORT_P95,
        ),
        (
            "Контрольные работы за 1-ю четверть",
            format!("/reports/control-works?{dates}"),
            REPORT_P95,
        ),
        (
            "Нагрузка домашними заданиями за 1-ю четверть",
            format!("/reports/homework-load?{dates}"),
            REPORT_P95,
        ),
        (
            "Активность пользователей за октябрь",
            "/reports/activity?month=2026-10".to_string(),
            REPORT_P95,
        ),
        (
            "Главная страница заместителя директора",
            "/deputy".to_string(),
            REPORT_P95,
        ),
        (
            "Успеваемость, текущие отметки 1-й четверти, XLSX",
            format!("/reports/progress.xlsx?{dates}"),
            REPORT_FILE_P95,
        ),
        (
            "Посещаемость за 1-ю четверть, XLSX",
            format!("/reports/attendance.xlsx?{dates}"),
            REPORT_FILE_P95,
        ),
        (
            "Пропущенные темы и «2» за 1-ю четверть, XLSX",
            format!("/reports/catch-up.xlsx?{dates}"),
            REPORT_FILE_P95,
        ),
    ] {
        let (status, page) = browser.get(&path).await?;
        anyhow::ensure!(status == StatusCode::OK, "{path} answers {status}");
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let started = Instant::now();
            let (status, _) = browser.get(&path).await?;
            times.push(started.elapsed());
            anyhow::ensure!(status == StatusCode::OK, "{path} answers {status}");
        }
        let (p50, p95, max) = spread(times);
        println!(
            "Отчёт по всей школе: {what}, {} КБ: медиана {p50:?}, 95% {p95:?}, максимум {max:?} (цель 95% ≤ {target:?})",
            page.len() / 1024
        );
        met &= p95 <= target;
    }
    Ok(met)
}

/// How many people use the server at once in the load phase.
pub const LOAD_SESSIONS: usize = 12;

struct Load {
    requests: usize,
    elapsed: Duration,
    rss_after_mb: u64,
}

/// Signs in `LOAD_SESSIONS` people — half the demo teacher reading the journal page, half the
/// demo parent reading the diary week — one after another (simultaneous sign-ins of one login
/// are counted as failures until their passwords are checked, `auth::service::login`, and the
/// sixth would be locked out), then has each make `rounds` requests concurrently, so that the
/// peak memory is the server's under load, not one request's.
async fn load(app: &Router, journal: &str, rounds: usize) -> anyhow::Result<Load> {
    let started = Instant::now();
    let mut people = Vec::with_capacity(LOAD_SESSIONS);
    for i in 0..LOAD_SESSIONS {
        let mut b = Browser::new(app.clone());
        let (login, page) = if i % 2 == 0 {
            ("teacher", journal.to_string())
        } else {
            ("parent", "/diary".to_string())
        };
        b.get("/login").await?;
        let form = [("login", login), ("password", crate::demo::PASSWORD)];
        let (status, _) = b.post("/login", &form, false).await?;
        anyhow::ensure!(
            status == StatusCode::SEE_OTHER,
            "{login} signs in ({status})"
        );
        b.get("/choose").await?;
        people.push((b, page));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (mut b, page) in people {
        tasks.spawn(async move {
            for _ in 0..rounds {
                let (status, _) = b.get(&page).await?;
                anyhow::ensure!(status == StatusCode::OK, "{page} answers {status}");
            }
            Ok(rounds + 3)
        });
    }
    let mut requests = 0;
    while let Some(done) = tasks.join_next().await {
        requests += done??;
    }
    Ok(Load {
        requests,
        elapsed: started.elapsed(),
        rss_after_mb: rss_mb("VmRSS:"),
    })
}

/// Measures the mail composer on the demo school: every parent with consent and a child enrolled
/// gets instant mail, owed the last week of the journal (the most the composer ever tells), then a
/// second round that finds nothing new. The parents' choices are put back and the composed
/// messages removed afterwards, so the demo's own mail is untouched. Reports, sets no target.
pub async fn composer(pool: &PgPool) -> anyhow::Result<()> {
    use crate::mail::{DigestTime, compose};

    // Monday, November 23, 2026, 20:00 in Moscow: the demo journal is filled up to that day.
    let now = chrono_tz::Europe::Moscow
        .with_ymd_and_hms(2026, 11, 23, 20, 0, 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("a date"))?
        .with_timezone(&chrono::Utc);
    let (school, time_zone): (i64, String) = sqlx::query_as(
        "SELECT s.id, s.time_zone FROM school s JOIN membership m ON m.school_id = s.id
         JOIN account a ON a.id = m.account_id WHERE a.login = 'teacher' LIMIT 1",
    )
    .fetch_one(pool)
    .await?;
    type Saved = (
        i64,
        Option<String>,
        String,
        Option<chrono::DateTime<chrono::Utc>>,
        Option<chrono::NaiveDate>,
    );
    let saved: Vec<Saved> = sqlx::query_as(
        "SELECT id, email, notify_mode, notified_until, digest_on FROM parent WHERE school_id = $1",
    )
    .bind(school)
    .fetch_all(pool)
    .await?;
    let parents: i64 = sqlx::query_scalar(
        "WITH chosen AS (
             UPDATE parent p SET email = coalesce(p.email, 'bench' || p.id || '@example.ru'),
                    notify_mode = 'instant', notified_until = $2 - interval '8 days'
             WHERE p.school_id = $1 AND p.pd_consent IS TRUE
               AND EXISTS (SELECT 1 FROM pupil_parent pp
                           JOIN class_enrollment e ON e.school_id = pp.school_id
                                                  AND e.pupil_id = pp.pupil_id AND e.ends_on IS NULL
                           WHERE pp.school_id = p.school_id AND pp.parent_id = p.id)
             RETURNING 1)
         SELECT count(*) FROM chosen",
    )
    .bind(school)
    .bind(now)
    .fetch_one(pool)
    .await?;

    let school_id = crate::tenancy::SchoolId(school);
    let run = || {
        compose::compose_school(
            pool,
            school_id,
            &time_zone,
            DigestTime::DEFAULT,
            now,
            compose::BATCH,
        )
    };
    let started = Instant::now();
    let first = run().await;
    let first_time = started.elapsed();
    let started = Instant::now();
    let second = run().await;
    let second_time = started.elapsed();

    // Put the demo back: the parents' choices and cursors, no bench messages in the outbox.
    let ids: Vec<i64> = saved.iter().map(|s| s.0).collect();
    let emails: Vec<Option<String>> = saved.iter().map(|s| s.1.clone()).collect();
    let modes: Vec<String> = saved.iter().map(|s| s.2.clone()).collect();
    let until: Vec<Option<chrono::DateTime<chrono::Utc>>> = saved.iter().map(|s| s.3).collect();
    let digest_on: Vec<Option<chrono::NaiveDate>> = saved.iter().map(|s| s.4).collect();
    sqlx::query("DELETE FROM mail_outbox WHERE school_id = $1 AND created_at = $2")
        .bind(school)
        .bind(now)
        .execute(pool)
        .await?;
    sqlx::query(
        "UPDATE parent p SET email = s.email, notify_mode = s.notify_mode,
                notified_until = s.notified_until, digest_on = s.digest_on
         FROM unnest($2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::date[])
              AS s(id, email, notify_mode, notified_until, digest_on)
         WHERE p.school_id = $1 AND p.id = s.id",
    )
    .bind(school)
    .bind(&ids)
    .bind(&emails)
    .bind(&modes)
    .bind(&until)
    .bind(&digest_on)
    .execute(pool)
    .await?;

    let (first, second) = (first?, second?);
    let batches = (parents + compose::BATCH - 1) / compose::BATCH;
    println!(
        "Почта родителям: {parents} родителей с письмом о каждой отметке, за последнюю неделю журнала"
    );
    println!(
        "  составление: {first} писем за {first_time:?} ({batches} транзакций по ≤ {} родителей, 6 запросов в каждой)",
        compose::BATCH
    );
    println!("  повторный проход (ничего нового): {second} писем за {second_time:?}");
    Ok(())
}

/// The most memory the reading of one hostile upload may add (the server must survive any file).
pub const UPLOAD_PEAK_MB: u64 = 100;

/// Reads the hostile spreadsheets of `imports::samples` — the declared whole-sheet range, a zip
/// bomb with honest and with lying sizes, the styles bomb, and the heaviest file the bounds let
/// through — with the peak memory reset before each (`/proc/self/clear_refs`), and reports what
/// each added to the resident size. Returns whether every one stayed under `UPLOAD_PEAK_MB`.
pub fn uploads() -> bool {
    use crate::imports::{samples, table};
    let files: [(&str, Vec<u8>); 5] = [
        (
            "диапазон A1:XFD1048576",
            samples::xlsx_declaring(&[&["Фамилия"], &["Иванов"]], "A1:XFD1048576"),
        ),
        ("zip-бомба 200 МБ", samples::zip_bomb(200, None)),
        (
            "zip-бомба 200 МБ с ложными размерами",
            samples::zip_bomb(200, Some(1_000)),
        ),
        ("бомба стилей", samples::styles_bomb()),
        ("самый тяжёлый допустимый файл", samples::heaviest()),
    ];
    println!("Враждебные файлы загрузки (чтение таблицы, пик памяти сверх занятой до него):");
    let mut ok = true;
    for (name, bytes) in files {
        // Writing 5 to clear_refs resets VmHWM to the current resident size.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let before = rss_mb("VmRSS:");
        let started = Instant::now();
        let outcome = match table::read_table(&bytes, "bench.xlsx", 5_000) {
            Ok(rows) => format!("прочитан, строк {}", rows.len()),
            Err(e) => format!("отклонён: {}", e.message()),
        };
        let added = peak_rss_mb().saturating_sub(before);
        ok &= added <= UPLOAD_PEAK_MB;
        println!(
            "  {name}, {} КБ: +{added} МБ за {:?} — {outcome} (цель ≤ {UPLOAD_PEAK_MB} МБ)",
            bytes.len() / 1024,
            started.elapsed()
        );
    }
    ok
}

/// Verifying a school's audit chain of this many events …
pub const CHAIN_EVENTS: i64 = 100_000;
/// … takes at most this long (issue 14, item 1: «in seconds»).
pub const CHAIN_VERIFY: Duration = Duration::from_secs(5);

/// Verifies the audit chain of a bench school holding `events` events (`CHAIN_EVENTS` from the
/// command; a school of its own, `bench-audit`, made once and filled by SQL through the chain's
/// triggers, so the demo's trail is left alone). Returns whether the target was met.
pub async fn audit_chain(pool: &PgPool, events: i64) -> anyhow::Result<bool> {
    use crate::tenancy::SchoolId;
    use crate::tenancy::service::{NewSchool, create_school};

    const SLUG: &str = "bench-audit";
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM school WHERE slug = $1")
        .bind(SLUG)
        .fetch_optional(pool)
        .await?;
    let school = match existing {
        Some(id) => SchoolId(id),
        None => {
            let input = NewSchool {
                name: "Школа для замеров журнала аудита".into(),
                short_name: "Замеры аудита".into(),
                slug: SLUG.into(),
                time_zone: "Europe/Moscow".into(),
                admin_last_name: "Замеров".into(),
                admin_first_name: "Аудит".into(),
                admin_middle_name: String::new(),
                admin_login: "bench-audit-admin".into(),
            };
            create_school(pool, &crate::audit::Actor::system(), &input)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?
                .school_id
        }
    };
    let held: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE school_id = $1")
        .bind(school.0)
        .fetch_one(pool)
        .await?;
    let missing = (events - held).max(0);
    let started = Instant::now();
    if missing > 0 {
        // One statement: the row trigger links each row after the one before it, the deferred
        // trigger moves the head once, at commit.
        sqlx::query(
            "INSERT INTO audit_event (school_id, actor_role, action, subject_type, subject_id,
                                      before, after, reason)
             SELECT $1, 'teacher', 'mark.set', 'mark', g,
                    jsonb_build_object('value', '4', 'pupil_id', g % 600, 'lesson_id', g % 9000),
                    jsonb_build_object('value', '5', 'pupil_id', g % 600, 'lesson_id', g % 9000),
                    CASE WHEN g % 10 = 0 THEN 'исправление ошибки' END
             FROM generate_series(1, $2::bigint) g",
        )
        .bind(school.0)
        .bind(missing)
        .execute(pool)
        .await?;
    }
    let written = started.elapsed();
    let started = Instant::now();
    let verdict = crate::audit::chain::verify(pool, school).await?;
    let took = started.elapsed();
    println!(
        "Цепочка журнала аудита: школа {} с {} событиями",
        school.0, verdict.checked
    );
    if missing > 0 {
        println!("  запись {missing} событий одним запросом (с цепочкой): {written:?}");
    }
    println!(
        "  проверка цепочки: {took:?} (цель ≤ {CHAIN_VERIFY:?}); {}",
        verdict.summary("Europe/Moscow")
    );
    Ok(verdict.intact() && verdict.checked >= events && took <= CHAIN_VERIFY)
}
