//! `/reports/activity` (+ `.csv`, `.xlsx`): the monthly user activity report and the teachers'
//! time sheet (regulations §5). The director, the deputies and the administrator (who analyses
//! the keeping of the journals weekly); everyone else 403, before anything is read.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::AppState;
use super::extract::Member;
use super::journal::today;
use super::layout::Layout;
use super::reports::{file, pct};
use crate::authz::Role;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::reports::activity::{self, Activity};

/// The director, the deputies and the administrator.
pub(super) fn may_see(member: &Member) -> bool {
    matches!(
        member.role,
        Role::Director | Role::Deputy | Role::Administrator
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct MonthQuery {
    #[serde(default)]
    month: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/activity.html")]
pub struct ActivityPage {
    layout: Layout,
    /// As typed (to refill the form), or the month shown.
    month: String,
    errors: FieldErrors,
    report: Option<Activity>,
    /// The months of the last year up to the current one, newest first: (value, words).
    recent: Vec<(String, String)>,
    /// The viewer opens journals (not the administrator): teachers link to their journals.
    journals: bool,
}

impl ActivityPage {
    fn pct(&self, v: Option<i64>) -> String {
        pct(v)
    }

    fn month_words(&self) -> String {
        self.report
            .as_ref()
            .map(|r| activity::month_words(r.first))
            .unwrap_or_default()
    }

    fn query(&self) -> String {
        self.report
            .as_ref()
            .map(|r| format!("month={}", r.first.format("%Y-%m")))
            .unwrap_or_default()
    }
}

async fn read(
    state: &AppState,
    member: &Member,
    q: &MonthQuery,
) -> AppResult<(Result<Activity, FieldErrors>, chrono::NaiveDate)> {
    if !may_see(member) {
        return Err(AppError::Forbidden);
    }
    let today = today(state, member);
    let first = match activity::parse_month(&q.month, today) {
        Ok(first) => first,
        Err(errors) => return Ok((Err(errors), today)),
    };
    // The diary views counted so far (`diary::visits`) are part of what this page shows (a
    // write: on the primary).
    state.visits.flush(state.pool.primary()).await?;
    let report = activity::report(
        &state.pool,
        member.school.id,
        first,
        &member.school.time_zone,
    )
    .await?;
    Ok((Ok(report), today))
}

pub async fn page(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<MonthQuery>,
) -> AppResult<ActivityPage> {
    let (result, today) = read(&state, &member, &q).await?;
    let current = activity::parse_month("", today).expect("the current month");
    let recent = (0..12)
        .filter_map(|back| current.checked_sub_months(chrono::Months::new(back)))
        .map(|m| (m.format("%Y-%m").to_string(), activity::month_words(m)))
        .collect();
    let (month, errors, report) = match result {
        Ok(r) => (
            r.first.format("%Y-%m").to_string(),
            FieldErrors::new(),
            Some(r),
        ),
        Err(errors) => (q.month.trim().to_string(), errors, None),
    };
    Ok(ActivityPage {
        layout: Layout::for_member(&member, "Активность пользователей").await?,
        month,
        errors,
        report,
        recent,
        journals: member.access.can_read_every_journal(),
    })
}

async fn download(
    state: AppState,
    member: Member,
    q: MonthQuery,
    xlsx: bool,
) -> AppResult<Response> {
    let (result, _) = read(&state, &member, &q).await?;
    let report = result.map_err(AppError::Invalid)?;
    let title = format!(
        "Активность пользователей: {}",
        activity::month_words(report.first)
    );
    file(&report.table(&title), xlsx)
}

pub async fn csv(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<MonthQuery>,
) -> AppResult<Response> {
    download(state, member, q, false).await
}

pub async fn xlsx(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<MonthQuery>,
) -> AppResult<Response> {
    download(state, member, q, true).await
}
