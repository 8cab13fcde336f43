//! The start page of each role.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use chrono::Datelike;

use super::AppState;
use super::control::ControlHome;
use super::extract::Member;
use super::layout::Layout;
use crate::audit::{self, AuditLine};
use crate::authz::Role;
use crate::error::AppResult;
use crate::journal::control::{RemarkRow, open_remarks_for_teacher};
use crate::journal::today::{self, AccumulationAlert, TodayLesson};
use crate::tenancy::repo::{self as schools, Overview};

/// Today's date in the school's time zone, in words: «понедельник, 23 ноября 2026 г.».
pub(super) fn today_in_words(state: &AppState, time_zone: &str) -> String {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    let today = state.clock.now().with_timezone(&tz).date_naive();
    const MONTHS: [&str; 12] = [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ];
    format!(
        "{}, {} {} {} г.",
        crate::mail::WEEKDAYS[today.weekday().num_days_from_monday() as usize],
        today.day(),
        MONTHS[today.month0() as usize],
        today.year()
    )
}

/// The administrator's start page (the director's and the deputies' is `web::control`'s).
#[derive(Template, WebTemplate)]
#[template(path = "home_management.html")]
pub struct ManagementHome {
    layout: Layout,
    today: String,
    overview: Overview,
    can_manage_accounts: bool,
    /// The latest changes, each with whether its values may be shown to this person (the
    /// administrator sees who changed a mark, not the mark: docs/ACCESS.md).
    recent: Vec<(AuditLine, bool)>,
}

async fn management(state: &AppState, member: &Member, role: Role) -> AppResult<ManagementHome> {
    member.require(&[role])?;
    let overview = schools::overview(
        &state.pool,
        member.school.id,
        super::journal::today(state, member),
    )
    .await?;
    let recent = if member.access.can_read_audit() {
        audit::latest(&state.pool, member.school.id, 5)
            .await?
            .into_iter()
            .map(|line| {
                let shown = member.access.can_see_audit_values(&line.action);
                (line, shown)
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(ManagementHome {
        layout: Layout::for_member(member, role.label()).await?,
        today: today_in_words(state, &member.school.time_zone),
        overview,
        can_manage_accounts: member.access.can_manage_accounts(),
        recent,
    })
}

/// The director's start page: what needs attention (`web::control`).
pub async fn director(State(state): State<AppState>, member: Member) -> AppResult<ControlHome> {
    super::control::home(&state, &member, Role::Director).await
}

/// A deputy's start page: what needs attention (`web::control`).
pub async fn deputy(State(state): State<AppState>, member: Member) -> AppResult<ControlHome> {
    super::control::home(&state, &member, Role::Deputy).await
}

pub async fn administrator(
    State(state): State<AppState>,
    member: Member,
) -> AppResult<ManagementHome> {
    management(&state, &member, Role::Administrator).await
}

/// What a teacher's day holds, on the teacher's start page and the class teacher's (one person,
/// one start page with both hats): today's lessons (own and substituted), the open remarks on
/// their journals, and their journals where pupils lack marks (J11).
pub struct TeacherDay {
    pub lessons: Vec<TodayLesson>,
    pub alerts: Vec<AccumulationAlert>,
    pub remarks: Vec<RemarkRow>,
    pub day: chrono::NaiveDate,
}

impl TeacherDay {
    /// The member's own lessons, remarks and alerts (by their account: whatever their role, a
    /// person teaches the groups they are the teacher of).
    pub(super) async fn of(state: &AppState, member: &Member) -> AppResult<Self> {
        let day = crate::clock::local_today(state.clock.as_ref(), &member.school.time_zone);
        let (school, account) = (member.school.id, member.viewer.account_id);
        Ok(TeacherDay {
            lessons: today::lessons(&state.pool, school, account, day).await?,
            alerts: today::accumulation_alerts(&state.pool, school, account, day).await?,
            remarks: open_remarks_for_teacher(&state.pool, school, account).await?,
            day,
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "home_teacher.html")]
pub struct TeacherHome {
    layout: Layout,
    today: String,
    teacher: TeacherDay,
}

pub async fn teacher(State(state): State<AppState>, member: Member) -> AppResult<TeacherHome> {
    member.require(&[Role::Teacher])?;
    Ok(TeacherHome {
        layout: Layout::for_member(&member, "Учитель").await?,
        today: today_in_words(&state, &member.school.time_zone),
        teacher: TeacherDay::of(&state, &member).await?,
    })
}
