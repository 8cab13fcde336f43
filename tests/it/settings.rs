//! «Настройки школы» (`/admin/settings`): the school's regulation settings (J2, J7, J11, J12, §4)
//! are changed by the administrator or the director — audited, all or nothing, in Russian.

use reqwest::StatusCode;

use crate::helpers::{Client, TestApp, spawn_app};

/// The settings of the demo school 1 (the administrator's), in the form's order.
async fn stored(app: &TestApp) -> (Option<String>, Vec<i16>) {
    sqlx::query_as(
        "SELECT to_char(mark_cutoff, 'HH24:MI'),
                ARRAY[homework_window_minutes, period_mark_grace_days,
                      accumulation_min_marks_one_hour, accumulation_min_marks_more_hours,
                      accumulation_grace_weeks, accumulation_grace_weeks_one_hour,
                      parent_inactivity_days, digest_hour, digest_weekday, entry_lock_days]
         FROM school WHERE id = (SELECT m.school_id FROM membership m
                                 JOIN account a ON a.id = m.account_id WHERE a.login = 'admin')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn audit_events(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'school.settings_changed'")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The whole form as a browser sends it: the defaults, with `changes` typed over them.
pub(crate) fn form<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("entry_lock_days", "7"),
        ("mark_cutoff", ""),
        ("homework_window_minutes", "120"),
        ("period_mark_grace_days", "2"),
        ("accumulation_min_marks_one_hour", "3"),
        ("accumulation_min_marks_more_hours", "5"),
        ("accumulation_grace_weeks", "2"),
        ("accumulation_grace_weeks_one_hour", "3"),
        ("parent_inactivity_days", "14"),
        ("digest_hour", "18"),
        ("digest_weekday", "6"),
        ("gia_entry_days", "1"),
        ("correction_agreement", "director"),
        ("homework_limit_grade_1", "0"),
        ("homework_limit_grades_2_3", "90"),
        ("homework_limit_grades_4_5", "120"),
        ("homework_limit_grades_6_8", "150"),
        ("homework_limit_grades_9_11", "210"),
    ];
    for (name, value) in changes {
        fields
            .iter_mut()
            .find(|(n, _)| n == name)
            .expect("a field")
            .1 = value;
    }
    fields
}

async fn save(who: &Client, changes: &[(&str, &str)]) -> reqwest::Response {
    who.post("/admin/settings", &form(changes)).await
}

#[tokio::test]
async fn the_administrator_changes_the_schools_settings_and_the_change_is_audited() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let (status, page) = admin.text("/admin/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Настройки школы"), "{page}");
    assert!(
        page.contains("href=\"/admin/settings\""),
        "in the administrator's menu"
    );
    // Each rule is explained in words, with no regulation code on the page.
    for hint in [
        "Записи урока (отметки, пропуски, тема) можно вносить",
        "Отметку за урок ставят на уроке или в тот же день",
        "Задание (или «Не задано») записывают на уроке",
        "Итоговые отметки ставят в последнюю неделю периода",
        "С меньшим числом отметок предлагается Н/А",
    ] {
        assert!(page.contains(hint), "{hint}");
    }
    let main = page.split("<main").nth(1).unwrap_or(&page);
    assert!(
        !main.contains("(J") && !main.contains("J1:") && !main.contains("§4"),
        "{main}"
    );
    assert!(page.contains("name=\"homework_window_minutes\" value=\"120\""));
    assert!(page.contains("<option value=\"6\" selected>суббота</option>"));
    assert_eq!(
        stored(&app).await,
        (None, vec![120, 2, 3, 5, 2, 3, 14, 18, 6, 7])
    );

    let r = save(
        &admin,
        &[
            ("entry_lock_days", "10"),
            ("mark_cutoff", "16:00"),
            ("homework_window_minutes", "90"),
            ("parent_inactivity_days", "10"),
            ("digest_hour", "20"),
            ("digest_weekday", "5"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("Настройки сохранены."), "{page}");
    assert!(
        page.contains("name=\"mark_cutoff\" value=\"16:00\"")
            && page.contains("<option value=\"5\" selected>пятница</option>"),
        "the page shows what is stored now"
    );
    assert_eq!(
        stored(&app).await,
        (Some("16:00".into()), vec![90, 2, 3, 5, 2, 3, 10, 20, 5, 10])
    );

    // One event with what changed, before and after, by the administrator.
    let (role, before, after): (String, serde_json::Value, serde_json::Value) = sqlx::query_as(
        "SELECT actor_role, before, after FROM audit_event
         WHERE action = 'school.settings_changed'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(role, "administrator");
    assert_eq!(
        before,
        serde_json::json!({"entry_lock_days": 7, "mark_cutoff": "конец дня", "homework_window_minutes": 120,
                           "parent_inactivity_days": 14, "digest_hour": 18,
                           "digest_weekday": "суббота"})
    );
    assert_eq!(
        after,
        serde_json::json!({"entry_lock_days": 10, "mark_cutoff": "16:00", "homework_window_minutes": 90,
                           "parent_inactivity_days": 10, "digest_hour": 20,
                           "digest_weekday": "пятница"})
    );
    let (_, audit) = admin.text("/audit").await;
    assert!(audit.contains("Изменены настройки школы"), "{audit}");
    assert!(audit.contains("час сводок по почте: 20"), "{audit}");

    // Saving the same again changes nothing and records nothing.
    let r = save(
        &admin,
        &[
            ("entry_lock_days", "10"),
            ("mark_cutoff", "16:00"),
            ("homework_window_minutes", "90"),
            ("parent_inactivity_days", "10"),
            ("digest_hour", "20"),
            ("digest_weekday", "5"),
        ],
    )
    .await;
    assert!(r.text().await.unwrap().contains("Изменений нет"));
    assert_eq!(audit_events(&app).await, 1);

    // The director may too; the cut-off emptied means «until the end of the day» again.
    let director = app.signed_in("director").await;
    let r = save(&director, &[]).await;
    assert!(r.text().await.unwrap().contains("Настройки сохранены."));
    assert_eq!(
        stored(&app).await,
        (None, vec![120, 2, 3, 5, 2, 3, 14, 18, 6, 7])
    );
    assert_eq!(audit_events(&app).await, 2);
}

#[tokio::test]
async fn bad_settings_come_back_with_russian_messages_as_typed_and_nothing_is_written() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let r = save(
        &admin,
        &[
            ("mark_cutoff", "в 4 часа"),
            ("homework_window_minutes", ""),
            ("period_mark_grace_days", "два"),
            ("accumulation_min_marks_one_hour", "4"),
            ("digest_hour", "25"),
            ("digest_weekday", "8"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    for message in [
        "Время в виде ЧЧ:ММ, например 16:00",
        "Заполните: целое число от 0 до 1440.",
        "Введите целое число от 0 до 30.",
        "Введите целое число от 0 до 23.",
        "Выберите день недели.",
    ] {
        assert!(page.contains(message), "{message}: {page}");
    }
    for typed in [
        "name=\"mark_cutoff\" value=\"в 4 часа\"",
        "name=\"homework_window_minutes\" value=\"\"",
        "name=\"period_mark_grace_days\" value=\"два\"",
        "name=\"accumulation_min_marks_one_hour\" value=\"4\"",
        "name=\"digest_hour\" value=\"25\"",
    ] {
        assert!(page.contains(typed), "kept as typed: {typed}");
    }
    assert_eq!(
        stored(&app).await,
        (None, vec![120, 2, 3, 5, 2, 3, 14, 18, 6, 7]),
        "nothing written, not even the valid field"
    );
    assert_eq!(audit_events(&app).await, 0);

    // A form without its fields is refused the same way, never a server error.
    let r = admin.post("/admin/settings", &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Заполните"));
    assert_eq!(audit_events(&app).await, 0);
}

#[tokio::test]
async fn only_the_administrator_and_the_director_reach_the_settings() {
    let app = spawn_app().await;
    for login in ["deputy", "teacher", "classteacher", "parent", "student"] {
        let who = app.signed_in(login).await;
        assert_eq!(
            who.get("/admin/settings").await.status(),
            StatusCode::FORBIDDEN,
            "{login}"
        );
        let r = save(&who, &[("digest_hour", "7")]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{login}");
        let (_, home) = who.text("/").await;
        assert!(
            !home.contains("/admin/settings"),
            "no menu item for {login}"
        );
    }
    // Without the CSRF token even the administrator is refused.
    let admin = app.signed_in("admin").await;
    let r = admin
        .http
        .post(admin.url("/admin/settings"))
        .form(&form(&[("digest_hour", "7")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored(&app).await.1[7], 18, "nothing written");
    assert_eq!(audit_events(&app).await, 0);

    // The director of school 2 changes school 2 only.
    let director2 = app.signed_in("director2").await;
    let r = save(&director2, &[("digest_hour", "7")]).await;
    assert!(r.text().await.unwrap().contains("Настройки сохранены."));
    assert_eq!(stored(&app).await.1[7], 18, "school 1 untouched");
}

#[tokio::test]
async fn j1_a_school_that_keeps_lessons_open_for_10_days_lets_the_teacher_write_a_lesson_of_8_days_ago()
 {
    let j = crate::journal::maths_5b().await;
    let monday = j.lesson(10, 5).await;
    let pupil = j.pupils[0];
    j.app.clock.set(crate::journal::msk(10, 13, 12, 0));
    // The default 7 days: the lesson of 8 days ago is closed.
    let (_, html) = j.type_cell(&j.teacher, monday, pupil, "4", &[]).await;
    assert!(
        html.contains("закрыт: записи вносятся не позднее"),
        "{html}"
    );
    assert_eq!(j.mark_of(monday, pupil).await, None);

    let admin = j.app.signed_in("admin").await;
    let r = save(&admin, &[("entry_lock_days", "10")]).await;
    assert!(r.text().await.unwrap().contains("Настройки сохранены."));
    let (_, html) = j.type_cell(&j.teacher, monday, pupil, "4", &[]).await;
    assert!(html.contains("сохранено"), "{html}");
    assert_eq!(j.mark_of(monday, pupil).await.as_deref(), Some("4"));
}
