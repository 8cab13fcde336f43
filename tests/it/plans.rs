//! КТП (regulations §2, J8: topics follow the plan, made before the year, hours match the
//! curriculum) and the control-work schedule (ВШК).

use chrono::{TimeZone, Utc};
use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app};

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

/// 5Б has mathematics on Mondays, taught by `teacher`; returns the group.
pub(crate) async fn maths_on_mondays(app: &TestApp) -> i64 {
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 8, 25, 9, 0, 0).unwrap());
    let deputy = app.signed_in("deputy").await;
    let class = scalar(app, "SELECT c.id FROM school_class c JOIN school s ON s.id = c.school_id WHERE s.slug = 'demo-1' AND c.grade = 5 AND c.letter = 'Б'").await;
    deputy
        .post(
            "/setup/subjects",
            &[
                ("name", "Математика"),
                ("component", "federal"),
                ("scale", "five_point"),
            ],
        )
        .await;
    let subject = scalar(app, "SELECT id FROM subject WHERE name = 'Математика'")
        .await
        .to_string();
    deputy
        .post(
            &format!("/classes/{class}/curriculum"),
            &[("subject", &subject), ("hours", "1")],
        )
        .await;
    let group = scalar(
        app,
        &format!("SELECT id FROM study_group WHERE class_id = {class}"),
    )
    .await;
    let teacher = app.account_id("teacher").await.to_string();
    deputy
        .post(
            &format!("/groups/{group}/teacher"),
            &[("teacher", &teacher), ("hours", "1")],
        )
        .await;
    deputy
        .post(
            &format!("/classes/{class}/timetable"),
            &[
                ("group", &group.to_string()),
                ("weekday", "1"),
                ("lesson_number", "1"),
            ],
        )
        .await;
    group
}

#[tokio::test]
async fn j8_the_groups_teacher_writes_the_plan_and_its_topics_are_laid_onto_lessons_in_order() {
    let app = spawn_app().await;
    let group = maths_on_mondays(&app).await;
    let lessons = scalar(
        &app,
        &format!("SELECT count(*) FROM lesson WHERE group_id = {group}"),
    )
    .await;
    let teacher = app.signed_in("teacher").await;
    let empty = teacher
        .post(&format!("/groups/{group}/plan"), &[("topics", "  \n ")])
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text().await.unwrap().contains("Введите темы"));

    let topics = "1. Натуральные числа; 3\n2. Дроби; 2\nКонтрольная работа";
    let html = teacher
        .post(&format!("/groups/{group}/plan"), &[("topics", topics)])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("КТП сохранено: тем — 3"), "{html}");
    assert!(html.contains(&format!(
        "Часы КТП (6) не совпадают с числом уроков по расписанию ({lessons})"
    )));
    let planned: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT planned_topic FROM lesson WHERE group_id = $1 ORDER BY lesson_date LIMIT 7",
    )
    .bind(group)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let expected = [
        "Натуральные числа",
        "Натуральные числа",
        "Натуральные числа",
        "Дроби",
        "Дроби",
        "Контрольная работа",
    ];
    for (i, topic) in expected.iter().enumerate() {
        assert_eq!(planned[i].as_deref(), Some(*topic), "lesson {i}");
    }
    assert_eq!(planned[6], None, "lessons beyond the plan have no topic");

    let other = app.signed_in("classteacher").await;
    let response = other
        .post(
            &format!("/groups/{group}/plan"),
            &[("topics", "Чужая тема")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn section_2_readiness_shows_groups_without_a_plan_and_plans_that_do_not_fit_the_lessons() {
    let app = spawn_app().await;
    let group = maths_on_mondays(&app).await;
    let deputy = app.signed_in("deputy").await;
    let (_, html) = deputy.text("/setup/readiness").await;
    assert!(html.contains("5Б, Математика, 5Б: нет КТП."));
    let lessons = scalar(
        &app,
        &format!("SELECT count(*) FROM lesson WHERE group_id = {group}"),
    )
    .await;
    let plan = format!("Весь курс; {lessons}");
    deputy
        .post(&format!("/groups/{group}/plan"), &[("topics", &plan)])
        .await;
    let (_, html) = deputy.text("/setup/readiness").await;
    assert!(!html.contains("5Б, Математика, 5Б: "), "{html}");
}

#[tokio::test]
async fn the_control_work_schedule_takes_dated_works_of_the_years_groups() {
    let app = spawn_app().await;
    let group = maths_on_mondays(&app).await;
    let year = scalar(&app, "SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id WHERE s.slug = 'demo-1'").await;
    let deputy = app.signed_in("deputy").await;
    let path = format!("/setup/control-works?year={year}");
    let bad = deputy
        .post(
            &path,
            &[
                ("group", &group.to_string()),
                ("date", "15.10.2027"),
                ("form", ""),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains("Дата внутри учебного года 2026/2027") && html.contains("Форма контроля:")
    );
    assert!(html.contains(r#"value="15.10.2027""#));
    let html = deputy
        .post(
            &path,
            &[
                ("group", &group.to_string()),
                ("date", "19.10.2026"),
                ("form", "контрольная работа"),
                ("title", "Натуральные числа"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Контрольная работа добавлена в график.")
            && html.contains("19.10.2026")
            && !html.contains("нет урока в этот день")
    );
    deputy
        .post(
            &path,
            &[
                ("group", &group.to_string()),
                ("date", "20.10.2026"),
                ("form", "ВПР"),
            ],
        )
        .await;
    let (_, html) = deputy.text(&path).await;
    assert!(
        html.contains("нет урока в этот день"),
        "a Tuesday: mathematics is on Mondays"
    );
    let work = scalar(&app, "SELECT id FROM control_work WHERE form = 'ВПР'").await;
    let admin2 = app.signed_in("admin2").await;
    assert_eq!(admin2.get(&path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        admin2
            .post(
                &format!("/setup/control-works/{work}/delete?year={year}"),
                &[]
            )
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin2.get(&format!("/groups/{group}/plan")).await.status(),
        StatusCode::NOT_FOUND
    );
    let html = deputy
        .post(
            &format!("/setup/control-works/{work}/delete?year={year}"),
            &[],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("удалена из графика") && !html.contains("ВПР"));
}

#[tokio::test]
async fn j8_the_plan_comes_from_a_spreadsheet_too() {
    let app = spawn_app().await;
    let group = maths_on_mondays(&app).await;
    let teacher = app.signed_in("teacher").await;
    let token = teacher.csrf().await;
    let csv = "№;Тема урока;Кол-во часов\n1;Натуральные числа;3\n2;Дроби;2\n";
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("ктп.csv"),
    );
    let response = teacher
        .http
        .post(teacher.url(&format!("/groups/{group}/plan/import?csrf={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let html = response.text().await.unwrap();
    assert!(html.contains("КТП загружено: тем — 2"), "{html}");
    let bad = "Тема;Часы\nДроби;много\n";
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bad.as_bytes().to_vec()).file_name("ктп.csv"),
    );
    let response = teacher
        .http
        .post(teacher.url(&format!("/groups/{group}/plan/import?csrf={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Строка 2: часы — целое число, а не «много».")
    );
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT count(*) FROM theme_plan_topic WHERE group_id = {group}")
        )
        .await,
        2,
        "the good plan stays"
    );
}

#[tokio::test]
async fn a_plan_over_500_topics_is_refused_typed_or_uploaded_and_the_plan_stays() {
    let app = spawn_app().await;
    let group = maths_on_mondays(&app).await;
    let teacher = app.signed_in("teacher").await;
    let path = format!("/groups/{group}/plan");
    teacher.post(&path, &[("topics", "Дроби; 2")]).await;
    let topics = |app: &TestApp| {
        let sql = format!("SELECT count(*) FROM theme_plan_topic WHERE group_id = {group}");
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(topics(&app).await, 1);

    let typed: String = (1..=501).map(|i| format!("Тема {i}; 1\n")).collect();
    let response = teacher.post(&path, &[("topics", &typed)]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("В плане 501 тема: не больше 500."), "{html}");
    assert!(html.contains("Тема 501; 1"), "the typed text comes back");
    assert_eq!(topics(&app).await, 1);

    let too_long = format!("{}; 1", "я".repeat(501));
    let html = teacher
        .post(&path, &[("topics", &too_long)])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Тема 1: нужно название до 500 символов"),
        "{html}"
    );

    let token = teacher.csrf().await;
    let csv: String = std::iter::once("Тема;Часы\n".to_string())
        .chain((1..=600).map(|i| format!("Тема {i};1\n")))
        .collect();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("ктп.csv"),
    );
    let response = teacher
        .http
        .post(teacher.url(&format!("/groups/{group}/plan/import?csrf={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("В таблице больше 500 строк: за один раз можно загрузить не больше 500."),
        "{html}"
    );
    assert!(
        html.contains("Дроби; 2"),
        "the form shows the plan as it was"
    );
    assert_eq!(topics(&app).await, 1);
}
