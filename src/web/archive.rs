//! «Архив года» (`/archive`): the year's sealed archive (regulations §6) — the director starts
//! it, the director and the deputies follow its progress and download its ZIP.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower::ServiceExt;

use super::AppState;
use super::extract::Member;
use super::layout::{Layout, flash};
use crate::archive::{self, ArchiveRow};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::school_year::repo::{self as years, YearRow};

const TITLE: &str = "Архив года";

#[derive(Template, WebTemplate)]
#[template(path = "archive.html")]
pub struct ArchivePage {
    layout: Layout,
    years: Vec<YearRow>,
    archives: Vec<ArchiveRow>,
    may_make: bool,
    chosen: String,
    errors: FieldErrors,
    time_zone: String,
}

impl ArchivePage {
    fn running(&self) -> bool {
        self.archives.iter().any(ArchiveRow::running)
    }
}

async fn page(
    state: &AppState,
    member: &Member,
    chosen: String,
    errors: FieldErrors,
) -> AppResult<ArchivePage> {
    let archives = archive::list(&state.pool, &member.access).await?;
    let years = years::years(&*state.pool, member.school.id).await?;
    Ok(ArchivePage {
        layout: Layout::for_member(member, TITLE).await?,
        years,
        archives,
        may_make: archive::may_make(&member.access),
        chosen,
        errors,
        time_zone: member.school.time_zone.clone(),
    })
}

pub async fn show(State(state): State<AppState>, member: Member) -> AppResult<ArchivePage> {
    if !archive::may_view(&member.access) {
        return Err(AppError::Forbidden);
    }
    page(&state, &member, String::new(), FieldErrors::new()).await
}

#[derive(Debug, Default, Deserialize)]
pub struct StartForm {
    #[serde(default)]
    year_id: String,
}

pub async fn start(
    State(state): State<AppState>,
    member: Member,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    if !archive::may_make(&member.access) {
        return Err(AppError::Forbidden);
    }
    // Read only once the member may start an archive.
    let form: StartForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let Ok(year_id) = form.year_id.trim().parse::<i64>() else {
        return refused(
            &state,
            &member,
            form.year_id,
            "Выберите учебный год.".into(),
        )
        .await;
    };
    match archive::start(
        &state.pool,
        state.clock.clone(),
        &member.access,
        &member.actor(),
        year_id,
        archive::Storage {
            data_dir: state.config.data_dir.clone(),
            second_medium: state.config.backup_copy_dir.clone(),
        },
    )
    .await
    {
        Ok(_) => {
            flash(
                &member.viewer.session,
                "Архив создаётся. Страница покажет, когда он будет готов.",
            )
            .await?;
            Ok(Redirect::to("/archive").into_response())
        }
        Err(AppError::Refused(message)) => refused(&state, &member, form.year_id, message).await,
        Err(e) => Err(e),
    }
}

/// The page again with the refusal next to the year, the year still chosen.
async fn refused(
    state: &AppState,
    member: &Member,
    chosen: String,
    message: String,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    errors.add("year_id", message);
    let page = page(state, member, chosen, errors).await?;
    Ok((StatusCode::CONFLICT, page).into_response())
}

/// The archive as one ZIP, streamed from its file.
pub async fn download(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
    request: Request,
) -> AppResult<Response> {
    let row = archive::finished(&state.pool, &member.access, id).await?;
    let path = archive::zip_path(
        &state.config.data_dir,
        member.school.id,
        row.year_id,
        row.id,
    );
    if !path.exists() {
        return Err(AppError::NotFound);
    }
    let served = tower_http::services::ServeFile::new(path)
        .oneshot(request)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("архив не читается: {e}")))?;
    let mut response = served.map(axum::body::Body::new);
    let name = format!("archive-{}-{}.zip", row.year_name.replace('/', "-"), row.id);
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
            .map_err(|e| AppError::Internal(e.into()))?,
    );
    Ok(response)
}
