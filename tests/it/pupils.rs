//! Classes and pupils (regulations §2): opening classes, class teachers, enrolment, parents with
//! consent to personal-data processing (000 §3), transfer and withdrawal with history kept.

use reqwest::StatusCode;
use zhurnal::clock::Clock;

use crate::helpers::{TestApp, path_of, spawn_app};

async fn id(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

async fn class_id(app: &TestApp, grade: i16, letter: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT c.id FROM school_class c JOIN school s ON s.id = c.school_id
         WHERE s.slug = 'demo-1' AND c.grade = $1 AND c.letter = $2",
    )
    .bind(grade)
    .bind(letter)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn ivan(app: &TestApp) -> i64 {
    id(app, "SELECT p.id FROM pupil p JOIN school s ON s.id = p.school_id WHERE s.slug = 'demo-1' AND p.last_name = 'Морозов' AND p.first_name = 'Иван'").await
}

#[tokio::test]
async fn the_administrator_opens_a_class_names_its_teacher_and_enrols_a_pupil() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let year = id(&app, "SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id WHERE s.slug = 'demo-1'").await;
    let response = admin
        .post(
            &format!("/classes?year={year}"),
            &[("name", "6 в"), ("shift", "2")],
        )
        .await;
    assert!(path_of(&response).starts_with("/classes/"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Класс 6В") && html.contains("не назначен"));
    let class = class_id(&app, 6, "В").await;
    let teacher = app.account_id("teacher").await;
    let html = admin
        .post(
            &format!("/classes/{class}/teacher"),
            &[("teacher", &teacher.to_string())],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Классный руководитель назначен.")
            && html.contains("Васильева Наталья Сергеевна")
    );
    let pupil = [
        ("last_name", "Ёлкин"),
        ("first_name", "Пётр"),
        ("birth_date", "02.02.2015"),
        ("sex", "m"),
        ("since", "01.09.2026"),
    ];
    let response = admin
        .post(&format!("/classes/{class}/pupils"), &pupil)
        .await;
    assert!(path_of(&response).starts_with("/pupils/"));
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Обучающийся зачислен.")
            && html.contains("зачисление")
            && html.contains("6В")
    );
    // The new class teacher now chooses between teaching and their class.
    let teacher = app.signed_in("teacher").await;
    let (_, choose) = teacher.text("/choose").await;
    assert!(choose.contains("Классный руководитель") && choose.contains("6В"));
}

#[tokio::test]
async fn a_class_that_exists_or_is_misnamed_is_refused_with_the_form_kept() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let year = id(&app, "SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id WHERE s.slug = 'demo-1'").await;
    let response = admin
        .post(&format!("/classes?year={year}"), &[("name", "5Б")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Класс 5Б уже есть.")
    );
    let response = admin
        .post(
            &format!("/classes?year={year}"),
            &[("name", "5B"), ("profile", "физмат")],
        )
        .await;
    let html = response.text().await.unwrap();
    assert!(html.contains("Класс — параллель и буква, например 5Б."));
    assert!(html.contains(r#"value="5B""#) && html.contains(r#"value="физмат""#));
}

#[tokio::test]
async fn a_transfer_keeps_the_history_and_moves_the_pupil_between_class_lists() {
    let app = spawn_app().await;
    let deputy = app.signed_in("deputy").await;
    let pupil = ivan(&app).await;
    let class_5a = class_id(&app, 5, "А").await;
    let early = deputy
        .post(
            &format!("/pupils/{pupil}/transfer"),
            &[
                ("to_class", &class_5a.to_string()),
                ("on", "01.09.2026"),
                ("reason", "заявление родителей"),
            ],
        )
        .await;
    assert_eq!(early.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        early
            .text()
            .await
            .unwrap()
            .contains("Перевод возможен после 01.09.2026.")
    );
    let no_reason = deputy
        .post(
            &format!("/pupils/{pupil}/transfer"),
            &[("to_class", &class_5a.to_string()), ("on", "12.01.2027")],
        )
        .await;
    assert!(no_reason.text().await.unwrap().contains("Укажите причину"));

    let html = deputy
        .post(
            &format!("/pupils/{pupil}/transfer"),
            &[
                ("to_class", &class_5a.to_string()),
                ("on", "12.01.2027"),
                ("reason", "заявление родителей"),
                ("order_ref", "№ 3-у"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Обучающийся переведён.")
            && html.contains("перевод")
            && html.contains("№ 3-у")
    );
    let (_, list_5a) = deputy.text(&format!("/classes/{class_5a}")).await;
    assert!(list_5a.contains("Морозов Иван Андреевич"));
    let class_5b = class_id(&app, 5, "Б").await;
    let (_, list_5b) = deputy.text(&format!("/classes/{class_5b}")).await;
    assert!(!list_5b.contains("Морозов Иван Андреевич"));
    let (periods, closed_on): (i64, String) = sqlx::query_as(
        "SELECT count(*), max(ends_on)::text FROM class_enrollment WHERE pupil_id = $1",
    )
    .bind(pupil)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (periods, closed_on.as_str()),
        (2, "2027-01-11"),
        "5Б until the day before"
    );
}

#[tokio::test]
async fn a_withdrawn_pupil_leaves_the_list_keeps_the_record_and_the_family_loses_diary_access_but_not_before_the_day()
 {
    let app = spawn_app().await;
    let student = app.signed_in("student").await;
    let admin = app.signed_in("admin").await;
    let pupil = ivan(&app).await;
    // A withdrawal dated ahead is refused next to its date, the form kept, the family still in:
    // recording it would end their diary access before the pupil has left.
    let ahead = (app.clock.now() + chrono::Duration::days(20))
        .format("%d.%m.%Y")
        .to_string();
    let early = admin
        .post(
            &format!("/pupils/{pupil}/withdraw"),
            &[("on", ahead.as_str()), ("reason", "переезд в другой город")],
        )
        .await;
    assert_eq!(early.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = early.text().await.unwrap();
    assert!(
        html.contains("ещё не наступило") && html.contains("переезд в другой город"),
        "{html}"
    );
    assert_eq!(path_of(&student.get("/pupil").await), "/pupil");
    let html = admin
        .post(
            &format!("/pupils/{pupil}/withdraw"),
            &[("on", "20.11.2026"), ("reason", "переезд в другой город")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Выбытие оформлено.")
            && html.contains("выбыл(а)")
            && html.contains("переезд в другой город")
    );
    assert_eq!(path_of(&student.get("/pupil").await), "/choose");
    let parent = app.signed_in("parent").await;
    let (_, choose) = parent.text("/choose").await;
    assert!(choose.contains("нет ролей"));
    let again = admin
        .post(
            &format!("/pupils/{pupil}/withdraw"),
            &[("on", "21.11.2026"), ("reason", "ещё раз")],
        )
        .await;
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Обучающийся уже выбыл.")
    );
}

#[tokio::test]
async fn section_4_the_class_teacher_records_parents_and_their_consent_for_their_own_class_only() {
    let app = spawn_app().await;
    let class_teacher = app.signed_in("classteacher").await;
    let pupil = ivan(&app).await;
    let bad = class_teacher
        .post(
            &format!("/pupils/{pupil}/parents"),
            &[
                ("last_name", "Морозов"),
                ("first_name", "Андрей"),
                ("relation", "отец"),
                ("phone", "12-34"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(html.contains("Телефон, например") && html.contains(r#"value="Андрей""#));
    let html = class_teacher
        .post(
            &format!("/pupils/{pupil}/parents"),
            &[
                ("last_name", "Морозов"),
                ("first_name", "Андрей"),
                ("relation", "отец"),
                ("phone", "8 (912) 345-67-89"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Родитель добавлен.")
            && html.contains("+79123456789")
            && html.contains("не отмечено")
    );
    let father = id(
        &app,
        "SELECT id FROM parent WHERE first_name = 'Андрей' AND last_name = 'Морозов'",
    )
    .await;
    let html = class_teacher
        .post(
            &format!("/pupils/{pupil}/parents/{father}/consent"),
            &[("consent", "no"), ("on", "23.11.2026")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Согласие отмечено.") && html.contains("отказ"));
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'parent.pd_consent' AND subject_id = $1",
    )
    .bind(father)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // Another class's pupil is not theirs to edit, and movement is not theirs to make.
    let other = id(&app, "SELECT e.pupil_id FROM class_enrollment e JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id WHERE c.grade = 9 LIMIT 1").await;
    let response = class_teacher
        .post(
            &format!("/pupils/{other}/parents"),
            &[
                ("last_name", "Иванова"),
                ("first_name", "Ольга"),
                ("relation", "мать"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        class_teacher
            .get(&format!("/pupils/{other}"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let response = class_teacher
        .post(
            &format!("/pupils/{pupil}/withdraw"),
            &[("on", "23.11.2026"), ("reason", "нет")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn another_schools_classes_and_pupils_answer_404_on_every_route() {
    let app = spawn_app().await;
    let class = class_id(&app, 5, "Б").await;
    let pupil = ivan(&app).await;
    let parent = id(&app, "SELECT parent_id FROM pupil_parent pp JOIN pupil p ON p.school_id = pp.school_id AND p.id = pp.pupil_id WHERE p.last_name = 'Морозов' AND p.first_name = 'Иван' LIMIT 1").await;
    let admin2 = app.signed_in("admin2").await;
    for path in [format!("/classes/{class}"), format!("/pupils/{pupil}")] {
        assert_eq!(
            admin2.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let posts: [(String, Vec<(&str, &str)>); 6] = [
        (
            format!("/classes/{class}/pupils"),
            vec![
                ("last_name", "Х"),
                ("first_name", "Х"),
                ("birth_date", "01.01.2015"),
                ("sex", "m"),
                ("since", "01.09.2026"),
            ],
        ),
        (format!("/classes/{class}/teacher"), vec![("teacher", "1")]),
        (
            format!("/pupils/{pupil}/parents"),
            vec![
                ("last_name", "Х"),
                ("first_name", "Х"),
                ("relation", "мать"),
            ],
        ),
        (
            format!("/pupils/{pupil}/parents/{parent}/consent"),
            vec![("consent", "yes"), ("on", "01.09.2026")],
        ),
        (
            format!("/pupils/{pupil}/transfer"),
            vec![("to_class", "1"), ("on", "01.12.2026"), ("reason", "х")],
        ),
        (
            format!("/pupils/{pupil}/withdraw"),
            vec![("on", "01.12.2026"), ("reason", "х")],
        ),
    ];
    for (path, form) in &posts {
        assert_eq!(
            admin2.post(path, form).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let year = id(&app, "SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id WHERE s.slug = 'demo-1'").await;
    assert_eq!(
        admin2.get(&format!("/classes?year={year}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin2
            .post(&format!("/classes?year={year}"), &[("name", "7Г")])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}
