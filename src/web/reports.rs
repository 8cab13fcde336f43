//! The reports section (regulations §5): `/reports` lists them; each report reads its filter from
//! GET parameters (so a view can be bookmarked, printed and exported as it is) and exports the
//! same figures to CSV and XLSX. Who sees what is decided before anything is read: the director
//! and the deputies the whole school, a class teacher their class (the filter forced), a teacher
//! their own journals (the teacher forced), everyone else 403 (docs/ACCESS.md).
//! The helpers here (`scope`, `filter_form`, `FilterForm`, `file`, `pct`) serve every report page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Response;

use super::AppState;
use super::extract::Member;
use super::journal::today;
use super::layout::Layout;
use crate::authz::Role;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::exports::table::Table;
use crate::reports::attendance::{self, Attendance};
use crate::reports::progress::{self, Figures, Progress};
use crate::reports::{self, Choices, Filter, RawFilter, Scope};

/// The part of the school the member may see, or 403.
pub(super) fn scope(member: &Member) -> AppResult<Scope> {
    match member.role {
        Role::Director | Role::Deputy => Ok(Scope::School),
        Role::ClassTeacher => member.class_id.map(Scope::Class).ok_or(AppError::Forbidden),
        Role::Teacher => Ok(Scope::Teacher(member.viewer.account_id)),
        _ => Err(AppError::Forbidden),
    }
}

/// The filter form's state shared by the report pages.
pub struct FilterForm {
    pub raw: RawFilter,
    pub choices: Choices,
    pub errors: FieldErrors,
    pub filter: Option<Filter>,
    /// The class is forced (a class teacher): no class list, no drill-down by class.
    pub forced: bool,
    /// The teacher is forced (a teacher's own journals): no teacher list.
    pub own_journals: bool,
}

impl FilterForm {
    pub fn chosen(&self, value: &str, id: &i64) -> bool {
        value.trim() == id.to_string()
    }

    pub fn year_chosen(&self, id: &i64) -> bool {
        self.choices.year.as_ref().is_some_and(|y| y.id == *id)
    }

    pub fn query(&self) -> String {
        self.raw.query()
    }

    /// A typed date as a date field shows it (ГГГГ-ММ-ДД; «01.09.2026» in an address too); what
    /// is not a date stays as typed, its message beside the field.
    pub fn date_value(&self, text: &str) -> String {
        crate::school_year::calendar::parse_date(text)
            .map_or_else(|| text.to_string(), |d| d.format("%Y-%m-%d").to_string())
    }
}

pub(super) async fn filter_form(
    state: &AppState,
    member: &Member,
    raw: RawFilter,
) -> AppResult<FilterForm> {
    let scope = scope(member)?;
    let today = today(state, member);
    let choices = reports::choices(
        &state.pool,
        member.school.id,
        reports::asked_year(&raw),
        today,
    )
    .await?;
    let (filter, errors) = reports::parse_filter(&raw, &choices, scope, today);
    Ok(FilterForm {
        raw,
        choices,
        errors,
        filter,
        forced: matches!(scope, Scope::Class(_)),
        own_journals: matches!(scope, Scope::Teacher(_)),
    })
}

pub(super) fn pct(v: Option<i64>) -> String {
    v.map_or("—".into(), |t| reports::decimal(t, 1))
}

/// The report as the file asked for (`exports::table`, sent as the class reports are).
pub(super) fn file(table: &Table, xlsx: bool) -> AppResult<Response> {
    let format = if xlsx { "xlsx" } else { "csv" };
    super::downloads::file(table, Some(format))?.ok_or(AppError::NotFound)
}

/// A report read through the shared filter: what its page, its CSV and its XLSX have in common.
/// A page handler calls `load`; the files are the generic handlers `csv::<R>` and `xlsx::<R>`.
pub(super) trait Report: Sized + Send + 'static {
    /// The report's name, first in its files' titles.
    const NAME: &'static str;

    /// A refusal beyond `scope`, decided before anything is read.
    fn check(_member: &Member) -> AppResult<()> {
        Ok(())
    }

    /// The report for a valid filter.
    fn read(
        state: &AppState,
        member: &Member,
        f: &Filter,
    ) -> impl std::future::Future<Output = AppResult<Self>> + Send;

    /// What the file's title says after the name and the year: the dates by default.
    fn span(&self, f: &Filter) -> String {
        format!(
            "с {} по {}",
            f.from.format("%d.%m.%Y"),
            f.to.format("%d.%m.%Y")
        )
    }

    /// The figures as one table for the files (the same as the page's).
    fn file_table(&self, title: &str) -> Table;
}

/// The filter form and, when the filter is valid, the report (permissions first).
pub(super) async fn load<R: Report>(
    state: &AppState,
    member: &Member,
    raw: RawFilter,
) -> AppResult<(FilterForm, Option<R>)> {
    R::check(member)?;
    let form = filter_form(state, member, raw).await?;
    let report = match &form.filter {
        Some(f) => Some(R::read(state, member, f).await?),
        None => None,
    };
    Ok((form, report))
}

async fn send<R: Report>(
    state: AppState,
    member: Member,
    raw: RawFilter,
    xlsx: bool,
) -> AppResult<Response> {
    let (form, report) = load::<R>(&state, &member, raw).await?;
    let (Some(f), Some(report)) = (&form.filter, report) else {
        return Err(AppError::Invalid(form.errors));
    };
    let title = format!("{}: {}, {}", R::NAME, f.year_label, report.span(f));
    file(&report.file_table(&title), xlsx)
}

/// `/reports/<name>.csv` of the report `R`.
pub(super) async fn csv<R: Report>(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    send::<R>(state, member, raw, false).await
}

/// `/reports/<name>.xlsx` of the report `R`.
pub(super) async fn xlsx<R: Report>(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    send::<R>(state, member, raw, true).await
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/index.html")]
pub struct IndexPage {
    layout: Layout,
    /// The activity report is the viewer's (the administrator opens it from the menu).
    activity: bool,
}

pub async fn index(member: Member) -> AppResult<IndexPage> {
    scope(&member)?;
    Ok(IndexPage {
        layout: Layout::for_member(&member, "Отчёты").await?,
        activity: super::report_activity::may_see(&member),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/progress.html")]
pub struct ProgressPage {
    layout: Layout,
    form: FilterForm,
    report: Option<Progress>,
}

impl ProgressPage {
    fn pct(&self, v: Option<i64>) -> String {
        pct(v)
    }

    fn avg(&self, f: &Figures) -> String {
        f.average_hundredths()
            .map_or("—".into(), |h| reports::decimal(h, 2))
    }

    /// The same report narrowed to one class, subject or teacher.
    fn drill(&self, key: &str, id: &i64) -> String {
        format!(
            "/reports/progress?{}",
            self.form.raw.with(key, &id.to_string())
        )
    }

    fn by_period(&self) -> bool {
        self.form
            .filter
            .as_ref()
            .is_some_and(|f| f.period_id.is_some())
    }
}

pub async fn progress_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<ProgressPage> {
    let (form, report) = load::<Progress>(&state, &member, raw).await?;
    Ok(ProgressPage {
        layout: Layout::for_member(&member, "Успеваемость и качество знаний").await?,
        form,
        report,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/attendance.html")]
pub struct AttendancePage {
    layout: Layout,
    form: FilterForm,
    report: Option<Attendance>,
}

impl AttendancePage {
    fn pct(&self, v: Option<i64>) -> String {
        pct(v)
    }

    fn drill(&self, key: &str, id: &i64) -> String {
        format!(
            "/reports/attendance?{}",
            self.form.raw.with(key, &id.to_string())
        )
    }
}

pub async fn attendance_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<AttendancePage> {
    let (form, report) = load::<Attendance>(&state, &member, raw).await?;
    Ok(AttendancePage {
        layout: Layout::for_member(&member, "Посещаемость").await?,
        form,
        report,
    })
}

impl Report for Progress {
    const NAME: &'static str = "Успеваемость и качество знаний";

    async fn read(state: &AppState, member: &Member, f: &Filter) -> AppResult<Self> {
        progress::report(&state.pool, member.school.id, f).await
    }

    fn span(&self, f: &Filter) -> String {
        f.what.clone()
    }

    fn file_table(&self, title: &str) -> Table {
        self.table(title)
    }
}

impl Report for Attendance {
    const NAME: &'static str = "Посещаемость";

    async fn read(state: &AppState, member: &Member, f: &Filter) -> AppResult<Self> {
        attendance::report(&state.pool, member.school.id, f, today(state, member)).await
    }

    fn file_table(&self, title: &str) -> Table {
        self.table(title)
    }
}
