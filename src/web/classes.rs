//! Classes of a year, a class with its pupils and parents, a pupil's card with movement.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::AppState;
use super::extract::Member;
use super::layout::{Layout, flash, flash_outcome};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::pupils::repo::{self, ClassLine, MovementLine, ParentLine, PupilCard, StaffOption};
use crate::pupils::service::{self, ClassForm, ConsentForm, MoveForm, ParentForm, PupilForm};
use crate::school_year::repo::{self as years, YearRow};

#[derive(Template, WebTemplate)]
#[template(path = "classes.html")]
pub struct ClassesPage {
    layout: Layout,
    years: Vec<YearRow>,
    year_id: Option<i64>,
    classes: Vec<ClassLine>,
    can_edit: bool,
    form: ClassForm,
    errors: FieldErrors,
}

#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: Option<i64>,
}

async fn classes_page(
    state: &AppState,
    member: &Member,
    year: Option<i64>,
    form: ClassForm,
    errors: FieldErrors,
) -> AppResult<ClassesPage> {
    if !(member.access.can_manage_pupils() || member.access.can_view_year_setup()) {
        return Err(AppError::Forbidden);
    }
    let years = years::years(&*state.pool, member.school.id).await?;
    let year_id = match year {
        Some(y) if years.iter().any(|x| x.id == y) => Some(y),
        Some(_) => return Err(AppError::NotFound),
        None => {
            let mut conn = state.pool.acquire().await?;
            years::current_year(&mut conn, member.school.id, state.clock.now().date_naive()).await?
        }
    };
    let classes = match year_id {
        Some(y) => repo::classes(&state.pool, member.school.id, y).await?,
        None => Vec::new(),
    };
    Ok(ClassesPage {
        layout: Layout::for_member(member, "Классы").await?,
        years,
        year_id,
        classes,
        can_edit: member.access.can_manage_pupils(),
        form,
        errors,
    })
}

pub async fn list(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<YearQuery>,
) -> AppResult<ClassesPage> {
    let form = ClassForm {
        shift: "1".into(),
        ..ClassForm::default()
    };
    classes_page(&state, &member, q.year, form, FieldErrors::new()).await
}

pub async fn add(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<YearQuery>,
    Form(form): Form<ClassForm>,
) -> AppResult<Response> {
    let year = q.year.ok_or(AppError::NotFound)?;
    match service::add_class(&state.pool, &member.access, &member.actor(), year, &form).await {
        Ok(id) => {
            flash(&member.viewer.session, "Класс открыт.").await?;
            Ok(Redirect::to(&format!("/classes/{id}")).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let page = classes_page(&state, &member, Some(year), form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "class.html")]
pub struct ClassPage {
    layout: Layout,
    class: ClassLine,
    pupils: Vec<PupilCard>,
    parents: Vec<ParentLine>,
    teachers: Vec<StaffOption>,
    can_edit: bool,
    can_issue: bool,
    form: PupilForm,
    errors: FieldErrors,
}

impl ClassPage {
    fn parents_of(&self, pupil_id: &i64) -> Vec<&ParentLine> {
        self.parents
            .iter()
            .filter(|p| p.pupil_id == *pupil_id)
            .collect()
    }
}

async fn class_page(
    state: &AppState,
    member: &Member,
    class_id: i64,
    form: PupilForm,
    errors: FieldErrors,
) -> AppResult<ClassPage> {
    let mut conn = state.pool.acquire().await?;
    let class = repo::class(&mut conn, member.school.id, class_id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    if !member.access.can_view_class(Some(class_id)) {
        return Err(AppError::Forbidden);
    }
    let can_edit = member.access.can_manage_pupils();
    Ok(ClassPage {
        layout: Layout::for_member(member, &format!("Класс {}", class.name())).await?,
        pupils: repo::class_pupils(&*state.pool, member.school.id, class_id).await?,
        parents: repo::class_parents(&*state.pool, member.school.id, class_id).await?,
        teachers: if can_edit {
            repo::teachers(&state.pool, member.school.id).await?
        } else {
            Vec::new()
        },
        class,
        can_edit,
        can_issue: member.access.can_keep_family_data(Some(class_id)),
        form,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    member: Member,
    Path(class_id): Path<i64>,
) -> AppResult<ClassPage> {
    let today = state
        .clock
        .now()
        .date_naive()
        .format("%d.%m.%Y")
        .to_string();
    let form = PupilForm {
        since: today,
        ..PupilForm::default()
    };
    class_page(&state, &member, class_id, form, FieldErrors::new()).await
}

pub async fn enrol(
    State(state): State<AppState>,
    member: Member,
    Path(class_id): Path<i64>,
    Form(form): Form<PupilForm>,
) -> AppResult<Response> {
    match service::enrol(
        &state.pool,
        state.clock.as_ref(),
        &member.access,
        &member.actor(),
        class_id,
        &form,
    )
    .await
    {
        Ok(id) => {
            flash(&member.viewer.session, "Обучающийся зачислен.").await?;
            Ok(Redirect::to(&format!("/pupils/{id}")).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let page = class_page(&state, &member, class_id, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct TeacherForm {
    #[serde(default)]
    teacher: String,
}

pub async fn set_teacher(
    State(state): State<AppState>,
    member: Member,
    Path(class_id): Path<i64>,
    Form(form): Form<TeacherForm>,
) -> AppResult<Response> {
    let result = service::set_class_teacher(
        &state.pool,
        state.clock.as_ref(),
        &member.access,
        &member.actor(),
        class_id,
        &form.teacher,
    )
    .await;
    let done = result.map(|()| "Классный руководитель назначен.".to_string());
    flash_outcome(
        &member.viewer.session,
        &format!("/classes/{class_id}"),
        done,
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "pupil.html")]
pub struct PupilPage {
    layout: Layout,
    pupil: PupilCard,
    parents: Vec<ParentLine>,
    movements: Vec<MovementLine>,
    classes: Vec<ClassLine>,
    can_move: bool,
    can_keep: bool,
    parent: ParentForm,
    moving: MoveForm,
    errors: FieldErrors,
}

impl PupilPage {
    fn kind_label(&self, kind: &str) -> &'static str {
        match kind {
            "enrolment" => "зачисление",
            "transfer" => "перевод",
            "withdrawal" => "выбытие",
            "promotion" => "перевод в следующий класс",
            _ => "",
        }
    }
}

async fn pupil_page(
    state: &AppState,
    member: &Member,
    pupil_id: i64,
    forms: (ParentForm, MoveForm),
    errors: FieldErrors,
) -> AppResult<PupilPage> {
    let mut conn = state.pool.acquire().await?;
    let pupil = repo::pupil(&mut conn, member.school.id, pupil_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let access = member.access;
    if !(access.can_view_class(pupil.class_id) || access.can_manage_pupils()) {
        return Err(AppError::Forbidden);
    }
    let parents = repo::pupil_parents(&mut conn, member.school.id, pupil_id).await?;
    let movements = repo::movements(&mut conn, member.school.id, pupil_id).await?;
    let year = match pupil.class_id {
        Some(c) => repo::class_year(&mut conn, member.school.id, c).await?,
        None => None,
    };
    drop(conn);
    let classes = match (year, access.can_manage_pupils()) {
        (Some(y), true) => repo::classes(&state.pool, member.school.id, y).await?,
        _ => Vec::new(),
    };
    Ok(PupilPage {
        layout: Layout::for_member(member, &pupil.full_name()).await?,
        can_move: access.can_manage_pupils() && pupil.class_id.is_some(),
        can_keep: access.can_keep_family_data(pupil.class_id),
        pupil,
        parents,
        movements,
        classes,
        parent: forms.0,
        moving: forms.1,
        errors,
    })
}

fn blank_forms(state: &AppState) -> (ParentForm, MoveForm) {
    let today = state
        .clock
        .now()
        .date_naive()
        .format("%d.%m.%Y")
        .to_string();
    (
        ParentForm::default(),
        MoveForm {
            on: today,
            ..MoveForm::default()
        },
    )
}

pub async fn pupil(
    State(state): State<AppState>,
    member: Member,
    Path(pupil_id): Path<i64>,
) -> AppResult<PupilPage> {
    let forms = blank_forms(&state);
    pupil_page(&state, &member, pupil_id, forms, FieldErrors::new()).await
}

/// Back to the pupil's card, or the card again with the errors and what was typed.
async fn on_pupil(
    state: &AppState,
    member: &Member,
    pupil_id: i64,
    result: AppResult<()>,
    message: &str,
    forms: (ParentForm, MoveForm),
) -> AppResult<Response> {
    match result {
        Err(AppError::Invalid(errors)) => {
            let page = pupil_page(state, member, pupil_id, forms, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        other => {
            let to = format!("/pupils/{pupil_id}");
            flash_outcome(
                &member.viewer.session,
                &to,
                other.map(|()| message.to_string()),
            )
            .await
        }
    }
}

pub async fn add_parent(
    State(state): State<AppState>,
    member: Member,
    Path(pupil_id): Path<i64>,
    Form(form): Form<ParentForm>,
) -> AppResult<Response> {
    let result = service::add_parent(
        &state.pool,
        &member.access,
        &member.actor(),
        pupil_id,
        &form,
    )
    .await
    .map(drop);
    let forms = (form, blank_forms(&state).1);
    on_pupil(
        &state,
        &member,
        pupil_id,
        result,
        "Родитель добавлен.",
        forms,
    )
    .await
}

pub async fn consent(
    State(state): State<AppState>,
    member: Member,
    Path((pupil_id, parent_id)): Path<(i64, i64)>,
    Form(form): Form<ConsentForm>,
) -> AppResult<Response> {
    let result = service::record_consent(
        &state.pool,
        &member.access,
        &member.actor(),
        pupil_id,
        parent_id,
        &form,
    )
    .await;
    on_pupil(
        &state,
        &member,
        pupil_id,
        result,
        "Согласие отмечено.",
        blank_forms(&state),
    )
    .await
}

pub async fn transfer(
    State(state): State<AppState>,
    member: Member,
    Path(pupil_id): Path<i64>,
    Form(form): Form<MoveForm>,
) -> AppResult<Response> {
    let result = service::transfer(
        &state.pool,
        &member.access,
        &member.actor(),
        pupil_id,
        &form,
    )
    .await;
    let forms = (ParentForm::default(), form);
    on_pupil(
        &state,
        &member,
        pupil_id,
        result,
        "Обучающийся переведён.",
        forms,
    )
    .await
}

pub async fn withdraw(
    State(state): State<AppState>,
    member: Member,
    Path(pupil_id): Path<i64>,
    Form(form): Form<MoveForm>,
) -> AppResult<Response> {
    let result = service::withdraw(
        &state.pool,
        state.clock.as_ref(),
        &member.access,
        &member.actor(),
        pupil_id,
        &form,
    )
    .await;
    let forms = (ParentForm::default(), form);
    on_pupil(
        &state,
        &member,
        pupil_id,
        result,
        "Выбытие оформлено.",
        forms,
    )
    .await
}
