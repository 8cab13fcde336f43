//! Logging in and out, changing one's password, choosing where to work.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::AppState;
use super::extract::{Viewer, origin};
use super::layout::{Layout, flash};
use crate::auth::keys;
use crate::auth::repo::{self, AccountEvent, EventKind, MembershipChoice, Origin};
use crate::auth::service::{self, LoginError, PasswordChange};
use crate::auth::session_store::id_hash;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::input;
use crate::tenancy::SchoolId;

/// Where the request came from (for the security log).
pub struct RequestOrigin(pub Origin);

impl<S: Send + Sync> FromRequestParts<S> for RequestOrigin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(origin(parts)))
    }
}

/// `/`: the start page of the current role, else the login or the choice.
pub async fn root(State(state): State<AppState>, session: Session) -> AppResult<Redirect> {
    let Some(account_id) = session.get::<i64>(keys::ACCOUNT_ID).await? else {
        return Ok(Redirect::to("/login"));
    };
    if let Some((school_id, membership_id)) =
        session.get::<(SchoolId, i64)>(keys::MEMBERSHIP).await?
    {
        let choices = repo::memberships(&state.pool, account_id).await?;
        if let Some(c) = choices
            .iter()
            .find(|c| c.school_id == school_id && c.membership_id == membership_id)
        {
            return Ok(Redirect::to(c.role.home()));
        }
    }
    Ok(Redirect::to("/choose"))
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    layout: Layout,
    login: String,
    error: Option<String>,
}

pub async fn login_form(session: Session) -> AppResult<LoginPage> {
    Ok(LoginPage {
        layout: Layout::anonymous(&session, "Вход").await?,
        login: String::new(),
        error: None,
    })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    session: Session,
    RequestOrigin(origin): RequestOrigin,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let refuse = |error: String| async {
        let page = LoginPage {
            layout: Layout::anonymous(&session, "Вход").await?,
            // What was typed comes back, but never more than a login can be.
            login: form.login.chars().take(input::limits::LOGIN).collect(),
            error: Some(error),
        };
        Ok::<_, AppError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    if form.login.trim().is_empty() || form.password.is_empty() {
        return refuse("Введите логин и пароль.".into()).await;
    }
    // Longer than any login or password can be: a failed login, without asking the database
    // (a megabyte login would not fit its index) or hashing a megabyte.
    if form.login.chars().count() > input::limits::LOGIN
        || form.password.chars().count() > input::limits::PASSWORD
    {
        return refuse("Неверный логин или пароль.".into()).await;
    }
    let outcome = service::login(
        &state.pool,
        state.clock.as_ref(),
        &state.lockout,
        &form.login,
        &form.password,
        &origin,
    )
    .await;
    let signed_in = match outcome {
        Ok(s) => s,
        Err(LoginError::Invalid) => return refuse("Неверный логин или пароль.".into()).await,
        Err(LoginError::Locked { minutes }) => {
            return refuse(format!(
                "Слишком много неудачных попыток входа. Вход временно заблокирован, \
                 попробуйте снова через {minutes} мин."
            ))
            .await;
        }
        Err(LoginError::AddressLocked { minutes }) => {
            let page = LoginPage {
                layout: Layout::anonymous(&session, "Вход").await?,
                login: String::new(),
                error: Some(format!(
                    "Слишком много неудачных попыток входа с этого компьютера или из этой сети. \
                     Вход отсюда временно ограничен, попробуйте снова через {minutes} мин. \
                     Если вы уже входили отсюда раньше, ваш вход по-прежнему работает."
                )),
            };
            return Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response());
        }
        Err(LoginError::Other(e)) => return Err(e),
    };
    // A new session id at login, and a new CSRF token with it.
    session.cycle_id().await?;
    session.remove::<String>(keys::CSRF).await?;
    session.remove::<(SchoolId, i64)>(keys::MEMBERSHIP).await?;
    session
        .insert(keys::ACCOUNT_ID, signed_in.account_id)
        .await?;
    if signed_in.must_change_password {
        return Ok(Redirect::to("/password").into_response());
    }
    Ok(Redirect::to("/choose").into_response())
}

pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    RequestOrigin(origin): RequestOrigin,
) -> AppResult<Redirect> {
    if let Some(account_id) = session.get::<i64>(keys::ACCOUNT_ID).await? {
        let mut conn = state.pool.acquire().await?;
        let login = repo::find_by_id(&mut conn, account_id)
            .await?
            .map(|a| a.login)
            .unwrap_or_default();
        let event = AccountEvent {
            at: state.clock.now(),
            login: &login,
            account_id: Some(account_id),
            kind: EventKind::Logout,
            school_id: None,
        };
        repo::record_event(&mut conn, event, &origin).await?;
    }
    session.flush().await?;
    Ok(Redirect::to("/login"))
}

#[derive(Template, WebTemplate)]
#[template(path = "password.html")]
pub struct PasswordPage {
    layout: Layout,
    forced: bool,
    errors: FieldErrors,
}

pub async fn password_form(
    State(state): State<AppState>,
    viewer: Viewer,
) -> AppResult<PasswordPage> {
    Ok(PasswordPage {
        layout: Layout::for_viewer(&viewer, "Смена пароля").await?,
        forced: must_change(&state, &viewer).await?,
        errors: FieldErrors::new(),
    })
}

async fn must_change(state: &AppState, viewer: &Viewer) -> AppResult<bool> {
    let current = repo::current(&state.sessions, viewer.account_id, None).await?;
    Ok(current.is_some_and(|c| c.must_change_password))
}

pub async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<PasswordChange>,
) -> AppResult<Response> {
    let keep = viewer.session.id().map(|id| id_hash(&id));
    let done = service::change_password(
        &state.pool,
        state.clock.as_ref(),
        viewer.account_id,
        keep.as_deref(),
        &form,
        &viewer.origin,
    )
    .await;
    match done {
        Ok(()) => {
            flash(
                &viewer.session,
                "Пароль изменён. Другие сеансы этого пользователя завершены.",
            )
            .await?;
            Ok(Redirect::to("/choose").into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let page = PasswordPage {
                layout: Layout::for_viewer(&viewer, "Смена пароля").await?,
                forced: must_change(&state, &viewer).await?,
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "choose.html")]
pub struct ChoosePage {
    layout: Layout,
    choices: Vec<MembershipChoice>,
    is_operator: bool,
}

/// Lists where the person can work; with exactly one place (and no platform role), goes there.
pub async fn choose_form(State(state): State<AppState>, viewer: Viewer) -> AppResult<Response> {
    let choices = repo::memberships(&state.pool, viewer.account_id).await?;
    if let ([only], false) = (choices.as_slice(), viewer.is_operator) {
        return enter(&state, &viewer, only).await;
    }
    let page = ChoosePage {
        layout: Layout::for_viewer(&viewer, "Выбор роли").await?,
        choices,
        is_operator: viewer.is_operator,
    };
    Ok(page.into_response())
}

#[derive(Debug, Deserialize)]
pub struct ChooseForm {
    #[serde(default)]
    membership: String,
}

pub async fn choose(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ChooseForm>,
) -> AppResult<Response> {
    let choices = repo::memberships(&state.pool, viewer.account_id).await?;
    let chosen = form
        .membership
        .split_once(':')
        .and_then(|(s, m)| Some((s.parse::<i64>().ok()?, m.parse::<i64>().ok()?)))
        .and_then(|(s, m)| {
            choices
                .iter()
                .find(|c| c.school_id.0 == s && c.membership_id == m)
        })
        .ok_or(AppError::NotFound)?;
    enter(&state, &viewer, chosen).await
}

async fn enter(
    state: &AppState,
    viewer: &Viewer,
    choice: &MembershipChoice,
) -> AppResult<Response> {
    viewer
        .session
        .insert(keys::MEMBERSHIP, (choice.school_id, choice.membership_id))
        .await?;
    let mut conn = state.pool.acquire().await?;
    let event = AccountEvent {
        at: state.clock.now(),
        login: &viewer.login,
        account_id: Some(viewer.account_id),
        kind: EventKind::SchoolEntered,
        school_id: Some(choice.school_id),
    };
    repo::record_event(&mut conn, event, &viewer.origin).await?;
    Ok(Redirect::to(choice.role.home()).into_response())
}
