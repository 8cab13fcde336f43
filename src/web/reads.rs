//! Which server a request reads from when a streaming replica is configured (issue 17, item 3;
//! `db::replica`). One rule, by route class, like `cached_plans` in `web::mod`:
//!
//! - **The replica**: GET of what parents, pupils and the management read and nobody writes
//!   through — the diary's week, marks and information (`/diary`, `/diary/marks`,
//!   `/diary/info`, the start pages `/parent`, `/pupil`), the reports and their files
//!   (`/reports…`, a class's summary sheet and period report, the class teacher's report), the
//!   management's start pages and control lists (`/director`, `/deputy`, `/control/{what}`).
//! - **The primary**: everything else — every write, the teacher's journal and lesson pages
//!   (a teacher sees their save at once), the live diary's stream and its refresh of the week
//!   (`/diary/events`, `/diary/week`: fetched because the primary just said a mark was saved),
//!   the pages forms return to, setup, accounts, messages, the platform.
//!
//! And two guards, so that the replica never shows someone less than they just did:
//! - **Your own writes**: every non-GET request's answer carries the cookie
//!   `zhurnal_read_after` — the primary's WAL position after it (`db::replica::write_position`).
//!   A page of the class goes to the replica only once the replica has replayed that far, so the
//!   page a form redirects to, or a parent's week after «Ознакомлен», comes from the primary until
//!   then. (The cookie only ever routes its own browser's reads; a forged one changes nothing
//!   else.)
//! - **A replica gone**: the monitor (every second) takes it out of use; a request that failed
//!   on it in between asks whether it still answers and, if not, is answered again from the
//!   primary (a GET has no body to lose).
//!
//! Who the user is and whether they may read a diary is always read on the primary
//! (`web::extract`, `web::diary`): a role taken away or a parent's link removed counts at once.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use tower::{Layer, Service, ServiceExt};

use crate::db::replica::Pools;

/// The cookie holding the primary's WAL position after this browser's last write.
pub const READ_AFTER: &str = "zhurnal_read_after";

/// Is this a page of the replica's route class (see the module's text)?
pub fn from_replica(method: &Method, path: &str) -> bool {
    method == Method::GET
        && (matches!(
            path,
            "/diary"
                | "/diary/marks"
                | "/diary/info"
                | "/parent"
                | "/pupil"
                | "/director"
                | "/deputy"
                | "/reports"
                | "/class-teacher/report"
        ) || path.starts_with("/reports/")
            || (path.starts_with("/control/") && path != "/control/outages")
            || (path.starts_with("/classes/")
                && (path.ends_with("/summary") || path.ends_with("/report"))))
}

/// The WAL position in the request's `zhurnal_read_after` cookie, if any.
fn read_after(request: &Request) -> Option<i64> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == READ_AFTER)
        .and_then(|(_, value)| value.parse::<i64>().ok())
}

/// Routes each request's reads (see the module's text). Innermost, around each route.
#[derive(Clone)]
pub struct ReadsLayer {
    pub pools: Pools,
    pub secure_cookies: bool,
}

impl<S> Layer<S> for ReadsLayer {
    type Service = ReadsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ReadsService {
            inner,
            pools: self.pools.clone(),
            secure_cookies: self.secure_cookies,
        }
    }
}

#[derive(Clone)]
pub struct ReadsService<S> {
    inner: S,
    pools: Pools,
    secure_cookies: bool,
}

impl<S> Service<Request> for ReadsService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The ready service answers this request; a fresh clone waits for the next one.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let pools = self.pools.clone();
        let secure = self.secure_cookies;
        Box::pin(async move {
            let Some(replica) = pools.replica().cloned() else {
                return inner.oneshot(request).await;
            };
            let method = request.method().clone();
            if method != Method::GET && method != Method::HEAD {
                let mut response = inner.oneshot(request).await?;
                // After the write: this browser reads from the primary until the replica has it.
                if let Ok(position) = crate::db::replica::write_position(pools.primary()).await {
                    let secure = if secure { "; Secure" } else { "" };
                    let cookie = format!(
                        "{READ_AFTER}={position}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax{secure}"
                    );
                    if let Ok(value) = HeaderValue::from_str(&cookie) {
                        response.headers_mut().append(header::SET_COOKIE, value);
                    }
                }
                return Ok(response);
            }
            if !from_replica(&method, request.uri().path()) || !replica.serves(read_after(&request))
            {
                return inner.oneshot(request).await;
            }
            // A GET has no body: the same request can be answered again from the primary.
            let (parts, _) = request.into_parts();
            let again = Request::from_parts(parts.clone(), Body::empty());
            let response = crate::db::scope::replica_reads(
                inner
                    .clone()
                    .oneshot(Request::from_parts(parts, Body::empty())),
            )
            .await?;
            let failed = matches!(
                response.status(),
                StatusCode::INTERNAL_SERVER_ERROR | StatusCode::SERVICE_UNAVAILABLE
            );
            if failed && !replica.answers().await {
                return inner.oneshot(again).await;
            }
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replica_serves_the_diary_and_the_reports_read_with_get_and_nothing_else() {
        for path in [
            "/diary",
            "/diary/marks",
            "/parent",
            "/pupil",
            "/director",
            "/deputy",
            "/reports",
            "/reports/progress",
            "/reports/progress.xlsx",
            "/control/late-marks",
            "/classes/5/summary",
            "/classes/5/report",
            "/class-teacher/report",
        ] {
            assert!(from_replica(&Method::GET, path), "{path}");
        }
        for path in [
            "/diary/week",
            "/diary/events",
            "/journal/5",
            "/lessons/7",
            "/teacher",
            "/control/outages",
            "/classes/5",
            "/class-teacher/absences",
            "/messages",
            "/login",
        ] {
            assert!(!from_replica(&Method::GET, path), "{path}");
        }
        assert!(!from_replica(&Method::POST, "/diary"));
        assert!(!from_replica(&Method::POST, "/reports/progress"));
    }

    #[test]
    fn the_read_after_cookie_is_found_among_others() {
        let request = Request::builder()
            .header(
                header::COOKIE,
                "zhurnal_session=abc; zhurnal_read_after=12345",
            )
            .body(Body::empty())
            .unwrap();
        assert_eq!(read_after(&request), Some(12345));
        let request = Request::builder()
            .header(header::COOKIE, "zhurnal_read_after=x")
            .body(Body::empty())
            .unwrap();
        assert_eq!(read_after(&request), None);
    }
}
