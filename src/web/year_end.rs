//! The end of a school year: close it, open the next, promote pupils by the director's order
//! (recorded now, in force on its date; cancelled while it waits).

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::extract::Member;
use super::journal::today;
use super::layout::{Layout, flash_outcome};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::pupils::repo::{self as pupils, ClassLine, PupilCard};
use crate::school_year::orders::OrderRow;
use crate::school_year::repo::{self as years, YearRow};
use crate::school_year::year_end::{self, Decision, PromotionForm, PromotionPlan};

#[derive(Template, WebTemplate)]
#[template(path = "year_end.html")]
pub struct YearEndPage {
    layout: Layout,
    year: YearRow,
    next: Option<YearRow>,
    classes: Vec<(ClassLine, Vec<PupilCard>)>,
    /// The order waiting for its date or in force.
    order: Option<OrderRow>,
    form: PromotionForm,
    errors: FieldErrors,
    /// What the typed order will do, waiting for «Подтвердить» (issue 15, item 4).
    plan: Option<PromotionPlan>,
    /// «Закрыть учебный год» was pressed: the consequences, waiting for «Подтвердить».
    confirm_close: bool,
    /// The deputy: what stands, without the forms (the director and the administrator act).
    read_only: bool,
}

impl YearEndPage {
    /// The decision shown for a pupil: as typed, else the usual one for the grade.
    fn chosen(&self, pupil_id: &i64, grade: &i16) -> &'static str {
        self.form
            .decisions
            .get(pupil_id)
            .copied()
            .unwrap_or(Decision::usual(*grade))
            .as_str()
    }

    fn waiting(&self) -> bool {
        self.order.as_ref().is_some_and(|o| o.applied_at.is_none())
    }

    /// The typed decisions, carried by the confirmation form.
    fn typed_decisions(&self) -> Vec<(String, &'static str)> {
        let mut list: Vec<(String, &'static str)> = self
            .form
            .decisions
            .iter()
            .map(|(id, d)| (format!("p{id}"), d.as_str()))
            .collect();
        list.sort();
        list
    }

    /// How many pupils the year's classes hold.
    fn pupil_count(&self) -> usize {
        self.classes.iter().map(|(_, list)| list.len()).sum()
    }
}

async fn page(
    state: &AppState,
    member: &Member,
    year_id: i64,
    form: Option<PromotionForm>,
    errors: FieldErrors,
) -> AppResult<YearEndPage> {
    let read_only = !member.access.can_close_year();
    if read_only && !member.access.can_view_year_end() {
        return Err(AppError::Forbidden);
    }
    let mut conn = state.pool.acquire().await?;
    let year = years::year(&mut conn, member.school.id, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let next = year_end::next_year(&mut *conn, &member.access, &year).await?;
    let mut by_class = pupils::year_pupils(&mut conn, member.school.id, year_id).await?;
    let year_classes = pupils::classes_in(&mut conn, member.school.id, year_id).await?;
    drop(conn);
    let order = year_end::current_order(&state.pool, &member.access, year_id).await?;
    let classes: Vec<_> = year_classes
        .into_iter()
        .filter_map(|class| {
            let list = by_class.remove(&class.id)?;
            Some((class, list))
        })
        .collect();
    let form = form.unwrap_or_else(|| PromotionForm {
        effective_on: year.ends_on.format("%d.%m.%Y").to_string(),
        ..PromotionForm::default()
    });
    Ok(YearEndPage {
        layout: Layout::for_member(member, &format!("Конец учебного года {}", year.name)).await?,
        year,
        next,
        classes,
        order,
        form,
        errors,
        plan: None,
        confirm_close: false,
        read_only,
    })
}

pub async fn show(
    State(state): State<AppState>,
    member: Member,
    Path(year_id): Path<i64>,
) -> AppResult<YearEndPage> {
    page(&state, &member, year_id, None, FieldErrors::new()).await
}

async fn done(member: &Member, year_id: i64, result: AppResult<String>) -> AppResult<Response> {
    flash_outcome(
        &member.viewer.session,
        &format!("/setup/years/{year_id}/year-end"),
        result,
    )
    .await
}

/// Whether the form carries `confirm=1`: the person saw the consequences and confirmed them.
fn confirmed(fields: &[(String, String)]) -> bool {
    fields.iter().any(|(k, v)| k == "confirm" && v == "1")
}

/// «Закрыть учебный год»: without `confirm=1` the page comes back with what closing does and
/// a «Подтвердить» button; nothing is written.
pub async fn close(
    State(state): State<AppState>,
    member: Member,
    Path(year_id): Path<i64>,
    body: Bytes,
) -> AppResult<Response> {
    if !member.access.can_close_year() {
        return Err(AppError::Forbidden);
    }
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let confirm = confirmed(&fields);
    if !confirm {
        let mut p = page(&state, &member, year_id, None, FieldErrors::new()).await?;
        if !p.year.closed {
            p.confirm_close = true;
            return Ok(p.into_response());
        }
    }
    let result = year_end::close_year(
        &state.pool,
        state.clock.as_ref(),
        &member.access,
        &member.actor(),
        year_id,
        confirm,
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

/// The order: `order_number`, `order_date`, `effective_on` (empty: the year's end), and
/// `p<pupil id>` = promote | repeat | graduate. The body is read after the permission check.
/// Without `confirm=1` nothing is written: the page comes back with what the order will do
/// (in words and numbers) and a «Подтвердить» button carrying the same fields and `confirm=1`.
pub async fn promote(
    State(state): State<AppState>,
    member: Member,
    Path(year_id): Path<i64>,
    body: Bytes,
) -> AppResult<Response> {
    if !member.access.can_close_year() {
        return Err(AppError::Forbidden);
    }
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let form = PromotionForm {
        order_number: field("order_number"),
        order_date: field("order_date"),
        effective_on: field("effective_on"),
        decisions: fields
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix('p')?.parse().ok()?, Decision::parse(v)?)))
            .collect(),
        confirmed: confirmed(&fields),
    };
    if !form.confirmed {
        let today = today(&state, &member);
        let preview =
            year_end::preview_promotion(&state.pool, &member.access, year_id, &form, today).await;
        return match preview {
            Ok(plan) => {
                let mut p = page(&state, &member, year_id, Some(form), FieldErrors::new()).await?;
                p.plan = Some(plan);
                Ok(p.into_response())
            }
            Err(AppError::Invalid(errors)) => {
                let p = page(&state, &member, year_id, Some(form), errors).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
            }
            Err(e) => done(&member, year_id, Err(e)).await,
        };
    }
    let result = year_end::record_promotion(
        &state.pool,
        state.clock.as_ref(),
        &member.access,
        &member.actor(),
        year_id,
        &form,
        today(&state, &member),
    )
    .await;
    let message = match result {
        Err(AppError::Invalid(errors)) => {
            let p = page(&state, &member, year_id, Some(form), errors).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, p).into_response());
        }
        Err(e) => Err(e),
        Ok(r) => Ok(if r.applied {
            format!(
                "Перевод по приказу {} вступил в силу: переведены — {}, оставлены на повторное обучение — {}, выпущены — {}.",
                r.reference, r.promoted, r.repeating, r.graduated
            )
        } else {
            format!(
                "Приказ {} внесён. Перевод вступит в силу {} (переводятся — {}, остаются на повторное обучение — {}, выпускаются — {}); до этого классы и доступ семей не меняются.",
                r.reference,
                r.effective_on.format("%d.%m.%Y"),
                r.promoted,
                r.repeating,
                r.graduated
            )
        }),
    };
    done(&member, year_id, message).await
}

/// Cancels an order that has not taken effect.
pub async fn cancel(
    State(state): State<AppState>,
    member: Member,
    Path((year_id, order_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let result = year_end::cancel_promotion(
        &state.pool,
        state.clock.as_ref(),
        &member.access,
        &member.actor(),
        year_id,
        order_id,
        today(&state, &member),
    )
    .await;
    done(
        &member,
        year_id,
        result.map(|r| format!("Приказ {r} отменён: перевод не состоится.")),
    )
    .await
}
