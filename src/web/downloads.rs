//! Sends a report's [`Table`] as the file asked for by `?format=`: `xlsx` or `csv`
//! (`exports::table`); anything else (or nothing) is the page.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, AppResult};
use crate::exports::table::Table;

/// Whether `?format=` asks for a file rather than the page.
pub fn wants_file(format: Option<&str>) -> bool {
    matches!(format, Some("xlsx" | "csv"))
}

/// The table as an attachment in the format asked for; `None` for the page.
pub fn file(table: &Table, format: Option<&str>) -> AppResult<Option<Response>> {
    let (bytes, content_type, ext) = match format {
        Some("xlsx") => (
            table.xlsx(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        Some("csv") => (table.csv(), "text/csv; charset=utf-8", "csv"),
        _ => return Ok(None),
    };
    let bytes = bytes.map_err(|e| AppError::Refused(e.message()))?;
    let name = table.file_name(ext);
    let disposition = format!(
        "attachment; filename=\"report.{ext}\"; filename*=UTF-8''{}",
        percent_encode(&name)
    );
    Ok(Some(
        (
            [
                (header::CONTENT_TYPE, content_type.to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response(),
    ))
}

/// RFC 5987: every byte but ASCII letters, digits and `-._~` as `%XX`.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
