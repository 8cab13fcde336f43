//! Journal control pages: the day's lessons with substitutions, transfers and cancellations
//! (J15), a group's remarks and unlocks (§5, J1, J13), and the list of open remarks.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashSet;

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
use crate::journal::substitutes::{self, Standing};
use crate::journal::teacher_absence::{self, AbsenceForm, AbsenceRow};
use crate::pupils::repo::StaffOption;
use crate::school_year::calendar::parse_date;

fn local(at: DateTime<Utc>, time_zone: &str) -> String {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    at.with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string()
}

// ---------------------------------------------------------------------------------------------
// /deputy/lessons
// ---------------------------------------------------------------------------------------------

/// A line of the day's compact list: no form, a link to the lesson's form.
pub struct ListLine {
    l: DayLesson,
    /// Its teacher (the substitute when there is one) is absent: it needs a substitute.
    needs: bool,
    /// The timetable's teacher is absent.
    teacher_absent: bool,
}

impl ListLine {
    /// The group's name, when it says more than the class's heading («5Б, 1 группа», a stream).
    fn group_note(&self) -> Option<&str> {
        let class: String = self
            .l
            .class_name
            .chars()
            .filter(|c| !matches!(c, '«' | '»'))
            .collect();
        (self.l.group_name != class).then_some(self.l.group_name.as_str())
    }
}

/// The day's lessons of one class (or of the groups of no class).
pub struct ClassBlock {
    name: String,
    lines: Vec<ListLine>,
}

/// One lesson with its forms, as typed after a failed write or as stored.
pub struct LessonPanel {
    l: DayLesson,
    teacher_absent: bool,
    needs: bool,
    /// The teacher choice: free (same subject first), then busy, then absent.
    groups: Vec<ChoiceGroup>,
    free: usize,
    sub: SubstituteForm,
    mv: MoveForm,
    cancel: CancelForm,
    restore: RestoreForm,
    errors: FieldErrors,
    /// Which form to show open: "move", "cancel", "restore" (the substitution form is open).
    open: &'static str,
}

/// A labelled part of the teacher choice.
pub struct ChoiceGroup {
    label: String,
    options: Vec<ChoiceOption>,
}

pub struct ChoiceOption {
    id: String,
    text: String,
}

/// One teacher's lessons of the day, each with its forms (from their absence).
pub struct TeacherDay {
    id: i64,
    name: String,
    absent: bool,
    panels: Vec<LessonPanel>,
}

/// An absent teacher of the day, linking to their day.
pub struct AbsentLine {
    a: substitutes::AbsentTeacher,
}

/// A current or future absence, with the day of its lessons to open.
pub struct AbsenceLine {
    a: AbsenceRow,
    day: String,
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
    /// Lessons of the day in all.
    total: usize,
    /// Lessons whose teacher is absent and that have no other teacher yet.
    needs: Vec<ListLine>,
    absent: Vec<AbsentLine>,
    /// The day's list, by class (filtered by `class`).
    classes: Vec<ClassBlock>,
    class_options: Vec<(String, String)>,
    class: String,
    teachers: Vec<StaffOption>,
    /// The lesson chosen (`?lesson=`), or the one whose write failed.
    panel: Option<LessonPanel>,
    /// One teacher's day (`?teacher=`).
    teacher_day: Option<TeacherDay>,
    /// Added to the forms' addresses: after a write, back to the same view.
    back: String,
    can_edit: bool,
    /// Teachers' absences not over yet, and the form to register one (a deputy, the director).
    absences: Vec<AbsenceLine>,
    absence: AbsenceForm,
    absence_errors: FieldErrors,
    can_register_absence: bool,
}

impl LessonsPage {
    /// The address of a lesson's form in the current view.
    fn lesson_href(&self, id: &i64) -> String {
        format!(
            "/deputy/lessons?date={}&lesson={id}{}#lesson-form",
            self.date_iso,
            if self.class.is_empty() {
                String::new()
            } else {
                format!("&class={}", self.class)
            }
        )
    }
}

/// A failed form of one lesson, to show again.
enum Failed {
    Substitute(SubstituteForm),
    Move(MoveForm),
    Cancel(CancelForm),
    Restore(RestoreForm),
}

/// What the day's page shows: the date, and one lesson, one teacher's day or one class.
#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    lesson: Option<String>,
    #[serde(default)]
    teacher: Option<String>,
    #[serde(default)]
    class: Option<String>,
}

/// The view a lesson's form was posted from (its address's query), to come back to.
#[derive(Debug, Default, Deserialize)]
pub struct BackQuery {
    #[serde(default)]
    teacher: Option<String>,
    #[serde(default)]
    class: Option<String>,
}

fn id_of(text: Option<&str>) -> Option<i64> {
    text.map(str::trim)
        .and_then(|t| t.parse::<i64>().ok())
        .filter(|id| *id > 0)
}

/// The page's view.
struct View {
    date: NaiveDate,
    note: Option<String>,
    lesson: Option<i64>,
    teacher: Option<i64>,
    class: Option<i64>,
}

fn panel(
    l: &DayLesson,
    day: &[DayLesson],
    teachers: &[substitutes::Teacher],
    absent: &HashSet<i64>,
    failed: &mut Option<(i64, Failed, FieldErrors)>,
) -> LessonPanel {
    let choices = substitutes::choices(day, teachers, l);
    let free = choices.iter().filter(|c| c.standing.is_free()).count();
    let mut groups: Vec<ChoiceGroup> = Vec::new();
    for c in choices {
        let label = match c.standing {
            Standing::SameSubject => format!("Свободны, ведут «{}»", l.subject),
            Standing::Free => "Свободны в это время".to_string(),
            Standing::Busy(_) | Standing::Substituting(_) => "Заняты в это время".to_string(),
            Standing::Absent => "Отсутствуют".to_string(),
        };
        let note = c.standing.note();
        let option = ChoiceOption {
            id: c.teacher_id.to_string(),
            text: if note.is_empty() {
                c.name
            } else {
                format!("{} — {note}", c.name)
            },
        };
        match groups.last_mut() {
            Some(g) if g.label == label => g.options.push(option),
            _ => groups.push(ChoiceGroup {
                label,
                options: vec![option],
            }),
        }
    }
    let mut view = LessonPanel {
        teacher_absent: absent.contains(&l.teacher_id),
        needs: substitutes::needs_substitute(l, absent),
        groups,
        free,
        sub: SubstituteForm {
            teacher: l.substitute_id.map(|t| t.to_string()).unwrap_or_default(),
            reason: l.substitution_reason.clone().unwrap_or_default(),
        },
        mv: MoveForm::default(),
        cancel: CancelForm::default(),
        restore: RestoreForm::default(),
        errors: FieldErrors::new(),
        open: "",
        l: l.clone(),
    };
    if failed.as_ref().is_some_and(|(id, _, _)| *id == l.id)
        && let Some((_, form, errors)) = failed.take()
    {
        view.errors = errors;
        match form {
            Failed::Substitute(f) => view.sub = f,
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
}

async fn lessons_page(
    state: &AppState,
    member: &Member,
    view: View,
    failed: Option<(i64, Failed, FieldErrors)>,
    absence_failed: Option<(AbsenceForm, FieldErrors)>,
) -> AppResult<LessonsPage> {
    if !control::may_view_lessons(&member.access) {
        return Err(AppError::Forbidden);
    }
    let school = member.school.id;
    let date = view.date;
    let today = today(state, member);
    // Three queries whatever the day: its lessons, the teachers (absent that day, subjects
    // taught), the absences not over.
    let (day, teachers, absences) = tokio::try_join!(
        control::day_lessons(&state.pool, school, date),
        substitutes::teachers_on(&state.pool, school, date),
        teacher_absence::current(&state.pool, school, today),
    )?;
    let absent = substitutes::absent_ids(&teachers);
    let mut failed = failed;
    let mut note = view.note;
    let line = |l: &DayLesson| ListLine {
        needs: substitutes::needs_substitute(l, &absent),
        teacher_absent: absent.contains(&l.teacher_id),
        l: l.clone(),
    };
    let mut needs: Vec<ListLine> = day
        .iter()
        .filter(|l| substitutes::needs_substitute(l, &absent))
        .map(line)
        .collect();
    needs.sort_by_key(|v| v.l.lesson_number);
    let mut class_options: Vec<(String, String)> = Vec::new();
    for l in &day {
        if let Some(c) = l.class_id
            && class_options
                .last()
                .is_none_or(|(k, _)| *k != c.to_string())
        {
            class_options.push((c.to_string(), l.class_name.clone()));
        }
    }
    let class = match view.class {
        Some(c) if class_options.iter().any(|(k, _)| *k == c.to_string()) => Some(c),
        Some(_) => {
            note.get_or_insert_with(|| {
                "У этого класса в этот день нет уроков: показаны все классы.".to_string()
            });
            None
        }
        None => None,
    };
    let mut classes: Vec<ClassBlock> = Vec::new();
    for l in day
        .iter()
        .filter(|l| class.is_none() || l.class_id == class)
    {
        let name = if l.class_name.is_empty() {
            "Потоки и группы вне классов".to_string()
        } else {
            format!("{} класс", l.class_name)
        };
        match classes.last_mut() {
            Some(b) if b.name == name => b.lines.push(line(l)),
            _ => classes.push(ClassBlock {
                name,
                lines: vec![line(l)],
            }),
        }
    }
    let class = class.map(|c| c.to_string()).unwrap_or_default();
    let teacher_day = match view.teacher {
        Some(id) => match teachers.iter().find(|t| t.id == id) {
            Some(t) => Some(TeacherDay {
                id: t.id,
                name: t.full_name.clone(),
                absent: t.absent,
                panels: substitutes::lessons_of(&day, t.id)
                    .into_iter()
                    .map(|l| panel(l, &day, &teachers, &absent, &mut failed))
                    .collect(),
            }),
            None => {
                note.get_or_insert_with(|| "Такого учителя в списке нет.".to_string());
                None
            }
        },
        None => None,
    };
    // The chosen lesson, or the one whose write failed and that the teacher's day does not show.
    let chosen = failed.as_ref().map(|(id, _, _)| *id).or(view.lesson);
    let panel = match chosen {
        Some(id)
            if teacher_day
                .as_ref()
                .is_none_or(|t| t.panels.iter().all(|p| p.l.id != id)) =>
        {
            day.iter()
                .find(|l| l.id == id)
                .map(|l| panel(l, &day, &teachers, &absent, &mut failed))
        }
        _ => None,
    };
    let absences = absences
        .into_iter()
        .map(|a| {
            let day = if a.starts_on <= date && date <= a.ends_on {
                date
            } else {
                a.starts_on.max(today)
            };
            AbsenceLine {
                day: day.format("%Y-%m-%d").to_string(),
                a,
            }
        })
        .collect();
    let back = match (&teacher_day, &class) {
        (Some(t), _) => format!("?teacher={}", t.id),
        (None, c) if !c.is_empty() => format!("?class={c}"),
        _ => String::new(),
    };
    let (absence, absence_errors) = absence_failed.unwrap_or_default();
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
        total: day.len(),
        needs,
        absent: substitutes::absent_teachers(&day, &teachers)
            .into_iter()
            .map(|a| AbsentLine { a })
            .collect(),
        classes,
        class_options,
        class,
        teachers: teachers
            .iter()
            .map(|t| StaffOption {
                account_id: t.id,
                full_name: t.full_name.clone(),
            })
            .collect(),
        panel,
        teacher_day,
        back,
        can_edit: control::may_arrange(&member.access),
        absences,
        absence,
        absence_errors,
        can_register_absence: teacher_absence::may_register(&member.access),
    })
}

pub async fn lessons(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<DayQuery>,
) -> AppResult<LessonsPage> {
    if !control::may_view_lessons(&member.access) {
        return Err(AppError::Forbidden);
    }
    let lesson = id_of(q.lesson.as_deref());
    let (date, note) = match q.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        // A lesson chosen without a date: its own day (another school's lesson: 404).
        None => match lesson {
            Some(id) => (
                control::lesson_date(&state.pool, member.school.id, id).await?,
                None,
            ),
            None => (today(&state, &member), None),
        },
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
    let view = View {
        date,
        note,
        lesson,
        teacher: id_of(q.teacher.as_deref()),
        class: id_of(q.class.as_deref()),
    };
    lessons_page(&state, &member, view, None, None).await
}

/// After a lesson's write: back to its day in the same view, or the page again with the
/// lesson's form and its message next to it (422 for bad input, 409 for a rule's refusal).
async fn after_lesson_write(
    state: &AppState,
    member: &Member,
    lesson_id: i64,
    back: BackQuery,
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
    let teacher = id_of(back.teacher.as_deref());
    let class = id_of(back.class.as_deref());
    let (status, errors) = match result {
        Ok(done) => {
            flash(&member.viewer.session, done).await?;
            let day = date.format("%Y-%m-%d");
            let to = match (teacher, class) {
                (Some(t), _) => {
                    format!("/deputy/lessons?date={day}&teacher={t}#lesson-{lesson_id}")
                }
                (None, Some(c)) => {
                    format!("/deputy/lessons?date={day}&lesson={lesson_id}&class={c}#lesson-form")
                }
                (None, None) => {
                    format!("/deputy/lessons?date={day}&lesson={lesson_id}#lesson-form")
                }
            };
            return Ok(Redirect::to(&to).into_response());
        }
        Err(AppError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(AppError::Refused(why)) => {
            let mut errors = FieldErrors::new();
            errors.add(key, why);
            (StatusCode::CONFLICT, errors)
        }
        Err(e) => return Err(e),
    };
    let view = View {
        date,
        note: None,
        lesson: Some(lesson_id),
        teacher,
        class,
    };
    let page = lessons_page(state, member, view, Some((lesson_id, form, errors)), None).await?;
    Ok((status, page).into_response())
}

pub async fn substitute(
    State(state): State<AppState>,
    member: Member,
    Path(lesson_id): Path<i64>,
    Query(back): Query<BackQuery>,
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
    after_lesson_write(
        &state,
        &member,
        lesson_id,
        back,
        result,
        Failed::Substitute(form),
    )
    .await
}

pub async fn remove_substitute(
    State(state): State<AppState>,
    member: Member,
    Path(lesson_id): Path<i64>,
    Query(back): Query<BackQuery>,
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
        back,
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
            // On to the teacher's lessons of the absence's first day (today, once it began).
            let day = parse_date(&form.from)
                .unwrap_or_else(|| today(&state, &member))
                .max(today(&state, &member));
            Ok(Redirect::to(&format!(
                "/deputy/lessons?date={}&teacher={}",
                day.format("%Y-%m-%d"),
                id_of(Some(&form.teacher)).unwrap_or_default()
            ))
            .into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let view = View {
                date: today(&state, &member),
                note: None,
                lesson: None,
                teacher: None,
                class: None,
            };
            let page = lessons_page(&state, &member, view, None, Some((form, errors))).await?;
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
    Query(back): Query<BackQuery>,
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
    after_lesson_write(&state, &member, lesson_id, back, result, Failed::Move(form)).await
}

pub async fn cancel_lesson(
    State(state): State<AppState>,
    member: Member,
    Path(lesson_id): Path<i64>,
    Query(back): Query<BackQuery>,
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
    after_lesson_write(
        &state,
        &member,
        lesson_id,
        back,
        result,
        Failed::Cancel(form),
    )
    .await
}

pub async fn restore_lesson(
    State(state): State<AppState>,
    member: Member,
    Path(lesson_id): Path<i64>,
    Query(back): Query<BackQuery>,
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
    after_lesson_write(
        &state,
        &member,
        lesson_id,
        back,
        result,
        Failed::Restore(form),
    )
    .await
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
