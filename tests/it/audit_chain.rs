//! The tamper-evident audit trail (regulations §7, and §6: integrity verifiable for the whole
//! period; issue 14, item 1): each school's events form a hash chain the database links as they
//! are written; `zhurnal audit verify` and the director's «Целостность журнала аудита» page
//! re-compute it and name the first event that does not match — changed, deleted or slipped in
//! by someone with the database owner's rights — with its time and author.

use reqwest::StatusCode;
use sqlx::PgPool;
use zhurnal::audit::chain::{self, Kind, Verdict};
use zhurnal::audit::{Actor, Change};
use zhurnal::tenancy::SchoolId;

use crate::helpers::{TestApp, spawn_app};
use crate::journal::{Journal, maths_5b, msk};

async fn school(app: &TestApp, slug: &str) -> SchoolId {
    SchoolId(
        sqlx::query_scalar("SELECT id FROM school WHERE slug = $1")
            .bind(slug)
            .fetch_one(&app.pool)
            .await
            .unwrap(),
    )
}

/// The verification as the command line runs it: the application's role, every school's scope.
async fn verify(app: &TestApp, school: SchoolId) -> Verdict {
    zhurnal::db::scope::all_schools(chain::verify(&app.app_pool, school))
        .await
        .unwrap()
}

async fn events(app: &TestApp, school: SchoolId) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE school_id = $1")
        .bind(school.0)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// `zhurnal audit verify …` as the command runs it (`cli::audit_verify`, the application's role,
/// every school's scope): whether it succeeds (exit status 0) and what it printed, with the error
/// `main` would print.
async fn cli(app: &TestApp, school: Option<SchoolId>) -> (bool, String) {
    let mut out = Vec::new();
    let result = zhurnal::db::scope::all_schools(zhurnal::cli::audit_verify(
        &app.app_pool,
        school.map(|s| s.0),
        &mut out,
    ))
    .await;
    let mut text = String::from_utf8(out).unwrap();
    if let Err(e) = &result {
        text.push_str(&format!("ошибка: {e:#}\n"));
    }
    (result.is_ok(), text)
}

/// What an attacker with the owner's rights does: switches the trail's guards off for one
/// transaction and runs `sql`.
async fn tamper(pool: &PgPool, sql: &str) {
    let mut tx = pool.begin().await.unwrap();
    for t in [
        "audit_event_no_update_or_delete",
        "audit_event_chain",
        "audit_event_chain_head",
    ] {
        sqlx::query(&format!("ALTER TABLE audit_event DISABLE TRIGGER {t}"))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    sqlx::raw_sql(sql).execute(&mut *tx).await.unwrap();
    sqlx::query("ALTER TABLE audit_event ENABLE TRIGGER ALL")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// Three marks the teacher gives in 5«Б» (three audited events among the demo's).
async fn three_marks() -> Journal {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    for (pupil, value) in j.pupils[..3].iter().zip(["5", "4", "3"]) {
        let (status, _) = j.type_cell(&j.teacher, monday, *pupil, value, &[]).await;
        assert_eq!(status, StatusCode::OK);
    }
    j
}

/// The teacher's n-th mark event (0-based): its id and place in the chain.
async fn mark_event(app: &TestApp, n: i64) -> (i64, i64) {
    sqlx::query_as(
        "SELECT id, chain_seq FROM audit_event
         WHERE action = 'mark.given' ORDER BY chain_seq OFFSET $1 LIMIT 1",
    )
    .bind(n)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn s7_a_clean_chain_verifies_on_the_command_line_and_on_the_directors_page() {
    let j = three_marks().await;
    let app = &j.app;
    let s1 = school(app, "demo-1").await;
    let s2 = school(app, "demo-2").await;

    let v1 = verify(app, s1).await;
    assert!(v1.intact(), "{v1:?}");
    assert_eq!(v1.checked, events(app, s1).await);
    assert_eq!(v1.head_seq, v1.checked, "places 1…N without a gap");
    let (seq, hash) = zhurnal::db::scope::all_schools(chain::head(&app.app_pool, s1))
        .await
        .unwrap();
    assert_eq!((seq, hash.clone()), (v1.head_seq, v1.head_hash.clone()));
    assert_eq!(hash.len(), 64);
    let heads = zhurnal::db::scope::all_schools(chain::heads(&app.app_pool))
        .await
        .unwrap();
    assert!(heads.contains(&(s1, seq, hash.clone())));
    let seen_by_2 = zhurnal::db::scope::school(s2, chain::heads(&app.app_pool))
        .await
        .unwrap();
    assert_eq!(
        seen_by_2.iter().map(|h| h.0).collect::<Vec<_>>(),
        vec![s2],
        "row security: one school's heads only"
    );
    assert!(verify(app, s2).await.intact());

    let (ok, out) = cli(app, None).await;
    assert!(ok, "exit status 0: {out}");
    assert_eq!(out.matches("цепочка цела").count(), 2, "{out}");
    assert!(
        out.contains(&format!("Школа {} ", s1.0))
            && out.contains(&format!("цепочка цела: {} событ", v1.checked)),
        "{out}"
    );
    assert!(out.contains(&format!("голова {hash}")), "{out}");
    let (ok, out) = cli(app, Some(SchoolId(999_999))).await;
    assert!(!ok && out.contains("школы с номером 999999 нет"), "{out}");

    let director = app.signed_in("director").await;
    let (status, html) = director.text("/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("/audit/chain"), "linked from the audit page");
    let (status, html) = director.text("/audit/chain").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Целостность журнала аудита") && html.contains("Проверить цепочку"));
    assert!(!html.contains(&hash), "nothing is read before the button");
    let response = director.post("/audit/chain", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("цепочка цела"), "{html}");
    assert!(html.contains(&hash));
    assert!(html.contains(&format!("<td>{}</td>", v1.checked)));
    assert!(!html.contains("Первое нарушение"));
}

#[tokio::test]
async fn s7_an_event_altered_by_the_database_owner_is_named_with_its_time_and_author() {
    let j = three_marks().await;
    let app = &j.app;
    let s1 = school(app, "demo-1").await;
    let (id, seq) = mark_event(app, 1).await;
    tamper(
        &app.pool,
        &format!(
            "UPDATE audit_event SET after = jsonb_set(after, '{{value}}', '\"5\"') WHERE id = {id}"
        ),
    )
    .await;

    let v = verify(app, s1).await;
    let b = v.first_break.clone().expect("a break");
    assert_eq!((b.kind, b.seq, b.event_id), (Kind::Changed, seq, Some(id)));
    assert_eq!(v.checked, seq - 1, "every event before it holds");
    assert_eq!(b.author.as_deref(), Some("Васильева Наталья"));
    assert!(b.at.is_some());

    let (ok, out) = cli(app, Some(s1)).await;
    assert!(!ok, "a non-zero exit status: {out}");
    assert!(out.contains("ЦЕПОЧКА НАРУШЕНА"), "{out}");
    assert!(
        out.contains(&format!("событие № {seq} (запись {id}, ")),
        "{out}"
    );
    assert!(
        out.contains("автор: Васильева Наталья) изменено после записи"),
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("Школа ")).count(),
        1,
        "one school only: {out}"
    );

    let director = app.signed_in("director").await;
    let html = director
        .post("/audit/chain", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("цепочка нарушена"), "{html}");
    assert!(html.contains(&format!("№ {seq} (запись {id})")), "{html}");
    assert!(html.contains("изменено после записи"));
    assert!(html.contains("Васильева Наталья"));
    let when = chain::local_time(b.at.unwrap(), "Europe/Moscow");
    assert!(html.contains(&when), "the time: {when}");
}

#[tokio::test]
async fn s7_a_deleted_event_is_named_by_the_gap_it_leaves() {
    let j = three_marks().await;
    let app = &j.app;
    let s1 = school(app, "demo-1").await;
    let (id, seq) = mark_event(app, 1).await;
    let (next_id, next_seq) = mark_event(app, 2).await;
    assert_eq!(next_seq, seq + 1);
    tamper(
        &app.pool,
        &format!("DELETE FROM audit_event WHERE id = {id}"),
    )
    .await;

    let v = verify(app, s1).await;
    let b = v.first_break.clone().expect("a break");
    assert_eq!(b.kind, Kind::Deleted);
    assert_eq!(b.missing, Some((seq, seq)));
    assert_eq!(b.event_id, Some(next_id), "the event after the gap");
    let (ok, out) = cli(app, None).await;
    assert!(!ok);
    assert!(out.contains(&format!("удалено событие № {seq}")), "{out}");

    // The last event deleted: the head still names its place.
    tamper(
        &app.pool,
        &format!("DELETE FROM audit_event WHERE id = {next_id}"),
    )
    .await;
    let school_2 = school(app, "demo-2").await;
    assert!(
        verify(app, school_2).await.intact(),
        "the other school's chain holds"
    );
    let v = verify(app, s1).await;
    let b = v.first_break.expect("a break");
    assert_eq!((b.kind, b.missing), (Kind::Deleted, Some((seq, seq + 1))));
}

#[tokio::test]
async fn s7_a_tail_deleted_after_the_head_was_taken_is_named() {
    let j = three_marks().await;
    let app = &j.app;
    let s1 = school(app, "demo-1").await;
    let (_, last_seq) = mark_event(app, 2).await;
    let head = verify(app, s1).await;
    assert_eq!(
        head.head_seq, last_seq,
        "the teacher's mark is the last event"
    );
    tamper(
        &app.pool,
        &format!(
            "DELETE FROM audit_event WHERE school_id = {} AND chain_seq = {last_seq}",
            s1.0
        ),
    )
    .await;
    let v = verify(app, s1).await;
    let b = v.first_break.clone().expect("a break");
    assert_eq!(b.kind, Kind::Deleted);
    assert_eq!(b.missing, Some((last_seq, last_seq)));
    assert_eq!(b.event_id, None);
    assert!(
        v.summary("Europe/Moscow")
            .contains("последние события цепочки")
    );

    // The next honest event continues after the head, so the gap stays visible.
    let mut tx = app.pool.begin().await.unwrap();
    zhurnal::audit::record(
        &mut tx,
        s1,
        &Actor::system(),
        Change::new("school.renamed", "school", s1.0),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let v = verify(app, s1).await;
    assert_eq!(v.head_seq, last_seq + 1);
    let b = v.first_break.expect("still broken");
    assert_eq!(
        (b.kind, b.missing),
        (Kind::Deleted, Some((last_seq, last_seq)))
    );
}

#[tokio::test]
async fn s7_a_forged_event_slipped_in_by_the_database_owner_is_named() {
    let j = three_marks().await;
    let app = &j.app;
    let s1 = school(app, "demo-1").await;
    let teacher = app.account_id("teacher").await;
    let before = verify(app, s1).await;
    assert!(before.intact());
    tamper(
        &app.pool,
        &format!(
            "INSERT INTO audit_event (school_id, at, actor_account_id, actor_role, action,
                                      subject_type, subject_id, after, chain_seq, chain_hash)
             VALUES ({}, now() - interval '30 days', {teacher}, 'teacher', 'mark.given',
                     'mark', 1, '{{\"value\": \"5\"}}', {}, sha256('forged'))",
            s1.0,
            before.head_seq + 1
        ),
    )
    .await;
    let forged: i64 = sqlx::query_scalar("SELECT max(id) FROM audit_event")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    let v = verify(app, s1).await;
    let b = v.first_break.clone().expect("a break");
    assert_eq!(
        (b.kind, b.seq, b.event_id),
        (Kind::Inserted, before.head_seq + 1, Some(forged))
    );
    assert_eq!(b.author.as_deref(), Some("Васильева Наталья"));
    assert_eq!(v.checked, before.checked);
    let (ok, out) = cli(app, None).await;
    assert!(!ok);
    assert!(out.contains("вставлено вне цепочки"), "{out}");

    // A row given a place before the chain begins is outside it too.
    tamper(
        &app.pool,
        &format!("DELETE FROM audit_event WHERE id = {forged}"),
    )
    .await;
    assert!(
        verify(app, s1).await.intact(),
        "the forged row gone, the chain holds"
    );
    tamper(
        &app.pool,
        &format!(
            "INSERT INTO audit_event (school_id, action, subject_type, chain_seq, chain_hash)
             VALUES ({}, 'mark.given', 'mark', 0, sha256('forged'))",
            s1.0
        ),
    )
    .await;
    let b = verify(app, s1).await.first_break.expect("a break");
    assert_eq!((b.kind, b.seq), (Kind::Inserted, 0));
}

#[tokio::test]
async fn s7_two_schools_writing_their_trails_at_once_both_verify_and_never_wait_for_each_other() {
    let app = spawn_app().await;
    let s1 = school(&app, "demo-1").await;
    let s2 = school(&app, "demo-2").await;
    let (n1, n2) = (events(&app, s1).await, events(&app, s2).await);

    // 16 writers, 8 per school, 5 events in each transaction, all at once.
    let mut tasks = Vec::new();
    for w in 0..16i64 {
        let pool = app.app_pool.clone();
        let school = if w % 2 == 0 { s1 } else { s2 };
        tasks.push(tokio::spawn(zhurnal::db::scope::school(
            school,
            async move {
                for round in 0..3i64 {
                    let mut tx = pool.begin().await.unwrap();
                    for k in 0..5i64 {
                        zhurnal::audit::record(
                            &mut tx,
                            school,
                            &Actor::system(),
                            Change::new("school.renamed", "school", w * 100 + round * 10 + k),
                        )
                        .await
                        .unwrap();
                    }
                    tx.commit().await.unwrap();
                }
            },
        )));
    }
    for t in tasks {
        t.await.unwrap();
    }
    for (school, before) in [(s1, n1), (s2, n2)] {
        let v = verify(&app, school).await;
        assert!(v.intact(), "{v:?}");
        assert_eq!(v.checked, before + 8 * 3 * 5);
        assert_eq!(v.head_seq, v.checked);
    }

    // A transaction of school 1 holding its head open does not hold up school 2.
    let mut open = app.pool.begin().await.unwrap();
    zhurnal::audit::record(
        &mut open,
        s1,
        &Actor::system(),
        Change::new("school.renamed", "school", 1),
    )
    .await
    .unwrap();
    let other = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        let mut tx = app.pool.begin().await.unwrap();
        zhurnal::audit::record(
            &mut tx,
            s2,
            &Actor::system(),
            Change::new("school.renamed", "school", 2),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    })
    .await;
    assert!(
        other.is_ok(),
        "school 2 wrote while school 1's head was held"
    );
    open.commit().await.unwrap();
    assert!(verify(&app, s1).await.intact());
    assert!(verify(&app, s2).await.intact());
}

/// A «school renamed» event of each (school, subject id), in the caller's transaction.
async fn renamed(tx: &mut sqlx::PgConnection, events: &[(SchoolId, i64)]) {
    for &(school, id) in events {
        zhurnal::audit::record(
            tx,
            school,
            &Actor::system(),
            Change::new("school.renamed", "school", id),
        )
        .await
        .unwrap();
    }
}

/// One transaction writing two schools' events in turns, a savepoint taken back in the middle
/// (the chain's link keeps the transaction's last place per school until commit, migration
/// `audit_chain_one_statement`): both chains verify, with the events kept and none of those
/// taken back, and each head stands at its school's last event.
#[tokio::test]
async fn s7_a_transaction_writing_two_schools_with_a_savepoint_taken_back_leaves_both_chains_whole()
{
    let app = spawn_app().await;
    let s1 = school(&app, "demo-1").await;
    let s2 = school(&app, "demo-2").await;
    let (n1, n2) = (events(&app, s1).await, events(&app, s2).await);
    zhurnal::db::scope::all_schools(async {
        let mut tx = app.app_pool.begin().await.unwrap();
        renamed(&mut tx, &[(s1, 1), (s2, 2), (s1, 3)]).await;
        sqlx::query("SAVEPOINT taken_back")
            .execute(&mut *tx)
            .await
            .unwrap();
        renamed(&mut tx, &[(s1, 4), (s2, 5)]).await;
        sqlx::query("ROLLBACK TO SAVEPOINT taken_back")
            .execute(&mut *tx)
            .await
            .unwrap();
        renamed(&mut tx, &[(s2, 6), (s1, 7)]).await;
        tx.commit().await.unwrap();
    })
    .await;
    for (school, before, kept) in [(s1, n1, vec![1, 3, 7]), (s2, n2, vec![2, 6])] {
        let v = verify(&app, school).await;
        assert!(v.intact(), "{v:?}");
        assert_eq!(v.checked, before + kept.len() as i64);
        assert_eq!(v.head_seq, v.checked, "the head stands at the last event");
        let written: Vec<i64> = sqlx::query_scalar(
            "SELECT subject_id FROM audit_event
             WHERE school_id = $1 AND action = 'school.renamed' ORDER BY chain_seq",
        )
        .bind(school.0)
        .fetch_all(&app.pool)
        .await
        .unwrap();
        assert_eq!(written, kept);
    }
    // The next transaction links after the head, as every writer does.
    let mut tx = app.pool.begin().await.unwrap();
    zhurnal::audit::record(
        &mut tx,
        s1,
        &Actor::system(),
        Change::new("school.renamed", "school", 8),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let v = verify(&app, s1).await;
    assert!(v.intact(), "{v:?}");
    assert_eq!(v.head_seq, n1 + 4);
}

#[tokio::test]
async fn s7_only_the_director_verifies_and_only_their_own_schools_chain() {
    let app = spawn_app().await;
    for login in [
        "teacher",
        "deputy",
        "admin",
        "classteacher",
        "parent",
        "student",
    ] {
        let client = app.signed_in(login).await;
        let (status, html) = client.text("/audit/chain").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
        assert!(!html.contains("Голова цепочки"));
        let response = client.post("/audit/chain", &[]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{login}");
    }
    // The form needs its CSRF token.
    let director = app.signed_in("director").await;
    let response = director
        .http
        .post(director.url("/audit/chain"))
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let s1 = school(&app, "demo-1").await;
    let s2 = school(&app, "demo-2").await;
    let head_1 = verify(&app, s1).await.head_hash;
    let v2 = verify(&app, s2).await;
    let director_2 = app.signed_in("director2").await;
    let html = director_2
        .post("/audit/chain", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&v2.head_hash), "school 2's own head");
    assert!(html.contains(&format!("<td>{}</td>", v2.checked)));
    assert!(!html.contains(&head_1), "nothing of school 1");
}

#[tokio::test]
async fn s7_the_application_role_cannot_move_a_chain_head_or_forge_a_link() {
    let app = spawn_app().await;
    let s1 = school(&app, "demo-1").await;
    let refused = zhurnal::db::scope::all_schools(
        sqlx::query("UPDATE audit_chain_head SET seq = seq + 1").execute(&app.app_pool),
    )
    .await;
    assert!(refused.is_err(), "no UPDATE on the heads");
    let refused = zhurnal::db::scope::all_schools(
        sqlx::query("DELETE FROM audit_chain_head").execute(&app.app_pool),
    )
    .await;
    assert!(refused.is_err(), "no DELETE on the heads");
    // A place and hash given by the writer are replaced by the trigger's.
    zhurnal::db::scope::all_schools(
        sqlx::query(
            "INSERT INTO audit_event (school_id, action, subject_type, chain_seq, chain_hash)
             VALUES ($1, 'school.renamed', 'school', 1, sha256('mine'))",
        )
        .bind(s1.0)
        .execute(&app.app_pool),
    )
    .await
    .unwrap();
    assert!(verify(&app, s1).await.intact());
}

#[tokio::test]
async fn s7_the_bench_fills_a_school_of_its_own_and_verifies_its_chain() {
    let app = spawn_app().await;
    let s1 = school(&app, "demo-1").await;
    let before = events(&app, s1).await;
    let met = zhurnal::db::scope::all_schools(zhurnal::bench::audit_chain(&app.app_pool, 3_000))
        .await
        .unwrap();
    assert!(met, "3 000 events verify within the target");
    let bench = school(&app, "bench-audit").await;
    assert!(events(&app, bench).await >= 3_000);
    assert_eq!(
        events(&app, s1).await,
        before,
        "the demo's trail is left alone"
    );
    let v = verify(&app, bench).await;
    assert!(v.intact() && v.head_seq == v.checked);
    // A second run finds the events there and only verifies.
    let again = zhurnal::db::scope::all_schools(zhurnal::bench::audit_chain(&app.app_pool, 3_000))
        .await
        .unwrap();
    assert!(again);
    assert_eq!(verify(&app, bench).await.checked, v.checked);
}

#[tokio::test]
async fn s7_the_platform_operator_verifies_every_schools_chain_and_sees_a_break() {
    let j = three_marks().await;
    let app = &j.app;
    let s1 = school(app, "demo-1").await;
    let s2 = school(app, "demo-2").await;
    let operator = app.signed_in("operator").await;
    let (status, html) = operator.text("/platform").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("/platform/audit-chain"));
    let (status, html) = operator.text("/platform/audit-chain").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Проверить все школы") && !html.contains("цепочка цела"));
    let html = operator
        .post("/platform/audit-chain", &[])
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("цепочка цела").count(), 2, "{html}");
    assert!(html.contains(&verify(app, s2).await.head_hash));

    let (id, seq) = mark_event(app, 0).await;
    tamper(
        &app.pool,
        &format!("UPDATE audit_event SET reason = 'подделка' WHERE id = {id}"),
    )
    .await;
    let html = operator
        .post("/platform/audit-chain", &[])
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        html.matches("цепочка цела").count(),
        1,
        "school 2 still whole"
    );
    assert!(
        html.contains(&format!("ЦЕПОЧКА НАРУШЕНА: событие № {seq} (запись {id}")),
        "{html}"
    );
    assert!(!verify(app, s1).await.intact());

    for login in ["director", "admin", "teacher"] {
        let client = app.signed_in(login).await;
        assert_eq!(
            client.get("/platform/audit-chain").await.status(),
            StatusCode::FORBIDDEN,
            "{login}"
        );
        assert_eq!(
            client.post("/platform/audit-chain", &[]).await.status(),
            StatusCode::FORBIDDEN,
            "{login}"
        );
    }
}
