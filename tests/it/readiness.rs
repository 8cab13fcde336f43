//! «Готовность к учебному году» (regulations §2): every missing or inconsistent piece of the
//! year's setup is listed with a link to where it is fixed, and a complete year is clean.

use chrono::{TimeZone, Utc};
use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app};

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[tokio::test]
async fn section_2_the_demo_year_lists_what_is_missing_with_links_to_fix_it() {
    let app = spawn_app().await;
    let deputy = app.signed_in("deputy").await;
    let (status, html) = deputy.text("/setup/readiness").await;
    assert_eq!(status, StatusCode::OK);
    let class_1a = scalar(&app, "SELECT c.id FROM school_class c JOIN school s ON s.id = c.school_id WHERE s.slug = 'demo-1' AND c.grade = 1").await;
    assert!(
        html.contains(&format!(
            r#"<a href="/classes/{class_1a}">1А: не назначен классный руководитель.</a>"#
        )),
        "{html}"
    );
    assert!(html.contains("5Б: нет учебного плана."));
    assert!(html.contains("нет сведений о родителях") && html.contains("нет отметки о согласии"));
    assert!(
        html.contains("Календарь: периоды, каникулы, звонки <span class=\"ok\">✓ в порядке</span>")
    );
    let teacher = app.signed_in("teacher").await;
    assert_eq!(
        teacher.get("/setup/readiness").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn section_2_a_completely_set_up_year_is_clean() {
    let app = spawn_app().await;
    app.clock
        .set(Utc.with_ymd_and_hms(2027, 8, 25, 9, 0, 0).unwrap());
    let admin = app.signed_in("admin").await;
    admin
        .post(
            "/setup/years",
            &[("start_year", "2027"), ("defaults", "on")],
        )
        .await;
    let year = scalar(
        &app,
        "SELECT id FROM academic_year WHERE name = '2027/2028'",
    )
    .await;
    let (_, html) = admin.text(&format!("/setup/readiness?year={year}")).await;
    assert!(html.contains("В учебном году нет классов."));

    admin
        .post(&format!("/classes?year={year}"), &[("name", "2А")])
        .await;
    let class = scalar(
        &app,
        &format!("SELECT id FROM school_class WHERE academic_year_id = {year}"),
    )
    .await;
    let teacher = app.account_id("teacher").await.to_string();
    admin
        .post(
            &format!("/classes/{class}/teacher"),
            &[("teacher", &teacher)],
        )
        .await;
    admin
        .post(
            &format!("/classes/{class}/pupils"),
            &[
                ("last_name", "Орлова"),
                ("first_name", "Вера"),
                ("birth_date", "01.02.2020"),
                ("sex", "f"),
                ("since", "01.09.2027"),
            ],
        )
        .await;
    let pupil = scalar(&app, "SELECT id FROM pupil WHERE last_name = 'Орлова'").await;
    let (_, html) = admin.text(&format!("/setup/readiness?year={year}")).await;
    assert!(
        html.contains("2А: нет учебного плана.")
            && html.contains("2А, Орлова Вера: нет сведений о родителях.")
    );

    admin
        .post(
            &format!("/pupils/{pupil}/parents"),
            &[
                ("last_name", "Орлова"),
                ("first_name", "Ольга"),
                ("relation", "мать"),
            ],
        )
        .await;
    let parent = scalar(
        &app,
        "SELECT id FROM parent WHERE first_name = 'Ольга' AND last_name = 'Орлова'",
    )
    .await;
    admin
        .post(
            &format!("/pupils/{pupil}/parents/{parent}/consent"),
            &[("consent", "yes"), ("on", "25.08.2027")],
        )
        .await;
    admin
        .post(
            "/setup/subjects",
            &[
                ("name", "Окружающий мир"),
                ("component", "federal"),
                ("scale", "five_point"),
            ],
        )
        .await;
    let subject = scalar(&app, "SELECT id FROM subject WHERE name = 'Окружающий мир'")
        .await
        .to_string();
    admin
        .post(
            &format!("/classes/{class}/curriculum"),
            &[("subject", &subject), ("hours", "2")],
        )
        .await;
    let (_, html) = admin.text(&format!("/setup/readiness?year={year}")).await;
    assert!(
        html.contains("2А, Окружающий мир, 2А: не назначен учитель."),
        "{html}"
    );
    let group = scalar(
        &app,
        &format!("SELECT id FROM study_group WHERE class_id = {class}"),
    )
    .await;
    admin
        .post(
            &format!("/groups/{group}/teacher"),
            &[("teacher", &teacher), ("hours", "2")],
        )
        .await;
    admin
        .post(
            &format!("/classes/{class}/timetable"),
            &[
                ("group", &group.to_string()),
                ("weekday", "1"),
                ("lesson_number", "2"),
            ],
        )
        .await;
    let (_, html) = admin.text(&format!("/setup/readiness?year={year}")).await;
    assert!(
        html.contains("2А, Окружающий мир, 2А: в расписании 1 ч, по учебному плану 2 ч."),
        "{html}"
    );
    admin
        .post(
            &format!("/classes/{class}/timetable"),
            &[
                ("group", &group.to_string()),
                ("weekday", "3"),
                ("lesson_number", "2"),
            ],
        )
        .await;
    let (_, html) = admin.text(&format!("/setup/readiness?year={year}")).await;
    assert!(html.contains("2А, Окружающий мир, 2А: нет КТП."), "{html}");
    let lessons = scalar(
        &app,
        &format!("SELECT count(*) FROM lesson WHERE group_id = {group}"),
    )
    .await;
    let plan: String = (1..=lessons).map(|n| format!("Тема {n}\n")).collect();
    admin
        .post(&format!("/groups/{group}/plan"), &[("topics", &plan)])
        .await;
    let (_, html) = admin.text(&format!("/setup/readiness?year={year}")).await;
    assert!(html.contains("Всё готово: замечаний нет."), "{html}");
}

#[tokio::test]
async fn another_schools_year_answers_404_on_the_readiness_page() {
    let app = spawn_app().await;
    let year = scalar(&app, "SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id WHERE s.slug = 'demo-1'").await;
    let director2 = app.signed_in("director2").await;
    assert_eq!(
        director2
            .get(&format!("/setup/readiness?year={year}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn issue_15_an_empty_next_year_is_not_ready_on_any_count_and_the_start_tiles_keep_this_years_name_and_figures()
 {
    let app = spawn_app().await;
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap());
    let admin = app.signed_in("admin").await;
    let year = scalar(&app, "SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id WHERE s.slug = 'demo-1' AND y.name = '2026/2027'").await;
    admin.post(&format!("/setup/years/{year}/next"), &[]).await;
    let next = scalar(&app, "SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id WHERE s.slug = 'demo-1' AND y.name = '2027/2028'").await;
    let (status, html) = admin.text(&format!("/setup/readiness?year={next}")).await;
    assert_eq!(status, StatusCode::OK);
    // The calendar came with the year (the usual periods, holidays and bells); nothing else did.
    assert_eq!(html.matches("✓ в порядке").count(), 1, "{html}");
    for missing in [
        "В учебном году нет классов.",
        "Учебного плана нет ни у одного класса",
        "Расписание не составлено",
        "В учебном году нет учебных групп",
        "КТП нет",
        "В классах учебного года нет обучающихся",
    ] {
        assert!(html.contains(missing), "{missing}: {html}");
    }
    assert!(!html.contains("Всё готово"));

    // The administrator's start page: the current year (the one containing today) with its own
    // classes and pupils, not the new year's name.
    let (_, home) = admin.text("/admin").await;
    // A tile's figure by its label, in whichever plural form the figure takes.
    let tile = |forms: &[&str]| -> String {
        let label = forms
            .iter()
            .map(|f| format!("</span><span>{f}</span>"))
            .find(|l| home.contains(l.as_str()))
            .unwrap_or_else(|| panic!("a tile {forms:?}: {home}"));
        let before = home.split(&label).next().unwrap();
        before
            .rsplit(r#"<span class="n">"#)
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(tile(&["учебный год"]), "2026/2027", "{home}");
    let classes = scalar(
        &app,
        &format!("SELECT count(*) FROM school_class WHERE academic_year_id = {year}"),
    )
    .await;
    assert_eq!(tile(&["класс", "класса", "классов"]), classes.to_string());
    let pupils = scalar(&app, &format!("SELECT count(DISTINCT e.pupil_id) FROM class_enrollment e JOIN school_class c ON c.id = e.class_id WHERE c.academic_year_id = {year} AND e.ends_on IS NULL")).await;
    assert_eq!(tile(&["обучающийся", "обучающихся"]), pupils.to_string());
    // The director's start page says the same year.
    let director = app.signed_in("director").await;
    let (_, home) = director.text("/director").await;
    assert!(home.contains("Учебный год 2026/2027:"), "{home}");
}
