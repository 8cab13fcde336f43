//! Pages every user meets: error pages, health, the choice of role, the platform page; and the
//! audit table's refusal to be rewritten.

use reqwest::StatusCode;

use crate::auth::between;
use crate::helpers::{TestApp, path_of, spawn_app};

#[tokio::test]
async fn an_unknown_page_answers_404_in_russian_with_a_request_id() {
    let app = spawn_app().await;
    let client = app.signed_in("teacher").await;
    let response = client.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let html = response.text().await.unwrap();
    assert!(html.contains("Страница не найдена"));
    assert!(html.contains(&id), "the page names the request id");
}

#[tokio::test]
async fn a_malformed_id_or_form_gets_a_russian_page_not_a_500() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let response = admin.get("/admin/users/not-a-number").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains("Не удалось обработать запрос"), "{html}");
    let response = admin.get("/admin/users/99999999999999999999").await;
    assert!(response.status().is_client_error());
}

#[tokio::test]
async fn healthz_reports_the_database() {
    let app = spawn_app().await;
    let response = app.client().get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "ok");
}

#[tokio::test]
async fn readyz_proves_a_write_and_says_503_when_the_database_refuses_writes_while_healthz_stays_ok()
 {
    let app = spawn_app().await;
    let client = app.client();
    let response = client.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["writes"], "ok");
    let probed: i64 = sqlx::query_scalar("SELECT count(*) FROM readiness_probe")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(probed, 1, "the probe wrote its row");
    // Every write now fails (as on a full disk), reads still work.
    sqlx::query("ALTER TABLE readiness_probe ADD CONSTRAINT refuse CHECK (false) NOT VALID")
        .execute(&app.pool)
        .await
        .unwrap();
    let response = client.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["writes"], "failed");
    assert_eq!(client.get("/healthz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn static_files_are_served_and_unknown_ones_are_not() {
    let app = spawn_app().await;
    let client = app.client();
    let css = client.get("/static/app.css").await;
    assert_eq!(css.status(), StatusCode::OK);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert_eq!(
        client.get("/static/htmx.min.js").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        client.get("/static/../Cargo.toml").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_root_sends_each_person_where_they_belong() {
    let app = spawn_app().await;
    assert_eq!(path_of(&app.client().get("/").await), "/login");
    let director = app.signed_in("director").await;
    assert_eq!(path_of(&director.get("/").await), "/director");
}

#[tokio::test]
async fn a_person_with_roles_in_two_schools_chooses_and_switches() {
    let app = spawn_app().await;
    // parent2's other child studies in school 1.
    let parent2 = app.account_id("parent2").await;
    let (school1, pupil): (i64, i64) = sqlx::query_as(
        "SELECT p.school_id, p.id FROM pupil p JOIN school s ON s.id = p.school_id
         WHERE s.slug = 'demo-1' ORDER BY p.id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO membership (school_id, account_id, role, pupil_id) VALUES ($1, $2, 'parent', $3)")
        .bind(school1)
        .bind(parent2)
        .bind(pupil)
        .execute(&app.pool)
        .await
        .unwrap();
    let client = app.client();
    let response = client.login("parent2", "demo").await;
    assert_eq!(path_of(&response), "/choose");
    let html = response.text().await.unwrap();
    assert!(html.contains("Школа № 1") && html.contains("Школа № 2"));
    let choices: Vec<String> = html
        .split("name=\"membership\" value=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect();
    assert_eq!(choices.len(), 2);
    let mut schools_seen = Vec::new();
    for choice in &choices {
        let page = client.post("/choose", &[("membership", choice)]).await;
        assert_eq!(path_of(&page), "/parent");
        let html = page.text().await.unwrap();
        schools_seen.push(between(&html, "<span class=\"school\">", "</span>"));
        assert!(html.contains("Сменить роль"));
    }
    schools_seen.sort();
    assert_eq!(
        schools_seen,
        ["Демонстрационная школа № 1", "Демонстрационная школа № 2"]
    );
}

#[tokio::test]
async fn the_audit_trail_refuses_update_delete_and_truncate() {
    let app = spawn_app().await;
    for statement in [
        "UPDATE audit_event SET reason = 'rewritten'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
    ] {
        let error = sqlx::query(statement)
            .execute(&app.pool)
            .await
            .expect_err(statement);
        // TRUNCATE is refused by the trigger, or before it by the reverts of compromised
        // credentials that refer to events (a foreign key): either way nothing goes.
        let refused = error.to_string().contains("append-only")
            || (statement.starts_with("TRUNCATE")
                && error.to_string().contains("referenced in a foreign key"));
        assert!(refused, "{statement}: {error}");
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(count > 0);
}

#[tokio::test]
async fn the_operator_creates_a_school_whose_administrator_must_change_the_password() {
    let app = spawn_app().await;
    let operator = app.signed_in("operator").await;
    let bad = operator
        .post("/platform", &[("name", "Ш"), ("slug", "Школа")])
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(html.contains("Полное название: от 3 до 300 символов."));
    assert!(
        html.contains(r#"value="Школа""#),
        "the form keeps what was typed"
    );

    let response = operator
        .post(
            "/platform",
            &[
                ("name", "МБОУ «Лицей № 7»"),
                ("short_name", "Лицей № 7"),
                ("slug", "licey-7"),
                ("time_zone", "Asia/Novosibirsk"),
                ("admin_last_name", "Орлова"),
                ("admin_first_name", "Вера"),
            ],
        )
        .await;
    let html = response.text().await.unwrap();
    assert!(html.contains("Школа создана"), "{html}");
    assert!(html.contains("МБОУ «Лицей № 7»"));
    let login = between(&html, "Логин: <code>", "</code>");
    let password = between(&html, "Пароль: <code>", "</code>");
    assert_eq!(login, "admin-licey-7");
    let admin = app.client();
    assert_eq!(path_of(&admin.login(&login, &password).await), "/password");
}

#[tokio::test]
async fn class_lists_sort_russian_names_by_the_russian_alphabet() {
    let app = spawn_app().await;
    let (school, class): (i64, i64) = sqlx::query_as(
        "SELECT c.school_id, c.id FROM school_class c JOIN school s ON s.id = c.school_id
         WHERE s.slug = 'demo-1' AND c.grade = 5 AND c.letter = 'Б'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // Byte order would put «Ё» before «А» and after «Я»; the Russian alphabet puts it with «Е».
    for surname in ["Яшин", "Ёлкин", "Ежов", "Аалто"] {
        let pupil: i64 = sqlx::query_scalar(
            "INSERT INTO pupil (school_id, last_name, first_name) VALUES ($1, $2, 'Тест') RETURNING id",
        )
        .bind(school)
        .bind(surname)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO class_enrollment (school_id, pupil_id, class_id, starts_on) VALUES ($1, $2, $3, '2026-09-01')")
            .bind(school)
            .bind(pupil)
            .bind(class)
            .execute(&app.pool)
            .await
            .unwrap();
    }
    let (_, html) = app
        .signed_in("classteacher")
        .await
        .text("/class-teacher")
        .await;
    let at = |name: &str| html.find(name).unwrap_or_else(|| panic!("{name} listed"));
    assert!(at("Аалто") < at("Ежов"));
    assert!(at("Ежов") < at("Ёлкин"));
    assert!(at("Ёлкин") < at("Яшин"));
}

#[tokio::test]
async fn pages_with_personal_data_are_never_stored_but_static_files_are_cached() {
    let app = spawn_app().await;
    let no_store = |r: &reqwest::Response| {
        r.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let parent = app.signed_in("parent").await;
    let classteacher = app.signed_in("classteacher").await;
    let admin = app.signed_in("admin").await;
    let pupil_id: i64 = sqlx::query_scalar("SELECT id FROM pupil ORDER BY id LIMIT 1")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let pages = [
        (&parent, "/parent".to_string()),
        (&parent, "/diary".to_string()),
        (&parent, "/messages".to_string()),
        (&classteacher, "/class-teacher/parents".to_string()),
        (&classteacher, "/class-teacher/extract.pdf".to_string()),
        (&admin, format!("/pupils/{pupil_id}")),
        (&admin, "/admin/users".to_string()),
        (&admin, "/no/such/page".to_string()),
    ];
    for (client, path) in pages {
        let response = client.get(&path).await;
        assert!(!response.status().is_server_error(), "{path}");
        assert_eq!(no_store(&response).as_deref(), Some("no-store"), "{path}");
    }
    // The one-time page with issued passwords.
    let response = admin
        .post(
            "/admin/users/new",
            &[
                ("last_name", "Ёлкина"),
                ("first_name", "Мария"),
                ("role", "teacher"),
            ],
        )
        .await;
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Сотрудник добавлен")
    );
    let response = admin
        .post(
            "/admin/users/new",
            &[
                ("last_name", "Ёлкин"),
                ("first_name", "Пётр"),
                ("role", "teacher"),
            ],
        )
        .await;
    assert_eq!(no_store(&response).as_deref(), Some("no-store"));
    let css = app.client().get("/static/app.css").await;
    let cache = no_store(&css).unwrap_or_default();
    assert!(cache.contains("max-age="), "{cache}");
    assert!(!cache.contains("no-store"), "{cache}");
    // Over plain HTTP (cookies not Secure) there is no HSTS.
    assert!(css.headers().get("strict-transport-security").is_none());
    let login = app.client().get("/login").await;
    assert!(login.headers().get("strict-transport-security").is_none());
}

/// The same application with `secure_cookies` on (as behind HTTPS).
async fn secure_app(app: &TestApp) -> String {
    let mut config = zhurnal::config::Config::from_env().unwrap();
    config.secure_cookies = true;
    config.smtp_url = None;
    config.mail_poll_seconds = 0;
    let state = zhurnal::startup::state(app.pool.clone(), config, app.clock.clone());
    let server = zhurnal::startup::Application::bind(state, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", server.port());
    tokio::spawn(server.run_until(std::future::pending()));
    base
}

#[tokio::test]
async fn hsts_is_sent_only_when_cookies_are_secure_and_then_the_form_cookie_is_host_only() {
    let app = spawn_app().await;
    let base = secure_app(&app).await;
    let response = reqwest::get(format!("{base}/login")).await.unwrap();
    let hsts = response.headers()["strict-transport-security"]
        .to_str()
        .unwrap();
    assert!(hsts.contains("max-age=31536000"), "{hsts}");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-zhurnal_csrf="), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");
    let css = reqwest::get(format!("{base}/static/app.css"))
        .await
        .unwrap();
    assert!(css.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn a_back_address_with_a_line_break_or_another_site_leads_to_the_group_page_not_a_500() {
    let app = spawn_app().await;
    let (_, group_id) = crate::hostile::english_group(&app).await;
    let teacher_id = app.account_id("teacher").await;
    let deputy = app.signed_in("deputy").await;
    for back in ["/classes/%0A", "//evil.example/", "https://evil.example/"] {
        let response = deputy
            .post(
                &format!("/groups/{group_id}/teacher?back={back}"),
                &[("teacher", &teacher_id.to_string()), ("hours", "2")],
            )
            .await;
        assert!(!response.status().is_server_error(), "{back}");
        assert_eq!(path_of(&response), format!("/groups/{group_id}"), "{back}");
    }
}

#[tokio::test]
async fn a_control_character_in_a_query_string_is_refused_in_russian_before_the_page_runs() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    for path in [
        "/admin/users?role=%00",
        "/classes?year=1%01",
        "/login?next=%7F",
    ] {
        let response = admin.get(path).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains("служебные"), "{path}: {html}");
    }
    // Line breaks and tabs are text, not control characters.
    let response = admin.get("/admin/users?role=%0A").await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn database_refusals_are_a_conflict_or_bad_input_and_faults_stay_faults() {
    use zhurnal::error::{DbRefusal, refusal_of};
    let app = spawn_app().await;
    let error_of = |sql: &'static str| {
        let pool = app.pool.clone();
        async move { sqlx::query(sql).execute(&pool).await.unwrap_err() }
    };
    let cases = [
        (
            "INSERT INTO account_event (login, kind) VALUES ('x', 'no-such-kind')",
            Some(DbRefusal::BadValue),
        ),
        (
            "UPDATE pupil SET school_id = -1 WHERE id = (SELECT min(id) FROM pupil)",
            Some(DbRefusal::InUse),
        ),
        ("SELECT 'пять'::int", Some(DbRefusal::BadValue)),
        (
            "SELECT convert_from('\\x00'::bytea, 'UTF8')",
            Some(DbRefusal::BadValue),
        ),
        ("SELECT * FROM no_such_table", None),
    ];
    for (sql, expected) in cases {
        let e = error_of(sql).await;
        assert_eq!(refusal_of(&e), expected, "{sql}: {e}");
    }
    let duplicate = error_of(
        "INSERT INTO work_type (school_id, name, short_name, weight, checking_days)
         SELECT school_id, name, short_name, weight, checking_days FROM work_type LIMIT 1",
    )
    .await;
    assert_eq!(
        refusal_of(&duplicate),
        Some(DbRefusal::Duplicate),
        "{duplicate}"
    );
}

/// Issue 15 (3): a page of the journal goes gzipped to a browser that accepts it — the school's
/// line is slow — and unpacks to the same page; files that are compressed already go as they are.
#[tokio::test]
async fn pages_go_gzipped_to_a_browser_that_accepts_it_and_files_as_they_are() {
    use std::io::Read;
    let app = spawn_app().await;
    let deputy = app.signed_in("deputy").await;
    let plain = deputy
        .http
        .get(deputy.url("/journal"))
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.text().await.unwrap();
    let packed = deputy
        .http
        .get(deputy.url("/journal"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(packed.headers()["content-encoding"], "gzip");
    let bytes = packed.bytes().await.unwrap();
    assert!(
        bytes.len() * 2 < plain.len(),
        "{} bytes gzipped of {}",
        bytes.len(),
        plain.len()
    );
    let mut page = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut page)
        .unwrap();
    assert_eq!(page.len(), plain.len());
    assert!(page.starts_with("<!doctype html>") && page.contains("Журналы"));

    let file = deputy
        .http
        .get(deputy.url("/reports/activity.xlsx?month=2026-11"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert!(
        file.headers().get("content-encoding").is_none(),
        "an XLSX is a ZIP already"
    );
}

/// Issue 16: an answer that fits in one network packet — the cell save's fragment, the write
/// made all day — goes as it is to a browser that accepts gzip: a compressor's set-up for no time
/// gained.
#[tokio::test]
async fn a_saved_cells_answer_of_one_packet_goes_uncompressed() {
    let j = crate::journal::maths_5b().await;
    j.app.clock.set(crate::journal::msk(10, 5, 9, 0));
    let (lesson, pupil) = (j.lesson(10, 5).await.to_string(), j.pupils[0].to_string());
    let token = j.teacher.csrf().await;
    let r = j
        .teacher
        .http
        .post(j.teacher.url("/journal/cells"))
        .header("hx-request", "true")
        .header("x-csrf-token", token)
        .header("accept-encoding", "gzip")
        .form(&[
            ("lesson", lesson.as_str()),
            ("pupil", &pupil),
            ("value", "5"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("content-encoding").is_none());
    let fragment = r.text().await.unwrap();
    assert!(fragment.contains("value=\"5\""), "{fragment}");
    assert!(
        (100..1400).contains(&fragment.len()),
        "{} bytes",
        fragment.len()
    );
}
