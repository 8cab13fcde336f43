//! The diary of pupils and parents and the class teacher's work with families (regulations §4;
//! 000 §15, 003, 004), over HTTP with the demo's 5«Б»: Морозов Иван (`student`), his mother
//! (`parent`), the class teacher (`classteacher`), the maths journal of `teacher`.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{Client, TestApp};
use crate::journal::{Journal, maths_5b, msk};

pub(crate) async fn pupil_id(app: &TestApp, login: &str) -> i64 {
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
            week.contains("Задано к 07.10: § 1, № 5–9"),
            "homework on the day set, with the day it is due: {week}"
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
        let maths = marks
            .split("<tr>")
            .find(|row| row.contains("Математика"))
            .expect("maths among the subjects");
        assert!(
            maths.contains("<td data-label=\"Пропуски\">1</td>"),
            "the one absence, counted with the subject: {marks}"
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
    // A note too long is refused next to its field, with what was typed and the pupil chosen
    // still there, and nothing written.
    let classmate = *j.pupils.iter().find(|&&p| p != ivan).unwrap();
    let long = format!("Пропускает уроки физкультуры. {}", "Очень ".repeat(80));
    let r = class_teacher
        .post(
            "/class-teacher/risk",
            &[
                ("pupil", &classmate.to_string()),
                ("on", "1"),
                ("note", &long),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Слишком длинный текст: 509 символов при пределе 500."),
        "{page}"
    );
    assert!(page.contains(long.trim_end()), "the typed note is kept");
    assert!(
        page.contains(&format!("<option value=\"{classmate}\" selected>")),
        "the pupil chosen is kept"
    );
    let in_group: i64 = sqlx::query_scalar("SELECT count(*) FROM risk_pupil WHERE pupil_id = $1")
        .bind(classmate)
        .fetch_one(&j.app.pool)
        .await
        .unwrap();
    assert_eq!(in_group, 0, "nothing written");
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

/// The text of a PDF (`pdftotext -layout`), page by page.
fn pdf_pages(pdf: &[u8]) -> Vec<String> {
    let file = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
    std::fs::write(file.path(), pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(file.path())
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    String::from_utf8(out.stdout)
        .unwrap()
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// The pupils of the class named on the pages of a printed extract.
async fn printed_pupils(client: &Client, path: &str, j: &Journal) -> Vec<i64> {
    let r = client.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let text = pdf_pages(&r.bytes().await.unwrap()).join("\n");
    let names: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, last_name || ' ' || first_name FROM pupil WHERE id = ANY($1) ORDER BY id",
    )
    .bind(&j.pupils)
    .fetch_all(&j.app.pool)
    .await
    .unwrap();
    names
        .into_iter()
        .filter(|(_, name)| text.contains(name.as_str()))
        .map(|(id, _)| id)
        .collect()
}

#[tokio::test]
async fn s4_the_weekly_extract_is_printed_for_the_parents_who_asked_for_paper_or_refused_electronic_information()
 {
    let j = maths_5b().await;
    let ivan = pupil_id(&j.app, "student").await;
    j.app.clock.set(msk(10, 9, 15, 0));
    let pool = &j.app.pool;
    // Nobody of the class gets paper but the parents who refused electronic processing.
    sqlx::query("UPDATE parent SET paper_extract = false")
        .execute(pool)
        .await
        .unwrap();
    let mut refused: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT pp.pupil_id FROM pupil_parent pp JOIN parent par ON par.id = pp.parent_id
         WHERE pp.pupil_id = ANY($1) AND par.pd_consent IS FALSE ORDER BY 1",
    )
    .bind(&j.pupils)
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(!refused.contains(&ivan), "Ivan's mother consented");
    let mother: i64 = sqlx::query_scalar(
        "SELECT par.id FROM parent par JOIN account a ON a.id = par.account_id WHERE a.login = 'parent'",
    )
    .fetch_one(pool)
    .await
    .unwrap();

    // Ivan's mother asks for the diary on paper; the class teacher records it (audited).
    let class_teacher = j.app.signed_in("classteacher").await;
    let r = class_teacher
        .post(
            "/class-teacher/paper",
            &[("parent", &mother.to_string()), ("on", "1")],
        )
        .await;
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Родитель будет получать выписку на бумаге."),
        "{page}"
    );
    assert!(page.contains(">не печатать<"), "{page}");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'parent.paper_extract' AND subject_id = $1",
    )
    .bind(mother)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // The paper extract: Ivan and the children of parents who refused, nobody else.
    let mut expected = refused.clone();
    expected.push(ivan);
    expected.sort();
    let mut printed = printed_pupils(
        &class_teacher,
        "/class-teacher/extract.pdf?only=paper&week=2026-10-05",
        &j,
    )
    .await;
    printed.sort();
    assert_eq!(printed, expected);
    let home = body(&class_teacher, "/class-teacher").await;
    assert!(
        home.contains(&format!(
            "родители, получающие выписку на бумаге ({})",
            expected.len()
        )),
        "{home}"
    );

    // One pupil's extract, for a parent who comes to school for it.
    let classmate = *j.pupils.iter().find(|p| !expected.contains(p)).unwrap();
    let one = printed_pupils(
        &class_teacher,
        &format!("/class-teacher/extract.pdf?pupil={classmate}&week=2026-10-05"),
        &j,
    )
    .await;
    assert_eq!(one, vec![classmate]);

    // She no longer needs it: the paper list is back to the refusals.
    class_teacher
        .post(
            "/class-teacher/paper",
            &[("parent", &mother.to_string()), ("on", "0")],
        )
        .await;
    refused.sort();
    if refused.is_empty() {
        let r = class_teacher
            .get("/class-teacher/extract.pdf?only=paper&week=2026-10-05")
            .await;
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("Выписку на бумаге не получает ни один родитель класса.")
        );
    } else {
        let printed = printed_pupils(
            &class_teacher,
            "/class-teacher/extract.pdf?only=paper&week=2026-10-05",
            &j,
        )
        .await;
        assert_eq!(printed, refused);
    }

    // Another class's pupil and parent are not this class teacher's: 404, nothing written.
    let (stranger, strangers_parent): (i64, i64) = sqlx::query_as(
        "SELECT e.pupil_id, pp.parent_id FROM class_enrollment e
         JOIN pupil_parent pp ON pp.pupil_id = e.pupil_id
         WHERE e.class_id <> $1 AND e.ends_on IS NULL LIMIT 1",
    )
    .bind(j.class_id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        class_teacher
            .get(&format!("/class-teacher/extract.pdf?pupil={stranger}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let r = class_teacher
        .post(
            "/class-teacher/paper",
            &[("parent", &strangers_parent.to_string()), ("on", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let paper: i64 = sqlx::query_scalar("SELECT count(*) FROM parent WHERE paper_extract")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(paper, 0);
    // Parents do not record it themselves.
    let parent = j.app.signed_in("parent").await;
    let r = parent
        .post(
            "/class-teacher/paper",
            &[("parent", &mother.to_string()), ("on", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
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
    let pages = pdf_pages(&r.bytes().await.unwrap());
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

/// The day's section of a diary week.
fn day<'a>(week: &'a str, date: &str) -> &'a str {
    let at = week
        .find(&format!("data-date=\"{date}\""))
        .unwrap_or_else(|| panic!("{date} in the week"));
    let rest = &week[at..];
    &rest[..rest.find("</section>").expect("the day's end")]
}

#[tokio::test]
async fn s4_homework_shows_under_the_day_it_is_due_and_as_set_on_the_day_it_was_set() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    let wednesday = j.lesson(10, 7).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    j.teacher
        .post(
            &format!("/lessons/{monday}"),
            &[
                ("topic", "Натуральные числа"),
                ("homework", "§ 1, № 5–9"),
                ("homework_minutes", "30"),
            ],
        )
        .await;
    // Wednesday's homework is due next week's Monday.
    j.app.clock.set(msk(10, 7, 10, 30));
    j.teacher
        .post(
            &format!("/lessons/{wednesday}"),
            &[("topic", "Сложение"), ("homework", "§ 2, № 12")],
        )
        .await;

    let parent = j.app.signed_in("parent").await;
    let week = body(&parent, "/diary?week=2026-10-05").await;
    let (mon, wed) = (day(&week, "2026-10-05"), day(&week, "2026-10-07"));
    assert!(
        wed.contains("Домашнее задание:</span> § 1, № 5–9")
            && wed.contains("(~30 мин)")
            && wed.contains("задано 05.10"),
        "under the day it is due: {wed}"
    );
    assert!(
        mon.contains("Задано к 07.10: § 1, № 5–9"),
        "«задано» on the day set: {mon}"
    );
    assert!(!mon.contains("Домашнее задание:"), "nothing due: {mon}");
    assert!(wed.contains("Задано к 12.10: § 2, № 12"), "{wed}");
    let next = body(&parent, "/diary?week=2026-10-12").await;
    assert!(
        day(&next, "2026-10-12").contains("Домашнее задание:</span> § 2, № 12")
            && day(&next, "2026-10-12").contains("задано 07.10"),
        "due across the week's edge: {next}"
    );
}

#[tokio::test]
async fn s4_a_mark_opens_its_work_type_weight_and_date_without_hovering_in_the_week_and_the_marks()
{
    let j = maths_5b().await;
    let ivan = pupil_id(&j.app, "student").await;
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let control: i64 = sqlx::query_scalar(
        "SELECT w.id FROM work_type w JOIN school s ON s.id = w.school_id
         WHERE s.slug = 'demo-1' AND w.name = 'Контрольная работа'",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    j.teacher
        .post(
            &format!("/lessons/{monday}/columns/type"),
            &[("work_type", &control.to_string())],
        )
        .await;
    type_cell(&j, monday, ivan, "4").await;

    let parent = j.app.signed_in("parent").await;
    let week = body(&parent, "/diary?week=2026-10-05").await;
    assert!(
        day(&week, "2026-10-05").contains(
            "<details class=\"mark-d\"><summary class=\"mark\">4<small>К</small></summary>\
             <span class=\"mark-facts\">Контрольная работа, вес 2, 05.10.2026</span></details>"
        ),
        "{week}"
    );
    let marks = body(&parent, "/diary/marks").await;
    assert!(
        marks.contains(
            "<details class=\"mark-d\"><summary class=\"mark\">4</summary>\
             <span class=\"mark-facts\">05.10.2026, Контрольная работа, вес 2</span></details>"
        ),
        "{marks}"
    );
}
