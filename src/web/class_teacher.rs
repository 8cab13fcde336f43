//! The class teacher's pages (regulations §4; 003, 004): the class at a glance (risk group,
//! parents who have not opened the diary), parents' diary activity, the risk group, the week's
//! absence reasons (J9), the period report, and the printed weekly extract of the whole class.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{FromRequest, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use super::AppState;
use super::downloads;
use super::extract::Member;
use super::home::TeacherDay;
use super::journal::{author, today};
use super::layout::{Layout, flash_outcome};
use crate::authz::Role;
use crate::diary::class::{self, ClassCtx, ClassReport, ParentActivity, RiskLine, WeekAbsence};
use crate::diary::marks as period_marks;
use crate::diary::{self, DiaryPupil};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::input::plural;
use crate::journal::AbsenceReason;
use crate::journal::grid::PeriodTab;
use crate::journal::service::{self, DaysReasonDone, DaysReasonForm};

/// The class teacher's class.
async fn my_class(state: &AppState, member: &Member) -> AppResult<ClassCtx> {
    member.require(&[Role::ClassTeacher])?;
    let class_id = member.class_id.ok_or(AppError::Forbidden)?;
    class::class_ctx(&state.pool, member.school.id, class_id).await
}

#[derive(Template, WebTemplate)]
#[template(path = "home_class_teacher.html")]
pub struct ClassTeacherHome {
    layout: Layout,
    today_text: String,
    class: ClassCtx,
    pupils: Vec<crate::tenancy::repo::PupilLine>,
    risk: Vec<RiskLine>,
    inactive: Vec<ParentActivity>,
    not_acknowledged: usize,
    inactivity_days: i64,
    /// Pupils whose parents get the diary on paper (§4).
    paper_pupils: usize,
    draft: RiskDraft,
    /// The class teacher teaches too: their day as on the teacher's start page.
    teacher: TeacherDay,
    /// The week the printed extract offers first (the last week with lessons).
    extract_week: NaiveDate,
}

/// What was typed into the risk-group form and why it was refused, to show it again.
#[derive(Debug, Default)]
pub struct RiskDraft {
    pupil: i64,
    note: String,
    error: Option<String>,
}

/// The class teacher's start page, with both hats: their own lessons of the day, remarks and
/// accumulation warnings on their journals (as a teacher's start page), and the class — the risk
/// group of the day and the parents to contact.
pub async fn home(State(state): State<AppState>, member: Member) -> AppResult<ClassTeacherHome> {
    home_page(&state, &member, RiskDraft::default()).await
}

async fn home_page(
    state: &AppState,
    member: &Member,
    draft: RiskDraft,
) -> AppResult<ClassTeacherHome> {
    let class = my_class(state, member).await?;
    let school = member.school.id;
    let today = today(state, member);
    // The diary views counted so far (`diary::visits`) are part of what this page shows (a
    // write: on the primary).
    state.visits.flush(state.pool.primary()).await?;
    let days = class::inactivity_days(&state.pool, school).await?;
    let parents = class::parents_activity(&state.pool, school, class.id, today).await?;
    let not_acknowledged = parents
        .iter()
        .filter(|p| p.has_account && !p.acknowledged_last_week(today))
        .count();
    let mut paper: Vec<i64> = parents
        .iter()
        .filter(|p| p.on_paper())
        .map(|p| p.pupil_id)
        .collect();
    paper.sort_unstable();
    paper.dedup();
    Ok(ClassTeacherHome {
        layout: Layout::for_member(member, &format!("Класс {}", class.name)).await?,
        today_text: today.format("%d.%m.%Y").to_string(),
        pupils: crate::tenancy::repo::class_pupils(&state.pool, school, class.id).await?,
        risk: class::risk_group(&state.pool, school, class.id, today).await?,
        inactive: parents
            .into_iter()
            .filter(|p| p.inactive(today, days))
            .collect(),
        not_acknowledged,
        inactivity_days: days,
        paper_pupils: paper.len(),
        draft,
        teacher: TeacherDay::of(state, member).await?,
        extract_week: class::last_lesson_week(&state.pool, school, class.id, today).await?,
        class,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "class_parents.html")]
pub struct ParentsPage {
    layout: Layout,
    class: ClassCtx,
    parents: Vec<ParentActivity>,
    today: NaiveDate,
    inactivity_days: i64,
}

impl ParentsPage {
    fn inactive(&self, p: &ParentActivity) -> bool {
        p.inactive(self.today, self.inactivity_days)
    }

    fn acknowledged(&self, p: &ParentActivity) -> bool {
        p.acknowledged_last_week(self.today)
    }
}

/// Parents' diary activity: last opening, openings this week, acknowledged weeks (000 §15, 003).
pub async fn parents(State(state): State<AppState>, member: Member) -> AppResult<ParentsPage> {
    let class = my_class(&state, &member).await?;
    let today = today(&state, &member);
    // The diary views counted so far (`diary::visits`) are part of what this page shows (a
    // write: on the primary).
    state.visits.flush(state.pool.primary()).await?;
    Ok(ParentsPage {
        layout: Layout::for_member(&member, "Активность родителей").await?,
        parents: class::parents_activity(&state.pool, member.school.id, class.id, today).await?,
        inactivity_days: class::inactivity_days(&state.pool, member.school.id).await?,
        class,
        today,
    })
}

#[derive(Debug, Deserialize)]
pub struct RiskForm {
    #[serde(default)]
    pupil: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    note: String,
}

/// Puts a pupil into the risk group, or takes them out. A refused note comes back in the form
/// with the message next to it.
pub async fn set_risk(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<RiskForm>,
) -> AppResult<Response> {
    let class = my_class(&state, &member).await?;
    let pupil = form.pupil.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let on = form.on == "1";
    let actor = member.actor();
    let author = author(&state, &member, &actor);
    let result = class::set_risk(&state.pool, &author, class.id, pupil, on, &form.note).await;
    match result {
        Err(AppError::Invalid(errors)) => {
            let draft = RiskDraft {
                pupil,
                note: form.note,
                error: errors.0.get("note").cloned(),
            };
            let page = home_page(&state, &member, draft).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        result => {
            let result = result.map(|()| {
                if on {
                    "Обучающийся в группе риска.".to_string()
                } else {
                    "Обучающийся исключён из группы риска.".to_string()
                }
            });
            flash_outcome(&member.viewer.session, "/class-teacher", result).await
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "class_absences.html")]
pub struct AbsencesPage {
    layout: Layout,
    class: ClassCtx,
    monday: NaiveDate,
    absences: Vec<WeekAbsence>,
    reasons: [AbsenceReason; 3],
    /// The class's pupils, for the reason of whole days.
    pupils: Vec<crate::tenancy::repo::PupilLine>,
    /// The reason of whole days as typed (or offered by a row's «весь день»), and its errors.
    days: DaysReasonForm,
    errors: FieldErrors,
}

impl AbsencesPage {
    fn prev(&self) -> String {
        (self.monday - Duration::days(7)).to_string()
    }
    fn next(&self) -> String {
        (self.monday + Duration::days(7)).to_string()
    }
    fn title(&self) -> String {
        format!(
            "{} — {}",
            self.monday.format("%d.%m.%Y"),
            (self.monday + Duration::days(6)).format("%d.%m.%Y")
        )
    }
    /// The first absence of a pupil's day offers the reason for the whole day.
    fn starts_day(&self, i: usize) -> bool {
        i == 0
            || self.absences.get(i - 1).map(|p| (p.pupil_id, p.date))
                != self.absences.get(i).map(|a| (a.pupil_id, a.date))
    }
    /// A typed date as a date field shows it (ГГГГ-ММ-ДД); what is not a date stays as typed.
    fn date_value(&self, text: &str) -> String {
        crate::school_year::calendar::parse_date(text)
            .map_or_else(|| text.to_string(), |d| d.format("%Y-%m-%d").to_string())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct WeekQuery {
    #[serde(default)]
    week: Option<String>,
    /// A row's «весь день»: the reason form offers this pupil and day.
    #[serde(default)]
    pupil: Option<String>,
    #[serde(default)]
    day: Option<String>,
}

/// The Monday of the week asked for (any day of it, ГГГГ-ММ-ДД or ДД.ММ.ГГГГ), else of the last
/// week with lessons before today (`class::last_lesson_week`): on a Monday the week just ended.
async fn week_of(
    state: &AppState,
    member: &Member,
    class: &ClassCtx,
    asked: Option<&str>,
) -> AppResult<NaiveDate> {
    use chrono::Datelike;
    // A date far outside any school year would overflow the week's arithmetic: not asked.
    let asked = asked
        .and_then(crate::school_year::calendar::parse_date)
        .filter(|d| (1900..=2200).contains(&d.year()));
    match asked {
        Some(day) => Ok(diary::monday(day)),
        None => {
            class::last_lesson_week(
                &state.pool,
                member.school.id,
                class.id,
                today(state, member),
            )
            .await
        }
    }
}

async fn absences_page(
    state: &AppState,
    member: &Member,
    class: ClassCtx,
    monday: NaiveDate,
    days: DaysReasonForm,
    errors: FieldErrors,
) -> AppResult<AbsencesPage> {
    let school = member.school.id;
    Ok(AbsencesPage {
        layout: Layout::for_member(member, "Пропуски за неделю").await?,
        absences: class::week_absences(&state.pool, school, class.id, monday).await?,
        pupils: crate::tenancy::repo::class_pupils(&state.pool, school, class.id).await?,
        class,
        monday,
        reasons: AbsenceReason::ALL,
        days,
        errors,
    })
}

/// The class's absences of a week with their reasons (J9: УП, НП, Б), and the form that sets a
/// reason for a pupil's whole day or several days at once.
pub async fn absences(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<WeekQuery>,
) -> AppResult<AbsencesPage> {
    let class = my_class(&state, &member).await?;
    let monday = week_of(&state, &member, &class, q.week.as_deref()).await?;
    let day = q.day.unwrap_or_default();
    let days = DaysReasonForm {
        pupil: q.pupil.unwrap_or_default(),
        from: day.clone(),
        to: day,
        reason: String::new(),
    };
    absences_page(&state, &member, class, monday, days, FieldErrors::new()).await
}

/// Saves the reasons changed on the week's page; each through the journal's one write (J9,
/// audited). Reports how many were saved and why others were not.
pub async fn save_absences(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<WeekQuery>,
    Form(form): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let class = my_class(&state, &member).await?;
    let monday = week_of(&state, &member, &class, q.week.as_deref()).await?;
    let current = class::week_absences(&state.pool, member.school.id, class.id, monday).await?;
    let actor = member.actor();
    let author = author(&state, &member, &actor);
    let (mut saved, mut refused) = (0, Vec::new());
    for a in &current {
        let Some(asked) = form.get(&format!("r_{}_{}", a.lesson_id, a.pupil_id)) else {
            continue;
        };
        if a.reason.as_deref().unwrap_or("") == asked {
            continue;
        }
        match service::set_absence_reason(&state.pool, &author, a.lesson_id, a.pupil_id, asked)
            .await
        {
            Ok(()) => saved += 1,
            Err(e @ (AppError::Refused(_) | AppError::Invalid(_))) => refused.push(format!(
                "{} {}: {}",
                a.pupil,
                a.date.format("%d.%m"),
                service::message_of(e)
            )),
            Err(e) => return Err(e),
        }
    }
    let mut message = format!("Сохранено причин: {saved}.");
    if !refused.is_empty() {
        message.push_str(" Не сохранено: ");
        message.push_str(&refused.join("; "));
    }
    flash_outcome(
        &member.viewer.session,
        &format!("/class-teacher/absences?week={monday}"),
        Ok(message),
    )
    .await
}

/// Sets one reason for every absence of a pupil of the class on a day or over several days
/// (J9, `service::set_absence_reason_for_days`: one transaction, each change audited). A
/// mistyped form comes back filled in with the message next to its field; then the week of the
/// first day is shown with what was done.
pub async fn save_days_reason(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<WeekQuery>,
    request: axum::extract::Request,
) -> AppResult<Response> {
    // The class teacher of a class, or 403 before the body is read.
    let class = my_class(&state, &member).await?;
    let form = match Form::<DaysReasonForm>::from_request(request, &state).await {
        Ok(Form(form)) => form,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let actor = member.actor();
    let author = author(&state, &member, &actor);
    match service::set_absence_reason_for_days(&state.pool, &author, &form).await {
        Ok(done) => {
            let to = format!("/class-teacher/absences?week={}", diary::monday(done.from));
            flash_outcome(&member.viewer.session, &to, Ok(days_message(&done))).await
        }
        Err(AppError::Invalid(errors)) => {
            let monday = week_of(&state, &member, &class, q.week.as_deref()).await?;
            let page = absences_page(&state, &member, class, monday, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// «Причина «Б — болезнь» указана для 5 пропусков 12.10–13.10.», with what was not changed.
fn days_message(done: &DaysReasonDone) -> String {
    let days = if done.from == done.to {
        done.from.format("%d.%m.%Y").to_string()
    } else {
        format!(
            "с {} по {}",
            done.from.format("%d.%m.%Y"),
            done.to.format("%d.%m.%Y")
        )
    };
    let reason = format!("«{} — {}»", done.reason.short(), done.reason.label());
    let mut message = if done.changed + done.unchanged == 0 && done.refused.is_empty() {
        format!(
            "У обучающегося нет отмеченных пропусков «н» ({days}): причина не указана. Пропуск отмечает учитель на уроке."
        )
    } else {
        let n = done.changed;
        format!(
            "Причина {reason} указана для {n} {} ({days}).",
            plural(n, "пропуска", "пропусков", "пропусков")
        )
    };
    if done.unchanged > 0 {
        let n = done.unchanged;
        message.push_str(&format!(
            " Уже с этой причиной: {n} {}.",
            plural(n, "пропуск", "пропуска", "пропусков")
        ));
    }
    if !done.refused.is_empty() {
        message.push_str(" Не изменено: ");
        message.push_str(&done.refused.join("; "));
        message.push('.');
    }
    message
}

#[derive(Template, WebTemplate)]
#[template(path = "class_report.html")]
pub struct ReportPage {
    layout: Layout,
    class: ClassCtx,
    /// The page's own address: `/class-teacher/report` or `/classes/{id}/report`.
    base: String,
    periods: Vec<PeriodTab>,
    period: Option<PeriodTab>,
    report: Option<ClassReport>,
    preliminary_from: Option<NaiveDate>,
    definitions: &'static [&'static str],
}

impl ReportPage {
    fn figure(&self, x: impl std::borrow::Borrow<Option<f64>>) -> String {
        crate::rules::class_totals::show(*x.borrow())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    period: Option<String>,
    /// `xlsx` or `csv`: the report as a file.
    #[serde(default)]
    format: Option<String>,
}

/// The report on progress and attendance of a period: preliminary (forecasts) until its end —
/// due 2 weeks before it — and final (period marks) after (003, 004); with the class's totals,
/// printable, and as XLSX or CSV (`?format=`).
pub async fn report(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    let class = my_class(&state, &member).await?;
    report_page(&state, &member, class, "/class-teacher/report".into(), q).await
}

/// The same report of any class, for the director and the deputies, and for the class teacher
/// of that class (docs/ACCESS.md); another school's class is 404.
pub async fn class_report(
    State(state): State<AppState>,
    member: Member,
    Path(class_id): Path<i64>,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    let class = class::class_ctx(&state.pool, member.school.id, class_id).await?;
    let own_class = member.role == Role::ClassTeacher && member.access.class_id == Some(class_id);
    if !(member.access.can_read_every_journal() || own_class) {
        return Err(AppError::Forbidden);
    }
    report_page(
        &state,
        &member,
        class,
        format!("/classes/{class_id}/report"),
        q,
    )
    .await
}

async fn report_page(
    state: &AppState,
    member: &Member,
    class: ClassCtx,
    base: String,
    q: ReportQuery,
) -> AppResult<Response> {
    let today = today(state, member);
    let periods = period_marks::periods(
        &mut *state.pool.acquire().await?,
        member.school.id,
        &class.pupil(0, String::new()),
    )
    .await?;
    let asked = q.period.as_deref().and_then(|p| p.parse::<i64>().ok());
    let period = period_marks::pick(&periods, asked, today).cloned();
    let report = match &period {
        Some(p) => Some(
            class::report(
                &state.pool,
                member.school.id,
                class.id,
                class.grade,
                p,
                today,
            )
            .await?,
        ),
        None => None,
    };
    if downloads::wants_file(q.format.as_deref()) {
        let (Some(p), Some(r)) = (&period, &report) else {
            return Err(AppError::NotFound);
        };
        let kind = if r.final_report {
            "Итоговый отчёт"
        } else {
            "Предварительный отчёт"
        };
        let title = format!("{kind} {} {}", class.name, p.name);
        if let Some(file) = downloads::file(&r.table(title), q.format.as_deref())? {
            return Ok(file);
        }
    }
    Ok(ReportPage {
        layout: Layout::for_member(member, "Отчёт об успеваемости и посещаемости").await?,
        preliminary_from: period.as_ref().map(|p| p.span.ends_on - Duration::days(14)),
        class,
        base,
        periods,
        period,
        report,
        definitions: &class::DEFINITIONS,
    }
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct PaperForm {
    #[serde(default)]
    parent: String,
    #[serde(default)]
    on: String,
}

/// Records a parent's request for the printed weekly extract, or its end (§4).
pub async fn set_paper(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<PaperForm>,
) -> AppResult<Response> {
    let class = my_class(&state, &member).await?;
    let parent = form.parent.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let on = form.on == "1";
    let actor = member.actor();
    let author = author(&state, &member, &actor);
    let result = class::set_paper_extract(&state.pool, &author, class.id, parent, on)
        .await
        .map(|()| {
            if on {
                "Родитель будет получать выписку на бумаге.".to_string()
            } else {
                "Выписка на бумаге родителю больше не печатается.".to_string()
            }
        });
    flash_outcome(&member.viewer.session, "/class-teacher/parents", result).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ExtractQuery {
    /// Any day of the week (ГГГГ-ММ-ДД or ДД.ММ.ГГГГ); else the last week with lessons.
    #[serde(default)]
    week: Option<String>,
    /// `paper`: only the pupils whose parents get the diary on paper.
    #[serde(default)]
    only: Option<String>,
    /// One pupil of the class.
    #[serde(default)]
    pupil: Option<String>,
}

/// The printed weekly extract (§4): one A4 page per pupil — the whole class, the pupils whose
/// parents get the diary on paper (`only=paper`), or one pupil (`pupil=`).
pub async fn extract(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<ExtractQuery>,
) -> AppResult<Response> {
    let class = my_class(&state, &member).await?;
    let today = today(&state, &member);
    let monday = week_of(&state, &member, &class, q.week.as_deref()).await?;
    let school = member.school.id;
    let mut lines = crate::tenancy::repo::class_pupils(&state.pool, school, class.id).await?;
    if let Some(asked) = q.pupil.as_deref() {
        let id = asked.parse::<i64>().map_err(|_| AppError::NotFound)?;
        lines.retain(|l| l.pupil_id == id);
        if lines.is_empty() {
            return Err(AppError::NotFound);
        }
    } else if q.only.as_deref() == Some("paper") {
        let paper = class::paper_pupils(&state.pool, school, class.id).await?;
        lines.retain(|l| paper.contains(&l.pupil_id));
        if lines.is_empty() {
            return flash_outcome(
                &member.viewer.session,
                "/class-teacher",
                Err(AppError::Refused(
                    "Выписку на бумаге не получает ни один родитель класса.".into(),
                )),
            )
            .await;
        }
    }
    let pupils: Vec<DiaryPupil> = lines
        .iter()
        .map(|l| class.pupil(l.pupil_id, l.full_name.clone()))
        .collect();
    let weeks = {
        let mut conn = state.pool.acquire().await?;
        crate::diary::week::weeks(&mut conn, school, &pupils, monday, today).await?
    };
    let pdf = crate::exports::diary_pdf::weekly_extract(
        &member.school.name,
        &pupils.iter().zip(weeks.iter()).collect::<Vec<_>>(),
        today,
    )
    .map_err(|e| AppError::Refused(e.message().into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"extract-{monday}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}
