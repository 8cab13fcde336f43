//! The web layer: extract the user and school, parse forms, call one service function, render
//! one askama page. No SQL here.

mod admin_users;
mod archive;
mod assets;
mod audit_page;
mod auth_pages;
mod class_teacher;
mod classes;
mod compromised;
mod control;
mod credentials;
pub mod csrf;
mod curriculum;
mod diary;
mod downloads;
pub mod errors;
pub mod extract;
mod gia;
mod group_timetable;
mod health;
mod home;
mod imports;
mod input_guard;
mod journal;
mod journal_control;
pub mod layout;
mod messages;
mod notifications;
mod outage;
pub mod page_cache;
mod plans;
mod platform;
mod readiness;
pub mod reads;
mod report_activity;
mod report_programme;
mod report_pupils;
mod report_quality;
mod reports;
mod school_settings;
mod setup_catalogues;
mod setup_year;
mod timetable;
mod year_end;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::auth::session_store::PgSessionStore;
use crate::clock::Clock;
use crate::config::Config;
use crate::rules::login::LockoutPolicy;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The primary, or inside a page of the replica's route class the streaming replica
    /// (`db::replica::Pools`, `web::reads`); `pool.primary()` is always the primary.
    pub pool: crate::db::replica::Pools,
    /// The sessions' own pool on the primary (`db::session_pool`): the session store and the
    /// request's person (`auth::repo::current`), whose connections carry no scope.
    pub sessions: sqlx::PgPool,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub lockout: LockoutPolicy,
    /// Diary events from the database, for the live diary pages.
    pub live: crate::diary::live::Hub,
    /// Diary views counted in memory and written in batches (`diary::visits`).
    pub visits: Arc<crate::diary::visits::VisitBook>,
    /// The pages kept rendered while what they show is unchanged (`page_cache`).
    pub pages: Arc<page_cache::PageCache>,
    /// The rules' facts of the lessons being written, kept between saves (`journal::kept`).
    pub lessons: Arc<crate::journal::kept::KeptLessons>,
    /// The cell saves, committed together while the school's saves queue (`journal::together`).
    pub cells: Arc<crate::journal::together::CellSaves>,
}

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Bytes of an answer that fits in one packet of a school's network (Ethernet's 1 500, less the
/// IP and TCP headers): sent uncompressed.
const ONE_PACKET: u64 = 1400;

pub fn router(state: AppState) -> Router {
    let sessions = SessionManagerLayer::new(PgSessionStore::new(state.sessions.clone()))
        .with_name("zhurnal_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(
            state.config.session_idle_hours,
        )));

    let pages = Router::new()
        .route("/", get(auth_pages::root))
        .route(
            "/login",
            get(auth_pages::login_form).post(auth_pages::login),
        )
        .route("/logout", post(auth_pages::logout))
        .route(
            "/password",
            get(auth_pages::password_form).post(auth_pages::change_password),
        )
        .route(
            "/choose",
            get(auth_pages::choose_form).post(auth_pages::choose),
        )
        .route("/director", get(home::director))
        .route("/deputy", get(home::deputy))
        .route("/admin", get(home::administrator))
        .route("/teacher", get(home::teacher))
        .route("/class-teacher", get(class_teacher::home))
        .route("/class-teacher/parents", get(class_teacher::parents))
        .route("/class-teacher/risk", post(class_teacher::set_risk))
        .route("/class-teacher/paper", post(class_teacher::set_paper))
        .route(
            "/class-teacher/absences",
            get(class_teacher::absences).post(class_teacher::save_absences),
        )
        .route(
            "/class-teacher/absences/days",
            post(class_teacher::save_days_reason),
        )
        .route("/class-teacher/report", get(class_teacher::report))
        .route("/class-teacher/extract.pdf", get(class_teacher::extract))
        .route("/parent", get(diary::parent_home))
        .route("/pupil", get(diary::pupil_home))
        .route("/admin/users", get(admin_users::list))
        .route(
            "/admin/users/new",
            get(admin_users::new_form).post(admin_users::create),
        )
        .route("/admin/users/{account_id}", get(admin_users::card))
        .route("/admin/users/{account_id}/roles", post(admin_users::grant))
        .route(
            "/admin/users/{account_id}/roles/{membership_id}/revoke",
            post(admin_users::revoke),
        )
        .route(
            "/admin/users/{account_id}/roles/{membership_id}/timetable",
            post(admin_users::timetable_editor),
        )
        .route(
            "/admin/users/{account_id}/password",
            post(admin_users::reset_password),
        )
        .route("/audit", get(audit_page::list))
        .route(
            "/audit/chain",
            get(audit_page::chain).post(audit_page::verify_chain),
        )
        .route(
            "/setup/years",
            get(setup_year::years).post(setup_year::add_year),
        )
        .route("/setup/years/{year_id}", get(setup_year::year))
        .route(
            "/setup/years/{year_id}/schemes",
            post(setup_year::add_scheme),
        )
        .route(
            "/setup/years/{year_id}/schemes/{scheme_id}/delete",
            post(setup_year::delete_scheme),
        )
        .route(
            "/setup/years/{year_id}/holidays",
            post(setup_year::add_holiday),
        )
        .route(
            "/setup/years/{year_id}/holidays/{holiday_id}/delete",
            post(setup_year::delete_holiday),
        )
        .route("/setup/years/{year_id}/bells", post(setup_year::set_bells))
        .route("/setup/years/{year_id}/year-end", get(year_end::show))
        .route("/setup/years/{year_id}/close", post(year_end::close))
        .route("/setup/years/{year_id}/next", post(year_end::open_next))
        .route("/setup/years/{year_id}/promote", post(year_end::promote))
        .route(
            "/setup/years/{year_id}/promotion/{order_id}/cancel",
            post(year_end::cancel),
        )
        .route("/classes", get(classes::list).post(classes::add))
        .route("/classes/{class_id}", get(classes::show))
        .route("/classes/{class_id}/pupils", post(classes::enrol))
        .route("/classes/{class_id}/teacher", post(classes::set_teacher))
        .route(
            "/classes/{class_id}/curriculum",
            get(curriculum::show).post(curriculum::add_line),
        )
        .route("/classes/{class_id}/split", post(curriculum::split))
        .route(
            "/classes/{class_id}/timetable",
            get(timetable::show).post(timetable::add),
        )
        .route(
            "/classes/{class_id}/timetable/{slot_id}/end",
            post(timetable::end),
        )
        .route("/classes/{class_id}/lessons", post(timetable::regenerate))
        .route(
            "/groups",
            get(curriculum::groups).post(curriculum::add_group),
        )
        .route("/groups/{group_id}", get(curriculum::group))
        .route("/groups/{group_id}/teacher", post(curriculum::assign))
        .route("/groups/{group_id}/members", post(curriculum::set_members))
        // The timetable of a stream, an elective, an individual plan.
        .route(
            "/groups/{group_id}/timetable",
            get(group_timetable::show).post(group_timetable::add),
        )
        .route(
            "/groups/{group_id}/timetable/{slot_id}/end",
            post(group_timetable::end),
        )
        .route(
            "/groups/{group_id}/lessons",
            post(group_timetable::regenerate),
        )
        .route(
            "/groups/{group_id}/plan",
            get(plans::plan).post(plans::save),
        )
        .route(
            "/setup/control-works",
            get(plans::works).post(plans::add_work),
        )
        .route("/setup/control-works/{id}/delete", post(plans::delete_work))
        .route("/groups/{group_id}/plan/import", post(plans::import))
        .route("/pupils/{pupil_id}", get(classes::pupil))
        .route("/pupils/{pupil_id}/parents", post(classes::add_parent))
        .route(
            "/pupils/{pupil_id}/parents/{parent_id}/consent",
            post(classes::consent),
        )
        .route("/pupils/{pupil_id}/transfer", post(classes::transfer))
        .route("/pupils/{pupil_id}/withdraw", post(classes::withdraw))
        .route("/setup/readiness", get(readiness::show))
        .route("/setup/imports", get(imports::show))
        .route("/setup/imports/pupils", post(imports::pupils))
        .route("/setup/imports/staff", post(imports::staff))
        .route(
            "/classes/{class_id}/credentials",
            post(credentials::for_class),
        )
        .route("/admin/credentials", post(credentials::for_staff))
        .route("/credentials/pdf", post(credentials::pdf))
        .route("/setup/catalogues", get(setup_catalogues::show))
        .route("/setup/subjects", post(setup_catalogues::add_subject))
        .route(
            "/setup/subjects/{id}/delete",
            post(setup_catalogues::delete_subject),
        )
        .route("/setup/rooms", post(setup_catalogues::add_room))
        .route(
            "/setup/rooms/{id}/delete",
            post(setup_catalogues::delete_room),
        )
        .route("/setup/work-types", post(setup_catalogues::add_work_type))
        .route(
            "/setup/work-types/{id}/delete",
            post(setup_catalogues::delete_work_type),
        )
        .route(
            "/setup/work-types/{id}",
            post(setup_catalogues::change_work_type),
        )
        .route(
            "/setup/subjects/{id}/scale",
            post(setup_catalogues::set_grade_scale),
        )
        // The journal (regulations §3).
        .route("/journal", get(journal::list))
        .route("/journal/cells", post(journal::cell))
        .route("/journal/history", get(journal::history))
        .route("/journal/{group_id}", get(journal::show))
        .route(
            "/journal/{group_id}/period-marks",
            get(journal::period_marks).post(journal::save_period_marks),
        )
        .route(
            "/journal/{group_id}/corrections",
            post(journal::request_correction),
        )
        .route("/journal/{group_id}/external", post(journal::add_external))
        .route("/corrections", get(journal::corrections))
        .route("/corrections/{id}", post(journal::decide))
        .route(
            "/lessons/{lesson_id}",
            get(journal::lesson).post(journal::save_lesson),
        )
        .route("/lessons/{lesson_id}/cells", post(journal::save_cells))
        .route("/lessons/{lesson_id}/columns", post(journal::add_column))
        .route(
            "/lessons/{lesson_id}/columns/type",
            post(journal::set_column_type),
        )
        .route("/lessons/{lesson_id}/reasons", post(journal::save_reasons))
        .route("/classes/{class_id}/summary", get(journal::summary))
        .route(
            "/classes/{class_id}/report",
            get(class_teacher::class_report),
        )
        .route("/classes/{class_id}/gia", get(gia::show).post(gia::enter))
        // Journal control (deputy): substitutions, transfers, unlocks, remarks
        .route("/deputy/lessons", get(journal_control::lessons))
        .route("/deputy/absences", post(journal_control::register_absence))
        .route(
            "/control/outages",
            get(outage::outages).post(outage::register),
        )
        .route("/control/outages/{id}/delete", post(outage::remove))
        .route("/paper", get(outage::paper_page))
        .route(
            "/deputy/absences/{id}/delete",
            post(journal_control::remove_absence),
        )
        .route(
            "/deputy/lessons/{lesson_id}/substitute",
            post(journal_control::substitute),
        )
        .route(
            "/deputy/lessons/{lesson_id}/substitute/delete",
            post(journal_control::remove_substitute),
        )
        .route(
            "/deputy/lessons/{lesson_id}/move",
            post(journal_control::move_lesson),
        )
        .route(
            "/deputy/lessons/{lesson_id}/cancel",
            post(journal_control::cancel_lesson),
        )
        .route(
            "/deputy/lessons/{lesson_id}/restore",
            post(journal_control::restore_lesson),
        )
        .route("/journal/{group_id}/control", get(journal_control::show))
        .route(
            "/journal/{group_id}/unlocks",
            post(journal_control::add_unlock),
        )
        .route(
            "/journal/{group_id}/remarks",
            post(journal_control::add_remark),
        )
        .route(
            "/journal/{group_id}/remarks/{remark_id}/fix",
            post(journal_control::fix_remark),
        )
        .route("/remarks", get(journal_control::remarks))
        // The management's control (§5): the lists behind the start page's counts.
        .route("/control/{what}", get(control::list))
        .route("/reports", get(reports::index))
        .route("/reports/progress", get(reports::progress_page))
        .route(
            "/reports/progress.csv",
            get(reports::csv::<crate::reports::progress::Progress>),
        )
        .route(
            "/reports/progress.xlsx",
            get(reports::xlsx::<crate::reports::progress::Progress>),
        )
        .route("/reports/attendance", get(reports::attendance_page))
        .route(
            "/reports/attendance.csv",
            get(reports::csv::<crate::reports::attendance::Attendance>),
        )
        .route(
            "/reports/attendance.xlsx",
            get(reports::xlsx::<crate::reports::attendance::Attendance>),
        )
        .route("/reports/activity", get(report_activity::page))
        .route("/reports/activity.csv", get(report_activity::csv))
        .route("/reports/activity.xlsx", get(report_activity::xlsx))
        .route("/reports/catch-up", get(report_pupils::catch_up_page))
        .route(
            "/reports/catch-up.csv",
            get(reports::csv::<crate::reports::catch_up::CatchUp>),
        )
        .route(
            "/reports/catch-up.xlsx",
            get(reports::xlsx::<crate::reports::catch_up::CatchUp>),
        )
        .route(
            "/reports/homework-load",
            get(report_pupils::homework_load_page),
        )
        .route(
            "/reports/homework-load.csv",
            get(reports::csv::<crate::reports::homework_load::HomeworkLoad>),
        )
        .route(
            "/reports/homework-load.xlsx",
            get(reports::xlsx::<crate::reports::homework_load::HomeworkLoad>),
        )
        .route("/reports/programme", get(report_programme::programme_page))
        .route(
            "/reports/programme.csv",
            get(reports::csv::<crate::reports::programme::Programme>),
        )
        .route(
            "/reports/programme.xlsx",
            get(reports::xlsx::<crate::reports::programme::Programme>),
        )
        .route(
            "/reports/control-works",
            get(report_programme::control_works_page),
        )
        .route(
            "/reports/control-works.csv",
            get(reports::csv::<crate::reports::control_works::ControlWorks>),
        )
        .route(
            "/reports/control-works.xlsx",
            get(reports::xlsx::<crate::reports::control_works::ControlWorks>),
        )
        .route("/reports/timeliness", get(report_quality::timeliness_page))
        .route(
            "/reports/timeliness.csv",
            get(reports::csv::<crate::reports::timeliness::Timeliness>),
        )
        .route(
            "/reports/timeliness.xlsx",
            get(reports::xlsx::<crate::reports::timeliness::Timeliness>),
        )
        .route(
            "/reports/accumulation",
            get(report_quality::accumulation_page),
        )
        .route(
            "/reports/accumulation.csv",
            get(reports::csv::<crate::reports::accumulation::Accumulation>),
        )
        .route(
            "/reports/accumulation.xlsx",
            get(reports::xlsx::<crate::reports::accumulation::Accumulation>),
        )
        // The diary (regulations §4).
        .route("/diary", get(diary::week))
        .route("/diary/week", get(diary::week_body))
        .route("/diary/events", get(diary::events))
        .route("/diary/ack", post(diary::acknowledge))
        .route("/diary/marks", get(diary::marks))
        .route("/diary/info", get(diary::info))
        // E-mail (regulations §4)
        .route(
            "/parent/notifications",
            get(notifications::show).post(notifications::save),
        )
        .route("/admin/mail", get(notifications::outbox))
        // The school's regulation settings (§3, §4)
        .route(
            "/admin/settings",
            get(school_settings::show).post(school_settings::save),
        )
        // Internal messages (regulations §4)
        .route("/messages", get(messages::inbox))
        .route(
            "/messages/new",
            get(messages::new_form).post(messages::create),
        )
        .route(
            "/messages/{thread_id}",
            get(messages::show).post(messages::reply),
        )
        .route("/platform", get(platform::schools).post(platform::create))
        .route(
            "/platform/audit-chain",
            get(audit_page::platform_chain).post(audit_page::platform_verify_chain),
        )
        // Compromised credentials (000 §21, 004 §5.4)
        .route(
            "/compromised",
            get(compromised::own_form).post(compromised::declare_own),
        )
        .route(
            "/admin/users/{account_id}/compromised",
            get(compromised::other_form).post(compromised::declare_other),
        )
        .route("/compromised/declarations", get(compromised::list))
        .route("/compromised/declarations/{id}", get(compromised::changes))
        .route(
            "/compromised/declarations/{id}/revert",
            post(compromised::revert_all),
        )
        .route(
            "/compromised/declarations/{id}/events/{event_id}/revert",
            post(compromised::revert_one),
        )
        // The year's sealed archive (regulations §6)
        .route("/archive", get(archive::show).post(archive::start))
        .route("/archive/{id}/zip", get(archive::download))
        .fallback(errors::not_found)
        // Innermost: which server the request reads from (the primary unless a replica is set).
        .layer(reads::ReadsLayer {
            pools: state.pool.clone(),
            secure_cookies: state.config.secure_cookies,
        })
        .layer(middleware::from_fn(input_guard::refuse_control_chars))
        .layer(middleware::from_fn_with_state(
            state.config.secure_cookies,
            csrf::protect,
        ))
        // Inside the session layer: the session says which school the request works in.
        .layer(middleware::from_fn(school_scope))
        .layer(sessions)
        // Every page may show personal data (a diary, a pupil's card, a message, a one-time
        // password): a shared school computer must not keep it. /static is outside and cached.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    // HSTS only where the site is served over HTTPS (then cookies are Secure).
    let hsts = state.config.secure_cookies.then(|| {
        SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        )
    });

    Router::new()
        .merge(pages)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/static/{*file}", get(assets::serve))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(
                    |req: &axum::http::Request<axum::body::Body>| {
                        let id = req
                            .headers()
                            .get(REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        tracing::info_span!("request", id, method = %req.method(), path = %req.uri().path())
                    },
                ))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                // Pages go gzipped to browsers that accept it (the journal's grid: 226 KB →
                // about 9 KB on a school's slow line); the live diary's event stream (excluded by
                // the default predicate) and files that are compressed already go as they are.
                // The fastest level: the grid (221 KB) gzips to 13.9 KB in 0.62 ms of CPU, against
                // 10.6 KB in 1.40 ms at the default level 6 (zlib, measured on the demo's grid).
                // An answer that fits in one network packet goes as it is: the cell save's
                // fragment, the write made all day, gained no time from it and paid a compressor's
                // set-up on each (issue 16).
                .layer(
                    CompressionLayer::new()
                        .quality(tower_http::CompressionLevel::Fastest)
                        .compress_when(
                        SizeAbove::new(ONE_PACKET)
                            .and(NotForContentType::GRPC)
                            .and(NotForContentType::IMAGES)
                            .and(NotForContentType::SSE)
                            .and(NotForContentType::const_new("application/zip"))
                            .and(NotForContentType::const_new("application/pdf"))
                            .and(NotForContentType::const_new(
                                "application/vnd.openxmlformats",
                            )),
                    ),
                )
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_FRAME_OPTIONS,
                    HeaderValue::from_static("DENY"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("same-origin"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(
                        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
                    ),
                ))
                .option_layer(hsts)
                .layer(middleware::from_fn(errors::render_error_pages))
                .layer(CatchPanicLayer::new()),
        )
        .with_state(state)
}

/// Runs the request inside its school's database scope (the row-level security wall,
/// `db::scope`): the school of the session's membership, or no school's rows at all before one
/// is chosen (login, the choice of a school, the password page, the platform's page — which
/// names its own cross-school work). A session that cannot be read gets no school either.
async fn school_scope(
    session: tower_sessions::Session,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let membership = session
        .get::<(crate::tenancy::SchoolId, i64)>(crate::auth::keys::MEMBERSHIP)
        .await
        .ok()
        .flatten();
    touch(&session).await;
    let cached = cached_plans(request.method(), request.uri().path());
    let run = async move {
        match membership {
            Some((school, _)) => crate::db::scope::school(school, next.run(request)).await,
            None => crate::db::scope::nobody(next.run(request)).await,
        }
    };
    if cached {
        crate::db::scope::cached_plans(run).await
    } else {
        run.await
    }
}

/// Prolongs a signed-in session that is in use (its idle expiry, `Expiry::OnInactivity`): the
/// session is written back when something in it changed, so a page view marks it changed once
/// every `SESSION_TOUCH_MINUTES` — not on every request, which cost a write and a commit each.
async fn touch(session: &tower_sessions::Session) {
    use crate::auth::keys;
    if !matches!(session.get::<i64>(keys::ACCOUNT_ID).await, Ok(Some(_))) {
        return;
    }
    let minutes = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| (d.as_secs() / 60) as i64);
    let seen = session.get::<i64>(keys::SEEN).await.ok().flatten();
    if seen.is_none_or(|s| minutes - s >= crate::auth::SESSION_TOUCH_MINUTES) {
        let _ = session.insert(keys::SEEN, minutes).await;
    }
}

/// The pages read all day, whose statements take plain keys, use generic plans
/// (`db::scope::Planning::Cached`): the journal of a group, the lesson, the diary — read with GET
/// — and the cell save (POST `/journal/cells`, the write made all day), whose statements and
/// triggers take plain keys too: planned per call, two thirds of its PostgreSQL CPU was the
/// planner (`perf`), 13.2 → 3.1 ms a save on generic plans (`zhurnal bench --load-only --only
/// Запись`). (An earlier trial, when the audit row was written by an `INSERT … SELECT` joining
/// the lesson, cost 29 ms on generic plans; it is plain `VALUES` since migration
/// `audit_group_from_lesson_in_trigger`.) Also the teacher's and the class teacher's start pages
/// and the day's substitutions, opened every morning: their J11 facts come for the teacher's or the
/// class's journals only (a few dozen keys), and planning was half their PostgreSQL CPU — 10.4 →
/// 6.4, 16.3 → 9.1 and 6.8 → 4.4 ms a request all told (`zhurnal bench --load-only --only Главная`,
/// `--only Замены`, two runs each in turns). A parent's and a pupil's start pages are the
/// diary's week. The rest — the reports, the control start page (the
/// same J11 facts for every journal of the school: 110 → 500 ms on generic plans), the lists with
/// optional filters, the other writes — are planned for their values on every call.
fn cached_plans(method: &axum::http::Method, path: &str) -> bool {
    if method == axum::http::Method::POST {
        return path == "/journal/cells";
    }
    method == axum::http::Method::GET
        && (matches!(
            path,
            "/teacher" | "/class-teacher" | "/deputy/lessons" | "/parent" | "/pupil"
        ) || (path.starts_with("/journal/") && !path.ends_with("/control"))
            || path.starts_with("/lessons/")
            || path == "/diary"
            || path.starts_with("/diary/"))
}
