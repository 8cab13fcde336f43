//! Internal messages (regulations §4: class teachers message parents through the system's
//! internal mail): a parent and the staff of their child's circle — the child's teachers, the
//! class teacher, deputies and the director — write to each other; nobody else is offered, a
//! forged recipient is refused with nothing written, and a thread is seen only by its
//! participants.

use chrono::{DateTime, TimeZone, Utc};
use reqwest::StatusCode;

use crate::helpers::{Client, TestApp, path_of, spawn_app};

/// 23.11.2026 at `h`:00 in Moscow (a Monday of the second quarter).
fn msk(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap() - chrono::Duration::hours(3)
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

/// The menu's «Сообщения» with one unread.
const BADGE_ONE: &str = "Сообщения <span class=\"count\" title=\"Непрочитанных: 1\">1";

async fn app() -> TestApp {
    let app = spawn_app().await;
    app.clock.set(msk(10));
    app
}

/// The demo parent's child (Морозов Иван, 5«Б»).
async fn child(app: &TestApp) -> i64 {
    scalar(
        app,
        "SELECT m.pupil_id FROM membership m JOIN account a ON a.id = m.account_id
         WHERE a.login = 'parent' AND m.role = 'parent'",
    )
    .await
}

async fn to(app: &TestApp, pupil: i64, login: &str) -> String {
    format!("{pupil}:{}", app.account_id(login).await)
}

async fn counts(app: &TestApp) -> (i64, i64, i64) {
    (
        scalar(app, "SELECT count(*) FROM message_thread").await,
        scalar(app, "SELECT count(*) FROM thread_participant").await,
        scalar(app, "SELECT count(*) FROM message").await,
    )
}

/// Starts a thread; returns its id (from the page it lands on).
async fn write(client: &Client, to: &str, subject: &str, body: &str) -> i64 {
    let r = client
        .post(
            "/messages/new",
            &[("to", to), ("subject", subject), ("body", body)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "the thread is written");
    let path = path_of(&r);
    assert!(r.text().await.unwrap().contains("Сообщение отправлено"));
    path.trim_start_matches("/messages/")
        .parse()
        .expect("on the thread's page")
}

/// 5«Б» learns mathematics with `teacher` (the deputy sets the subject, the curriculum and the
/// load).
async fn teacher_teaches_5b(app: &TestApp) {
    let deputy = app.signed_in("deputy").await;
    let class_id = scalar(
        app,
        "SELECT c.id FROM school_class c JOIN school s ON s.id = c.school_id
         WHERE s.slug = 'demo-1' AND c.grade = 5 AND c.letter = 'Б'",
    )
    .await;
    deputy
        .post(
            "/setup/subjects",
            &[
                ("name", "Математика"),
                ("component", "federal"),
                ("scale", "five_point"),
            ],
        )
        .await;
    let subject = scalar(app, "SELECT id FROM subject WHERE name = 'Математика'").await;
    deputy
        .post(
            &format!("/classes/{class_id}/curriculum"),
            &[("subject", &subject.to_string()), ("hours", "4")],
        )
        .await;
    let group = scalar(
        app,
        &format!(
            "SELECT id FROM study_group WHERE class_id = {class_id} AND subject_id = {subject}"
        ),
    )
    .await;
    let teacher = app.account_id("teacher").await.to_string();
    deputy
        .post(
            &format!("/groups/{group}/teacher"),
            &[("teacher", &teacher), ("hours", "4")],
        )
        .await;
    assert_eq!(
        scalar(app, "SELECT count(*) FROM teaching_assignment").await,
        1,
        "the load is set"
    );
}

#[tokio::test]
async fn regulations_4_a_parent_writes_to_the_class_teacher_who_replies_and_unread_counts_drop_after_reading()
 {
    let app = app().await;
    let pupil = child(&app).await;
    let parent = app.signed_in("parent").await;

    let (status, form) = parent.text("/messages/new").await;
    assert_eq!(status, StatusCode::OK);
    for offered in [
        "Классный руководитель",
        "Соколов Дмитрий Алексеевич",
        "Администрация",
        "Смирнова Елена Викторовна",
        "Кузнецов Андрей Петрович",
    ] {
        assert!(form.contains(offered), "{offered} is offered");
    }
    assert!(
        !form.contains("Васильева"),
        "a teacher who does not teach the child is not offered"
    );
    assert!(!form.contains("Попова"), "the administrator is not offered");

    let ct = to(&app, pupil, "classteacher").await;
    let id = write(
        &parent,
        &ct,
        "Пропуск в четверг",
        "Ваня в четверг будет у врача.\nСправку принесём.",
    )
    .await;
    assert_eq!(counts(&app).await, (1, 2, 1));
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM audit_event WHERE action = 'message_thread.created'"
        )
        .await,
        1
    );

    // The class teacher sees one unread thread, reads it, and it is read; every page's menu
    // counts the unread message until then.
    let teacher = app.signed_in("classteacher").await;
    let (_, home) = teacher.text("/class-teacher").await;
    assert!(home.contains(BADGE_ONE), "the menu counts it: {home}");
    let (_, inbox) = teacher.text("/messages").await;
    assert!(inbox.contains("Непрочитанных сообщений: <strong>1</strong>"));
    assert!(inbox.contains(&format!(
        "<strong><a href=\"/messages/{id}\">Пропуск в четверг</a></strong>"
    )));
    assert!(inbox.contains("Морозова Анна Викторовна"));
    assert!(inbox.contains("Морозов Иван, 5Б"));
    let (status, thread) = teacher.text(&format!("/messages/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(thread.contains("Ваня в четверг будет у врача."));
    assert!(thread.contains("новое"));
    let (_, inbox) = teacher.text("/messages").await;
    assert!(inbox.contains("Все сообщения прочитаны"));
    assert!(!inbox.contains("class=\"count\""), "no count in the menu");

    // The reply: the parent has one unread, sees it, then none.
    app.clock.set(msk(12));
    let r = teacher
        .post(
            &format!("/messages/{id}"),
            &[("body", "Спасибо, что предупредили.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Ответ отправлен"));
    let (_, diary) = parent.text("/parent").await;
    assert!(diary.contains(BADGE_ONE), "the parent's menu counts it");
    let (_, inbox) = parent.text("/messages").await;
    assert!(inbox.contains("Непрочитанных сообщений: <strong>1</strong>"));
    assert!(
        inbox.contains("23.11.2026 12:00"),
        "the last message's time"
    );
    let (_, thread) = parent.text(&format!("/messages/{id}")).await;
    let first = thread.find("Ваня в четверг").unwrap();
    let second = thread.find("Спасибо, что предупредили.").unwrap();
    assert!(first < second, "messages in order");
    let (_, inbox) = parent.text("/messages").await;
    assert!(inbox.contains("Все сообщения прочитаны"));
    let (_, diary) = parent.text("/parent").await;
    assert!(!diary.contains("class=\"count\""), "no count in the menu");
    assert_eq!(counts(&app).await, (1, 2, 2));
}

#[tokio::test]
async fn regulations_4_a_parent_cannot_write_to_a_teacher_who_does_not_teach_their_child_until_the_teacher_does()
 {
    let app = app().await;
    let pupil = child(&app).await;
    let parent = app.signed_in("parent").await;
    let forged = to(&app, pupil, "teacher").await;
    let r = parent
        .post(
            "/messages/new",
            &[
                ("to", &forged),
                ("subject", "Вопрос"),
                ("body", "Здравствуйте"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(counts(&app).await, (0, 0, 0), "nothing written");

    teacher_teaches_5b(&app).await;
    let (_, form) = parent.text("/messages/new").await;
    assert!(form.contains("Учителя"));
    assert!(form.contains("Васильева Наталья Сергеевна — Математика"));
    write(&parent, &forged, "Вопрос", "Здравствуйте").await;
    assert_eq!(counts(&app).await, (1, 2, 1));
}

#[tokio::test]
async fn a_parent_cannot_write_to_another_schools_staff_nor_about_another_child() {
    let app = app().await;
    let pupil = child(&app).await;
    let parent = app.signed_in("parent").await;
    let other_child = scalar(
        &app,
        &format!(
            "SELECT e.pupil_id FROM class_enrollment e
             WHERE e.pupil_id <> {pupil} AND e.class_id =
               (SELECT class_id FROM class_enrollment WHERE pupil_id = {pupil}) LIMIT 1"
        ),
    )
    .await;
    for forged in [
        to(&app, pupil, "director2").await,
        to(&app, pupil, "teacher2").await,
        to(&app, pupil, "parent").await,
        to(&app, other_child, "classteacher").await,
        "abc".to_string(),
    ] {
        let r = parent
            .post(
                "/messages/new",
                &[
                    ("to", &forged),
                    ("subject", "Вопрос"),
                    ("body", "Здравствуйте"),
                ],
            )
            .await;
        let expected = if forged == "abc" {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(r.status(), expected, "{forged}");
    }
    assert_eq!(counts(&app).await, (0, 0, 0), "nothing written");
}

#[tokio::test]
async fn regulations_4_a_teacher_writes_only_to_the_parents_of_pupils_they_teach() {
    let app = app().await;
    let pupil = child(&app).await;
    let teacher = app.signed_in("teacher").await;
    let (status, form) = teacher.text("/messages/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("Сейчас нет обучающихся"));
    let parent_to = to(&app, pupil, "parent").await;
    let r = teacher
        .post(
            "/messages/new",
            &[
                ("to", &parent_to),
                ("subject", "Контрольная"),
                ("body", "Повторите дроби."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(counts(&app).await, (0, 0, 0));

    teacher_teaches_5b(&app).await;
    let (_, form) = teacher.text("/messages/new").await;
    let class_id = scalar(
        &app,
        &format!("SELECT class_id FROM class_enrollment WHERE pupil_id = {pupil}"),
    )
    .await;
    assert!(form.contains(&format!("/messages/new?class={class_id}\">5Б</a>")));
    let (_, form) = teacher
        .text(&format!("/messages/new?class={class_id}"))
        .await;
    assert!(form.contains("Морозова Анна Викторовна (мать) — о ребёнке: Морозов Иван"));
    assert!(form.contains(&format!("value=\"{parent_to}\"")));
    write(&teacher, &parent_to, "Контрольная", "Повторите дроби.").await;
    let (_, inbox) = app.signed_in("parent").await.text("/messages").await;
    assert!(inbox.contains("Непрочитанных сообщений: <strong>1</strong>"));
    assert!(inbox.contains("Васильева Наталья Сергеевна"));

    // The director may write to any pupil's parents; another school's parent is not found.
    let director = app.signed_in("director").await;
    let (_, form) = director.text("/messages/new").await;
    assert!(form.contains("1А"), "every class of the school");
    let parent2 = scalar(
        &app,
        "SELECT m.pupil_id FROM membership m JOIN account a ON a.id = m.account_id
         WHERE a.login = 'parent2'",
    )
    .await;
    let forged = to(&app, parent2, "parent2").await;
    let r = director
        .post(
            "/messages/new",
            &[
                ("to", &forged),
                ("subject", "Вопрос"),
                ("body", "Здравствуйте"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(counts(&app).await, (1, 2, 1));
}

#[tokio::test]
async fn a_thread_answers_404_to_everyone_but_its_participants_and_to_another_school() {
    let app = app().await;
    let pupil = child(&app).await;
    let parent = app.signed_in("parent").await;
    let id = write(
        &parent,
        &to(&app, pupil, "classteacher").await,
        "Секретная тема",
        "Текст",
    )
    .await;

    // A parent of another child of 5«Б» (an account made here, password `demo`).
    let other_child = scalar(
        &app,
        &format!(
            "SELECT e.pupil_id FROM class_enrollment e
             WHERE e.pupil_id <> {pupil} AND e.class_id =
               (SELECT class_id FROM class_enrollment WHERE pupil_id = {pupil}) LIMIT 1"
        ),
    )
    .await;
    sqlx::query(
        "WITH a AS (
             INSERT INTO account (login, password_hash, last_name, first_name, must_change_password)
             SELECT 'otherparent', password_hash, 'Другая', 'Мама', false FROM account
             WHERE login = 'parent' RETURNING id)
         INSERT INTO membership (school_id, account_id, role, pupil_id)
         SELECT p.school_id, a.id, 'parent', p.id FROM a, pupil p WHERE p.id = $1",
    )
    .bind(other_child)
    .execute(&app.pool)
    .await
    .unwrap();

    for login in [
        "otherparent",
        "teacher",
        "director",
        "deputy",
        "parent2",
        "director2",
    ] {
        let client = app.signed_in(login).await;
        let path = format!("/messages/{id}");
        assert_eq!(
            client.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{login} GET"
        );
        let r = client.post(&path, &[("body", "Чужое")]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{login} POST");
        let (_, inbox) = client.text("/messages").await;
        assert!(
            !inbox.contains("Секретная тема"),
            "{login} does not see the thread"
        );
    }
    assert_eq!(counts(&app).await, (1, 2, 1), "nothing written");
    assert_eq!(
        app.signed_in("parent")
            .await
            .get("/messages/999999999")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bad_input_gives_russian_messages_next_to_the_fields_with_the_form_refilled_and_nothing_written()
 {
    let app = app().await;
    let pupil = child(&app).await;
    let parent = app.signed_in("parent").await;
    let ct = to(&app, pupil, "classteacher").await;
    let long = "Т".repeat(201);
    let r = parent
        .post(
            "/messages/new",
            &[("to", &ct), ("subject", &long), ("body", "  ")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Тема длиннее 200 знаков"));
    assert!(html.contains("Напишите текст сообщения."));
    assert!(
        html.contains(&format!("value=\"{long}\"")),
        "subject refilled"
    );
    assert!(
        html.contains(&format!("value=\"{ct}\" selected")),
        "recipient kept"
    );

    let r = parent
        .post(
            "/messages/new",
            &[("to", ""), ("subject", ""), ("body", "Текст остаётся")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Выберите, кому написать."));
    assert!(html.contains("Укажите тему."));
    assert!(html.contains("Текст остаётся</textarea>"));
    assert_eq!(counts(&app).await, (0, 0, 0), "nothing written");

    let id = write(&parent, &ct, "Тема", "Текст").await;
    let r = parent
        .post(&format!("/messages/{id}"), &[("body", "")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Напишите текст сообщения.")
    );
    let too_long = "а".repeat(5001);
    let r = parent
        .post(&format!("/messages/{id}"), &[("body", &too_long)])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Сообщение длиннее 5000 знаков"));
    assert!(
        html.contains(&format!("{too_long}</textarea>")),
        "the reply is kept"
    );
    assert_eq!(counts(&app).await, (1, 2, 1), "only the first message");
}

#[tokio::test]
async fn pupils_and_administrators_have_no_mail() {
    let app = app().await;
    let pupil = child(&app).await;
    let parent = app.signed_in("parent").await;
    let id = write(
        &parent,
        &to(&app, pupil, "classteacher").await,
        "Тема",
        "Текст",
    )
    .await;
    for login in ["student", "admin"] {
        let client = app.signed_in(login).await;
        let (_, home) = client.text("/").await;
        assert!(
            !home.contains("href=\"/messages\""),
            "{login}: no menu item"
        );
        for path in ["/messages", "/messages/new", &format!("/messages/{id}")] {
            assert_eq!(
                client.get(path).await.status(),
                StatusCode::FORBIDDEN,
                "{login} GET {path}"
            );
        }
        let r = client
            .post(
                "/messages/new",
                &[
                    ("to", &to(&app, pupil, "classteacher").await),
                    ("subject", "Тема"),
                    ("body", "Текст"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{login} POST");
    }
    assert_eq!(counts(&app).await, (1, 2, 1));
}

#[tokio::test]
async fn the_demo_parent_has_unread_letters_from_the_class_teacher_and_the_mathematics_teacher() {
    let app = app().await;
    zhurnal::demo::fill_school_year(&app.pool, app.clock.as_ref())
        .await
        .unwrap();
    let parent = app.signed_in("parent").await;
    let (_, inbox) = parent.text("/messages").await;
    assert!(inbox.contains("Непрочитанных сообщений: <strong>2</strong>"));
    for seen in [
        "Пропуск занятий в четверг",
        "Родительское собрание",
        "Контрольная работа по математике",
        "Соколов Дмитрий Алексеевич",
        "Васильева Наталья Сергеевна",
    ] {
        assert!(inbox.contains(seen), "{seen}");
    }
    let (_, inbox) = app.signed_in("classteacher").await.text("/messages").await;
    assert!(inbox.contains("Непрочитанных сообщений: <strong>1</strong>"));
}

#[tokio::test]
async fn a_letter_without_the_csrf_token_is_refused_and_not_sent() {
    let app = app().await;
    let pupil = child(&app).await;
    let parent = app.signed_in("parent").await;
    let ct = to(&app, pupil, "classteacher").await;
    let response = parent
        .http
        .post(parent.url("/messages/new"))
        .form(&[("to", ct.as_str()), ("subject", "Тема"), ("body", "Текст")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(counts(&app).await, (0, 0, 0));
}
