//! Nobody sees what is not theirs: roles are checked on the server (403), and another school's
//! ids answer 404 on every route that takes one.

use reqwest::StatusCode;

use crate::helpers::{TestApp, path_of, spawn_app};

/// Every page of the school's management and the roles allowed on it.
const ROLE_PAGES: &[(&str, &[&str])] = &[
    ("/director", &["director", "director2"]),
    ("/deputy", &["deputy"]),
    ("/admin", &["admin"]),
    ("/teacher", &["teacher", "teacher2"]),
    ("/class-teacher", &["classteacher"]),
    ("/class-teacher/parents", &["classteacher"]),
    ("/class-teacher/absences", &["classteacher"]),
    ("/class-teacher/report", &["classteacher"]),
    ("/class-teacher/extract.pdf", &["classteacher"]),
    (
        "/diary/marks",
        &["parent", "parent2", "student", "student2"],
    ),
    ("/diary/info", &["parent", "parent2", "student", "student2"]),
    ("/parent", &["parent", "parent2"]),
    ("/pupil", &["student", "student2"]),
    ("/admin/users", &["admin", "director", "director2"]),
    ("/admin/users/new", &["admin", "director", "director2"]),
    ("/audit", &["admin", "director", "director2"]),
    ("/admin/settings", &["admin", "director", "director2"]),
    (
        "/setup/years",
        &["admin", "deputy", "director", "director2"],
    ),
    ("/messages", MAIL),
    ("/messages/new", MAIL),
];

/// Internal messages (regulations §4): parents and the teaching staff; not pupils, not the
/// administrator.
const MAIL: &[&str] = &[
    "director",
    "deputy",
    "teacher",
    "classteacher",
    "parent",
    "director2",
    "teacher2",
    "parent2",
];

const LOGINS: &[&str] = &[
    "director",
    "deputy",
    "admin",
    "teacher",
    "classteacher",
    "parent",
    "student",
    "director2",
    "teacher2",
    "parent2",
    "student2",
];

#[tokio::test]
async fn every_role_page_answers_403_to_every_other_role() {
    let app = spawn_app().await;
    for login in LOGINS {
        let client = app.signed_in(login).await;
        for (path, allowed) in ROLE_PAGES {
            let status = client.get(path).await.status();
            let expected = if allowed.contains(login) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(status, expected, "{login} GET {path}");
        }
    }
}

#[tokio::test]
async fn a_pupil_requesting_a_teacher_page_gets_403_in_russian() {
    let app = spawn_app().await;
    let pupil = app.signed_in("student").await;
    let response = pupil.get("/teacher").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = response.text().await.unwrap();
    assert!(html.contains("Доступ запрещён"));
    assert!(html.contains("Номер запроса"));
}

#[tokio::test]
async fn the_platform_page_is_only_for_the_operator() {
    let app = spawn_app().await;
    for login in ["director", "admin", "teacher"] {
        let client = app.signed_in(login).await;
        assert_eq!(
            client.get("/platform").await.status(),
            StatusCode::FORBIDDEN,
            "{login}"
        );
    }
    let operator = app.signed_in("operator").await;
    assert_eq!(operator.get("/platform").await.status(), StatusCode::OK);
}

/// Real ids of school 1 that the routes take.
struct SchoolOneIds {
    teacher: i64,
    teacher_membership: i64,
    school: i64,
}

async fn school_one_ids(app: &TestApp) -> SchoolOneIds {
    let teacher = app.account_id("teacher").await;
    let (school, teacher_membership): (i64, i64) =
        sqlx::query_as("SELECT school_id, id FROM membership WHERE account_id = $1")
            .bind(teacher)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    SchoolOneIds {
        teacher,
        teacher_membership,
        school,
    }
}

#[tokio::test]
async fn a_user_of_school_2_gets_404_for_every_school_1_id_on_every_route() {
    let app = spawn_app().await;
    let ids = school_one_ids(&app).await;
    let t = ids.teacher;
    let m = ids.teacher_membership;
    let get_routes = [format!("/admin/users/{t}")];
    let post_routes: Vec<(String, Vec<(&str, String)>)> = vec![
        (
            format!("/admin/users/{t}/roles"),
            vec![("role", "deputy".to_string())],
        ),
        (format!("/admin/users/{t}/roles/{m}/revoke"), vec![]),
        (format!("/admin/users/{t}/password"), vec![]),
        (
            "/choose".to_string(),
            vec![("membership", format!("{}:{m}", ids.school))],
        ),
    ];
    // director2 manages people in school 2 and learns nothing of school 1's (404); the others
    // may not use these pages at all (403), whatever the id.
    for login in ["director2", "teacher2", "parent2", "student2"] {
        let client = app.signed_in(login).await;
        let manager = login == "director2";
        for path in &get_routes {
            let expected = if manager {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(
                client.get(path).await.status(),
                expected,
                "{login} GET {path}"
            );
        }
        for (path, form) in &post_routes {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let expected = if manager || path == "/choose" {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::FORBIDDEN
            };
            let status = client.post(path, &form).await.status();
            assert_eq!(status, expected, "{login} POST {path}");
        }
    }
    // Nothing changed in school 1.
    let (roles, must_change): (i64, bool) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM membership WHERE account_id = $1 AND revoked_at IS NULL),
                (SELECT must_change_password FROM account WHERE id = $1)",
    )
    .bind(t)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((roles, must_change), (1, false));
}

#[tokio::test]
async fn a_manager_of_school_2_sees_none_of_school_1_in_the_people_list_or_the_audit() {
    let app = spawn_app().await;
    let director2 = app.signed_in("director2").await;
    let (_, people) = director2.text("/admin/users").await;
    assert!(people.contains("Фёдорова Ирина Павловна"));
    assert!(
        !people.contains("Васильева"),
        "school 1's teacher is not listed"
    );
    let (_, audit) = director2.text("/audit").await;
    assert!(audit.contains("Новиков Сергей") || audit.contains("Демонстрационная школа № 2"));
    assert!(!audit.contains("Демонстрационная школа № 1"));
}

#[tokio::test]
async fn a_parent_cannot_choose_another_persons_membership() {
    let app = spawn_app().await;
    let ids = school_one_ids(&app).await;
    let parent = app.signed_in("parent").await;
    let membership = format!("{}:{}", ids.school, ids.teacher_membership);
    let response = parent.post("/choose", &[("membership", &membership)]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(path_of(&parent.get("/teacher").await), "/teacher");
    assert_eq!(parent.get("/teacher").await.status(), StatusCode::FORBIDDEN);
}
