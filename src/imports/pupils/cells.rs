//! Reading the cells of one pupil row; each records its errors in the sheet.

use chrono::NaiveDate;

use super::*;
use crate::imports::columns::{Names, Sheet};
use crate::imports::values::{
    age_on, fold, normalize_email, normalize_phone, parse_class, parse_date,
};

pub(super) fn pupil_row<'a>(
    sheet: &mut Sheet<'a>,
    number: usize,
    row: &'a [String],
    today: NaiveDate,
) -> Option<PupilRow> {
    let names = sheet.names(number, row, &PUPIL);
    let birth_date = birth_date(sheet, number, row, today);
    let sex = sex(sheet, number, row);
    let class = sheet.required(number, row, CLASS).and_then(|text| {
        parse_class(text)
            .map_err(|m| sheet.error(number, CLASS, m))
            .ok()
    });
    let parent = parent(sheet, number, row);
    let (pd_consent, pd_consent_on) = consent(sheet, number, row, today);
    let (last_name, first_name, middle_name) = names?;
    let (grade, letter) = class?;
    Some(PupilRow {
        row: number,
        last_name,
        first_name,
        middle_name,
        birth_date: birth_date?,
        sex: sex?,
        grade,
        letter,
        parent: parent?,
        pd_consent: pd_consent?,
        pd_consent_on: pd_consent_on?,
    })
}

fn date(sheet: &mut Sheet<'_>, number: usize, column: usize, text: &str) -> Option<NaiveDate> {
    let date = parse_date(text);
    if date.is_none() {
        let message = format!("Не удалось понять дату «{text}»: нужна дата вида 01.09.2015.");
        sheet.error(number, column, message);
    }
    date
}

fn birth_date<'a>(
    sheet: &mut Sheet<'a>,
    number: usize,
    row: &'a [String],
    today: NaiveDate,
) -> Option<NaiveDate> {
    let text = sheet.required(number, row, BIRTH)?;
    let birth = date(sheet, number, BIRTH, text)?;
    let age = age_on(birth, today);
    let problem = if birth > today {
        "Дата рождения ещё не наступила."
    } else if age < *AGES.start() {
        "Ученику меньше 5 лет: проверьте дату рождения."
    } else if age > *AGES.end() {
        "Ученику больше 20 лет: проверьте дату рождения."
    } else {
        return Some(birth);
    };
    sheet.error(number, BIRTH, problem);
    None
}

/// `Some(None)`: not stated; `None`: an error was recorded.
fn sex<'a>(sheet: &mut Sheet<'a>, number: usize, row: &'a [String]) -> Option<Option<Sex>> {
    let text = fold(sheet.cell(row, SEX));
    match text.trim_end_matches('.') {
        "" => Some(None),
        "м" | "муж" | "мужской" | "мальчик" => Some(Some(Sex::Male)),
        "ж" | "жен" | "женский" | "девочка" => Some(Some(Sex::Female)),
        _ => {
            sheet.error(
                number,
                SEX,
                format!("Не удалось понять пол «{text}»: укажите «м» или «ж»."),
            );
            None
        }
    }
}

fn relation(sheet: &mut Sheet<'_>, number: usize, text: &str) -> Option<Option<Relation>> {
    let relation = match fold(text).as_str() {
        "" => return Some(None),
        "мать" | "мама" => Relation::Mother,
        "отец" | "папа" => Relation::Father,
        "опекун" | "опекунша" | "попечитель" => Relation::Guardian,
        "усыновитель" | "усыновительница" => Relation::AdoptiveParent,
        "приемный родитель" | "приемная мать" | "приемный отец" => {
            Relation::FosterParent
        }
        _ => {
            let message = format!(
                "Не удалось понять «{text}»: укажите мать, отец, опекун, попечитель, усыновитель \
                 или приёмный родитель."
            );
            sheet.error(number, RELATION, message);
            return None;
        }
    };
    Some(Some(relation))
}

/// `Some(None)`: no parent in the row; `None`: an error was recorded.
fn parent<'a>(sheet: &mut Sheet<'a>, number: usize, row: &'a [String]) -> Option<Option<Parent>> {
    let named = sheet.any_name(row, &PARENT);
    let names: Option<Names> = if named {
        sheet.names(number, row, &PARENT)
    } else {
        None
    };
    let [relation_text, phone_text, email_text] =
        [RELATION, PHONE, EMAIL].map(|c| sheet.cell(row, c));
    let phone = (!phone_text.is_empty()).then(|| normalize_phone(phone_text));
    if phone == Some(None) {
        let message =
            format!("Не удалось понять телефон «{phone_text}»: нужен номер вида +7 912 345-67-89.");
        sheet.error(number, PHONE, message);
    }
    let email = (!email_text.is_empty()).then(|| normalize_email(email_text));
    if email == Some(None) {
        let message = format!("«{email_text}» не похоже на адрес электронной почты.");
        sheet.error(number, EMAIL, message);
    }
    let relation = relation(sheet, number, relation_text);
    if !named {
        if relation_text.is_empty() && phone_text.is_empty() && email_text.is_empty() {
            return Some(None);
        }
        let column = if sheet.has(P_LAST) || !sheet.has(P_FULL) {
            P_LAST
        } else {
            P_FULL
        };
        sheet.error(
            number,
            column,
            "Указаны данные родителя, но не его фамилия и имя.",
        );
        return None;
    }
    let (last_name, first_name, middle_name) = names?;
    Some(Some(Parent {
        last_name,
        first_name,
        middle_name,
        relation: relation?,
        phone: phone.flatten(),
        email: email.flatten(),
    }))
}

/// The consent and its date; `None` in either when an error was recorded.
fn consent<'a>(
    sheet: &mut Sheet<'a>,
    number: usize,
    row: &'a [String],
    today: NaiveDate,
) -> (Option<Option<bool>>, Option<Option<NaiveDate>>) {
    let text = fold(sheet.cell(row, CONSENT));
    let given = match text.as_str() {
        "" => Some(None),
        "да" | "есть" | "+" | "дано" | "получено" => Some(Some(true)),
        "нет" | "-" | "не дано" | "не получено" => Some(Some(false)),
        _ => {
            sheet.error(
                number,
                CONSENT,
                format!("Не удалось понять «{text}»: укажите «да» или «нет»."),
            );
            None
        }
    };
    let on_text = sheet.cell(row, CONSENT_ON);
    if on_text.is_empty() {
        return (given, Some(None));
    }
    let Some(on) = date(sheet, number, CONSENT_ON, on_text) else {
        return (given, None);
    };
    if on > today {
        sheet.error(number, CONSENT_ON, "Дата согласия ещё не наступила.");
        return (given, None);
    }
    if given.is_some() && given != Some(Some(true)) {
        sheet.error(
            number,
            CONSENT_ON,
            "Указана дата согласия, но в столбце согласия не стоит «да».",
        );
        return (given, None);
    }
    (given, Some(Some(on)))
}
