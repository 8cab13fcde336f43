//! A group's КТП, and the year's control-work schedule.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::AppState;
use super::extract::Member;
use super::layout::{Layout, flash};
use crate::curriculum::repo::{self as curriculum, GroupRow};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::imports::table::read_table;
use crate::plans::MAX_TOPICS;
use crate::plans::repo::{self, ControlWorkRow, TopicRow};
use crate::plans::service::{self, ControlWorkForm, PlanForm};

#[derive(Template, WebTemplate)]
#[template(path = "plan.html")]
pub struct PlanPage {
    layout: Layout,
    group: GroupRow,
    topics: Vec<TopicRow>,
    total: i32,
    lessons: usize,
    weekly: Option<i32>,
    can_edit: bool,
    form: PlanForm,
    errors: FieldErrors,
}

async fn plan_page(
    state: &AppState,
    member: &Member,
    group_id: i64,
    form: Option<PlanForm>,
    errors: FieldErrors,
) -> AppResult<PlanPage> {
    let mut conn = state.pool.acquire().await?;
    let group = curriculum::group(&mut conn, member.school.id, group_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let can_edit = service::may_edit_plan(
        &mut conn,
        &member.access,
        member.viewer.account_id,
        group_id,
    )
    .await?;
    if !(can_edit
        || member.access.can_view_year_setup()
        || member.access.can_view_class(group.class_id))
    {
        return Err(AppError::Forbidden);
    }
    let topics = repo::topics(&mut conn, member.school.id, group_id).await?;
    let lessons = repo::lessons(&mut conn, member.school.id, group_id)
        .await?
        .len();
    drop(conn);
    let weekly = match group.class_id {
        Some(c) => curriculum::lines(&state.pool, member.school.id, c)
            .await?
            .into_iter()
            .find(|l| l.subject_id == group.subject_id)
            .map(|l| l.hours),
        None => None,
    };
    let text = topics
        .iter()
        .map(|t| format!("{}; {}", t.title, t.hours))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(PlanPage {
        layout: Layout::for_member(member, &format!("КТП: {} — {}", group.subject, group.name))
            .await?,
        total: topics.iter().map(|t| i32::from(t.hours)).sum(),
        form: form.unwrap_or(PlanForm { topics: text }),
        group,
        topics,
        lessons,
        weekly,
        can_edit,
        errors,
    })
}

pub async fn plan(
    State(state): State<AppState>,
    member: Member,
    Path(group_id): Path<i64>,
) -> AppResult<PlanPage> {
    plan_page(&state, &member, group_id, None, FieldErrors::new()).await
}

pub async fn save(
    State(state): State<AppState>,
    member: Member,
    Path(group_id): Path<i64>,
    Form(form): Form<PlanForm>,
) -> AppResult<Response> {
    match service::save_plan(
        &state.pool,
        &member.access,
        &member.actor(),
        group_id,
        &form,
    )
    .await
    {
        Ok((topics, lessons)) => {
            flash(
                &member.viewer.session,
                format!("КТП сохранено: тем — {topics}; темы разложены по урокам ({lessons})."),
            )
            .await?;
            Ok(Redirect::to(&format!("/groups/{group_id}/plan")).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let page = plan_page(&state, &member, group_id, Some(form), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "control_works.html")]
pub struct ControlWorksPage {
    layout: Layout,
    year_id: i64,
    works: Vec<ControlWorkRow>,
    groups: Vec<(i64, String)>,
    can_edit: bool,
    form: ControlWorkForm,
    errors: FieldErrors,
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

async fn works_page(
    state: &AppState,
    member: &Member,
    year_id: i64,
    form: ControlWorkForm,
    errors: FieldErrors,
) -> AppResult<ControlWorksPage> {
    if !member.access.can_view_year_setup() {
        return Err(AppError::Forbidden);
    }
    let mut conn = state.pool.acquire().await?;
    crate::school_year::repo::year(&mut conn, member.school.id, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    Ok(ControlWorksPage {
        layout: Layout::for_member(member, "График контрольных работ").await?,
        year_id,
        works: repo::control_works(&state.pool, member.school.id, year_id).await?,
        groups: repo::year_groups_all(&state.pool, member.school.id, year_id).await?,
        can_edit: member.access.can_setup_year(),
        form,
        errors,
    })
}

pub async fn works(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<MaybeYear>,
) -> AppResult<ControlWorksPage> {
    let year = super::setup_year::year_or_current(&state, &member, q.year).await?;
    let form = ControlWorkForm {
        form: "контрольная работа".into(),
        ..ControlWorkForm::default()
    };
    works_page(&state, &member, year, form, FieldErrors::new()).await
}

pub async fn add_work(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<YearQuery>,
    Form(form): Form<ControlWorkForm>,
) -> AppResult<Response> {
    match service::add_control_work(&state.pool, &member.access, &member.actor(), q.year, &form)
        .await
    {
        Ok(_) => {
            flash(
                &member.viewer.session,
                "Контрольная работа добавлена в график.",
            )
            .await?;
            Ok(Redirect::to(&format!("/setup/control-works?year={}", q.year)).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let page = works_page(&state, &member, q.year, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

pub async fn delete_work(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
    Query(q): Query<YearQuery>,
) -> AppResult<Response> {
    service::delete_control_work(&state.pool, &member.access, &member.actor(), id).await?;
    flash(
        &member.viewer.session,
        "Контрольная работа удалена из графика.",
    )
    .await?;
    Ok(Redirect::to(&format!("/setup/control-works?year={}", q.year)).into_response())
}

/// The КТП from an uploaded CSV or XLSX table, saved as if typed. Who may write the plan is
/// checked before the upload is read.
pub async fn import(
    State(state): State<AppState>,
    member: Member,
    Path(group_id): Path<i64>,
    upload: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    service::check_plan_editor(
        &state.pool,
        &member.access,
        member.viewer.account_id,
        group_id,
    )
    .await?;
    let parsed = match super::imports::upload(upload).await {
        Err(why) => Err(why),
        Ok((bytes, name)) => read_table(&bytes, &name, MAX_TOPICS)
            .map_err(|e| e.message())
            .and_then(|rows| crate::plans::plan_text_from_table(&rows)),
    };
    let errors = match parsed {
        Ok(topics) => match service::save_plan(
            &state.pool,
            &member.access,
            &member.actor(),
            group_id,
            &PlanForm { topics },
        )
        .await
        {
            Ok((topics, lessons)) => {
                flash(
                    &member.viewer.session,
                    format!("КТП загружено: тем — {topics}; темы разложены по урокам ({lessons})."),
                )
                .await?;
                return Ok(Redirect::to(&format!("/groups/{group_id}/plan")).into_response());
            }
            Err(AppError::Invalid(errors)) => errors,
            Err(e) => return Err(e),
        },
        Err(why) => {
            let mut errors = FieldErrors::new();
            errors.add("topics", why);
            errors
        }
    };
    // The page keeps the plan as it was: nothing of the file was saved.
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        plan_page(&state, &member, group_id, None, errors).await?,
    )
        .into_response())
}
