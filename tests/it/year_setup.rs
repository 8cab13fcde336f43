//! Setting up a year's calendar (regulations §2: study periods for every level with their kinds
//! and bounds, holidays with kinds and bounds, the working regime and bells).

use reqwest::StatusCode;

use crate::helpers::{TestApp, path_of, spawn_app};

async fn count(app: &TestApp, sql: &str, year: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(year)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn year_id(app: &TestApp, slug: &str, name: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id
         WHERE s.slug = $1 AND y.name = $2",
    )
    .bind(slug)
    .bind(name)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn section_2_a_deputy_adds_a_year_with_the_usual_calendar_and_it_is_consistent() {
    let app = spawn_app().await;
    let deputy = app.signed_in("deputy").await;
    let response = deputy
        .post(
            "/setup/years",
            &[
                ("start_year", "2027"),
                ("week_days", "6"),
                ("defaults", "on"),
            ],
        )
        .await;
    assert!(path_of(&response).starts_with("/setup/years/"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Учебный год 2027/2028"));
    assert!(html.contains("Календарь года согласован"), "{html}");
    assert!(html.contains("1 четверть: 01.09.2027–24.10.2027"));
    assert!(html.contains("Параллели 10–11: полугодия"));
    let year = year_id(&app, "demo-1", "2027/2028").await;
    let periods = "SELECT count(*) FROM study_period p JOIN period_scheme s ON s.school_id = p.school_id AND s.id = p.scheme_id WHERE s.academic_year_id = $1";
    assert_eq!(count(&app, periods, year).await, 6);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM holiday WHERE academic_year_id = $1",
            year
        )
        .await,
        5
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM bell WHERE academic_year_id = $1",
            year
        )
        .await,
        7
    );
    let week: i16 = sqlx::query_scalar("SELECT week_days FROM academic_year WHERE id = $1")
        .bind(year)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(week, 6);
    let audited = "SELECT count(*) FROM audit_event e JOIN account a ON a.id = e.actor_account_id
                   WHERE a.login = 'deputy' AND e.action IN ('academic_year.created', 'period_scheme.created', 'holiday.created', 'bells.set') AND $1 > 0";
    assert_eq!(count(&app, audited, year).await, 1 + 2 + 5 + 1);

    let again = deputy.post("/setup/years", &[("start_year", "2027")]).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Учебный год 2027/2028 уже есть.")
    );
}

#[tokio::test]
async fn section_2_an_empty_year_lists_what_is_missing_and_periods_for_every_level_fix_it() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let html = admin
        .post("/setup/years", &[("start_year", "2028")])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Нет учебных периодов для параллелей: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11.")
    );
    assert!(html.contains("Не заданы звонки первой смены."));
    let year = year_id(&app, "demo-1", "2028/2029").await;
    let path = format!("/setup/years/{year}/schemes");
    let halves = [
        ("kind", "half_year"),
        ("grade_from", "1"),
        ("grade_to", "11"),
        ("p1_from", "2028-09-01"),
        ("p1_to", "27.12.2028"),
        ("p2_from", "2029-01-11"),
        ("p2_to", "2029-05-25"),
    ];
    let html = admin.post(&path, &halves).await.text().await.unwrap();
    assert!(html.contains("Учебные периоды добавлены."));
    assert!(!html.contains("Нет учебных периодов"));
    // The winter gap has no holidays yet: the page says so.
    assert!(
        html.contains("между периодами есть учебные дни 28.12.2028–10.01.2029"),
        "{html}"
    );
}

#[tokio::test]
async fn section_2_overlapping_or_incomplete_periods_are_refused_and_the_form_is_kept() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    admin.post("/setup/years", &[("start_year", "2028")]).await;
    let year = year_id(&app, "demo-1", "2028/2029").await;
    let path = format!("/setup/years/{year}/schemes");
    let overlapping = [
        ("kind", "half_year"),
        ("grade_from", "10"),
        ("grade_to", "11"),
        ("p1_from", "01.09.2028"),
        ("p1_to", "30.12.2028"),
        ("p2_from", "20.12.2028"),
        ("p2_to", "25.05.2029"),
    ];
    let response = admin.post(&path, &overlapping).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("2 полугодие начинается раньше, чем кончается 1 полугодие."));
    assert!(
        html.contains(r#"value="20.12.2028""#),
        "what was typed stays"
    );
    let three_quarters = [
        ("kind", "quarter"),
        ("grade_from", "1"),
        ("grade_to", "4"),
        ("p1_from", "01.09.2028"),
        ("p1_to", "25.10.2028"),
        ("p2_from", "05.11.2028"),
        ("p2_to", "28.12.2028"),
        ("p3_from", "11.01.2029"),
        ("p3_to", "22.03.2029"),
    ];
    let html = admin
        .post(&path, &three_quarters)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Нужно 4 периода(ов): четверти."));
    let outside = [
        ("kind", "half_year"),
        ("grade_from", "5"),
        ("grade_to", "9"),
        ("p1_from", "25.08.2028"),
        ("p1_to", "27.12.2028"),
        ("p2_from", "11.01.2029"),
        ("p2_to", "25.05.2029"),
    ];
    let html = admin.post(&path, &outside).await.text().await.unwrap();
    assert!(html.contains("выходит за границы учебного года"));
    let schemes = "SELECT count(*) FROM period_scheme WHERE academic_year_id = $1";
    assert_eq!(count(&app, schemes, year).await, 0, "nothing half-written");
}

#[tokio::test]
async fn section_2_two_schemes_cannot_claim_the_same_grade() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let year = year_id(&app, "demo-1", "2026/2027").await;
    let trimesters = [
        ("kind", "trimester"),
        ("grade_from", "9"),
        ("grade_to", "10"),
        ("p1_from", "01.09.2026"),
        ("p1_to", "30.11.2026"),
        ("p2_from", "01.12.2026"),
        ("p2_to", "28.02.2027"),
        ("p3_from", "01.03.2027"),
        ("p3_to", "26.05.2027"),
    ];
    let response = admin
        .post(&format!("/setup/years/{year}/schemes"), &trimesters)
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Для параллелей 1–9 периоды уже заданы.")
    );
}

#[tokio::test]
async fn section_2_holidays_must_lie_inside_the_year_and_removing_one_opens_a_gap() {
    let app = spawn_app().await;
    let deputy = app.signed_in("deputy").await;
    let year = year_id(&app, "demo-1", "2026/2027").await;
    let path = format!("/setup/years/{year}/holidays");
    let outside = [
        ("kind", "extra"),
        ("name", "Лишние"),
        ("starts_on", "2027-09-02"),
        ("ends_on", "2027-09-05"),
        ("grade_from", "1"),
        ("grade_to", "1"),
    ];
    let response = deputy.post(&path, &outside).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Укажите даты каникул внутри учебного года"));
    assert!(html.contains(r#"value="Лишние""#));
    let reversed = [
        ("kind", "extra"),
        ("name", "Наоборот"),
        ("starts_on", "05.02.2027"),
        ("ends_on", "01.02.2027"),
        ("grade_from", "1"),
        ("grade_to", "11"),
    ];
    assert!(
        deputy
            .post(&path, &reversed)
            .await
            .text()
            .await
            .unwrap()
            .contains("Укажите дату окончания не раньше даты начала.")
    );

    let autumn: i64 = sqlx::query_scalar(
        "SELECT id FROM holiday WHERE academic_year_id = $1 AND kind = 'autumn'",
    )
    .bind(year)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let html = deputy
        .post(
            &format!("/setup/years/{year}/holidays/{autumn}/delete"),
            &[],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Каникулы удалены."));
    assert!(
        html.contains("Параллели 1–9: между периодами есть учебные дни 26.10.2026–04.11.2026"),
        "{html}"
    );
}

#[tokio::test]
async fn section_2_bells_that_overlap_are_refused_and_good_ones_replace_the_shift() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let year = year_id(&app, "demo-1", "2026/2027").await;
    let path = format!("/setup/years/{year}/bells");
    let bad = [
        ("shift", "2"),
        ("s1", "13:00"),
        ("e1", "13:45"),
        ("s2", "13:40"),
        ("e2", "14:25"),
    ];
    let response = admin.post(&path, &bad).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Урок 2 начинается раньше, чем кончается урок 1.")
    );
    let good = [
        ("shift", "2"),
        ("s1", "13.00"),
        ("e1", "13:45"),
        ("s2", "13:55"),
        ("e2", "14:40"),
    ];
    let html = admin.post(&path, &good).await.text().await.unwrap();
    assert!(html.contains("Звонки сохранены."));
    assert!(html.contains(r#"name="s2" value="13:55""#));
    let second: i64 =
        sqlx::query_scalar("SELECT count(*) FROM bell WHERE academic_year_id = $1 AND shift = 2")
            .bind(year)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(second, 2);
}

#[tokio::test]
async fn the_director_sees_the_calendar_but_cannot_change_it_and_teachers_cannot_see_it() {
    let app = spawn_app().await;
    let year = year_id(&app, "demo-1", "2026/2027").await;
    let director = app.signed_in("director").await;
    let (status, html) = director.text(&format!("/setup/years/{year}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("1 четверть") && !html.contains("Добавить каникулы"));
    let response = director
        .post(&format!("/setup/years/{year}/bells"), &[("shift", "1")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let teacher = app.signed_in("teacher").await;
    assert_eq!(
        teacher.get("/setup/years").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_closed_year_cannot_be_changed() {
    let app = spawn_app().await;
    let year = year_id(&app, "demo-1", "2026/2027").await;
    sqlx::query("UPDATE academic_year SET closed_at = now() WHERE id = $1")
        .bind(year)
        .execute(&app.pool)
        .await
        .unwrap();
    let admin = app.signed_in("admin").await;
    let html = admin
        .post(
            &format!("/setup/years/{year}/bells"),
            &[("shift", "1"), ("s1", "09:00"), ("e1", "09:45")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Учебный год 2026/2027 закрыт"));
    let first: i64 =
        sqlx::query_scalar("SELECT count(*) FROM bell WHERE academic_year_id = $1 AND shift = 1")
            .bind(year)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(first, 7, "the bells stay as they were");
}

#[tokio::test]
async fn another_schools_year_answers_404_on_every_calendar_route() {
    let app = spawn_app().await;
    let year = year_id(&app, "demo-1", "2026/2027").await;
    let (scheme, holiday): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT id FROM period_scheme WHERE academic_year_id = $1 LIMIT 1),
                (SELECT id FROM holiday WHERE academic_year_id = $1 LIMIT 1)",
    )
    .bind(year)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let director2 = app.signed_in("director2").await;
    assert_eq!(
        director2
            .get(&format!("/setup/years/{year}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let admin2 = app.signed_in("admin2").await;
    let posts: [(String, Vec<(&str, &str)>); 5] = [
        (
            format!("/setup/years/{year}/schemes"),
            vec![("kind", "quarter")],
        ),
        (
            format!("/setup/years/{year}/schemes/{scheme}/delete"),
            vec![],
        ),
        (
            format!("/setup/years/{year}/holidays"),
            vec![("kind", "extra")],
        ),
        (
            format!("/setup/years/{year}/holidays/{holiday}/delete"),
            vec![],
        ),
        (
            format!("/setup/years/{year}/bells"),
            vec![("shift", "1"), ("s1", "09:00"), ("e1", "09:45")],
        ),
    ];
    for (path, form) in &posts {
        assert_eq!(
            admin2.post(path, form).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM holiday WHERE academic_year_id = $1",
            year
        )
        .await,
        5
    );
}

#[tokio::test]
async fn issue_15_the_years_setup_pages_opened_without_a_year_show_the_current_year_with_the_menu()
{
    let app = spawn_app().await;
    let year = year_id(&app, "demo-1", "2026/2027").await;
    let admin = app.signed_in("admin").await;
    // A next year opened already: the pages still open on the year containing today.
    admin.post(&format!("/setup/years/{year}/next"), &[]).await;
    let deputy = app.signed_in("deputy").await;
    for (who, path, title) in [
        (&deputy, "/groups", "Потоки, элективы, ИУП"),
        (&deputy, "/setup/control-works", "График контрольных работ"),
        (&admin, "/setup/imports", "Загрузка списков"),
    ] {
        let (status, html) = who.text(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains(title), "{path}: {html}");
        assert!(html.contains("Классы"), "{path}: the menu is there");
        assert!(html.contains(&format!("year={year}")), "{path}: {html}");
    }
    // A year asked for by name is still 404 when it is another school's.
    let other: i64 = sqlx::query_scalar(
        "SELECT coalesce((SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id
                          WHERE s.slug = 'demo-2' LIMIT 1), 9223372036854775807)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        deputy.get(&format!("/groups?year={other}")).await.status(),
        StatusCode::NOT_FOUND
    );
}
