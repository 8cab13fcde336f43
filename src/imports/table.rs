//! An uploaded file as rows of text cells: XLSX through calamine, or CSV in the encodings and
//! with the separators Russian Excel and LibreOffice write.

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use chrono::NaiveDate;
use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1251};

use super::values::collapse;

/// Why a file could not be read as a table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub enum ImportError {
    /// Neither a spreadsheet nor text with cells.
    NotATable,
    /// A spreadsheet the reader cannot open: damaged or encrypted.
    UnreadableSpreadsheet,
    /// Nothing but empty rows.
    NoRows,
}

impl ImportError {
    /// What to tell the person who uploaded the file.
    pub fn message(&self) -> &'static str {
        match self {
            ImportError::NotATable => "Файл не похож на таблицу CSV или XLSX.",
            ImportError::UnreadableSpreadsheet => {
                "Не удалось прочитать файл Excel: возможно, он повреждён или защищён паролем. \
                 Сохраните его заново как XLSX или CSV."
            }
            ImportError::NoRows => "В файле нет строк с данными.",
        }
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// The file's rows: cells trimmed, inner runs of spaces collapsed, fully empty rows dropped.
/// XLSX (by the `.xlsx` extension or the ZIP signature; also `.xls` and `.ods`) gives its first
/// sheet, numbers without a trailing `.0` and dates as `DD.MM.YYYY`; anything else is read as
/// CSV: UTF-8 (with or without BOM), UTF-16 with BOM, otherwise Windows-1251; the separator
/// (`;`, `,` or tab) is the one the first line uses most.
pub fn read_table(bytes: &[u8], file_name: &str) -> Result<Vec<Vec<String>>, ImportError> {
    let name = file_name.to_lowercase();
    let spreadsheet = [".xlsx", ".xlsm", ".xls", ".ods"]
        .iter()
        .any(|ext| name.ends_with(ext))
        || bytes.starts_with(ZIP_MAGIC)
        || bytes.starts_with(OLE_MAGIC);
    let rows = if spreadsheet {
        read_spreadsheet(bytes)?
    } else {
        read_csv(bytes)?
    };
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .filter(|row| row.iter().any(|cell| !cell.is_empty()))
        .collect();
    if rows.is_empty() {
        return Err(ImportError::NoRows);
    }
    Ok(rows)
}

fn read_spreadsheet(bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportError> {
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|_| ImportError::UnreadableSpreadsheet)?;
    let Some(range) = book.worksheet_range_at(0) else {
        return Err(ImportError::NoRows);
    };
    let range = range.map_err(|_| ImportError::UnreadableSpreadsheet)?;
    Ok(range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect())
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DurationIso(s) => collapse(s),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "да" } else { "нет" }.to_string(),
        Data::DateTime(d) if d.is_datetime() => d.as_datetime().map_or_else(
            || number_text(d.as_f64()),
            |d| d.format("%d.%m.%Y").to_string(),
        ),
        Data::DateTime(d) => number_text(d.as_f64()),
        Data::DateTimeIso(s) => s
            .get(..10)
            .and_then(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
            .map_or_else(|| collapse(s), |d| d.format("%d.%m.%Y").to_string()),
        Data::Error(e) => e.to_string(),
    }
}

/// A number as typed: `12` rather than `12.0`; phone numbers stored as numbers stay whole.
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportError> {
    let text = decode(bytes);
    if text.contains('\0') {
        return Err(ImportError::NotATable);
    }
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(first_line))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|record| {
            let record = record.map_err(|_| ImportError::NotATable)?;
            Ok(record.iter().map(collapse).collect())
        })
        .collect()
}

fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return UTF_16LE.decode_without_bom_handling(rest).0.into_owned();
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return UTF_16BE.decode_without_bom_handling(rest).0.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => WINDOWS_1251
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// The separator the header line uses most, outside quotes; `;` (Russian Excel) on a tie.
fn separator(line: &str) -> u8 {
    let mut counts = [(b';', 0), (b'\t', 0), (b',', 0)];
    let mut quoted = false;
    for c in line.bytes() {
        if c == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(entry) = counts.iter_mut().find(|(s, _)| *s == c) {
            entry.1 += 1;
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    counts
        .iter()
        .find(|(_, n)| *n == best)
        .map_or(b';', |(s, _)| *s)
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
