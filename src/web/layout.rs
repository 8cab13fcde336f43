//! What every page shows around its content: the person, the school, the role menu, a one-time
//! message, and the CSRF token for its forms.

use tower_sessions::Session;

use super::csrf;
use super::extract::{Member, Viewer};
use crate::auth::keys;
use crate::authz::menu::{self, MenuItem};
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::{AppError, AppResult};

pub struct Layout {
    pub title: String,
    pub csrf: String,
    pub user_name: Option<String>,
    pub role_label: Option<&'static str>,
    pub school_name: Option<String>,
    pub menu: &'static [MenuItem],
    /// The person has more than one place to work: show «Сменить роль».
    pub can_switch: bool,
    pub flash: Option<String>,
    /// Unread messages, shown beside «Сообщения» in the menu.
    pub unread_messages: i64,
}

impl Layout {
    /// For pages before login.
    pub async fn anonymous(session: &Session, title: &str) -> AppResult<Self> {
        Ok(Self {
            title: title.to_string(),
            csrf: csrf::token(session).await?,
            user_name: None,
            role_label: None,
            school_name: None,
            menu: &[],
            can_switch: false,
            flash: take_flash(session).await?,
            unread_messages: 0,
        })
    }

    /// For pages of a signed-in person outside a school (password, choosing a role, platform).
    pub async fn for_viewer(viewer: &Viewer, title: &str) -> AppResult<Self> {
        let mut layout = Self::anonymous(&viewer.session, title).await?;
        layout.user_name = Some(viewer.full_name.clone());
        layout.menu = if viewer.is_operator {
            menu::OPERATOR
        } else {
            &[]
        };
        layout.can_switch = viewer.membership_count > 0;
        Ok(layout)
    }

    /// What this layout shows of the person and their session — for the key of a page kept
    /// rendered (`web::page_cache`); none when it holds a one-time message (such a page is shown
    /// once and never kept).
    pub fn identity(&self) -> Option<String> {
        if self.flash.is_some() {
            return None;
        }
        Some(format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
            self.csrf,
            self.user_name.as_deref().unwrap_or(""),
            self.role_label.unwrap_or(""),
            self.school_name.as_deref().unwrap_or(""),
            self.can_switch,
            self.unread_messages
        ))
    }

    /// For pages of a member of a school.
    pub async fn for_member(member: &Member, title: &str) -> AppResult<Self> {
        let mut layout = Self::for_viewer(&member.viewer, title).await?;
        layout.role_label = Some(member.role.label());
        layout.school_name = Some(member.school.name.clone());
        layout.menu = menu::for_role(member.role);
        layout.can_switch = member.viewer.membership_count > 1 || member.viewer.is_operator;
        layout.unread_messages = member.unread_messages;
        Ok(layout)
    }
}

/// Leaves a one-time message for the next page (Post/Redirect/Get).
pub async fn flash(session: &Session, message: impl Into<String>) -> AppResult<()> {
    // A message may repeat what someone typed; a control character in it (a NUL) could not be
    // stored in the session (jsonb) and would turn the whole answer into an error.
    let message: String = message
        .into()
        .chars()
        .filter(|c| !crate::input::is_forbidden_char(*c))
        .collect();
    session.insert(keys::FLASH, message).await?;
    Ok(())
}

/// The message left by the last write, removed from the session. Only a session that holds one
/// is changed: removing marks a session changed, and a changed session is written back.
async fn take_flash(session: &Session) -> AppResult<Option<String>> {
    let flash = session.get::<String>(keys::FLASH).await?;
    if flash.is_some() {
        session.remove::<String>(keys::FLASH).await?;
    }
    Ok(flash)
}

/// After a write: its outcome — `done`, a rule's refusal, or what was wrong with the input — as
/// the next page's message, and a redirect to `to`. Other errors go up.
pub async fn flash_outcome(
    session: &Session,
    to: &str,
    result: AppResult<String>,
) -> AppResult<Response> {
    let message = match result {
        Ok(done) => done,
        Err(AppError::Refused(why)) => why,
        Err(AppError::Invalid(errors)) => errors.0.values().cloned().collect::<Vec<_>>().join(" "),
        Err(e) => return Err(e),
    };
    flash(session, message).await?;
    Ok(Redirect::to(to).into_response())
}
