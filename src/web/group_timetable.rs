//! The weekly timetable of a group without a class (a stream, an elective, an individual plan):
//! its lines, adding one, ending one from a date, and its generated lessons. A class's groups
//! are placed from the class's timetable page, so their address redirects there.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::extract::Member;
use super::layout::{Layout, flash};
use crate::catalogues::repo::{self as catalogues, RoomRow};
use crate::clock::local_today;
use crate::curriculum::kind_label;
use crate::curriculum::repo::{self as curriculum, AssignmentRow, GroupRow};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::rules::load::hours_text;
use crate::timetable::WEEKDAYS;
use crate::timetable::repo::{self, Scope, SlotRow};
use crate::timetable::service::{self, EndForm, SlotForm};

#[derive(Template, WebTemplate)]
#[template(path = "group_timetable.html")]
pub struct GroupTimetablePage {
    layout: Layout,
    group: GroupRow,
    teachers: Vec<AssignmentRow>,
    days: Vec<(i16, &'static str)>,
    slots: Vec<SlotRow>,
    rooms: Vec<RoomRow>,
    hours: Option<String>,
    lessons: i64,
    today: String,
    can_edit: bool,
    form: SlotForm,
    errors: FieldErrors,
}

impl GroupTimetablePage {
    fn kind(&self) -> &'static str {
        kind_label(&self.group.kind)
    }

    fn day(&self, weekday: &i16) -> &'static str {
        WEEKDAYS[(*weekday - 1) as usize]
    }
}

/// The page, or where to go instead: the class's timetable for a class's group.
enum Shown {
    Page(Box<GroupTimetablePage>),
    ClassTimetable(i64),
}

async fn page(
    state: &AppState,
    member: &Member,
    group_id: i64,
    form: SlotForm,
    errors: FieldErrors,
) -> AppResult<Shown> {
    let school = member.school.id;
    let mut conn = state.pool.acquire().await?;
    let group = curriculum::group(&mut conn, school, group_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(class_id) = group.class_id {
        // The class's page decides who may see it.
        return Ok(Shown::ClassTimetable(class_id));
    }
    let teachers = curriculum::group_assignments(&mut conn, school, group_id).await?;
    // Whoever sees the year's setup, and the group's own teacher (read-only).
    let own = teachers
        .iter()
        .any(|t| t.teacher_id == member.viewer.account_id);
    if !(member.access.can_view_year_setup() || own) {
        return Err(AppError::Forbidden);
    }
    let year = crate::school_year::repo::year(&mut conn, school, group.academic_year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rooms = catalogues::rooms(&mut conn, school).await?;
    // No second connection is asked for while one is held (a full pool would wait on itself).
    drop(conn);
    let today = local_today(state.clock.as_ref(), &member.school.time_zone);
    let slots = repo::slots(&state.pool, school, Scope::Group(group_id), today).await?;
    // Weekly lessons in the timetable now against the teacher's hours in the load.
    let planned: i32 = teachers.iter().map(|t| t.hours).sum();
    let placed = slots
        .iter()
        .filter(|s| s.valid_from <= today.max(year.starts_on))
        .count() as i32;
    let hours = (!teachers.is_empty() && placed * 10 != planned).then(|| {
        format!(
            "В расписании {placed} ч в неделю, по нагрузке {}.",
            hours_text(planned)
        )
    });
    let lessons = repo::lesson_counts(&state.pool, school, Scope::Group(group_id))
        .await?
        .iter()
        .map(|(_, n)| n)
        .sum();
    Ok(Shown::Page(Box::new(GroupTimetablePage {
        layout: Layout::for_member(
            member,
            &format!("Расписание: {} — {}", group.subject, group.name),
        )
        .await?,
        days: (1..=year.week_days)
            .map(|d| (d, WEEKDAYS[(d - 1) as usize]))
            .collect(),
        rooms,
        today: today.format("%d.%m.%Y").to_string(),
        can_edit: member.access.can_edit_timetable(),
        group,
        teachers,
        slots,
        hours,
        lessons,
        form,
        errors,
    })))
}

pub async fn show(
    State(state): State<AppState>,
    member: Member,
    Path(group_id): Path<i64>,
) -> AppResult<Response> {
    match page(
        &state,
        &member,
        group_id,
        SlotForm::default(),
        FieldErrors::new(),
    )
    .await?
    {
        Shown::Page(page) => Ok((*page).into_response()),
        Shown::ClassTimetable(class_id) => {
            Ok(Redirect::to(&format!("/classes/{class_id}/timetable")).into_response())
        }
    }
}

fn back(group_id: i64) -> Response {
    Redirect::to(&format!("/groups/{group_id}/timetable")).into_response()
}

pub async fn add(
    State(state): State<AppState>,
    member: Member,
    Path(group_id): Path<i64>,
    Form(form): Form<SlotForm>,
) -> AppResult<Response> {
    let today = local_today(state.clock.as_ref(), &member.school.time_zone);
    match service::add_group_slot(
        &state.pool,
        &member.access,
        &member.actor(),
        today,
        group_id,
        &form,
    )
    .await
    {
        Ok(done) => {
            flash(
                &member.viewer.session,
                done.message("Урок добавлен в расписание; уроки по датам обновлены."),
            )
            .await?;
            Ok(back(group_id))
        }
        Err(AppError::Invalid(errors)) => {
            match page(&state, &member, group_id, form, errors).await? {
                Shown::Page(page) => Ok((StatusCode::UNPROCESSABLE_ENTITY, *page).into_response()),
                Shown::ClassTimetable(_) => Err(AppError::NotFound),
            }
        }
        Err(e) => Err(e),
    }
}

pub async fn end(
    State(state): State<AppState>,
    member: Member,
    Path((group_id, slot_id)): Path<(i64, i64)>,
    Form(form): Form<EndForm>,
) -> AppResult<Response> {
    let today = local_today(state.clock.as_ref(), &member.school.time_zone);
    let message = match service::end_slot(
        &state.pool,
        &member.access,
        &member.actor(),
        today,
        Scope::Group(group_id),
        slot_id,
        &form,
    )
    .await
    {
        Ok(done) => done.message("Урок убран из расписания; будущие уроки обновлены."),
        Err(AppError::Invalid(e)) => e.0.values().cloned().collect::<Vec<_>>().join(" "),
        Err(e) => return Err(e),
    };
    flash(&member.viewer.session, message).await?;
    Ok(back(group_id))
}

pub async fn regenerate(
    State(state): State<AppState>,
    member: Member,
    Path(group_id): Path<i64>,
) -> AppResult<Response> {
    let today = local_today(state.clock.as_ref(), &member.school.time_zone);
    let done = service::regenerate_lessons(
        &state.pool,
        &member.access,
        &member.actor(),
        today,
        Scope::Group(group_id),
    )
    .await?;
    flash(
        &member.viewer.session,
        done.message(&format!(
            "Будущие уроки пересозданы по расписанию: новых — {}, убрано пустых — {}.",
            done.created, done.removed
        )),
    )
    .await?;
    Ok(back(group_id))
}
