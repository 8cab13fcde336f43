//! Breaks in the system's work (001 §6): the deputy's page of breaks (`/control/outages`) and the
//! blank journal pages of a day to print in advance (`/paper`). The rules of entering from paper
//! are in `journal::outage` and `rules::journal::may_write`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::AppState;
use super::extract::Member;
use super::journal::{author, today};
use super::layout::{Layout, flash};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::journal::outage::{self, OutageForm, OutageRow};
use crate::journal::paper::{self, PaperLesson};
use crate::pupils::repo::{self as pupils, StaffOption};
use crate::school_year::calendar::parse_date;

#[derive(Template, WebTemplate)]
#[template(path = "outages.html")]
pub struct OutagesPage {
    layout: Layout,
    outages: Vec<OutageRow>,
    form: OutageForm,
    errors: FieldErrors,
    lock_days: i64,
}

async fn outages_page(
    state: &AppState,
    member: &Member,
    form: OutageForm,
    errors: FieldErrors,
) -> AppResult<OutagesPage> {
    let school = member.school.id;
    let lock_days = crate::tenancy::settings::current(&state.pool, school)
        .await?
        .entry_lock_days;
    Ok(OutagesPage {
        layout: Layout::for_member(member, "Перерывы в работе системы").await?,
        outages: outage::recent(
            &state.pool,
            school,
            &member.school.time_zone,
            state.clock.now(),
        )
        .await?,
        form,
        errors,
        lock_days: i64::from(lock_days),
    })
}

/// The breaks of the last weeks and the form to register one (a deputy, the director).
pub async fn outages(State(state): State<AppState>, member: Member) -> AppResult<OutagesPage> {
    if !outage::may_register(&member.access) {
        return Err(AppError::Forbidden);
    }
    outages_page(&state, &member, OutageForm::default(), FieldErrors::new()).await
}

/// Registers a break: back to the page, or the page again with the form as typed and a message
/// next to each bad field (422).
pub async fn register(
    State(state): State<AppState>,
    member: Member,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    if !outage::may_register(&member.access) {
        return Err(AppError::Forbidden);
    }
    // Read only once the member may register breaks.
    let form: OutageForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let actor = member.actor();
    let written = outage::register(
        &state.pool,
        &author(&state, &member, &actor),
        &member.school.time_zone,
        &form,
    )
    .await;
    match written {
        Ok(_) => {
            flash(
                &member.viewer.session,
                "Перерыв в работе системы зарегистрирован: записи об уроках этого времени вносятся с бумажного журнала.",
            )
            .await?;
            Ok(Redirect::to("/control/outages").into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let page = outages_page(&state, &member, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// Removes a break registered by mistake; another school's: 404.
pub async fn remove(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    if !outage::may_register(&member.access) {
        return Err(AppError::Forbidden);
    }
    let actor = member.actor();
    outage::remove(&state.pool, &author(&state, &member, &actor), id).await?;
    flash(&member.viewer.session, "Перерыв удалён.").await?;
    Ok(Redirect::to("/control/outages").into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct PaperQuery {
    #[serde(default)]
    date: String,
    #[serde(default)]
    teacher: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "paper.html")]
pub struct PaperPage {
    layout: Layout,
    school: String,
    date_text: String,
    date_iso: String,
    /// The teachers to choose from (a deputy, the director); empty for a teacher.
    teachers: Vec<StaffOption>,
    teacher: String,
    lessons: Vec<PaperLesson>,
    most: i64,
    error: Option<String>,
}

/// The blank journal pages of a day (default: the next day) to print: a teacher's own lessons,
/// or for a deputy and the director a chosen teacher's or the whole school's.
pub async fn paper_page(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<PaperQuery>,
) -> AppResult<PaperPage> {
    let asked = q.teacher.trim().parse::<i64>().ok();
    let Some(whose) = paper::whose(&member.access, member.viewer.account_id, asked) else {
        return Err(AppError::Forbidden);
    };
    let school = member.school.id;
    let mut error = None;
    let date = if q.date.trim().is_empty() {
        today(&state, &member) + chrono::Duration::days(1)
    } else {
        parse_date(&q.date).unwrap_or_else(|| {
            error = Some("Укажите дату в виде ДД.ММ.ГГГГ, например 01.12.2026.".to_string());
            today(&state, &member)
        })
    };
    let manages = outage::may_register(&member.access);
    let teachers = if manages {
        pupils::teachers(&state.pool, school).await?
    } else {
        Vec::new()
    };
    // Another school's teacher (or anyone not a teacher here) is not in the list: no lessons.
    let lessons = if error.is_some()
        || whose.is_some_and(|t| manages && !teachers.iter().any(|s| s.account_id == t))
    {
        if error.is_none() {
            error = Some("Выберите учителя из списка.".into());
        }
        Vec::new()
    } else {
        paper::day(&state.pool, school, date, whose).await?
    };
    Ok(PaperPage {
        layout: Layout::for_member(&member, "Бланки журнала").await?,
        school: member.school.name.clone(),
        date_text: date.format("%d.%m.%Y").to_string(),
        date_iso: date.format("%Y-%m-%d").to_string(),
        teachers,
        teacher: asked.map(|t| t.to_string()).unwrap_or_default(),
        lessons,
        most: paper::MOST_LESSONS,
        error,
    })
}
