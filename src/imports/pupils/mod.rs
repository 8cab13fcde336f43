//! A list of pupils with a parent each, as a school keeps it: checked row by row, all or
//! nothing.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::RowError;
use super::columns::{Column, NameColumns, Sheet};
use super::values::fold;

mod cells;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// The value of `pupil.sex`.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "m",
            Sex::Female => "f",
        }
    }
}

/// Who the parent (legal representative) is to the pupil.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Mother,
    Father,
    /// Опекун or попечитель.
    Guardian,
    AdoptiveParent,
    FosterParent,
}

impl Relation {
    pub fn code(self) -> &'static str {
        match self {
            Relation::Mother => "mother",
            Relation::Father => "father",
            Relation::Guardian => "guardian",
            Relation::AdoptiveParent => "adoptive_parent",
            Relation::FosterParent => "foster_parent",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Relation::Mother => "мать",
            Relation::Father => "отец",
            Relation::Guardian => "опекун (попечитель)",
            Relation::AdoptiveParent => "усыновитель",
            Relation::FosterParent => "приёмный родитель",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parent {
    pub last_name: String,
    pub first_name: String,
    /// Empty when there is none.
    pub middle_name: String,
    pub relation: Option<Relation>,
    /// `+7XXXXXXXXXX`.
    pub phone: Option<String>,
    /// Lower case.
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PupilRow {
    /// The row number in the table (the header is row 1).
    pub row: usize,
    pub last_name: String,
    pub first_name: String,
    /// Empty when there is none.
    pub middle_name: String,
    pub birth_date: NaiveDate,
    /// `None` when the table has no «Пол» or the cell is empty.
    pub sex: Option<Sex>,
    /// 1–11.
    pub grade: i16,
    /// Upper-case Cyrillic: «Б».
    pub letter: String,
    pub parent: Option<Parent>,
    /// Consent to personal-data processing: «да» / «нет» / not stated.
    pub pd_consent: Option<bool>,
    pub pd_consent_on: Option<NaiveDate>,
}

/// What makes two pupil records one person: the name in lower case with «ё» as «е», and the
/// birth date. The caller builds the same key for pupils already in the school and skips those.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PupilKey {
    pub full_name: String,
    pub birth_date: NaiveDate,
}

impl PupilKey {
    pub fn new(
        last_name: &str,
        first_name: &str,
        middle_name: &str,
        birth_date: NaiveDate,
    ) -> Self {
        PupilKey {
            full_name: fold(&format!("{last_name} {first_name} {middle_name}")),
            birth_date,
        }
    }
}

impl Parent {
    /// The parent's name in lower case with «ё» as «е», to tell two parents of a pupil apart.
    pub fn full_name_key(&self) -> String {
        format!(
            "{} {} {}",
            self.last_name, self.first_name, self.middle_name
        )
        .to_lowercase()
        .replace('ё', "е")
    }
}

impl PupilRow {
    pub fn key(&self) -> PupilKey {
        PupilKey::new(
            &self.last_name,
            &self.first_name,
            &self.middle_name,
            self.birth_date,
        )
    }
}

const FULL: usize = 0;
const LAST: usize = 1;
const FIRST: usize = 2;
const MIDDLE: usize = 3;
const BIRTH: usize = 4;
const SEX: usize = 5;
const CLASS: usize = 6;
const P_FULL: usize = 7;
const P_LAST: usize = 8;
const P_FIRST: usize = 9;
const P_MIDDLE: usize = 10;
const RELATION: usize = 11;
const PHONE: usize = 12;
const EMAIL: usize = 13;
const CONSENT: usize = 14;
const CONSENT_ON: usize = 15;

#[rustfmt::skip]
static COLUMNS: [Column; 16] = [
    Column { name: "ФИО", aliases: &["ФИО", "Фамилия, имя, отчество", "ФИО ученика", "ФИО обучающегося", "ФИО учащегося"] },
    Column { name: "Фамилия", aliases: &["Фамилия", "Фамилия ученика", "Фамилия обучающегося", "Фамилия учащегося"] },
    Column { name: "Имя", aliases: &["Имя", "Имя ученика", "Имя обучающегося", "Имя учащегося"] },
    Column { name: "Отчество", aliases: &["Отчество", "Отчество ученика", "Отчество обучающегося", "Отчество учащегося"] },
    Column { name: "Дата рождения", aliases: &["Дата рождения", "Дата рожд.", "Д.р.", "День рождения"] },
    Column { name: "Пол", aliases: &["Пол"] },
    Column { name: "Класс", aliases: &["Класс"] },
    Column { name: "ФИО родителя", aliases: &["ФИО родителя", "Родитель: ФИО", "ФИО законного представителя", "Родитель"] },
    Column { name: "Родитель: фамилия", aliases: &["Родитель: фамилия", "Фамилия родителя", "Фамилия законного представителя"] },
    Column { name: "Родитель: имя", aliases: &["Родитель: имя", "Имя родителя", "Имя законного представителя"] },
    Column { name: "Родитель: отчество", aliases: &["Родитель: отчество", "Отчество родителя", "Отчество законного представителя"] },
    Column { name: "Кем приходится", aliases: &["Кем приходится", "Кем приходится ребёнку", "Кем приходится ученику", "Родство", "Степень родства"] },
    Column { name: "Телефон", aliases: &["Телефон", "Телефон родителя", "Родитель: телефон", "Мобильный телефон", "Тел."] },
    Column { name: "Электронная почта", aliases: &["Электронная почта", "E-mail", "Email", "Эл. почта", "Почта", "Электронная почта родителя", "Родитель: электронная почта", "E-mail родителя"] },
    Column { name: "Согласие на обработку ПД", aliases: &["Согласие на обработку ПД", "Согласие на обработку персональных данных", "Согласие ПД", "Согласие"] },
    Column { name: "Дата согласия", aliases: &["Дата согласия", "Дата согласия на обработку ПД"] },
];

const PUPIL: NameColumns = NameColumns {
    full: FULL,
    last: LAST,
    first: FIRST,
    middle: MIDDLE,
};
const PARENT: NameColumns = NameColumns {
    full: P_FULL,
    last: P_LAST,
    first: P_FIRST,
    middle: P_MIDDLE,
};

/// The youngest and oldest age (full years on the import day) a pupil may have.
const AGES: std::ops::RangeInclusive<i32> = 5..=20;

/// Every pupil of the table, or every error in it. `today` is the import day: birth dates are
/// checked against it.
pub fn parse_pupils(
    rows: &[Vec<String>],
    today: NaiveDate,
) -> Result<Vec<PupilRow>, Vec<RowError>> {
    let mut sheet = Sheet::locate(rows, &COLUMNS);
    sheet.require_names(&PUPIL);
    sheet.require_column(BIRTH);
    sheet.require_column(CLASS);
    if !sheet.errors.is_empty() || !sheet.within_rows(super::MAX_PUPIL_ROWS) {
        return Err(sheet.errors);
    }
    let mut pupils: Vec<PupilRow> = Vec::new();
    // The first row of each pupil, by index in `pupils`.
    let mut seen: HashMap<PupilKey, usize> = HashMap::new();
    for (number, row) in sheet.data_rows() {
        let Some(pupil) = cells::pupil_row(&mut sheet, number, row, today) else {
            continue;
        };
        // The same pupil again: a row for another parent (mother on one row, father on the
        // next) — same class, a parent, not one named before.
        if let Some(&first) = seen.get(&pupil.key()) {
            let earlier = &pupils[first];
            let column = if sheet.has(LAST) { LAST } else { FULL };
            let same_parent = |p: &Parent| {
                pupils
                    .iter()
                    .filter(|o| o.key() == pupil.key())
                    .filter_map(|o| o.parent.as_ref())
                    .any(|q| q.full_name_key() == p.full_name_key())
            };
            let message = match &pupil.parent {
                None => Some(format!(
                    "Этот ученик (ФИО и дата рождения) уже есть в строке {}; повторять его можно только для другого родителя.",
                    earlier.row
                )),
                Some(_) if (earlier.grade, &earlier.letter) != (pupil.grade, &pupil.letter) => {
                    Some(format!(
                        "Этот ученик уже есть в строке {} в классе {}{}.",
                        earlier.row, earlier.grade, earlier.letter
                    ))
                }
                Some(p) if same_parent(p) => Some(format!(
                    "Этот ученик с этим же родителем уже есть в строке {}.",
                    earlier.row
                )),
                Some(_) => None,
            };
            if let Some(message) = message {
                sheet.error(number, column, message);
            }
        } else {
            seen.insert(pupil.key(), pupils.len());
        }
        pupils.push(pupil);
    }
    if pupils.is_empty() && sheet.errors.is_empty() {
        let message = "В таблице нет строк с учениками: только заголовок.";
        sheet
            .errors
            .push(RowError::new(sheet.header_number(), "", message));
    }
    if sheet.errors.is_empty() {
        Ok(pupils)
    } else {
        Err(sheet.errors)
    }
}

#[cfg(test)]
mod tests;
