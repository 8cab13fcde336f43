//! Error pages: every error status leaves as a Russian page with the request id; what went wrong
//! inside is logged once and never shown.

use askama::Template;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::REQUEST_ID;
use crate::error::{AppError, DbRefusal, refusal_of};

/// Marks a response whose body the error-page middleware should render.
#[derive(Clone, Debug)]
struct ErrorPage {
    /// A message meant for the user (Russian), if any.
    message: Option<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            AppError::NotFound => (StatusCode::NOT_FOUND, None),
            AppError::Forbidden => (StatusCode::FORBIDDEN, None),
            AppError::Csrf => (
                StatusCode::FORBIDDEN,
                Some("Страница устарела: обновите её и повторите действие.".to_string()),
            ),
            AppError::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(errors.0.values().cloned().collect::<Vec<_>>().join(" ")),
            ),
            AppError::Refused(message) => (StatusCode::CONFLICT, Some(message.clone())),
            AppError::Database(e) => match refusal_of(e) {
                Some(refusal) => {
                    tracing::warn!(error = %e, "the database refused a write");
                    let status = match refusal {
                        DbRefusal::Duplicate | DbRefusal::InUse => StatusCode::CONFLICT,
                        DbRefusal::BadValue => StatusCode::UNPROCESSABLE_ENTITY,
                    };
                    (status, Some(refusal.message().to_string()))
                }
                None => {
                    tracing::error!(error = %e, "database error");
                    (StatusCode::INTERNAL_SERVER_ERROR, None)
                }
            },
            AppError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, None)
            }
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(ErrorPage { message });
        response
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(e: tower_sessions::session::Error) -> Self {
        AppError::Internal(anyhow::anyhow!("session: {e}"))
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(anyhow::anyhow!("template: {e}"))
    }
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorView {
    code: u16,
    title: &'static str,
    explanation: &'static str,
    message: Option<String>,
    request_id: String,
}

fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 | 413 | 415 | 422 => (
            "Не удалось обработать запрос",
            "Проверьте введённые данные и попробуйте ещё раз.",
        ),
        403 => (
            "Доступ запрещён",
            "У вас нет прав для этой страницы или действия.",
        ),
        404 => (
            "Страница не найдена",
            "Такой страницы нет, или она вам недоступна. Проверьте адрес.",
        ),
        405 => (
            "Действие недоступно",
            "Эту страницу нельзя открыть таким способом.",
        ),
        409 => ("Действие отклонено", "Изменение не выполнено."),
        429 => ("Слишком много запросов", "Подождите немного и повторите."),
        503 => (
            "Сервис временно недоступен",
            "Попробуйте через несколько минут.",
        ),
        s if s >= 500 => (
            "Внутренняя ошибка",
            "Что-то пошло не так на сервере. Мы уже знаем об этом; попробуйте позже.",
        ),
        _ => ("Ошибка", "Не удалось выполнить запрос."),
    }
}

/// Replaces the body of every error response that is not already a page (our own errors,
/// extractor rejections in English, panics) with the Russian error page.
pub async fn render_error_pages(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let page = response.extensions().get::<ErrorPage>().cloned();
    let is_html_or_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"));
    if page.is_none() && is_html_or_json {
        return response;
    }
    let (title, explanation) = describe(status);
    let view = ErrorView {
        code: status.as_u16(),
        title,
        explanation,
        message: page.and_then(|p| p.message),
        request_id,
    };
    let body = view
        .render()
        .unwrap_or_else(|_| format!("Ошибка {}", status.as_u16()));
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    let mut response = Response::from_parts(parts, Body::from(Html(body).0));
    *response.status_mut() = status;
    response
}
