//! CSRF protection: every request that is not GET/HEAD must carry a token the attacker's page
//! cannot know — a form field `csrf`, the `x-csrf-token` header (htmx), or the query string for
//! multipart uploads.
//!
//! Signed in, the token is kept in the session (renewed at login). Before login there is no
//! session (a session row is made only when there is something to keep, issue 11): the login form
//! is protected by a double-submit cookie instead — a random token in an HttpOnly, SameSite=Lax
//! cookie (`__Host-` prefixed when cookies are Secure) that the form must repeat. Another site
//! can neither read that cookie nor set it, so it cannot post a matching pair.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::RngCore;
use tower_sessions::Session;
use tower_sessions::cookie::{Cookie, SameSite};

use super::input_guard::MAX_FORM_BYTES;
use crate::auth::keys;
use crate::error::{AppError, AppResult};

pub const HEADER: &str = "x-csrf-token";
pub const FIELD: &str = "csrf";
/// The double-submit cookie of anonymous forms (with `__Host-` in front when Secure).
pub const COOKIE: &str = "zhurnal_csrf";

tokio::task_local! {
    /// The anonymous token of the request being served (from its cookie, or a new one).
    static ANONYMOUS: String;
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The token for the forms of this page: the session's when someone is signed in (made on first
/// use), else the anonymous cookie's (no session row is made for it).
pub async fn token(session: &Session) -> AppResult<String> {
    if session.get::<i64>(keys::ACCOUNT_ID).await?.is_none()
        && let Ok(t) = ANONYMOUS.try_with(Clone::clone)
    {
        return Ok(t);
    }
    if let Some(t) = session.get::<String>(keys::CSRF).await? {
        return Ok(t);
    }
    let t = random_token();
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

fn cookie_name(secure: bool) -> String {
    if secure {
        format!("__Host-{COOKIE}")
    } else {
        COOKIE.to_string()
    }
}

/// The anonymous token the browser sent in its cookie, if it looks like one of ours.
fn cookie_token(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| Cookie::parse(c.trim().to_string()).ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
        .filter(|v| {
            v.len() == 43
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Refuses unsafe requests without the right token (403, with a Russian explanation), and
/// gives an anonymous browser its double-submit cookie. `secure`: `config.secure_cookies`.
pub async fn protect(State(secure): State<bool>, request: Request, next: Next) -> Response {
    let name = cookie_name(secure);
    let sent_cookie = cookie_token(&request, &name);
    let fresh = sent_cookie.is_none();
    let anonymous = sent_cookie.clone().unwrap_or_else(random_token);
    let mut response = ANONYMOUS
        .scope(anonymous.clone(), check(request, sent_cookie, next))
        .await;
    if fresh {
        let cookie = Cookie::build((name, anonymous))
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .build();
        if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// The token this request must carry: the session's when signed in, else the cookie's.
async fn expected(session: &Session, cookie: Option<String>) -> Result<Option<String>, AppError> {
    if session.get::<i64>(keys::ACCOUNT_ID).await?.is_some() {
        Ok(session.get::<String>(keys::CSRF).await?)
    } else {
        Ok(cookie)
    }
}

async fn check(request: Request, cookie: Option<String>, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return AppError::Csrf.into_response();
    };
    let expected = match expected(&session, cookie).await {
        Ok(Some(t)) => t,
        Ok(None) => return AppError::Csrf.into_response(),
        Err(e) => return e.into_response(),
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

    #[test]
    fn only_a_token_of_our_shape_is_taken_from_the_cookie() {
        let token = random_token();
        let request = |cookie: &str| {
            Request::builder()
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap()
        };
        let r = request(&format!("a=b; zhurnal_csrf={token}"));
        assert_eq!(cookie_token(&r, COOKIE), Some(token.clone()));
        assert_eq!(cookie_token(&r, "__Host-zhurnal_csrf"), None);
        assert_eq!(cookie_token(&request("zhurnal_csrf=short"), COOKIE), None);
    }
}
