//! An uploaded file as rows of text cells: XLSX (read cell by cell, never from its declared
//! size) or CSV in the encodings and with the separators Russian Excel and LibreOffice write.
//!
//! Everything a file may make the server do is bounded before it is done: the upload's bytes
//! (`MAX_UPLOAD_BYTES`, counted by the web layer), the XLSX package's unpacked bytes (every entry
//! is inflated once into nothing, with a running total, before the spreadsheet reader opens it),
//! the shared-string count it declares, and the rows, columns, characters per cell and cells
//! that become text. A file over a bound is refused with a Russian message naming the bound.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1251};

use super::values::collapse;
use crate::input::{is_forbidden_char, plural};

/// The largest file accepted, in bytes (the route's body limit, axum's 2 MiB default, is a
/// little above it, for the form around the file).
pub const MAX_UPLOAD_BYTES: usize = 2_000_000;
/// The most columns with text a table may have.
pub const MAX_COLUMNS: usize = 100;
/// The most characters in one cell.
pub const MAX_CELL_CHARS: usize = 1_000;
/// The most cells with text, and the most bytes of their text together.
pub const MAX_CELLS: usize = 200_000;
const MAX_TEXT_BYTES: usize = 16 << 20;
/// Rows above the data a table may have besides its data rows: titles and the header.
pub const HEADER_ROWS: usize = 11;
/// The most bytes an XLSX package may unpack to, all entries together.
const MAX_UNPACKED_BYTES: u64 = 32 << 20;
/// The most bytes of the shared strings and of the styles: both are read whole into memory.
const MAX_SHARED_STRINGS_BYTES: u64 = 8 << 20;
const MAX_STYLES_BYTES: u64 = 2 << 20;
/// The most entries in an XLSX package (a workbook has a dozen).
const MAX_ENTRIES: usize = 1_000;
/// The most shared strings a package may declare: the reader reserves memory for that many.
const MAX_SHARED_STRINGS: u64 = 1_000_000;
/// The most cell formats (Excel's own limit is 64 000) and number formats a package may have.
const MAX_CELL_FORMATS: usize = 64_000;
const MAX_NUMBER_FORMATS: usize = 1_000;

/// Why a file could not be read as a table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub enum ImportError {
    /// Neither a spreadsheet nor text with cells.
    NotATable,
    /// A spreadsheet the reader cannot open: damaged or encrypted.
    UnreadableSpreadsheet,
    /// XLS or ODS: not read (their readers build the whole sheet in memory).
    OtherSpreadsheet,
    /// Nothing but empty rows.
    NoRows,
    /// More than `MAX_UPLOAD_BYTES`.
    TooLarge,
    /// An XLSX that unpacks to more than the package bounds.
    TooLargeUnpacked,
    /// More rows with text than the import takes (its data-row cap).
    TooManyRows(usize),
    TooManyColumns,
    TooManyCells,
    /// More cell formats than Excel allows, or an absurd number of number formats.
    TooManyFormats,
    /// A cell longer than `MAX_CELL_CHARS`, in this row of the file.
    CellTooLong(usize),
    /// A control character in a cell, in this row of the file.
    ControlCharacter(usize),
}

impl ImportError {
    /// What to tell the person who uploaded the file.
    pub fn message(&self) -> String {
        match self {
            ImportError::NotATable => "Файл не похож на таблицу CSV или XLSX.".into(),
            ImportError::UnreadableSpreadsheet => {
                "Не удалось прочитать файл Excel: возможно, он повреждён или защищён паролем. \
                 Сохраните его заново как XLSX или CSV."
                    .into()
            }
            ImportError::OtherSpreadsheet => {
                "Файлы XLS и ODS не принимаются: сохраните таблицу как XLSX или CSV \
                 («Файл → Сохранить как»)."
                    .into()
            }
            ImportError::NoRows => "В файле нет строк с данными.".into(),
            ImportError::TooLarge => format!(
                "Файл больше {} МБ: столько списки не весят. Сохраните в нём только таблицу \
                 (один лист) или разделите её на несколько файлов.",
                MAX_UPLOAD_BYTES / 1_000_000
            ),
            ImportError::TooLargeUnpacked => format!(
                "Файл XLSX распаковывается больше чем в {} МБ: это не похоже на список. \
                 Сохраните таблицу заново как XLSX или CSV, только нужный лист.",
                MAX_UNPACKED_BYTES >> 20
            ),
            ImportError::TooManyRows(cap) => format!(
                "В таблице больше {} {}: за один раз можно загрузить не больше {}. \
                 Разделите её на несколько файлов.",
                thousands(*cap),
                plural(*cap, "строки", "строк", "строк"),
                thousands(*cap)
            ),
            ImportError::TooManyColumns => {
                format!("В таблице больше {MAX_COLUMNS} столбцов: оставьте только нужные.")
            }
            ImportError::TooManyCells => format!(
                "В таблице больше {} заполненных ячеек или {} МБ текста: разделите её на \
                 несколько файлов.",
                thousands(MAX_CELLS),
                MAX_TEXT_BYTES >> 20
            ),
            ImportError::TooManyFormats => format!(
                "В файле больше {} стилей ячеек — больше, чем допускает Excel. Сохраните \
                 таблицу заново как CSV.",
                thousands(MAX_CELL_FORMATS)
            ),
            ImportError::CellTooLong(row) => format!(
                "Строка {row} файла: в ячейке больше {} символов.",
                thousands(MAX_CELL_CHARS)
            ),
            ImportError::ControlCharacter(row) => format!(
                "Строка {row} файла: в ячейке есть служебные (непечатаемые) символы. \
                 Уберите их и загрузите файл снова."
            ),
        }
    }
}

/// `5000` as «5 000», as Russian texts write numbers.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// What the reader keeps while it reads: rows with text and their cells, against the bounds.
struct Rows {
    /// Row number in the file (from 0) → its cells.
    rows: BTreeMap<u32, Vec<String>>,
    max_rows: usize,
    cells: usize,
    bytes: usize,
}

impl Rows {
    /// `data_rows`: the import's cap on data rows; `HEADER_ROWS` more are allowed for titles and
    /// the header.
    fn new(data_rows: usize) -> Self {
        Rows {
            rows: BTreeMap::new(),
            max_rows: data_rows,
            cells: 0,
            bytes: 0,
        }
    }

    /// Keeps a cell's text (already collapsed); empty cells are not kept.
    fn put(&mut self, row: u32, column: usize, text: String) -> Result<(), ImportError> {
        if text.is_empty() {
            return Ok(());
        }
        let number = row as usize + 1;
        if text.chars().any(is_forbidden_char) {
            return Err(ImportError::ControlCharacter(number));
        }
        if text.chars().count() > MAX_CELL_CHARS {
            return Err(ImportError::CellTooLong(number));
        }
        if column >= MAX_COLUMNS {
            return Err(ImportError::TooManyColumns);
        }
        self.cells += 1;
        self.bytes += text.len();
        if self.cells > MAX_CELLS || self.bytes > MAX_TEXT_BYTES {
            return Err(ImportError::TooManyCells);
        }
        if !self.rows.contains_key(&row) && self.rows.len() >= self.max_rows + HEADER_ROWS {
            return Err(ImportError::TooManyRows(self.max_rows));
        }
        let cells = self.rows.entry(row).or_default();
        if cells.len() <= column {
            cells.resize(column + 1, String::new());
        }
        cells[column] = text;
        Ok(())
    }

    fn finish(self) -> Result<Vec<Vec<String>>, ImportError> {
        if self.rows.is_empty() {
            return Err(ImportError::NoRows);
        }
        Ok(self.rows.into_values().collect())
    }
}

/// The file's rows with text: cells trimmed, inner runs of spaces collapsed, empty cells at the
/// end of a row and fully empty rows dropped, at most `data_rows` rows of data (plus `HEADER_ROWS` for titles and the header).
/// XLSX (by the `.xlsx` extension or the ZIP signature) gives its first sheet, numbers without
/// a trailing `.0` and dates as `DD.MM.YYYY`; XLS and ODS are refused; anything else is read as
/// CSV: UTF-8 (with or without BOM), UTF-16 with BOM, otherwise Windows-1251; the separator
/// (`;`, `,` or tab) is the one the first line uses most.
pub fn read_table(
    bytes: &[u8],
    file_name: &str,
    data_rows: usize,
) -> Result<Vec<Vec<String>>, ImportError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(ImportError::TooLarge);
    }
    let name = file_name.to_lowercase();
    let mut rows = Rows::new(data_rows);
    if [".xls", ".ods"].iter().any(|ext| name.ends_with(ext)) || bytes.starts_with(OLE_MAGIC) {
        return Err(ImportError::OtherSpreadsheet);
    }
    if [".xlsx", ".xlsm"].iter().any(|ext| name.ends_with(ext)) || bytes.starts_with(ZIP_MAGIC) {
        read_xlsx(bytes, &mut rows)?;
    } else {
        read_csv(bytes, &mut rows)?;
    }
    rows.finish()
}

/// Inflates every entry of the package into nothing, refusing it past the bounds — so that the
/// spreadsheet reader, which inflates the same entries, never meets a zip bomb — and checks the
/// shared-string count the package declares (the reader reserves memory for it). Returns the
/// package to open: the same, its styles cut down to the number formats (`plain_styles`).
fn check_package(bytes: &[u8]) -> Result<Vec<u8>, ImportError> {
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| ImportError::UnreadableSpreadsheet)?;
    if zip.len() > MAX_ENTRIES {
        return Err(ImportError::TooLargeUnpacked);
    }
    // The sizes the package declares first: a bomb that owns up is refused without inflating.
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|_| ImportError::UnreadableSpreadsheet)?;
        declared = declared.saturating_add(entry.size());
    }
    if declared > MAX_UNPACKED_BYTES {
        return Err(ImportError::TooLargeUnpacked);
    }
    let mut total: u64 = 0;
    let mut styles: Option<(usize, Vec<u8>)> = None;
    for i in 0..zip.len() {
        let entry = zip
            .by_index(i)
            .map_err(|_| ImportError::UnreadableSpreadsheet)?;
        let name = entry
            .name()
            .map_err(|_| ImportError::UnreadableSpreadsheet)?
            .to_ascii_lowercase();
        let strings = name.ends_with("sharedstrings.xml");
        let style = name.ends_with("styles.xml");
        let cap = if strings {
            MAX_SHARED_STRINGS_BYTES
        } else if name.ends_with("styles.xml") {
            MAX_STYLES_BYTES
        } else {
            MAX_UNPACKED_BYTES
        }
        .min(MAX_UNPACKED_BYTES - total);
        let mut limited = entry.take(cap + 1);
        let inflated = if strings || style {
            let mut text = Vec::new();
            limited
                .read_to_end(&mut text)
                .map_err(|_| ImportError::UnreadableSpreadsheet)?;
            if strings && declared_strings(&text) > MAX_SHARED_STRINGS {
                return Err(ImportError::TooLargeUnpacked);
            }
            let length = text.len() as u64;
            if style && length <= cap {
                styles = Some((i, plain_styles(&text)?));
            }
            length
        } else {
            std::io::copy(&mut limited, &mut std::io::sink())
                .map_err(|_| ImportError::UnreadableSpreadsheet)?
        };
        if inflated > cap {
            return Err(ImportError::TooLargeUnpacked);
        }
        total += inflated;
    }
    let Some((index, styles)) = styles else {
        return Ok(bytes.to_vec());
    };
    // The package again, its entries copied as they are but the styles.
    let unreadable = |_| ImportError::UnreadableSpreadsheet;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(bytes.len())));
    for i in 0..zip.len() {
        if i == index {
            let name = zip
                .name_for_index(i)
                .ok_or(ImportError::UnreadableSpreadsheet)?;
            let name = name.map_err(unreadable)?.to_string();
            out.start_file(name, zip::write::SimpleFileOptions::default())
                .map_err(unreadable)?;
            std::io::Write::write_all(&mut out, &styles)
                .map_err(|_| ImportError::UnreadableSpreadsheet)?;
        } else {
            out.raw_copy_file(zip.by_index_raw(i).map_err(unreadable)?)
                .map_err(unreadable)?;
        }
    }
    Ok(out.finish().map_err(unreadable)?.into_inner())
}

/// The styles reduced to what reading needs — the number formats and each cell format's number
/// format, which tell dates from numbers. The reader builds a full style for every cell format,
/// cloning its font, fill, border and format code: a small styles part with a long font name and
/// thousands of cell formats would make it allocate gigabytes.
fn plain_styles(xml: &[u8]) -> Result<Vec<u8>, ImportError> {
    use quick_xml::events::Event;
    let bad = |_| ImportError::UnreadableSpreadsheet;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut formats = String::new();
    let mut cells = String::new();
    let (mut in_formats, mut in_cells) = (false, false);
    let (mut format_count, mut cell_count) = (0, 0);
    // A number format's id: digits only.
    let id = |e: &quick_xml::events::BytesStart| -> Option<String> {
        let value = e.try_get_attribute("numFmtId").ok()??.value;
        (!value.is_empty() && value.len() <= 9 && value.bytes().all(|b| b.is_ascii_digit()))
            .then(|| value.to_string())
    };
    loop {
        match reader
            .read_event()
            .map_err(|_| ImportError::UnreadableSpreadsheet)?
        {
            Event::Eof => break,
            Event::Start(e) if e.local_name().as_ref() == "numFmts" => in_formats = true,
            Event::Start(e) if e.local_name().as_ref() == "cellXfs" => in_cells = true,
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "numFmt" if in_formats => {
                    format_count += 1;
                    let code = e.try_get_attribute("formatCode").map_err(bad)?;
                    if let (Some(id), Some(code)) = (id(&e), code) {
                        // Excel's own limit on a format code is 255 characters.
                        let code = code.value.replace('"', "&quot;");
                        if code.len() <= 1_000 {
                            formats.push_str(&format!(
                                "<numFmt numFmtId=\"{id}\" formatCode=\"{code}\"/>"
                            ));
                        }
                    }
                }
                "xf" if in_cells => {
                    cell_count += 1;
                    match id(&e) {
                        Some(id) => cells.push_str(&format!("<xf numFmtId=\"{id}\"/>")),
                        None => cells.push_str("<xf/>"),
                    }
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "numFmts" => in_formats = false,
                "cellXfs" => in_cells = false,
                _ => {}
            },
            _ => {}
        }
        if format_count > MAX_NUMBER_FORMATS || cell_count > MAX_CELL_FORMATS {
            return Err(ImportError::TooManyFormats);
        }
    }
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
         <numFmts>{formats}</numFmts><cellXfs>{cells}</cellXfs></styleSheet>"
    )
    .into_bytes())
}

/// The largest `uniqueCount` the shared strings declare anywhere (0 when none); a value that is
/// not a plain number counts as huge.
fn declared_strings(xml: &[u8]) -> u64 {
    const KEY: &[u8] = b"uniqueCount";
    let mut largest = 0;
    let mut at = 0;
    while let Some(found) = xml[at..].windows(KEY.len()).position(|w| w == KEY) {
        at += found + KEY.len();
        let rest = &xml[at..];
        let value: Vec<u8> = rest
            .iter()
            .skip_while(|b| b.is_ascii_whitespace() || **b == b'=')
            .skip_while(|b| **b == b'"' || **b == b'\'')
            .take_while(|b| **b != b'"' && **b != b'\'')
            .take(32)
            .copied()
            .collect();
        let count = std::str::from_utf8(&value)
            .ok()
            .and_then(|v| v.trim().trim_start_matches('+').parse::<u64>().ok())
            .unwrap_or(u64::MAX);
        largest = largest.max(count);
    }
    largest
}

fn read_xlsx(bytes: &[u8], rows: &mut Rows) -> Result<(), ImportError> {
    let package = check_package(bytes)?;
    let mut book =
        Xlsx::new(Cursor::new(package)).map_err(|_| ImportError::UnreadableSpreadsheet)?;
    let Some(first) = book.sheet_names().first().cloned() else {
        return Err(ImportError::NoRows);
    };
    // Cell by cell as the sheet lists them: the `<dimension>` the sheet declares is not used.
    let mut cells = book
        .worksheet_cells_reader(&first)
        .map_err(|_| ImportError::UnreadableSpreadsheet)?;
    while let Some(cell) = cells
        .next_cell()
        .map_err(|_| ImportError::UnreadableSpreadsheet)?
    {
        let (row, column) = cell.get_position();
        let text = cell_text(&Data::from(cell.get_value().clone()));
        rows.put(row, column as usize, text)?;
    }
    Ok(())
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

fn read_csv(bytes: &[u8], rows: &mut Rows) -> Result<(), ImportError> {
    let text = decode(bytes);
    // Binary junk decodes to control characters; a table has none (tabs and line breaks aside).
    if text.chars().any(is_forbidden_char) {
        return Err(ImportError::NotATable);
    }
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(first_line))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    // The row's number in the file from 0 (a quoted cell may span lines: it is one row).
    let mut row: u32 = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => return Err(ImportError::NotATable),
        }
        for (column, cell) in record.iter().enumerate() {
            if column >= MAX_COLUMNS && cell.trim().is_empty() {
                continue;
            }
            if cell.len() > MAX_CELL_CHARS * 4 {
                return Err(ImportError::CellTooLong(row as usize + 1));
            }
            rows.put(row, column, collapse(cell))?;
        }
        row = row.saturating_add(1);
    }
    Ok(())
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
