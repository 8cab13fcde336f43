//! The programme-completion report (`/reports/programme`) and the control-works report
//! (`/reports/control-works`), each with its CSV and XLSX: the filter, who sees what and the
//! files as in `web::reports` (its `scope`, `filter_form`, `file`, `pct`).

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
use crate::reports::control_works::{self, ControlWorks, Results, State as WorkState};
use crate::reports::programme::{self, Hours, Programme};
use crate::reports::{self, Filter, RawFilter};

#[derive(Template, WebTemplate)]
#[template(path = "reports/programme.html")]
pub struct ProgrammePage {
    layout: Layout,
    form: FilterForm,
    report: Option<Programme>,
}

impl ProgrammePage {
    fn pct(&self, v: Option<i64>) -> String {
        pct(v)
    }

    fn per_week(&self, h: &Hours) -> String {
        h.per_week_tenths
            .map_or("—".into(), |t| reports::decimal(t, 1))
    }

    fn signed(&self, n: i64) -> String {
        if n > 0 {
            format!("+{n}")
        } else {
            n.to_string()
        }
    }

    fn drill(&self, key: &str, id: &i64) -> String {
        format!(
            "/reports/programme?{}",
            self.form.raw.with(key, &id.to_string())
        )
    }
}

pub async fn programme_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<ProgrammePage> {
    let (form, report) = load::<Programme>(&state, &member, raw).await?;
    Ok(ProgrammePage {
        layout: Layout::for_member(&member, "Выполнение программы").await?,
        form,
        report,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/control_works.html")]
pub struct ControlWorksPage {
    layout: Layout,
    form: FilterForm,
    report: Option<ControlWorks>,
}

impl ControlWorksPage {
    fn pct(&self, v: Option<i64>) -> String {
        pct(v)
    }

    fn avg(&self, r: &Results) -> String {
        r.figures()
            .average_hundredths()
            .map_or("—".into(), |h| reports::decimal(h, 2))
    }

    fn held(&self, s: &WorkState) -> bool {
        *s == WorkState::Held
    }

    /// Not held, and its day is past.
    fn missed(&self, s: &WorkState) -> bool {
        matches!(s, WorkState::NoMarks | WorkState::NoLesson)
    }

    fn drill(&self, key: &str, id: &i64) -> String {
        format!(
            "/reports/control-works?{}",
            self.form.raw.with(key, &id.to_string())
        )
    }
}

pub async fn control_works_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<ControlWorksPage> {
    let (form, report) = load::<ControlWorks>(&state, &member, raw).await?;
    Ok(ControlWorksPage {
        layout: Layout::for_member(&member, "Контрольные работы (ВШК)").await?,
        form,
        report,
    })
}

impl Report for Programme {
    const NAME: &'static str = "Выполнение программы";

    async fn read(state: &AppState, member: &Member, f: &Filter) -> AppResult<Self> {
        programme::report(&state.pool, member.school.id, f, today(state, member)).await
    }

    fn span(&self, f: &Filter) -> String {
        format!(
            "с {} по {}",
            f.from.format("%d.%m.%Y"),
            self.on_day.unwrap_or(f.to).format("%d.%m.%Y")
        )
    }

    fn file_table(&self, title: &str) -> Table {
        self.table(title)
    }
}

impl Report for ControlWorks {
    const NAME: &'static str = "Контрольные работы";

    async fn read(state: &AppState, member: &Member, f: &Filter) -> AppResult<Self> {
        control_works::report(&state.pool, member.school.id, f, today(state, member)).await
    }

    fn file_table(&self, title: &str) -> Table {
        self.table(title)
    }
}
