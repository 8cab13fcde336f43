//! Logging in and out, lock-out, CSRF, session renewal, password changes (issue: foundation §4,
//! regulations §7).

use reqwest::StatusCode;

use crate::helpers::{path_of, spawn_app};

#[tokio::test]
async fn every_demo_login_reaches_the_start_page_of_its_role() {
    let app = spawn_app().await;
    let cases = [
        ("director", "/director", "Директор"),
        ("deputy", "/deputy", "Заместитель директора"),
        ("admin", "/admin", "Администратор"),
        ("teacher", "/teacher", "Добрый день"),
        ("classteacher", "/class-teacher", "Мой класс: 5«Б»"),
        ("parent", "/parent", "Дневник: Морозов Иван"),
        ("student", "/pupil", "Мой дневник"),
        ("director2", "/director", "Директор"),
        ("teacher2", "/teacher", "Добрый день"),
        ("parent2", "/parent", "Дневник: Волков Иван"),
        ("student2", "/pupil", "Мой дневник"),
        ("operator", "/choose", "Оператор платформы"),
    ];
    for (login, path, heading) in cases {
        let client = app.client();
        let response = client.login(login, "demo").await;
        assert_eq!(response.status(), StatusCode::OK, "{login}");
        assert_eq!(path_of(&response), path, "{login} lands on {path}");
        let html = response.text().await.unwrap();
        assert!(html.contains(heading), "{login}: «{heading}» on the page");
    }
}

#[tokio::test]
async fn a_wrong_password_is_refused_in_russian_and_the_login_stays_in_the_form() {
    let app = spawn_app().await;
    let client = app.client();
    let response = client.login("teacher", "not-the-password").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Неверный логин или пароль."));
    assert!(
        html.contains(r#"value="teacher""#),
        "the login typed is kept"
    );
    assert_eq!(client.get("/teacher").await.url().path(), "/login");
}

#[tokio::test]
async fn an_unknown_login_gets_the_same_answer_as_a_wrong_password() {
    let app = spawn_app().await;
    let html = app
        .client()
        .login("nobody-here", "x")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Неверный логин или пароль."));
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let client = app.signed_in("teacher").await;
    assert_eq!(path_of(&client.get("/teacher").await), "/teacher");
    let response = client.post("/logout", &[]).await;
    assert_eq!(path_of(&response), "/login");
    assert_eq!(path_of(&client.get("/teacher").await), "/login");
}

#[tokio::test]
async fn repeated_failures_lock_the_login_even_for_the_right_password_then_it_opens_again() {
    let app = spawn_app().await;
    let client = app.client();
    for _ in 0..5 {
        client.login("teacher", "wrong").await;
    }
    let html = client.login("teacher", "demo").await.text().await.unwrap();
    assert!(html.contains("Вход временно заблокирован"), "{html}");
    assert_eq!(path_of(&client.get("/teacher").await), "/login");
    // The lock holds for a while, and the lock-out is the same for a login that does not exist.
    for _ in 0..5 {
        client.login("no-such-login", "wrong").await;
    }
    let html = client
        .login("no-such-login", "x")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Вход временно заблокирован"));
    // Sixteen minutes later the right password works.
    app.clock.advance(chrono::Duration::minutes(16));
    let response = client.login("teacher", "demo").await;
    assert_eq!(path_of(&response), "/teacher");
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    let client = app.client();
    client.get("/login").await;
    for path in [
        "/login",
        "/logout",
        "/password",
        "/choose",
        "/admin/users/new",
    ] {
        let response = client
            .http
            .post(client.url(path))
            .form(&[("login", "teacher"), ("password", "demo")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("Страница устарела"), "{path}: {html}");
    }
    // A wrong token is refused too.
    let response = client
        .http
        .post(client.url("/login"))
        .form(&[
            ("login", "teacher"),
            ("password", "demo"),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_session_id_changes_at_login_and_the_cookie_is_http_only_and_same_site() {
    let app = spawn_app().await;
    let client = app.client();
    let response = client.get("/login").await;
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let before = client.session_cookie().expect("a session before login");
    client.login("teacher", "demo").await;
    let after = client.session_cookie().expect("a session after login");
    assert_ne!(before, after, "a new session id at login");
    // The old id is worth nothing.
    let stale = app.client();
    stale.jar.add_cookie_str(
        &format!("zhurnal_session={before}"),
        &app.base.parse().unwrap(),
    );
    assert_eq!(path_of(&stale.get("/teacher").await), "/login");
}

#[tokio::test]
async fn issued_credentials_force_a_password_change_before_anything_else() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let html = admin
        .post(
            "/admin/users/new",
            &[
                ("last_name", "Белова"),
                ("first_name", "Ирина"),
                ("middle_name", "Юрьевна"),
                ("role", "teacher"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    let password = between(&html, "Пароль: <code>", "</code>");
    assert_eq!(between(&html, "Логин: <code>", "</code>"), "belova.iiu");

    let newcomer = app.client();
    let response = newcomer.login("belova.iiu", &password).await;
    assert_eq!(path_of(&response), "/password");
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Придумайте свой пароль")
    );
    assert_eq!(path_of(&newcomer.get("/teacher").await), "/password");

    let weak = newcomer
        .post(
            "/password",
            &[("current", &password), ("new", "123"), ("repeat", "123")],
        )
        .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.text().await.unwrap().contains("не короче 8 символов"));

    let done = newcomer
        .post(
            "/password",
            &[
                ("current", &password),
                ("new", "Новый-пароль-2026"),
                ("repeat", "Новый-пароль-2026"),
            ],
        )
        .await;
    assert_eq!(path_of(&done), "/teacher");
    let again = app.client();
    assert_eq!(
        path_of(&again.login("belova.iiu", "Новый-пароль-2026").await),
        "/teacher"
    );
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_but_not_this_one() {
    let app = spawn_app().await;
    let phone = app.signed_in("parent").await;
    let laptop = app.signed_in("parent").await;
    let response = laptop
        .post(
            "/password",
            &[
                ("current", "demo"),
                ("new", "семья-Морозовых"),
                ("repeat", "семья-Морозовых"),
            ],
        )
        .await;
    assert_eq!(path_of(&response), "/parent");
    assert!(response.text().await.unwrap().contains("Пароль изменён"));
    assert_eq!(
        path_of(&phone.get("/parent").await),
        "/login",
        "the other session is over"
    );
    assert_eq!(
        path_of(&laptop.get("/parent").await),
        "/parent",
        "this one goes on"
    );
}

#[tokio::test]
async fn a_wrong_current_password_keeps_the_password_and_says_why() {
    let app = spawn_app().await;
    let client = app.signed_in("teacher").await;
    let response = client
        .post(
            "/password",
            &[
                ("current", "nope"),
                ("new", "хороший-пароль"),
                ("repeat", "другой-пароль"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Текущий пароль введён неверно."));
    assert!(html.contains("Пароли не совпадают."));
    assert_eq!(
        path_of(&app.client().login("teacher", "demo").await),
        "/teacher"
    );
}

/// The text between two markers.
pub fn between(html: &str, start: &str, end: &str) -> String {
    let at = html
        .find(start)
        .unwrap_or_else(|| panic!("«{start}» in {html}"))
        + start.len();
    let stop = html[at..].find(end).expect("end marker") + at;
    html[at..stop].to_string()
}
