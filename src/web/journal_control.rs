//! Journal control pages: the day's lessons with substitutions, transfers and cancellations
//! (J15), a group's remarks and unlocks (§5, J1, J13), and the list of open remarks.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;

use super::AppState;
use super::extract::Member;
use super::journal::{JournalWrite, author, today};
use super::layout::{Layout, flash};
use crate::authz::Role;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::journal::control::{
    self, CancelForm, DayLesson, FixForm, GroupCtx, MoveForm, RemarkForm, RemarkRow, RestoreForm,
    SubstituteForm, UnlockForm, UnlockRow,
};
use crate::journal::teacher_absence::{self, AbsenceForm, AbsenceRow};
use crate::pupils::repo::{self as pupils, StaffOption};
use crate::school_year::calendar::parse_date;

fn local(at: DateTime<Utc>, time_zone: &str) -> String {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    at.with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string()
}

// ---------------------------------------------------------------------------------------------
// /deputy/lessons
// ---------------------------------------------------------------------------------------------

/// A lesson line with its forms as they were typed (after a failed write) or empty.
pub struct LessonView {
    l: DayLesson,
    sub: SubstituteForm,
    mv: MoveForm,
    cancel: CancelForm,
    restore: RestoreForm,
    errors: FieldErrors,
    /// Which form to show open: "substitute", "move", "cancel", "restore".
    open: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "deputy_lessons.html")]
pub struct LessonsPage {
    layout: Layout,
    date_text: String,
    date_iso: String,
    prev: String,
    next: String,
    note: Option<String>,
    lessons: Vec<LessonView>,
    teachers: Vec<StaffOption>,
    can_edit: bool,
    /// Teachers' absences not over yet, and the form to register one (a deputy, the director).
    absences: Vec<AbsenceRow>,
    absence: AbsenceForm,
    absence_errors: FieldErrors,
    can_register_absence: bool,
}

/// A failed form of one lesson, to show again.
enum Failed {
    Substitute(SubstituteForm),
    Move(MoveForm),
    Cancel(CancelForm),
    Restore(RestoreForm),
}

async fn lessons_page(
    state: &AppState,
    member: &Member,
    date: NaiveDate,
    note: Option<String>,
    failed: Option<(i64, Failed, FieldErrors)>,
    absence_failed: Option<(AbsenceForm, FieldErrors)>,
) -> AppResult<LessonsPage> {
    if !control::may_view_lessons(&member.access) {
        return Err(AppError::Forbidden);
    }
    let school = member.school.id;
    let rows = control::day_lessons(&state.pool, school, date).await?;
    let mut failed = failed;
    let (absence, absence_errors) = absence_failed.unwrap_or_default();
    let lessons = rows
        .into_iter()
        .map(|l| {
            let mut view = LessonView {
                sub: SubstituteForm {
                    teacher: l.substitute_id.map(|t| t.to_string()).unwrap_or_default(),
                    reason: l.substitution_reason.clone().unwrap_or_default(),
                },
                mv: MoveForm::default(),
                cancel: CancelForm::default(),
                restore: RestoreForm::default(),
                errors: FieldErrors::new(),
                open: "",
                l,
            };
            if failed.as_ref().is_some_and(|(id, _, _)| *id == view.l.id)
                && let Some((_, form, errors)) = failed.take()
            {
                view.errors = errors;
                match form {
                    Failed::Substitute(f) => {
                        view.sub = f;
                        view.open = "substitute";
                    }
                    Failed::Move(f) => {
                        view.mv = f;
                        view.open = "move";
                    }
                    Failed::Cancel(f) => {
                        view.cancel = f;
                        view.open = "cancel";
                    }
                    Failed::Restore(f) => {
                        view.restore = f;
                        view.open = "restore";
                    }
                }
            }
            view
        })
        .collect();
    Ok(LessonsPage {
        layout: Layout::for_member(
            member,
            &format!("Замены и переносы — {}", date.format("%d.%m.%Y")),
        )
        .await?,
        date_text: date.format("%d.%m.%Y").to_string(),
        date_iso: date.format("%Y-%m-%d").to_string(),
        prev: (date - Duration::days(1)).format("%Y-%m-%d").to_string(),
        next: (date + Duration::days(1)).format("%Y-%m-%d").to_string(),
        note,
        lessons,
        teachers: pupils::teachers(&state.pool, school).await?,
        can_edit: control::may_arrange(&member.access),
        absences: teacher_absence::current(&state.pool, school, today(state, member)).await?,
        absence,
        absence_errors,
        can_register_absence: teacher_absence::may_register(&member.access),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct DateQuery {
    #[serde(default)]
    date: Option<String>,
}

pub async fn lessons(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<DateQuery>,
) -> AppResult<LessonsPage> {
    let (date, note) = match q.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => (today(&state, &member), None),
        Some(text) => match parse_date(text) {
            Some(d) => (d, None),
            None => (
                today(&state, &member),
                Some(format!(
                    "«{text}» — не дата: показаны уроки на сегодня. Введите дату, например 24.11.2026."
                )),
            ),
        },
    };
    lessons_page(&state, &member, date, note, None, None).await
}

/// After a lesson's write: back to its day, or the page again with the form and its messages
/// (422 for bad input, 409 for a rule's refusal).
async fn after_lesson_write(
    state: &AppState,
    member: &Member,
    lesson_id: i64,
    result: AppResult<String>,
    form: Failed,
) -> AppResult<Response> {
    let date = control::lesson_date(&state.pool, member.school.id, lesson_id).await?;
    let key = match form {
        Failed::Substitute(_) => "substitute",
        Failed::Move(_) => "move",
        Failed::Cancel(_) => "cancel",
        Failed::Restore(_) => "restore",
    };
    let (status, errors) = match result {
        Ok(done) => {
            flash(&member.viewer.session, done).await?;
            return Ok(
                Redirect::to(&format!("/deputy/lessons?date={}", date.format("%Y-%m-%d")))
                    .into_response(),
            );
        }
        Err(AppError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(AppError::Refused(why)) => {
            let mut errors = FieldErrors::new();
            errors.add(key, why);
            (StatusCode::CONFLICT, errors)
        }
        Err(e) => return Err(e),
    };
    let page = lessons_page(
        state,
        member,
        date,
        None,
        Some((lesson_id, form, errors)),
        None,
    )
    .await?;
    Ok((status, page).into_response())
}

pub async fn substitute(
    State(state): State<AppState>,
    member: Member,
    Path(lesson_id): Path<i64>,
    Form(form): Form<SubstituteForm>,
) -> AppResult<Response> {
    let actor = member.actor();
    let result = control::register_substitution(
        &state.pool,
        &author(&state, &member, &actor),
        lesson_id,
        &form,
    )
    .await
    .map(|()| {
        "Замена зарегистрирована: замещающий учитель заполняет журнал этого урока.".to_string()
    });
    after_lesson_write(&state, &member, lesson_id, result, Failed::Substitute(form)).await
}

pub async fn remove_substitute(
    State(state): State<AppState>,
    member: Member,
    Path(lesson_id): Path<i64>,
) -> AppResult<Response> {
    let actor = member.actor();
    let result =
        control::remove_substitution(&state.pool, &author(&state, &member, &actor), lesson_id)
            .await
            .map(|()| "Замена снята.".to_string());
    after_lesson_write(
        &state,
        &member,
        lesson_id,
        result,
        Failed::Substitute(SubstituteForm::default()),
    )
    .await
}

/// Registers a teacher's absence (a deputy, the director): back to the day's page, or the page
/// again with the form filled in and a message next to each bad field (422).
pub async fn register_absence(
    State(state): State<AppState>,
    member: Member,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    if !teacher_absence::may_register(&member.access) {
        return Err(AppError::Forbidden);
    }
    // Read only once the member may register absences.
    let form: AbsenceForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let actor = member.actor();
    match teacher_absence::register(&state.pool, &author(&state, &member, &actor), &form).await {
        Ok(_) => {
            flash(
                &member.viewer.session,
                "Отсутствие учителя зарегистрировано: назначьте замены на его уроки.",
            )
            .await?;
            Ok(Redirect::to("/deputy/lessons").into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let today = today(&state, &member);
            let page =
                lessons_page(&state, &member, today, None, None, Some((form, errors))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// Removes a teacher's absence (a deputy, the director); another school's: 404.
pub async fn remove_absence(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    if !teacher_absence::may_register(&member.access) {
        return Err(AppError::Forbidden);
    }
    let actor = member.actor();
    teacher_absence::remove(&state.pool, &author(&state, &member, &actor), id).await?;
    flash(&member.viewer.session, "Отсутствие учителя снято.").await?;
    Ok(Redirect::to("/deputy/lessons").into_response())
}

pub async fn move_lesson(
    State(state): State<AppState>,
    member: Member,
    Path(lesson_id): Path<i64>,
    Form(form): Form<MoveForm>,
) -> AppResult<Response> {
    let actor = member.actor();
    let result = control::move_lesson(
        &state.pool,
        &author(&state, &member, &actor),
        lesson_id,
        &form,
    )
    .await
    .map(|moved| {
        let done = format!(
            "Урок перенесён на {}, {}-й урок.",
            parse_date(&form.date)
                .map(|d| d.format("%d.%m.%Y").to_string())
                .unwrap_or_default(),
            form.number.trim()
        );
        match moved.notice() {
            Some(notice) => format!("{done} {notice}"),
            None => done,
        }
    });
    after_lesson_write(&state, &member, lesson_id, result, Failed::Move(form)).await
}

pub async fn cancel_lesson(
    State(state): State<AppState>,
    member: Member,
    Path(lesson_id): Path<i64>,
    Form(form): Form<CancelForm>,
) -> AppResult<Response> {
    let actor = member.actor();
    let result = control::cancel_lesson(
        &state.pool,
        &author(&state, &member, &actor),
        lesson_id,
        &form,
    )
    .await
    .map(|()| "Урок отменён.".to_string());
    after_lesson_write(&state, &member, lesson_id, result, Failed::Cancel(form)).await
}

pub async fn restore_lesson(
    State(state): State<AppState>,
    member: Member,
    Path(lesson_id): Path<i64>,
    Form(form): Form<RestoreForm>,
) -> AppResult<Response> {
    let actor = member.actor();
    let result = control::restore_lesson(
        &state.pool,
        &author(&state, &member, &actor),
        lesson_id,
        &form,
    )
    .await
    .map(|()| "Урок восстановлен.".to_string());
    after_lesson_write(&state, &member, lesson_id, result, Failed::Restore(form)).await
}

// ---------------------------------------------------------------------------------------------
// /journal/{group_id}/control
// ---------------------------------------------------------------------------------------------

pub struct RemarkView {
    r: RemarkRow,
    overdue: bool,
    created: String,
    fixed: String,
}

fn remark_views(rows: Vec<RemarkRow>, today: NaiveDate, time_zone: &str) -> Vec<RemarkView> {
    rows.into_iter()
        .map(|r| RemarkView {
            overdue: r.is_overdue(today),
            created: local(r.created_at, time_zone),
            fixed: r.fixed_at.map(|t| local(t, time_zone)).unwrap_or_default(),
            r,
        })
        .collect()
}

pub struct UnlockView {
    u: UnlockRow,
    until: String,
    granted: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "journal_control.html")]
pub struct ControlPage {
    layout: Layout,
    group: GroupCtx,
    remarks: Vec<RemarkView>,
    unlocks: Vec<UnlockView>,
    lessons: Vec<(i64, String)>,
    can_remark: bool,
    can_unlock: bool,
    can_fix: bool,
    remark_form: RemarkForm,
    unlock_form: UnlockForm,
    /// The remark whose fix form failed, with what was typed.
    fix_failed: Option<i64>,
    fix_form: FixForm,
    errors: FieldErrors,
}

impl ControlPage {
    /// Whether the fix form of this remark failed (show what was typed and its message).
    fn fixing(&self, id: &i64) -> bool {
        self.fix_failed == Some(*id)
    }
}

/// Forms of the control page as typed, after a failed write.
#[derive(Default)]
struct ControlForms {
    remark: Option<RemarkForm>,
    unlock: Option<UnlockForm>,
    fix: Option<(i64, FixForm)>,
}

async fn control_page(
    state: &AppState,
    member: &Member,
    group_id: i64,
    forms: ControlForms,
    errors: FieldErrors,
) -> AppResult<ControlPage> {
    let group = control::may_view_group(
        &state.pool,
        &member.access,
        member.viewer.account_id,
        group_id,
    )
    .await?;
    let school = member.school.id;
    let tz = member.school.time_zone.clone();
    let today = today(state, member);
    let now = state.clock.now();
    let remarks = remark_views(
        control::group_remarks(&state.pool, school, group_id).await?,
        today,
        &tz,
    );
    let unlocks = control::active_unlocks(&state.pool, school, group_id, now)
        .await?
        .into_iter()
        .map(|u| UnlockView {
            until: local(u.until, &tz),
            granted: local(u.granted_at, &tz),
            u,
        })
        .collect();
    let can_unlock = control::may_unlock(&member.access);
    let lessons = if can_unlock {
        control::unlockable_lessons(&state.pool, school, group_id, today).await?
    } else {
        Vec::new()
    };
    let (fix_failed, fix_form) = match forms.fix {
        Some((id, f)) => (Some(id), f),
        None => (None, FixForm::default()),
    };
    Ok(ControlPage {
        layout: Layout::for_member(
            member,
            &format!("Контроль журнала: {} — {}", group.subject, group.name),
        )
        .await?,
        remarks,
        unlocks,
        lessons,
        can_remark: control::may_remark(&member.access),
        can_unlock,
        can_fix: matches!(member.role, Role::Teacher | Role::ClassTeacher),
        remark_form: forms.remark.unwrap_or_else(|| RemarkForm {
            text: String::new(),
            due_on: (today + Duration::days(7)).format("%d.%m.%Y").to_string(),
        }),
        unlock_form: forms.unlock.unwrap_or_else(|| UnlockForm {
            until: control::default_until(today),
            ..UnlockForm::default()
        }),
        fix_failed,
        fix_form,
        group,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    member: Member,
    Path(group_id): Path<i64>,
) -> AppResult<ControlPage> {
    control_page(
        &state,
        &member,
        group_id,
        ControlForms::default(),
        FieldErrors::new(),
    )
    .await
}

/// After a write on the control page: back to it with a message, or the page again with the
/// form as typed (422; a rule's refusal: 409, shown at `refused_key`).
async fn after_control_write(
    state: &AppState,
    member: &Member,
    group_id: i64,
    result: AppResult<String>,
    forms: ControlForms,
    refused_key: &'static str,
) -> AppResult<Response> {
    let (status, errors) = match result {
        Ok(done) => {
            flash(&member.viewer.session, done).await?;
            return Ok(Redirect::to(&format!("/journal/{group_id}/control")).into_response());
        }
        Err(AppError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(AppError::Refused(why)) => {
            let mut errors = FieldErrors::new();
            errors.add(refused_key, why);
            (StatusCode::CONFLICT, errors)
        }
        Err(e) => return Err(e),
    };
    let page = control_page(state, member, group_id, forms, errors).await?;
    Ok((status, page).into_response())
}

pub async fn add_unlock(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    JournalWrite(member, form): JournalWrite<UnlockForm>,
) -> AppResult<Response> {
    let actor = member.actor();
    let result = control::unlock(
        &state.pool,
        &author(&state, &member, &actor),
        group_id,
        &form,
    )
    .await
    .map(|_| {
        "Журнал разблокирован: учитель может внести записи до указанного времени.".to_string()
    });
    let forms = ControlForms {
        unlock: Some(form),
        ..ControlForms::default()
    };
    after_control_write(&state, &member, group_id, result, forms, "unlock").await
}

pub async fn add_remark(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    JournalWrite(member, form): JournalWrite<RemarkForm>,
) -> AppResult<Response> {
    let actor = member.actor();
    let result = control::add_remark(
        &state.pool,
        &author(&state, &member, &actor),
        group_id,
        &form,
    )
    .await
    .map(|_| "Замечание к журналу записано; учитель увидит его на своей странице.".to_string());
    let forms = ControlForms {
        remark: Some(form),
        ..ControlForms::default()
    };
    after_control_write(&state, &member, group_id, result, forms, "remark").await
}

pub async fn fix_remark(
    State(state): State<AppState>,
    Path((group_id, remark_id)): Path<(i64, i64)>,
    JournalWrite(member, form): JournalWrite<FixForm>,
) -> AppResult<Response> {
    let actor = member.actor();
    let result = control::fix_remark(
        &state.pool,
        &author(&state, &member, &actor),
        group_id,
        remark_id,
        &form,
    )
    .await
    .map(|()| "Замечание отмечено исправленным.".to_string());
    let forms = ControlForms {
        fix: Some((remark_id, form)),
        ..ControlForms::default()
    };
    after_control_write(&state, &member, group_id, result, forms, "fix").await
}

// ---------------------------------------------------------------------------------------------
// /remarks
// ---------------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "remarks.html")]
pub struct RemarksPage {
    layout: Layout,
    remarks: Vec<RemarkView>,
    overdue: usize,
}

pub async fn remarks(State(state): State<AppState>, member: Member) -> AppResult<RemarksPage> {
    if !control::may_remark(&member.access) {
        return Err(AppError::Forbidden);
    }
    let today = today(&state, &member);
    let remarks = remark_views(
        control::open_remarks(&state.pool, member.school.id).await?,
        today,
        &member.school.time_zone,
    );
    Ok(RemarksPage {
        layout: Layout::for_member(&member, "Замечания к журналам").await?,
        overdue: remarks.iter().filter(|r| r.overdue).count(),
        remarks,
    })
}
