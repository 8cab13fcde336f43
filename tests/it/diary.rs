//! The diary of pupils and parents and the class teacher's work with families (regulations §4;
//! 000 §15, 003, 004), over HTTP with the demo's 5«Б»: Морозов Иван (`student`), his mother
//! (`parent`), the class teacher (`classteacher`), the maths journal of `teacher`.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{Client, TestApp};
use crate::journal::{Journal, maths_5b, msk};

async fn pupil_id(app: &TestApp, login: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT m.pupil_id FROM membership m JOIN account a ON a.id = m.account_id
         WHERE a.login = $1 AND m.role IN ('pupil', 'parent') LIMIT 1",
    )
    .bind(login)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn type_cell(j: &Journal, lesson: i64, pupil: i64, value: &str) {
    let r = j
        .teacher
        .post_htmx(
            "/journal/cells",
            &[
                ("lesson", &lesson.to_string()),
                ("pupil", &pupil.to_string()),
                ("value", value),
            ],
        )
        .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("сохранено"), "{html}");
}

async fn body(client: &Client, path: &str) -> String {
    let (status, html) = client.text(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {html}");
    html
}

#[tokio::test]
async fn s4_a_mark_absence_and_homework_saved_by_the_teacher_show_in_the_pupils_and_parents_diary()
{
    let j = maths_5b().await;
    let ivan = pupil_id(&j.app, "student").await;
    let monday = j.lesson(10, 5).await;
    let wednesday = j.lesson(10, 7).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    type_cell(&j, monday, ivan, "5").await;
    let r = j
        .teacher
        .post(
            &format!("/lessons/{monday}"),
            &[
                ("topic", "Натуральные числа"),
                ("homework", "§ 1, № 5–9"),
                ("homework_minutes", "30"),
            ],
        )
        .await;
    assert!(r.status().is_success());
    j.app.clock.set(msk(10, 7, 10, 30));
    type_cell(&j, wednesday, ivan, "н").await;

    for login in ["student", "parent"] {
        let who = j.app.signed_in(login).await;
        let home = if login == "student" {
            "/pupil"
        } else {
            "/parent"
        };
        let html = body(&who, home).await;
        assert!(html.contains("Морозов Иван"), "{html}");
        let week = body(&who, "/diary?week=2026-10-05").await;
        assert!(week.contains("Математика"), "{week}");
        assert!(
            week.contains("class=\"mark\"") && week.contains(">5<small>"),
            "the mark: {week}"
        );
        assert!(week.contains("Натуральные числа"), "the topic: {week}");
        assert!(
            week.contains("Домашнее задание к 07.10") && week.contains("§ 1, № 5–9"),
            "homework with its due lesson: {week}"
        );
        assert!(week.contains(">н</span>"), "the absence: {week}");
        let marks = body(&who, "/diary/marks").await;
        assert!(
            marks.contains("Математика") && marks.contains("5,00"),
            "the average: {marks}"
        );
        assert!(
            marks.contains("Н/А"),
            "one mark is too few for a period mark (J11): {marks}"
        );
    }
    let parent = j.app.signed_in("parent").await;
    let info = body(&parent, "/diary/info").await;
    let teacher_name: String = sqlx::query_scalar(
        "SELECT last_name || ' ' || first_name FROM account WHERE login = 'teacher'",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let maths = info
        .split("<tr>")
        .find(|row| row.contains("Математика"))
        .expect("maths among the subjects");
    assert!(maths.contains(&teacher_name), "the group's teacher: {info}");
    assert!(info.contains("Классный руководитель"), "{info}");
}

#[tokio::test]
async fn s4_a_parent_sees_only_their_own_child_another_childs_id_answers_404_even_in_the_same_class()
 {
    let j = maths_5b().await;
    let ivan = pupil_id(&j.app, "student").await;
    let classmate = *j.pupils.iter().find(|&&p| p != ivan).unwrap();
    let parent = j.app.signed_in("parent").await;
    let student = j.app.signed_in("student").await;
    let other_school = j.app.signed_in("parent2").await;
    for path in ["/diary", "/diary/marks", "/diary/info", "/diary/week"] {
        let own = format!("{path}?pupil={ivan}");
        assert_eq!(parent.get(&own).await.status(), StatusCode::OK, "{own}");
        let theirs = format!("{path}?pupil={classmate}");
        assert_eq!(
            parent.get(&theirs).await.status(),
            StatusCode::NOT_FOUND,
            "{theirs}"
        );
        assert_eq!(
            student.get(&theirs).await.status(),
            StatusCode::NOT_FOUND,
            "{theirs}"
        );
        assert_eq!(
            other_school.get(&own).await.status(),
            StatusCode::NOT_FOUND,
            "another school's pupil {own}"
        );
    }
    assert_eq!(
        parent
            .get(&format!("/diary/events?pupil={classmate}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // The class teacher reads the diaries of the class, not of another class.
    let class_teacher = j.app.signed_in("classteacher").await;
    assert_eq!(
        class_teacher
            .get(&format!("/diary?pupil={ivan}"))
            .await
            .status(),
        StatusCode::OK
    );
    let elsewhere: i64 = sqlx::query_scalar(
        "SELECT e.pupil_id FROM class_enrollment e JOIN school_class c ON c.id = e.class_id
         WHERE e.class_id <> $1 AND c.school_id = (SELECT school_id FROM school_class WHERE id = $1)
         LIMIT 1",
    )
    .bind(j.class_id)
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    assert_eq!(
        class_teacher
            .get(&format!("/diary?pupil={elsewhere}"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // A teacher who is not the class teacher has no diary of pupils.
    let teacher = j.app.signed_in("teacher").await;
    assert_eq!(
        teacher.get(&format!("/diary?pupil={ivan}")).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn s4_the_pupil_cannot_write_anywhere() {
    let j = maths_5b().await;
    let ivan = pupil_id(&j.app, "student").await;
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let student = j.app.signed_in("student").await;
    let (lesson, pupil) = (monday.to_string(), ivan.to_string());
    let (cell, period_mark) = (format!("cell_0_{ivan}"), format!("value_{ivan}"));
    let attempts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/journal/cells".into(),
            vec![("lesson", &lesson), ("pupil", &pupil), ("value", "5")],
        ),
        (format!("/lessons/{monday}"), vec![("topic", "Моя тема")]),
        (
            format!("/lessons/{monday}/cells"),
            vec![(cell.as_str(), "5")],
        ),
        (
            "/diary/ack".into(),
            vec![("pupil", &pupil), ("week", "2026-10-05")],
        ),
        (
            "/class-teacher/risk".into(),
            vec![("pupil", &pupil), ("on", "1")],
        ),
        (
            format!("/journal/{}/period-marks", j.group),
            vec![(period_mark.as_str(), "5")],
        ),
    ];
    for (path, form) in attempts {
        let r = student.post(&path, &form).await;
        assert!(
            matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{path}: {}",
            r.status()
        );
    }
    let written: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM mark WHERE pupil_id = $1)
              + (SELECT count(*) FROM diary_ack WHERE pupil_id = $1)
              + (SELECT count(*) FROM risk_pupil WHERE pupil_id = $1)
              + (SELECT count(*) FROM lesson WHERE topic = 'Моя тема')",
    )
    .bind(ivan)
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    assert_eq!(written, 0, "nothing written");
}

#[tokio::test]
async fn s4_an_open_diary_hears_of_a_new_mark_at_once_and_not_of_a_classmates() {
    let j = maths_5b().await;
    let ivan = pupil_id(&j.app, "student").await;
    let classmate = *j.pupils.iter().find(|&&p| p != ivan).unwrap();
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let parent = j.app.signed_in("parent").await;
    let mut stream = parent.get("/diary/events").await;
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    // Let the stream subscribe before the writes (the response head is sent after it has).
    type_cell(&j, monday, classmate, "4").await;
    type_cell(&j, monday, ivan, "5").await;
    let mut seen = String::new();
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: changed") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(got, Ok(true), "the stream said: {seen:?}");
    assert_eq!(
        seen.matches("event: changed").count(),
        1,
        "the classmate's mark is not this diary's news: {seen:?}"
    );
    // What the page then fetches has the new mark.
    let week = body(&parent, "/diary/week?week=2026-10-05").await;
    assert!(week.contains(">5<small>"), "{week}");
}

#[tokio::test]
async fn s4_000_15_a_parent_acknowledges_a_week_and_the_class_teacher_sees_who_has_and_who_has_not_opened_the_diary()
 {
    let j = maths_5b().await;
    let ivan = pupil_id(&j.app, "student").await;
    j.app.clock.set(msk(10, 8, 19, 0));
    let parent = j.app.signed_in("parent").await;
    let page = body(&parent, "/parent").await;
    assert!(
        page.contains("Ознакомлен(а) с дневником за неделю"),
        "{page}"
    );
    let r = parent
        .post(
            "/diary/ack",
            &[("pupil", &ivan.to_string()), ("week", "2026-10-05")],
        )
        .await;
    let page = r.text().await.unwrap();
    assert!(
        page.contains("С дневником за эту неделю ознакомлен(а) 08.10.2026 19:00"),
        "{page}"
    );
    // A week that has not begun cannot be acknowledged.
    let r = parent
        .post(
            "/diary/ack",
            &[("pupil", &ivan.to_string()), ("week", "2026-10-19")],
        )
        .await;
    assert!(r.text().await.unwrap().contains("ещё не началась"));
    let acks: i64 = sqlx::query_scalar("SELECT count(*) FROM diary_ack WHERE pupil_id = $1")
        .bind(ivan)
        .fetch_one(&j.app.pool)
        .await
        .unwrap();
    assert_eq!(acks, 1);

    let class_teacher = j.app.signed_in("classteacher").await;
    let activity = body(&class_teacher, "/class-teacher/parents").await;
    let row = activity
        .split("<tr")
        .find(|r| r.contains("Морозова Анна"))
        .expect("the parent's row");
    assert!(
        row.contains("08.10.2026") && row.contains("неделя с 05.10"),
        "{row}"
    );
    assert!(!row.contains("inactive"), "{row}");
    let home = body(&class_teacher, "/class-teacher").await;
    let to_call = home.split("не открывавшие дневник").nth(1).unwrap();
    assert!(!to_call.contains("Морозова Анна"), "opened today: {home}");

    // 003: two weeks later without opening it, she is on the list to call, with her phone.
    j.app.clock.set(msk(10, 22, 19, 0));
    let home = body(&class_teacher, "/class-teacher").await;
    let to_call = home.split("не открывавшие дневник").nth(1).unwrap();
    assert!(
        to_call.contains("Морозова Анна") && to_call.contains("+79120000001"),
        "{to_call}"
    );
}

#[tokio::test]
async fn s4_003_the_class_teacher_sets_the_weeks_absence_reasons_and_keeps_a_risk_group() {
    let j = maths_5b().await;
    let ivan = pupil_id(&j.app, "student").await;
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    type_cell(&j, monday, ivan, "н").await;
    type_cell(&j, monday, ivan, "н2").await;
    let class_teacher = j.app.signed_in("classteacher").await;
    let page = body(&class_teacher, "/class-teacher/absences?week=2026-10-05").await;
    let field = format!("r_{monday}_{ivan}");
    assert!(page.contains(&field), "{page}");
    let r = class_teacher
        .post(
            "/class-teacher/absences?week=2026-10-05",
            &[(field.as_str(), "ill")],
        )
        .await;
    assert!(r.text().await.unwrap().contains("Сохранено причин: 1."));
    let reason: Option<String> =
        sqlx::query_scalar("SELECT reason FROM absence WHERE lesson_id = $1 AND pupil_id = $2")
            .bind(monday)
            .bind(ivan)
            .fetch_one(&j.app.pool)
            .await
            .unwrap();
    assert_eq!(reason.as_deref(), Some("ill"));
    let week = body(&j.app.signed_in("parent").await, "/diary?week=2026-10-05").await;
    assert!(week.contains("н (Б)"), "{week}");

    let r = class_teacher
        .post(
            "/class-teacher/risk",
            &[
                ("pupil", &ivan.to_string()),
                ("on", "1"),
                ("note", "Много двоек"),
            ],
        )
        .await;
    let home = r.text().await.unwrap();
    let risk = home.split("Группа риска").nth(1).unwrap();
    let risk = risk.split("<form").next().unwrap();
    assert!(
        risk.contains("Морозов Иван") && risk.contains("Много двоек") && risk.contains("2"),
        "with today's mark: {risk}"
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'risk.marked' AND subject_id = $1",
    )
    .bind(ivan)
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    // A pupil of another class is not the class teacher's to mark.
    let stranger: i64 = sqlx::query_scalar(
        "SELECT e.pupil_id FROM class_enrollment e WHERE e.class_id <> $1 AND e.ends_on IS NULL LIMIT 1",
    )
    .bind(j.class_id)
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let r = class_teacher
        .post(
            "/class-teacher/risk",
            &[("pupil", &stranger.to_string()), ("on", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let report = body(&class_teacher, "/class-teacher/report").await;
    assert!(report.contains("Предварительный отчёт"), "{report}");
    assert!(report.contains("Математика"), "{report}");
}

#[tokio::test]
async fn s4_the_printed_weekly_extract_has_a_page_per_pupil_with_the_weeks_marks() {
    let j = maths_5b().await;
    let ivan = pupil_id(&j.app, "student").await;
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    type_cell(&j, monday, ivan, "4").await;
    let class_teacher = j.app.signed_in("classteacher").await;
    let r = class_teacher
        .get("/class-teacher/extract.pdf?week=2026-10-05")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    let file = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
    std::fs::write(file.path(), &pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(file.path())
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    let text = String::from_utf8(out.stdout).unwrap();
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert!(
        pages.len() >= j.pupils.len(),
        "a page per pupil: {}",
        pages.len()
    );
    let ivans = pages
        .iter()
        .find(|p| p.contains("Морозов Иван"))
        .expect("Ivan's page");
    assert!(
        ivans.contains("Выписка из электронного дневника"),
        "{ivans}"
    );
    assert!(ivans.contains("05.10.2026 — 11.10.2026"), "{ivans}");
    assert!(
        ivans.contains("Математика — отметки: 4"),
        "the week's mark: {ivans}"
    );
    assert!(ivans.contains("ознакомлен"), "{ivans}");
    // Parents and pupils do not print the class's extract.
    let parent = j.app.signed_in("parent").await;
    assert_eq!(
        parent
            .get("/class-teacher/extract.pdf?week=2026-10-05")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}
