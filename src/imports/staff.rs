//! A list of the school's staff: checked row by row, all or nothing.

use std::collections::HashMap;

use super::RowError;
use super::columns::{Column, NameColumns, Sheet};
use super::values::{collapse, fold, normalize_email};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    /// The row number in the table (the header is row 1).
    pub row: usize,
    pub last_name: String,
    pub first_name: String,
    /// Empty when there is none.
    pub middle_name: String,
    /// As typed, e.g. «учитель математики»; empty when not given.
    pub position: String,
    /// Lower case.
    pub email: Option<String>,
    /// Lower case; `None` when the school leaves it to us (`accounts::login_stem`).
    pub login: Option<String>,
    /// The role code of `membership.role`: `teacher`, `deputy`, `administrator` or `director`.
    pub role: &'static str,
}

const FULL: usize = 0;
const LAST: usize = 1;
const FIRST: usize = 2;
const MIDDLE: usize = 3;
const POSITION: usize = 4;
const EMAIL: usize = 5;
const LOGIN: usize = 6;
const ROLE: usize = 7;

#[rustfmt::skip]
static COLUMNS: [Column; 8] = [
    Column { name: "ФИО", aliases: &["ФИО", "Фамилия, имя, отчество", "ФИО сотрудника", "ФИО педагога"] },
    Column { name: "Фамилия", aliases: &["Фамилия", "Фамилия сотрудника"] },
    Column { name: "Имя", aliases: &["Имя", "Имя сотрудника"] },
    Column { name: "Отчество", aliases: &["Отчество", "Отчество сотрудника"] },
    Column { name: "Должность", aliases: &["Должность", "Должность по штатному расписанию"] },
    Column { name: "Электронная почта", aliases: &["Электронная почта", "E-mail", "Email", "Эл. почта", "Почта"] },
    Column { name: "Логин", aliases: &["Логин", "Login"] },
    Column { name: "Роль", aliases: &["Роль", "Роль в журнале"] },
];

const NAMES: NameColumns = NameColumns {
    full: FULL,
    last: LAST,
    first: FIRST,
    middle: MIDDLE,
};

/// Every member of staff in the table, or every error in it.
pub fn parse_staff(rows: &[Vec<String>]) -> Result<Vec<StaffRow>, Vec<RowError>> {
    let mut sheet = Sheet::locate(rows, &COLUMNS);
    sheet.require_names(&NAMES);
    if !sheet.errors.is_empty() || !sheet.within_rows(super::MAX_STAFF_ROWS) {
        return Err(sheet.errors);
    }
    let mut staff = Vec::new();
    let mut logins: HashMap<String, usize> = HashMap::new();
    for (number, row) in sheet.data_rows() {
        let Some(person) = staff_row(&mut sheet, number, row) else {
            continue;
        };
        if let Some(login) = &person.login
            && let Some(first) = logins.insert(login.clone(), number)
        {
            let message = format!("Логин «{login}» уже указан в строке {first}.");
            sheet.error(number, LOGIN, message);
        }
        staff.push(person);
    }
    if staff.is_empty() && sheet.errors.is_empty() {
        let message = "В таблице нет строк с сотрудниками: только заголовок.";
        sheet
            .errors
            .push(RowError::new(sheet.header_number(), "", message));
    }
    if sheet.errors.is_empty() {
        Ok(staff)
    } else {
        Err(sheet.errors)
    }
}

fn staff_row<'a>(sheet: &mut Sheet<'a>, number: usize, row: &'a [String]) -> Option<StaffRow> {
    let names = sheet.names(number, row, &NAMES);
    let email_text = sheet.cell(row, EMAIL);
    let email = (!email_text.is_empty()).then(|| normalize_email(email_text));
    if email == Some(None) {
        let message = format!("«{email_text}» не похоже на адрес электронной почты.");
        sheet.error(number, EMAIL, message);
    }
    let login = login(sheet, number, row);
    let role = role(sheet, number, row);
    let (last_name, first_name, middle_name) = names?;
    Some(StaffRow {
        row: number,
        last_name,
        first_name,
        middle_name,
        position: collapse(sheet.cell(row, POSITION)),
        email: email.flatten(),
        login: login?,
        role: role?,
    })
}

/// `Some(None)`: not given; `None`: an error was recorded. Same rule as `account.login`.
fn login<'a>(sheet: &mut Sheet<'a>, number: usize, row: &'a [String]) -> Option<Option<String>> {
    let text = sheet.cell(row, LOGIN);
    if text.is_empty() {
        return Some(None);
    }
    let login = text.to_lowercase();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c);
    let ok = (2..=64).contains(&login.len())
        && login.chars().all(allowed)
        && login.starts_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Some(Some(login))
    } else {
        let message = format!(
            "Логин «{text}» не подходит: 2–64 латинские буквы, цифры, точка, дефис или \
             подчёркивание, в начале буква или цифра."
        );
        sheet.error(number, LOGIN, message);
        None
    }
}

/// `teacher` when the cell is empty or the column absent; `None` when an error was recorded.
fn role<'a>(sheet: &mut Sheet<'a>, number: usize, row: &'a [String]) -> Option<&'static str> {
    let text = sheet.cell(row, ROLE);
    let folded = fold(&text.replace('.', " "));
    let role = match folded.as_str() {
        "" | "учитель" | "педагог" | "преподаватель" => "teacher",
        "заместитель директора" | "зам директора" | "замдиректора" | "заместитель" | "завуч" => {
            "deputy"
        }
        "администратор" | "администратор журнала" => {
            "administrator"
        }
        "директор" => "director",
        _ => {
            let message = format!(
                "Не удалось понять роль «{text}»: укажите учитель, заместитель директора, \
                 администратор или директор."
            );
            sheet.error(number, ROLE, message);
            return None;
        }
    };
    Some(role)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imports::table::read_table;

    fn table(text: &str) -> Vec<Vec<String>> {
        read_table(text.as_bytes(), "staff.csv", 100).unwrap()
    }

    #[test]
    fn staff_rows_get_role_codes_and_teacher_by_default() {
        let rows = table(
            "Фамилия,Имя,Отчество,Должность,E-mail,Логин,Роль\n\
             Соколова,Анна,Павловна,учитель  математики,Sokolova@School.ru,,\n\
             Орлов,Игорь,Иванович,Заместитель директора по УВР,,Orlov.ii,Зам. директора\n\
             Белова,Ирина,,Секретарь,,,администратор\n\
             Ёжикова,Нина,Петровна,Директор,,,ДИРЕКТОР\n",
        );

        let staff = parse_staff(&rows).unwrap();

        let roles: Vec<&str> = staff.iter().map(|s| s.role).collect();
        assert_eq!(roles, ["teacher", "deputy", "administrator", "director"]);
        assert_eq!(
            staff[0],
            StaffRow {
                row: 2,
                last_name: "Соколова".into(),
                first_name: "Анна".into(),
                middle_name: "Павловна".into(),
                position: "учитель математики".into(),
                email: Some("sokolova@school.ru".into()),
                login: None,
                role: "teacher",
            }
        );
        assert_eq!(staff[1].login.as_deref(), Some("orlov.ii"));
        assert_eq!(staff[3].last_name, "Ёжикова");
    }

    #[test]
    fn without_a_role_column_everyone_is_a_teacher() {
        let rows = table("ФИО педагога;Должность\nКим Виктор Сергеевич;учитель физики\n");

        let staff = parse_staff(&rows).unwrap();

        assert_eq!(staff[0].role, "teacher");
        assert_eq!(staff[0].last_name, "Ким");
        assert_eq!(staff[0].middle_name, "Сергеевич");
    }

    #[test]
    fn bad_staff_rows_are_all_reported() {
        let rows = table(
            "Фамилия;Имя;Электронная почта;Логин;Роль\n\
             Соколова;;sokolova@;анна;охранник\n\
             Орлов;Игорь;;orlov;\n\
             Орлова;Ирина;;ORLOV;учитель\n",
        );

        let errors = parse_staff(&rows).unwrap_err();

        let places: Vec<(usize, &str)> =
            errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            places,
            [
                (2, "Имя"),
                (2, "Электронная почта"),
                (2, "Логин"),
                (2, "Роль"),
                (4, "Логин")
            ]
        );
        assert_eq!(errors[4].message, "Логин «orlov» уже указан в строке 3.");
        assert!(
            errors[3]
                .message
                .starts_with("Не удалось понять роль «охранник»")
        );
    }

    #[test]
    fn a_staff_table_without_names_is_refused_once() {
        let errors = parse_staff(&table("Должность;Роль\nучитель;учитель\n")).unwrap_err();

        assert_eq!(
            errors,
            vec![
                RowError::new(1, "Фамилия", "В таблице нет столбца «Фамилия»."),
                RowError::new(1, "Имя", "В таблице нет столбца «Имя»."),
            ]
        );
    }
}
