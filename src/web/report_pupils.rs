//! Two reports about pupils (regulations §5): «Что нужно наверстать» (`/reports/catch-up`: per
//! pupil, the lessons missed with their topics and the unsatisfactory marks with their topics) and
//! «Нагрузка домашними заданиями» (`/reports/homework-load`: minutes a day per class against the
//! school's limits). Built as `web::reports`: the filter from GET parameters, who sees what
//! decided before anything is read (`reports::scope`), CSV and XLSX of the same figures.
//! The homework load is the school's and the class teacher's: a teacher gets 403.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};

use super::AppState;
use super::extract::Member;
use super::journal::today;
use super::layout::Layout;
use super::reports::{FilterForm, Report, load, scope};
use crate::error::{AppError, AppResult};
use crate::exports::table::Table;
use crate::reports::catch_up::{self, CatchUp};
use crate::reports::homework_load::{self, HomeworkLoad};
use crate::reports::{Filter, RawFilter, Scope};
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

pub async fn catch_up_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<CatchUpPage> {
    let (form, report) = load::<CatchUp>(&state, &member, raw).await?;
    Ok(CatchUpPage {
        layout: Layout::for_member(&member, "Пропущенные темы и неудовлетворительные отметки")
            .await?,
        form,
        report,
    })
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

pub async fn homework_load_page(
    State(state): State<AppState>,
    member: Member,
    Query(raw): Query<RawFilter>,
) -> AppResult<HomeworkLoadPage> {
    let (form, report) = load::<HomeworkLoad>(&state, &member, raw).await?;
    Ok(HomeworkLoadPage {
        layout: Layout::for_member(&member, "Нагрузка домашними заданиями").await?,
        form,
        report,
    })
}

impl Report for CatchUp {
    const NAME: &'static str = "Пропущенные темы и неудовлетворительные отметки";

    async fn read(state: &AppState, member: &Member, f: &Filter) -> AppResult<Self> {
        catch_up::report(&state.pool, member.school.id, f, today(state, member)).await
    }

    fn file_table(&self, title: &str) -> Table {
        self.table(title)
    }
}

impl Report for HomeworkLoad {
    const NAME: &'static str = "Нагрузка домашними заданиями";

    /// The school and a class teacher only: a teacher's own journals are not a class's whole day.
    fn check(member: &Member) -> AppResult<()> {
        match scope(member)? {
            Scope::School | Scope::Class(_) => Ok(()),
            Scope::Teacher(_) => Err(AppError::Forbidden),
        }
    }

    async fn read(state: &AppState, member: &Member, f: &Filter) -> AppResult<Self> {
        let limits = settings::current(&state.pool, member.school.id).await?;
        homework_load::report(&state.pool, member.school.id, f, &limits).await
    }

    fn file_table(&self, title: &str) -> Table {
        self.table(title)
    }
}
