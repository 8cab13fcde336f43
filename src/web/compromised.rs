//! Compromised credentials (000 §21, 004 §5.4): the declaration — by the user on their own page,
//! by the administrator or the director on a person's card — and the director's and deputies'
//! list of what was done with the lost credentials, with its reverts.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::AppState;
use super::extract::Member;
use super::layout::{Layout, flash, flash_outcome};
use crate::accounts::repo as accounts_repo;
use crate::compromised::repo::Declaration;
use crate::compromised::service::{self, Changes};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::input::plural;
use crate::journal::service::Author;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DeclareForm {
    #[serde(default)]
    since: String,
}

/// The declaration form: for oneself (`own`) or for a person of the school.
#[derive(Template, WebTemplate)]
#[template(path = "compromised_declare.html")]
pub struct DeclarePage {
    layout: Layout,
    own: bool,
    action: String,
    person: String,
    since: String,
    errors: FieldErrors,
}

async fn declare_page(
    member: &Member,
    own: bool,
    account_id: i64,
    person: String,
    since: String,
    errors: FieldErrors,
) -> AppResult<DeclarePage> {
    Ok(DeclarePage {
        layout: Layout::for_member(member, "Утрата учётных данных").await?,
        own,
        action: if own {
            "/compromised".to_string()
        } else {
            format!("/admin/users/{account_id}/compromised")
        },
        person,
        since,
        errors,
    })
}

pub async fn own_form(member: Member) -> AppResult<DeclarePage> {
    let person = member.viewer.full_name.clone();
    declare_page(
        &member,
        true,
        member.viewer.account_id,
        person,
        String::new(),
        FieldErrors::new(),
    )
    .await
}

/// After one's own declaration: signed out, told what happens next.
#[derive(Template, WebTemplate)]
#[template(path = "compromised_signed_out.html")]
pub struct SignedOutPage {
    layout: Layout,
}

pub async fn declare_own(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<DeclareForm>,
) -> AppResult<Response> {
    let done = service::declare(
        &state.pool,
        state.clock.as_ref(),
        &member.access,
        &member.actor(),
        member.viewer.account_id,
        member.viewer.account_id,
        &form.since,
        &member.school.time_zone,
    )
    .await;
    match done {
        Ok(_) => {
            // The declaration deleted every session row; the cookie goes too.
            member.viewer.session.flush().await?;
            let layout = Layout::anonymous(&member.viewer.session, "Вы вышли из системы").await?;
            Ok(SignedOutPage { layout }.into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let person = member.viewer.full_name.clone();
            let page = declare_page(
                &member,
                true,
                member.viewer.account_id,
                person,
                form.since,
                errors,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

fn require_declarer(member: &Member) -> AppResult<()> {
    if service::may_declare_for_others(&member.access) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

async fn person_name(state: &AppState, member: &Member, account_id: i64) -> AppResult<String> {
    let mut conn = state.pool.acquire().await?;
    let p = accounts_repo::person(&mut conn, member.school.id, account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(
        format!("{} {} {}", p.last_name, p.first_name, p.middle_name)
            .trim()
            .to_string(),
    )
}

pub async fn other_form(
    State(state): State<AppState>,
    member: Member,
    Path(account_id): Path<i64>,
) -> AppResult<DeclarePage> {
    require_declarer(&member)?;
    let person = person_name(&state, &member, account_id).await?;
    declare_page(
        &member,
        false,
        account_id,
        person,
        String::new(),
        FieldErrors::new(),
    )
    .await
}

/// The declaration's form for somebody else, read only for the administrator and the director:
/// everyone else is refused (403) before the body is parsed.
pub struct Declaring(Member, DeclareForm);

impl axum::extract::FromRequest<AppState> for Declaring {
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use axum::extract::FromRequestParts;
        let (mut parts, body) = request.into_parts();
        let member = Member::from_request_parts(&mut parts, state).await?;
        require_declarer(&member).map_err(IntoResponse::into_response)?;
        let request = axum::extract::Request::from_parts(parts, body);
        let Form(form) = Form::<DeclareForm>::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self(member, form))
    }
}

pub async fn declare_other(
    State(state): State<AppState>,
    Path(account_id): Path<i64>,
    Declaring(member, form): Declaring,
) -> AppResult<Response> {
    let done = service::declare(
        &state.pool,
        state.clock.as_ref(),
        &member.access,
        &member.actor(),
        member.viewer.account_id,
        account_id,
        &form.since,
        &member.school.time_zone,
    )
    .await;
    match done {
        Ok(_) if account_id == member.viewer.account_id => {
            member.viewer.session.flush().await?;
            let layout = Layout::anonymous(&member.viewer.session, "Вы вышли из системы").await?;
            Ok(SignedOutPage { layout }.into_response())
        }
        Ok(declared) => {
            let n = declared.sessions_ended;
            let message = format!(
                "Учётные данные объявлены утраченными: завершено {n} {}. Войти с ними больше нельзя — выдайте пользователю новый пароль.",
                plural(n as usize, "сеанс", "сеанса", "сеансов")
            );
            flash(&member.viewer.session, message).await?;
            Ok(Redirect::to(&format!("/admin/users/{account_id}")).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let person = person_name(&state, &member, account_id).await?;
            let page = declare_page(&member, false, account_id, person, form.since, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "compromised_list.html")]
pub struct ListPage {
    layout: Layout,
    declarations: Vec<Declaration>,
    time_zone: String,
}

pub async fn list(State(state): State<AppState>, member: Member) -> AppResult<ListPage> {
    let declarations = service::declarations(&state.pool, &member.access).await?;
    Ok(ListPage {
        layout: Layout::for_member(&member, "Изменения с утраченными учётными данными").await?,
        declarations,
        time_zone: member.school.time_zone.clone(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "compromised_changes.html")]
pub struct ChangesPage {
    layout: Layout,
    changes: Changes,
    time_zone: String,
    limit: i64,
}

impl ChangesPage {
    fn at(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        service::local_time(at, &self.time_zone)
    }
}

pub async fn changes(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
) -> AppResult<ChangesPage> {
    let changes = service::changes(&state.pool, &member.access, id).await?;
    Ok(ChangesPage {
        layout: Layout::for_member(&member, "Изменения с утраченными учётными данными").await?,
        changes,
        time_zone: member.school.time_zone.clone(),
        limit: crate::compromised::LIST_LIMIT,
    })
}

fn author<'a>(
    state: &'a AppState,
    member: &'a Member,
    actor: &'a crate::audit::Actor,
) -> Author<'a> {
    Author {
        access: &member.access,
        account_id: member.viewer.account_id,
        actor,
        clock: state.clock.as_ref(),
        // A revert is judged by nothing kept.
        kept: None,
    }
}

pub async fn revert_one(
    State(state): State<AppState>,
    member: Member,
    Path((id, event_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let actor = member.actor();
    let done = service::revert(&state.pool, &author(&state, &member, &actor), id, event_id)
        .await
        .map(|()| "Изменение отменено.".to_string());
    let to = format!("/compromised/declarations/{id}");
    flash_outcome(&member.viewer.session, &to, done).await
}

pub async fn revert_all(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let actor = member.actor();
    let done = service::revert_all(&state.pool, &author(&state, &member, &actor), id)
        .await
        .map(|s| {
            format!(
                "Отменено изменений: {}. Оставлено для решения вручную: {}.",
                s.reverted, s.left
            )
        });
    let to = format!("/compromised/declarations/{id}");
    flash_outcome(&member.viewer.session, &to, done).await
}
