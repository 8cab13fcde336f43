//! A class's curriculum and groups with their teachers; a group's pupils; streams and electives.

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
use crate::catalogues::repo::{self as catalogues, SubjectRow};
use crate::curriculum::repo::{self, AssignmentRow, GroupRow, LineRow, MemberRow};
use crate::curriculum::service::{self, AssignForm, LineForm, SplitForm, YearGroupForm};
use crate::curriculum::{GROUP_KINDS, kind_label};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::input;
use crate::pupils::repo::{self as pupils, ClassLine, StaffOption};
use crate::rules::load::{self, Line, hours_text};

/// A write's outcome as a message on the page it came from; wrong input too.
async fn back(member: &Member, to: &str, result: AppResult<()>, done: &str) -> AppResult<Response> {
    flash_outcome(
        &member.viewer.session,
        to,
        result.map(|()| done.to_string()),
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "curriculum.html")]
pub struct CurriculumPage {
    layout: Layout,
    class: ClassLine,
    lines: Vec<LineRow>,
    groups: Vec<GroupRow>,
    assignments: Vec<AssignmentRow>,
    problems: Vec<String>,
    subjects: Vec<SubjectRow>,
    teachers: Vec<StaffOption>,
    can_edit: bool,
    form: LineForm,
    errors: FieldErrors,
}

impl CurriculumPage {
    fn groups_of(&self, subject_id: &i64) -> Vec<&GroupRow> {
        self.groups
            .iter()
            .filter(|g| g.subject_id == *subject_id)
            .collect()
    }

    fn teacher_of(&self, group_id: &i64) -> String {
        self.assignments
            .iter()
            .filter(|a| a.group_id == *group_id)
            .map(|a| format!("{} ({})", a.teacher, hours_text(a.hours)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn hours(&self, tenths: &i32) -> String {
        hours_text(*tenths)
    }
}

async fn curriculum_page(
    state: &AppState,
    member: &Member,
    class_id: i64,
    form: LineForm,
    errors: FieldErrors,
) -> AppResult<CurriculumPage> {
    let mut conn = state.pool.acquire().await?;
    let class = pupils::class(&mut conn, member.school.id, class_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !(member.access.can_view_year_setup() || member.access.can_view_class(Some(class_id))) {
        return Err(AppError::Forbidden);
    }
    let school = member.school.id;
    let can_edit = member.access.can_setup_year();
    let subjects = if can_edit {
        catalogues::subjects(&mut conn, school).await?
    } else {
        Vec::new()
    };
    // No second connection is asked for while one is held (a full pool would wait on itself).
    drop(conn);
    let lines = repo::lines(&state.pool, school, class_id).await?;
    let groups = repo::class_groups(&*state.pool, school, class_id).await?;
    let assignments = repo::class_assignments(&state.pool, school, class_id).await?;
    let checked: Vec<Line> = lines
        .iter()
        .map(|l| Line {
            subject: &l.subject,
            hours: l.hours,
            groups: groups
                .iter()
                .filter(|g| g.subject_id == l.subject_id)
                .map(|g| {
                    (
                        g.name.as_str(),
                        assignments
                            .iter()
                            .find(|a| a.group_id == g.id)
                            .map(|a| a.hours),
                    )
                })
                .collect(),
        })
        .collect();
    let problems = load::check(&checked);
    Ok(CurriculumPage {
        layout: Layout::for_member(member, &format!("Учебный план {}", class.name())).await?,
        subjects,
        teachers: if can_edit {
            pupils::teachers(&state.pool, school).await?
        } else {
            Vec::new()
        },
        class,
        lines,
        groups,
        assignments,
        problems,
        can_edit,
        form,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    member: Member,
    Path(class_id): Path<i64>,
) -> AppResult<CurriculumPage> {
    curriculum_page(
        &state,
        &member,
        class_id,
        LineForm::default(),
        FieldErrors::new(),
    )
    .await
}

pub async fn add_line(
    State(state): State<AppState>,
    member: Member,
    Path(class_id): Path<i64>,
    Form(form): Form<LineForm>,
) -> AppResult<Response> {
    match service::add_line(
        &state.pool,
        &member.access,
        &member.actor(),
        class_id,
        &form,
    )
    .await
    {
        Err(AppError::Invalid(errors)) => {
            let page = curriculum_page(&state, &member, class_id, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        result => {
            back(
                &member,
                &format!("/classes/{class_id}/curriculum"),
                result,
                "Предмет добавлен в учебный план.",
            )
            .await
        }
    }
}

pub async fn split(
    State(state): State<AppState>,
    member: Member,
    Path(class_id): Path<i64>,
    Form(form): Form<SplitForm>,
) -> AppResult<Response> {
    let result = service::split(
        &state.pool,
        &member.access,
        &member.actor(),
        class_id,
        &form,
    )
    .await;
    back(
        &member,
        &format!("/classes/{class_id}/curriculum"),
        result,
        "Класс разделён на подгруппы.",
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct BackTo {
    #[serde(default)]
    back: String,
}

pub async fn assign(
    State(state): State<AppState>,
    member: Member,
    Path(group_id): Path<i64>,
    Query(q): Query<BackTo>,
    Form(form): Form<AssignForm>,
) -> AppResult<Response> {
    let result = service::assign(
        &state.pool,
        &member.access,
        &member.actor(),
        group_id,
        &form,
    )
    .await;
    // Only our own pages are gone back to.
    let fallback = format!("/groups/{group_id}");
    let to = match input::local_path(Some(&q.back), &fallback) {
        to if to.starts_with("/classes/") => to,
        _ => &fallback,
    };
    back(&member, to, result, "Учитель назначен.").await
}

#[derive(Template, WebTemplate)]
#[template(path = "group.html")]
pub struct GroupPage {
    layout: Layout,
    group: GroupRow,
    teachers: Vec<AssignmentRow>,
    members: Vec<MemberRow>,
    on: String,
    can_edit: bool,
}

impl GroupPage {
    fn kind(&self) -> &'static str {
        kind_label(&self.group.kind)
    }
}

#[derive(Debug, Deserialize)]
pub struct OnQuery {
    on: Option<String>,
}

pub async fn group(
    State(state): State<AppState>,
    member: Member,
    Path(group_id): Path<i64>,
    Query(q): Query<OnQuery>,
) -> AppResult<GroupPage> {
    let mut conn = state.pool.acquire().await?;
    let group = repo::group(&mut conn, member.school.id, group_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let teachers = repo::group_assignments(&mut conn, member.school.id, group_id).await?;
    let can_edit =
        service::may_edit_members(&mut conn, &member.access, member.viewer.account_id, &group)
            .await?;
    if !(can_edit
        || member.access.can_view_year_setup()
        || member.access.can_view_class(group.class_id))
    {
        return Err(AppError::Forbidden);
    }
    let today = state.clock.now().date_naive();
    let on =
        q.on.as_deref()
            .and_then(crate::school_year::calendar::parse_date)
            .unwrap_or(today);
    let members = repo::members(&mut conn, member.school.id, &group, on).await?;
    drop(conn);
    Ok(GroupPage {
        layout: Layout::for_member(&member, &format!("{}: {}", group.subject, group.name)).await?,
        members,
        on: on.format("%d.%m.%Y").to_string(),
        can_edit: can_edit && group.kind != "whole_class",
        group,
        teachers,
    })
}

pub async fn set_members(
    State(state): State<AppState>,
    member: Member,
    Path(group_id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let result = service::set_members(
        &state.pool,
        &member.access,
        &member.actor(),
        group_id,
        &fields,
    )
    .await;
    back(
        &member,
        &format!("/groups/{group_id}"),
        result,
        "Состав группы сохранён.",
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "groups.html")]
pub struct GroupsPage {
    layout: Layout,
    year_id: i64,
    groups: Vec<GroupRow>,
    subjects: Vec<SubjectRow>,
    kinds: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    form: YearGroupForm,
    errors: FieldErrors,
}

impl GroupsPage {
    fn kind(&self, kind: &str) -> &'static str {
        kind_label(kind)
    }
}

#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: i64,
}

/// `?year=`, optional on the pages: without it, the current year.
#[derive(Debug, Deserialize)]
pub struct MaybeYear {
    year: Option<i64>,
}

async fn groups_page(
    state: &AppState,
    member: &Member,
    year_id: i64,
    form: YearGroupForm,
    errors: FieldErrors,
) -> AppResult<GroupsPage> {
    if !member.access.can_view_year_setup() {
        return Err(AppError::Forbidden);
    }
    let mut conn = state.pool.acquire().await?;
    crate::school_year::repo::year(&mut conn, member.school.id, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let subjects = catalogues::subjects(&mut conn, member.school.id).await?;
    drop(conn);
    Ok(GroupsPage {
        layout: Layout::for_member(member, "Потоки, элективы, ИУП").await?,
        year_id,
        groups: repo::year_groups(&state.pool, member.school.id, year_id).await?,
        subjects,
        kinds: GROUP_KINDS[2..].to_vec(),
        can_edit: member.access.can_setup_year(),
        form,
        errors,
    })
}

pub async fn groups(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<MaybeYear>,
) -> AppResult<GroupsPage> {
    let year = super::setup_year::year_or_current(&state, &member, q.year).await?;
    groups_page(
        &state,
        &member,
        year,
        YearGroupForm {
            kind: "elective".into(),
            ..YearGroupForm::default()
        },
        FieldErrors::new(),
    )
    .await
}

pub async fn add_group(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<YearQuery>,
    Form(form): Form<YearGroupForm>,
) -> AppResult<Response> {
    match service::add_year_group(&state.pool, &member.access, &member.actor(), q.year, &form).await
    {
        Ok(id) => {
            flash(
                &member.viewer.session,
                "Группа создана. Отметьте её состав.",
            )
            .await?;
            Ok(Redirect::to(&format!("/groups/{id}")).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let page = groups_page(&state, &member, q.year, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}
