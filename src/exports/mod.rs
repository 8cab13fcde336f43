//! Documents the school prints or downloads. Pure: data in, file bytes out; the caller loads
//! the data and sends the file.
//!
//! - [`pdf::credential_slips`]: A4 pages of cut-apart slips with each person's login and
//!   initial password (реквизиты доступа), to hand out against a signature.
//! - [`diary_pdf::weekly_extract`]: the printed weekly extract of the diary (§4), a page per
//!   pupil, for parents without the internet or who refused electronic information.
//! - [`table::Table`]: a report's table as CSV (UTF-8 with BOM, `;`) or XLSX, the same rows
//!   its page shows.
//!
//! The PDF font is DejaVu Sans (`assets/fonts`, Bitstream Vera licence in
//! `assets/fonts/LICENSE-DejaVu.txt`), compiled into the binary and subset into each file.

pub mod archive_pdf;
pub mod diary_pdf;
pub mod pdf;
pub mod table;

pub use pdf::{CredentialSlip, ExportError, credential_slips};
