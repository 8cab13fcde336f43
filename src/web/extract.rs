//! Who is asking: `Viewer` (signed in) and `Member` (signed in and working in a school under
//! one membership). Both load the person in one query per request; a person who must change
//! their password is sent to do so first.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::AppState;
use crate::audit::Actor;
use crate::auth::keys;
use crate::auth::repo::{self, CurrentRow, Origin};
use crate::auth::session_store::session_ref;
use crate::authz::{Access, Role};
use crate::error::{AppError, AppResult};
use crate::tenancy::SchoolId;

/// A signed-in person, whether or not they have chosen where to work.
#[derive(Clone)]
pub struct Viewer {
    pub account_id: i64,
    pub login: String,
    pub full_name: String,
    pub is_operator: bool,
    pub membership_count: i64,
    pub session: Session,
    pub origin: Origin,
}

/// The school a member works in now.
#[derive(Clone, Debug)]
pub struct SchoolCtx {
    pub id: SchoolId,
    pub name: String,
    pub time_zone: String,
}

/// A signed-in person working in a school under one membership.
#[derive(Clone)]
pub struct Member {
    pub viewer: Viewer,
    pub school: SchoolCtx,
    pub membership_id: i64,
    pub role: Role,
    pub class_id: Option<i64>,
    pub pupil_id: Option<i64>,
    pub access: Access,
    /// Unread messages in this school (the menu shows the count).
    pub unread_messages: i64,
}

impl Viewer {
    /// The author of the changes this person makes.
    pub fn actor(&self, role: Option<Role>) -> Actor {
        Actor {
            account_id: Some(self.account_id),
            role,
            session_ref: self.session.id().map(|id| session_ref(&id)),
        }
    }
}

impl Member {
    /// 403 unless the membership is one of `roles`.
    pub fn require(&self, roles: &[Role]) -> AppResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn actor(&self) -> Actor {
        self.viewer.actor(Some(self.role))
    }
}

pub fn origin(parts: &Parts) -> Origin {
    Origin {
        ip: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ci| ci.0.ip()),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    }
}

fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

/// Loads the session's person (and membership); redirects where the person must go first.
async fn load(parts: &mut Parts, state: &AppState) -> Result<(Session, CurrentRow), Response> {
    let session = Session::from_request_parts(parts, state)
        .await
        .map_err(|(status, _)| status.into_response())?;
    let account_id = session
        .get::<i64>(keys::ACCOUNT_ID)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
    let Some(account_id) = account_id else {
        return Err(to_login());
    };
    let membership = session
        .get::<(SchoolId, i64)>(keys::MEMBERSHIP)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
    // On the primary even in a replica page: a disabled account or a role taken away counts at
    // once (`web::reads`). Read with the session (`session_store`'s `load`: null, the account no
    // longer signs in), else now, on the sessions' pool (`repo::current`).
    let row = match session.get::<Option<CurrentRow>>(keys::PERSON).await {
        Ok(Some(person)) => person,
        _ => repo::current(&state.sessions, account_id, membership)
            .await
            .map_err(|e| AppError::from(e).into_response())?,
    };
    let Some(row) = row else {
        // The account was disabled or removed: this session is over.
        let _ = session.flush().await;
        return Err(to_login());
    };
    if row.must_change_password && parts.uri.path() != "/password" {
        return Err(Redirect::to("/password").into_response());
    }
    Ok((session, row))
}

fn viewer(session: Session, row: &CurrentRow, parts: &Parts) -> Viewer {
    Viewer {
        account_id: row.account_id,
        login: row.login.clone(),
        full_name: row.full_name.trim().to_string(),
        is_operator: row.is_operator,
        membership_count: row.membership_count,
        session,
        origin: origin(parts),
    }
}

impl<S> FromRequestParts<S> for Viewer
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let (session, row) = load(parts, &state).await?;
        Ok(viewer(session, &row, parts))
    }
}

impl<S> FromRequestParts<S> for Member
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let (session, row) = load(parts, &state).await?;
        let role = row.role.as_deref().and_then(|r| r.parse::<Role>().ok());
        let (Some(school_id), Some(membership_id), Some(role)) =
            (row.school_id, row.membership_id, role)
        else {
            return Err(Redirect::to("/choose").into_response());
        };
        let school = SchoolCtx {
            id: SchoolId(school_id),
            name: row.school_name.clone().unwrap_or_default(),
            time_zone: row.school_time_zone.clone().unwrap_or_default(),
        };
        Ok(Member {
            access: Access {
                school_id: school.id,
                role,
                class_id: row.class_id,
                timetable_editor: row.timetable_editor,
            },
            viewer: viewer(session, &row, parts),
            school,
            membership_id,
            role,
            class_id: row.class_id,
            pupil_id: row.pupil_id,
            unread_messages: row.unread_messages,
        })
    }
}
