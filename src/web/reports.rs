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

async fn progress_of(
    state: &AppState,
    member: &Member,
    form: &FilterForm,
) -> AppResult<Option<Progress>> {
    match &form.filter {
        Some(f) => Ok(Some(
            progress::report(&state.pool, member.school.id, f).await?,
        )),
        None => Ok(None),
    }
}

pub async fn progress_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<ProgressPage> {
    let form = filter_form(&state, &member, raw).await?;
    let report = progress_of(&state, &member, &form).await?;
    Ok(ProgressPage {
        layout: Layout::for_member(&member, "Успеваемость и качество знаний").await?,
        form,
        report,
    })
}

async fn progress_file(
    state: AppState,
    member: Member,
    raw: RawFilter,
    xlsx: bool,
) -> AppResult<Response> {
    let form = filter_form(&state, &member, raw).await?;
    let (Some(f), Some(report)) = (&form.filter, progress_of(&state, &member, &form).await?) else {
        return Err(AppError::Invalid(form.errors));
    };
    let title = format!(
        "Успеваемость и качество знаний: {}, {}",
        f.year_label, f.what
    );
    file(&report.table(&title), xlsx)
}

pub async fn progress_csv(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    progress_file(state, member, raw, false).await
}

pub async fn progress_xlsx(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    progress_file(state, member, raw, true).await
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

async fn attendance_of(
    state: &AppState,
    member: &Member,
    form: &FilterForm,
) -> AppResult<Option<Attendance>> {
    match &form.filter {
        Some(f) => Ok(Some(
            attendance::report(&state.pool, member.school.id, f, today(state, member)).await?,
        )),
        None => Ok(None),
    }
}

pub async fn attendance_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<AttendancePage> {
    let form = filter_form(&state, &member, raw).await?;
    let report = attendance_of(&state, &member, &form).await?;
    Ok(AttendancePage {
        layout: Layout::for_member(&member, "Посещаемость").await?,
        form,
        report,
    })
}

async fn attendance_file(
    state: AppState,
    member: Member,
    raw: RawFilter,
    xlsx: bool,
) -> AppResult<Response> {
    let form = filter_form(&state, &member, raw).await?;
    let (Some(f), Some(report)) = (&form.filter, attendance_of(&state, &member, &form).await?)
    else {
        return Err(AppError::Invalid(form.errors));
    };
    let title = format!(
        "Посещаемость: {}, с {} по {}",
        f.year_label,
        f.from.format("%d.%m.%Y"),
        f.to.format("%d.%m.%Y")
    );
    file(&report.table(&title), xlsx)
}

pub async fn attendance_csv(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    attendance_file(state, member, raw, false).await
}

pub async fn attendance_xlsx(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    attendance_file(state, member, raw, true).await
}
