//! A report's table as a file: CSV (UTF-8 with BOM, `;`, decimal comma — what Russian Excel opens
//! directly) and XLSX (rust_xlsxwriter: bold frozen header, column widths, real numbers). The
//! numbers are the page's: the same scaled integers, shown with the same places.
//!
//! The same shape as `exports::table` of the class-report branch; the two are to be merged.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A whole number.
    Integer,
    /// A number with this many decimal places.
    Decimal(u32),
}

#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

/// A cell: text, or a number scaled by 10^places of its column (857 in a `Decimal(1)` column is
/// 85,7), or nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Scaled(i64),
    Empty,
}

#[derive(Clone, Debug)]
pub struct Table {
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn new(title: impl Into<String>, columns: &[(&str, Kind)]) -> Self {
        Self {
            title: title.into(),
            columns: columns
                .iter()
                .map(|(n, k)| Column {
                    name: (*n).to_string(),
                    kind: *k,
                })
                .collect(),
            rows: Vec::new(),
        }
    }
}

fn places(kind: Kind) -> u32 {
    match kind {
        Kind::Decimal(p) => p,
        _ => 0,
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The table as CSV: BOM, the title line, the header, the rows; `;` between fields.
pub fn csv(table: &Table) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    out.push_str(&csv_field(&table.title));
    out.push_str("\r\n");
    let header: Vec<String> = table.columns.iter().map(|c| csv_field(&c.name)).collect();
    out.push_str(&header.join(";"));
    out.push_str("\r\n");
    for row in &table.rows {
        let fields: Vec<String> = row
            .iter()
            .zip(&table.columns)
            .map(|(v, c)| match v {
                Value::Text(t) => csv_field(t),
                Value::Scaled(n) => match places(c.kind) {
                    0 => n.to_string(),
                    p => super::decimal(*n, p),
                },
                Value::Empty => String::new(),
            })
            .collect();
        out.push_str(&fields.join(";"));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// The table as an XLSX workbook: the title in A1, the bold header in row 2 frozen below it,
/// numbers as numbers with their places, widths from the longest text.
pub fn xlsx(table: &Table) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    sheet.write_string_with_format(0, 0, &table.title, &bold)?;
    let formats: Vec<Format> = table
        .columns
        .iter()
        .map(|c| match places(c.kind) {
            0 => Format::new().set_num_format("0"),
            p => Format::new().set_num_format(format!("0.{}", "0".repeat(p as usize))),
        })
        .collect();
    let mut widths: Vec<usize> = table
        .columns
        .iter()
        .map(|c| c.name.chars().count())
        .collect();
    for (i, c) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(1, i as u16, &c.name, &bold)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = r as u32 + 2;
        for (i, (v, c)) in row.iter().zip(&table.columns).enumerate() {
            match v {
                Value::Text(t) => {
                    sheet.write_string(r, i as u16, t)?;
                    widths[i] = widths[i].max(t.chars().count());
                }
                Value::Scaled(n) => {
                    let value = *n as f64 / 10_f64.powi(places(c.kind) as i32);
                    sheet.write_number_with_format(r, i as u16, value, &formats[i])?;
                    widths[i] = widths[i].max(8);
                }
                Value::Empty => {}
            }
        }
    }
    for (i, w) in widths.iter().enumerate() {
        sheet.set_column_width(i as u16, (*w).clamp(6, 60) as f64 + 2.0)?;
    }
    sheet.set_freeze_panes(2, 0)?;
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_a_bom_semicolons_and_decimal_commas() {
        let mut t = Table::new(
            "Отчёт",
            &[
                ("Класс", Kind::Text),
                ("%", Kind::Decimal(1)),
                ("Н", Kind::Integer),
            ],
        );
        t.rows.push(vec![
            Value::Text("5А; б".into()),
            Value::Scaled(857),
            Value::Scaled(3),
        ]);
        let text = String::from_utf8(csv(&t)).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("Класс;%;Н\r\n\"5А; б\";85,7;3\r\n"));
        assert!(xlsx(&t).unwrap().starts_with(b"PK"));
    }
}
