//! The school's catalogues: subjects, rooms, work types.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::extract::Member;
use super::layout::{Layout, flash, flash_outcome};
use crate::catalogues::repo::{self, Catalogue, RoomRow, SubjectRow, WorkTypeRow};
use crate::catalogues::service::{
    self, GradeScaleForm, RoomForm, SubjectForm, WorkTypeChange, WorkTypeForm,
};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::rules::grading::Scale;

#[derive(Template, WebTemplate)]
#[template(path = "setup_catalogues.html")]
pub struct CataloguesPage {
    layout: Layout,
    can_edit: bool,
    subjects: Vec<SubjectRow>,
    rooms: Vec<RoomRow>,
    work_types: Vec<WorkTypeRow>,
    grade_scales: Vec<(i64, i16, String)>,
    scales: [Scale; 3],
    subject: SubjectForm,
    room: RoomForm,
    work_type: WorkTypeForm,
    errors: FieldErrors,
}

impl CataloguesPage {
    fn scale_label(&self, scale: &str) -> &'static str {
        Scale::parse(scale).map(Scale::label).unwrap_or("")
    }

    /// «в 4 кл. — зачёт/незачёт» for the subject's grades graded otherwise.
    fn overrides(&self, subject_id: &i64) -> String {
        self.grade_scales
            .iter()
            .filter(|(s, _, _)| s == subject_id)
            .map(|(_, g, scale)| format!("в {g} кл. — {}", self.scale_label(scale)))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What was typed in the forms (kept when one is refused).
#[derive(Default)]
pub struct Typed {
    subject: SubjectForm,
    room: RoomForm,
    work_type: WorkTypeForm,
}

async fn page(
    state: &AppState,
    member: &Member,
    typed: Typed,
    errors: FieldErrors,
) -> AppResult<CataloguesPage> {
    if !member.access.can_view_year_setup() {
        return Err(AppError::Forbidden);
    }
    let mut conn = state.pool.acquire().await?;
    let school = member.school.id;
    Ok(CataloguesPage {
        layout: Layout::for_member(member, "Справочники").await?,
        can_edit: member.access.can_setup_year(),
        subjects: repo::subjects(&mut conn, school).await?,
        rooms: repo::rooms(&mut conn, school).await?,
        work_types: repo::work_types(&mut conn, school).await?,
        grade_scales: repo::grade_scales(&mut conn, school).await?,
        scales: Scale::ALL,
        subject: typed.subject,
        room: typed.room,
        work_type: typed.work_type,
        errors,
    })
}

fn blank() -> Typed {
    Typed {
        subject: SubjectForm {
            component: "federal".into(),
            scale: "five_point".into(),
            ..SubjectForm::default()
        },
        work_type: WorkTypeForm {
            weight: "1".into(),
            checking_days: "0".into(),
            ..WorkTypeForm::default()
        },
        ..Typed::default()
    }
}

pub async fn show(State(state): State<AppState>, member: Member) -> AppResult<CataloguesPage> {
    page(&state, &member, blank(), FieldErrors::new()).await
}

async fn outcome(
    state: &AppState,
    member: &Member,
    result: AppResult<()>,
    done: &str,
    typed: Typed,
) -> AppResult<Response> {
    match result {
        Ok(()) => {
            flash(&member.viewer.session, done).await?;
            Ok(Redirect::to("/setup/catalogues").into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let page = page(state, member, typed, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AppError::Refused(why)) => {
            flash(&member.viewer.session, why).await?;
            Ok(Redirect::to("/setup/catalogues").into_response())
        }
        Err(e) => Err(e),
    }
}

pub async fn add_subject(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<SubjectForm>,
) -> AppResult<Response> {
    let result = service::add_subject(&state.pool, &member.access, &member.actor(), &form).await;
    let typed = Typed {
        subject: form,
        ..blank()
    };
    outcome(
        &state,
        &member,
        result.map(drop),
        "Предмет добавлен.",
        typed,
    )
    .await
}

pub async fn add_room(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<RoomForm>,
) -> AppResult<Response> {
    let result = service::add_room(&state.pool, &member.access, &member.actor(), &form).await;
    let typed = Typed {
        room: form,
        ..blank()
    };
    outcome(
        &state,
        &member,
        result.map(drop),
        "Кабинет добавлен.",
        typed,
    )
    .await
}

pub async fn add_work_type(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<WorkTypeForm>,
) -> AppResult<Response> {
    let result = service::add_work_type(&state.pool, &member.access, &member.actor(), &form).await;
    let typed = Typed {
        work_type: form,
        ..blank()
    };
    outcome(
        &state,
        &member,
        result.map(drop),
        "Вид работы добавлен.",
        typed,
    )
    .await
}

async fn delete(
    state: AppState,
    member: Member,
    catalogue: Catalogue,
    id: i64,
) -> AppResult<Response> {
    let result = service::delete(&state.pool, &member.access, &member.actor(), catalogue, id).await;
    outcome(&state, &member, result, "Удалено.", blank()).await
}

pub async fn delete_subject(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    delete(state, member, Catalogue::Subject, id).await
}

pub async fn delete_room(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    delete(state, member, Catalogue::Room, id).await
}

pub async fn delete_work_type(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    delete(state, member, Catalogue::WorkType, id).await
}

pub async fn change_work_type(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
    Form(form): Form<WorkTypeChange>,
) -> AppResult<Response> {
    let result =
        service::change_work_type(&state.pool, &member.access, &member.actor(), id, &form).await;
    flash_outcome(
        &member.viewer.session,
        "/setup/catalogues",
        result.map(|()| "Вид работы изменён.".to_string()),
    )
    .await
}

pub async fn set_grade_scale(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
    Form(form): Form<GradeScaleForm>,
) -> AppResult<Response> {
    let result =
        service::set_grade_scale(&state.pool, &member.access, &member.actor(), id, &form).await;
    flash_outcome(
        &member.viewer.session,
        "/setup/catalogues",
        result.map(|()| "Система оценивания по параллели сохранена.".to_string()),
    )
    .await
}
