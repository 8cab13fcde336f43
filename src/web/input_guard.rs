//! The net under every form: a request whose query string or urlencoded form carries a control
//! character anywhere (a NUL byte, another C0/C1 code — `input::is_forbidden_char`) is refused
//! with a Russian 422 page before any handler runs, so nothing is read or written with it.
//! Services still check each field themselves (`input::text` / `input::line`) to put the
//! message next to the field; this guard is for the fields a service forgets.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::input;

/// Forms larger than this are refused before they are read (as in `csrf::protect`).
pub const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

/// Whether urlencoded `data` decodes to a key or value with a forbidden character. Data that
/// does not decode at all is left to the extractor (which answers 400/422 in Russian).
fn carries_control_chars(data: &[u8]) -> bool {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(data).is_ok_and(|pairs| {
        pairs.iter().any(|(k, v)| {
            input::control_char_message(k)
                .or(input::control_char_message(v))
                .is_some()
        })
    })
}

fn refusal() -> Response {
    let message = input::control_char_message("\0").unwrap_or_default();
    AppError::invalid("form", message).into_response()
}

/// The middleware: refuses a query string or an urlencoded body with control characters.
pub async fn refuse_control_chars(request: Request, next: Next) -> Response {
    if request
        .uri()
        .query()
        .is_some_and(|q| carries_control_chars(q.as_bytes()))
    {
        return refusal();
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return AppError::invalid("form", "Слишком большая форма.").into_response();
    };
    if carries_control_chars(&bytes) {
        return refusal();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_anywhere_in_a_form_is_caught_plain_text_and_line_breaks_are_not() {
        assert!(carries_control_chars(b"a=1&name=%00"));
        assert!(carries_control_chars(b"na%01me=x"));
        assert!(carries_control_chars(b"back=%2Fclasses%2F%0B"));
        assert!(!carries_control_chars(
            "name=Иванов&text=две%0D%0Aстроки%09".as_bytes()
        ));
        assert!(!carries_control_chars(b"%FF%FE=x"));
    }
}
