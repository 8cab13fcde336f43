//! Teachers' absences (J15, regulations §5): a deputy or the director registers them on the page
//! of substitutions, with a Russian message next to each bad field and nothing saved; each write is
//! audited; the control start page counts the next school day's lessons whose teacher is absent
//! and that have no substitute (a substitute who is absent too counts), and the list behind the
//! count links to the substitution form.

use chrono::{NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;

use crate::helpers::{Client, TestApp, spawn_app};
use crate::tables::{cells, page};

fn d(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

async fn scalar(app: &TestApp, sql: &str, bind: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn school_1(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT id FROM school WHERE slug = 'demo-1'")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// A whole-class group of 5Б with a new subject.
async fn group(app: &TestApp, subject: &str) -> i64 {
    let school = school_1(app).await;
    sqlx::query_scalar(
        "WITH s AS (INSERT INTO subject (school_id, name, short_name) VALUES ($1, $2, left($2, 5)) RETURNING id)
         INSERT INTO study_group (school_id, academic_year_id, subject_id, kind, class_id, name)
         SELECT c.school_id, c.academic_year_id, s.id, 'whole_class', c.id, '5Б'
         FROM school_class c, s WHERE c.school_id = $1 AND c.grade = 5 AND c.letter = 'Б'
         RETURNING id",
    )
    .bind(school)
    .bind(subject)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn lesson(
    app: &TestApp,
    group: i64,
    date: NaiveDate,
    number: i16,
    teacher: &str,
    status: &str,
) -> i64 {
    let school = school_1(app).await;
    sqlx::query_scalar(
        "INSERT INTO lesson (school_id, group_id, lesson_date, lesson_number, teacher_id, status)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(school)
    .bind(group)
    .bind(date)
    .bind(number)
    .bind(app.account_id(teacher).await)
    .bind(status)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn substitute(app: &TestApp, lesson: i64, teacher: &str) {
    let school = school_1(app).await;
    sqlx::query(
        "INSERT INTO substitution (school_id, lesson_id, teacher_id, registered_by, registered_at)
         VALUES ($1, $2, $3, $3, now())",
    )
    .bind(school)
    .bind(lesson)
    .bind(app.account_id(teacher).await)
    .execute(&app.pool)
    .await
    .unwrap();
}

/// The number the start page shows for `label`.
fn count_of(page: &str, label: &str) -> i64 {
    let key = format!("aria-label=\"{label}: ");
    page.split(&key)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("«{label}» on the page"))
}

const NO_TEACHER: &str = "Уроки завтра без учителя";

async fn absences(app: &TestApp) -> i64 {
    scalar(app, "SELECT count(*) FROM teacher_absence WHERE $1 = $1", 0).await
}

async fn audited(app: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = $1")
        .bind(action)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn register(
    client: &Client,
    teacher: &str,
    from: &str,
    to: &str,
    reason: &str,
) -> reqwest::Response {
    client
        .post(
            "/deputy/absences",
            &[
                ("teacher", teacher),
                ("from", from),
                ("to", to),
                ("reason", reason),
            ],
        )
        .await
}

/// Friday 20.11.2026, noon in Moscow: the next school day is Monday 23.11.
fn friday_noon() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()
}

#[tokio::test]
async fn j15_lessons_of_the_next_school_day_whose_teacher_is_absent_and_not_substituted_are_counted_and_listed()
 {
    let app = spawn_app().await;
    app.clock.set(friday_noon());
    let maths = group(&app, "Математика-замены").await;
    let russian = group(&app, "Русский-замены").await;
    // Monday 23.11: the teacher's 1st lesson (no substitute), 2nd (the class teacher substitutes),
    // a cancelled 3rd; the deputy's 4th substituted by the teacher (absent too); Tuesday 24.11:
    // the teacher's lesson (not the next school day).
    let first = lesson(&app, maths, d(23), 1, "teacher", "scheduled").await;
    let second = lesson(&app, russian, d(23), 2, "teacher", "scheduled").await;
    substitute(&app, second, "classteacher").await;
    lesson(&app, maths, d(23), 3, "teacher", "cancelled").await;
    let fourth = lesson(&app, russian, d(23), 4, "deputy", "scheduled").await;
    substitute(&app, fourth, "teacher").await;
    lesson(&app, maths, d(24), 1, "teacher", "scheduled").await;

    let deputy = app.signed_in("deputy").await;
    assert_eq!(count_of(&page(&deputy, "/deputy").await, NO_TEACHER), 0);

    let teacher = app.account_id("teacher").await.to_string();
    let r = register(&deputy, &teacher, "2026-11-23", "24.11.2026", "Больничный").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Отсутствие учителя зарегистрировано"),
        "{html}"
    );
    assert!(html.contains("Васильева Наталья Сергеевна"));
    assert!(html.contains("с 23.11.2026 по 24.11.2026"));
    assert_eq!(audited(&app, "teacher_absence.registered").await, 1);

    // The 1st lesson (no substitute) and the 4th (the substitute is absent): 2.
    let director = app.signed_in("director").await;
    for (client, home) in [(&deputy, "/deputy"), (&director, "/director")] {
        let home = page(client, home).await;
        assert_eq!(count_of(&home, NO_TEACHER), 2);
        assert!(home.contains("href=\"/control/no-teacher\""));
    }
    let list = page(&deputy, "/control/no-teacher").await;
    let rows = cells(&list);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        rows[0][..5],
        [
            "23.11.2026",
            "1-й урок",
            "5«Б» 5Б",
            "Математика-замены",
            "Васильева Наталья Сергеевна"
        ]
    );
    assert_eq!(
        rows[1][..5],
        [
            "23.11.2026",
            "4-й урок",
            "5«Б» 5Б",
            "Русский-замены",
            "Васильева Наталья Сергеевна (замещающий)"
        ]
    );
    // Each links to its lesson's substitution form.
    assert!(list.contains(&format!(
        "href=\"/deputy/lessons?date=2026-11-23&amp;lesson={first}#lesson-form\""
    )));
    assert!(list.contains(&format!(
        "href=\"/deputy/lessons?date=2026-11-23&amp;lesson={fourth}#lesson-form\""
    )));

    // A substitute for the 1st lesson: one left.
    let r = deputy
        .post(
            &format!("/deputy/lessons/{first}/substitute"),
            &[
                ("teacher", &app.account_id("classteacher").await.to_string()),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(count_of(&page(&deputy, "/deputy").await, NO_TEACHER), 1);
    let list = page(&deputy, "/control/no-teacher").await;
    assert_eq!(cells(&list).len(), 1);

    // The absence removed: none, and the removal is audited.
    let id = scalar(&app, "SELECT max(id) FROM teacher_absence WHERE $1 = $1", 0).await;
    let r = deputy
        .post(&format!("/deputy/absences/{id}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Отсутствие учителя снято"));
    assert_eq!(absences(&app).await, 0);
    assert_eq!(audited(&app, "teacher_absence.removed").await, 1);
    assert_eq!(count_of(&page(&deputy, "/deputy").await, NO_TEACHER), 0);
    assert!(
        page(&deputy, "/control/no-teacher")
            .await
            .contains("Таких уроков нет.")
    );
}

#[tokio::test]
async fn a_bad_absence_form_comes_back_filled_in_with_a_russian_message_and_nothing_is_saved() {
    let app = spawn_app().await;
    app.clock.set(friday_noon());
    let deputy = app.signed_in("deputy").await;
    let teacher = app.account_id("teacher").await.to_string();
    let other_school = app.account_id("teacher2").await.to_string();
    let long = "я".repeat(201);
    for (who, from, to, reason, message) in [
        (
            teacher.as_str(),
            "2026-11-25",
            "2026-11-23",
            "Курсы",
            "Укажите дату окончания не раньше даты начала.",
        ),
        (
            "999999999",
            "2026-11-23",
            "2026-11-23",
            "Курсы",
            "Выберите учителя из списка.",
        ),
        (
            other_school.as_str(),
            "2026-11-23",
            "2026-11-23",
            "Курсы",
            "Выберите учителя из списка.",
        ),
        (
            "",
            "2026-11-23",
            "2026-11-23",
            "Курсы",
            "Выберите учителя из списка.",
        ),
        (teacher.as_str(), "", "2026-11-23", "Курсы", "Укажите дату."),
        (
            teacher.as_str(),
            "32.11.2026",
            "2026-11-23",
            "Курсы",
            "Укажите дату в виде ДД.ММ.ГГГГ",
        ),
        (
            teacher.as_str(),
            "2026-11-23",
            "2026-11-23",
            long.as_str(),
            "Слишком длинный текст",
        ),
    ] {
        let r = register(&deputy, who, from, to, reason).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
        assert!(
            html.contains(&format!("value=\"{reason}\"")),
            "the form is filled in"
        );
        assert!(
            !html.contains("Фёдорова"),
            "another school's teacher is not named"
        );
    }
    assert_eq!(absences(&app).await, 0);
    assert_eq!(audited(&app, "teacher_absence.registered").await, 0);
}

#[tokio::test]
async fn only_a_deputy_or_the_director_registers_absences_and_another_schools_absence_is_not_found()
{
    let app = spawn_app().await;
    app.clock.set(friday_noon());
    let teacher = app.account_id("teacher").await.to_string();
    for login in ["teacher", "classteacher", "admin", "parent", "student"] {
        let client = app.signed_in(login).await;
        let r = register(&client, &teacher, "2026-11-23", "2026-11-23", "").await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{login}");
    }
    assert_eq!(absences(&app).await, 0);
    // The administrator sees the page of substitutions without the form.
    let admin = app.signed_in("admin").await;
    let html = page(&admin, "/deputy/lessons").await;
    assert!(html.contains("Отсутствие учителей"));
    assert!(!html.contains("action=\"/deputy/absences\""));
    // The director registers one.
    let director = app.signed_in("director").await;
    let r = register(&director, &teacher, "2026-11-23", "2026-11-23", "").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(absences(&app).await, 1);
    // Another school's absence: 404 for this school's deputy, and it stays.
    let school_2: i64 = sqlx::query_scalar("SELECT id FROM school WHERE slug = 'demo-2'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let teacher_2 = app.account_id("teacher2").await;
    let foreign: i64 = sqlx::query_scalar(
        "INSERT INTO teacher_absence (school_id, teacher_id, starts_on, ends_on, registered_by, registered_at)
         VALUES ($1, $2, '2026-11-23', '2026-11-23', $2, now()) RETURNING id",
    )
    .bind(school_2)
    .bind(teacher_2)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let deputy = app.signed_in("deputy").await;
    let r = deputy
        .post(&format!("/deputy/absences/{foreign}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(absences(&app).await, 2);
    assert!(!page(&deputy, "/deputy/lessons").await.contains("Фёдорова"));
}
