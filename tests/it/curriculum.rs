//! Curriculum, groups and load (regulations §2): a subject in a class's curriculum gets its
//! whole-class group; a class splits into subgroups; load is compared with the curriculum;
//! group membership is dated.

use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app};

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

async fn class_5b(app: &TestApp) -> i64 {
    scalar(app, "SELECT c.id FROM school_class c JOIN school s ON s.id = c.school_id WHERE s.slug = 'demo-1' AND c.grade = 5 AND c.letter = 'Б'").await
}

async fn subject(app: &TestApp, deputy: &crate::helpers::Client, name: &str) -> i64 {
    deputy
        .post(
            "/setup/subjects",
            &[
                ("name", name),
                ("component", "federal"),
                ("scale", "five_point"),
            ],
        )
        .await;
    sqlx::query_scalar("SELECT id FROM subject WHERE name = $1")
        .bind(name)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn section_2_curriculum_load_and_subgroups_of_a_class_agree_or_the_page_says_where_not() {
    let app = spawn_app().await;
    let deputy = app.signed_in("deputy").await;
    let class = class_5b(&app).await;
    let english = subject(&app, &deputy, "Английский язык").await;
    let path = format!("/classes/{class}/curriculum");

    let bad = deputy
        .post(
            &path,
            &[("subject", &english.to_string()), ("hours", "ноль")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("Часов в неделю: от 0,1 до 20")
    );

    let html = deputy
        .post(&path, &[("subject", &english.to_string()), ("hours", "3")])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Предмет добавлен в учебный план."));
    assert!(html.contains("Английский язык, 5Б: не назначен учитель."));
    let again = deputy
        .post(&path, &[("subject", &english.to_string()), ("hours", "3")])
        .await;
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Этот предмет уже есть в учебном плане класса.")
    );

    let html = deputy
        .post(
            &format!("/classes/{class}/split"),
            &[("subject", &english.to_string()), ("count", "2")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Класс разделён на подгруппы."));
    assert!(
        html.contains("5Б, 1 группа: не назначен учитель.")
            && html.contains("5Б, 2 группа: не назначен учитель.")
    );

    let teacher = app.account_id("teacher").await.to_string();
    let groups: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM study_group WHERE class_id = $1 AND kind = 'subgroup' ORDER BY name",
    )
    .bind(class)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    deputy
        .post(
            &format!("/groups/{}/teacher", groups[0]),
            &[("teacher", &teacher), ("hours", "3")],
        )
        .await;
    let html = deputy
        .post(
            &format!(
                "/groups/{}/teacher?back=/classes/{class}/curriculum",
                groups[1]
            ),
            &[("teacher", &teacher), ("hours", "2")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Английский язык, 5Б, 2 группа: по нагрузке 2 ч, по учебному плану 3 ч."),
        "{html}"
    );
    let html = deputy
        .post(
            &format!(
                "/groups/{}/teacher?back=/classes/{class}/curriculum",
                groups[1]
            ),
            &[("teacher", &teacher), ("hours", "3")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Нагрузка совпадает с учебным планом."));
}

#[tokio::test]
async fn subgroup_membership_is_dated_and_kept_to_the_class() {
    let app = spawn_app().await;
    let deputy = app.signed_in("deputy").await;
    let class = class_5b(&app).await;
    let english = subject(&app, &deputy, "Английский язык").await;
    deputy
        .post(
            &format!("/classes/{class}/curriculum"),
            &[("subject", &english.to_string()), ("hours", "3")],
        )
        .await;
    deputy
        .post(
            &format!("/classes/{class}/split"),
            &[("subject", &english.to_string()), ("count", "2")],
        )
        .await;
    let group = scalar(
        &app,
        "SELECT id FROM study_group WHERE kind = 'subgroup' ORDER BY name LIMIT 1",
    )
    .await;
    let pupils: Vec<i64> = sqlx::query_scalar(
        "SELECT pupil_id FROM class_enrollment WHERE class_id = $1 ORDER BY pupil_id",
    )
    .bind(class)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let first: Vec<(&str, String)> = pupils[..6]
        .iter()
        .map(|p| ("pupil", p.to_string()))
        .chain([("on", "01.09.2026".to_string())])
        .collect();
    let form: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let html = deputy
        .post(&format!("/groups/{group}/members"), &form)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Состав группы сохранён."));
    // From December one pupil moves to the other subgroup: history stays.
    let second: Vec<(&str, String)> = pupils[1..6]
        .iter()
        .map(|p| ("pupil", p.to_string()))
        .chain([("on", "01.12.2026".to_string())])
        .collect();
    let form: Vec<(&str, &str)> = second.iter().map(|(k, v)| (*k, v.as_str())).collect();
    deputy
        .post(&format!("/groups/{group}/members"), &form)
        .await;
    let ends: String = sqlx::query_scalar(
        "SELECT ends_on::text FROM group_member WHERE group_id = $1 AND pupil_id = $2",
    )
    .bind(group)
    .bind(pupils[0])
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(ends, "2026-11-30");
    let (_, october) = deputy.text(&format!("/groups/{group}?on=15.10.2026")).await;
    assert_eq!(october.matches(" checked").count(), 6);
    let (_, december) = deputy.text(&format!("/groups/{group}?on=15.12.2026")).await;
    assert_eq!(december.matches(" checked").count(), 5);

    // A pupil of another class cannot join a subgroup of 5Б.
    let stranger = scalar(&app, "SELECT e.pupil_id FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.grade = 9 LIMIT 1").await;
    let response = deputy
        .post(
            &format!("/groups/{group}/members"),
            &[("pupil", &stranger.to_string()), ("on", "01.12.2026")],
        )
        .await;
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("для подгруппы — этого класса")
    );
}

#[tokio::test]
async fn the_class_teacher_may_set_a_subgroup_of_their_class_but_not_the_curriculum() {
    let app = spawn_app().await;
    let deputy = app.signed_in("deputy").await;
    let class = class_5b(&app).await;
    let tech = subject(&app, &deputy, "Технология").await;
    deputy
        .post(
            &format!("/classes/{class}/curriculum"),
            &[("subject", &tech.to_string()), ("hours", "2")],
        )
        .await;
    deputy
        .post(
            &format!("/classes/{class}/split"),
            &[("subject", &tech.to_string()), ("count", "2")],
        )
        .await;
    let group = scalar(
        &app,
        "SELECT id FROM study_group WHERE kind = 'subgroup' ORDER BY name LIMIT 1",
    )
    .await;
    let pupil = scalar(
        &app,
        &format!("SELECT pupil_id FROM class_enrollment WHERE class_id = {class} LIMIT 1"),
    )
    .await;
    let class_teacher = app.signed_in("classteacher").await;
    let html = class_teacher
        .post(
            &format!("/groups/{group}/members"),
            &[("pupil", &pupil.to_string()), ("on", "01.09.2026")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Состав группы сохранён."));
    let response = class_teacher
        .post(
            &format!("/classes/{class}/curriculum"),
            &[("subject", &tech.to_string()), ("hours", "1")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let teacher2 = app.signed_in("teacher").await;
    let response = teacher2
        .post(
            &format!("/groups/{group}/members"),
            &[("pupil", &pupil.to_string()), ("on", "01.09.2026")],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "not this group's teacher"
    );
}

#[tokio::test]
async fn electives_and_streams_gather_pupils_from_several_classes() {
    let app = spawn_app().await;
    let deputy = app.signed_in("deputy").await;
    let year = scalar(&app, "SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id WHERE s.slug = 'demo-1'").await;
    let maths = subject(&app, &deputy, "Математика").await;
    let bad = deputy
        .post(
            &format!("/groups?year={year}"),
            &[
                ("subject", &maths.to_string()),
                ("kind", "whole_class"),
                ("name", ""),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains("Выберите: поток, элективный курс")
            && html.contains("Название: от 1 до 120 символов.")
    );
    let response = deputy
        .post(
            &format!("/groups?year={year}"),
            &[
                ("subject", &maths.to_string()),
                ("kind", "elective"),
                ("name", "Решение олимпиадных задач"),
            ],
        )
        .await;
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Группа создана") && html.contains("9А") && html.contains("11А"),
        "candidates from every class"
    );
}

#[tokio::test]
async fn another_schools_groups_and_curriculum_answer_404() {
    let app = spawn_app().await;
    let deputy = app.signed_in("deputy").await;
    let class = class_5b(&app).await;
    let english = subject(&app, &deputy, "Английский язык").await;
    deputy
        .post(
            &format!("/classes/{class}/curriculum"),
            &[("subject", &english.to_string()), ("hours", "3")],
        )
        .await;
    let group = scalar(&app, "SELECT id FROM study_group LIMIT 1").await;
    let year = scalar(&app, "SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id WHERE s.slug = 'demo-1'").await;
    let admin2 = app.signed_in("admin2").await;
    for path in [
        format!("/classes/{class}/curriculum"),
        format!("/groups/{group}"),
        format!("/groups?year={year}"),
    ] {
        assert_eq!(
            admin2.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let posts = [
        (
            format!("/classes/{class}/curriculum"),
            vec![("subject", english.to_string()), ("hours", "1".to_string())],
        ),
        (
            format!("/classes/{class}/split"),
            vec![("subject", english.to_string()), ("count", "2".to_string())],
        ),
        (
            format!("/groups/{group}/teacher"),
            vec![("teacher", "1".to_string()), ("hours", "1".to_string())],
        ),
        (
            format!("/groups/{group}/members"),
            vec![("on", "01.09.2026".to_string())],
        ),
        (
            format!("/groups?year={year}"),
            vec![("kind", "elective".to_string()), ("name", "х".to_string())],
        ),
    ];
    for (path, form) in &posts {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            admin2.post(path, &form).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}
