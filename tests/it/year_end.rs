//! The end of a school year (regulations §2, 003): the next year opened with the calendar and
//! bells carried over, pupils promoted by the director's order (repeaters and graduates too) on
//! the order's effective date, not when it is entered, and the year closed.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use zhurnal::school_year::year_end;

use crate::helpers::{TestApp, path_of, spawn_app};

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

/// Stands the application's clock at a moment given in UTC (`2027-08-30T21:30:00Z`).
fn set_clock(app: &TestApp, at: &str) {
    app.clock
        .set(at.parse::<DateTime<Utc>>().expect("an RFC 3339 moment"));
}

/// One round of the worker that applies orders on their date, as the server runs it.
async fn apply_due(app: &TestApp) -> usize {
    zhurnal::db::scope::all_schools(year_end::apply_due(&app.app_pool, app.clock.as_ref()))
        .await
        .expect("a round of the promotion worker")
}

async fn demo_year(app: &TestApp) -> i64 {
    scalar(app, "SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id WHERE s.slug = 'demo-1'").await
}

async fn ivan(app: &TestApp) -> i64 {
    scalar(app, "SELECT id FROM pupil WHERE last_name = 'Морозов' AND first_name = 'Иван' AND school_id = (SELECT id FROM school WHERE slug = 'demo-1')").await
}

/// The class (grade * 10 + letter number) a pupil's open enrolment is in, 0 if none.
async fn class_of(app: &TestApp, pupil: i64) -> i64 {
    scalar(app, &format!(
        "SELECT coalesce((SELECT (c.grade * 10 + (CASE c.letter WHEN 'А' THEN 1 WHEN 'Б' THEN 2 ELSE 3 END))::bigint
                          FROM class_enrollment e JOIN school_class c ON c.id = e.class_id
                          WHERE e.pupil_id = {pupil} AND e.ends_on IS NULL), 0)"
    ))
    .await
}

async fn post_text(
    client: &crate::helpers::Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let response = client.post(path, form).await;
    let status = response.status();
    (status, response.text().await.unwrap())
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
            &[("order_number", "1"), ("order_date", "30.11.2026")],
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

    let ivan = ivan(&app).await;
    let ninth = scalar(&app, "SELECT e.pupil_id FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.grade = 9 ORDER BY e.pupil_id LIMIT 1").await;
    let (_, form) = admin.text(&page).await;
    assert!(form.contains(&format!(r#"name="p{ninth}""#)));
    let no_order = admin
        .post(&format!("/setup/years/{year}/promote"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(no_order.contains("Укажите номер приказа"));

    // The last day of the year: the order takes effect as it is entered.
    set_clock(&app, "2027-08-31T07:00:00Z");
    let repeat = format!("p{ivan}");
    let leaves = format!("p{ninth}");
    let html = admin
        .post(
            &format!("/setup/years/{year}/promote"),
            &[
                ("order_number", "№ 112"),
                ("order_date", "28.05.2027"),
                ("effective_on", ""),
                (&repeat, "repeat"),
                (&leaves, "graduate"),
                ("confirm", "1"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    let graduates = scalar(&app, &format!("SELECT count(*) FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.academic_year_id = {year} AND c.grade = 11")).await + 1;
    assert!(
        html.contains("Перевод по приказу № 112 от 28.05.2027 вступил в силу"),
        "{html}"
    );
    assert!(html.contains(&format!("выпущены — {graduates}.")), "{html}");
    assert!(html.contains("оставлены на повторное обучение — 1"));

    assert_eq!(class_of(&app, ivan).await, 52, "Иван repeats 5Б");
    assert_eq!(
        class_of(&app, ninth).await,
        0,
        "the named 9th-grader leaves"
    );
    let tenth = scalar(&app, &format!("SELECT count(*) FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.academic_year_id = {next} AND c.grade = 10 AND c.letter = 'А' AND e.ends_on IS NULL")).await;
    let ninth_grade = scalar(&app, &format!("SELECT count(*) FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.academic_year_id = {year} AND c.grade = 9")).await;
    assert_eq!(tenth, ninth_grade - 1, "the other 9th-graders go on to 10А");
    let sixth = scalar(&app, &format!("SELECT count(*) FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.academic_year_id = {next} AND c.grade = 6 AND c.letter = 'А' AND e.ends_on IS NULL")).await;
    assert_eq!(sixth, scalar(&app, &format!("SELECT count(*) FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.academic_year_id = {year} AND c.grade = 5 AND c.letter = 'А'")).await);
    let left = scalar(&app, "SELECT count(*) FROM pupil_movement WHERE kind = 'withdrawal' AND reason = 'выпуск' AND order_ref = '№ 112 от 28.05.2027' AND on_date = '2027-08-31'").await;
    assert_eq!(left, graduates);
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
        .post(&format!("/setup/years/{year}/close"), &[("confirm", "1")])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Учебный год закрыт."));
    let again = admin
        .post(&format!("/setup/years/{year}/close"), &[("confirm", "1")])
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
    // Issue 15, item 13: the deputy reads the page the year's setup links to — no forms — and
    // may not act on it.
    let deputy = app.signed_in("deputy").await;
    let (status, page) = deputy.text(&format!("/setup/years/{year}/year-end")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Приказ о переводе вносят директор и администратор"),
        "{page}"
    );
    assert!(!page.contains("/promote\""), "no promotion form: {page}");
    assert!(!page.contains("/close\""), "no closing form");
    assert!(!page.contains("/next\""), "no opening form");
    for path in ["close", "next", "promote"] {
        let response = deputy
            .post(
                &format!("/setup/years/{year}/{path}"),
                &[
                    ("order_number", "1"),
                    ("order_date", "30.11.2026"),
                    ("confirm", "1"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
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
    for path in ["close", "next", "promote", "promotion/1/cancel"] {
        let response = director2
            .post(
                &format!("/setup/years/{year}/{path}"),
                &[("order_number", "1"), ("order_date", "30.11.2026")],
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

/// Moves the demo parent's child (Иван Морозов) into 11А, and opens the next year.
async fn eleventh_grader_with_a_family(
    app: &TestApp,
    admin: &crate::helpers::Client,
) -> (i64, i64) {
    let year = demo_year(app).await;
    let ivan = ivan(app).await;
    sqlx::query(
        "UPDATE class_enrollment SET class_id = (SELECT id FROM school_class WHERE academic_year_id = $1 AND grade = 11 AND letter = 'А')
         WHERE pupil_id = $2 AND ends_on IS NULL",
    )
    .bind(year)
    .bind(ivan)
    .execute(&app.pool)
    .await
    .unwrap();
    let (_, html) = post_text(admin, &format!("/setup/years/{year}/next"), &[]).await;
    assert!(html.contains("Следующий учебный год открыт."));
    (year, ivan)
}

#[tokio::test]
async fn promotion_run_in_november_takes_effect_on_the_orders_date_and_families_keep_the_diary_until_then()
 {
    let app = spawn_app().await;
    set_clock(&app, "2026-11-30T09:00:00Z");
    let admin = app.signed_in("admin").await;
    let (year, ivan) = eleventh_grader_with_a_family(&app, &admin).await;
    let parent = app.signed_in("parent").await;
    let student = app.signed_in("student").await;
    let (status, diary) = parent.text("/diary").await;
    assert_eq!(status, StatusCode::OK);
    assert!(diary.contains("Иван"), "{diary}");

    // The director's order, entered on 30 November: graduation of the 11th on 31 August.
    let (_, page) = admin.text(&format!("/setup/years/{year}/year-end")).await;
    assert!(
        page.contains(r#"value="31.08.2027""#),
        "the year's end by default: {page}"
    );
    let (_, html) = post_text(
        &admin,
        &format!("/setup/years/{year}/promote"),
        &[
            ("order_number", "112"),
            ("order_date", "30.11.2026"),
            ("effective_on", "31.08.2027"),
            ("confirm", "1"),
        ],
    )
    .await;
    assert!(
        html.contains("Приказ № 112 от 30.11.2026 внесён. Перевод вступит в силу 31.08.2027"),
        "{html}"
    );
    assert!(html.contains("Перевод вступит в силу 31.08.2027 по приказу № 112 от 30.11.2026"));
    assert!(
        !html.contains("Внести приказ</button>"),
        "one order waits at a time"
    );

    // Nothing of the year changed: the family reads the diary, the class keeps its pupil.
    let (status, diary) = parent.text("/diary").await;
    assert_eq!(status, StatusCode::OK, "the parent keeps the diary");
    assert!(diary.contains("Иван"));
    assert_eq!(path_of(&student.get("/pupil").await), "/pupil");
    assert_eq!(class_of(&app, ivan).await, 111, "still in 11А");
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM pupil_movement WHERE order_ref LIKE '№ 112%'"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT count(*) FROM membership WHERE pupil_id = {ivan} AND revoked_at IS NOT NULL"
            )
        )
        .await,
        0
    );
    assert_eq!(apply_due(&app).await, 0, "its date has not come");
    let recorded = scalar(&app, "SELECT count(*) FROM audit_event WHERE action = 'promotion_order.recorded' AND reason = '№ 112 от 30.11.2026' AND actor_account_id = (SELECT id FROM account WHERE login = 'admin')").await;
    assert_eq!(recorded, 1);

    // A second order while one waits is refused.
    let (_, again) = post_text(
        &admin,
        &format!("/setup/years/{year}/promote"),
        &[("order_number", "113"), ("order_date", "30.11.2026")],
    )
    .await;
    assert!(
        again.contains("Приказ № 112 от 30.11.2026 уже ждёт вступления в силу 31.08.2027"),
        "{again}"
    );

    // 30 August, 23:30 in Moscow: still the old year.
    set_clock(&app, "2027-08-30T20:30:00Z");
    assert_eq!(apply_due(&app).await, 0);
    assert_eq!(parent.text("/diary").await.0, StatusCode::OK);

    // 31 August, 00:30 in Moscow: the order takes effect.
    set_clock(&app, "2027-08-30T21:30:00Z");
    assert_eq!(apply_due(&app).await, 1);
    assert_eq!(apply_due(&app).await, 0, "applied once");
    assert_eq!(
        path_of(&parent.get("/diary").await),
        "/choose",
        "the family's access has ended"
    );
    assert_eq!(path_of(&student.get("/pupil").await), "/choose");
    assert_eq!(class_of(&app, ivan).await, 0);
    let left = scalar(&app, &format!("SELECT count(*) FROM pupil_movement WHERE pupil_id = {ivan} AND kind = 'withdrawal' AND reason = 'выпуск' AND on_date = '2027-08-31' AND order_ref = '№ 112 от 30.11.2026'")).await;
    assert_eq!(left, 1);
    let fifth = scalar(&app, "SELECT count(*) FROM class_enrollment e JOIN school_class c ON c.id = e.class_id JOIN academic_year y ON y.id = c.academic_year_id WHERE y.name = '2027/2028' AND c.grade = 6 AND e.starts_on = '2027-09-01'").await;
    assert!(fifth > 0, "the 5th moved up into the 6th");
    let applied = scalar(&app, "SELECT count(*) FROM audit_event WHERE action = 'promotion_order.applied' AND reason = '№ 112 от 30.11.2026'").await;
    assert_eq!(applied, 1);
    let (_, page) = admin.text(&format!("/setup/years/{year}/year-end")).await;
    assert!(
        page.contains("Перевод вступил в силу 31.08.2027 по приказу № 112 от 30.11.2026"),
        "{page}"
    );
}

#[tokio::test]
async fn section_2_grade_9_graduates_only_the_pupils_the_order_names_after_the_state_exams() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let year = demo_year(&app).await;
    let (_, html) = post_text(&admin, &format!("/setup/years/{year}/next"), &[]).await;
    assert!(html.contains("Следующий учебный год открыт."));
    let ninth: Vec<i64> = sqlx::query_scalar(&format!("SELECT e.pupil_id FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.academic_year_id = {year} AND c.grade = 9 ORDER BY e.pupil_id")).fetch_all(&app.pool).await.unwrap();
    assert!(ninth.len() >= 3);
    // The form proposes the 10th grade for 9th-graders, graduation only for the 11th.
    let (_, page) = admin.text(&format!("/setup/years/{year}/year-end")).await;
    let row = page
        .split("<tr>")
        .find(|r| r.contains(&format!(r#"name="p{}""#, ninth[0])))
        .expect("a 9th-grader's row");
    assert!(
        row.contains(r#"<option value="promote" selected>перевести в 10 класс"#),
        "{row}"
    );

    // 2 July: the order of 28 June on the graduates after the ГИА, in force on its date.
    set_clock(&app, "2027-07-02T08:00:00Z");
    let named = format!("p{}", ninth[0]);
    let (_, html) = post_text(
        &admin,
        &format!("/setup/years/{year}/promote"),
        &[
            ("order_number", "201"),
            ("order_date", "28.06.2027"),
            ("effective_on", "28.06.2027"),
            (&named, "graduate"),
            ("confirm", "1"),
        ],
    )
    .await;
    assert!(
        html.contains("Перевод по приказу № 201 от 28.06.2027 вступил в силу"),
        "{html}"
    );
    assert_eq!(class_of(&app, ninth[0]).await, 0, "the named one leaves");
    let left = scalar(&app, &format!("SELECT count(*) FROM pupil_movement WHERE pupil_id = {} AND reason = 'выпуск' AND on_date = '2027-06-28'", ninth[0])).await;
    assert_eq!(left, 1);
    for other in &ninth[1..] {
        assert_eq!(class_of(&app, *other).await, 101, "goes on to 10А");
    }
    let graduated_ninth = scalar(&app, &format!("SELECT count(*) FROM pupil_movement m JOIN school_class c ON c.id = m.from_class_id WHERE c.academic_year_id = {year} AND c.grade = 9 AND m.reason = 'выпуск'")).await;
    assert_eq!(graduated_ninth, 1, "only the pupil the order names");
    let eleventh_open = scalar(&app, &format!("SELECT count(*) FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.academic_year_id = {year} AND c.grade = 11 AND e.ends_on IS NULL")).await;
    assert_eq!(eleventh_open, 0, "the 11th graduates");
}

#[tokio::test]
async fn section_2_a_promotion_order_dated_in_the_future_without_a_number_or_outside_the_year_is_refused_next_to_its_field()
 {
    let app = spawn_app().await;
    set_clock(&app, "2026-11-30T09:00:00Z");
    let admin = app.signed_in("admin").await;
    let year = demo_year(&app).await;
    post_text(&admin, &format!("/setup/years/{year}/next"), &[]).await;
    let ninth = scalar(&app, "SELECT e.pupil_id FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.grade = 9 ORDER BY e.pupil_id LIMIT 1").await;
    let repeat = format!("p{ninth}");
    let path = format!("/setup/years/{year}/promote");
    let long = "1".repeat(31);
    let cases: [(&str, &str, &str, &str, &str); 7] = [
        (
            "",
            "30.11.2026",
            "",
            "order_number",
            "Укажите номер приказа.",
        ),
        (
            "112",
            "01.12.2026",
            "",
            "order_date",
            "Укажите дату подписанного приказа",
        ),
        ("112", "", "", "order_date", "Укажите дату приказа."),
        (
            "112",
            "30.11.2026",
            "01.09.2027",
            "effective_on",
            "по итогам учебного года 2026/2027: с 27.05.2027 (после последнего учебного периода) по 31.08.2027",
        ),
        (
            "112",
            "30.11.2026",
            "30.11.2026",
            "effective_on",
            "с 27.05.2027",
        ),
        (
            &long,
            "30.11.2026",
            "",
            "order_number",
            "Слишком длинный текст: 31 символ при пределе 30",
        ),
        (
            "112",
            "31.02.2027",
            "",
            "order_date",
            "Укажите дату приказа в виде ДД.ММ.ГГГГ.",
        ),
    ];
    for (number, date, effective, field, message) in cases {
        let (status, html) = post_text(
            &admin,
            &path,
            &[
                ("order_number", number),
                ("order_date", date),
                ("effective_on", effective),
                (&repeat, "repeat"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(html.contains(message), "{field}: {html}");
        // The message stands under its field and the form comes back as typed.
        let at = html.find(&format!(r#"id="{field}""#)).expect("the field");
        let error = html.find(message).unwrap();
        assert!(error > at, "{field}");
        assert!(html.contains(&format!(
            r#"id="order_date" name="order_date" value="{date}""#
        )));
        assert!(html.contains(&format!(
            r#"id="order_number" name="order_number" value="{number}""#
        )));
        let row = html.split("<tr>").find(|r| r.contains(&repeat)).unwrap();
        assert!(row.contains(r#"<option value="repeat" selected>"#), "{row}");
    }
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM promotion_order").await,
        0
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM pupil_movement WHERE kind = 'promotion' OR reason = 'выпуск'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn section_2_a_pending_promotion_order_is_cancelled_before_its_date_and_not_after() {
    let app = spawn_app().await;
    set_clock(&app, "2026-11-30T09:00:00Z");
    let admin = app.signed_in("admin").await;
    let (year, ivan) = eleventh_grader_with_a_family(&app, &admin).await;
    let path = format!("/setup/years/{year}/promote");
    post_text(
        &admin,
        &path,
        &[
            ("order_number", "7"),
            ("order_date", "30.11.2026"),
            ("confirm", "1"),
        ],
    )
    .await;
    let order = scalar(
        &app,
        "SELECT id FROM promotion_order WHERE order_number = '7'",
    )
    .await;
    // Another school's director does not find it.
    let director2 = app.signed_in("director2").await;
    let response = director2
        .post(
            &format!("/setup/years/{year}/promotion/{order}/cancel"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let director = app.signed_in("director").await;
    let (_, html) = post_text(
        &director,
        &format!("/setup/years/{year}/promotion/{order}/cancel"),
        &[],
    )
    .await;
    assert!(
        html.contains("Приказ № 7 от 30.11.2026 отменён: перевод не состоится."),
        "{html}"
    );
    assert!(!html.contains("Перевод вступит в силу"));
    assert!(
        html.contains("Внести приказ</button>"),
        "a new order may be entered"
    );
    let cancelled = scalar(&app, "SELECT count(*) FROM audit_event WHERE action = 'promotion_order.cancelled' AND reason = '№ 7 от 30.11.2026' AND actor_account_id = (SELECT id FROM account WHERE login = 'director')").await;
    assert_eq!(cancelled, 1);
    let (_, again) = post_text(
        &director,
        &format!("/setup/years/{year}/promotion/{order}/cancel"),
        &[],
    )
    .await;
    assert!(again.contains("уже отменён"));

    // The year's end comes: the cancelled order does nothing.
    set_clock(&app, "2027-08-31T09:00:00Z");
    assert_eq!(apply_due(&app).await, 0);
    assert_eq!(class_of(&app, ivan).await, 111);
    let parent = app.signed_in("parent").await;
    assert_eq!(parent.text("/diary").await.0, StatusCode::OK);

    // An order in force cannot be cancelled.
    post_text(
        &admin,
        &path,
        &[
            ("order_number", "8"),
            ("order_date", "31.08.2027"),
            ("confirm", "1"),
        ],
    )
    .await;
    assert_eq!(
        class_of(&app, ivan).await,
        0,
        "in force at once on its date"
    );
    let in_force = scalar(
        &app,
        "SELECT id FROM promotion_order WHERE order_number = '8'",
    )
    .await;
    let (_, refused) = post_text(
        &director,
        &format!("/setup/years/{year}/promotion/{in_force}/cancel"),
        &[],
    )
    .await;
    assert!(
        refused
            .contains("Приказ № 8 от 31.08.2027 вступил в силу 31.08.2027: отменить его нельзя."),
        "{refused}"
    );
}

#[tokio::test]
async fn issue_15_the_promotion_asks_before_it_acts_saying_how_many_move_up_stay_and_leave_and_works_without_javascript()
 {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let year = demo_year(&app).await;
    post_text(&admin, &format!("/setup/years/{year}/next"), &[]).await;
    set_clock(&app, "2027-08-31T07:00:00Z");
    let ivan = ivan(&app).await;
    let repeat = format!("p{ivan}");
    let order = [
        ("order_number", "112"),
        ("order_date", "28.05.2027"),
        ("effective_on", ""),
        (repeat.as_str(), "repeat"),
    ];
    let path = format!("/setup/years/{year}/promote");
    // «Внести приказ» without JavaScript: a confirmation step with the numbers, nothing written.
    let (status, html) = post_text(&admin, &path, &order).await;
    assert_eq!(status, StatusCode::OK);
    let pupils = scalar(&app, &format!("SELECT count(*) FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.academic_year_id = {year} AND e.ends_on IS NULL")).await as usize;
    let graduates = scalar(&app, &format!("SELECT count(*) FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.academic_year_id = {year} AND c.grade = 11 AND e.ends_on IS NULL")).await as usize;
    let promoted = pupils - graduates - 1;
    let plural = zhurnal::input::plural;
    let summary = format!(
        "{} {promoted} {}, 1 оставлен на повторное обучение, {graduates} {}.",
        plural(
            promoted,
            "Будет переведён",
            "Будут переведены",
            "Будут переведены"
        ),
        plural(promoted, "обучающийся", "обучающихся", "обучающихся"),
        plural(graduates, "выпущен", "выпущены", "выпущены"),
    );
    assert!(html.contains(&summary), "{summary}: {html}");
    assert!(html.contains("Проверьте перевод по приказу № 112 от 28.05.2027"));
    assert!(
        html.contains("Остаются на повторное обучение: Морозов Иван"),
        "{html}"
    );
    assert!(html.contains("вступит в силу сразу после подтверждения"));
    assert!(html.contains("→ 6Б"), "5Б moves up to 6Б");
    let confirm = html
        .split(r#"id="promotion-confirm""#)
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("the confirmation step");
    assert!(confirm.contains(r#"name="confirm" value="1""#));
    assert!(confirm.contains(&format!(r#"name="{repeat}" value="repeat""#)));
    assert!(confirm.contains("Подтвердить"));
    assert!(
        !html.contains("data-confirm=\"Внести"),
        "no JavaScript-only guard left"
    );
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM promotion_order").await,
        0
    );
    assert_eq!(class_of(&app, ivan).await, 52, "Иван still in 5Б");
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM audit_event WHERE action LIKE 'promotion_order.%'"
        )
        .await,
        0
    );

    // «Подтвердить» sends the same order with confirm=1: now it acts.
    let mut confirmed = order.to_vec();
    confirmed.push(("confirm", "1"));
    let (_, html) = post_text(&admin, &path, &confirmed).await;
    assert!(
        html.contains("Перевод по приказу № 112 от 28.05.2027 вступил в силу"),
        "{html}"
    );
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM promotion_order").await,
        1
    );
    assert_eq!(class_of(&app, ivan).await, 52, "Иван repeats 5Б next year");

    // Closing the year asks too, and closes only when confirmed.
    let close = format!("/setup/years/{year}/close");
    let (status, html) = post_text(&admin, &close, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Закрыть учебный год 2026/2027?"), "{html}");
    assert!(html.contains("Открыть год снова нельзя."));
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM academic_year WHERE closed_at IS NOT NULL"
        )
        .await,
        0
    );
    let (_, html) = post_text(&admin, &close, &[("confirm", "1")]).await;
    assert!(html.contains("Учебный год закрыт."), "{html}");
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM academic_year WHERE closed_at IS NOT NULL"
        )
        .await,
        1
    );
}
