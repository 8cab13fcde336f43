//! The end of a school year: close it, open the next, promote pupils by the director's order.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;

use super::AppState;
use super::extract::Member;
use super::layout::{Layout, flash_outcome};
use crate::error::{AppError, AppResult};
use crate::pupils::repo::{self as pupils, ClassLine, PupilCard};
use crate::school_year::repo::{self as years, YearRow};
use crate::school_year::year_end::{self, Decision};

#[derive(Template, WebTemplate)]
#[template(path = "year_end.html")]
pub struct YearEndPage {
    layout: Layout,
    year: YearRow,
    next: Option<YearRow>,
    classes: Vec<(ClassLine, Vec<PupilCard>)>,
}

impl YearEndPage {
    fn usual(&self, grade: &i16) -> &'static str {
        match Decision::usual(*grade) {
            Decision::Graduate => "graduate",
            _ => "promote",
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    member: Member,
    Path(year_id): Path<i64>,
) -> AppResult<YearEndPage> {
    if !member.access.can_close_year() {
        return Err(AppError::Forbidden);
    }
    let mut conn = state.pool.acquire().await?;
    let year = years::year(&mut conn, member.school.id, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let next = year_end::next_year(&state.pool, &member.access, &year).await?;
    let mut classes = Vec::new();
    for class in pupils::classes(&state.pool, member.school.id, year_id).await? {
        let list = pupils::class_pupils(&state.pool, member.school.id, class.id).await?;
        if !list.is_empty() {
            classes.push((class, list));
        }
    }
    Ok(YearEndPage {
        layout: Layout::for_member(&member, &format!("Конец учебного года {}", year.name)).await?,
        year,
        next,
        classes,
    })
}

async fn done(member: &Member, year_id: i64, result: AppResult<String>) -> AppResult<Response> {
    flash_outcome(
        &member.viewer.session,
        &format!("/setup/years/{year_id}/year-end"),
        result,
    )
    .await
}

pub async fn close(
    State(state): State<AppState>,
    member: Member,
    Path(year_id): Path<i64>,
) -> AppResult<Response> {
    let result = year_end::close_year(
        &state.pool,
        state.clock.as_ref(),
        &member.access,
        &member.actor(),
        year_id,
    )
    .await;
    done(
        &member,
        year_id,
        result.map(|()| "Учебный год закрыт.".to_string()),
    )
    .await
}

pub async fn open_next(
    State(state): State<AppState>,
    member: Member,
    Path(year_id): Path<i64>,
) -> AppResult<Response> {
    let result =
        year_end::open_next_year(&state.pool, &member.access, &member.actor(), year_id).await;
    done(
        &member,
        year_id,
        result.map(|_| "Следующий учебный год открыт.".to_string()),
    )
    .await
}

/// The form: `order_ref`, and `p<pupil id>` = promote | repeat | graduate.
pub async fn promote(
    State(state): State<AppState>,
    member: Member,
    Path(year_id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let order = fields
        .iter()
        .find(|(k, _)| k == "order_ref")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let decisions: std::collections::HashMap<i64, Decision> = fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix('p')?.parse().ok()?, Decision::parse(v)?)))
        .collect();
    let result = year_end::promote(
        &state.pool,
        state.clock.as_ref(),
        &member.access,
        &member.actor(),
        year_id,
        &order,
        &decisions,
    )
    .await;
    let message = result.map(|(p, r, g)| format!("Перевод оформлен: переведены — {p}, оставлены на повторное обучение — {r}, выпущены — {g}."));
    done(&member, year_id, message).await
}
