//! A report's table as a download: the same rows a page shows, as CSV (UTF-8 with BOM, `;`,
//! CRLF — what Russian Excel opens directly) or XLSX (bold frozen header, column widths, numbers
//! as numbers, dates as dates). Pure: a [`Table`] in, bytes out.
//!
//! A report builds one `Table` from the data its page renders — so the file's figures are the
//! page's — and the web layer sends it with [`Table::csv`] / [`Table::xlsx`] and
//! [`Table::file_name`]. Bounded: at most [`MAX_ROWS`] rows and [`MAX_COLUMNS`] columns.

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook};

/// More rows than any report of a school needs (a class is ≤ 60 pupils; a school ≤ a few
/// thousand).
pub const MAX_ROWS: usize = 20_000;
/// More columns than any report needs (a class's year: 20 subjects × 5 periods).
pub const MAX_COLUMNS: usize = 300;

/// What a column holds: decides the alignment and, for empty tables, nothing else — each
/// [`Cell`] carries its own type (a mark column holds «5» as a number and «н/а» as text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Date,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

impl Column {
    pub fn new(name: impl Into<String>, kind: Kind) -> Column {
        Column {
            name: name.into(),
            kind,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// Written as a number cell; in CSV with a decimal comma, as the page shows it.
    Number(f64),
    /// A number the page shows with fixed places, kept as a whole number scaled by 10^places
    /// (857 with 1 place is 85,7; 750 is 75,0): the file shows the page's digits exactly.
    Fixed {
        scaled: i64,
        places: u32,
    },
    Date(NaiveDate),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }

    /// A mark as the page shows it: «5» becomes the number 5, «н/а», «зач» stay text.
    pub fn mark(shown: &str) -> Cell {
        match shown.parse::<u8>() {
            Ok(n) => Cell::Number(f64::from(n)),
            Err(_) => Cell::text(shown),
        }
    }

    /// The cell as CSV text (before quoting).
    fn csv_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => defused(s),
            Cell::Number(n) => number_text(*n),
            Cell::Fixed { scaled, places } => fixed_text(*scaled, *places),
            Cell::Date(d) => d.format("%d.%m.%Y").to_string(),
        }
    }
}

/// A scaled whole number with its places and a decimal comma: (857, 1) → «85,7», (-5, 1) → «-0,5»,
/// (4, 0) → «4».
pub fn fixed_text(scaled: i64, places: u32) -> String {
    if places == 0 {
        return scaled.to_string();
    }
    let unit = 10_i64.pow(places);
    let sign = if scaled < 0 { "-" } else { "" };
    let abs = scaled.unsigned_abs();
    format!(
        "{sign}{},{:0width$}",
        abs / unit as u64,
        abs % unit as u64,
        width = places as usize
    )
}

/// A number as the pages show it: no trailing zeros, a decimal comma («85,7», «4», «3,75»).
pub fn number_text(n: f64) -> String {
    let mut s = format!("{n:.4}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    s.replace('.', ",")
}

#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The sheet's name and the file's; the first 31 characters name the XLSX sheet.
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// Lines under the table (definitions of the figures), after one empty row.
    pub notes: Vec<String>,
}

#[derive(Debug)]
pub enum TableError {
    TooBig,
    Xlsx(rust_xlsxwriter::XlsxError),
}

impl TableError {
    /// In Russian, for the page.
    pub fn message(&self) -> String {
        match self {
            TableError::TooBig => format!(
                "Таблица слишком велика для выгрузки: не больше {MAX_ROWS} строк и {MAX_COLUMNS} столбцов."
            ),
            TableError::Xlsx(e) => format!("Не удалось собрать файл XLSX: {e}."),
        }
    }
}

impl Table {
    fn check(&self) -> Result<(), TableError> {
        if self.rows.len() > MAX_ROWS
            || self.columns.len() > MAX_COLUMNS
            || self.rows.iter().any(|r| r.len() > self.columns.len())
        {
            return Err(TableError::TooBig);
        }
        Ok(())
    }

    /// `<title>.<ext>` with characters a file name should not carry replaced by `_`.
    pub fn file_name(&self, ext: &str) -> String {
        let base: String = self
            .title
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{}.{ext}", base.trim())
    }

    /// UTF-8 with a BOM, `;` between fields, CRLF between records; a field with `;`, `"`, or a
    /// line break is quoted with `"` doubled (RFC 4180). Header first, then the rows, then the
    /// notes after an empty line.
    pub fn csv(&self) -> Result<Vec<u8>, TableError> {
        self.check()?;
        let mut out = String::from("\u{feff}");
        let line = |out: &mut String, fields: Vec<String>| {
            let quoted: Vec<String> = fields.iter().map(|f| quote(f)).collect();
            out.push_str(&quoted.join(";"));
            out.push_str("\r\n");
        };
        line(
            &mut out,
            self.columns.iter().map(|c| c.name.clone()).collect(),
        );
        for row in &self.rows {
            let mut fields: Vec<String> = row.iter().map(Cell::csv_text).collect();
            fields.resize(self.columns.len(), String::new());
            line(&mut out, fields);
        }
        if !self.notes.is_empty() {
            out.push_str("\r\n");
            for note in &self.notes {
                line(&mut out, vec![note.clone()]);
            }
        }
        Ok(out.into_bytes())
    }

    /// One sheet: the bold header in row 1, frozen; each column as wide as its longest text
    /// (8 to 60 characters); numbers and dates as typed cells (dates `dd.mm.yyyy`).
    pub fn xlsx(&self) -> Result<Vec<u8>, TableError> {
        self.check()?;
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let name: String = self
            .title
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        let name = name.trim();
        if !name.is_empty() {
            sheet.set_name(name).map_err(TableError::Xlsx)?;
        }
        let bold = Format::new().set_bold().set_text_wrap();
        let date = Format::new().set_num_format("dd.mm.yyyy");
        let right = Format::new().set_align(FormatAlign::Right);
        for (c, column) in self.columns.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, &column.name, &bold)
                .map_err(TableError::Xlsx)?;
        }
        let mut widths: Vec<usize> = self
            .columns
            .iter()
            .map(|c| c.name.chars().count().min(24))
            .collect();
        for (r, row) in self.rows.iter().enumerate() {
            let r = (r + 1) as u32;
            for (c, cell) in row.iter().enumerate() {
                let col = c as u16;
                let result = match cell {
                    Cell::Empty => Ok(()),
                    Cell::Text(s) if self.columns[c].kind == Kind::Text => {
                        sheet.write_string(r, col, s).map(|_| ())
                    }
                    Cell::Text(s) => sheet
                        .write_string_with_format(r, col, s, &right)
                        .map(|_| ()),
                    Cell::Number(n) => sheet.write_number(r, col, *n).map(|_| ()),
                    Cell::Fixed { scaled, places } => {
                        let format = Format::new().set_num_format(match places {
                            0 => "0".to_string(),
                            p => format!("0.{}", "0".repeat(*p as usize)),
                        });
                        let value = *scaled as f64 / 10_f64.powi(*places as i32);
                        sheet
                            .write_number_with_format(r, col, value, &format)
                            .map(|_| ())
                    }
                    Cell::Date(d) => {
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                            .and_then(|d| sheet.write_datetime_with_format(r, col, &d, &date))
                            .map(|_| ())
                    }
                };
                result.map_err(TableError::Xlsx)?;
                widths[c] = widths[c].max(cell.csv_text().chars().count());
            }
        }
        let first_note = (self.rows.len() + 2) as u32;
        for (i, note) in self.notes.iter().enumerate() {
            sheet
                .write_string(first_note + i as u32, 0, note)
                .map_err(TableError::Xlsx)?;
        }
        for (c, w) in widths.iter().enumerate() {
            sheet
                .set_column_width(c as u16, (*w).clamp(8, 60) as f64 + 1.0)
                .map_err(TableError::Xlsx)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(TableError::Xlsx)?;
        book.save_to_buffer().map_err(TableError::Xlsx)
    }
}

/// A text that Excel or LibreOffice would run as a formula (`=`, `+`, `-`, `@`, a tab or a
/// carriage return first: «=HYPERLINK(…)» typed as a topic or a name) gets an apostrophe in front,
/// so it opens as the text it is. XLSX cells are typed strings and need nothing.
fn defused(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

fn quote(field: &str) -> String {
    if field.contains([';', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table {
            title: "Отчёт 5«Б»: 1 четверть".into(),
            columns: vec![
                Column::new("Обучающийся", Kind::Text),
                Column::new("Математика", Kind::Number),
                Column::new("Выбыл(а)", Kind::Date),
                Column::new("Успеваемость, %", Kind::Number),
            ],
            rows: vec![
                vec![
                    Cell::text("Иванов; Пётр \"Младший\""),
                    Cell::mark("5"),
                    Cell::Empty,
                    Cell::Number(85.7),
                ],
                vec![
                    Cell::text("Петрова Анна"),
                    Cell::mark("н/а"),
                    Cell::Date(NaiveDate::from_ymd_opt(2026, 10, 5).unwrap()),
                ],
            ],
            notes: vec!["Успеваемость — доля успевающих.".into()],
        }
    }

    #[test]
    fn a_fixed_figure_keeps_the_pages_digits_in_the_csv() {
        assert_eq!(fixed_text(750, 1), "75,0");
        assert_eq!(fixed_text(383, 2), "3,83");
        assert_eq!(fixed_text(-5, 1), "-0,5");
        assert_eq!(fixed_text(4, 0), "4");
    }

    #[test]
    fn a_text_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text() {
        let table = Table {
            title: "Темы".into(),
            columns: vec![
                Column::new("Тема", Kind::Text),
                Column::new("Число", Kind::Number),
            ],
            rows: vec![
                vec![
                    Cell::text("=HYPERLINK(\"http://x\";\"5\")"),
                    Cell::Number(-2.0),
                ],
                vec![Cell::text("@SUM(A1)"), Cell::Number(1.0)],
                vec![Cell::text("Дроби — сложение"), Cell::Empty],
            ],
            notes: Vec::new(),
        };
        let csv = String::from_utf8(table.csv().unwrap()).unwrap();
        assert!(
            csv.contains("\"'=HYPERLINK(\"\"http://x\"\";\"\"5\"\")\";-2"),
            "{csv}"
        );
        assert!(csv.contains("'@SUM(A1);1"), "{csv}");
        assert!(csv.contains("\r\nДроби — сложение;\r\n"), "{csv}");
    }

    #[test]
    fn csv_has_the_bom_semicolons_crlf_quoting_and_decimal_commas() {
        let text = String::from_utf8(sample().csv().unwrap()).unwrap();
        assert_eq!(
            text,
            "\u{feff}Обучающийся;Математика;Выбыл(а);Успеваемость, %\r\n\
             \"Иванов; Пётр \"\"Младший\"\"\";5;;85,7\r\n\
             Петрова Анна;н/а;05.10.2026;\r\n\
             \r\n\
             Успеваемость — доля успевающих.\r\n"
        );
    }

    #[test]
    fn xlsx_reads_back_with_numbers_as_numbers_and_dates_as_dates() {
        use calamine::{Data, Reader, Xlsx};
        let bytes = sample().xlsx().unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let names = book.sheet_names();
        assert_eq!(names, vec!["Отчёт 5«Б» 1 четверть".to_string()]);
        let range = book.worksheet_range(&names[0]).unwrap();
        assert_eq!(range.get((0, 0)), Some(&Data::String("Обучающийся".into())));
        assert_eq!(range.get((1, 1)), Some(&Data::Float(5.0)));
        assert_eq!(range.get((1, 3)), Some(&Data::Float(85.7)));
        assert_eq!(range.get((2, 1)), Some(&Data::String("н/а".into())));
        match range.get((2, 2)) {
            Some(Data::DateTime(d)) => assert_eq!(
                d.as_datetime().unwrap().date(),
                NaiveDate::from_ymd_opt(2026, 10, 5).unwrap()
            ),
            other => panic!("a date cell, got {other:?}"),
        }
        assert_eq!(
            range.get((4, 0)),
            Some(&Data::String("Успеваемость — доля успевающих.".into()))
        );
    }

    #[test]
    fn a_table_beyond_the_bounds_is_refused() {
        let mut t = sample();
        t.rows = vec![vec![Cell::Empty]; MAX_ROWS + 1];
        assert!(matches!(t.csv(), Err(TableError::TooBig)));
        assert!(matches!(t.xlsx(), Err(TableError::TooBig)));
    }

    #[test]
    fn numbers_are_written_as_the_pages_show_them() {
        assert_eq!(number_text(85.7), "85,7");
        assert_eq!(number_text(4.0), "4");
        assert_eq!(number_text(3.75), "3,75");
        assert_eq!(number_text(0.0), "0");
    }

    #[test]
    fn the_file_name_keeps_letters_and_drops_quotes() {
        assert_eq!(sample().file_name("csv"), "Отчёт 5_Б__ 1 четверть.csv");
    }
}
