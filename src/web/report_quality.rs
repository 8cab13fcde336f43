//! The journal-quality reports (regulations §5): the timeliness and completeness of the journal
//! (`/reports/timeliness`) and the accumulation of marks (`/reports/accumulation`, J11), each a
//! page, a CSV and an XLSX of the same figures. Who sees what and the filter are the reports
//! section's (`web::reports::{scope, filter_form}`), decided before anything is read.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Response;

use super::AppState;
use super::extract::Member;
use super::journal::today;
use super::layout::Layout;
use super::reports::{FilterForm, file, filter_form, pct};
use crate::error::{AppError, AppResult};
use crate::journal::attention::When;
use crate::reports::accumulation::{self, Accumulation, Line};
use crate::reports::timeliness::{self, Figures, Timeliness};
use crate::reports::{self, RawFilter};

#[derive(Template, WebTemplate)]
#[template(path = "reports/timeliness.html")]
pub struct TimelinessPage {
    layout: Layout,
    form: FilterForm,
    report: Option<Timeliness>,
}

impl TimelinessPage {
    fn days(&self, x: &Figures) -> String {
        x.fix_days_tenths()
            .map_or("—".into(), |t| reports::decimal(t, 1))
    }

    /// The same report narrowed to one teacher.
    fn drill(&self, key: &str, id: &i64) -> String {
        format!(
            "/reports/timeliness?{}",
            self.form.raw.with(key, &id.to_string())
        )
    }
}

async fn timeliness_of(
    state: &AppState,
    member: &Member,
    form: &FilterForm,
) -> AppResult<Option<Timeliness>> {
    let when = When::at(state.clock.now(), &member.school.time_zone);
    match &form.filter {
        Some(f) => Ok(Some(
            timeliness::report(&state.pool, member.school.id, f, when.local_now).await?,
        )),
        None => Ok(None),
    }
}

pub async fn timeliness_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<TimelinessPage> {
    let form = filter_form(&state, &member, raw).await?;
    let report = timeliness_of(&state, &member, &form).await?;
    Ok(TimelinessPage {
        layout: Layout::for_member(&member, "Своевременность и полнота записей в журнале").await?,
        form,
        report,
    })
}

async fn timeliness_file(
    state: AppState,
    member: Member,
    raw: RawFilter,
    xlsx: bool,
) -> AppResult<Response> {
    let form = filter_form(&state, &member, raw).await?;
    let (Some(f), Some(report)) = (&form.filter, timeliness_of(&state, &member, &form).await?)
    else {
        return Err(AppError::Invalid(form.errors));
    };
    let title = format!(
        "Своевременность и полнота записей в журнале: {}, с {} по {}",
        f.year_label,
        f.from.format("%d.%m.%Y"),
        f.to.format("%d.%m.%Y")
    );
    file(&report.table(&title), xlsx)
}

pub async fn timeliness_csv(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    timeliness_file(state, member, raw, false).await
}

pub async fn timeliness_xlsx(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    timeliness_file(state, member, raw, true).await
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/accumulation.html")]
pub struct AccumulationPage {
    layout: Layout,
    form: FilterForm,
    report: Option<Accumulation>,
}

impl AccumulationPage {
    /// A journal's pupils short of marks / its pupils × 100, in tenths.
    fn share(&self, l: &Line) -> String {
        pct(reports::percent_tenths(l.short.len() as i64, l.pupils))
    }

    fn total_share(&self, r: &Accumulation) -> String {
        pct(reports::percent_tenths(r.short, r.pupils))
    }
}

async fn accumulation_of(
    state: &AppState,
    member: &Member,
    form: &FilterForm,
) -> AppResult<Option<Accumulation>> {
    match &form.filter {
        Some(f) => Ok(Some(
            accumulation::report(&state.pool, member.school.id, f, today(state, member)).await?,
        )),
        None => Ok(None),
    }
}

pub async fn accumulation_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<AccumulationPage> {
    let form = filter_form(&state, &member, raw).await?;
    let report = accumulation_of(&state, &member, &form).await?;
    Ok(AccumulationPage {
        layout: Layout::for_member(&member, "Накопляемость отметок").await?,
        form,
        report,
    })
}

async fn accumulation_file(
    state: AppState,
    member: Member,
    raw: RawFilter,
    xlsx: bool,
) -> AppResult<Response> {
    let form = filter_form(&state, &member, raw).await?;
    let (Some(f), Some(report)) = (&form.filter, accumulation_of(&state, &member, &form).await?)
    else {
        return Err(AppError::Invalid(form.errors));
    };
    let day = report.day.unwrap_or(f.to);
    let title = format!(
        "Накопляемость отметок: {}, на {}",
        f.year_label,
        day.format("%d.%m.%Y")
    );
    file(&report.table(&title), xlsx)
}

pub async fn accumulation_csv(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    accumulation_file(state, member, raw, false).await
}

pub async fn accumulation_xlsx(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    accumulation_file(state, member, raw, true).await
}
