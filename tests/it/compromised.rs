//! Compromised credentials (000 §21, 004 §5.4): «every operation made with those credentials
//! from the moment of the report is invalid». A teacher's password is "stolen" (a second
//! session of the same account); the account is declared compromised as of a moment T; its
//! sessions end, it cannot sign in until the administrator issues a new password, and the
//! director's deputy reverts what the stolen session did — the pupil's diary shows the old state
//! again, and a later change by another teacher is left for a person to decide.
//!
//! The audit trail keeps the database's time, while the tests' clock stands on lesson days for
//! the journal's windows: T is taken from the real clock, and the clock is put on the real time
//! before each declaration.

use std::time::Duration;

use chrono::{SubsecRound, Utc};
use reqwest::StatusCode;

use crate::helpers::{Client, TestApp, path_of};
use crate::journal::{Journal, maths_5b, msk};

const REASON: &str = "изменение сделано с утраченными учётными данными";

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

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

/// Types into a cell as htmx does and checks it was saved.
async fn type_cell(j: &Journal, who: &Client, lesson: i64, pupil: i64, value: &str, reason: &str) {
    let mut extra = vec![];
    if !reason.is_empty() {
        extra.push(("reason", reason));
    }
    let (status, html) = j.type_cell(who, lesson, pupil, value, &extra).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("сохранено"), "{html}");
}

/// The moment «now» as the declaration form takes it (Moscow time, to the second), after a pause
/// that puts it strictly after every change made so far.
async fn moment_now() -> (chrono::DateTime<Utc>, String) {
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let t = Utc::now().trunc_subsecs(0);
    let local = t.with_timezone(&chrono_tz::Europe::Moscow);
    (t, local.format("%Y-%m-%dT%H:%M:%S").to_string())
}

async fn absent(app: &TestApp, lesson: i64, pupil: i64) -> bool {
    sqlx::query_scalar::<_, bool>(
        "SELECT coalesce(bool_or(absent), false) FROM absence WHERE lesson_id = $1 AND pupil_id = $2",
    )
    .bind(lesson)
    .bind(pupil)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn period_mark(app: &TestApp, pupil: i64) -> Option<String> {
    sqlx::query_scalar("SELECT value FROM period_mark WHERE pupil_id = $1")
        .bind(pupil)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
        .flatten()
}

#[tokio::test]
async fn r000_21_r004_5_4_a_mark_an_absence_and_a_period_mark_made_by_a_stolen_session_after_t_are_listed_and_reverted()
 {
    let j = maths_5b().await;
    let app = &j.app;
    let ivan = pupil_id(app, "student").await;
    let other = *j.pupils.iter().find(|&&p| p != ivan).unwrap();
    let monday = j.lesson(10, 5).await;
    let wednesday = j.lesson(10, 7).await;
    // Соколов teaches the group too: his later change is legitimate.
    let sokolov = app.account_id("classteacher").await;
    sqlx::query(
        "INSERT INTO teaching_assignment (school_id, group_id, teacher_id, hours_per_week)
         SELECT school_id, id, $2, 1 FROM study_group WHERE id = $1",
    )
    .bind(j.group)
    .bind(sokolov)
    .execute(&app.pool)
    .await
    .unwrap();
    let colleague = app.signed_in("classteacher").await;

    // Before T: the teacher herself gives Иван a «4» — not listed, not touched.
    app.clock.set(msk(10, 5, 9, 0));
    type_cell(&j, &j.teacher, monday, ivan, "4", "").await;
    let r = j
        .teacher
        .post(
            &format!("/lessons/{monday}"),
            &[("topic", "Натуральные числа"), ("homework", "§ 1, № 5–9")],
        )
        .await;
    assert!(r.status().is_success());
    let before_t: i64 = count(app, "SELECT max(id) FROM audit_event").await;
    let (_, t) = moment_now().await;

    // After T, with the stolen password: the «4» becomes a «2», another pupil gets a «2», Иван
    // is marked absent on Wednesday, and his quarter mark is set to «2».
    let thief = app.signed_in("teacher").await;
    type_cell(&j, &thief, monday, ivan, "2", "пересмотрено").await;
    type_cell(&j, &thief, monday, other, "2", "").await;
    let r = thief
        .post(
            &format!("/lessons/{monday}"),
            &[
                ("topic", "Натуральные числа"),
                ("homework", "Не задано никому ничего"),
                ("was_topic", "Натуральные числа"),
                ("was_homework", "§ 1, № 5–9"),
            ],
        )
        .await;
    assert!(r.status().is_success());
    app.clock.set(msk(10, 7, 10, 30));
    type_cell(&j, &thief, wednesday, ivan, "н", "").await;
    app.clock.set(msk(10, 22, 12, 0));
    let (_, page) = thief
        .text(&format!("/journal/{}/period-marks", j.group))
        .await;
    let period = page
        .split("period-marks?period=")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    thief
        .post(
            &format!("/journal/{}/period-marks?period={period}", j.group),
            &[(&format!("value_{ivan}"), "2"), ("confirm", "1")],
        )
        .await;
    assert_eq!(period_mark(app, ivan).await.as_deref(), Some("2"));
    // Then the colleague, legitimately, corrects the other pupil's «2» to «3».
    app.clock.set(msk(10, 5, 10, 0));
    type_cell(&j, &colleague, monday, other, "3", "проверил работу").await;
    let week = "/diary?week=2026-10-05";
    let student = app.signed_in("student").await;
    let (_, diary) = student.text(week).await;
    assert!(
        diary.contains(">2<small>") && diary.contains(">н</span>"),
        "{diary}"
    );
    assert!(diary.contains("Не задано никому ничего"), "{diary}");

    // The director declares the teacher's credentials lost as of T: both her sessions end.
    app.clock.set(Utc::now());
    let director = app.signed_in("director").await;
    let teacher_id = app.account_id("teacher").await;
    let r = director
        .post(
            &format!("/admin/users/{teacher_id}/compromised"),
            &[("since", &t)],
        )
        .await;
    assert_eq!(path_of(&r), format!("/admin/users/{teacher_id}"));
    let html = r.text().await.unwrap();
    assert!(html.contains("завершено 2 сеанса"), "{html}");
    assert_eq!(path_of(&thief.get("/journal").await), "/login");
    assert_eq!(path_of(&j.teacher.get("/journal").await), "/login");

    // The deputy sees exactly the five changes made after T, with before and after in Russian.
    let deputy = app.signed_in("deputy").await;
    let (status, list) = deputy.text("/compromised/declarations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Васильева Наталья Сергеевна"), "{list}");
    let id: i64 = count(app, "SELECT id FROM credential_compromise").await;
    let page_path = format!("/compromised/declarations/{id}");
    let (status, page) = deputy.text(&page_path).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page.matches("<tr id=\"event-").count(), 5, "{page}");
    assert!(
        !page.contains(&format!("id=\"event-{before_t}\"")),
        "{page}"
    );
    assert!(
        page.contains("Исправлена отметка") && page.contains("значение: 4"),
        "{page}"
    );
    assert!(page.contains("Отмечен пропуск"), "{page}");
    assert!(page.contains("Выставлена итоговая отметка"), "{page}");
    assert!(page.contains("Записаны тема и задание урока"), "{page}");
    assert!(
        page.contains("позже это изменил другой пользователь"),
        "{page}"
    );
    assert!(page.contains("Отменить все (4)"), "{page}");

    // Revert all: four reverts, each audited with the reason; the colleague's «3» stays.
    let r = deputy.post(&format!("{page_path}/revert"), &[]).await;
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Отменено изменений: 4. Оставлено для решения вручную: 1."),
        "{html}"
    );
    assert_eq!(j.mark_of(monday, ivan).await.as_deref(), Some("4"));
    assert_eq!(j.mark_of(monday, other).await.as_deref(), Some("3"));
    assert!(!absent(app, wednesday, ivan).await);
    assert_eq!(period_mark(app, ivan).await, None);
    assert_eq!(
        count(
            app,
            &format!("SELECT count(*) FROM audit_event WHERE reason = '{REASON}'")
        )
        .await,
        4
    );
    assert!(html.contains("<td>отменено</td>"), "{html}");

    // The pupil's diary shows the old state again.
    let (_, diary) = student.text(week).await;
    assert!(diary.contains(">4<small>"), "{diary}");
    assert!(
        !diary.contains(">2<small>") && !diary.contains(">н</span>"),
        "{diary}"
    );
    assert!(
        diary.contains("§ 1, № 5–9") && !diary.contains("Не задано никому ничего"),
        "{diary}"
    );

    // Nothing is reverted twice.
    let r = deputy.post(&format!("{page_path}/revert"), &[]).await;
    let html = r.text().await.unwrap();
    assert!(html.contains("Отменено изменений: 0."), "{html}");
}

#[tokio::test]
async fn r000_21_a_user_declaring_their_own_is_signed_out_and_cannot_sign_in_until_the_administrator_resets_the_password()
 {
    let j = maths_5b().await;
    let app = &j.app;
    let thief = app.signed_in("teacher").await;
    app.clock.set(Utc::now());
    let (status, page) = j.teacher.text("/password").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("href=\"/compromised\""), "{page}");
    // The stolen session's row, to be written back as a request under way at the declaration
    // would.
    let rows: Vec<(String, i64, serde_json::Value)> = sqlx::query_as(
        "SELECT id_hash, account_id, data FROM session s
         WHERE account_id = (SELECT id FROM account WHERE login = 'teacher')",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    let r = j.teacher.post("/compromised", &[("since", "")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Учётные данные объявлены утраченными"),
        "{html}"
    );
    // Signed out at once, the stolen session too.
    assert_eq!(path_of(&j.teacher.get("/journal").await), "/login");
    assert_eq!(path_of(&thief.get("/journal").await), "/login");
    assert_eq!(
        count(app, "SELECT count(*) FROM session s JOIN account a ON a.id = s.account_id WHERE a.login = 'teacher'").await,
        0
    );
    for (id_hash, account_id, data) in &rows {
        sqlx::query(
            "INSERT INTO session (id_hash, account_id, data, expires_at)
             VALUES ($1, $2, $3, now() + interval '1 day')",
        )
        .bind(id_hash)
        .bind(account_id)
        .bind(data)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    assert_eq!(path_of(&thief.get("/journal").await), "/login");
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM audit_event WHERE action = 'account.credentials_compromised'"
        )
        .await,
        1
    );
    // The old password no longer opens the account.
    let again = app.client();
    let r = again.login("teacher", zhurnal::demo::PASSWORD).await;
    assert_eq!(path_of(&r), "/login");
    // The administrator issues a new one; with it, the teacher signs in (and must change it).
    let admin = app.signed_in("admin").await;
    let teacher_id = app.account_id("teacher").await;
    let (_, card) = admin.text(&format!("/admin/users/{teacher_id}")).await;
    assert!(
        card.contains(&format!("/admin/users/{teacher_id}/compromised")),
        "{card}"
    );
    let r = admin
        .post(&format!("/admin/users/{teacher_id}/password"), &[])
        .await;
    let html = r.text().await.unwrap();
    let password = html
        .split("Пароль: <code>")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .unwrap()
        .to_string();
    let r = again.login("teacher", &password).await;
    assert_eq!(path_of(&r), "/password");
}

#[tokio::test]
async fn r000_21_a_teacher_cannot_declare_someone_elses_account_and_another_schools_account_answers_404()
 {
    let j = maths_5b().await;
    let app = &j.app;
    app.clock.set(Utc::now());
    let deputy_id = app.account_id("deputy").await;
    let r = j
        .teacher
        .post(
            &format!("/admin/users/{deputy_id}/compromised"),
            &[("since", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        j.teacher
            .get(&format!("/admin/users/{deputy_id}/compromised"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // The teacher may not see the list either; nor the administrator (no journal values).
    assert_eq!(
        j.teacher.get("/compromised/declarations").await.status(),
        StatusCode::FORBIDDEN
    );
    let admin = app.signed_in("admin").await;
    assert_eq!(
        admin.get("/compromised/declarations").await.status(),
        StatusCode::FORBIDDEN
    );
    // Another school's administrator: 404, nothing happens.
    let other_admin = app.account_id("admin2").await;
    let r = admin
        .post(
            &format!("/admin/users/{other_admin}/compromised"),
            &[("since", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        count(app, "SELECT count(*) FROM credential_compromise").await,
        0
    );
    assert_eq!(path_of(&j.teacher.get("/journal").await), "/journal");
    // Another school's declaration: 404 for this school's director.
    let director = app.signed_in("director").await;
    let r = admin
        .post(
            &format!("/admin/users/{deputy_id}/compromised"),
            &[("since", "")],
        )
        .await;
    assert!(r.status().is_success());
    let id: i64 = count(app, "SELECT id FROM credential_compromise").await;
    assert_eq!(
        director
            .get(&format!("/compromised/declarations/{id}"))
            .await
            .status(),
        StatusCode::OK
    );
    let director2 = app.signed_in("director2").await;
    assert_eq!(
        director2
            .get(&format!("/compromised/declarations/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn r000_21_a_bad_moment_comes_back_in_russian_with_the_form_filled_in_and_nothing_done() {
    let j = maths_5b().await;
    let app = &j.app;
    app.clock.set(Utc::now());
    let admin = app.signed_in("admin").await;
    let teacher_id = app.account_id("teacher").await;
    let path = format!("/admin/users/{teacher_id}/compromised");
    for (typed, message) in [
        ("вчера вечером", "ДД.ММ.ГГГГ ЧЧ:ММ"),
        (
            "31.12.2099 10:00",
            "Укажите момент утраты не позже текущего",
        ),
        ("01.01.2020 10:00", "не раньше чем за 30 дней"),
    ] {
        let r = admin.post(&path, &[("since", typed)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{typed}: {html}");
        assert!(
            html.contains(&format!("value=\"{typed}\"")),
            "{typed}: {html}"
        );
    }
    assert_eq!(
        count(app, "SELECT count(*) FROM credential_compromise").await,
        0
    );
    assert_eq!(path_of(&j.teacher.get("/journal").await), "/journal");
}

#[tokio::test]
async fn r000_21_changes_are_reverted_one_by_one_the_stolen_sessions_later_change_of_the_same_mark_first()
 {
    let j = maths_5b().await;
    let app = &j.app;
    let ivan = pupil_id(app, "student").await;
    let monday = j.lesson(10, 5).await;
    let (_, t) = moment_now().await;
    let thief = app.signed_in("teacher").await;
    app.clock.set(msk(10, 5, 9, 0));
    type_cell(&j, &thief, monday, ivan, "5", "").await;
    type_cell(&j, &thief, monday, ivan, "3", "пересмотрено").await;
    let events: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM audit_event WHERE action LIKE 'mark.%' ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let [given, corrected] = events[..] else {
        panic!("two mark events: {events:?}")
    };

    app.clock.set(Utc::now());
    let admin = app.signed_in("admin").await;
    let teacher_id = app.account_id("teacher").await;
    admin
        .post(
            &format!("/admin/users/{teacher_id}/compromised"),
            &[("since", &t)],
        )
        .await;
    let id: i64 = count(app, "SELECT id FROM credential_compromise").await;
    let director = app.signed_in("director").await;
    let page = format!("/compromised/declarations/{id}");
    let (_, html) = director.text(&page).await;
    assert!(
        html.contains("будет отменено после более позднего изменения того же"),
        "{html}"
    );

    // The earlier «5» first: refused, the later «3» must go first.
    let r = director
        .post(&format!("{page}/events/{given}/revert"), &[])
        .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("Сначала отмените более позднее"), "{html}");
    assert_eq!(j.mark_of(monday, ivan).await.as_deref(), Some("3"));

    let r = director
        .post(&format!("{page}/events/{corrected}/revert"), &[])
        .await;
    assert!(r.text().await.unwrap().contains("Изменение отменено."));
    assert_eq!(j.mark_of(monday, ivan).await.as_deref(), Some("5"));
    let r = director
        .post(&format!("{page}/events/{given}/revert"), &[])
        .await;
    assert!(r.text().await.unwrap().contains("Изменение отменено."));
    assert_eq!(j.mark_of(monday, ivan).await, None);
    // Once is enough.
    let r = director
        .post(&format!("{page}/events/{given}/revert"), &[])
        .await;
    assert!(r.text().await.unwrap().contains("уже отменено"));

    let student = app.signed_in("student").await;
    let (_, diary) = student.text("/diary?week=2026-10-05").await;
    assert!(
        !diary.contains(">5<small>") && !diary.contains(">3<small>"),
        "{diary}"
    );
    // An event that is not the account's, or another declaration's: 404.
    let r = director
        .post(&format!("{page}/events/{}/revert", given - 1), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
