//! The end of a school year (regulations §2, 003): the next year opened with the calendar and
//! bells carried over, pupils promoted by the director's order (repeaters and graduates too),
//! and the year closed.

use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app};

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[tokio::test]
async fn section_2_the_next_year_opens_and_pupils_move_up_by_the_order_with_repeaters_and_graduates()
 {
    let app = spawn_app().await;
    let year = scalar(&app, "SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id WHERE s.slug = 'demo-1'").await;
    let admin = app.signed_in("admin").await;
    let page = format!("/setup/years/{year}/year-end");
    let html = admin
        .post(
            &format!("/setup/years/{year}/promote"),
            &[("order_ref", "№ 1")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Сначала откройте следующий учебный год."));

    let html = admin
        .post(&format!("/setup/years/{year}/next"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Следующий учебный год открыт.") && html.contains("2027/2028"));
    let next = scalar(
        &app,
        "SELECT id FROM academic_year WHERE name = '2027/2028'",
    )
    .await;
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT count(*) FROM bell WHERE academic_year_id = {next}")
        )
        .await,
        7
    );
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT count(*) FROM period_scheme WHERE academic_year_id = {next}")
        )
        .await,
        2
    );

    let ivan = scalar(&app, "SELECT id FROM pupil WHERE last_name = 'Морозов' AND first_name = 'Иван' AND school_id = (SELECT id FROM school WHERE slug = 'demo-1')").await;
    let ninth = scalar(&app, "SELECT e.pupil_id FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.grade = 9 ORDER BY e.pupil_id LIMIT 1").await;
    let (_, form) = admin.text(&page).await;
    assert!(form.contains(&format!(r#"name="p{ninth}""#)));
    let no_order = admin
        .post(&format!("/setup/years/{year}/promote"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(no_order.contains("Укажите приказ"));

    let repeat = format!("p{ivan}");
    let stays = format!("p{ninth}");
    let html = admin
        .post(
            &format!("/setup/years/{year}/promote"),
            &[
                ("order_ref", "№ 112 от 28.05.2027"),
                (&repeat, "repeat"),
                (&stays, "promote"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    let graduates = scalar(&app, &format!("SELECT count(*) FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.academic_year_id = {year} AND c.grade IN (9, 11)")).await - 1;
    assert!(html.contains(&format!("выпущены — {graduates}.")), "{html}");
    assert!(html.contains("оставлены на повторное обучение — 1"));

    let class_of = |pupil: i64| {
        format!(
            "SELECT (c.grade * 10 + (CASE c.letter WHEN 'А' THEN 1 WHEN 'Б' THEN 2 ELSE 3 END))::bigint FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE e.pupil_id = {pupil} AND e.ends_on IS NULL"
        )
    };
    assert_eq!(scalar(&app, &class_of(ivan)).await, 52, "Иван repeats 5Б");
    assert_eq!(scalar(&app, &class_of(ninth)).await, 101, "goes on to 10А");
    let sixth = scalar(&app, &format!("SELECT count(*) FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.academic_year_id = {next} AND c.grade = 6 AND c.letter = 'А' AND e.ends_on IS NULL")).await;
    assert_eq!(sixth, scalar(&app, &format!("SELECT count(*) FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.academic_year_id = {year} AND c.grade = 5 AND c.letter = 'А'")).await);
    let eleventh_left = scalar(&app, "SELECT count(*) FROM pupil_movement WHERE kind = 'withdrawal' AND reason = 'выпуск' AND order_ref = '№ 112 от 28.05.2027'").await;
    assert_eq!(eleventh_left, graduates);
    let audited = scalar(&app, "SELECT count(*) FROM audit_event WHERE action IN ('pupil.promoted', 'pupil.graduated') AND reason = '№ 112 от 28.05.2027'").await;
    let pupils = scalar(&app, &format!("SELECT count(*) FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.academic_year_id = {year}")).await;
    assert_eq!(audited, pupils);
    // The history of a pupil keeps both years.
    let (_, card) = admin.text(&format!("/pupils/{ivan}")).await;
    assert!(
        card.contains("перевод в следующий класс")
            && card.contains("оставлен на повторное обучение")
    );

    let html = admin
        .post(&format!("/setup/years/{year}/close"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Учебный год закрыт."));
    let again = admin
        .post(&format!("/setup/years/{year}/close"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(again.contains("уже закрыт"));
    // A closed year takes no more changes: no new class, no new pupil.
    let response = admin
        .post(&format!("/classes?year={year}"), &[("name", "7Д")])
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Учебный год 2026/2027 закрыт")
    );
    let class_5a = scalar(&app, &format!("SELECT id FROM school_class WHERE academic_year_id = {year} AND grade = 5 AND letter = 'А'")).await;
    let pupil = [
        ("last_name", "Новый"),
        ("first_name", "Ученик"),
        ("birth_date", "01.01.2015"),
        ("sex", "m"),
        ("since", "01.05.2027"),
    ];
    let response = admin
        .post(&format!("/classes/{class_5a}/pupils"), &pupil)
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn only_the_administrator_and_the_director_end_a_year_and_only_their_own() {
    let app = spawn_app().await;
    let year = scalar(&app, "SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id WHERE s.slug = 'demo-1'").await;
    let deputy = app.signed_in("deputy").await;
    assert_eq!(
        deputy
            .get(&format!("/setup/years/{year}/year-end"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let director = app.signed_in("director").await;
    assert_eq!(
        director
            .get(&format!("/setup/years/{year}/year-end"))
            .await
            .status(),
        StatusCode::OK
    );
    let director2 = app.signed_in("director2").await;
    assert_eq!(
        director2
            .get(&format!("/setup/years/{year}/year-end"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    for path in ["close", "next", "promote"] {
        let response = director2
            .post(
                &format!("/setup/years/{year}/{path}"),
                &[("order_ref", "№ 1")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM academic_year WHERE closed_at IS NOT NULL"
        )
        .await,
        0
    );
}
