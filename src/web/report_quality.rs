//! The journal-quality reports (regulations §5): the timeliness and completeness of the journal
//! (`/reports/timeliness`) and the accumulation of marks (`/reports/accumulation`, J11), each a
//! page, a CSV and an XLSX of the same figures. Who sees what and the filter are the reports
//! section's (`web::reports::{scope, filter_form}`), decided before anything is read.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};

use super::AppState;
use super::extract::Member;
use super::journal::today;
use super::layout::Layout;
use super::reports::{FilterForm, Report, load, pct};
use crate::error::AppResult;
use crate::exports::table::Table;
use crate::journal::attention::When;
use crate::reports::accumulation::{self, Accumulation, Line};
use crate::reports::timeliness::{self, Figures, Timeliness};
use crate::reports::{self, Filter, RawFilter};

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

pub async fn timeliness_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<TimelinessPage> {
    let (form, report) = load::<Timeliness>(&state, &member, raw).await?;
    Ok(TimelinessPage {
        layout: Layout::for_member(&member, "Своевременность и полнота записей в журнале").await?,
        form,
        report,
    })
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

pub async fn accumulation_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<AccumulationPage> {
    let (form, report) = load::<Accumulation>(&state, &member, raw).await?;
    Ok(AccumulationPage {
        layout: Layout::for_member(&member, "Накопляемость отметок").await?,
        form,
        report,
    })
}

impl Report for Timeliness {
    const NAME: &'static str = "Своевременность и полнота записей в журнале";

    async fn read(state: &AppState, member: &Member, f: &Filter) -> AppResult<Self> {
        let when = When::at(state.clock.now(), &member.school.time_zone);
        timeliness::report(&state.pool, member.school.id, f, when.local_now).await
    }

    fn file_table(&self, title: &str) -> Table {
        self.table(title)
    }
}

impl Report for Accumulation {
    const NAME: &'static str = "Накопляемость отметок";

    async fn read(state: &AppState, member: &Member, f: &Filter) -> AppResult<Self> {
        accumulation::report(&state.pool, member.school.id, f, today(state, member)).await
    }

    fn span(&self, f: &Filter) -> String {
        format!("на {}", self.day.unwrap_or(f.to).format("%d.%m.%Y"))
    }

    fn file_table(&self, title: &str) -> Table {
        self.table(title)
    }
}
