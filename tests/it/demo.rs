//! The demo school year (issue: setting up the school year, §13): a realistic school whose
//! readiness check is clean.

use std::time::Instant;

use crate::helpers::{TestApp, spawn_app};

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[tokio::test]
async fn the_demo_school_year_is_realistic_and_its_readiness_check_is_clean() {
    let app = spawn_app().await;
    let started = Instant::now();
    assert!(
        zhurnal::demo::fill_school_year(&app.pool, app.clock.as_ref())
            .await
            .unwrap()
    );
    eprintln!("demo school year filled in {:?}", started.elapsed());
    assert!(
        !zhurnal::demo::fill_school_year(&app.pool, app.clock.as_ref())
            .await
            .unwrap(),
        "only once"
    );
    let school = "(SELECT id FROM school WHERE slug = 'demo-1')";
    let classes = scalar(
        &app,
        &format!("SELECT count(*) FROM school_class WHERE school_id = {school}"),
    )
    .await;
    let pupils = scalar(
        &app,
        &format!(
            "SELECT count(*) FROM class_enrollment WHERE school_id = {school} AND ends_on IS NULL"
        ),
    )
    .await;
    let staff = scalar(&app, &format!("SELECT count(DISTINCT account_id) FROM membership WHERE school_id = {school} AND role IN ('teacher', 'class_teacher', 'deputy', 'director', 'administrator')")).await;
    let lessons = scalar(
        &app,
        &format!("SELECT count(*) FROM lesson WHERE school_id = {school}"),
    )
    .await;
    assert_eq!(classes, 29);
    assert!((550..=700).contains(&pupils), "{pupils} pupils");
    assert!((40..=70).contains(&staff), "{staff} staff");
    assert!(lessons > 25_000, "{lessons} lessons");
    let subgroups = scalar(
        &app,
        &format!(
            "SELECT count(*) FROM study_group WHERE school_id = {school} AND kind = 'subgroup'"
        ),
    )
    .await;
    assert!(subgroups > 40);

    let deputy = app.signed_in("deputy").await;
    let (_, html) = deputy.text("/setup/readiness").await;
    assert!(
        html.contains("Всё готово: замечаний нет."),
        "{}",
        &html[html.find("<main").unwrap_or(0)..]
    );
    // The demo teacher has classes to teach.
    let teacher = app.account_id("teacher").await;
    let taught = scalar(
        &app,
        &format!("SELECT count(*) FROM lesson WHERE teacher_id = {teacher}"),
    )
    .await;
    assert!(taught > 300, "{taught}");
}

#[tokio::test]
async fn the_demo_timetable_never_puts_a_teacher_in_two_places_at_once() {
    let app = spawn_app().await;
    zhurnal::demo::fill_school_year(&app.pool, app.clock.as_ref())
        .await
        .unwrap();
    let clashes = scalar(
        &app,
        "SELECT count(*) FROM (SELECT teacher_id, lesson_date, lesson_number FROM lesson
                               GROUP BY 1, 2, 3 HAVING count(*) > 1) x",
    )
    .await;
    assert_eq!(clashes, 0);
}

#[tokio::test]
async fn every_demo_login_still_lands_on_its_start_page_after_the_year_is_filled() {
    let app = spawn_app().await;
    zhurnal::demo::fill_school_year(&app.pool, app.clock.as_ref())
        .await
        .unwrap();
    for (login, path) in [
        ("teacher", "/teacher"),
        ("classteacher", "/class-teacher"),
        ("deputy", "/deputy"),
        ("parent", "/parent"),
    ] {
        let client = app.client();
        let response = client.login(login, "demo").await;
        assert_eq!(crate::helpers::path_of(&response), path, "{login}");
    }
}
