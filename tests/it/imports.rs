//! Imports from real spreadsheets (issue: setting up the school year, §10) and credentials with
//! printed slips (§11).

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::helpers::{Client, TestApp, spawn_app};

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

async fn year(app: &TestApp) -> i64 {
    scalar(app, "SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id WHERE s.slug = 'demo-1'").await
}

/// Uploads a file as the browser does: multipart, with the CSRF token in the form's address.
async fn upload(client: &Client, path: &str, file_name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let token = client.csrf().await;
    let form = Form::new().part("file", Part::bytes(bytes).file_name(file_name.to_string()));
    let sep = if path.contains('?') { '&' } else { '?' };
    client
        .http
        .post(client.url(&format!("{path}{sep}csrf={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn windows_1251(text: &str) -> Vec<u8> {
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
    bytes.into_owned()
}

const PUPILS: &str = "Фамилия;Имя;Отчество;Дата рождения;Пол;Класс;Фамилия родителя;Имя родителя;Отчество родителя;Кем приходится;Телефон;Согласие на обработку ПД
Ёжикова;Алёна;Петровна;12.04.2015;ж;5 Б;Ёжикова;Мария;Ивановна;мать;8 (912) 111-22-33;да
Семёнов;Пётр;;03.11.2014;м;5Д;Семёнов;Олег;Игоревич;отец;+7 912 222 33 44;нет
  Кузьмина ;Вера;Андреевна;2015-01-30;ж;5-б;;;;;;
";

#[tokio::test]
async fn pupils_with_parents_come_from_a_windows_1251_csv_and_a_second_import_adds_nobody() {
    let app = spawn_app().await;
    let year = year(&app).await;
    let admin = app.signed_in("admin").await;
    let before = scalar(&app, "SELECT count(*) FROM pupil").await;
    let response = upload(
        &admin,
        &format!("/setup/imports/pupils?year={year}"),
        "список.csv",
        windows_1251(PUPILS),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Загружено обучающихся: 3, уже были: 0, родителей: 2. Открыты классы: 5Д."),
        "{html}"
    );
    assert_eq!(scalar(&app, "SELECT count(*) FROM pupil").await, before + 3);
    let consent: Option<bool> =
        sqlx::query_scalar("SELECT pd_consent FROM parent WHERE first_name = 'Олег'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(consent, Some(false));
    let phone: String = sqlx::query_scalar(
        "SELECT phone FROM parent WHERE first_name = 'Мария' AND last_name = 'Ёжикова'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(phone, "+79121112233");
    let in_5b = scalar(&app, "SELECT count(*) FROM class_enrollment e JOIN school_class c ON c.id = e.class_id JOIN pupil p ON p.id = e.pupil_id WHERE c.grade = 5 AND c.letter = 'Б' AND p.last_name IN ('Ёжикова', 'Кузьмина')").await;
    assert_eq!(in_5b, 2);

    let again = upload(
        &admin,
        &format!("/setup/imports/pupils?year={year}"),
        "список.csv",
        windows_1251(PUPILS),
    )
    .await;
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Загружено обучающихся: 0, уже были: 3")
    );
    assert_eq!(scalar(&app, "SELECT count(*) FROM pupil").await, before + 3);
}

#[tokio::test]
async fn a_file_with_bad_rows_is_refused_whole_with_each_row_and_column_named() {
    let app = spawn_app().await;
    let year = year(&app).await;
    let admin = app.signed_in("admin").await;
    let before = scalar(&app, "SELECT count(*) FROM pupil").await;
    let bad = "Фамилия;Имя;Дата рождения;Класс\nИванов;Иван;12.04.2015;5Б\nПетров;;31.02.2015;5Б\nСидоров;Сидор;01.01.2015;12Ф\n";
    let response = upload(
        &admin,
        &format!("/setup/imports/pupils?year={year}"),
        "плохой.csv",
        bad.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Файл не загружен"));
    assert!(
        html.contains("Строка 3") && html.contains("Имя") && html.contains("Дата рождения"),
        "{html}"
    );
    assert!(html.contains("Строка 4") && html.contains("Класс"));
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM pupil").await,
        before,
        "nothing imported"
    );
    let not_a_table = upload(
        &admin,
        &format!("/setup/imports/pupils?year={year}"),
        "фото.png",
        vec![0x89, b'P', b'N', b'G', 0, 0, 0, 1],
    )
    .await;
    assert_eq!(not_a_table.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Without the CSRF token in the address the upload is refused.
    let form = Form::new().part(
        "file",
        Part::bytes(PUPILS.as_bytes().to_vec()).file_name("x.csv"),
    );
    let forged = admin
        .http
        .post(admin.url(&format!("/setup/imports/pupils?year={year}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn staff_come_from_an_xlsx_with_credentials_to_print() {
    let app = spawn_app().await;
    let year = year(&app).await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in [
        ["Фамилия", "Имя", "Отчество", "Должность", "Роль"],
        ["Белова", "Ирина", "Юрьевна", "учитель физики", "учитель"],
        [
            "Громов",
            "Олег",
            "",
            "заместитель директора по ВР",
            "заместитель директора",
        ],
    ]
    .iter()
    .enumerate()
    {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    let xlsx = book.save_to_buffer().unwrap();
    let admin = app.signed_in("admin").await;
    let response = upload(
        &admin,
        &format!("/setup/imports/staff?year={year}"),
        "сотрудники.xlsx",
        xlsx.clone(),
    )
    .await;
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Сотрудники загружены: новых — 2, уже были — 0"),
        "{html}"
    );
    assert!(html.contains("belova.iiu") && html.contains("заместитель директора"));
    let deputy_role = scalar(&app, "SELECT count(*) FROM membership m JOIN account a ON a.id = m.account_id WHERE a.login LIKE 'gromov%' AND m.role = 'deputy'").await;
    assert_eq!(deputy_role, 1);
    let (_, people) = admin.text("/admin/users?role=teacher").await;
    assert!(people.contains("учитель физики"), "the position is kept");

    // The slips, as the PDF the page's button asks for.
    let mut fields: Vec<(&str, String)> = Vec::new();
    for name in ["name", "role", "login", "password"] {
        let marker = format!(r#"name="{name}" value=""#);
        for part in html.split(&marker).skip(1) {
            fields.push((name, part[..part.find('"').unwrap()].to_string()));
        }
    }
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let pdf = admin.post("/credentials/pdf", &form).await;
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));

    // The same file again: nobody new, no new passwords.
    let again = upload(
        &admin,
        &format!("/setup/imports/staff?year={year}"),
        "сотрудники.xlsx",
        xlsx,
    )
    .await;
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("новых — 0, уже были — 2")
    );
}

#[tokio::test]
async fn section_7_the_class_teacher_issues_credentials_to_pupils_and_parents_but_not_to_parents_who_refused()
 {
    let app = spawn_app().await;
    let class = scalar(&app, "SELECT c.id FROM school_class c JOIN school s ON s.id = c.school_id WHERE s.slug = 'demo-1' AND c.grade = 5 AND c.letter = 'Б'").await;
    let refusing = scalar(&app, &format!("SELECT count(*) FROM parent pa JOIN pupil_parent pp ON pp.parent_id = pa.id JOIN class_enrollment e ON e.pupil_id = pp.pupil_id WHERE e.class_id = {class} AND pa.pd_consent = false AND pa.account_id IS NULL")).await;
    let pupils_without = scalar(&app, &format!("SELECT count(*) FROM class_enrollment e WHERE e.class_id = {class} AND NOT EXISTS (SELECT 1 FROM membership m WHERE m.pupil_id = e.pupil_id AND m.role = 'pupil')")).await;
    let parents_to_issue = scalar(&app, &format!("SELECT count(*) FROM parent pa JOIN pupil_parent pp ON pp.parent_id = pa.id JOIN class_enrollment e ON e.pupil_id = pp.pupil_id WHERE e.class_id = {class} AND pa.account_id IS NULL AND pa.pd_consent IS DISTINCT FROM false")).await;
    let class_teacher = app.signed_in("classteacher").await;
    let html = class_teacher
        .post(&format!("/classes/{class}/credentials"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        html.matches(r#"<input type="hidden" name="login""#).count() as i64,
        pupils_without + parents_to_issue,
        "{html}"
    );
    if refusing > 0 {
        assert!(html.contains("отказ от обработки персональных данных"));
    }
    // The first issued pupil can log in and must change the password.
    let login = html
        .split(r#"name="login" value=""#)
        .nth(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .unwrap();
    let password = html
        .split(r#"name="password" value=""#)
        .nth(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .unwrap();
    let newcomer = app.client();
    assert_eq!(
        crate::helpers::path_of(&newcomer.login(&login, &password).await),
        "/password"
    );
    // Issuing again gives nothing new.
    let again = class_teacher
        .post(&format!("/classes/{class}/credentials"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(again.contains("Новых реквизитов нет"));
    // Another class is not theirs; another school's class does not exist.
    let other = scalar(&app, "SELECT id FROM school_class WHERE grade = 9 LIMIT 1").await;
    assert_eq!(
        class_teacher
            .post(&format!("/classes/{other}/credentials"), &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let admin2 = app.signed_in("admin2").await;
    assert_eq!(
        admin2
            .post(&format!("/classes/{class}/credentials"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn section_2_a_pupil_on_two_rows_gets_both_parents_once() {
    let app = spawn_app().await;
    let year = year(&app).await;
    let admin = app.signed_in("admin").await;
    let csv = "ФИО ученика;Дата рождения;Класс;ФИО родителя;Кем приходится;Телефон;Согласие на обработку ПД\n\
               Ёлкина Алёна Петровна;08.03.2015;5Б;Ёлкина Мария Ивановна;мать;9123456789;да\n\
               Ёлкина Алёна Петровна;08.03.2015;5Б;Ёлкин Пётр Сергеевич;отец;9123456780;нет\n";
    let response = upload(
        &admin,
        &format!("/setup/imports/pupils?year={year}"),
        "семьи.csv",
        csv.as_bytes().to_vec(),
    )
    .await;
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Загружено обучающихся: 1, уже были: 0, родителей: 2."),
        "{html}"
    );
    let parents = scalar(
        &app,
        "SELECT count(*) FROM pupil_parent pp JOIN pupil p ON p.id = pp.pupil_id WHERE p.last_name = 'Ёлкина' AND p.first_name = 'Алёна'",
    )
    .await;
    assert_eq!(parents, 2);
    let refused: Option<bool> =
        sqlx::query_scalar("SELECT pd_consent FROM parent WHERE first_name = 'Пётр'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(refused, Some(false), "each parent's own consent");
}

// Issue 11: hostile uploads. Every one is answered in Russian, none reaches the database, and the
// server keeps answering.

/// Pupils, staff and topics, counted: what an import would write.
async fn written(app: &TestApp) -> (i64, i64, i64) {
    (
        scalar(app, "SELECT count(*) FROM pupil").await,
        scalar(app, "SELECT count(*) FROM account").await,
        scalar(app, "SELECT count(*) FROM theme_plan_topic").await,
    )
}

async fn still_answers(app: &TestApp) {
    let health = app.client().get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK, "the server still answers");
}

#[tokio::test]
async fn an_xlsx_declaring_the_whole_sheet_as_its_range_is_read_by_its_cells_and_the_server_still_answers()
 {
    let app = spawn_app().await;
    let year = year(&app).await;
    let admin = app.signed_in("admin").await;
    let before = written(&app).await;
    // The attacker's file: one cell, a range of 17 billion cells declared.
    let attack = zhurnal::imports::samples::xlsx_declaring(&[&["x"]], "A1:XFD1048576");
    assert!(attack.len() < 4_000, "a few kilobytes: {}", attack.len());

    let response = upload(
        &admin,
        &format!("/setup/imports/pupils?year={year}"),
        "attack.xlsx",
        attack,
    )
    .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("В таблице нет столбца «Фамилия»"), "{html}");
    assert_eq!(written(&app).await, before);
    still_answers(&app).await;

    // A real list declaring the same range is read by its cells: the range does not matter.
    let list = zhurnal::imports::samples::xlsx_declaring(
        &[
            &["Фамилия", "Имя", "Дата рождения", "Класс"],
            &["Ёлкина", "Алёна", "08.03.2014", "5Б"],
        ],
        "A1:XFD1048576",
    );
    let response = upload(
        &admin,
        &format!("/setup/imports/pupils?year={year}"),
        "list.xlsx",
        list,
    )
    .await;
    let html = response.text().await.unwrap();
    assert!(html.contains("Загружено обучающихся: 1"), "{html}");
}

#[tokio::test]
async fn a_zip_bomb_is_refused_with_a_russian_message_and_nothing_is_written() {
    let app = spawn_app().await;
    let year = year(&app).await;
    let admin = app.signed_in("admin").await;
    let before = written(&app).await;
    for (name, bomb) in [
        ("bomb.xlsx", zhurnal::imports::samples::zip_bomb(200, None)),
        (
            "liar.xlsx",
            zhurnal::imports::samples::zip_bomb(200, Some(1_000)),
        ),
    ] {
        let response = upload(
            &admin,
            &format!("/setup/imports/staff?year={year}"),
            name,
            bomb,
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(
            html.contains("распаковывается больше чем в 32 МБ")
                || html.contains("Не удалось прочитать файл Excel"),
            "{html}"
        );
    }
    assert_eq!(written(&app).await, before);
    still_answers(&app).await;
}

#[tokio::test]
async fn a_100000_row_csv_is_refused_with_the_cap_message_and_nothing_is_written() {
    let app = spawn_app().await;
    let year = year(&app).await;
    let admin = app.signed_in("admin").await;
    let before = written(&app).await;
    let mut csv = String::from("Фамилия;Имя;Дата рождения;Класс\r\n");
    for _ in 0..100_000 {
        csv.push_str("Ан;Ия;1.1.2015;5Б\r\n");
    }
    let bytes = windows_1251(&csv);
    assert!(
        bytes.len() < 2_000_000,
        "under the byte cap: {}",
        bytes.len()
    );

    let response = upload(
        &admin,
        &format!("/setup/imports/pupils?year={year}"),
        "школа.csv",
        bytes,
    )
    .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("В таблице больше 5 000 строк: за один раз можно загрузить не больше 5 000."),
        "{html}"
    );
    assert_eq!(written(&app).await, before);

    // Just over the cap, past the reader's allowance for titles: the parser counts data rows.
    let mut csv = String::from("Фамилия;Имя;Дата рождения;Класс\r\n");
    for _ in 0..5_001 {
        csv.push_str("Ан;Ия;1.1.2015;5Б\r\n");
    }
    let html = upload(
        &admin,
        &format!("/setup/imports/pupils?year={year}"),
        "школа.csv",
        windows_1251(&csv),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(html.contains("не больше 5 000"), "{html}");

    let mut staff = String::from("Фамилия;Имя\r\n");
    for _ in 0..1_001 {
        staff.push_str("Ан;Ия\r\n");
    }
    let html = upload(
        &admin,
        &format!("/setup/imports/staff?year={year}"),
        "штат.csv",
        windows_1251(&staff),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(html.contains("не больше 1 000"), "{html}");
    assert_eq!(written(&app).await, before);
}

#[tokio::test]
async fn a_refused_import_lists_the_first_50_errors_and_counts_the_rest() {
    let app = spawn_app().await;
    let year = year(&app).await;
    let admin = app.signed_in("admin").await;
    let mut csv = String::from("Фамилия;Имя;Дата рождения;Класс\r\n");
    for _ in 0..4_000 {
        csv.push_str("Иванов;Иван;31.02.2015;5Б\r\n");
    }

    let response = upload(
        &admin,
        &format!("/setup/imports/pupils?year={year}"),
        "список.csv",
        windows_1251(&csv),
    )
    .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Строка 51,") && !html.contains("Строка 52,"),
        "{html}"
    );
    assert!(html.contains("…и ещё 3950 ошибок."), "{html}");
    assert!(html.len() < 100_000, "the page stays small: {}", html.len());
}

#[tokio::test]
async fn binary_junk_an_old_xls_and_a_file_over_2_mb_are_refused_in_russian() {
    let app = spawn_app().await;
    let year = year(&app).await;
    let admin = app.signed_in("admin").await;
    let before = written(&app).await;
    let junk: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let mut zip_junk = b"PK\x03\x04".to_vec();
    zip_junk.extend_from_slice(&junk);
    let mut ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    ole.extend_from_slice(&junk);
    for (name, bytes, message) in [
        (
            "list.csv",
            junk.clone(),
            "Файл не похож на таблицу CSV или XLSX.",
        ),
        ("list.xlsx", zip_junk, "Не удалось прочитать файл Excel"),
        ("list.xls", ole, "Файлы XLS и ODS не принимаются"),
        ("list.csv", vec![b'a'; 2_000_001], "Файл больше 2 МБ"),
    ] {
        let response = upload(
            &admin,
            &format!("/setup/imports/pupils?year={year}"),
            name,
            bytes,
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "{name}: {html}");
    }
    // Past the route's body limit the answer is the same.
    let response = upload(
        &admin,
        &format!("/setup/imports/pupils?year={year}"),
        "list.csv",
        vec![b'a'; 3_000_000],
    )
    .await;
    assert!(response.text().await.unwrap().contains("Файл больше 2 МБ"));
    assert_eq!(written(&app).await, before);
    // A file name with a NUL cannot be read: refused, not a 500.
    let response = upload(
        &admin,
        &format!("/setup/imports/pupils?year={year}"),
        "a\0b.csv",
        windows_1251(PUPILS),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(written(&app).await, before);
    // A name of 5 000 letters with a line separator is kept printable and short in the audit.
    let name = format!("a\u{2028}{}.csv", "я".repeat(5_000));
    let response = upload(
        &admin,
        &format!("/setup/imports/pupils?year={year}"),
        &name,
        windows_1251(PUPILS),
    )
    .await;
    let status = response.status();
    let html = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{html}");
    let stored: String = sqlx::query_scalar(
        "SELECT after->>'file' FROM audit_event WHERE action = 'import.pupils' ORDER BY at DESC LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored.chars().count(), 200);
    assert!(stored.starts_with("aя"), "{stored}");
    still_answers(&app).await;
}

#[tokio::test]
async fn a_pupil_posting_to_each_of_the_three_upload_routes_gets_403_and_nothing_is_written() {
    let app = spawn_app().await;
    let year = year(&app).await;
    let group = crate::plans::maths_on_mondays(&app).await;
    let pupil = app.signed_in("student").await;
    let before = written(&app).await;
    for path in [
        format!("/setup/imports/pupils?year={year}"),
        format!("/setup/imports/staff?year={year}"),
        format!("/groups/{group}/plan/import"),
    ] {
        let response = upload(
            &pupil,
            &path,
            "list.csv",
            windows_1251("Фамилия;Имя;Дата рождения;Класс;Тема\r\nАн;Ия;1.1.2015;5Б;Дроби\r\n"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(written(&app).await, before);
}

/// Posts a body that is not multipart at all under a multipart content type: a handler that
/// read it would answer «Выберите файл» (422); one that checks first answers 403 or 404.
async fn post_unreadable_body(client: &Client, path: &str) -> StatusCode {
    let token = client.csrf().await;
    let sep = if path.contains('?') { '&' } else { '?' };
    client
        .http
        .post(client.url(&format!("{path}{sep}csrf={token}")))
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body("this is not a multipart body")
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn another_schools_group_or_year_gets_404_before_the_body_is_read() {
    let app = spawn_app().await;
    let year = year(&app).await;
    let group = crate::plans::maths_on_mondays(&app).await;
    let admin2 = app.signed_in("admin2").await;
    for path in [
        format!("/groups/{group}/plan/import"),
        "/groups/999999/plan/import".to_string(),
        format!("/setup/imports/pupils?year={year}"),
        format!("/setup/imports/staff?year={year}"),
    ] {
        assert_eq!(
            post_unreadable_body(&admin2, &path).await,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // The attack of the issue: a nonexistent group and a declared range of 17 billion cells.
    let attack = zhurnal::imports::samples::xlsx_declaring(&[&["x"]], "A1:XFD1048576");
    let response = upload(&admin2, "/groups/999999/plan/import", "a.xlsx", attack).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let pupil = app.signed_in("student").await;
    assert_eq!(
        post_unreadable_body(&pupil, &format!("/groups/{group}/plan/import")).await,
        StatusCode::FORBIDDEN
    );
    still_answers(&app).await;
}
