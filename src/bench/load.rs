//! `zhurnal bench` under load: for each page and for the cell save, `CONNECTIONS` people at once
//! (each with their own session) for a few seconds, and what one request costs — requests per
//! second, CPU milliseconds per request split into the server's (this process) and PostgreSQL's
//! (every process of the database cluster, read from /proc around the run), the median and 99th
//! percentile, bytes, and the peak memory. CPU time is the figure that holds still on a shared
//! machine; wall time wanders with the neighbours.
//!
//! The requests go through the whole router in process (session, CSRF, rules, queries, template),
//! without a socket: the HTTP parsing left out costs a few microseconds a request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use chrono::Datelike;
use sqlx::PgPool;

use super::{Browser, peak_rss_mb};
use crate::config::Config;

/// How many people use the server at once.
pub const CONNECTIONS: usize = 8;
/// The load before each measured run, unmeasured (`measure`).
const WARM_UP: Duration = Duration::from_secs(1);
/// The targets of a page read (grid) and of the lighter pages, CPU ms per request all told.
pub const GRID_CPU_MS: f64 = 1.0;
pub const LIGHT_CPU_MS: f64 = 0.8;
/// A cell save: CPU ms all told, saves per second at `CONNECTIONS`, the 99th percentile.
pub const SAVE_CPU_MS: f64 = 1.0;
pub const SAVES_PER_SECOND: f64 = 1500.0;
pub const SAVE_P99: Duration = Duration::from_millis(20);

/// What a person does over and over.
#[derive(Clone)]
enum Act {
    /// `login` reads the page at `path`.
    Get { login: &'static str, path: String },
    /// Marks pupils absent («н») and clears it, in turn (a changed mark would need a written
    /// reason; the absence goes through the same save, rules and audit). The `person`-th person
    /// writes as `writers[person % len]`; people sharing a writer's lesson share out its pupils,
    /// so that two never write one cell at once.
    Save { writers: Vec<Writer> },
}

/// Who writes into which lesson, and its pupils without a mark there.
#[derive(Clone)]
struct Writer {
    login: String,
    lesson: i64,
    pupils: Vec<i64>,
}

struct Scenario {
    what: &'static str,
    act: Act,
    /// CPU ms per request all told; none: measured, no target.
    cpu_target: Option<f64>,
}

/// A figure of one scenario.
struct Figure {
    requests: usize,
    elapsed: Duration,
    bytes: usize,
    p50: Duration,
    p99: Duration,
    app_ms: f64,
    pg_ms: Option<f64>,
    /// Answers served kept (`web::page_cache`).
    kept: usize,
}

/// CPU time of this process, in nanoseconds.
fn own_cpu_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    if rc != 0 {
        return 0;
    }
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// The parent process id from /proc/<pid>/stat (the field after the state).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time of a process, ns: /proc/<pid>/schedstat's first field.
fn cpu_ns_of(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/schedstat"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The database's server processes: the postmaster the pool's connections are children of and,
/// on a Citus coordinator, each worker's postmaster (found the same way, through a connection
/// to the worker as the same role), so that PostgreSQL's CPU counts every node's backends.
/// None when the database is on another machine (or its processes are not visible here).
async fn cluster_roots(pool: &PgPool) -> Option<Vec<u32>> {
    async fn root_of(pool: &PgPool) -> Option<u32> {
        let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(pool)
            .await
            .ok()?;
        let root = parent_of(u32::try_from(backend).ok()?)?;
        cpu_ns_of(root).map(|_| root)
    }
    let mut roots = vec![root_of(pool).await?];
    for worker in crate::db::citus_workers(pool).await.ok()? {
        roots.push(root_of(&worker).await?);
        worker.close().await;
    }
    Some(roots)
}

/// CPU time of the database's servers so far, ns: the postmasters and their children
/// (processes that ended are not counted: the pool's connections live through a run).
fn cluster_cpu_ns(roots: &[u32]) -> u64 {
    let mut total: u64 = roots.iter().filter_map(|&r| cpu_ns_of(r)).sum();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return total;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if parent_of(pid).is_some_and(|p| roots.contains(&p)) {
            total += cpu_ns_of(pid).unwrap_or(0);
        }
    }
    total
}

/// Signs `login` in (password `demo`) and enters the first of their memberships under which
/// `check` answers 200.
async fn signed_in(app: &Router, login: &str, check: &str) -> anyhow::Result<Browser> {
    let mut b = Browser::new(app.clone());
    b.get("/login").await?;
    let (status, _) = b
        .post(
            "/login",
            &[("login", login), ("password", crate::demo::PASSWORD)],
            false,
        )
        .await?;
    anyhow::ensure!(
        status == StatusCode::SEE_OTHER,
        "{login} signs in ({status})"
    );
    let (status, page) = b.get("/choose").await?;
    if status == StatusCode::OK {
        // Several memberships: try each.
        let choices: Vec<String> = page
            .split("name=\"membership\" value=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next().map(str::to_string))
            .collect();
        for choice in choices {
            b.post("/choose", &[("membership", &choice)], false).await?;
            if b.get(check).await?.0 == StatusCode::OK {
                return Ok(b);
            }
        }
    }
    let (status, _) = b.get(check).await?;
    anyhow::ensure!(
        status == StatusCode::OK,
        "{login}: {check} answers {status}"
    );
    Ok(b)
}

/// One request of `act` for the `n`-th time by the `person`-th person: its status, bytes, and
/// whether the page was served kept.
async fn act_once(
    b: &mut Browser,
    act: &Act,
    person: usize,
    n: usize,
) -> anyhow::Result<(StatusCode, usize, bool)> {
    match act {
        Act::Get { path, .. } => b.read(path).await,
        Act::Save { writers } => {
            let w = &writers[person % writers.len()];
            let sharing = CONNECTIONS.div_ceil(writers.len());
            let mine: Vec<i64> = w
                .pupils
                .iter()
                .copied()
                .skip(person / writers.len())
                .step_by(sharing)
                .collect();
            let pupil = mine[n % mine.len()];
            let value = if (n / mine.len()).is_multiple_of(2) {
                "н"
            } else {
                ""
            };
            let (status, body) = b
                .post(
                    "/journal/cells",
                    &[
                        ("lesson", &w.lesson.to_string()),
                        ("pupil", &pupil.to_string()),
                        ("value", value),
                    ],
                    true,
                )
                .await?;
            anyhow::ensure!(
                status != StatusCode::OK || !body.contains("cell-why"),
                "a cell save is refused: {body}"
            );
            Ok((status, body.len(), false))
        }
    }
}

async fn measure(
    app: &Router,
    roots: Option<&[u32]>,
    s: &Scenario,
    seconds: u64,
) -> anyhow::Result<Figure> {
    let mut people = Vec::with_capacity(CONNECTIONS);
    for i in 0..CONNECTIONS {
        let (login, check) = match &s.act {
            Act::Get { login, path } => (*login, path.clone()),
            Act::Save { writers } => {
                let w = &writers[i % writers.len()];
                (w.login.as_str(), format!("/lessons/{}", w.lesson))
            }
        };
        people.push(signed_in(app, login, &check).await?);
    }
    // Warm up: a first answer each, then a second of the same load unmeasured — every
    // connection the load takes opened and its plans made (a connection the pool opens during
    // the measured seconds plans each statement afresh: a one-off, not what a page costs all day).
    for (i, b) in people.iter_mut().enumerate() {
        let (status, _, _) = act_once(b, &s.act, i, 0).await?;
        anyhow::ensure!(status == StatusCode::OK, "{}: {status}", s.what);
    }
    let start = Arc::new(tokio::sync::Barrier::new(CONNECTIONS + 1));
    let warm_until = Instant::now() + WARM_UP;
    let until = warm_until + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, mut b) in people.into_iter().enumerate() {
        let act = s.act.clone();
        let start = start.clone();
        tasks.spawn(async move {
            let mut n = 1;
            let mut failed = None;
            while Instant::now() < warm_until && failed.is_none() {
                match act_once(&mut b, &act, i, n).await {
                    Ok((StatusCode::OK, _, _)) => {}
                    Ok((status, _, _)) => failed = Some(anyhow::anyhow!("answers {status}")),
                    Err(e) => failed = Some(e),
                }
                n += 1;
            }
            // Every task reaches the start, even a failed one: the others wait for it.
            start.wait().await;
            if let Some(e) = failed {
                return Err(e);
            }
            let mut times = Vec::new();
            let mut bytes = 0usize;
            let mut kept = 0usize;
            while Instant::now() < until {
                let t = Instant::now();
                let (status, size, was_kept) = act_once(&mut b, &act, i, n).await?;
                times.push(t.elapsed());
                anyhow::ensure!(status == StatusCode::OK, "answers {status}");
                bytes = size;
                kept += usize::from(was_kept);
                n += 1;
            }
            Ok::<_, anyhow::Error>((times, bytes, kept))
        });
    }
    start.wait().await;
    let app_before = own_cpu_ns();
    let pg_before = roots.map(cluster_cpu_ns);
    let started = Instant::now();
    let mut times = Vec::new();
    let mut bytes = 0;
    let mut kept = 0;
    while let Some(done) = tasks.join_next().await {
        let (t, b, k) = done??;
        times.extend(t);
        bytes = bytes.max(b);
        kept += k;
    }
    let elapsed = started.elapsed();
    let app_ns = own_cpu_ns().saturating_sub(app_before);
    let pg_ns = match (roots, pg_before) {
        (Some(roots), Some(before)) => Some(cluster_cpu_ns(roots).saturating_sub(before)),
        _ => None,
    };
    times.sort();
    let requests = times.len().max(1);
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    Ok(Figure {
        requests,
        elapsed,
        bytes,
        p50: at(0.5),
        p99: at(0.99),
        app_ms: app_ns as f64 / 1e6 / requests as f64,
        pg_ms: pg_ns.map(|ns| ns as f64 / 1e6 / requests as f64),
        kept,
    })
}

/// Runs every scenario for `seconds` each on the filled demo; prints the table; returns whether
/// every target was met.
pub async fn pages(
    pool: PgPool,
    config: Config,
    seconds: u64,
    only: Option<&str>,
) -> anyhow::Result<bool> {
    let demo = super::DemoJournal::find(&pool).await?;
    // The cell saves go to a lesson of the group from November 23 with pupils without a mark
    // (a changed mark needs a reason; earlier runs leave marks behind), the clock on its day.
    // Every table names the school: on Citus a statement is routed to the school's worker only
    // then (docs/SCALE.md).
    let school: i64 = sqlx::query_scalar("SELECT school_id FROM study_group WHERE id = $1")
        .bind(demo.group)
        .fetch_one(&pool)
        .await?;
    let (lesson, lesson_date): (i64, chrono::NaiveDate) = sqlx::query_as(
        "SELECT l.id, l.lesson_date FROM lesson l
         WHERE l.school_id = $4 AND l.group_id = $1 AND l.lesson_date >= '2026-11-23'
           AND l.status <> 'cancelled'
           AND (SELECT count(*) FROM unnest($2::bigint[]) AS p
                WHERE NOT EXISTS (SELECT 1 FROM mark m
                                  JOIN mark_column c ON c.school_id = $4 AND c.id = m.column_id
                                  WHERE m.school_id = $4 AND c.lesson_id = l.id
                                    AND m.pupil_id = p)) >= $3
         ORDER BY l.lesson_date, l.lesson_number LIMIT 1",
    )
    .bind(demo.group)
    .bind(&demo.pupils)
    .bind(CONNECTIONS as i64)
    .bind(school)
    .fetch_one(&pool)
    .await?;
    let unmarked: Vec<i64> = sqlx::query_scalar(
        "SELECT p FROM unnest($2::bigint[]) AS p
         WHERE NOT EXISTS (SELECT 1 FROM mark m JOIN mark_column c ON c.school_id = $3 AND c.id = m.column_id
                           WHERE m.school_id = $3 AND c.lesson_id = $1 AND m.pupil_id = p)",
    )
    .bind(lesson)
    .bind(&demo.pupils)
    .bind(school)
    .fetch_all(&pool)
    .await?;
    // Eight teachers each writing into a lesson of their own that day — how a school writes —
    // each lesson's pupils without a mark there.
    let rows: Vec<(String, i64, Vec<i64>)> = sqlx::query_as(
        "SELECT DISTINCT ON (a.login) a.login, l.id,
                ARRAY(SELECT gp.pupil_id FROM group_pupil gp
                      WHERE gp.school_id = $1 AND gp.group_id = l.group_id
                        AND gp.starts_on <= l.lesson_date
                        AND (gp.ends_on IS NULL OR gp.ends_on >= l.lesson_date)
                        AND NOT EXISTS (SELECT 1 FROM mark m
                                        JOIN mark_column c ON c.school_id = $1 AND c.id = m.column_id
                                        WHERE m.school_id = $1 AND c.lesson_id = l.id
                                          AND m.pupil_id = gp.pupil_id)
                      ORDER BY 1)
         FROM lesson l JOIN account a ON a.id = l.teacher_id
         WHERE l.school_id = $1 AND l.lesson_date = $2 AND l.status NOT IN ('cancelled', 'moved')
           AND a.disabled_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM substitution s WHERE s.school_id = $1 AND s.lesson_id = l.id)
         ORDER BY a.login, l.lesson_number",
    )
    .bind(school)
    .bind(lesson_date)
    .fetch_all(&pool)
    .await?;
    let own_lessons: Vec<Writer> = rows
        .into_iter()
        .filter(|(_, _, pupils)| !pupils.is_empty())
        .take(CONNECTIONS)
        .map(|(login, lesson, pupils)| Writer {
            login,
            lesson,
            pupils,
        })
        .collect();
    anyhow::ensure!(
        own_lessons.len() == CONNECTIONS,
        "{lesson_date}: {CONNECTIONS} teachers with a lesson of their own are needed"
    );
    let clock = std::sync::Arc::new(crate::clock::ManualClock::new(super::moscow(
        lesson_date.month(),
        lesson_date.day(),
        15,
    )?));
    let (_, from, to) = super::first_quarter(&pool).await?;
    let state = crate::startup::state(pool.clone(), config, clock);
    let app = crate::web::router(state);
    let roots = cluster_roots(&pool).await;
    let dates = format!("from={from}&to={to}");
    let scenarios = [
        // The saves first: the pages after them are read in a school whose newest events are
        // other journals' (as all day in a school), which their kept pages' checks must stand
        // (docs/TESTING.md «Eleventh round»). The table keeps this order.
        // The cell save, the eight people in one lesson: they wait in turn on its row lock
        // (every write of a lesson is one after another), measured without a target.
        Scenario {
            what: "Запись клетки: 8 человек в одном уроке",
            act: Act::Save {
                writers: vec![Writer {
                    login: "teacher".into(),
                    lesson,
                    pupils: unmarked,
                }],
            },
            cpu_target: None,
        },
        // Then each in a lesson of their own: the newest events are now other journals' than
        // the pages' below.
        Scenario {
            what: "Запись клетки (htmx)",
            act: Act::Save {
                writers: own_lessons,
            },
            cpu_target: Some(SAVE_CPU_MS),
        },
        Scenario {
            what: "Журнал группы (сетка четверти)",
            act: Act::Get {
                login: "teacher",
                path: format!("/journal/{}", demo.group),
            },
            cpu_target: Some(GRID_CPU_MS),
        },
        Scenario {
            what: "Урок (посещаемость)",
            act: Act::Get {
                login: "teacher",
                path: format!("/lessons/{lesson}"),
            },
            cpu_target: Some(LIGHT_CPU_MS),
        },
        Scenario {
            what: "Дневник: неделя",
            act: Act::Get {
                login: "parent",
                path: "/diary".into(),
            },
            cpu_target: Some(LIGHT_CPU_MS),
        },
        Scenario {
            what: "Дневник: отметки",
            act: Act::Get {
                login: "parent",
                path: "/diary/marks".into(),
            },
            cpu_target: Some(LIGHT_CPU_MS),
        },
        Scenario {
            what: "Главная учителя",
            act: Act::Get {
                login: "teacher",
                path: "/teacher".into(),
            },
            cpu_target: None,
        },
        Scenario {
            what: "Главная классного руководителя",
            act: Act::Get {
                login: "classteacher",
                path: "/class-teacher".into(),
            },
            cpu_target: None,
        },
        Scenario {
            what: "Главная заместителя директора",
            act: Act::Get {
                login: "deputy",
                path: "/deputy".into(),
            },
            cpu_target: None,
        },
        Scenario {
            what: "Отчёт: пропущенные темы и «2» за четверть",
            act: Act::Get {
                login: "deputy",
                path: format!("/reports/catch-up?{dates}"),
            },
            cpu_target: None,
        },
        Scenario {
            what: "Замены на день",
            act: Act::Get {
                login: "deputy",
                path: format!("/deputy/lessons?date={lesson_date}"),
            },
            cpu_target: None,
        },
    ];
    println!(
        "Под нагрузкой: {CONNECTIONS} человек одновременно, по {seconds} с на строку; ЦП — мс на запрос (сервер + PostgreSQL); запросы как из браузера (Accept-Encoding: gzip, deflate, br, zstd), КБ — ответ как передан{}",
        if roots.is_none() {
            "; процессы PostgreSQL не видны отсюда — считается только сервер"
        } else {
            ""
        }
    );
    println!(
        "{:<44} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  цель",
        "страница",
        "запр/с",
        "ЦП серв",
        "ЦП БД",
        "ЦП всего",
        "медиана",
        "99%",
        "КБ сети",
        "из кэша"
    );
    let mut met = true;
    for s in scenarios
        .iter()
        .filter(|s| only.is_none_or(|o| s.what.contains(o)))
    {
        let f = measure(&app, roots.as_deref(), s, seconds).await?;
        let rps = f.requests as f64 / f.elapsed.as_secs_f64();
        let total = f.app_ms + f.pg_ms.unwrap_or(0.0);
        let mut verdict = String::new();
        if let Some(target) = s.cpu_target {
            let ok = total <= target;
            met &= ok;
            verdict = format!(
                "ЦП ≤ {target} мс: {}",
                if ok {
                    "достигнута"
                } else {
                    "НЕ достигнута"
                }
            );
        }
        if matches!(s.act, Act::Save { .. }) && s.cpu_target.is_some() {
            let ok = rps >= SAVES_PER_SECOND && f.p99 <= SAVE_P99;
            met &= ok;
            verdict.push_str(&format!(
                "; ≥ {SAVES_PER_SECOND} в с и 99% ≤ {SAVE_P99:?}: {}",
                if ok {
                    "достигнута"
                } else {
                    "НЕ достигнута"
                }
            ));
        }
        println!(
            "{:<44} {:>8.0} {:>8.2} {:>8} {:>8.2} {:>8.1?} {:>8.1?} {:>8} {:>7}%  {verdict}",
            s.what,
            rps,
            f.app_ms,
            f.pg_ms.map_or("—".to_string(), |ms| format!("{ms:.2}")),
            total,
            f.p50,
            f.p99,
            f.bytes / 1024,
            f.kept * 100 / f.requests
        );
    }
    let rss = peak_rss_mb();
    let rss_ok = rss <= super::PEAK_RSS_MB;
    println!(
        "Пик памяти сервера: {rss} МБ (цель ≤ {} МБ: {})",
        super::PEAK_RSS_MB,
        if rss_ok {
            "достигнута"
        } else {
            "НЕ достигнута"
        }
    );
    Ok(met && rss_ok)
}
