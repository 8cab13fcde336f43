//! The school's audit trail, newest first.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use super::AppState;
use super::extract::Member;
use super::layout::Layout;
use crate::audit::{self, AuditLine};
use crate::error::{AppError, AppResult};

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditPage {
    layout: Layout,
    lines: Vec<AuditLine>,
    tz: String,
    access: crate::authz::Access,
}

impl AuditPage {
    /// Whether the line's values (before, after, reason) are shown: the administrator keeps the
    /// page but sees no marks, absences or other journal data (docs/ACCESS.md).
    fn shows_values(&self, line: &AuditLine) -> bool {
        self.access.can_see_audit_values(&line.action)
    }
}

pub async fn list(State(state): State<AppState>, member: Member) -> AppResult<AuditPage> {
    if !member.access.can_read_audit() {
        return Err(AppError::Forbidden);
    }
    Ok(AuditPage {
        layout: Layout::for_member(&member, "Журнал изменений").await?,
        lines: audit::latest(&state.pool, member.school.id, 200).await?,
        tz: member.school.time_zone.clone(),
        access: member.access,
    })
}
