//! E-mail to parents (regulations §4) through the outbox, delivered to a real local SMTP server
//! (`tests/it/smtp.rs`) whose Maildir the tests read back.

use chrono::Duration;
use reqwest::StatusCode;
use zhurnal::mail::{self, MailerConfig, Stats};

use crate::helpers::{TestApp, spawn_app};
use crate::journal::{Journal, maths_5b, msk};
use crate::settings;
use crate::smtp::SmtpServer;

fn mailer(smtp: Option<&SmtpServer>) -> MailerConfig {
    MailerConfig {
        smtp_url: smtp.map(SmtpServer::url),
        from: zhurnal::config::DEFAULT_MAIL_FROM.into(),
        site_url: "http://127.0.0.1/".into(),
    }
}

async fn round(app: &TestApp, smtp: Option<&SmtpServer>) -> Stats {
    mail::run_once(&app.pool, app.clock.as_ref(), &mailer(smtp))
        .await
        .expect("a mail round")
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

/// The demo parent's child (Морозов Иван, 5«Б»).
async fn child_of_parent(app: &TestApp) -> i64 {
    scalar(
        app,
        "SELECT pp.pupil_id FROM pupil_parent pp JOIN parent p ON p.id = pp.parent_id
         JOIN account a ON a.id = p.account_id WHERE a.login = 'parent'",
    )
    .await
}

/// The teacher types a cell of the journal grid as htmx does.
async fn type_cell(j: &Journal, lesson: i64, pupil: i64, value: &str) {
    let (lesson, pupil) = (lesson.to_string(), pupil.to_string());
    let r = j
        .teacher
        .post_htmx(
            "/journal/cells",
            &[("lesson", &lesson), ("pupil", &pupil), ("value", value)],
        )
        .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("сохранено"), "{html}");
}

/// The demo parent chooses a mode on the preference page.
async fn choose(app: &TestApp, login: &str, mode: &str) {
    let parent = app.signed_in(login).await;
    let r = parent
        .post("/parent/notifications", &[("mode", mode)])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Сохранено"));
}

#[tokio::test]
async fn regulation_4_a_new_mark_reaches_a_parent_with_instant_mail_exactly_once() {
    let j = maths_5b().await;
    let smtp = SmtpServer::start();
    let child = child_of_parent(&j.app).await;
    j.app.clock.set(msk(10, 5, 8, 0));
    choose(&j.app, "parent", "instant").await;

    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    type_cell(&j, monday, child, "5").await;
    // Not told in the same second: a mark is told once it has settled (a minute).
    assert_eq!(round(&j.app, Some(&smtp)).await, Stats::default());

    j.app.clock.set(msk(10, 5, 9, 5));
    let first = round(&j.app, Some(&smtp)).await;
    assert_eq!((first.composed, first.sent), (1, 1), "{first:?}");
    let second = round(&j.app, Some(&smtp)).await;
    assert_eq!(second, Stats::default(), "nothing twice");

    let got = smtp.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    let m = &got[0];
    assert_eq!(m.to, "parent@example.ru");
    assert!(
        m.subject.contains("Новые отметки и пропуски") && m.subject.contains("Морозов Иван"),
        "{}",
        m.subject
    );
    assert!(
        m.body.contains("Здравствуйте, Анна Викторовна!")
            && m.body.contains("05.10.2026, Математика: отметка 5"),
        "{}",
        m.body
    );
    assert_eq!(
        scalar(
            &j.app,
            "SELECT count(*) FROM mail_outbox WHERE sent_at IS NOT NULL"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn regulation_4_every_parent_of_a_class_gets_their_own_childrens_marks_in_one_round() {
    let j = maths_5b().await;
    j.app.clock.set(msk(10, 5, 8, 0));
    // Every parent of 5«Б» who gave consent chose instant mail (an address where none is kept).
    let parents: Vec<i64> = sqlx::query_scalar(
        "UPDATE parent p SET email = coalesce(p.email, 'p' || p.id || '@example.ru'),
                notify_mode = 'instant', notified_until = $2
         WHERE p.pd_consent IS TRUE AND p.id IN (
               SELECT pp.parent_id FROM pupil_parent pp
               JOIN class_enrollment e ON e.pupil_id = pp.pupil_id
               WHERE e.class_id = $1 AND e.ends_on IS NULL)
         RETURNING p.id",
    )
    .bind(j.class_id)
    .bind(msk(10, 5, 8, 0))
    .fetch_all(&j.app.pool)
    .await
    .unwrap();
    assert!(parents.len() >= 5, "{parents:?}");

    // The teacher marks the whole class: 5, 4, 3, 5, 4, 3 …
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    for (i, pupil) in j.pupils.iter().enumerate() {
        type_cell(&j, monday, *pupil, ["5", "4", "3"][i % 3]).await;
    }

    // Composed in batches of two parents: every batch's bounds are its own.
    let school: i64 = sqlx::query_scalar("SELECT school_id FROM study_group WHERE id = $1")
        .bind(j.group)
        .fetch_one(&j.app.pool)
        .await
        .unwrap();
    let compose = |now| {
        mail::compose::compose_school(
            &j.app.pool,
            zhurnal::tenancy::SchoolId(school),
            "Europe/Moscow",
            mail::DigestTime::DEFAULT,
            now,
            2,
        )
    };
    let now = msk(10, 5, 9, 5);
    assert_eq!(compose(now).await.unwrap(), parents.len(), "one each");
    assert_eq!(compose(now).await.unwrap(), 0, "nothing twice");

    // Each letter names the parent's own children with their marks, and nobody else's child.
    let letters: Vec<(i64, String)> =
        sqlx::query_as("SELECT parent_id, body FROM mail_outbox ORDER BY parent_id")
            .fetch_all(&j.app.pool)
            .await
            .unwrap();
    assert_eq!(letters.len(), parents.len());
    let class: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT pu.id, pu.last_name || ' ' || pu.first_name, pp.parent_id
         FROM class_enrollment e JOIN pupil pu ON pu.id = e.pupil_id
         JOIN pupil_parent pp ON pp.pupil_id = pu.id
         WHERE e.class_id = $1 AND e.ends_on IS NULL",
    )
    .bind(j.class_id)
    .fetch_all(&j.app.pool)
    .await
    .unwrap();
    for (parent, body) in &letters {
        for (pupil, name, of) in &class {
            let i = j.pupils.iter().position(|p| p == pupil).unwrap();
            let line = format!("05.10.2026, Математика: отметка {}", ["5", "4", "3"][i % 3]);
            if of == parent {
                assert!(
                    body.contains(&format!("{name}, 5Б класс")) && body.contains(&line),
                    "{name} {line} in {body}"
                );
            } else if !class.iter().any(|(p, _, o)| p == pupil && o == parent) {
                assert!(!body.contains(name.as_str()), "{name} not in {body}");
            }
        }
    }
}

#[tokio::test]
async fn regulation_4_mail_survives_a_down_smtp_server_and_a_worker_that_died_and_is_sent_once() {
    let j = maths_5b().await;
    let mut smtp = SmtpServer::stopped();
    let child = child_of_parent(&j.app).await;
    j.app.clock.set(msk(10, 5, 8, 0));
    choose(&j.app, "parent", "instant").await;
    j.app.clock.set(msk(10, 5, 9, 0));
    type_cell(&j, j.lesson(10, 5).await, child, "4").await;

    // The server is down: the failure is recorded and the attempt counted.
    j.app.clock.set(msk(10, 5, 9, 5));
    let down = round(&j.app, Some(&smtp)).await;
    assert_eq!(
        (down.composed, down.sent, down.failed),
        (1, 0, 1),
        "{down:?}"
    );
    let (attempts, error): (i32, Option<String>) =
        sqlx::query_as("SELECT attempts, last_error FROM mail_outbox")
            .fetch_one(&j.app.pool)
            .await
            .unwrap();
    assert_eq!(attempts, 1);
    assert!(error.is_some_and(|e| e.contains("попытка 1")));

    // Up again: a new worker (a new round, a new connection) waits for the retry time, then
    // delivers once.
    smtp.resume();
    assert_eq!(
        round(&j.app, Some(&smtp)).await.sent,
        0,
        "not before its time"
    );
    j.app.clock.advance(Duration::minutes(2));
    assert_eq!(round(&j.app, Some(&smtp)).await.sent, 1);
    assert_eq!(round(&j.app, Some(&smtp)).await, Stats::default());
    assert_eq!(smtp.messages().len(), 1);

    // A message claimed by a worker that died before sending waits out the lease, then goes once.
    j.app.clock.set(msk(10, 7, 10, 0));
    type_cell(&j, j.lesson(10, 7).await, child, "3").await;
    j.app.clock.set(msk(10, 7, 10, 5));
    assert_eq!(round(&j.app, None).await.composed, 1, "composed, no SMTP");
    sqlx::query(
        "UPDATE mail_outbox SET attempts = attempts + 1, claimed_until = $1 WHERE sent_at IS NULL",
    )
    .bind(msk(10, 7, 10, 10))
    .execute(&j.app.pool)
    .await
    .unwrap();
    assert_eq!(
        round(&j.app, Some(&smtp)).await.sent,
        0,
        "held by the dead worker"
    );
    j.app.clock.set(msk(10, 7, 10, 11));
    assert_eq!(round(&j.app, Some(&smtp)).await.sent, 1);
    assert_eq!(round(&j.app, Some(&smtp)).await, Stats::default());
    let got = smtp.messages();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[1].body.contains("07.10.2026, Математика: отметка 3"));
    assert_ne!(got[0].message_id, got[1].message_id);
}

#[tokio::test]
async fn regulation_4_the_background_worker_delivers_and_stops_on_shutdown() {
    let j = maths_5b().await;
    let smtp = SmtpServer::start();
    let child = child_of_parent(&j.app).await;
    j.app.clock.set(msk(10, 5, 8, 0));
    choose(&j.app, "parent", "instant").await;
    j.app.clock.set(msk(10, 5, 9, 0));
    type_cell(&j, j.lesson(10, 5).await, child, "5").await;
    j.app.clock.set(msk(10, 5, 9, 5));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = mail::spawn_worker(
        j.app.pool.clone(),
        j.app.clock.clone(),
        mailer(Some(&smtp)),
        std::time::Duration::from_millis(100),
        stopped,
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while smtp.messages().is_empty() {
        assert!(std::time::Instant::now() < deadline, "delivered in time");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    stop.send(true).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(20), worker)
        .await
        .expect("the worker stops")
        .unwrap();
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn regulation_4_a_parent_who_refused_consent_or_has_none_recorded_gets_nothing() {
    let j = maths_5b().await;
    let smtp = SmtpServer::start();
    j.app.clock.set(msk(10, 5, 8, 0));
    // Parents of 5«Б»: one refused consent, one without a recorded answer; both have an address
    // and chose mail (as if set before).
    let mut children = Vec::new();
    for consent in ["p.pd_consent = false", "p.pd_consent IS NULL"] {
        let (parent, pupil): (i64, i64) = sqlx::query_as(&format!(
            "SELECT p.id, pp.pupil_id FROM parent p
             JOIN pupil_parent pp ON pp.parent_id = p.id
             JOIN class_enrollment e ON e.pupil_id = pp.pupil_id
             WHERE e.class_id = $1 AND {consent} ORDER BY p.id LIMIT 1"
        ))
        .bind(j.class_id)
        .fetch_one(&j.app.pool)
        .await
        .unwrap();
        sqlx::query(
            "UPDATE parent SET email = 'p' || id || '@example.ru', notify_mode = 'instant',
                    notified_until = $2 WHERE id = $1",
        )
        .bind(parent)
        .bind(msk(10, 5, 8, 0))
        .execute(&j.app.pool)
        .await
        .unwrap();
        children.push(pupil);
    }
    choose(&j.app, "parent", "instant").await;
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    for pupil in &children {
        type_cell(&j, monday, *pupil, "5").await;
    }
    type_cell(&j, monday, child_of_parent(&j.app).await, "4").await;
    j.app.clock.set(msk(10, 5, 9, 5));
    let stats = round(&j.app, Some(&smtp)).await;
    assert_eq!((stats.composed, stats.sent), (1, 1), "{stats:?}");
    let got = smtp.messages();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].to, "parent@example.ru",
        "only the parent with consent"
    );
    assert_eq!(
        scalar(&j.app, "SELECT count(*) FROM mail_outbox").await,
        1,
        "nothing composed for the others"
    );

    // Consent withdrawn after a message was composed: it is not sent.
    j.app.clock.set(msk(10, 7, 10, 0));
    type_cell(
        &j,
        j.lesson(10, 7).await,
        child_of_parent(&j.app).await,
        "5",
    )
    .await;
    j.app.clock.set(msk(10, 7, 10, 5));
    assert_eq!(round(&j.app, None).await.composed, 1);
    sqlx::query("UPDATE parent SET pd_consent = false WHERE email = 'parent@example.ru'")
        .execute(&j.app.pool)
        .await
        .unwrap();
    let stats = round(&j.app, Some(&smtp)).await;
    assert_eq!((stats.sent, stats.cancelled), (0, 1), "{stats:?}");
    assert_eq!(smtp.messages().len(), 1, "nothing more arrived");
}

#[tokio::test]
async fn regulation_4_daily_and_weekly_digests_come_in_the_evening_with_the_days_marks_and_homework()
 {
    let j = maths_5b().await;
    let smtp = SmtpServer::start();
    let child = child_of_parent(&j.app).await;
    j.app.clock.set(msk(10, 5, 8, 0));
    choose(&j.app, "parent", "daily").await;
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    type_cell(&j, monday, child, "5").await;
    sqlx::query("UPDATE lesson SET homework = 'Учебник § 12, № 340' WHERE id = $1")
        .bind(monday)
        .execute(&j.app.pool)
        .await
        .unwrap();

    j.app.clock.set(msk(10, 5, 17, 55));
    assert_eq!(
        round(&j.app, Some(&smtp)).await,
        Stats::default(),
        "before 18:00"
    );
    j.app.clock.set(msk(10, 5, 18, 1));
    assert_eq!(round(&j.app, Some(&smtp)).await.sent, 1);
    j.app.clock.set(msk(10, 5, 21, 0));
    assert_eq!(
        round(&j.app, Some(&smtp)).await,
        Stats::default(),
        "once a day"
    );
    let got = smtp.messages();
    assert_eq!(got.len(), 1);
    assert!(
        got[0].subject.starts_with("Дневник за 05.10.2026"),
        "{}",
        got[0].subject
    );
    assert!(
        got[0].body.contains("05.10.2026, Математика: отметка 5")
            && got[0].body.contains("Домашнее задание:")
            && got[0].body.contains("Учебник § 12, № 340"),
        "{}",
        got[0].body
    );

    // Weekly: from Saturday evening, the week's marks since the last mail.
    j.app.clock.set(msk(10, 6, 8, 0));
    choose(&j.app, "parent", "weekly").await;
    j.app.clock.set(msk(10, 7, 10, 0));
    type_cell(&j, j.lesson(10, 7).await, child, "4").await;
    j.app.clock.set(msk(10, 9, 20, 0));
    assert_eq!(
        round(&j.app, Some(&smtp)).await,
        Stats::default(),
        "not on Friday"
    );
    j.app.clock.set(msk(10, 10, 18, 30));
    assert_eq!(round(&j.app, Some(&smtp)).await.sent, 1);
    j.app.clock.set(msk(10, 11, 12, 0));
    assert_eq!(
        round(&j.app, Some(&smtp)).await,
        Stats::default(),
        "once a week"
    );
    let got = smtp.messages();
    assert_eq!(got.len(), 2);
    assert!(
        got[1]
            .subject
            .starts_with("Дневник за неделю 05.10–10.10.2026"),
        "{}",
        got[1].subject
    );
    assert!(
        got[1].body.contains("07.10.2026, Математика: отметка 4")
            && !got[1].body.contains("отметка 5"),
        "{}",
        got[1].body
    );
}

/// The school's administrator moves its digests on «Настройки школы» (regulations §4).
async fn set_digest_time(app: &TestApp, hour: &str, weekday: &str) {
    let admin = app.signed_in("admin").await;
    let r = admin
        .post(
            "/admin/settings",
            &settings::form(&[("digest_hour", hour), ("digest_weekday", weekday)]),
        )
        .await;
    assert!(r.text().await.unwrap().contains("Настройки сохранены."));
}

#[tokio::test]
async fn regulation_4_digests_come_at_the_hour_and_on_the_weekday_the_school_chose() {
    let j = maths_5b().await;
    let smtp = SmtpServer::start();
    let child = child_of_parent(&j.app).await;
    // 20:00, weekly on Wednesday (ISO 3).
    set_digest_time(&j.app, "20", "3").await;
    let (_, page) = j
        .app
        .signed_in("parent")
        .await
        .text("/parent/notifications")
        .await;
    assert!(
        page.contains("каждый день после 20:00") && page.contains("в среду после 20:00"),
        "the parent is told when: {page}"
    );
    j.app.clock.set(msk(10, 5, 8, 0));
    choose(&j.app, "parent", "daily").await;
    j.app.clock.set(msk(10, 5, 9, 0));
    type_cell(&j, j.lesson(10, 5).await, child, "5").await;

    j.app.clock.set(msk(10, 5, 18, 1));
    assert_eq!(
        round(&j.app, Some(&smtp)).await,
        Stats::default(),
        "not at 18:00 any more"
    );
    j.app.clock.set(msk(10, 5, 19, 59));
    assert_eq!(round(&j.app, Some(&smtp)).await, Stats::default());
    j.app.clock.set(msk(10, 5, 20, 0));
    assert_eq!(round(&j.app, Some(&smtp)).await.sent, 1, "at 20:00");
    j.app.clock.set(msk(10, 5, 23, 0));
    assert_eq!(
        round(&j.app, Some(&smtp)).await,
        Stats::default(),
        "once a day"
    );
    let got = smtp.messages();
    assert_eq!(got.len(), 1);
    assert!(
        got[0].subject.starts_with("Дневник за 05.10.2026")
            && got[0].body.contains("05.10.2026, Математика: отметка 5"),
        "{got:?}"
    );

    // Weekly on Wednesday from 20:00: the week so far, the marks since the last mail.
    j.app.clock.set(msk(10, 6, 8, 0));
    choose(&j.app, "parent", "weekly").await;
    j.app.clock.set(msk(10, 7, 10, 0));
    type_cell(&j, j.lesson(10, 7).await, child, "4").await;
    j.app.clock.set(msk(10, 7, 19, 30));
    assert_eq!(
        round(&j.app, Some(&smtp)).await,
        Stats::default(),
        "not before the hour"
    );
    j.app.clock.set(msk(10, 7, 20, 5));
    assert_eq!(round(&j.app, Some(&smtp)).await.sent, 1, "Wednesday 20:05");
    for (m, d, h) in [(10, 8, 21), (10, 10, 18), (10, 11, 23)] {
        j.app.clock.set(msk(m, d, h, 30));
        assert_eq!(
            round(&j.app, Some(&smtp)).await,
            Stats::default(),
            "once a week ({d}.{m} {h}:30)"
        );
    }
    let got = smtp.messages();
    assert_eq!(got.len(), 2);
    assert!(
        got[1]
            .subject
            .starts_with("Дневник за неделю 05.10–07.10.2026"),
        "{}",
        got[1].subject
    );
    assert!(
        got[1].body.contains("07.10.2026, Математика: отметка 4")
            && !got[1].body.contains("отметка 5"),
        "{}",
        got[1].body
    );

    // The next week's Wednesday brings the next one (the Saturday in between did not).
    j.app.clock.set(msk(10, 12, 10, 0));
    type_cell(&j, j.lesson(10, 12).await, child, "3").await;
    j.app.clock.set(msk(10, 14, 20, 0));
    assert_eq!(round(&j.app, Some(&smtp)).await.sent, 1);
    assert!(
        smtp.messages()[2]
            .body
            .contains("12.10.2026, Математика: отметка 3")
    );
}

#[tokio::test]
async fn the_parent_chooses_mail_on_a_page_audited_and_other_roles_are_refused() {
    let app = spawn_app().await;
    let parent = app.signed_in("parent").await;
    let (status, page) = parent.text("/parent/notifications").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("parent@example.ru"), "the address on record");
    assert!(
        page.contains("ежедневная сводка — каждый день после 18:00")
            && page.contains("еженедельная сводка — раз в неделю: в субботу после 18:00"),
        "the school's digest time: {page}"
    );
    assert!(
        page.contains("href=\"/parent/notifications\""),
        "in the menu"
    );

    let r = parent
        .post("/parent/notifications", &[("mode", "weekly")])
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Сохранено: еженедельная сводка")
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM audit_event WHERE action = 'parent.notify_mode'"
        )
        .await,
        1
    );
    let audit = app.signed_in("admin").await;
    let (_, page) = audit.text("/audit").await;
    assert!(page.contains("Изменён выбор уведомлений по почте"));

    // Bad input: a Russian message, nothing written.
    for form in [&[("mode", "hourly")][..], &[][..]] {
        let r = parent.post("/parent/notifications", form).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("Выберите один из вариантов.")
        );
    }
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM parent WHERE notify_mode = 'weekly'"
        )
        .await,
        1
    );

    // Other roles may not; a parent of another school sees only their own record.
    for login in ["teacher", "admin", "student"] {
        let who = app.signed_in(login).await;
        assert_eq!(
            who.get("/parent/notifications").await.status(),
            StatusCode::FORBIDDEN,
            "{login}"
        );
        let r = who
            .post("/parent/notifications", &[("mode", "instant")])
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{login}");
    }
    let other = app.signed_in("parent2").await;
    let (_, page) = other.text("/parent/notifications").await;
    assert!(page.contains("parent2@example.ru") && !page.contains("parent@example.ru"));

    // Consent refused: the page says plainly that nothing is sent.
    sqlx::query("UPDATE parent SET pd_consent = false WHERE email = 'parent@example.ru'")
        .execute(&app.pool)
        .await
        .unwrap();
    let (_, page) = parent.text("/parent/notifications").await;
    assert!(
        page.contains("электронные уведомления не отправляются"),
        "{page}"
    );

    // The operators' list: the administrator reads it, a teacher may not.
    let (status, page) = audit.text("/admin/mail").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Почта родителям"));
    let teacher = app.signed_in("teacher").await;
    assert_eq!(
        teacher.get("/admin/mail").await.status(),
        StatusCode::FORBIDDEN
    );
}
