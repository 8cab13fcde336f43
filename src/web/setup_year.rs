//! Setting up the school year's calendar: years, study periods, holidays, bells.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::extract::Member;
use super::layout::{Layout, flash};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::rules::calendar::PeriodKind;
use crate::school_year::calendar::{
    self, BELL_ROWS, HOLIDAY_KINDS, HolidayForm, NewYearForm, SchemeForm, YearCalendar,
};
use crate::school_year::repo::{self, YearRow};

fn require_view(member: &Member) -> AppResult<()> {
    if member.access.can_view_year_setup() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The year a page of the year's setup shows when opened without `?year=` (issue 15, item 13):
/// the one asked for, else the year containing today, else the open one started last, else the
/// latest. A school without any year is told to add one.
pub(super) async fn year_or_current(
    state: &AppState,
    member: &Member,
    year: Option<i64>,
) -> AppResult<i64> {
    if let Some(year) = year {
        return Ok(year);
    }
    let mut conn = state.pool.acquire().await?;
    repo::current_year(
        &mut conn,
        member.school.id,
        super::journal::today(state, member),
    )
    .await?
    .ok_or_else(|| {
        AppError::Refused("Учебных годов пока нет: сначала добавьте учебный год.".into())
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "setup_years.html")]
pub struct YearsPage {
    layout: Layout,
    years: Vec<YearRow>,
    can_edit: bool,
    form: NewYearForm,
    errors: FieldErrors,
}

async fn years_page(
    state: &AppState,
    member: &Member,
    form: NewYearForm,
    errors: FieldErrors,
) -> AppResult<YearsPage> {
    Ok(YearsPage {
        layout: Layout::for_member(member, "Учебные годы").await?,
        years: repo::years(&*state.pool, member.school.id).await?,
        can_edit: member.access.can_setup_year(),
        form,
        errors,
    })
}

pub async fn years(State(state): State<AppState>, member: Member) -> AppResult<YearsPage> {
    require_view(&member)?;
    let form = NewYearForm {
        week_days: "5".into(),
        defaults: Some("on".into()),
        ..NewYearForm::default()
    };
    years_page(&state, &member, form, FieldErrors::new()).await
}

pub async fn add_year(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<NewYearForm>,
) -> AppResult<Response> {
    match calendar::add_year(&state.pool, &member.access, &member.actor(), &form).await {
        Ok(id) => {
            flash(&member.viewer.session, "Учебный год добавлен.").await?;
            Ok(Redirect::to(&format!("/setup/years/{id}")).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let page = years_page(&state, &member, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "setup_year.html")]
pub struct YearPage {
    layout: Layout,
    cal: YearCalendar,
    can_edit: bool,
    kinds: [PeriodKind; 3],
    holiday_kinds: [(&'static str, &'static str); 6],
    bell_rows: Vec<usize>,
    scheme: SchemeForm,
    holiday: HolidayForm,
    errors: FieldErrors,
}

impl YearPage {
    /// The bell time of a lesson of a shift, for the form: («08:30», «09:15»).
    fn bell(&self, shift: &i16, n: &usize) -> (String, String) {
        self.cal
            .bells
            .iter()
            .find(|b| b.shift == *shift && b.lesson_number as usize == *n)
            .map(|b| {
                (
                    b.starts_at.format("%H:%M").to_string(),
                    b.ends_at.format("%H:%M").to_string(),
                )
            })
            .unwrap_or_default()
    }

    fn holiday_kind(&self, kind: &str) -> &'static str {
        HOLIDAY_KINDS
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, l)| *l)
            .unwrap_or("")
    }
}

async fn year_page(
    state: &AppState,
    member: &Member,
    year_id: i64,
    (scheme, holiday): (SchemeForm, HolidayForm),
    errors: FieldErrors,
) -> AppResult<YearPage> {
    let cal = calendar::year_calendar(&state.pool, member.school.id, year_id).await?;
    let title = format!("Учебный год {}", cal.year.name);
    Ok(YearPage {
        layout: Layout::for_member(member, &title).await?,
        can_edit: member.access.can_setup_year() && !cal.year.closed,
        cal,
        kinds: PeriodKind::ALL,
        holiday_kinds: HOLIDAY_KINDS,
        bell_rows: (1..=BELL_ROWS).collect(),
        scheme,
        holiday,
        errors,
    })
}

fn blank_forms() -> (SchemeForm, HolidayForm) {
    let scheme = SchemeForm {
        kind: "quarter".into(),
        grade_from: "1".into(),
        grade_to: "11".into(),
        ..SchemeForm::default()
    };
    let holiday = HolidayForm {
        kind: "extra".into(),
        grade_from: "1".into(),
        grade_to: "11".into(),
        ..HolidayForm::default()
    };
    (scheme, holiday)
}

pub async fn year(
    State(state): State<AppState>,
    member: Member,
    Path(year_id): Path<i64>,
) -> AppResult<YearPage> {
    require_view(&member)?;
    year_page(&state, &member, year_id, blank_forms(), FieldErrors::new()).await
}

/// After a write: back to the year page with a message, or the page again with the errors
/// next to the form that was sent (and what was typed in it).
async fn outcome(
    state: &AppState,
    member: &Member,
    year_id: i64,
    result: AppResult<()>,
    done: &str,
    forms: (SchemeForm, HolidayForm),
) -> AppResult<Response> {
    match result {
        Ok(()) => {
            flash(&member.viewer.session, done).await?;
            Ok(Redirect::to(&format!("/setup/years/{year_id}")).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let page = year_page(state, member, year_id, forms, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AppError::Refused(why)) => {
            flash(&member.viewer.session, why).await?;
            Ok(Redirect::to(&format!("/setup/years/{year_id}")).into_response())
        }
        Err(e) => Err(e),
    }
}

pub async fn add_scheme(
    State(state): State<AppState>,
    member: Member,
    Path(year_id): Path<i64>,
    Form(form): Form<SchemeForm>,
) -> AppResult<Response> {
    let result =
        calendar::add_scheme(&state.pool, &member.access, &member.actor(), year_id, &form).await;
    let forms = (form, blank_forms().1);
    outcome(
        &state,
        &member,
        year_id,
        result,
        "Учебные периоды добавлены.",
        forms,
    )
    .await
}

pub async fn delete_scheme(
    State(state): State<AppState>,
    member: Member,
    Path((year_id, scheme_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let result = calendar::delete_scheme(
        &state.pool,
        &member.access,
        &member.actor(),
        year_id,
        scheme_id,
    )
    .await;
    outcome(
        &state,
        &member,
        year_id,
        result,
        "Учебные периоды удалены.",
        blank_forms(),
    )
    .await
}

pub async fn add_holiday(
    State(state): State<AppState>,
    member: Member,
    Path(year_id): Path<i64>,
    Form(form): Form<HolidayForm>,
) -> AppResult<Response> {
    let result =
        calendar::add_holiday(&state.pool, &member.access, &member.actor(), year_id, &form).await;
    let forms = (blank_forms().0, form);
    outcome(
        &state,
        &member,
        year_id,
        result,
        "Каникулы добавлены.",
        forms,
    )
    .await
}

pub async fn delete_holiday(
    State(state): State<AppState>,
    member: Member,
    Path((year_id, holiday_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let result = calendar::delete_holiday(
        &state.pool,
        &member.access,
        &member.actor(),
        year_id,
        holiday_id,
    )
    .await;
    outcome(
        &state,
        &member,
        year_id,
        result,
        "Каникулы удалены.",
        blank_forms(),
    )
    .await
}

pub async fn set_bells(
    State(state): State<AppState>,
    member: Member,
    Path(year_id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let result = calendar::set_bells(
        &state.pool,
        &member.access,
        &member.actor(),
        year_id,
        &fields,
    )
    .await;
    outcome(
        &state,
        &member,
        year_id,
        result,
        "Звонки сохранены.",
        blank_forms(),
    )
    .await
}
