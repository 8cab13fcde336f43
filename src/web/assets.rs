//! Static files built into the binary, so that the server needs nothing beside it.
//!
//! Each file has a content-addressed URL, `/static/app.<hash>.css` (the first 12 hex digits of
//! the SHA-256 of its bytes, computed once at start), which pages refer to through [`url`] and
//! browsers may keep for a year (`immutable`): a changed file gets a new URL. The plain name
//! (`/static/app.css`) and a name with an older hash still answer with the current file, cached
//! for five minutes only.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// `(name, content type, bytes)` of every static file.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/app.css"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/htmx.min.js"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/app.js"),
    ),
];

/// What a content-addressed URL may be cached for: a year, never revalidated.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// What the plain name (and a stale hash) may be cached for.
pub const SHORT: &str = "public, max-age=300";

struct Asset {
    name: &'static str,
    mime: &'static str,
    body: &'static [u8],
    /// `app.<hash>.css`.
    hashed: String,
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|&(name, mime, body)| {
            let digest = Sha256::digest(body);
            let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
            let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
            Asset {
                name,
                mime,
                body,
                hashed: format!("{stem}.{hash}.{ext}"),
            }
        })
        .collect()
});

/// The URL a page uses for the static file `name`: `/static/app.<hash>.css`. An unknown name
/// (a programming error) gets its plain URL.
pub fn url(name: &str) -> String {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => format!("/static/{}", a.hashed),
        None => format!("/static/{name}"),
    }
}

/// The file a requested name stands for, and whether the name is its current content address.
fn lookup(requested: &str) -> Option<(&'static Asset, bool)> {
    let assets: &'static [Asset] = &ASSETS;
    if let Some(a) = assets.iter().find(|a| a.hashed == requested) {
        return Some((a, true));
    }
    if let Some(a) = assets.iter().find(|a| a.name == requested) {
        return Some((a, false));
    }
    // `app.<older hash>.css`: a page rendered before the file changed.
    let (rest, ext) = requested.rsplit_once('.')?;
    let (stem, hash) = rest.rsplit_once('.')?;
    if hash.is_empty() || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let plain = format!("{stem}.{ext}");
    assets.iter().find(|a| a.name == plain).map(|a| (a, false))
}

pub async fn serve(Path(file): Path<String>) -> Response {
    match lookup(&file) {
        Some((asset, current)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(asset.mime)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static(if current { IMMUTABLE } else { SHORT }),
                ),
            ],
            asset.body,
        )
            .into_response(),
        None => AppError::NotFound.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_static_file_has_a_url_named_by_its_content() {
        let css = url("app.css");
        let hash = css
            .strip_prefix("/static/app.")
            .and_then(|h| h.strip_suffix(".css"))
            .expect("/static/app.<hash>.css");
        assert_eq!(hash.len(), 12);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(url("app.js"), url("htmx.min.js"));
        assert!(url("htmx.min.js").starts_with("/static/htmx.min."));
        assert!(lookup(&css["/static/".len()..]).is_some_and(|(_, current)| current));
        assert!(lookup("app.css").is_some_and(|(_, current)| !current));
        assert!(lookup("app.0123456789ab.css").is_some_and(|(_, current)| !current));
        assert!(lookup("app.zz.css").is_none());
        assert!(lookup("other.css").is_none());
    }
}
