//! The school administrator's work with people: new staff, roles, password resets, all audited.

use reqwest::StatusCode;

use crate::auth::between;
use crate::helpers::{path_of, spawn_app};

#[tokio::test]
async fn the_administrator_adds_a_teacher_and_the_audit_trail_records_who_did_it() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let response = admin
        .post(
            "/admin/users/new",
            &[
                ("last_name", "Ёлкина"),
                ("first_name", "Мария"),
                ("role", "teacher"),
                ("email", "elkina@school.ru"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("Сотрудник добавлен"));
    assert_eq!(between(&html, "Логин: <code>", "</code>"), "elkina.m");

    let (actor, after): (String, serde_json::Value) = sqlx::query_as(
        "SELECT a.login, e.after FROM audit_event e JOIN account a ON a.id = e.actor_account_id
         WHERE e.action = 'account.created' ORDER BY e.id DESC LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(actor, "admin");
    assert_eq!(after["last_name"], "Ёлкина");
    let (_, audit) = admin.text("/audit").await;
    assert!(audit.contains("Создана учётная запись") && audit.contains("фамилия: Ёлкина"));
}

#[tokio::test]
async fn bad_input_comes_back_with_russian_messages_and_the_form_filled_in() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM account")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let response = admin
        .post(
            "/admin/users/new",
            &[
                ("last_name", ""),
                ("first_name", "Пётр1"),
                ("email", "not-an-email"),
                ("role", "pupil"),
                ("login", "Иванов"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    for message in [
        "Заполните это поле.",
        "Только буквы, дефис и пробел.",
        "Введите адрес электронной почты",
        "Выберите роль.",
        "Логин: от 2 до 64 латинских букв",
    ] {
        assert!(html.contains(message), "«{message}»");
    }
    assert!(html.contains(r#"value="Пётр1""#) && html.contains(r#"value="not-an-email""#));
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM account")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(before, after, "nothing was written");
}

#[tokio::test]
async fn a_taken_login_is_refused_next_to_the_field() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let response = admin
        .post(
            "/admin/users/new",
            &[
                ("last_name", "Иванов"),
                ("first_name", "Иван"),
                ("role", "teacher"),
                ("login", "teacher"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Этот логин уже занят.")
    );
}

#[tokio::test]
async fn a_granted_role_lets_the_person_choose_it_and_a_revoked_one_is_gone() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let teacher_id = app.account_id("teacher").await;
    let response = admin
        .post(
            &format!("/admin/users/{teacher_id}/roles"),
            &[("role", "deputy")],
        )
        .await;
    assert!(response.text().await.unwrap().contains("Роль добавлена."));

    let teacher = app.signed_in("teacher").await;
    let (_, choose) = teacher.text("/choose").await;
    assert!(choose.contains("Заместитель директора") && choose.contains("Учитель"));
    let deputy_membership: (i64, i64) = sqlx::query_as(
        "SELECT school_id, id FROM membership WHERE account_id = $1 AND role = 'deputy'",
    )
    .bind(teacher_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let value = format!("{}:{}", deputy_membership.0, deputy_membership.1);
    let entered = teacher.post("/choose", &[("membership", &value)]).await;
    assert_eq!(path_of(&entered), "/deputy");

    let revoke = format!(
        "/admin/users/{teacher_id}/roles/{}/revoke",
        deputy_membership.1
    );
    let response = admin.post(&revoke, &[]).await;
    assert!(response.text().await.unwrap().contains("Роль снята."));
    // Working under a revoked role ends at the next request.
    assert_eq!(path_of(&teacher.get("/deputy").await), "/teacher");
}

#[tokio::test]
async fn an_administrator_cannot_take_away_their_own_right_to_manage_people() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let admin_id = app.account_id("admin").await;
    let membership: i64 = sqlx::query_scalar("SELECT id FROM membership WHERE account_id = $1")
        .bind(admin_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let response = admin
        .post(
            &format!("/admin/users/{admin_id}/roles/{membership}/revoke"),
            &[],
        )
        .await;
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Нельзя снять с себя роль")
    );
    assert_eq!(admin.get("/admin").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_password_reset_issues_a_new_password_and_ends_the_persons_sessions() {
    let app = spawn_app().await;
    let teacher = app.signed_in("teacher").await;
    let admin = app.signed_in("admin").await;
    let teacher_id = app.account_id("teacher").await;
    let html = admin
        .post(&format!("/admin/users/{teacher_id}/password"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Выдан новый пароль"));
    let password = between(&html, "Пароль: <code>", "</code>");
    assert_eq!(path_of(&teacher.get("/teacher").await), "/login");
    let again = app.client();
    assert_eq!(
        path_of(&again.login("teacher", &password).await),
        "/password"
    );
    let audit: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'account.password_reset' AND subject_id = $1",
    )
    .bind(teacher_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audit, 1);
}

#[tokio::test]
async fn a_school_cannot_reset_the_password_of_someone_who_also_works_in_another_school() {
    let app = spawn_app().await;
    // teacher2 also starts teaching in school 1.
    let admin = app.signed_in("admin").await;
    let teacher2 = app.account_id("teacher2").await;
    let school1: i64 = sqlx::query_scalar("SELECT id FROM school WHERE slug = 'demo-1'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO membership (school_id, account_id, role) VALUES ($1, $2, 'teacher')")
        .bind(school1)
        .bind(teacher2)
        .execute(&app.pool)
        .await
        .unwrap();
    let response = admin
        .post(&format!("/admin/users/{teacher2}/password"), &[])
        .await;
    let html = response.text().await.unwrap();
    assert!(html.contains("работает и в других школах"), "{html}");
    assert_eq!(
        path_of(&app.client().login("teacher2", "demo").await),
        "/choose"
    );
}

#[tokio::test]
async fn two_new_staff_forms_with_one_name_at_once_never_answer_500() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let director = app.signed_in("director").await;
    let form = [
        ("last_name", "Одинаков"),
        ("first_name", "Пётр"),
        ("role", "teacher"),
    ];
    for _ in 0..3 {
        let (a, b) = tokio::join!(
            admin.post("/admin/users/new", &form),
            director.post("/admin/users/new", &form)
        );
        for response in [a, b] {
            let status = response.status();
            let html = response.text().await.unwrap();
            assert!(
                status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY,
                "{status}: {html}"
            );
            if status == StatusCode::UNPROCESSABLE_ENTITY {
                assert!(html.contains("Отправьте форму ещё раз"), "{html}");
            }
        }
    }
    // Every account made has its own login.
    let (accounts, logins): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT login) FROM account WHERE last_name = 'Одинаков'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(accounts >= 3);
    assert_eq!(accounts, logins);
}
