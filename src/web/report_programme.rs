//! The programme-completion report (`/reports/programme`) and the control-works report
//! (`/reports/control-works`), each with its CSV and XLSX: the filter, who sees what and the
//! files as in `web::reports` (its `scope`, `filter_form`, `file`, `pct`).

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
use crate::reports::control_works::{self, ControlWorks, Results, State as WorkState};
use crate::reports::programme::{self, Hours, Programme};
use crate::reports::{self, RawFilter};

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

async fn programme_of(
    state: &AppState,
    member: &Member,
    form: &FilterForm,
) -> AppResult<Option<Programme>> {
    match &form.filter {
        Some(f) => Ok(Some(
            programme::report(&state.pool, member.school.id, f, today(state, member)).await?,
        )),
        None => Ok(None),
    }
}

pub async fn programme_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<ProgrammePage> {
    let form = filter_form(&state, &member, raw).await?;
    let report = programme_of(&state, &member, &form).await?;
    Ok(ProgrammePage {
        layout: Layout::for_member(&member, "Выполнение программы").await?,
        form,
        report,
    })
}

async fn programme_file(
    state: AppState,
    member: Member,
    raw: RawFilter,
    xlsx: bool,
) -> AppResult<Response> {
    let form = filter_form(&state, &member, raw).await?;
    let (Some(f), Some(report)) = (&form.filter, programme_of(&state, &member, &form).await?)
    else {
        return Err(AppError::Invalid(form.errors));
    };
    let day = report.on_day.unwrap_or(f.to);
    let title = format!(
        "Выполнение программы: {}, с {} по {}",
        f.year_label,
        f.from.format("%d.%m.%Y"),
        day.format("%d.%m.%Y")
    );
    file(&report.table(&title), xlsx)
}

pub async fn programme_csv(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    programme_file(state, member, raw, false).await
}

pub async fn programme_xlsx(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    programme_file(state, member, raw, true).await
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

async fn control_works_of(
    state: &AppState,
    member: &Member,
    form: &FilterForm,
) -> AppResult<Option<ControlWorks>> {
    match &form.filter {
        Some(f) => Ok(Some(
            control_works::report(&state.pool, member.school.id, f, today(state, member)).await?,
        )),
        None => Ok(None),
    }
}

pub async fn control_works_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<ControlWorksPage> {
    let form = filter_form(&state, &member, raw).await?;
    let report = control_works_of(&state, &member, &form).await?;
    Ok(ControlWorksPage {
        layout: Layout::for_member(&member, "Контрольные работы (ВШК)").await?,
        form,
        report,
    })
}

async fn control_works_file(
    state: AppState,
    member: Member,
    raw: RawFilter,
    xlsx: bool,
) -> AppResult<Response> {
    let form = filter_form(&state, &member, raw).await?;
    let (Some(f), Some(report)) = (
        &form.filter,
        control_works_of(&state, &member, &form).await?,
    ) else {
        return Err(AppError::Invalid(form.errors));
    };
    let title = format!(
        "Контрольные работы: {}, с {} по {}",
        f.year_label,
        f.from.format("%d.%m.%Y"),
        f.to.format("%d.%m.%Y")
    );
    file(&report.table(&title), xlsx)
}

pub async fn control_works_csv(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    control_works_file(state, member, raw, false).await
}

pub async fn control_works_xlsx(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<Response> {
    control_works_file(state, member, raw, true).await
}
