//! The readiness check of a school year.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::AppState;
use super::extract::Member;
use super::layout::Layout;
use crate::clock::local_today;
use crate::error::{AppError, AppResult};
use crate::readiness::{self, Section};
use crate::school_year::repo::{self as years, YearRow};

#[derive(Template, WebTemplate)]
#[template(path = "readiness.html")]
pub struct ReadinessPage {
    layout: Layout,
    years: Vec<YearRow>,
    year_id: Option<i64>,
    sections: Vec<Section>,
    ready: bool,
}

#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: Option<i64>,
}

pub async fn show(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<YearQuery>,
) -> AppResult<ReadinessPage> {
    if !member.access.can_view_year_setup() {
        return Err(AppError::Forbidden);
    }
    let today = local_today(state.clock.as_ref(), &member.school.time_zone);
    let years = years::years(&*state.pool, member.school.id).await?;
    let year_id = match q.year {
        Some(y) if years.iter().any(|x| x.id == y) => Some(y),
        Some(_) => return Err(AppError::NotFound),
        None => {
            let mut conn = state.pool.acquire().await?;
            years::current_year(&mut conn, member.school.id, today).await?
        }
    };
    let sections = match year_id {
        Some(y) => {
            let start = years
                .iter()
                .find(|x| x.id == y)
                .map(|x| x.starts_on)
                .unwrap_or(today);
            readiness::check(&state.pool, member.school.id, y, today.max(start)).await?
        }
        None => Vec::new(),
    };
    Ok(ReadinessPage {
        layout: Layout::for_member(&member, "Готовность к учебному году").await?,
        ready: year_id.is_some() && sections.iter().all(|s| s.items.is_empty()),
        years,
        year_id,
        sections,
    })
}
