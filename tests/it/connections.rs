//! Connections (issue 16, speed at region scale): no request holds a pool connection while it
//! waits for another. Twenty such requests at once would hold the whole pool, each waiting on the
//! others, and all answer 500 after the pool's timeout. The test app's pool has two connections,
//! one kept by the diary's `LISTEN` (`helpers::spawn_app_until`), so a page that asks for a second
//! connection while it holds one cannot be served at all.

use reqwest::StatusCode;

#[tokio::test]
async fn the_pages_that_once_held_one_connection_while_asking_for_another_are_served_on_one() {
    // 5Б's mathematics, with its timetable, taught by `teacher`.
    let j = crate::journal::maths_5b().await;
    let (app, group, class) = (&j.app, j.group, j.class_id);
    let year: i64 = sqlx::query_scalar("SELECT academic_year_id FROM school_class WHERE id = $1")
        .bind(class)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    // Each of these asked the pool for a second connection while holding one (the journal's
    // «teaches», the period marks, the timetable's and curriculum's lists, the group's editors,
    // the КТП's editor, the control works' lists, the year's end and its pupils; the deputy's
    // start page reads in parallel chains, each giving its connection back when done).
    let pages = [
        ("teacher", format!("/journal/{group}")),
        ("teacher", format!("/journal/{group}/period-marks")),
        ("teacher", format!("/groups/{group}/plan")),
        ("deputy", "/deputy".to_string()),
        ("deputy", format!("/classes/{class}/timetable")),
        ("deputy", format!("/classes/{class}/curriculum")),
        ("deputy", format!("/groups/{group}")),
        ("deputy", format!("/setup/control-works?year={year}")),
        ("deputy", format!("/setup/years/{year}/year-end")),
    ];
    for (login, path) in pages {
        let client = app.signed_in(login).await;
        let (status, body) = client.text(&path).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{login} GET {path}: {}",
            &body[..body.len().min(300)]
        );
    }
}
