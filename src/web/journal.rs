//! The teacher's journal: the list of journals, the grid of a group for a period with inline
//! cell entry (htmx; without JavaScript, the lesson page's plain form), the lesson page, period
//! marks, correction requests and the class's summary sheet.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::AppState;
use super::extract::Member;
use super::layout::{Layout, flash, flash_outcome};
use super::page_cache::{self, Gzip, Looked, Of, Stamp};
use crate::authz::Role;
use crate::clock::{local_now, local_today};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::journal::attention::{
    self, BehindLine, JournalChoices, Problem, RawJournalFilter, When,
};
use crate::journal::grid::{self, Grid, Head, JournalLine, LessonPupil, PeriodTab};
use crate::journal::period::{
    self, CorrectionRow, PeriodMarkInput, PeriodMarksOutcome, PeriodMarksPreview, SummarySheet,
};
use crate::journal::repo::{self, ColumnRow, HistoryLine, LessonCtx};
use crate::journal::service::{self, Author, CellForm, ExternalMarkForm, LessonForm};
use crate::journal::together::Save;
use crate::journal::{AbsenceReason, PeriodMarkValue};
use crate::rules::journal::Capacities;

/// The author of a journal write: the member, their actor and the clock.
pub(super) fn author<'a>(
    state: &'a AppState,
    member: &'a Member,
    actor: &'a crate::audit::Actor,
) -> Author<'a> {
    Author {
        access: &member.access,
        account_id: member.viewer.account_id,
        actor,
        clock: state.clock.as_ref(),
        kept: Some(&state.lessons),
    }
}

/// Today in the member's school.
pub(super) fn today(state: &AppState, member: &Member) -> NaiveDate {
    local_today(state.clock.as_ref(), &member.school.time_zone)
}

/// A journal write's form, read only after the member was found to be someone who opens
/// journals at all (`Access::opens_journals`): pupils, parents and the administrator are refused
/// (403) before the body is parsed. Which journal, and whether they may write into it, the
/// service decides before it reads anything stored.
pub struct JournalWrite<T>(pub Member, pub T);

impl<T> axum::extract::FromRequest<AppState> for JournalWrite<T>
where
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use axum::extract::FromRequestParts;
        let (mut parts, body) = request.into_parts();
        let member = Member::from_request_parts(&mut parts, state).await?;
        if !member.access.opens_journals() {
            return Err(AppError::Forbidden.into_response());
        }
        let request = axum::extract::Request::from_parts(parts, body);
        let Form(form) = Form::<T>::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self(member, form))
    }
}

// ---------------------------------------------------------------- the list of journals

#[derive(Template, WebTemplate)]
#[template(path = "journals.html")]
pub struct JournalsPage {
    layout: Layout,
    /// A teacher's or a class teacher's journals.
    journals: Vec<JournalLine>,
    /// The director and the deputies: the whole school's journals, filtered and sorted by how far
    /// behind each is (§5).
    control: Option<ControlJournals>,
}

/// The management's list of journals: the filter, a page of journals, the pages.
pub struct ControlJournals {
    raw: RawJournalFilter,
    errors: FieldErrors,
    choices: JournalChoices,
    problems: Vec<(&'static str, &'static str)>,
    lines: Vec<BehindLine>,
    total: i64,
    page: i64,
    previous: Option<String>,
    next: Option<String>,
}

impl ControlJournals {
    fn chosen(&self, value: &str, id: &i64) -> bool {
        value.trim() == id.to_string()
    }
}

pub async fn list(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawJournalFilter>,
) -> AppResult<JournalsPage> {
    // Those who read journals: the director and the deputies every one, teachers their own
    // (docs/ACCESS.md); not the administrator, parents or pupils.
    if !member.access.opens_journals() {
        return Err(AppError::Forbidden);
    }
    let layout = Layout::for_member(&member, "Журналы").await?;
    if member.access.can_read_every_journal() {
        let when = When::at(state.clock.now(), &member.school.time_zone);
        let year = {
            let mut conn = state.pool.acquire().await?;
            crate::school_year::repo::current_year(&mut conn, member.school.id, when.today).await?
        };
        let choices = match year {
            Some(year) => attention::journal_choices(&state.pool, member.school.id, year).await?,
            None => JournalChoices::default(),
        };
        let (filter, errors) = attention::parse_journal_filter(&raw, &choices);
        let lines = match year {
            Some(year) => {
                attention::journals_behind(
                    &state.pool,
                    member.school.id,
                    year,
                    when,
                    filter,
                    member.viewer.account_id,
                )
                .await?
            }
            None => Vec::new(),
        };
        let total = lines.first().map_or(0, |l| l.total);
        let pages = (total + attention::JOURNALS_PAGE - 1) / attention::JOURNALS_PAGE;
        let page = filter.page;
        return Ok(JournalsPage {
            layout,
            journals: Vec::new(),
            control: Some(ControlJournals {
                previous: (page > 1).then(|| raw.page_href(page - 1)),
                next: (page < pages.min(attention::MAX_PAGE)).then(|| raw.page_href(page + 1)),
                problems: Problem::ALL
                    .into_iter()
                    .map(|p| (p.slug(), p.label()))
                    .collect(),
                raw,
                errors,
                choices,
                lines,
                total,
                page,
            }),
        });
    }
    let mut conn = state.pool.acquire().await?;
    let class_id = (member.role == Role::ClassTeacher)
        .then_some(member.class_id)
        .flatten();
    let journals = grid::journals(
        &mut conn,
        member.school.id,
        class_id,
        member.viewer.account_id,
        today(&state, &member),
    )
    .await?;
    Ok(JournalsPage {
        layout,
        journals,
        control: None,
    })
}

// ---------------------------------------------------------------- the grid

#[derive(Template)]
#[template(path = "journal.html")]
pub struct JournalPage {
    layout: Layout,
    /// With the grade's periods (the tabs) and the school's work types (the J16 form's choice).
    head: Head,
    period: PeriodTab,
    grid: Grid,
    /// «Сегодня»: the column the grid opens on (`#today`), on this page when it shows the
    /// period a plain visit shows, else on that page.
    today_href: String,
    can_write: bool,
    scale_hint: &'static str,
    /// The J16 form as typed, and its errors.
    external: ExternalMarkForm,
    errors: FieldErrors,
}

/// The grid is rendered into a buffer of about its size (a writable cell's markup is some 80
/// bytes, its ids being its row's and its column's): grown from the template's small estimate by
/// doubling, a quarter's page was copied over and over.
impl JournalPage {
    fn html(&self) -> AppResult<String> {
        let cells = self.grid.rows.len() * self.grid.heads.len();
        let mut html = String::with_capacity(32 * 1024 + cells * 96);
        self.render_into(&mut html)?;
        Ok(html)
    }
}

impl IntoResponse for JournalPage {
    fn into_response(self) -> Response {
        match self.html() {
            Ok(html) => axum::response::Html(html).into_response(),
            Err(e) => e.into_response(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PeriodQuery {
    #[serde(default, deserialize_with = "optional_id")]
    period: Option<i64>,
}

/// An id from a query string where `?period=` (empty) means none; a malformed one is none too
/// (the page then shows the current period).
fn optional_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    Ok(text.and_then(|t| t.trim().parse().ok()))
}

/// The period shown: the one asked for, else the one holding today, else the nearest.
fn choose_period(
    periods: &[PeriodTab],
    asked: Option<i64>,
    today: NaiveDate,
) -> AppResult<PeriodTab> {
    if let Some(id) = asked {
        return periods
            .iter()
            .find(|p| p.id == id)
            .cloned()
            .ok_or(AppError::NotFound);
    }
    periods
        .iter()
        .find(|p| p.span.contains(today))
        .or_else(|| periods.iter().rev().find(|p| p.span.starts_on <= today))
        .or(periods.first())
        .cloned()
        .ok_or_else(|| {
            AppError::Refused(
                "У класса нет учебных периодов: журнал появится, когда будет настроен учебный год."
                    .into(),
            )
        })
}

/// A teacher's account, to be asked with a journal's heading whether they teach the group
/// (`grid::head`); none for anyone else.
fn teacher(member: &Member) -> Option<i64> {
    matches!(member.role, Role::Teacher | Role::ClassTeacher).then_some(member.viewer.account_id)
}

pub async fn show(
    State(state): State<AppState>,
    member: Member,
    Path(group_id): Path<i64>,
    Query(q): Query<PeriodQuery>,
    Gzip(gzip): Gzip,
) -> AppResult<Response> {
    let layout = Layout::for_member(&member, "").await?;
    let mut conn = state.pool.acquire().await?;
    // Kept rendered while the journal and the school are unchanged (issue 16, `page_cache`).
    let asked = [
        group_id,
        i64::from(q.period.is_some()),
        q.period.unwrap_or(0),
    ];
    let today = today(&state, &member);
    let key = state.pages.key("journal", &member, today, asked, &layout);
    let versions = page_cache::journal(&mut conn, member.school.id, Of::Journal(group_id));
    let now = local_now(state.clock.as_ref(), &member.school.time_zone);
    let kept = match state.pages.look_up(key, versions, now, gzip).await? {
        Looked::Served(page, _) => return Ok(page),
        Looked::Render(kept) => kept,
    };
    let page = journal_page(
        &state,
        &member,
        &mut conn,
        layout,
        group_id,
        q.period,
        ExternalMarkForm::default(),
        FieldErrors::new(),
    )
    .await?;
    drop(conn);
    Ok(state.pages.answer(kept, Stamp::new, page.html()?, gzip))
}

#[allow(clippy::too_many_arguments)]
async fn journal_page(
    state: &AppState,
    member: &Member,
    conn: &mut sqlx::PgConnection,
    mut layout: Layout,
    group_id: i64,
    period: Option<i64>,
    external: ExternalMarkForm,
    errors: FieldErrors,
) -> AppResult<JournalPage> {
    let q = PeriodQuery { period };
    let head = grid::head(&mut *conn, member.school.id, group_id, teacher(member)).await?;
    let reading = service::may_read(
        &mut *conn,
        &member.access,
        member.viewer.account_id,
        group_id,
        head.class_id,
        head.reader_teaches,
    )
    .await?;
    let today = today(state, member);
    let period = choose_period(&head.periods, q.period, today)?;
    let today_href = if choose_period(&head.periods, None, today)?.id == period.id {
        "#today".to_string()
    } else {
        format!("/journal/{group_id}#today")
    };
    let grid = grid::grid(&mut *conn, member.school.id, &head, &period, today).await?;
    // Who teaches the group or substitutes in it writes. A teacher `may_read` asked is one of
    // the two (it lets no other teacher in); a class teacher reading their class was not asked.
    let can_write = matches!(member.role, Role::Teacher | Role::ClassTeacher)
        && match reading.teaches {
            Some(_) => true,
            None => {
                head.reader_teaches == Some(true)
                    || service::substitutes_in(
                        &mut *conn,
                        member.school.id,
                        group_id,
                        member.viewer.account_id,
                    )
                    .await?
            }
        };
    layout.title = format!("Журнал: {} — {}", head.subject, head.group_name);
    Ok(JournalPage {
        external,
        errors,
        layout,
        scale_hint: crate::journal::scale_hint(head.scale()),
        head,
        period,
        grid,
        today_href,
        can_write,
    })
}

/// A mark from another institution (J16).
pub async fn add_external(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    JournalWrite(member, form): JournalWrite<ExternalMarkForm>,
) -> AppResult<Response> {
    let actor = member.actor();
    match service::add_external_mark(
        &state.pool,
        &author(&state, &member, &actor),
        group_id,
        &form,
    )
    .await
    {
        Ok(_) => {
            flash(
                &member.viewer.session,
                "Отметка из другой организации внесена.",
            )
            .await?;
            Ok(Redirect::to(&format!("/journal/{group_id}")).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let layout = Layout::for_member(&member, "").await?;
            let mut conn = state.pool.acquire().await?;
            let page = journal_page(
                &state, &member, &mut conn, layout, group_id, None, form, errors,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => {
            flash_outcome(
                &member.viewer.session,
                &format!("/journal/{group_id}"),
                Err(e),
            )
            .await
        }
    }
}

// ---------------------------------------------------------------- one cell

/// A cell after a write, as the grid shows it (htmx swaps it in).
#[derive(Template, WebTemplate)]
#[template(path = "journal_cell.html")]
pub struct CellFragment {
    lesson: i64,
    column: Option<i64>,
    pupil: i64,
    /// What the input shows: the saved text, or what was typed when refused.
    value: String,
    /// The stored text (the next write's lost-update check).
    was: String,
    late: bool,
    /// «сохранено», or why not.
    status: Option<String>,
    refused: bool,
    needs_reason: bool,
    reason: String,
}

pub async fn cell(
    State(state): State<AppState>,
    headers: HeaderMap,
    JournalWrite(member, form): JournalWrite<CellForm>,
) -> AppResult<Response> {
    let actor = member.actor();
    let author = author(&state, &member, &actor);
    let save = Save {
        access: member.access,
        account_id: member.viewer.account_id,
        actor: actor.clone(),
        form: form.clone(),
    };
    let result = state.cells.write(save).await;
    let htmx = headers.contains_key("hx-request");
    if !htmx {
        // The plain form posts from the lesson page; back there with the outcome.
        let to = format!("/lessons/{}", form.lesson);
        return flash_outcome(
            &member.viewer.session,
            &to,
            result.map(|_| "Сохранено.".to_string()),
        )
        .await;
    }
    let fragment = match result {
        Ok(saved) => CellFragment {
            lesson: form.lesson,
            column: saved.column_id,
            pupil: form.pupil,
            value: saved.cell.text(),
            was: saved.cell.text(),
            late: saved.late,
            status: saved.changed.then(|| {
                if saved.late {
                    "сохранено (с опозданием)".to_string()
                } else {
                    "сохранено".to_string()
                }
            }),
            refused: false,
            needs_reason: false,
            reason: String::new(),
        },
        // Not this person's journal: a neutral empty cell that names no value and no pupil.
        Err(AppError::Forbidden) => {
            let fragment = CellFragment {
                lesson: form.lesson,
                column: form.column,
                pupil: form.pupil,
                value: String::new(),
                was: String::new(),
                late: false,
                status: Some("Нет доступа к этому журналу.".into()),
                refused: true,
                needs_reason: false,
                reason: String::new(),
            };
            return Ok((StatusCode::FORBIDDEN, fragment).into_response());
        }
        Err(e @ (AppError::Refused(_) | AppError::Invalid(_))) => {
            // A refusal reaches only someone who reads the journal (asked again with the same
            // permission checks). What was typed stays in the cell, marked, until corrected
            // (issue 15); the next write is checked against what is stored. Only when someone
            // else changed the cell meanwhile does it show the current value.
            let needs_reason =
                matches!(&e, AppError::Invalid(errors) if errors.get("reason").is_some());
            let mut conn = state.pool.acquire().await?;
            let now =
                service::readable_cell(&mut conn, &author, form.lesson, form.column, form.pupil)
                    .await?;
            let changed_meanwhile = form.was.as_deref().is_some_and(|w| w.trim() != now.text());
            CellFragment {
                lesson: form.lesson,
                column: form.column,
                pupil: form.pupil,
                value: if changed_meanwhile {
                    now.text()
                } else {
                    form.value.clone()
                },
                was: now.text(),
                late: false,
                status: Some(service::message_of(e)),
                refused: true,
                needs_reason,
                reason: form.reason.clone(),
            }
        }
        Err(e) => return Err(e),
    };
    Ok(fragment.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "journal_history.html")]
pub struct HistoryPage {
    layout: Layout,
    lesson: LessonCtx,
    pupil: String,
    lines: Vec<HistoryLine>,
    time_zone: String,
}

#[derive(Debug, Deserialize)]
pub struct CellQuery {
    lesson: i64,
    #[serde(default)]
    column: Option<i64>,
    pupil: i64,
}

impl HistoryPage {
    fn when(&self, line: &HistoryLine) -> String {
        let tz: chrono_tz::Tz = self.time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
        line.at
            .with_timezone(&tz)
            .format("%d.%m.%Y %H:%M")
            .to_string()
    }

    fn state(value: &Option<serde_json::Value>) -> String {
        let Some(v) = value else { return String::new() };
        let mut parts = Vec::new();
        if let Some(absent) = v.get("absent").and_then(|a| a.as_bool()) {
            parts.push(
                if absent {
                    "н"
                } else {
                    "присутствовал"
                }
                .to_string(),
            );
        }
        if let Some(mark) = v.get("value") {
            parts.push(mark.as_str().unwrap_or("—").to_string());
        }
        if let Some(reason) = v.get("reason").and_then(|r| r.as_str()) {
            parts.push(
                AbsenceReason::parse(reason)
                    .map_or("", AbsenceReason::short)
                    .to_string(),
            );
        }
        if v.get("late_entry").and_then(|l| l.as_bool()) == Some(true) {
            parts.push("(с опозданием)".into());
        }
        parts.join(" ")
    }

    fn action(line: &HistoryLine) -> &str {
        crate::audit::labels::action(&line.action)
    }
}

/// A cell's history: who, when, before → after, why.
pub async fn history(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<CellQuery>,
) -> AppResult<HistoryPage> {
    let mut conn = state.pool.acquire().await?;
    let actor = member.actor();
    let (lesson, pupil, lines) = service::cell_history(
        &mut conn,
        &author(&state, &member, &actor),
        q.lesson,
        q.column,
        q.pupil,
    )
    .await?;
    Ok(HistoryPage {
        layout: Layout::for_member(&member, "История клетки журнала").await?,
        lesson,
        pupil,
        lines,
        time_zone: member.school.time_zone.clone(),
    })
}

// ---------------------------------------------------------------- the lesson page

#[derive(Template, WebTemplate)]
#[template(path = "lesson.html")]
pub struct LessonPage {
    layout: Layout,
    lesson: LessonCtx,
    columns: Vec<ColumnRow>,
    /// Column ids for the pupils' table: the lesson's columns, or one implicit (None).
    column_ids: Vec<Option<i64>>,
    pupils: Vec<LessonPupil>,
    work_types: Vec<(i64, String)>,
    /// What the member is at this lesson (J9, J15): the union decides what they may write.
    caps: Capacities,
    form: LessonForm,
    errors: FieldErrors,
    cell_errors: HashMap<i64, String>,
    substitute: Option<String>,
    /// Why the lesson cannot be written now (locked, not started, period closed), or that
    /// entries will be late.
    lock_note: Option<String>,
    /// J7: homework written now would be late.
    homework_note: Option<String>,
}

impl LessonPage {
    fn cell_error(&self, pupil: &i64) -> Option<&String> {
        self.cell_errors.get(pupil)
    }

    fn can_write(&self) -> bool {
        self.caps.writes_lesson()
    }

    /// J7: «позже 2 ч после последнего урока класса».
    fn homework_window(&self) -> String {
        crate::rules::journal::minutes_text(i64::from(self.lesson.homework_window_minutes))
    }

    fn reason_of<'a>(&self, p: &'a LessonPupil) -> &'a str {
        p.reason.as_deref().unwrap_or("")
    }
}

async fn lesson_page(
    state: &AppState,
    member: &Member,
    lesson_id: i64,
    form: Option<LessonForm>,
    errors: FieldErrors,
    cell_errors: HashMap<i64, String>,
) -> AppResult<LessonPage> {
    let layout = Layout::for_member(member, "").await?;
    let mut conn = state.pool.acquire().await?;
    lesson_page_on(
        state,
        member,
        &mut conn,
        layout,
        lesson_id,
        (form, errors, cell_errors),
    )
    .await
}

/// The lesson page on the page's connection, around `layout`, with what was typed and refused
/// (`typed`: the form, its errors, the cells' errors).
async fn lesson_page_on(
    state: &AppState,
    member: &Member,
    conn: &mut sqlx::PgConnection,
    mut layout: Layout,
    lesson_id: i64,
    typed: (Option<LessonForm>, FieldErrors, HashMap<i64, String>),
) -> AppResult<LessonPage> {
    let (form, errors, cell_errors) = typed;
    let school = member.school.id;
    let actor = member.actor();
    let author = author(state, member, &actor);
    let (lesson, standing) = service::readable_lesson(
        &mut *conn,
        &author,
        lesson_id,
        crate::journal::repo::For::Page,
    )
    .await?;
    let (columns, work_types) =
        repo::lesson_columns_and_work_types(&mut *conn, school, lesson.id).await?;
    let column_ids: Vec<Option<i64>> = if columns.is_empty() {
        vec![None]
    } else {
        columns.iter().map(|c| Some(c.id)).collect()
    };
    let pupils = grid::lesson_pupils(
        &mut *conn,
        school,
        lesson.group_id,
        lesson.id,
        lesson.lesson_date,
        &column_ids,
    )
    .await?;
    // The management write no lesson: no capacity, no journal state, no notice.
    let caps = standing.map_or_else(Capacities::default, |(caps, _)| caps);
    let lock_note = service::lock_note(&author, &lesson, standing);
    let homework_note = service::homework_note(&author, &lesson, standing);
    let substitute = lesson.substitute_name.clone();
    let shown_homework = lesson.homework.clone().unwrap_or_else(|| {
        if lesson.homework_none {
            "Не задано".into()
        } else {
            String::new()
        }
    });
    let form = form.unwrap_or_else(|| LessonForm {
        topic: lesson
            .topic
            .clone()
            .or_else(|| lesson.planned_topic.clone())
            .unwrap_or_default(),
        homework: lesson.homework.clone().unwrap_or_default(),
        homework_none: lesson.homework_none.then(|| "on".to_string()),
        homework_minutes: lesson
            .homework_minutes
            .map(|m| m.to_string())
            .unwrap_or_default(),
        teacher_comment: lesson.teacher_comment.clone().unwrap_or_default(),
        was_topic: Some(lesson.topic.clone().unwrap_or_default()),
        was_homework: Some(shown_homework),
    });
    layout.title = format!(
        "Урок {} — {}",
        lesson.lesson_date.format("%d.%m.%Y"),
        lesson.subject_name
    );
    Ok(LessonPage {
        layout,
        lesson,
        columns,
        column_ids,
        pupils,
        work_types,
        caps,
        form,
        errors,
        cell_errors,
        substitute,
        lock_note,
        homework_note,
    })
}

/// The lesson page. Kept rendered while the journal and the school are unchanged, on its day,
/// until its notices may change by the clock (the lesson begins, the homework's time is over:
/// `service::notices_change_at`) — issue 16, `page_cache`.
pub async fn lesson(
    State(state): State<AppState>,
    member: Member,
    Path(lesson_id): Path<i64>,
    Gzip(gzip): Gzip,
) -> AppResult<Response> {
    let layout = Layout::for_member(&member, "").await?;
    let mut conn = state.pool.acquire().await?;
    let now = local_now(state.clock.as_ref(), &member.school.time_zone);
    let key = state
        .pages
        .key("lesson", &member, now.date(), [lesson_id, 0, 0], &layout);
    let versions = page_cache::journal(&mut conn, member.school.id, Of::Lesson(lesson_id));
    let kept = match state.pages.look_up(key, versions, now, gzip).await? {
        Looked::Served(page, _) => return Ok(page),
        Looked::Render(kept) => kept,
    };
    let typed = (None, FieldErrors::new(), HashMap::new());
    let page = lesson_page_on(&state, &member, &mut conn, layout, lesson_id, typed).await?;
    drop(conn);
    let until = service::notices_change_at(&page.lesson, now);
    let stamp = |versions| Stamp {
        until,
        ..Stamp::new(versions)
    };
    Ok(state.pages.answer(kept, stamp, page.render()?, gzip))
}

pub async fn save_lesson(
    State(state): State<AppState>,
    Path(lesson_id): Path<i64>,
    JournalWrite(member, form): JournalWrite<LessonForm>,
) -> AppResult<Response> {
    let actor = member.actor();
    match service::save_lesson(
        &state.pool,
        &author(&state, &member, &actor),
        lesson_id,
        &form,
    )
    .await
    {
        Ok(()) => {
            flash(&member.viewer.session, "Запись об уроке сохранена.").await?;
            Ok(Redirect::to(&format!("/lessons/{lesson_id}")).into_response())
        }
        Err(AppError::Invalid(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            lesson_page(
                &state,
                &member,
                lesson_id,
                Some(form),
                errors,
                HashMap::new(),
            )
            .await?,
        )
            .into_response()),
        Err(AppError::Refused(why)) => {
            let mut errors = FieldErrors::new();
            errors.add("topic", why);
            Ok((
                StatusCode::CONFLICT,
                lesson_page(
                    &state,
                    &member,
                    lesson_id,
                    Some(form),
                    errors,
                    HashMap::new(),
                )
                .await?,
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

/// The lesson page's table of cells: fields `cell_<column or 0>_<pupil>` and `was_…`, and one
/// `reason` for corrections.
pub async fn save_cells(
    State(state): State<AppState>,
    Path(lesson_id): Path<i64>,
    JournalWrite(member, fields): JournalWrite<Vec<(String, String)>>,
) -> AppResult<Response> {
    let values: HashMap<&str, &str> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let reason = values.get("reason").copied().unwrap_or("").to_string();
    let mut cells = Vec::new();
    for (key, value) in &fields {
        let Some(rest) = key.strip_prefix("cell_") else {
            continue;
        };
        let Some((column, pupil)) = rest.split_once('_') else {
            continue;
        };
        let (Ok(column), Ok(pupil)) = (column.parse::<i64>(), pupil.parse::<i64>()) else {
            continue;
        };
        cells.push(CellForm {
            lesson: lesson_id,
            column: (column != 0).then_some(column),
            pupil,
            value: value.clone(),
            was: values
                .get(format!("was_{rest}").as_str())
                .map(|w| w.to_string()),
            reason: reason.clone(),
        });
    }
    let actor = member.actor();
    match service::write_cells(
        &state.pool,
        &author(&state, &member, &actor),
        lesson_id,
        &cells,
    )
    .await?
    {
        Ok(changed) => {
            flash(
                &member.viewer.session,
                format!("Сохранено клеток: {changed}."),
            )
            .await?;
            Ok(Redirect::to(&format!("/lessons/{lesson_id}")).into_response())
        }
        Err(problems) => {
            let cell_errors: HashMap<i64, String> = problems.into_iter().collect();
            let mut page = lesson_page(
                &state,
                &member,
                lesson_id,
                None,
                FieldErrors::new(),
                cell_errors,
            )
            .await?;
            // Give back what was typed.
            for p in &mut page.pupils {
                for (i, c) in page.column_ids.iter().enumerate() {
                    let key = format!("cell_{}_{}", c.unwrap_or(0), p.pupil_id);
                    if let Some(v) = values.get(key.as_str()) {
                        p.absent = false;
                        if let Some(m) = p.marks.get_mut(i) {
                            *m = v.to_string();
                        }
                    }
                }
            }
            page.errors
                .add("cells", "Ничего не сохранено: исправьте отмеченные строки.");
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ColumnForm {
    #[serde(default)]
    work_type: String,
    #[serde(default)]
    column: Option<i64>,
}

pub async fn add_column(
    State(state): State<AppState>,
    Path(lesson_id): Path<i64>,
    JournalWrite(member, form): JournalWrite<ColumnForm>,
) -> AppResult<Response> {
    let actor = member.actor();
    let result = match form.work_type.parse::<i64>() {
        Ok(wt) => service::add_column(&state.pool, &author(&state, &member, &actor), lesson_id, wt)
            .await
            .map(|_| "Столбец отметок добавлен.".to_string()),
        Err(_) => Err(AppError::invalid("work_type", "Выберите вид работы.")),
    };
    flash_outcome(
        &member.viewer.session,
        &format!("/lessons/{lesson_id}"),
        result,
    )
    .await
}

pub async fn set_column_type(
    State(state): State<AppState>,
    Path(lesson_id): Path<i64>,
    JournalWrite(member, form): JournalWrite<ColumnForm>,
) -> AppResult<Response> {
    let actor = member.actor();
    let result = match form.work_type.parse::<i64>() {
        Ok(wt) => service::set_column_work_type(
            &state.pool,
            &author(&state, &member, &actor),
            lesson_id,
            form.column,
            wt,
        )
        .await
        .map(|_| "Вид работы изменён.".to_string()),
        Err(_) => Err(AppError::invalid("work_type", "Выберите вид работы.")),
    };
    flash_outcome(
        &member.viewer.session,
        &format!("/lessons/{lesson_id}"),
        result,
    )
    .await
}

/// The class teacher's absence reasons: fields `reason_<pupil>`.
pub async fn save_reasons(
    State(state): State<AppState>,
    Path(lesson_id): Path<i64>,
    JournalWrite(member, fields): JournalWrite<Vec<(String, String)>>,
) -> AppResult<Response> {
    let actor = member.actor();
    let author = author(&state, &member, &actor);
    let mut done = 0;
    let mut result = Ok(());
    for (key, value) in &fields {
        let Some(pupil) = key
            .strip_prefix("reason_")
            .and_then(|p| p.parse::<i64>().ok())
        else {
            continue;
        };
        match service::set_absence_reason(&state.pool, &author, lesson_id, pupil, value).await {
            Ok(()) => done += 1,
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    flash_outcome(
        &member.viewer.session,
        &format!("/lessons/{lesson_id}"),
        result.map(|_| format!("Причины пропусков сохранены ({done}).")),
    )
    .await
}

// ---------------------------------------------------------------- period marks

#[derive(Template, WebTemplate)]
#[template(path = "period_marks.html")]
pub struct PeriodMarksPage {
    layout: Layout,
    head: Head,
    period: PeriodTab,
    grid: Grid,
    window: String,
    can_write: bool,
    values: Vec<PeriodMarkValue>,
    typed: HashMap<i64, (String, String)>,
    problems: HashMap<i64, String>,
    /// A refusal of the whole form (the window), shown once beside the button.
    refusal: Option<String>,
    /// What the typed marks will do, waiting for «Подтвердить» (issue 15, item 4).
    preview: Option<PeriodMarksPreview>,
    corrections: Vec<CorrectionRow>,
    /// J6: the school needs the director's agreement to a correction.
    needs_director: bool,
    correction_errors: FieldErrors,
    /// The correction request form as typed: pupil, value, explanation.
    correction_form: Option<(i64, String, String)>,
}

impl PeriodMarksPage {
    /// The value preselected for a pupil: what was typed, else the suggestion — but never «н/а»:
    /// not attesting a pupil is the teacher's own choice, not a default.
    fn chosen(&self, pupil: &i64, suggestion: &str) -> String {
        self.typed
            .get(pupil)
            .map(|t| t.0.clone())
            .unwrap_or_else(|| {
                if suggestion == "na" {
                    String::new()
                } else {
                    suggestion.to_string()
                }
            })
    }

    /// The typed fields the confirmation form carries again: (`value_<id>`, value) and
    /// (`deferred_<id>`, date).
    fn typed_fields(&self) -> Vec<(String, String)> {
        let mut list = Vec::new();
        for (id, (value, deferred)) in &self.typed {
            list.push((format!("value_{id}"), value.clone()));
            if !deferred.is_empty() {
                list.push((format!("deferred_{id}"), deferred.clone()));
            }
        }
        list.sort();
        list
    }

    /// The pupils' names, in the grid's order, of `ids`.
    fn names(&self, ids: &[i64]) -> String {
        self.grid
            .rows
            .iter()
            .filter(|r| ids.contains(&r.pupil_id))
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// How many suggestions are «н/а» among pupils without a period mark.
    fn suggested_na(&self) -> usize {
        self.grid
            .rows
            .iter()
            .filter(|r| r.period_mark.is_none() && r.suggestion == "na")
            .count()
    }

    fn deferred(&self, pupil: &i64) -> String {
        self.typed
            .get(pupil)
            .map(|t| t.1.clone())
            .unwrap_or_default()
    }

    fn problem(&self, pupil: &i64) -> Option<&String> {
        self.problems.get(pupil)
    }
}

async fn period_marks_page(
    state: &AppState,
    member: &Member,
    group_id: i64,
    period_id: Option<i64>,
    typed: HashMap<i64, (String, String)>,
    problems: HashMap<i64, String>,
    correction_errors: FieldErrors,
) -> AppResult<PeriodMarksPage> {
    let mut conn = state.pool.acquire().await?;
    let head = grid::head(&mut conn, member.school.id, group_id, teacher(member)).await?;
    service::may_read(
        &mut conn,
        &member.access,
        member.viewer.account_id,
        group_id,
        head.class_id,
        head.reader_teaches,
    )
    .await?;
    let today = today(state, member);
    let period = choose_period(&head.periods, period_id, today)?;
    let grid = grid::grid(&mut conn, member.school.id, &head, &period, today).await?;
    let can_write = head.reader_teaches == Some(true);
    drop(conn);
    let window = crate::rules::journal::period_mark_window(period.span, &head.settings).show();
    let corrections = period::corrections(&state.pool, member.school.id, Some(group_id)).await?;
    let needs_director = crate::tenancy::settings::current(&state.pool, member.school.id)
        .await?
        .correction_needs_director;
    Ok(PeriodMarksPage {
        layout: Layout::for_member(
            member,
            &format!("Итоговые отметки: {} — {}", head.subject, head.group_name),
        )
        .await?,
        values: PeriodMarkValue::for_scale(head.scale()),
        head,
        period,
        grid,
        window,
        can_write,
        typed,
        problems,
        refusal: None,
        preview: None,
        corrections,
        needs_director,
        correction_errors,
        correction_form: None,
    })
}

pub async fn period_marks(
    State(state): State<AppState>,
    member: Member,
    Path(group_id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> AppResult<PeriodMarksPage> {
    period_marks_page(
        &state,
        &member,
        group_id,
        q.period,
        HashMap::new(),
        HashMap::new(),
        FieldErrors::new(),
    )
    .await
}

/// Fields `value_<pupil>` and `deferred_<pupil>` (a date), and `confirm=1` once the teacher
/// saw what they will do: without it nothing is written and the page shows the numbers with a
/// «Подтвердить» button carrying the same fields.
pub async fn save_period_marks(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    Query(q): Query<PeriodQuery>,
    JournalWrite(member, fields): JournalWrite<Vec<(String, String)>>,
) -> AppResult<Response> {
    let period_id = q.period.ok_or(AppError::NotFound)?;
    let mut typed: HashMap<i64, (String, String)> = HashMap::new();
    for (key, value) in &fields {
        if let Some(p) = key
            .strip_prefix("value_")
            .and_then(|p| p.parse::<i64>().ok())
        {
            typed.entry(p).or_default().0 = value.clone();
        }
        if let Some(p) = key
            .strip_prefix("deferred_")
            .and_then(|p| p.parse::<i64>().ok())
        {
            typed.entry(p).or_default().1 = value.clone();
        }
    }
    let confirmed = fields.iter().any(|(k, v)| k == "confirm" && v == "1");
    let mut problems: HashMap<i64, String> = HashMap::new();
    let mut refusal = None;
    let mut preview = None;
    let mut inputs = Vec::new();
    for (&pupil, (value, deferred)) in &typed {
        let deferred_until = match deferred.trim() {
            "" => None,
            d => match crate::school_year::calendar::parse_date(d) {
                Some(d) => Some(d),
                None => {
                    problems.insert(pupil, "Укажите дату в виде ДД.ММ.ГГГГ.".into());
                    continue;
                }
            },
        };
        let value = match value.as_str() {
            "" => None,
            v => match PeriodMarkValue::parse(v) {
                Some(v) => Some(v),
                None => {
                    problems.insert(pupil, "Выберите отметку из списка.".into());
                    continue;
                }
            },
        };
        inputs.push(PeriodMarkInput {
            pupil_id: pupil,
            value,
            deferred_until,
        });
    }
    if problems.is_empty() {
        let actor = member.actor();
        match period::set_period_marks(
            &state.pool,
            &author(&state, &member, &actor),
            group_id,
            period_id,
            &inputs,
            confirmed,
        )
        .await?
        {
            Ok(PeriodMarksOutcome::Saved(n)) => {
                flash(
                    &member.viewer.session,
                    format!("Итоговые отметки сохранены: {n}. Они уже в сводной ведомости."),
                )
                .await?;
                return Ok(Redirect::to(&format!(
                    "/journal/{group_id}/period-marks?period={period_id}"
                ))
                .into_response());
            }
            Ok(PeriodMarksOutcome::ToConfirm(p)) => preview = Some(p),
            Err(list) => {
                refusal = list.general;
                problems.extend(list.pupils);
            }
        }
    }
    let status = if preview.is_some() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = period_marks_page(
        &state,
        &member,
        group_id,
        Some(period_id),
        typed,
        problems,
        FieldErrors::new(),
    )
    .await?;
    page.refusal = refusal;
    page.preview = preview;
    Ok((status, page).into_response())
}

#[derive(Debug, Deserialize)]
pub struct CorrectionForm {
    pupil: i64,
    #[serde(default)]
    value: String,
    #[serde(default)]
    explanation: String,
}

pub async fn request_correction(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    Query(q): Query<PeriodQuery>,
    JournalWrite(member, form): JournalWrite<CorrectionForm>,
) -> AppResult<Response> {
    let period_id = q.period.ok_or(AppError::NotFound)?;
    let actor = member.actor();
    let result = period::request_correction(
        &state.pool,
        &author(&state, &member, &actor),
        group_id,
        period_id,
        form.pupil,
        &form.value,
        &form.explanation,
    )
    .await;
    match result {
        Ok(_) => {
            flash(
                &member.viewer.session,
                "Заявка на исправление отправлена заместителю директора.",
            )
            .await?;
            Ok(Redirect::to(&format!(
                "/journal/{group_id}/period-marks?period={period_id}"
            ))
            .into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let mut page = period_marks_page(
                &state,
                &member,
                group_id,
                Some(period_id),
                HashMap::new(),
                HashMap::new(),
                errors,
            )
            .await?;
            page.correction_form = Some((form.pupil, form.value.clone(), form.explanation.clone()));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => {
            flash_outcome(
                &member.viewer.session,
                &format!("/journal/{group_id}/period-marks?period={period_id}"),
                Err(e),
            )
            .await
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "corrections.html")]
pub struct CorrectionsPage {
    layout: Layout,
    requests: Vec<CorrectionRow>,
    time_zone: String,
    /// A deputy or the director: approves or refuses pending requests.
    can_decide: bool,
    /// The director: agrees to (or refuses) approved requests (J6).
    can_agree: bool,
    /// The school needs the director's agreement (`school.correction_needs_director`).
    needs_director: bool,
    /// Requests waiting for the director's agreement.
    awaiting: i64,
    /// A refused decision: the request, the note as typed, and why.
    refused: Option<(i64, String, String)>,
}

impl CorrectionsPage {
    /// The note as typed for a request whose decision was refused.
    fn typed_note(&self, id: &i64) -> &str {
        match &self.refused {
            Some((r, note, _)) if r == id => note,
            _ => "",
        }
    }

    fn note_error(&self, id: &i64) -> Option<&str> {
        match &self.refused {
            Some((r, _, why)) if r == id => Some(why),
            _ => None,
        }
    }
}

async fn corrections_page(
    state: &AppState,
    member: &Member,
    refused: Option<(i64, String, String)>,
) -> AppResult<CorrectionsPage> {
    if !member.access.can_decide_corrections() {
        return Err(AppError::Forbidden);
    }
    let settings = crate::tenancy::settings::current(&state.pool, member.school.id).await?;
    let (_, awaiting) = period::waiting(&state.pool, member.school.id).await?;
    Ok(CorrectionsPage {
        layout: Layout::for_member(member, "Заявки на исправление итоговых отметок").await?,
        requests: period::corrections(&state.pool, member.school.id, None).await?,
        time_zone: member.school.time_zone.clone(),
        can_decide: member.access.can_decide_corrections(),
        can_agree: member.access.can_agree_corrections(),
        needs_director: settings.correction_needs_director,
        awaiting,
        refused,
    })
}

pub async fn corrections(
    State(state): State<AppState>,
    member: Member,
) -> AppResult<CorrectionsPage> {
    corrections_page(&state, &member, None).await
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

/// A decision's form, read only for those who decide correction requests (a deputy, the
/// director): everyone else is refused (403) before the body is parsed (J6).
pub struct Deciding(Member, DecisionForm);

impl axum::extract::FromRequest<AppState> for Deciding {
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use axum::extract::FromRequestParts;
        let (mut parts, body) = request.into_parts();
        let member = Member::from_request_parts(&mut parts, state).await?;
        if !member.access.can_decide_corrections() {
            return Err(AppError::Forbidden.into_response());
        }
        let request = axum::extract::Request::from_parts(parts, body);
        let Form(form) = Form::<DecisionForm>::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self(member, form))
    }
}

pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Deciding(member, form): Deciding,
) -> AppResult<Response> {
    let approve = form.decision == "approve";
    let actor = member.actor();
    let result = period::decide_correction(
        &state.pool,
        &author(&state, &member, &actor),
        id,
        approve,
        &form.note,
    )
    .await;
    match result {
        Ok(decided) => {
            let done = match decided {
                period::Decided::AwaitsDirector => {
                    "Заявка утверждена и передана директору на согласование: отметка изменится после его согласия."
                }
                period::Decided::Applied => "Заявка утверждена: итоговая отметка исправлена.",
                period::Decided::Rejected => "Заявка отклонена.",
            };
            flash_outcome(&member.viewer.session, "/corrections", Ok(done.to_string())).await
        }
        Err(AppError::Invalid(errors)) => {
            let why = errors.get("note").unwrap_or_default().to_string();
            let page = corrections_page(&state, &member, Some((id, form.note, why))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => flash_outcome(&member.viewer.session, "/corrections", Err(e)).await,
    }
}

// ---------------------------------------------------------------- summary sheet

#[derive(Template, WebTemplate)]
#[template(path = "summary_sheet.html")]
pub struct SummaryPage {
    layout: Layout,
    class_id: i64,
    class_name: String,
    periods: Vec<PeriodTab>,
    /// The period shown, or `None` for the year.
    period: Option<PeriodTab>,
    sheet: SummarySheet,
    /// J17: the class's ГИА results (grades 9 and 11).
    gia: Vec<crate::gia::ResultLine>,
    definitions: &'static [&'static str],
}

impl SummaryPage {
    /// `period=<id>` or `period=year`, for the links.
    fn period_param(&self) -> String {
        self.period
            .as_ref()
            .map_or("year".to_string(), |p| p.id.to_string())
    }

    fn figure(&self, x: impl std::borrow::Borrow<Option<f64>>) -> String {
        crate::rules::class_totals::show(*x.borrow())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SummaryQuery {
    /// A period's id, or `year` for the whole year; empty or malformed: the current period.
    #[serde(default)]
    period: Option<String>,
    /// `xlsx` or `csv`: the sheet as a file.
    #[serde(default)]
    format: Option<String>,
}

/// The class's summary sheet of period marks (J14), of a period or of the year, with the
/// class's figures per period; printable, and as XLSX or CSV (`?format=`).
pub async fn summary(
    State(state): State<AppState>,
    member: Member,
    Path(class_id): Path<i64>,
    Query(q): Query<SummaryQuery>,
) -> AppResult<Response> {
    // The director and the deputies, and the class teacher of this class (docs/ACCESS.md),
    // decided before a row is read.
    let own_class = member.role == Role::ClassTeacher && member.access.class_id == Some(class_id);
    if !(member.access.can_read_every_journal() || own_class) {
        return Err(AppError::Forbidden);
    }
    let mut conn = state.pool.acquire().await?;
    let class = crate::pupils::repo::class(&mut conn, member.school.id, class_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // The periods of the class's grade, through any of its groups' heads.
    let any_group = repo::any_group_of_class(&mut conn, member.school.id, class_id)
        .await?
        .ok_or_else(|| AppError::Refused("У класса ещё нет учебного плана.".into()))?;
    let periods = grid::head(&mut conn, member.school.id, any_group, None)
        .await?
        .periods;
    drop(conn);
    let period = if q.period.as_deref() == Some("year") {
        None
    } else {
        let asked = q.period.as_deref().and_then(|p| p.parse::<i64>().ok());
        Some(choose_period(&periods, asked, today(&state, &member))?)
    };
    let shown: Vec<period::SheetPeriod> = periods
        .iter()
        .filter(|p| period.as_ref().is_none_or(|one| one.id == p.id))
        .map(|p| period::SheetPeriod {
            id: p.id,
            name: &p.name,
            span: p.span,
        })
        .collect();
    let sheet = period::summary_sheet(&state.pool, member.school.id, class_id, &shown).await?;
    let title = format!(
        "Сводная ведомость {} {}",
        class.name(),
        period.as_ref().map_or("год", |p| p.name.as_str())
    );
    if let Some(file) = super::downloads::file(&sheet.table(title), q.format.as_deref())? {
        return Ok(file);
    }
    let gia = crate::gia::class_results(&state.pool, member.school.id, class_id).await?;
    Ok(SummaryPage {
        layout: Layout::for_member(&member, &format!("Сводная ведомость {}", class.name())).await?,
        class_id,
        class_name: class.name(),
        periods,
        period,
        sheet,
        gia,
        definitions: &crate::diary::class::DEFINITIONS,
    }
    .into_response())
}
