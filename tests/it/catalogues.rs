//! Catalogues: subjects with grading scales, rooms, work types with weights and checking
//! periods (regulations §2, J4, J5).

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn j4_j5_every_new_school_starts_with_the_default_work_types() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let (status, html) = admin.text("/setup/catalogues").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Контрольная работа ВШК"));
    let (days, weight): (i16, String) = sqlx::query_as(
        "SELECT w.checking_days, w.weight::text FROM work_type w JOIN school s ON s.id = w.school_id
         WHERE s.slug = 'demo-2' AND w.name = 'Сочинение'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (days, weight.as_str()),
        (7, "2.0"),
        "essays: 7 days to check (J4)"
    );
}

#[tokio::test]
async fn the_deputy_adds_a_subject_room_and_work_type_and_duplicates_are_refused() {
    let app = spawn_app().await;
    let deputy = app.signed_in("deputy").await;
    let subject = [
        ("name", "Основы религиозных культур и светской этики"),
        ("short_name", "ОРКСЭ"),
        ("component", "federal"),
        ("scale", "pass_fail"),
    ];
    let html = deputy
        .post("/setup/subjects", &subject)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Предмет добавлен.") && html.contains("зачёт/незачёт"));
    let again = deputy.post("/setup/subjects", &subject).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Такой предмет уже есть.")
    );

    let html = deputy
        .post("/setup/rooms", &[("name", "214"), ("capacity", "30")])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Кабинет добавлен."));

    let project = [
        ("name", "Проект"),
        ("short_name", "Пр"),
        ("weight", "1,5"),
        ("checking_days", "10"),
    ];
    let html = deputy
        .post("/setup/work-types", &project)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Вид работы добавлен.") && html.contains("1,5") && html.contains("10 дн.")
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action IN ('subject.created', 'room.created', 'work_type.created')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 3);
}

#[tokio::test]
async fn bad_catalogue_input_comes_back_in_russian_with_the_form_filled_in() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let response = admin
        .post(
            "/setup/work-types",
            &[
                ("name", "Тест"),
                ("short_name", ""),
                ("weight", "1,55"),
                ("checking_days", "45"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Вес — число от 0,1 до 10"));
    assert!(html.contains("Срок проверки — от 0 до 30 дней."));
    assert!(html.contains(r#"value="1,55""#) && html.contains(r#"value="Тест""#));
    let response = admin
        .post("/setup/rooms", &[("name", "  "), ("capacity", "тридцать")])
        .await;
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Заполните: от 1 до 60 символов.") && html.contains("Вместимость — число")
    );
    let response = admin
        .post(
            "/setup/subjects",
            &[
                ("name", "Химия"),
                ("scale", "ten_point"),
                ("component", "federal"),
            ],
        )
        .await;
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Выберите систему оценивания.")
    );
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM work_type WHERE name = 'Тест'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn another_schools_catalogue_rows_answer_404_and_teachers_cannot_edit() {
    let app = spawn_app().await;
    let deputy = app.signed_in("deputy").await;
    deputy
        .post(
            "/setup/subjects",
            &[
                ("name", "Физика"),
                ("component", "federal"),
                ("scale", "five_point"),
            ],
        )
        .await;
    deputy.post("/setup/rooms", &[("name", "301")]).await;
    let id = |sql: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let subject = id("SELECT id FROM subject WHERE name = 'Физика'").await;
    let room = id("SELECT id FROM room WHERE name = '301'").await;
    let work_type = id("SELECT w.id FROM work_type w JOIN school s ON s.id = w.school_id WHERE s.slug = 'demo-1' LIMIT 1").await;
    let admin2 = app.signed_in("admin2").await;
    for path in [
        format!("/setup/subjects/{subject}/delete"),
        format!("/setup/rooms/{room}/delete"),
        format!("/setup/work-types/{work_type}/delete"),
    ] {
        assert_eq!(
            admin2.post(&path, &[]).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let teacher = app.signed_in("teacher").await;
    assert_eq!(
        teacher.get("/setup/catalogues").await.status(),
        StatusCode::FORBIDDEN
    );
    let response = teacher
        .post(&format!("/setup/subjects/{subject}/delete"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = deputy
        .post(&format!("/setup/subjects/{subject}/delete"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Удалено.") && !html.contains("<td>Физика</td>"));
}

#[tokio::test]
async fn j4_j5_a_school_sets_its_own_weights_and_checking_periods_and_grade_scales() {
    let app = spawn_app().await;
    let deputy = app.signed_in("deputy").await;
    let essay: i64 = sqlx::query_scalar("SELECT w.id FROM work_type w JOIN school s ON s.id = w.school_id WHERE s.slug = 'demo-1' AND w.name = 'Сочинение'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let html = deputy
        .post(
            &format!("/setup/work-types/{essay}"),
            &[("weight", "2,5"), ("checking_days", "10")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Вид работы изменён.") && html.contains("2,5") && html.contains("10 дн.")
    );
    let bad = deputy
        .post(
            &format!("/setup/work-types/{essay}"),
            &[("weight", "0"), ("checking_days", "99")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        bad.contains("Вес — число от 0,1 до 10")
            && bad.contains("Срок проверки — от 0 до 30 дней.")
    );
    let (weight, days): (String, i16) =
        sqlx::query_as("SELECT weight::text, checking_days FROM work_type WHERE id = $1")
            .bind(essay)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (weight.as_str(), days),
        ("2.5", 10),
        "the refused change left it as it was"
    );

    deputy
        .post(
            "/setup/subjects",
            &[
                ("name", "Основы религиозных культур и светской этики"),
                ("short_name", "ОРКСЭ"),
                ("component", "federal"),
                ("scale", "five_point"),
            ],
        )
        .await;
    let orkse: i64 = sqlx::query_scalar("SELECT id FROM subject WHERE short_name = 'ОРКСЭ'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let html = deputy
        .post(
            &format!("/setup/subjects/{orkse}/scale"),
            &[("grade", "4"), ("scale", "pass_fail")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("в 4 кл. — зачёт/незачёт"), "{html}");
    let first = deputy
        .post(
            &format!("/setup/subjects/{orkse}/scale"),
            &[("grade", "1"), ("scale", "five_point")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(first.contains("в 1 классе отметок нет"));
    let admin2 = app.signed_in("admin2").await;
    assert_eq!(
        admin2
            .post(
                &format!("/setup/work-types/{essay}"),
                &[("weight", "1"), ("checking_days", "1")]
            )
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin2
            .post(
                &format!("/setup/subjects/{orkse}/scale"),
                &[("grade", "4"), ("scale", "no_marks")]
            )
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}
