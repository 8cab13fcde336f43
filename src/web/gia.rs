//! J17: a class's ГИА results (`/classes/{id}/gia`): the list for the director, the deputies and
//! the class teacher, the entry form for the deputy.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::extract::Member;
use super::journal::today;
use super::layout::{Layout, flash};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::gia::{self, ClassGia, GiaForm};

#[derive(Template, WebTemplate)]
#[template(path = "gia.html")]
pub struct GiaPage {
    layout: Layout,
    class: ClassGia,
    form: GiaForm,
    errors: FieldErrors,
    may_enter: bool,
}

impl GiaPage {
    fn chosen(&self, typed: &str, id: &i64) -> bool {
        typed.trim() == id.to_string()
    }

    fn is_ege(&self) -> bool {
        self.class.exam == Some(crate::rules::gia::Exam::Ege)
    }
}

async fn page(
    state: &AppState,
    member: &Member,
    class_id: i64,
    form: GiaForm,
    errors: FieldErrors,
) -> AppResult<GiaPage> {
    let class = gia::class_page(&state.pool, &member.access, class_id).await?;
    Ok(GiaPage {
        layout: Layout::for_member(member, &format!("ГИА {}", class.class_name)).await?,
        may_enter: member.access.can_enter_gia() && class.exam.is_some(),
        class,
        form,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    member: Member,
    Path(class_id): Path<i64>,
) -> AppResult<GiaPage> {
    page(
        &state,
        &member,
        class_id,
        GiaForm::default(),
        FieldErrors::new(),
    )
    .await
}

/// The deputy enters one result; the body is read only after the permission check.
pub async fn enter(
    State(state): State<AppState>,
    member: Member,
    Path(class_id): Path<i64>,
    body: Bytes,
) -> AppResult<Response> {
    if !member.access.can_enter_gia() {
        return Err(AppError::Forbidden);
    }
    let form: GiaForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let now = state.clock.now();
    let result = gia::save(
        &state.pool,
        &member.access,
        &member.actor(),
        class_id,
        &form,
        now,
        today(&state, &member),
    )
    .await;
    match result {
        Ok(saved) => {
            let done = if saved.late {
                "Результат внесён с опозданием: позже срока после получения результатов."
            } else {
                "Результат внесён."
            };
            flash(&member.viewer.session, done).await?;
            Ok(Redirect::to(&format!("/classes/{class_id}/gia")).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let p = page(&state, &member, class_id, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
        }
        Err(e) => Err(e),
    }
}
