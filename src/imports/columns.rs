//! Finding the columns of a table by their Russian headers, reading cells, and collecting the
//! errors of every row.

use super::RowError;
use super::values::{collapse, fold, normalize_name};

/// A column the import understands: its name in messages and the headers schools give it.
pub(super) struct Column {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
}

/// The columns that hold a person's name: separate ones, or one «ФИО» cell.
pub(super) struct NameColumns {
    pub full: usize,
    pub last: usize,
    pub first: usize,
    pub middle: usize,
}

/// A person's surname, first name and patronymic (possibly empty).
pub(super) type Names = (String, String, String);

/// The form headers are compared in: case, «ё», punctuation and extra spaces do not matter, so
/// «Родитель: фамилия», «РОДИТЕЛЬ  ФАМИЛИЯ» and «родитель - фамилия» are one header.
fn header_key(text: &str) -> String {
    let spaced: String = fold(text)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    collapse(&spaced)
}

/// How many header rows may stand above the table (a title such as «Список 5Б класса»); the
/// reader allows this many rows and the header besides the data rows
/// (`table::HEADER_ROWS`).
pub(super) const HEADER_SEARCH_ROWS: usize = 10;

pub(super) struct Sheet<'a> {
    rows: &'a [Vec<String>],
    columns: &'static [Column],
    header: usize,
    found: Vec<Option<usize>>,
    titles: Vec<String>,
    pub errors: Vec<RowError>,
}

impl<'a> Sheet<'a> {
    /// Finds the header: the first of the top rows naming at least two known columns (else the
    /// first row). A column named twice is an error.
    pub fn locate(rows: &'a [Vec<String>], columns: &'static [Column]) -> Self {
        let matches = |row: &Vec<String>| -> Vec<Option<usize>> {
            row.iter()
                .map(|cell| {
                    let key = header_key(cell);
                    columns
                        .iter()
                        .position(|c| c.aliases.iter().any(|a| header_key(a) == key))
                })
                .collect()
        };
        let header = rows
            .iter()
            .take(HEADER_SEARCH_ROWS)
            .position(|row| matches(row).iter().flatten().count() >= 2)
            .unwrap_or(0);
        let mut sheet = Sheet {
            rows,
            columns,
            header,
            found: vec![None; columns.len()],
            titles: columns.iter().map(|c| c.name.to_string()).collect(),
            errors: Vec::new(),
        };
        let Some(header_row) = rows.get(header) else {
            sheet.errors.push(RowError::new(1, "", "Таблица пуста."));
            return sheet;
        };
        for (index, column) in matches(header_row).into_iter().enumerate() {
            let Some(column) = column else { continue };
            let title = collapse(&header_row[index]);
            if sheet.found[column].is_some() {
                let message = format!("Столбец «{title}» встречается дважды: оставьте один.");
                sheet
                    .errors
                    .push(RowError::new(header + 1, &title, message));
            } else {
                sheet.found[column] = Some(index);
                sheet.titles[column] = title;
            }
        }
        sheet
    }

    pub fn has(&self, column: usize) -> bool {
        self.found[column].is_some()
    }

    /// Reports a missing column once, on the header row.
    pub fn require_column(&mut self, column: usize) {
        if !self.has(column) && !self.rows.is_empty() {
            let name = self.columns[column].name;
            let message = format!("В таблице нет столбца «{name}».");
            self.errors
                .push(RowError::new(self.header + 1, name, message));
        }
    }

    /// Requires either «Фамилия» and «Имя» or one «ФИО» column.
    pub fn require_names(&mut self, names: &NameColumns) {
        if self.has(names.full) && !(self.has(names.last) || self.has(names.first)) {
            return;
        }
        self.require_column(names.last);
        self.require_column(names.first);
    }

    /// The rows below the header that have any text, with their 1-based numbers.
    pub fn data_rows(&self) -> impl Iterator<Item = (usize, &'a [String])> + use<'a> {
        let rows = self.rows;
        (self.header + 1..rows.len())
            .map(move |i| (i + 1, rows[i].as_slice()))
            .filter(|(_, row)| row.iter().any(|cell| !cell.trim().is_empty()))
    }

    /// Refuses a table with more than `cap` data rows (the reader lets a few more through, as
    /// title rows may stand above the header); whether the table is within the cap.
    pub fn within_rows(&mut self, cap: usize) -> bool {
        if self.data_rows().count() <= cap {
            return true;
        }
        let message = super::table::ImportError::TooManyRows(cap).message();
        self.errors.push(RowError::new(0, "", message));
        false
    }

    /// The header's row number: where errors about the whole table are reported.
    pub fn header_number(&self) -> usize {
        self.header + 1
    }

    /// The cell's text, empty when the column is absent.
    pub fn cell(&self, row: &'a [String], column: usize) -> &'a str {
        self.found[column]
            .and_then(|i| row.get(i))
            .map_or("", |cell| cell.trim())
    }

    pub fn error(&mut self, number: usize, column: usize, message: impl Into<String>) {
        let title = self.titles[column].clone();
        self.errors.push(RowError::new(number, &title, message));
    }

    /// The cell's text, or an error when it is empty.
    pub fn required(&mut self, number: usize, row: &'a [String], column: usize) -> Option<&'a str> {
        let text = self.cell(row, column);
        if text.is_empty() {
            self.error(number, column, "Ячейка не заполнена.");
            None
        } else {
            Some(text)
        }
    }

    /// A name cell made tidy, or an error.
    pub fn name(&mut self, number: usize, column: usize, text: &str) -> Option<String> {
        normalize_name(text)
            .map_err(|message| self.error(number, column, message))
            .ok()
    }

    /// Whether any of the name cells has text.
    pub fn any_name(&self, row: &'a [String], columns: &NameColumns) -> bool {
        [columns.full, columns.last, columns.first, columns.middle]
            .iter()
            .any(|&c| !self.cell(row, c).is_empty())
    }

    /// The person's names from separate columns or from one «ФИО» cell («Мамедов Али Гусейн
    /// оглы»: the first word is the surname, the second the first name, the rest the
    /// patronymic); `None` when an error was recorded.
    pub fn names(
        &mut self,
        number: usize,
        row: &'a [String],
        columns: &NameColumns,
    ) -> Option<Names> {
        if self.has(columns.last) || self.has(columns.first) || !self.has(columns.full) {
            let last = self.required(number, row, columns.last);
            let first = self.required(number, row, columns.first);
            let last = last.and_then(|t| self.name(number, columns.last, t));
            let first = first.and_then(|t| self.name(number, columns.first, t));
            let middle = self.name(number, columns.middle, self.cell(row, columns.middle));
            return Some((last?, first?, middle?));
        }
        let full = self.cell(row, columns.full);
        let words: Vec<&str> = full.split_whitespace().collect();
        if words.len() < 2 {
            self.error(
                number,
                columns.full,
                "Нужны фамилия и имя (и отчество, если есть).",
            );
            return None;
        }
        let last = self.name(number, columns.full, words[0]);
        let first = self.name(number, columns.full, words[1]);
        let middle = self.name(number, columns.full, &words[2..].join(" "));
        Some((last?, first?, middle?))
    }
}
