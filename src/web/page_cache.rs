//! Issue 16: the pages people read all day — the journal grid, the lesson page, the diary's
//! week and its marks — are kept rendered and compressed, and served again for as long as what
//! they show is unchanged.
//!
//! «Unchanged» is asked of the database on every request, never assumed: every change to what
//! these pages show records an audit event in its own transaction (`audit::record`), and the
//! chain gives each event its place in the school's chain (`chain_seq`) under the chain head's
//! lock, so in commit order. A page's [`Versions`] name the last event among the events of the
//! journals it shows, and among the school's events that name no journal (names, periods,
//! settings, memberships, …) or reshape journals, read by backward index probes (migration
//! `page_versions`), plus what the page shows that is no journal data (the parent's
//! «Ознакомлен»). A kept page is served only when the versions read now equal the ones read
//! before it was rendered; read before its data, they can only be older than what it shows, so a
//! change that commits meanwhile makes the next request render again rather than keep something
//! stale. Nothing is ever invalidated from outside: a write elsewhere (another server, the command
//! line) is seen the same way. A page that changes by the time of day is kept until then
//! ([`Stamp::until`]).
//!
//! A kept page is a person's own: its key holds the membership, the day (a page shows today's
//! column and chooses its period by the date) and everything of the layout around the page —
//! the CSRF token, the name, the unread count. A page with a one-time message is never kept. The
//! permission was judged when the page was rendered; what it was judged by (teaching
//! assignments, substitutions, memberships, links to children) is audited like the rest, so a
//! page served again is one the person may still read. The kept pages are bounded in bytes
//! (`ZHURNAL_PAGE_CACHE_MB`, 32 by default; 0 keeps none) and evicted by a hit-rate policy.

use std::io::{Read, Write};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, NaiveDateTime};
use sqlx::PgConnection;

use super::extract::Member;
use super::layout::Layout;
use crate::error::AppResult;
use crate::tenancy::SchoolId;

/// A page looked up: served kept (with its note), or to be rendered — and kept, under its key
/// and the versions read before it, when it may be.
pub enum Looked {
    Served(Response, u8),
    Render(Option<(PageKey, Versions)>),
}

/// How a page was rendered: what from, as far as the database can tell (`versions`), the
/// caller's `note`, and until when the clock leaves it as it is (`until`, school-local).
#[derive(Clone, Copy, Debug)]
pub struct Stamp {
    pub versions: Versions,
    pub note: u8,
    pub until: Option<NaiveDateTime>,
}

impl Stamp {
    pub fn new(versions: Versions) -> Self {
        Self {
            versions,
            note: 0,
            until: None,
        }
    }
}

/// What a kept page was rendered from, as far as the database can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Versions {
    /// The last event among the events of the page's journals (`audit::chain::version`).
    pub journals: i64,
    /// The last event among the school's events that name no journal or reshape journals.
    pub school: i64,
    /// What else the page shows: the parent's «Ознакомлен» of the week (microseconds), else 0.
    pub own: i64,
}

/// Which page, for whom, on which day, around which layout.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageKey {
    page: &'static str,
    membership: i64,
    account: i64,
    day: NaiveDate,
    args: [i64; 3],
    layout: String,
}

struct Kept {
    versions: Versions,
    /// The caller's note on the page (the diary: as whose view it was rendered).
    note: u8,
    /// The school-local moment the page may change by the clock alone (the lesson page's
    /// notices: the lesson begins, the homework's time is over); within its day otherwise.
    until: Option<NaiveDateTime>,
    /// The page, compressed (gzip).
    gzip: Bytes,
}

#[derive(Clone)]
struct Weight;

impl quick_cache::Weighter<PageKey, Arc<Kept>> for Weight {
    fn weight(&self, key: &PageKey, kept: &Arc<Kept>) -> u64 {
        (kept.gzip.len() + key.layout.len() + 192) as u64
    }
}

/// The kept pages of this server.
pub struct PageCache {
    pages: Option<quick_cache::sync::Cache<PageKey, Arc<Kept>, Weight>>,
}

impl PageCache {
    /// Keeps up to `bytes` of compressed pages; 0 keeps none.
    pub fn new(bytes: u64) -> Self {
        let pages = (bytes > 0).then(|| {
            // The estimate of entries: a diary week is some 4 KB compressed, a grid 10 KB.
            let items = (bytes / 6_000).max(16) as usize;
            quick_cache::sync::Cache::with_weighter(items, bytes, Weight)
        });
        Self { pages }
    }

    /// The key of `page` with `args` for `member` on `day` around `layout`; none when pages are
    /// not kept or the layout holds a one-time message.
    pub fn key(
        &self,
        page: &'static str,
        member: &Member,
        day: NaiveDate,
        args: [i64; 3],
        layout: &Layout,
    ) -> Option<PageKey> {
        self.pages.as_ref()?;
        Some(PageKey {
            page,
            membership: member.membership_id,
            account: member.viewer.account_id,
            day,
            args,
            layout: layout.identity()?,
        })
    }

    /// The kept page of `key`, and its note, when it was rendered at `versions` and the clock
    /// (`now`, school-local) has not passed its `until`, as the answer to a request that does
    /// (`gzip`) or does not take gzip.
    fn served(
        &self,
        key: &PageKey,
        versions: Versions,
        now: NaiveDateTime,
        gzip: bool,
    ) -> Option<(Response, u8)> {
        let kept = self.pages.as_ref()?.get(key)?;
        if kept.versions != versions || kept.until.is_some_and(|until| now >= until) {
            return None;
        }
        let mut response = if gzip {
            gzipped(kept.gzip.clone())
        } else {
            let mut html = String::with_capacity(kept.gzip.len() * 8);
            flate2::read::GzDecoder::new(&kept.gzip[..])
                .read_to_string(&mut html)
                .ok()?;
            axum::response::Html(html).into_response()
        };
        // Told to the browser's developer tools (and the tests): this answer was a kept page.
        response
            .headers_mut()
            .insert("server-timing", HeaderValue::from_static("page;desc=kept"));
        Some((response, kept.note))
    }

    /// The kept page of `key` (none: pages are not kept, or this one may not be) if `versions`
    /// — read only when there is a key — and the clock (`now`, school-local) say it is as it
    /// was; else what rendering it needs to keep it.
    pub async fn look_up(
        &self,
        key: Option<PageKey>,
        versions: impl Future<Output = AppResult<Versions>>,
        now: NaiveDateTime,
        gzip: bool,
    ) -> AppResult<Looked> {
        let Some(key) = key else {
            return Ok(Looked::Render(None));
        };
        let versions = versions.await?;
        Ok(match self.served(&key, versions, now, gzip) {
            Some((page, note)) => Looked::Served(page, note),
            None => Looked::Render(Some((key, versions))),
        })
    }

    /// A page rendered after `look_up` as the answer: kept, stamped with its versions by
    /// `stamp`, when it may be.
    pub fn answer(
        &self,
        kept: Option<(PageKey, Versions)>,
        stamp: impl FnOnce(Versions) -> Stamp,
        html: String,
        gzip: bool,
    ) -> Response {
        match kept {
            Some((key, versions)) => self.keep(key, stamp(versions), html, gzip),
            None => axum::response::Html(html).into_response(),
        }
    }

    /// Keeps `html`, rendered as `stamp` says, under `key`, and answers with it.
    pub fn keep(&self, key: PageKey, stamp: Stamp, html: String, gzip: bool) -> Response {
        let Some(pages) = &self.pages else {
            return axum::response::Html(html).into_response();
        };
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(html.len() / 6),
            flate2::Compression::fast(),
        );
        let compressed = match encoder
            .write_all(html.as_bytes())
            .and_then(|()| encoder.finish())
        {
            Ok(compressed) => Bytes::from(compressed),
            Err(e) => {
                tracing::warn!(error = %e, "a page could not be compressed to be kept");
                return axum::response::Html(html).into_response();
            }
        };
        let kept = Kept {
            versions: stamp.versions,
            note: stamp.note,
            until: stamp.until,
            gzip: compressed.clone(),
        };
        pages.insert(key, Arc::new(kept));
        if gzip {
            gzipped(compressed)
        } else {
            axum::response::Html(html).into_response()
        }
    }
}

/// A compressed page as the answer (the compression layer passes it by: it is encoded already).
fn gzipped(compressed: Bytes) -> Response {
    let mut response = Response::new(Body::from(compressed));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Whether the request takes gzip (`Accept-Encoding`), as the compression layer would judge it.
pub struct Gzip(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for Gzip {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let takes = parts
            .headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(takes_gzip);
        Ok(Gzip(takes))
    }
}

/// One coding of `Accept-Encoding`: gzip (or any) with a weight above zero.
fn takes_gzip(coding: &str) -> bool {
    let mut parts = coding.split(';');
    let name = parts.next().unwrap_or("").trim();
    if !(name.eq_ignore_ascii_case("gzip") || name == "*") {
        return false;
    }
    parts.all(|p| {
        let p = p.trim();
        match p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
            Some(q) => q.trim().parse::<f32>().map(|q| q > 0.0).unwrap_or(false),
            None => true,
        }
    })
}

/// Whose pages: a journal's (the grid), or a lesson's (its journal's).
#[derive(Clone, Copy, Debug)]
pub enum Of {
    Journal(i64),
    Lesson(i64),
}

/// The statement of [`journal`]'s versions: `$1` the school, `$2` the journal or else `$3` the
/// lesson. A constant, for the test that reads its plan (`tests/it/page_cache.rs`).
///
/// Its journal's last event must be found by the journal's index (`audit_event_group_chain`),
/// one probe however many events the school recorded since — not by walking the school's chain
/// backwards from its newest event until one of the journal's turns up. Two things steered the
/// planner to the walk, which read 8.8 ms a page once another journal had had 3 000 saves
/// (docs/TESTING.md «Eleventh round»):
/// - the journal was `coalesce($2, …)`: behind the school wall (row security) PostgreSQL makes
///   an index condition only of a clause it knows to leak nothing, and `coalesce` is not one
///   (docs/ARCHITECTURE.md «Database roles»). It is `CASE` now, in a sub-select kept apart
///   (`OFFSET 0`) so that the lesson is looked up once;
/// - with the journal as an equality, the order by place alone is one the school's chain index
///   gives too, and the generic plan takes it whenever a school has few journals (one in two
///   events «of this journal» on average). A range of one journal, ordered by the journal
///   first, is an order only the journal's index gives.
pub const JOURNAL_VERSIONS: &str = r#"
    SELECT (SELECT substring(e.chain_hash FROM 1 FOR 8) FROM audit_event e
            WHERE e.school_id = $1 AND e.group_id >= j.id AND e.group_id <= j.id
            ORDER BY e.group_id DESC, e.chain_seq DESC LIMIT 1) AS journals,
           (SELECT substring(e.chain_hash FROM 1 FOR 8) FROM audit_school_event e
            WHERE e.school_id = $1 ORDER BY e.chain_seq DESC LIMIT 1) AS school
    FROM (SELECT CASE WHEN $2::bigint IS NOT NULL THEN $2
                      ELSE (SELECT l.group_id FROM lesson l
                            WHERE l.school_id = $1 AND l.id = $3) END AS id
          OFFSET 0) j"#;

/// The versions of a journal's or a lesson's page: the journal's and the school's.
pub async fn journal(conn: &mut PgConnection, school: SchoolId, of: Of) -> AppResult<Versions> {
    let (group, lesson) = match of {
        Of::Journal(group) => (Some(group), None),
        Of::Lesson(lesson) => (None, Some(lesson)),
    };
    let (journals, school): crate::audit::chain::JournalAndSchool =
        sqlx::query_as(JOURNAL_VERSIONS)
            .bind(school.0)
            .bind(group)
            .bind(lesson)
            .fetch_one(conn)
            .await?;
    Ok(Versions {
        journals: crate::audit::chain::version(journals),
        school: crate::audit::chain::version(school),
        own: 0,
    })
}

/// The statement of [`diary`]'s versions: `$1` the school, `$2` the pupil, `$3` the parent
/// reading, `$4` the week's Monday. Each journal's last event by the journal's index, ordered as
/// [`JOURNAL_VERSIONS`] says why.
pub const DIARY_VERSIONS: &str = r#"
    SELECT (SELECT substring(v.chain_hash FROM 1 FOR 8)
            FROM group_pupil gp
            CROSS JOIN LATERAL (
                SELECT e.chain_seq, e.chain_hash FROM audit_event e
                WHERE e.school_id = $1 AND e.group_id >= gp.group_id AND e.group_id <= gp.group_id
                ORDER BY e.group_id DESC, e.chain_seq DESC LIMIT 1) v
            WHERE gp.school_id = $1 AND gp.pupil_id = $2
            ORDER BY v.chain_seq DESC LIMIT 1) AS journals,
           (SELECT substring(e.chain_hash FROM 1 FOR 8) FROM audit_school_event e
            WHERE e.school_id = $1 ORDER BY e.chain_seq DESC LIMIT 1) AS school,
           coalesce((SELECT (extract(epoch FROM a.acknowledged_at) * 1000000)::bigint
                     FROM diary_ack a
                     WHERE a.school_id = $1 AND a.pupil_id = $2 AND a.account_id = $3
                       AND a.week_start = $4), 0) AS own"#;

/// The versions of a pupil's diary pages: the last event of every journal the pupil is in (a
/// journal the pupil leaves is seen through the school's events), the school's, and
/// the parent `reader`'s «Ознакомлен» of the week from `monday`.
pub async fn diary(
    conn: &mut PgConnection,
    school: SchoolId,
    pupil: i64,
    reader: Option<i64>,
    monday: NaiveDate,
) -> AppResult<Versions> {
    let (journals, school, own): (Option<Vec<u8>>, Option<Vec<u8>>, i64) =
        sqlx::query_as(DIARY_VERSIONS)
            .bind(school.0)
            .bind(pupil)
            .bind(reader)
            .bind(monday)
            .fetch_one(conn)
            .await?;
    Ok(Versions {
        journals: crate::audit::chain::version(journals),
        school: crate::audit::chain::version(school),
        own,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_taken_as_a_browser_offers_it_and_not_when_refused() {
        assert!(takes_gzip("gzip"));
        assert!(takes_gzip(" gzip;q=0.5"));
        assert!(takes_gzip("*"));
        assert!(!takes_gzip("gzip;q=0"));
        assert!(!takes_gzip("br"));
        assert!(!takes_gzip("identity"));
    }

    #[test]
    fn a_kept_page_is_served_only_at_the_versions_it_was_rendered_at() {
        let cache = PageCache::new(1 << 20);
        let key = PageKey {
            page: "test",
            membership: 1,
            account: 2,
            day: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            args: [3, 0, 0],
            layout: "csrf".into(),
        };
        let at = Versions {
            journals: 10,
            school: 5,
            own: 0,
        };
        let now = key.day.and_hms_opt(9, 0, 0).unwrap();
        let stamp = Stamp {
            note: 7,
            ..Stamp::new(at)
        };
        let _ = cache.keep(key.clone(), stamp, "<p>Журнал</p>".into(), true);
        assert_eq!(
            cache.served(&key, at, now, true).map(|(_, note)| note),
            Some(7)
        );
        for later in [
            Versions { journals: 11, ..at },
            Versions { school: 6, ..at },
            Versions { own: 1, ..at },
        ] {
            assert!(cache.served(&key, later, now, true).is_none(), "{later:?}");
        }
        let other_day = PageKey {
            day: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            ..key.clone()
        };
        assert!(cache.served(&other_day, at, now, true).is_none());
        assert!(PageCache::new(0).served(&key, at, now, true).is_none());

        // A page the clock changes at 10:00 (a lesson begins) is kept until then only.
        let ten = key.day.and_hms_opt(10, 0, 0).unwrap();
        let until_ten = Stamp {
            until: Some(ten),
            ..Stamp::new(at)
        };
        let _ = cache.keep(key.clone(), until_ten, "<p>Урок</p>".into(), true);
        assert!(cache.served(&key, at, now, true).is_some());
        assert!(cache.served(&key, at, ten, true).is_none());
    }
}
