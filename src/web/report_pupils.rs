//! Two reports about pupils (regulations §5): «Что нужно наверстать» (`/reports/catch-up`: per
//! pupil, the lessons missed with their topics and the unsatisfactory marks with their topics) and
//! «Нагрузка домашними заданиями» (`/reports/homework-load`: minutes a day per class against the
//! school's limits). Built as `web::reports`: the filter from GET parameters, who sees what
//! decided before anything is read (`reports::scope`), CSV and XLSX of the same figures.
//! The homework load is the school's and the class teacher's: a teacher gets 403.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Response;

use super::AppState;
use super::extract::Member;
use super::journal::today;
use super::layout::Layout;
use super::reports::{FilterForm, file, filter_form, scope};
use crate::error::{AppError, AppResult};
use crate::reports::catch_up::{self, CatchUp};
use crate::reports::homework_load::{self, HomeworkLoad};
use crate::reports::{RawFilter, Scope};
use crate::tenancy::settings;

#[derive(Template, WebTemplate)]
#[template(path = "reports/catch_up.html")]
pub struct CatchUpPage {
    layout: Layout,
    form: FilterForm,
    report: Option<CatchUp>,
}

impl CatchUpPage {
    fn drill(&self, key: &str, id: &i64) -> String {
        format!(
            "/reports/catch-up?{}",
            self.form.raw.with(key, &id.to_string())
        )
    }
}

async fn catch_up_of(
    state: &AppState,
    member: &Member,
    form: &FilterForm,
) -> AppResult<Option<CatchUp>> {
    match &form.filter {
        Some(f) => Ok(Some(
            catch_up::report(&state.pool, member.school.id, f, today(state, member)).await?,
        )),
        None => Ok(None),
    }
}

pub async fn catch_up_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<CatchUpPage> {
    let form = filter_form(&state, &member, raw).await?;
    let report = catch_up_of(&state, &member, &form).await?;
    Ok(CatchUpPage {
        layout: Layout::for_member(&member, "Пропущенные темы и неудовлетворительные отметки")
            .await?,
        form,
        report,
    })
}

async fn catch_up_file(
    state: AppState,
    member: Member,
    raw: RawFilter,
    xlsx: bool,
) -> AppResult<Response> {
    let form = filter_form(&state, &member, raw).await?;
    let (Some(f), Some(report)) = (&form.filter, catch_up_of(&state, &member, &form).await?) else {
        return Err(AppError::Invalid(form.errors));
    };
    let title = format!(
        "Пропущенные темы и неудовлетворительные отметки: {}, с {} по {}",
        f.year_label,
        f.from.format("%d.%m.%Y"),
        f.to.format("%d.%m.%Y")
    );
    file(&report.table(&title), xlsx)
}

pub async fn catch_up_csv(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    catch_up_file(state, member, raw, false).await
}

pub async fn catch_up_xlsx(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    catch_up_file(state, member, raw, true).await
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/homework_load.html")]
pub struct HomeworkLoadPage {
    layout: Layout,
    form: FilterForm,
    report: Option<HomeworkLoad>,
}

impl HomeworkLoadPage {
    fn drill(&self, key: &str, id: &i64) -> String {
        format!(
            "/reports/homework-load?{}",
            self.form.raw.with(key, &id.to_string())
        )
    }
}

/// The school and a class teacher only: a teacher's own journals are not a class's whole day.
fn load_scope(member: &Member) -> AppResult<()> {
    match scope(member)? {
        Scope::School | Scope::Class(_) => Ok(()),
        Scope::Teacher(_) => Err(AppError::Forbidden),
    }
}

async fn homework_load_of(
    state: &AppState,
    member: &Member,
    form: &FilterForm,
) -> AppResult<Option<HomeworkLoad>> {
    match &form.filter {
        Some(f) => {
            let limits = settings::current(&state.pool, member.school.id).await?;
            Ok(Some(
                homework_load::report(&state.pool, member.school.id, f, &limits).await?,
            ))
        }
        None => Ok(None),
    }
}

pub async fn homework_load_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<HomeworkLoadPage> {
    load_scope(&member)?;
    let form = filter_form(&state, &member, raw).await?;
    let report = homework_load_of(&state, &member, &form).await?;
    Ok(HomeworkLoadPage {
        layout: Layout::for_member(&member, "Нагрузка домашними заданиями").await?,
        form,
        report,
    })
}

async fn homework_load_file(
    state: AppState,
    member: Member,
    raw: RawFilter,
    xlsx: bool,
) -> AppResult<Response> {
    load_scope(&member)?;
    let form = filter_form(&state, &member, raw).await?;
    let (Some(f), Some(report)) = (
        &form.filter,
        homework_load_of(&state, &member, &form).await?,
    ) else {
        return Err(AppError::Invalid(form.errors));
    };
    let title = format!(
        "Нагрузка домашними заданиями: {}, с {} по {}",
        f.year_label,
        f.from.format("%d.%m.%Y"),
        f.to.format("%d.%m.%Y")
    );
    file(&report.table(&title), xlsx)
}

pub async fn homework_load_csv(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    homework_load_file(state, member, raw, false).await
}

pub async fn homework_load_xlsx(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    homework_load_file(state, member, raw, true).await
}
