//! A class's weekly timetable, its changes from a date, and its generated lessons.

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
use crate::curriculum::repo::{self as curriculum, GroupRow};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::pupils::repo::{self as pupils, ClassLine};
use crate::timetable::WEEKDAYS;
use crate::timetable::repo::{self, Scope, SlotRow};
use crate::timetable::service::{self, EndForm, SlotForm};

#[derive(Template, WebTemplate)]
#[template(path = "timetable.html")]
pub struct TimetablePage {
    layout: Layout,
    class: ClassLine,
    days: Vec<(i16, &'static str)>,
    numbers: Vec<i16>,
    slots: Vec<SlotRow>,
    groups: Vec<GroupRow>,
    rooms: Vec<RoomRow>,
    hours: Vec<String>,
    lessons: Vec<(String, i64)>,
    today: String,
    can_edit: bool,
    form: SlotForm,
    errors: FieldErrors,
}

impl TimetablePage {
    fn at(&self, day: &i16, number: &i16) -> Vec<&SlotRow> {
        self.slots
            .iter()
            .filter(|s| s.weekday == *day && s.lesson_number == *number)
            .collect()
    }
}

async fn page(
    state: &AppState,
    member: &Member,
    class_id: i64,
    form: SlotForm,
    errors: FieldErrors,
) -> AppResult<TimetablePage> {
    let mut conn = state.pool.acquire().await?;
    let class = pupils::class(&mut conn, member.school.id, class_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !(member.access.can_view_year_setup() || member.access.can_view_class(Some(class_id))) {
        return Err(AppError::Forbidden);
    }
    let school = member.school.id;
    let year_id = pupils::class_year(&mut conn, school, class_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let year = crate::school_year::repo::year(&mut conn, school, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rooms = catalogues::rooms(&mut conn, school).await?;
    // No second connection is asked for while one is held (a full pool would wait on itself).
    drop(conn);
    let today = local_today(state.clock.as_ref(), &member.school.time_zone);
    let slots = repo::slots(&state.pool, school, Scope::Class(class_id), today).await?;
    let groups = curriculum::class_groups(&*state.pool, school, class_id).await?;
    let lines = curriculum::lines(&state.pool, school, class_id).await?;
    // Weekly lessons in the timetable now against the curriculum's hours, per group.
    let hours = groups
        .iter()
        .filter_map(|g| {
            let planned = lines.iter().find(|l| l.subject_id == g.subject_id)?.hours;
            let placed = slots
                .iter()
                .filter(|s| s.group_id == g.id && s.valid_from <= today.max(year.starts_on))
                .count() as i32
                * 10;
            (placed != planned).then(|| {
                format!(
                    "{} — {}: в расписании {} ч, по учебному плану {}.",
                    g.name,
                    g.subject,
                    placed / 10,
                    crate::rules::load::hours_text(planned)
                )
            })
        })
        .collect();
    let last = slots
        .iter()
        .map(|s| s.lesson_number)
        .max()
        .unwrap_or(7)
        .max(7);
    Ok(TimetablePage {
        layout: Layout::for_member(member, &format!("Расписание {}", class.name())).await?,
        days: (1..=year.week_days)
            .map(|d| (d, WEEKDAYS[(d - 1) as usize]))
            .collect(),
        numbers: (1..=last).collect(),
        rooms,
        lessons: repo::lesson_counts(&state.pool, school, Scope::Class(class_id)).await?,
        today: today.format("%d.%m.%Y").to_string(),
        can_edit: member.access.can_edit_timetable(),
        class,
        slots,
        groups,
        hours,
        form,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    member: Member,
    Path(class_id): Path<i64>,
) -> AppResult<TimetablePage> {
    page(
        &state,
        &member,
        class_id,
        SlotForm::default(),
        FieldErrors::new(),
    )
    .await
}

pub async fn add(
    State(state): State<AppState>,
    member: Member,
    Path(class_id): Path<i64>,
    Form(form): Form<SlotForm>,
) -> AppResult<Response> {
    let today = local_today(state.clock.as_ref(), &member.school.time_zone);
    match service::add_slot(
        &state.pool,
        &member.access,
        &member.actor(),
        today,
        class_id,
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
            Ok(Redirect::to(&format!("/classes/{class_id}/timetable")).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let page = page(&state, &member, class_id, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

pub async fn end(
    State(state): State<AppState>,
    member: Member,
    Path((class_id, slot_id)): Path<(i64, i64)>,
    Form(form): Form<EndForm>,
) -> AppResult<Response> {
    let today = local_today(state.clock.as_ref(), &member.school.time_zone);
    let message = match service::end_slot(
        &state.pool,
        &member.access,
        &member.actor(),
        today,
        Scope::Class(class_id),
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
    Ok(Redirect::to(&format!("/classes/{class_id}/timetable")).into_response())
}

pub async fn regenerate(
    State(state): State<AppState>,
    member: Member,
    Path(class_id): Path<i64>,
) -> AppResult<Response> {
    let today = local_today(state.clock.as_ref(), &member.school.time_zone);
    let done = service::regenerate_lessons(
        &state.pool,
        &member.access,
        &member.actor(),
        today,
        Scope::Class(class_id),
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
    Ok(Redirect::to(&format!("/classes/{class_id}/timetable")).into_response())
}
