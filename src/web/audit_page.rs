//! The school's audit trail, newest first, filtered by person, pupil, journal, kind of change and
//! time range (GET parameters, so a filtered view can be bookmarked), 100 lines a page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};

use super::AppState;
use super::extract::{Member, Viewer};
use super::layout::Layout;
use crate::audit::{self, AuditLine, Choices, RawFilter};
use crate::error::{AppError, AppResult, FieldErrors};

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditPage {
    layout: Layout,
    lines: Vec<AuditLine>,
    /// The link to the next (older) page, when there is one.
    next: Option<String>,
    raw: RawFilter,
    choices: Choices,
    errors: FieldErrors,
    tz: String,
    access: crate::authz::Access,
}

impl AuditPage {
    /// Whether the line's values (before, after, reason) are shown: the administrator keeps the
    /// page but sees no marks, absences or other journal data (docs/ACCESS.md).
    fn shows_values(&self, line: &AuditLine) -> bool {
        self.access.can_see_audit_values(&line.action)
    }

    fn kinds(&self) -> &'static [(&'static str, &'static str)] {
        audit::labels::ACTIONS
    }

    fn kind_chosen(&self, code: &str) -> bool {
        self.raw.kind.trim() == code
    }

    fn chosen(&self, value: &str, id: &i64) -> bool {
        value.trim() == id.to_string()
    }
}

pub async fn list(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<AuditPage> {
    if !member.access.can_read_audit() {
        return Err(AppError::Forbidden);
    }
    let choices = audit::choices(&state.pool, member.school.id).await?;
    let (filter, errors) = audit::parse_filter(&raw, &choices, &member.school.time_zone);
    // A bad filter shows its message and no lines rather than a wider list than was asked for;
    // a bad page link alone just starts from the newest.
    let narrowing_error = errors.0.keys().any(|k| *k != "older");
    let (lines, next) = if narrowing_error {
        (Vec::new(), None)
    } else {
        let page = audit::search(&state.pool, member.school.id, &filter).await?;
        let next = match (page.more, page.lines.last()) {
            (true, Some(last)) => Some(format!("/audit?{}", raw.next_page(last.id))),
            _ => None,
        };
        (page.lines, next)
    };
    Ok(AuditPage {
        layout: Layout::for_member(&member, "Журнал изменений").await?,
        lines,
        next,
        raw,
        choices,
        errors,
        tz: member.school.time_zone.clone(),
        access: member.access,
    })
}

/// «Целостность журнала аудита»: the director runs the verification of the school's hash chain
/// and sees the verdict (regulations §7, issue 14 item 1).
#[derive(Template, WebTemplate)]
#[template(path = "audit_chain.html")]
pub struct ChainPage {
    layout: Layout,
    verdict: Option<audit::chain::Verdict>,
    tz: String,
}

impl ChainPage {
    fn when(&self, b: &audit::chain::Break) -> String {
        b.at.map(|at| audit::chain::local_time(at, &self.tz))
            .unwrap_or_else(|| "—".to_string())
    }

    fn author(&self, b: &audit::chain::Break) -> String {
        match (b.event_id, &b.author) {
            (None, _) => "—".to_string(),
            (Some(_), Some(a)) => a.clone(),
            (Some(_), None) => "система".to_string(),
        }
    }

    fn what(&self, b: &audit::chain::Break) -> String {
        b.describe(&self.tz)
    }
}

const CHAIN_TITLE: &str = "Целостность журнала аудита";

pub async fn chain(member: Member) -> AppResult<ChainPage> {
    if !member.access.can_verify_audit_chain() {
        return Err(AppError::Forbidden);
    }
    Ok(ChainPage {
        layout: Layout::for_member(&member, CHAIN_TITLE).await?,
        verdict: None,
        tz: member.school.time_zone.clone(),
    })
}

/// The form carries only the CSRF token (checked by the middleware); nothing else is read.
pub async fn verify_chain(State(state): State<AppState>, member: Member) -> AppResult<ChainPage> {
    if !member.access.can_verify_audit_chain() {
        return Err(AppError::Forbidden);
    }
    let verdict = audit::chain::verify(&state.pool, member.school.id).await?;
    Ok(ChainPage {
        layout: Layout::for_member(&member, CHAIN_TITLE).await?,
        verdict: Some(verdict),
        tz: member.school.time_zone.clone(),
    })
}

/// The platform operator's «Целостность журналов аудита»: every school's chain at once (the
/// same lines as `zhurnal audit verify`).
#[derive(Template, WebTemplate)]
#[template(path = "platform_audit_chain.html")]
pub struct PlatformChainPage {
    layout: Layout,
    /// `None` before the button is pressed.
    lines: Option<Vec<audit::chain::SchoolLine>>,
}

const PLATFORM_CHAIN_TITLE: &str = "Целостность журналов аудита";

pub async fn platform_chain(viewer: Viewer) -> AppResult<PlatformChainPage> {
    if !viewer.is_operator {
        return Err(AppError::Forbidden);
    }
    Ok(PlatformChainPage {
        layout: Layout::for_viewer(&viewer, PLATFORM_CHAIN_TITLE).await?,
        lines: None,
    })
}

pub async fn platform_verify_chain(
    State(state): State<AppState>,
    viewer: Viewer,
) -> AppResult<PlatformChainPage> {
    if !viewer.is_operator {
        return Err(AppError::Forbidden);
    }
    // Every school's rows: the operator verifies every school's chain (checked above).
    let lines = crate::db::scope::all_schools(audit::chain::verify_schools(&state.pool, None))
        .await?
        .unwrap_or_default();
    Ok(PlatformChainPage {
        layout: Layout::for_viewer(&viewer, PLATFORM_CHAIN_TITLE).await?,
        lines: Some(lines),
    })
}
