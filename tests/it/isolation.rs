//! Nobody sees what is not theirs: roles are checked on the server (403), and another school's
//! ids answer 404 on every route that takes one.

use reqwest::StatusCode;

use crate::helpers::{TestApp, path_of, spawn_app};

/// Every page of the school's management and the roles allowed on it.
const ROLE_PAGES: &[(&str, &[&str])] = &[
    ("/director", &["director", "director2"]),
    ("/deputy", &["deputy"]),
    // The lists behind the control start page's counts (issue 13).
    ("/control/no-topic", &["director", "director2", "deputy"]),
    ("/control/no-homework", &["director", "director2", "deputy"]),
    ("/control/late-marks", &["director", "director2", "deputy"]),
    ("/control/unchecked", &["director", "director2", "deputy"]),
    ("/control/remarks", &["director", "director2", "deputy"]),
    ("/control/unlocked", &["director", "director2", "deputy"]),
    ("/control/parents", &["director", "director2", "deputy"]),
    ("/control/no-teacher", &["director", "director2", "deputy"]),
    // Breaks in the system's work and the blank journal pages (issue 14, 001 §6).
    ("/control/outages", &["director", "director2", "deputy"]),
    (
        "/paper",
        &[
            "director",
            "director2",
            "deputy",
            "teacher",
            "teacher2",
            "classteacher",
        ],
    ),
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
    ("/reports", REPORTS),
    ("/reports/progress", REPORTS),
    ("/reports/progress.csv", REPORTS),
    ("/reports/progress.xlsx", REPORTS),
    ("/reports/attendance", REPORTS),
    ("/reports/attendance.csv", REPORTS),
    ("/reports/attendance.xlsx", REPORTS),
    ("/reports/activity", ACTIVITY),
    ("/reports/activity.csv", ACTIVITY),
    ("/reports/activity.xlsx", ACTIVITY),
    ("/reports/catch-up", REPORTS),
    ("/reports/catch-up.csv", REPORTS),
    ("/reports/catch-up.xlsx", REPORTS),
    ("/reports/homework-load", CLASS_REPORTS),
    ("/reports/homework-load.csv", CLASS_REPORTS),
    ("/reports/homework-load.xlsx", CLASS_REPORTS),
    ("/reports/programme", REPORTS),
    ("/reports/programme.csv", REPORTS),
    ("/reports/programme.xlsx", REPORTS),
    ("/reports/control-works", REPORTS),
    ("/reports/control-works.csv", REPORTS),
    ("/reports/control-works.xlsx", REPORTS),
    ("/reports/timeliness", REPORTS),
    ("/reports/timeliness.csv", REPORTS),
    ("/reports/timeliness.xlsx", REPORTS),
    ("/reports/accumulation", REPORTS),
    ("/reports/accumulation.csv", REPORTS),
    ("/reports/accumulation.xlsx", REPORTS),
    ("/audit/chain", &["director", "director2"]),
    // Compromised credentials (000 §21, 004 §5.4): the changes are journal data.
    (
        "/compromised/declarations",
        &["director", "director2", "deputy"],
    ),
    // The year's archive (§6): the director and the deputies.
    ("/archive", &["director", "director2", "deputy"]),
];

/// The activity report (regulations §5): the management and the administrator.
const ACTIVITY: &[&str] = &["director", "director2", "deputy", "admin"];

/// Reports (regulations §5): the director and the deputies; the class teacher for their class; a
/// teacher for their own journals.
const REPORTS: &[&str] = &[
    "director",
    "director2",
    "deputy",
    "classteacher",
    "teacher",
    "teacher2",
];

/// Reports of a class's whole day (the homework load): not a teacher's own journals.
const CLASS_REPORTS: &[&str] = &["director", "director2", "deputy", "classteacher"];

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

// ------------------------------------------------------------------------------------------
// The journal's data (issue 11): permission before any stored value is read or echoed.
// ------------------------------------------------------------------------------------------

/// Texts stored in the journal that must reach nobody who may not read it.
const SECRET_COMMENT: &str = "Комментарий-Ъ-4417";
const SECRET_SURNAME: &str = "Ъщеглова";
const SECRET_EXPLANATION: &str = "Объяснительная-Ъ-5521: не учтена работа";
const SECRET_REMARK: &str = "Замечание-Ъ-3398";

/// 5«А» mathematics taught by `teacher`, with a distinctive pupil, a mark «2» at the lesson of
/// 05.10 with a teacher's comment, a period mark with a pending correction request and a remark.
struct Seeded {
    j: crate::journal::Journal,
    lesson: i64,
    pupil: i64,
    period: String,
    work_type: i64,
    correction: i64,
    remark: i64,
}

async fn seeded_journal() -> Seeded {
    use crate::journal::{journal_of, msk};
    let j = journal_of(5, "А", "Математика", "five_point").await;
    let lesson = j.lesson(10, 5).await;
    let pupil = j.pupils[0];
    sqlx::query("UPDATE pupil SET last_name = $1 WHERE id = $2")
        .bind(SECRET_SURNAME)
        .bind(pupil)
        .execute(&j.app.pool)
        .await
        .unwrap();
    j.app.clock.set(msk(10, 5, 9, 0));
    let (status, html) = j.type_cell(&j.teacher, lesson, pupil, "2", &[]).await;
    assert!(html.contains("сохранено"), "{status} {html}");
    let r = j
        .teacher
        .post(
            &format!("/lessons/{lesson}"),
            &[("topic", "Дроби"), ("teacher_comment", SECRET_COMMENT)],
        )
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Запись об уроке сохранена")
    );
    // Period marks and a correction request in the window (J12, J6).
    j.app.clock.set(msk(10, 22, 12, 0));
    let (_, page) = j
        .teacher
        .text(&format!("/journal/{}/period-marks", j.group))
        .await;
    let period = page
        .split("period-marks?period=")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    j.teacher
        .post(
            &format!("/journal/{}/period-marks?period={period}", j.group),
            &[(&format!("value_{pupil}"), "3"), ("confirm", "1")],
        )
        .await;
    j.teacher
        .post(
            &format!("/journal/{}/corrections?period={period}", j.group),
            &[
                ("pupil", &pupil.to_string()),
                ("value", "4"),
                ("explanation", SECRET_EXPLANATION),
            ],
        )
        .await;
    let deputy = j.app.signed_in("deputy").await;
    deputy
        .post(
            &format!("/journal/{}/remarks", j.group),
            &[("text", SECRET_REMARK), ("due_on", "30.10.2026")],
        )
        .await;
    let one = |sql: &'static str| {
        let pool = j.app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let correction = one("SELECT id FROM correction_request").await;
    let remark = one("SELECT id FROM journal_remark").await;
    let work_type = one(
        "SELECT w.id FROM work_type w JOIN school s ON s.id = w.school_id
         WHERE s.slug = 'demo-1' AND w.name = 'Ответ на уроке'",
    )
    .await;
    // The seed is what the group's teacher and the director do see.
    let (_, grid) = j.teacher.text(&format!("/journal/{}", j.group)).await;
    assert!(grid.contains(SECRET_SURNAME) && grid.contains("value=\"2\""));
    Seeded {
        j,
        lesson,
        pupil,
        period,
        work_type,
        correction,
        remark,
    }
}

/// Whether a body shows any of the seeded journal's stored values.
fn leaks(body: &str) -> Option<&'static str> {
    [
        SECRET_COMMENT,
        SECRET_SURNAME,
        SECRET_EXPLANATION,
        SECRET_REMARK,
        "value=\"2\"",
        "«2»",
        "value=\"3\"",
    ]
    .into_iter()
    .find(|s| body.contains(s))
}

/// Every journal route, with what each outsider gets: (student, parent, an unrelated teacher,
/// the administrator, school 2's director).
#[tokio::test]
async fn every_journal_route_refuses_outsiders_before_reading_and_shows_them_no_stored_value() {
    let s = seeded_journal().await;
    let (g, l, p, c) = (s.j.group, s.lesson, s.pupil, s.j.class_id);
    let (pid, wt) = (s.period.as_str(), s.work_type.to_string());
    let (ps, ls) = (p.to_string(), l.to_string());
    const F: u16 = 403;
    const N: u16 = 404;
    const OK: u16 = 200;
    let gets: Vec<(String, [u16; 5])> = vec![
        ("/journal".into(), [F, F, OK, F, OK]),
        (format!("/journal/{g}"), [F, F, F, F, N]),
        (format!("/journal/{g}?period={pid}"), [F, F, F, F, N]),
        (format!("/lessons/{l}"), [F, F, F, F, N]),
        (
            format!("/journal/history?lesson={l}&pupil={p}"),
            [F, F, F, F, N],
        ),
        (format!("/journal/{g}/period-marks"), [F, F, F, F, N]),
        (
            format!("/journal/{g}/period-marks?period={pid}"),
            [F, F, F, F, N],
        ),
        (format!("/classes/{c}/summary"), [F, F, F, F, N]),
        (format!("/classes/{c}/summary?period=year"), [F, F, F, F, N]),
        (format!("/classes/{c}/report"), [F, F, F, F, N]),
        (format!("/classes/{c}/report?format=xlsx"), [F, F, F, F, N]),
        ("/corrections".into(), [F, F, F, F, OK]),
        (format!("/journal/{g}/control"), [F, F, F, F, N]),
        ("/remarks".into(), [F, F, F, F, OK]),
    ];
    let cell = |was: &'static str| -> Vec<(String, String)> {
        vec![
            ("lesson".into(), ls.clone()),
            ("pupil".into(), ps.clone()),
            ("value".into(), "5".into()),
            ("was".into(), was.into()),
        ]
    };
    let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let refused = [F, F, F, F, N];
    let posts: Vec<(String, Vec<(String, String)>)> = vec![
        ("/journal/cells".into(), cell("")),
        ("/journal/cells".into(), cell("2")),
        (format!("/lessons/{l}"), f(&[("topic", "Чужая тема")])),
        (
            format!("/lessons/{l}/cells"),
            f(&[(&format!("cell_0_{p}"), "5"), (&format!("was_0_{p}"), "")]),
        ),
        (format!("/lessons/{l}/columns"), f(&[("work_type", &wt)])),
        (
            format!("/lessons/{l}/columns/type"),
            f(&[("work_type", &wt)]),
        ),
        (
            format!("/lessons/{l}/reasons"),
            f(&[(&format!("reason_{p}"), "ill")]),
        ),
        (
            format!("/journal/{g}/period-marks?period={pid}"),
            f(&[(&format!("value_{p}"), "5")]),
        ),
        (
            format!("/journal/{g}/corrections?period={pid}"),
            f(&[
                ("pupil", &ps),
                ("value", "5"),
                ("explanation", "Прошу исправить отметку на пять."),
            ]),
        ),
        (
            format!("/journal/{g}/external"),
            f(&[
                ("pupil", &ps),
                ("value", "5"),
                ("work_type", &wt),
                ("given_on", "06.10.2026"),
                ("document", "Справка № 1"),
            ]),
        ),
        (
            format!("/corrections/{}", s.correction),
            f(&[("decision", "approve"), ("note", "")]),
        ),
        (
            format!("/journal/{g}/unlocks"),
            f(&[("until", "2026-10-23T18:00"), ("reason", "надо исправить")]),
        ),
        (
            format!("/journal/{g}/remarks"),
            f(&[("text", "Чужое замечание"), ("due_on", "30.10.2026")]),
        ),
        (
            format!("/journal/{g}/remarks/{}/fix", s.remark),
            f(&[("note", "исправлено")]),
        ),
    ];
    let before = journal_rows(&s.j.app).await;
    for (i, login) in ["student", "parent", "classteacher", "admin", "director2"]
        .into_iter()
        .enumerate()
    {
        let client = s.j.app.signed_in(login).await;
        for (path, expected) in &gets {
            let (status, body) = client.text(path).await;
            assert_eq!(status.as_u16(), expected[i], "{login} GET {path}");
            assert_eq!(leaks(&body), None, "{login} GET {path}");
        }
        for (path, form) in &posts {
            let form: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            for htmx in [false, true] {
                let r = if htmx {
                    client.post_htmx(path, &form).await
                } else {
                    client.post(path, &form).await
                };
                let status = r.status().as_u16();
                let body = r.text().await.unwrap();
                assert_eq!(status, refused[i], "{login} POST {path} (htmx: {htmx})");
                assert_eq!(leaks(&body), None, "{login} POST {path} (htmx: {htmx})");
                if htmx && login == "classteacher" && path == "/journal/cells" {
                    // A teacher's cell in a journal not theirs: an empty cell and the reason.
                    assert!(body.contains("Нет доступа к этому журналу"), "{body}");
                    assert!(body.contains("name=\"value\" value=\"\""), "{body}");
                }
            }
        }
    }
    assert_eq!(journal_rows(&s.j.app).await, before, "nothing written");
}

/// Rows of everything a journal write could add or change.
async fn journal_rows(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for sql in [
        "SELECT count(*) FROM mark",
        "SELECT count(*) FROM mark WHERE value = '2'",
        "SELECT count(*) FROM absence",
        "SELECT count(*) FROM mark_column",
        "SELECT count(*) FROM period_mark",
        "SELECT count(*) FROM correction_request WHERE status = 'pending'",
        "SELECT count(*) FROM journal_unlock",
        "SELECT count(*) FROM journal_remark WHERE fixed_at IS NULL",
        "SELECT count(*) FROM lesson WHERE topic = 'Чужая тема'",
        "SELECT count(*) FROM audit_event",
    ] {
        counts.push(
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&app.pool)
                .await
                .unwrap(),
        );
    }
    counts
}

#[tokio::test]
async fn a_pupil_cannot_learn_a_classmates_mark_from_a_stale_cell_write() {
    use crate::journal::{maths_5b, msk};
    let j = maths_5b().await;
    let lesson = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let student: i64 = sqlx::query_scalar(
        "SELECT pupil_id FROM membership m JOIN account a ON a.id = m.account_id WHERE a.login = 'student'",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let classmate = *j.pupils.iter().find(|&&p| p != student).unwrap();
    j.type_cell(&j.teacher, lesson, classmate, "4", &[]).await;
    assert_eq!(j.mark_of(lesson, classmate).await.as_deref(), Some("4"));
    for login in ["student", "parent"] {
        let who = j.app.signed_in(login).await;
        for (pupil, was) in [(classmate, ""), (classmate, "5"), (student, "")] {
            let (status, html) = j.type_cell(&who, lesson, pupil, "5", &[("was", was)]).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
            assert!(
                !html.contains("«4»")
                    && !html.contains("value=\"4\"")
                    && !html.contains("уже изменили"),
                "{login}: {html}"
            );
            assert!(
                html.contains("Доступ запрещён"),
                "refused before the form is read"
            );
        }
    }
    // The group's teacher, who reads the journal, is told what the cell holds now.
    let (_, html) = j
        .type_cell(&j.teacher, lesson, classmate, "5", &[("was", "")])
        .await;
    assert!(
        html.contains("уже изменили") && html.contains("«4»"),
        "{html}"
    );
    assert_eq!(j.mark_of(lesson, classmate).await.as_deref(), Some("4"));
}

#[tokio::test]
async fn a_cell_history_or_write_with_a_pupil_of_another_group_is_404_without_a_name() {
    use crate::journal::{maths_5b, msk};
    let j = maths_5b().await;
    let lesson = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    // A pupil of 5«А» (not in the group) and one of school 2, with names to look for.
    let other_class: i64 = sqlx::query_scalar(
        "SELECT e.pupil_id FROM class_enrollment e JOIN school_class c ON c.id = e.class_id
         JOIN school s ON s.id = c.school_id
         WHERE s.slug = 'demo-1' AND c.grade = 5 AND c.letter = 'А' LIMIT 1",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let other_school: i64 = sqlx::query_scalar(
        "SELECT p.id FROM pupil p JOIN school s ON s.id = p.school_id WHERE s.slug = 'demo-2' LIMIT 1",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    for (pupil, surname) in [(other_class, SECRET_SURNAME), (other_school, "Ъволкова")] {
        sqlx::query("UPDATE pupil SET last_name = $1 WHERE id = $2")
            .bind(surname)
            .bind(pupil)
            .execute(&j.app.pool)
            .await
            .unwrap();
        let (status, html) = j
            .teacher
            .text(&format!("/journal/history?lesson={lesson}&pupil={pupil}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!html.contains(surname), "no name");
        let (status, html) = j.type_cell(&j.teacher, lesson, pupil, "5", &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!html.contains(surname), "no name");
    }
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM mark")
            .fetch_one(&j.app.pool)
            .await
            .unwrap(),
        0
    );
    // Their own pupil's history opens with the name.
    let (status, html) = j
        .teacher
        .text(&format!(
            "/journal/history?lesson={lesson}&pupil={}",
            j.pupils[0]
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
}

/// Regulations §1: the administrator keeps accounts, lists and the year's setup, «no marks».
#[tokio::test]
async fn the_administrator_keeps_accounts_lists_and_setup_but_reads_no_journal_diary_or_mark() {
    let s = seeded_journal().await;
    let (g, l, p, c) = (s.j.group, s.lesson, s.pupil, s.j.class_id);
    let admin = s.j.app.signed_in("admin").await;
    for path in [
        "/admin".to_string(),
        "/admin/users".into(),
        "/admin/users/new".into(),
        "/audit".into(),
        "/setup/years".into(),
        "/setup/readiness".into(),
        "/setup/catalogues".into(),
        "/classes".into(),
        format!("/classes/{c}"),
        "/deputy/lessons".into(),
        "/admin/mail".into(),
        "/admin/settings".into(),
    ] {
        let (status, _) = admin.text(&path).await;
        assert_eq!(status, StatusCode::OK, "admin keeps {path}");
    }
    for path in [
        "/journal".to_string(),
        format!("/journal/{g}"),
        format!("/lessons/{l}"),
        format!("/journal/history?lesson={l}&pupil={p}"),
        format!("/journal/{g}/period-marks"),
        format!("/classes/{c}/summary"),
        format!("/classes/{c}/report"),
        "/corrections".into(),
        format!("/journal/{g}/control"),
        "/remarks".into(),
        "/diary".into(),
        "/diary/marks".into(),
        "/diary/info".into(),
        "/parent".into(),
        "/pupil".into(),
        "/class-teacher".into(),
        "/class-teacher/absences".into(),
        "/class-teacher/report".into(),
        "/class-teacher/extract.pdf".into(),
    ] {
        let (status, body) = admin.text(&path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "admin GET {path}");
        assert_eq!(leaks(&body), None, "admin GET {path}");
    }
    let (_, home) = admin.text("/admin/users").await;
    assert!(
        !home.contains("href=\"/journal\""),
        "no «Журналы» in the menu"
    );
    // The start page's latest changes name who changed a mark, not the mark.
    let (_, start) = admin.text("/admin").await;
    assert!(start.contains("данные журнала скрыты"), "{start}");
    assert_eq!(leaks(&start), None);
    // The audit trail: who changed what and when, not the values.
    let (_, audit) = admin.text("/audit").await;
    assert!(audit.contains("данные журнала скрыты"));
    // The lines, not the filters: the filters list the school's pupils (whose lists the
    // administrator keeps, §1) and carry ids as option values.
    let lines = audit
        .split("<tbody>")
        .nth(1)
        .and_then(|rest| rest.split("</tbody>").next())
        .unwrap_or("");
    assert!(!lines.is_empty());
    assert_eq!(leaks(lines), None);
    let director = s.j.app.signed_in("director").await;
    let (_, audit) = director.text("/audit").await;
    assert!(
        audit.contains(SECRET_COMMENT) && audit.contains(SECRET_EXPLANATION),
        "the director reads the values"
    );
}
