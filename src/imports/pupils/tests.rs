use super::*;
use crate::imports::table::read_table;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn today() -> NaiveDate {
    date(2025, 9, 1)
}

fn table(text: &str) -> Vec<Vec<String>> {
    read_table(text.as_bytes(), "list.csv", 100).unwrap()
}

fn places(errors: &[RowError]) -> Vec<(usize, &str)> {
    errors.iter().map(|e| (e.row, e.column.as_str())).collect()
}

#[test]
fn a_windows_1251_file_with_yo_aliases_extra_spaces_and_a_title_gives_typed_pupils() {
    let text = "Список учащихся 5Б класса;;;;;;;;;;;;;\r\n\
        ;;;;;;;;;;;;;\r\n\
        \u{a0}ФАМИЛИЯ ;Имя;отчество;Дата  рождения;пол;Класс;Фамилия родителя;Родитель: имя;\
        Родитель - отчество;Кем приходится;Телефон;E-mail;\
        Согласие на обработку персональных данных;Дата согласия\r\n\
        ёлкина;Алёна;Петровна;8.3.2014;жен.;5 «б»;Ёлкина;Ольга;Ивановна;мать;\
        8 (912) 345-67-89;Olga@Mail.ru;Да;2025-08-30\r\n\
        ЩЁГОЛЕВ;Пётр;;2013-09-01;М;5-Б;;;;;;;;\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
    let rows = read_table(&bytes, "5Б.csv", 100).unwrap();

    let pupils = parse_pupils(&rows, today()).unwrap();

    assert_eq!(
        pupils,
        vec![
            PupilRow {
                row: 3,
                last_name: "Ёлкина".into(),
                first_name: "Алёна".into(),
                middle_name: "Петровна".into(),
                birth_date: date(2014, 3, 8),
                sex: Some(Sex::Female),
                grade: 5,
                letter: "Б".into(),
                parent: Some(Parent {
                    last_name: "Ёлкина".into(),
                    first_name: "Ольга".into(),
                    middle_name: "Ивановна".into(),
                    relation: Some(Relation::Mother),
                    phone: Some("+79123456789".into()),
                    email: Some("olga@mail.ru".into()),
                }),
                pd_consent: Some(true),
                pd_consent_on: Some(date(2025, 8, 30)),
            },
            PupilRow {
                row: 4,
                last_name: "Щёголев".into(),
                first_name: "Пётр".into(),
                middle_name: String::new(),
                birth_date: date(2013, 9, 1),
                sex: Some(Sex::Male),
                grade: 5,
                letter: "Б".into(),
                parent: None,
                pd_consent: None,
                pd_consent_on: None,
            },
        ]
    );
}

#[test]
fn every_bad_row_and_column_is_reported_in_russian() {
    let rows = table(
        "Фамилия;Имя;Отчество;Дата рождения;Пол;Класс;Родитель: фамилия;Родитель: имя;Телефон;\
         Электронная почта;Кем приходится;Согласие на обработку ПД;Дата согласия\n\
         Иванов;Пётр;Сергеевич;01.02.2014;м;5Б;Иванова;Мария;+7 912 345 67 89;mama@mail.ru;мать;да;01.09.2025\n\
         ;Анна;;31.02.2014;x;12А;;;;;;;\n\
         Петров;Иван;;01.01.2024;м;5Б;Петрова;;123;mail;тётя;может;05.05.2025\n\
         Сидоров;Олег;;01.01.2030;м;5Б;;;;;;нет;01.09.2025\n\
         Кузнецов;Лев;;01.01.2000;м;5;;;89123456789;;;;\n",
    );

    let errors = parse_pupils(&rows, today()).unwrap_err();

    assert_eq!(
        places(&errors),
        vec![
            (3, "Фамилия"),
            (3, "Дата рождения"),
            (3, "Пол"),
            (3, "Класс"),
            (4, "Дата рождения"),
            (4, "Родитель: имя"),
            (4, "Телефон"),
            (4, "Электронная почта"),
            (4, "Кем приходится"),
            (4, "Согласие на обработку ПД"),
            (5, "Дата рождения"),
            (5, "Дата согласия"),
            (6, "Дата рождения"),
            (6, "Класс"),
            (6, "Родитель: фамилия"),
        ]
    );
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for expected in [
        "Строка 3, столбец «Фамилия»: Ячейка не заполнена.",
        "Строка 3, столбец «Дата рождения»: Не удалось понять дату «31.02.2014»: нужна дата вида 01.09.2015.",
        "Строка 3, столбец «Пол»: Не удалось понять пол «x»: укажите «м» или «ж».",
        "Строка 3, столбец «Класс»: Класс 12: параллель должна быть от 1 до 11.",
        "Строка 4, столбец «Дата рождения»: Ученику меньше 5 лет: проверьте дату рождения.",
        "Строка 4, столбец «Телефон»: Не удалось понять телефон «123»: нужен номер вида +7 912 345-67-89.",
        "Строка 4, столбец «Электронная почта»: «mail» не похоже на адрес электронной почты.",
        "Строка 5, столбец «Дата рождения»: Дата рождения ещё не наступила.",
        "Строка 5, столбец «Дата согласия»: Указана дата согласия, но в столбце согласия не стоит «да».",
        "Строка 6, столбец «Дата рождения»: Ученику больше 20 лет: проверьте дату рождения.",
        "Строка 6, столбец «Родитель: фамилия»: Указаны данные родителя, но не его фамилия и имя.",
    ] {
        assert!(
            messages.iter().any(|m| m == expected),
            "{expected}\nin {messages:#?}"
        );
    }
}

#[test]
fn missing_required_columns_are_reported_once_on_the_header_row() {
    let rows = table("Фамилия;Отчество;Пол\nИванов;Петрович;м\nПетров;;м\n");

    let errors = parse_pupils(&rows, today()).unwrap_err();

    assert_eq!(
        errors,
        vec![
            RowError::new(1, "Имя", "В таблице нет столбца «Имя»."),
            RowError::new(1, "Дата рождения", "В таблице нет столбца «Дата рождения»."),
            RowError::new(1, "Класс", "В таблице нет столбца «Класс»."),
        ]
    );
}

#[test]
fn a_column_named_twice_is_refused() {
    let rows =
        table("Фамилия;Имя;Дата рождения;Класс;Фамилия\nИванов;Пётр;01.02.2014;5Б;Иванова\n");

    let errors = parse_pupils(&rows, today()).unwrap_err();

    assert_eq!(
        errors,
        vec![RowError::new(
            1,
            "Фамилия",
            "Столбец «Фамилия» встречается дважды: оставьте один."
        )]
    );
}

#[test]
fn the_same_pupil_twice_is_an_error_on_the_second_row() {
    let rows = table(
        "Фамилия;Имя;Отчество;Дата рождения;Класс\n\
         Ёлкина;Алёна;Петровна;08.03.2014;5Б\n\
         Ёлкина;Алёна;;08.03.2014;5Б\n\
         елкина;алена;петровна;2014-03-08;5А\n",
    );

    let errors = parse_pupils(&rows, today()).unwrap_err();

    assert_eq!(
        errors,
        vec![RowError::new(
            4,
            "Фамилия",
            "Этот ученик (ФИО и дата рождения) уже есть в строке 2; повторять его можно только для другого родителя."
        )]
    );
}

#[test]
fn the_same_pupil_on_a_second_row_brings_a_second_parent() {
    let rows = table(
        "ФИО ученика;Дата рождения;Класс;ФИО родителя;Телефон\n\
         Ёлкина Алёна Петровна;08.03.2014;5Б;Ёлкина Мария Ивановна;9123456789\n\
         Елкина Алена Петровна;08.03.2014;5Б;Ёлкин Пётр Сергеевич;9123456780\n",
    );
    let pupils = parse_pupils(&rows, today()).unwrap();
    assert_eq!(pupils.len(), 2);
    assert_eq!(pupils[0].key(), pupils[1].key());

    let again = table(
        "ФИО ученика;Дата рождения;Класс;ФИО родителя\n\
         Ёлкина Алёна Петровна;08.03.2014;5Б;Ёлкина Мария Ивановна\n\
         Ёлкина Алёна Петровна;08.03.2014;5Б;Елкина Мария Ивановна\n\
         Ёлкина Алёна Петровна;08.03.2014;5А;Ёлкин Пётр Сергеевич\n",
    );
    let errors = parse_pupils(&again, today()).unwrap_err();
    assert_eq!(
        errors,
        vec![
            RowError::new(
                3,
                "ФИО ученика",
                "Этот ученик с этим же родителем уже есть в строке 2."
            ),
            RowError::new(
                4,
                "ФИО ученика",
                "Этот ученик уже есть в строке 2 в классе 5Б."
            ),
        ]
    );
}

#[test]
fn the_key_ignores_case_and_yo_so_re_imported_pupils_can_be_skipped() {
    let rows =
        table("Фамилия;Имя;Отчество;Дата рождения;Класс\nЁлкина;Алёна;Петровна;08.03.2014;5Б\n");
    let pupils = parse_pupils(&rows, today()).unwrap();

    let key = pupils[0].key();

    assert_eq!(key.full_name, "елкина алена петровна");
    assert_eq!(key.birth_date, date(2014, 3, 8));
    assert_eq!(
        key,
        PupilKey::new("ЕЛКИНА", "Алена", "петровна", date(2014, 3, 8))
    );
    assert_ne!(key, PupilKey::new("Елкина", "Алена", "", date(2014, 3, 8)));
}

#[test]
fn one_fio_column_is_split_into_surname_name_and_patronymic() {
    let rows = table(
        "ФИО ученика;Дата рождения;Класс;ФИО родителя;Телефон\n\
         Мамедов Али Гусейн оглы;01.02.2014;5Б;Мамедова Лейла;9123456789\n\
         Иванов;01.02.2014;5Б;;\n",
    );

    let errors = parse_pupils(&rows, today()).unwrap_err();
    assert_eq!(
        errors,
        vec![RowError::new(
            3,
            "ФИО ученика",
            "Нужны фамилия и имя (и отчество, если есть)."
        )]
    );

    let pupils = parse_pupils(&rows[..2], today()).unwrap();
    let pupil = &pupils[0];
    assert_eq!(
        (
            pupil.last_name.as_str(),
            pupil.first_name.as_str(),
            pupil.middle_name.as_str()
        ),
        ("Мамедов", "Али", "Гусейн оглы")
    );
    let parent = pupil.parent.as_ref().unwrap();
    assert_eq!(
        (parent.last_name.as_str(), parent.first_name.as_str()),
        ("Мамедова", "Лейла")
    );
    assert_eq!(parent.phone.as_deref(), Some("+79123456789"));
}

#[test]
fn a_table_with_only_a_header_is_refused() {
    let rows = table("Фамилия;Имя;Дата рождения;Класс\n");

    let errors = parse_pupils(&rows, today()).unwrap_err();

    assert_eq!(
        errors[0].message,
        "В таблице нет строк с учениками: только заголовок."
    );
}

#[test]
fn an_empty_table_is_reported_once() {
    assert_eq!(
        parse_pupils(&[], today()),
        Err(vec![RowError::new(1, "", "Таблица пуста.")])
    );
}
