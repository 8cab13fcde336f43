//! CSRF protection: a random token per session, put into every form (and sent by htmx as a
//! header); every request that is not GET/HEAD must carry it, the login form included.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::RngCore;
use tower_sessions::Session;

use crate::auth::keys;
use crate::error::{AppError, AppResult};

pub const HEADER: &str = "x-csrf-token";
pub const FIELD: &str = "csrf";
/// Forms larger than this are refused before they are read.
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

/// The session's token, made on first use.
pub async fn token(session: &Session) -> AppResult<String> {
    if let Some(t) = session.get::<String>(keys::CSRF).await? {
        return Ok(t);
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let t = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    session.insert(keys::CSRF, &t).await?;
    Ok(t)
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn field_from_query(query: Option<&str>) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query?).ok()?;
    pairs.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v)
}

/// Refuses unsafe requests without the session's token (403, with a Russian explanation).
pub async fn protect(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return AppError::Csrf.into_response();
    };
    let expected = match session.get::<String>(keys::CSRF).await {
        Ok(Some(t)) => t,
        Ok(None) => return AppError::Csrf.into_response(),
        Err(e) => return AppError::from(e).into_response(),
    };
    if let Some(sent) = request.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        return if same(sent, &expected) {
            next.run(request).await
        } else {
            AppError::Csrf.into_response()
        };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        // Multipart uploads carry the token in the query string of the form's action.
        return match field_from_query(request.uri().query()) {
            Some(sent) if same(&sent, &expected) => next.run(request).await,
            _ => AppError::Csrf.into_response(),
        };
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return AppError::invalid("form", "Слишком большая форма.").into_response();
    };
    let sent = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v));
    match sent {
        Some(sent) if same(&sent, &expected) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => AppError::Csrf.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
        assert_eq!(
            field_from_query(Some("a=1&csrf=xyz")).as_deref(),
            Some("xyz")
        );
        assert_eq!(field_from_query(Some("a=1")), None);
    }
}
