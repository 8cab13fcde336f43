//! Reading lists of pupils (with their parents) and of staff from the spreadsheets schools
//! already keep. Pure: bytes in, typed rows or Russian errors out; the caller writes to the
//! database.
//!
//! 1. [`table::read_table`] turns an uploaded file into rows of text: XLSX (the first sheet,
//!    read cell by cell within bounds on unpacked bytes, rows, columns and cells; XLS and ODS
//!    are refused) or CSV in UTF-8 or Windows-1251 with `;`, `,` or tab between cells. Excel
//!    dates come out as `DD.MM.YYYY`.
//! 2. [`pupils::parse_pupils`] and [`staff::parse_staff`] find the columns by their Russian
//!    headers (case, «ё», punctuation and extra spaces do not matter; common aliases are known;
//!    a title above the header is skipped), check every row and return either all rows typed or
//!    every error found, each with its row number and column — never a half-imported file.
//!
//! Row numbers count the rows `read_table` returns, the header's row being 1 when the table
//! starts at the top. `read_table` drops fully empty rows, so after an empty row in the middle
//! of a sheet the numbers are one less than Excel shows.

mod columns;
pub mod pupils;
pub mod samples;
pub mod service;
pub mod staff;
pub mod table;
pub mod values;

use std::fmt;

/// The most data rows of one pupil import: a big school's pupils (a pupil with two parents
/// takes two rows).
pub const MAX_PUPIL_ROWS: usize = 5_000;
/// The most data rows of one staff import.
pub const MAX_STAFF_ROWS: usize = 1_000;
/// The most lines of a refusal shown on the page; the rest are counted.
pub const MAX_ERROR_LINES: usize = 50;

/// One problem in an uploaded table, in Russian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based row number in the table; the header is row 1. 0: about the whole file.
    pub row: usize,
    /// The column's header as the file spells it (its usual name when the column is absent).
    pub column: String,
    pub message: String,
}

impl RowError {
    pub fn new(row: usize, column: &str, message: impl Into<String>) -> Self {
        RowError {
            row,
            column: column.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.row == 0 {
            write!(f, "{}", self.message)
        } else if self.column.is_empty() {
            write!(f, "Строка {}: {}", self.row, self.message)
        } else {
            write!(
                f,
                "Строка {}, столбец «{}»: {}",
                self.row, self.column, self.message
            )
        }
    }
}
