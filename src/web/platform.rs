//! The platform operator's page: the schools, a new school with its first administrator, and the
//! last backups of the whole database.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::extract::Viewer;
use super::layout::Layout;
use crate::accounts::service::Issued;
use crate::db;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::tenancy::repo::{self, SchoolLine};
use crate::tenancy::service::{self, NewSchool, RUSSIAN_TIME_ZONES};

#[derive(Template, WebTemplate)]
#[template(path = "platform.html")]
pub struct PlatformPage {
    layout: Layout,
    schools: Vec<SchoolLine>,
    form: NewSchool,
    errors: FieldErrors,
    zones: [&'static str; 11],
    issued: Option<Issued>,
    backups: Vec<BackupLine>,
    /// «Копия базы делается раз в 7 дней», or why not.
    backup_schedule: String,
}

/// One of the last backups, as the operator reads it.
pub struct BackupLine {
    made_at: String,
    size: String,
    intact: bool,
    copied: &'static str,
}

/// The last backups of the configured directory (`backup::list`), newest first.
async fn last_backups(state: &AppState) -> Vec<BackupLine> {
    let dir = state.config.backup_dir.clone();
    let listed = tokio::task::spawn_blocking(move || crate::backup::list(&dir, 10))
        .await
        .unwrap_or_default();
    listed
        .into_iter()
        .map(|l| BackupLine {
            made_at: l.info.made_at.format("%d.%m.%Y %H:%M UTC").to_string(),
            size: megabytes(l.info.size_bytes),
            intact: l.intact,
            copied: match &l.info.copy {
                None => "не настроена",
                Some(c) if c.verified => "проверена",
                Some(_) => "не удалась",
            },
        })
        .collect()
}

fn schedule_line(days: u32) -> String {
    match days {
        0 => "Копии по расписанию выключены (ZHURNAL_BACKUP_EVERY_DAYS=0).".into(),
        1 => "Копия базы делается каждый день.".into(),
        n => format!(
            "Копия базы делается раз в {n} {}.",
            crate::input::plural(n as usize, "день", "дня", "дней")
        ),
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} МБ", bytes as f64 / 1_048_576.0).replace('.', ",")
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    form: NewSchool,
    errors: FieldErrors,
    issued: Option<Issued>,
) -> AppResult<PlatformPage> {
    Ok(PlatformPage {
        layout: Layout::for_viewer(viewer, "Школы платформы").await?,
        schools: repo::list(&state.pool).await?,
        form,
        errors,
        zones: RUSSIAN_TIME_ZONES,
        issued,
        backups: last_backups(state).await,
        backup_schedule: schedule_line(state.config.backup_every_days),
    })
}

fn require_operator(viewer: &Viewer) -> AppResult<()> {
    if viewer.is_operator {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

pub async fn schools(State(state): State<AppState>, viewer: Viewer) -> AppResult<PlatformPage> {
    require_operator(&viewer)?;
    let form = NewSchool {
        time_zone: "Europe/Moscow".into(),
        ..NewSchool::default()
    };
    // Every school's rows: the platform operator's page lists the schools (checked above).
    db::scope::all_schools(page(&state, &viewer, form, FieldErrors::new(), None)).await
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<NewSchool>,
) -> AppResult<Response> {
    require_operator(&viewer)?;
    // Every school's rows: the operator creates a school (its rows carry the new school's id)
    // and sees the list of schools again (checked above).
    db::scope::all_schools(create_and_show(&state, &viewer, form)).await
}

async fn create_and_show(
    state: &AppState,
    viewer: &Viewer,
    form: NewSchool,
) -> AppResult<Response> {
    match service::create_school(&state.pool, &viewer.actor(None), &form).await {
        Ok(created) => {
            let fresh = NewSchool {
                time_zone: "Europe/Moscow".into(),
                ..NewSchool::default()
            };
            let page = page(
                state,
                viewer,
                fresh,
                FieldErrors::new(),
                Some(created.admin),
            )
            .await?;
            Ok(page.into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let page = page(state, viewer, form, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}
