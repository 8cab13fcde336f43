//! Importing pupils with parents, and staff, from CSV or XLSX files.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::credentials::issued_page;
use super::extract::Member;
use super::layout::Layout;
use crate::accounts::credentials::IssueReport;
use crate::clock::local_today;
use crate::error::{AppError, AppResult};
use crate::imports::service::{self, ImportReport, refusal_lines};
use crate::school_year::repo as years;

#[derive(Template, WebTemplate)]
#[template(path = "imports.html")]
pub struct ImportsPage {
    layout: Layout,
    year_id: i64,
    year_name: String,
    can_pupils: bool,
    can_staff: bool,
    report: Option<ImportReport>,
    errors: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: i64,
}

async fn page(
    state: &AppState,
    member: &Member,
    year_id: i64,
    report: Option<ImportReport>,
    errors: Vec<String>,
) -> AppResult<ImportsPage> {
    let (can_pupils, can_staff) = (
        member.access.can_manage_pupils(),
        member.access.can_manage_accounts(),
    );
    if !(can_pupils || can_staff) {
        return Err(AppError::Forbidden);
    }
    let mut conn = state.pool.acquire().await?;
    let year = years::year(&mut conn, member.school.id, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(ImportsPage {
        layout: Layout::for_member(member, "Загрузка списков").await?,
        year_id,
        year_name: year.name,
        can_pupils,
        can_staff,
        report,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<YearQuery>,
) -> AppResult<ImportsPage> {
    page(&state, &member, q.year, None, Vec::new()).await
}

/// The uploaded file of the form: (bytes, file name).
async fn upload(mut form: Multipart) -> Result<(Vec<u8>, String), String> {
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|_| "Файл не удалось получить: попробуйте ещё раз.".to_string())?;
            if bytes.is_empty() {
                break;
            }
            return Ok((bytes.to_vec(), name));
        }
    }
    Err("Выберите файл CSV или XLSX.".into())
}

pub async fn pupils(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<YearQuery>,
    form: Multipart,
) -> AppResult<Response> {
    let (bytes, name) = match upload(form).await {
        Ok(f) => f,
        Err(why) => {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&state, &member, q.year, None, vec![why]).await?,
            )
                .into_response());
        }
    };
    let today = local_today(state.clock.as_ref(), &member.school.time_zone);
    match service::import_pupils(
        &state.pool,
        &member.access,
        &member.actor(),
        q.year,
        today,
        (&bytes, &name),
    )
    .await
    {
        Ok(report) => Ok(page(&state, &member, q.year, Some(report), Vec::new())
            .await?
            .into_response()),
        Err(refusal) => {
            let lines = refusal_lines(&refusal)?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&state, &member, q.year, None, lines).await?,
            )
                .into_response())
        }
    }
}

pub async fn staff(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<YearQuery>,
    form: Multipart,
) -> AppResult<Response> {
    let (bytes, name) = match upload(form).await {
        Ok(f) => f,
        Err(why) => {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&state, &member, q.year, None, vec![why]).await?,
            )
                .into_response());
        }
    };
    match service::import_staff(
        &state.pool,
        &member.access,
        &member.actor(),
        (&bytes, &name),
    )
    .await
    {
        Ok(report) => {
            let heading = format!(
                "Сотрудники загружены: новых — {}, уже были — {}",
                report.created, report.skipped
            );
            let issued = IssueReport {
                slips: report.slips,
                refused_consent: Vec::new(),
            };
            Ok(issued_page(&member, heading, issued).await?.into_response())
        }
        Err(refusal) => {
            let lines = refusal_lines(&refusal)?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&state, &member, q.year, None, lines).await?,
            )
                .into_response())
        }
    }
}
