//! E-mail to parents (regulations §4): the parent's choice at `/parent/notifications`, and the
//! administrator's read-only list of the outbox at `/admin/mail`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::AppState;
use super::extract::Member;
use super::layout::{Layout, flash};
use crate::authz::Role;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::mail::service::{self, OutboxLine};
use crate::mail::{NotifyMode, repo::ParentChoice};

pub struct ModeOption {
    pub code: &'static str,
    pub label: &'static str,
    /// When a digest comes at the school's digest time: «каждый день после 18:00».
    pub when: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    layout: Layout,
    records: Vec<ParentChoice>,
    /// Why nothing is sent whatever is chosen, if so.
    blocked: Option<&'static str>,
    modes: Vec<ModeOption>,
    selected: String,
    errors: FieldErrors,
}

impl NotificationsPage {
    fn emails(&self) -> String {
        let list: Vec<&str> = self
            .records
            .iter()
            .filter_map(|r| r.email.as_deref())
            .collect();
        list.join(", ")
    }
}

async fn page(
    state: &AppState,
    member: &Member,
    selected: Option<String>,
    errors: FieldErrors,
) -> AppResult<NotificationsPage> {
    member.require(&[Role::Parent])?;
    let records = service::choices(&state.pool, member.school.id, member.viewer.account_id).await?;
    let at = service::digest_time(&state.pool, member.school.id).await?;
    // Mail goes only if every record of the person allows it (one person, one answer).
    let blocked = records.iter().find_map(service::blocked);
    let selected = selected.unwrap_or_else(|| {
        records
            .first()
            .map(|r| r.notify_mode.clone())
            .unwrap_or_else(|| "none".into())
    });
    Ok(NotificationsPage {
        layout: Layout::for_member(member, "Уведомления по электронной почте").await?,
        records,
        blocked,
        modes: NotifyMode::ALL
            .into_iter()
            .map(|m| ModeOption {
                code: m.code(),
                label: m.label(),
                when: m.when(at),
            })
            .collect(),
        selected,
        errors,
    })
}

pub async fn show(State(state): State<AppState>, member: Member) -> AppResult<NotificationsPage> {
    page(&state, &member, None, FieldErrors::new()).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ModeForm {
    #[serde(default)]
    mode: String,
}

pub async fn save(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<ModeForm>,
) -> AppResult<Response> {
    member.require(&[Role::Parent])?;
    let result = service::set_mode(
        &state.pool,
        member.school.id,
        member.viewer.account_id,
        &member.actor(),
        &form.mode,
        state.clock.now(),
    )
    .await;
    let (status, errors) = match result {
        Ok(mode) => {
            flash(
                &member.viewer.session,
                format!("Сохранено: {}.", mode.label()),
            )
            .await?;
            return Ok(Redirect::to("/parent/notifications").into_response());
        }
        Err(AppError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(AppError::Refused(why)) => {
            let mut errors = FieldErrors::new();
            errors.add("mode", why);
            (StatusCode::CONFLICT, errors)
        }
        Err(e) => return Err(e),
    };
    let page = page(&state, &member, Some(form.mode), errors).await?;
    Ok((status, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "mail_outbox.html")]
pub struct OutboxPage {
    layout: Layout,
    lines: Vec<OutboxLine>,
    time_zone: String,
    smtp_configured: bool,
}

impl OutboxPage {
    fn local(&self, at: &DateTime<Utc>) -> String {
        let tz: chrono_tz::Tz = self.time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
        at.with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string()
    }
}

pub async fn outbox(State(state): State<AppState>, member: Member) -> AppResult<OutboxPage> {
    member.require(&[Role::Administrator, Role::Director])?;
    Ok(OutboxPage {
        layout: Layout::for_member(&member, "Почта родителям").await?,
        lines: service::recent(&state.pool, member.school.id).await?,
        time_zone: member.school.time_zone.clone(),
        smtp_configured: state.config.smtp_url.is_some(),
    })
}
