//! Logging in and out, lock-out, CSRF, session renewal, password changes (issue: foundation §4,
//! regulations §7).

use reqwest::StatusCode;

use crate::helpers::{Client, TestApp, path_of, spawn_app};

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
async fn no_session_before_login_a_new_one_at_login_and_the_cookies_are_http_only_and_same_site() {
    let app = spawn_app().await;
    let client = app.client();
    let response = client.get("/login").await;
    let set_cookie: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    // Only the form's double-submit cookie; no session is made for an anonymous page.
    assert_eq!(set_cookie.len(), 1, "{set_cookie:?}");
    assert!(set_cookie[0].starts_with("zhurnal_csrf="), "{set_cookie:?}");
    assert!(set_cookie[0].contains("HttpOnly"), "{set_cookie:?}");
    assert!(set_cookie[0].contains("SameSite=Lax"), "{set_cookie:?}");
    assert_eq!(client.session_cookie(), None);
    // A session id planted before login (session fixation) is not the one signed in.
    let planted = "Zm9yZ2VkLXNlc3Npb24taWQtMDAwMDAwMA";
    client.jar.add_cookie_str(
        &format!("zhurnal_session={planted}"),
        &app.base.parse().unwrap(),
    );
    let response = client.login("teacher", "demo").await;
    assert_eq!(path_of(&response), "/teacher");
    let after = client.session_cookie().expect("a session after login");
    assert_ne!(after, planted, "a new session id at login");
    // After logout the old id is worth nothing.
    client.post("/logout", &[]).await;
    let stale = app.client();
    stale.jar.add_cookie_str(
        &format!("zhurnal_session={after}"),
        &app.base.parse().unwrap(),
    );
    assert_eq!(path_of(&stale.get("/teacher").await), "/login");
}

#[tokio::test]
async fn many_anonymous_visits_and_failed_logins_leave_no_session_rows() {
    let app = spawn_app().await;
    let sessions = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM session")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    let before = sessions().await;
    for _ in 0..200 {
        let response = app.client().get("/login").await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let client = app.client();
    let response = client.login("teacher", "wrong").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(sessions().await, before, "nothing to keep, nothing kept");
    // The login form still works (its token came from the cookie), and signing in keeps one.
    app.signed_in("teacher").await;
    assert_eq!(sessions().await, before + 1);
}

#[tokio::test]
async fn expired_sessions_are_swept_and_never_loaded() {
    let app = spawn_app().await;
    let client = app.signed_in("teacher").await;
    sqlx::query(
        "INSERT INTO session (id_hash, data, expires_at)
         VALUES ('old-1', '{}', now() - interval '1 hour'),
                ('old-2', '{}', now() - interval '1 day')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let store = zhurnal::auth::session_store::PgSessionStore::new(app.pool.clone());
    assert_eq!(store.delete_expired().await.unwrap(), 2);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM session")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, 1, "the live session stays");
    assert_eq!(path_of(&client.get("/teacher").await), "/teacher");
    // A session past its expiry does not let anyone in, swept or not.
    sqlx::query("UPDATE session SET expires_at = now() - interval '1 minute'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(path_of(&client.get("/teacher").await), "/login");
}

/// Every session as if it had been prolonged last 11 minutes ago (its next page view writes it).
async fn age_sessions(app: &TestApp) {
    sqlx::query(
        "UPDATE session SET data = jsonb_set(data, '{seen}', to_jsonb((data->>'seen')::bigint - 11)),
                            expires_at = expires_at - interval '11 minutes'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn reading_pages_writes_nothing_to_the_session_yet_a_session_in_use_is_prolonged_every_ten_minutes()
 {
    let app = spawn_app().await;
    let client = app.signed_in("teacher").await;
    assert_eq!(path_of(&client.get("/teacher").await), "/teacher");
    let stamp = || async {
        sqlx::query_as::<_, (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>(
            "SELECT updated_at, expires_at FROM session",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    let before = stamp().await;
    for path in ["/teacher", "/journal", "/teacher", "/messages"] {
        client.get(path).await;
    }
    assert_eq!(stamp().await, before, "a page view is not a write");

    // Eleven minutes after it was last prolonged, the next page view moves the idle expiry on.
    age_sessions(&app).await;
    let aged = stamp().await;
    assert_eq!(path_of(&client.get("/teacher").await), "/teacher");
    let after = stamp().await;
    assert!(
        after.1 > aged.1 + chrono::Duration::minutes(10),
        "{aged:?} → {after:?}"
    );
}

/// Issue 16: the person is read with the session, in the same statement, for the request only.
/// It is never written into the session's row, a person found in the row is not believed, and
/// an account disabled meanwhile is signed out at its very next page.
#[tokio::test]
async fn the_person_read_with_the_session_is_never_stored_nor_taken_from_the_row_and_a_disabled_account_is_out_at_once()
 {
    let app = spawn_app().await;
    let client = app.signed_in("teacher").await;
    // The session is written back (prolonged, as above) while a page reads its person.
    age_sessions(&app).await;
    let (status, page) = client.text("/teacher").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Васильева"), "the teacher's name: {page}");
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM session WHERE account_id IS NOT NULL AND NOT data ? 'person'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let written: i64 =
        sqlx::query_scalar("SELECT count(*) FROM session WHERE updated_at > now() - interval '1 minute' AND account_id IS NOT NULL")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(written, 1, "the session was written back");
    assert_eq!(stored, 1, "and without its person");

    // A person put into the row (a director, another name) changes nothing.
    sqlx::query(
        "UPDATE session SET data = data || jsonb_build_object('person', jsonb_build_object(
             'account_id', account_id, 'login', 'director', 'full_name', 'Подставной Директор',
             'must_change_password', false, 'is_operator', true, 'membership_count', 1,
             'school_id', (data -> 'membership' ->> 0)::bigint,
             'membership_id', (data -> 'membership' ->> 1)::bigint, 'role', 'director',
             'class_id', NULL, 'pupil_id', NULL, 'school_name', 'Школа', 'school_time_zone',
             'Europe/Moscow', 'timetable_editor', true, 'unread_messages', 0))",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let (status, page) = client.text("/teacher").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Васильева") && !page.contains("Подставной"),
        "{page}"
    );
    let (status, _) = client.text("/director").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "still a teacher");

    sqlx::query("UPDATE account SET disabled_at = now() WHERE login = 'teacher'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(path_of(&client.get("/teacher").await), "/login");
}

/// A browser at another address of this machine (127.0.0.0/8 all lead to the server).
fn client_from(app: &TestApp, ip: &str) -> Client {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    Client {
        http,
        jar,
        base: app.base.clone(),
    }
}

#[tokio::test]
async fn an_address_guessing_many_logins_is_refused_in_russian_while_the_real_user_elsewhere_signs_in()
 {
    let app = spawn_app().await;
    let attacker = client_from(&app, "127.0.0.9");
    for i in 0..30 {
        let response = attacker.login(&format!("guess{i}"), "123456").await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{i}");
    }
    let response = attacker.login("guess-more", "123456").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Слишком много неудачных попыток входа с этого компьютера"),
        "{html}"
    );
    // Refused before any password is checked, even the right one of a real login.
    let response = attacker.login("teacher", "demo").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // The attempts are in the security log with their address; the refusals are not.
    let (failed, locked): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE kind = 'login_failed'),
                count(*) FILTER (WHERE kind = 'login_locked')
         FROM account_event WHERE ip = '127.0.0.9'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((failed, locked), (30, 0));
    // The real teacher at another address is not touched.
    let response = client_from(&app, "127.0.0.1")
        .login("teacher", "demo")
        .await;
    assert_eq!(path_of(&response), "/teacher");
    // Fifteen minutes later the address may try again.
    app.clock.advance(chrono::Duration::minutes(16));
    let response = attacker.login("teacher", "demo").await;
    assert_eq!(path_of(&response), "/teacher");
}

#[tokio::test]
async fn failures_typed_elsewhere_do_not_lock_a_person_out_where_they_have_signed_in_before() {
    let app = spawn_app().await;
    // The teacher has worked from the school's network (one address for everybody there).
    let school = client_from(&app, "127.0.0.3");
    assert_eq!(path_of(&school.login("teacher", "demo").await), "/teacher");
    school.post("/logout", &[]).await;
    app.clock.advance(chrono::Duration::minutes(1));
    // Someone elsewhere locks the login…
    let outside = client_from(&app, "127.0.0.4");
    for _ in 0..5 {
        outside.login("teacher", "wrong").await;
    }
    let html = outside.login("teacher", "demo").await.text().await.unwrap();
    assert!(html.contains("Вход временно заблокирован"), "{html}");
    // …a pupil at the school guesses other people's logins until the address is refused…
    let pupil = client_from(&app, "127.0.0.3");
    for i in 0..30 {
        pupil.login(&format!("guess{i}"), "qwerty").await;
    }
    assert_eq!(
        pupil.login("guess-more", "qwerty").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // …and the teacher still signs in at school.
    let teacher = client_from(&app, "127.0.0.3");
    assert_eq!(path_of(&teacher.login("teacher", "demo").await), "/teacher");
    // Failures from the school's address itself still lock the login there.
    app.clock.advance(chrono::Duration::minutes(1));
    let teacher_failures = client_from(&app, "127.0.0.3");
    for _ in 0..5 {
        teacher_failures.login("teacher", "wrong").await;
    }
    let html = teacher_failures
        .login("teacher", "demo")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Вход временно заблокирован"), "{html}");
}

#[tokio::test]
async fn an_overlong_login_or_password_is_a_failed_login_that_asks_nothing_of_the_database() {
    let app = spawn_app().await;
    let client = app.client();
    let huge = "a".repeat(1_000_000);
    let long_password = "p".repeat(257);
    let long_login = "a".repeat(65);
    let events = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM account_event")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    let before = events().await;
    for (login, password) in [
        (huge.as_str(), "demo"),
        (long_login.as_str(), "demo"),
        ("teacher", long_password.as_str()),
    ] {
        let response = client.login(login, password).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(html.contains("Неверный логин или пароль."));
        assert!(html.len() < 100_000, "the login is not echoed in full");
    }
    assert_eq!(events().await, before);
}

#[tokio::test]
async fn a_control_character_in_the_login_form_is_refused_in_russian_and_nothing_is_written() {
    let app = spawn_app().await;
    let client = app.client();
    let events = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM account_event")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    let before = events().await;
    for (login, password) in [("teacher\0", "demo"), ("teacher", "de\u{1}mo")] {
        let response = client.login(login, password).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(html.contains("служебные"), "{html}");
    }
    assert_eq!(events().await, before);
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
