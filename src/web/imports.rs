//! Importing pupils with parents, and staff, from CSV or XLSX files.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::multipart::{MultipartError, MultipartRejection};
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
use crate::imports::table::{ImportError, MAX_UPLOAD_BYTES};
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

/// `?year=`, optional on the page: without it, the current year.
#[derive(Debug, Deserialize)]
pub struct MaybeYear {
    year: Option<i64>,
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
    Query(q): Query<MaybeYear>,
) -> AppResult<ImportsPage> {
    let year = super::setup_year::year_or_current(&state, &member, q.year).await?;
    page(&state, &member, year, None, Vec::new()).await
}

/// The uploaded file of the form: (bytes, file name), read chunk by chunk and refused past
/// `MAX_UPLOAD_BYTES`. The route's body limit (axum's 2 MiB default for `Multipart`) stops a
/// longer body; either way the answer is the same Russian message. Call it only after the
/// permission is checked.
pub(super) async fn upload(
    form: Result<Multipart, MultipartRejection>,
) -> Result<(Vec<u8>, String), String> {
    let none = || "Выберите файл CSV или XLSX.".to_string();
    let failed = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ImportError::TooLarge.message()
        } else {
            "Файл не удалось получить: попробуйте ещё раз.".to_string()
        }
    };
    let Ok(mut form) = form else {
        return Err(none());
    };
    loop {
        let Some(mut field) = form.next_field().await.map_err(failed)? else {
            return Err(none());
        };
        if field.name() != Some("file") {
            continue;
        }
        // The name goes into the audit record: printable, at most 200 characters.
        let name: String = field
            .file_name()
            .unwrap_or("")
            .chars()
            .filter(|c| !crate::input::is_forbidden_char(*c))
            .take(200)
            .collect();
        let mut bytes: Vec<u8> = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(failed)? {
            if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                drop(field);
                // The rest of the body (at most the route's limit) is read and dropped, so that
                // the browser gets the answer rather than a broken connection.
                while let Ok(Some(_)) = form.next_field().await {}
                return Err(ImportError::TooLarge.message());
            }
            bytes.extend_from_slice(&chunk);
        }
        if bytes.is_empty() {
            return Err(none());
        }
        return Ok((bytes, name));
    }
}

/// The refusal page of an upload: the form with the messages, 422.
async fn refused(
    state: &AppState,
    member: &Member,
    year_id: i64,
    lines: Vec<String>,
) -> AppResult<Response> {
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        page(state, member, year_id, None, lines).await?,
    )
        .into_response())
}

/// Before a byte of the upload is read: the year is the school's (else 404) and the person
/// may import (else 403).
async fn check(state: &AppState, member: &Member, year_id: i64, may: bool) -> AppResult<()> {
    if !may {
        return Err(AppError::Forbidden);
    }
    let mut conn = state.pool.acquire().await?;
    years::year(&mut conn, member.school.id, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(())
}

pub async fn pupils(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<YearQuery>,
    form: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    check(&state, &member, q.year, member.access.can_manage_pupils()).await?;
    let (bytes, name) = match upload(form).await {
        Ok(f) => f,
        Err(why) => return refused(&state, &member, q.year, vec![why]).await,
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
        Err(refusal) => refused(&state, &member, q.year, refusal_lines(refusal)?).await,
    }
}

pub async fn staff(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<YearQuery>,
    form: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    check(&state, &member, q.year, member.access.can_manage_accounts()).await?;
    let (bytes, name) = match upload(form).await {
        Ok(f) => f,
        Err(why) => return refused(&state, &member, q.year, vec![why]).await,
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
        Err(refusal) => refused(&state, &member, q.year, refusal_lines(refusal)?).await,
    }
}
