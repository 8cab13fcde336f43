//! «Настройки школы» (`/admin/settings`): the school's regulation settings, for the administrator
//! and the director.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::extract::Member;
use super::layout::{Layout, flash};
use crate::archive::seal::PublicKey;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::mail::WEEKDAYS;
use crate::tenancy::settings::{self, SettingsForm};

pub struct WeekdayOption {
    /// ISO number as the form sends it: «1» … «7».
    pub value: String,
    pub name: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "school_settings.html")]
pub struct SettingsPage {
    layout: Layout,
    form: SettingsForm,
    weekdays: Vec<WeekdayOption>,
    /// J6: who has the last word on a period-mark correction (value, words).
    agreements: &'static [(&'static str, &'static str)],
    errors: FieldErrors,
    /// The public key the year's archives are signed with (§6), to print and keep on paper.
    archive_key: Result<PublicKey, String>,
}

/// The school's archive key, made on first use (`archive::school_key`); the reason in words if
/// this server cannot use it.
async fn archive_key(state: &AppState, member: &Member) -> Result<PublicKey, String> {
    match crate::archive::school_key(&state.pool, &state.config.data_dir, member.school.id).await {
        Ok(key) => Ok(PublicKey::of(&key.verifying_key())),
        Err(AppError::Refused(message)) => Err(message),
        Err(e) => {
            tracing::error!(error = %e, "the school's archive key is unavailable");
            Err("Ключ подписи недоступен: проверьте каталог данных сервера.".into())
        }
    }
}

fn page(
    layout: Layout,
    form: SettingsForm,
    errors: FieldErrors,
    archive_key: Result<PublicKey, String>,
) -> SettingsPage {
    SettingsPage {
        archive_key,
        layout,
        form,
        weekdays: WEEKDAYS
            .iter()
            .zip(1..)
            .map(|(name, n)| WeekdayOption {
                value: n.to_string(),
                name,
            })
            .collect(),
        agreements: &settings::CORRECTION_AGREEMENT,
        errors,
    }
}

const TITLE: &str = "Настройки школы";

pub async fn show(State(state): State<AppState>, member: Member) -> AppResult<SettingsPage> {
    let stored = settings::get(&state.pool, &member.access).await?;
    Ok(page(
        Layout::for_member(&member, TITLE).await?,
        SettingsForm::of(&stored),
        FieldErrors::new(),
        archive_key(&state, &member).await,
    ))
}

pub async fn save(
    State(state): State<AppState>,
    member: Member,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    if !member.access.can_change_school_settings() {
        return Err(AppError::Forbidden);
    }
    // Read only once the member may change the settings.
    let form: SettingsForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    match settings::save(&state.pool, &member.access, &member.actor(), &form).await {
        Ok(changed) => {
            let done = if changed {
                "Настройки сохранены."
            } else {
                "Изменений нет: настройки те же."
            };
            flash(&member.viewer.session, done).await?;
            Ok(Redirect::to("/admin/settings").into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let layout = Layout::for_member(&member, TITLE).await?;
            let key = archive_key(&state, &member).await;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(layout, form, errors, key),
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}
