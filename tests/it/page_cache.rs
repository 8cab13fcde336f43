//! Issue 16: the pages people read all day are kept rendered (`web::page_cache`) — and never
//! shown stale: a change saved since, by anybody, is on the next view; a kept page is nobody
//! else's. A page served kept says so in `Server-Timing` («page;desc=kept»).

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING};

use crate::diary::pupil_id;
use crate::helpers::Client;
use crate::journal::{maths_5b, msk};

/// The page's status, whether it was served kept, and its text.
async fn view(who: &Client, path: &str) -> (StatusCode, bool, String) {
    let r = who.get(path).await;
    let kept = r
        .headers()
        .get("server-timing")
        .is_some_and(|v| v == "page;desc=kept");
    (r.status(), kept, r.text().await.unwrap())
}

/// The cell of `pupil` in `lesson` as the grid shows it, with the text it holds.
fn cell(lesson: i64, pupil: i64, value: &str) -> String {
    format!("value=\"{value}\" aria-labelledby=\"r{pupil} d{lesson}\"")
}

#[tokio::test]
async fn issue16_a_kept_grid_shows_a_mark_saved_since_and_a_work_type_added_since() {
    let j = maths_5b().await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let grid = format!("/journal/{}", j.group);
    let monday = j.lesson(10, 5).await;
    let pupil = j.pupils[0];

    let (status, kept, first) = view(&j.teacher, &grid).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert!(!kept, "the first view renders");
    assert!(first.contains(&cell(monday, pupil, "")), "{first}");
    let (_, kept, again) = view(&j.teacher, &grid).await;
    assert!(kept, "nothing changed: the page is served as kept");
    assert_eq!(again, first);

    // A mark saved by the teacher (the journal's own event).
    let (status, saved) = j.type_cell(&j.teacher, monday, pupil, "4", &[]).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, kept, after) = view(&j.teacher, &grid).await;
    assert!(!kept, "the journal changed: rendered again");
    assert!(after.contains(&cell(monday, pupil, "4")), "{after}");
    let (_, kept, _) = view(&j.teacher, &grid).await;
    assert!(kept);

    // A work type added by the deputy (the school's event, naming no journal): the grid's
    // choice of work types has it on the next view.
    let deputy = j.app.signed_in("deputy").await;
    let added = deputy
        .post(
            "/setup/work-types",
            &[
                ("name", "Мини-проект"),
                ("short_name", "МП"),
                ("weight", "1,5"),
                ("checking_days", "10"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(added.contains("Вид работы добавлен."), "{added}");
    let (_, kept, after) = view(&j.teacher, &grid).await;
    assert!(!kept, "the school changed: rendered again");
    assert!(after.contains(">Мини-проект</option>"), "{after}");

    // The next day the page is rendered for that day.
    j.app.clock.set(msk(10, 6, 9, 0));
    let (_, kept, _) = view(&j.teacher, &grid).await;
    assert!(!kept, "another day: rendered again");
}

#[tokio::test]
async fn issue16_a_kept_grid_is_nobody_elses_a_parent_and_another_schools_director_are_refused_as_before()
 {
    let j = maths_5b().await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let grid = format!("/journal/{}", j.group);
    let (_, _, first) = view(&j.teacher, &grid).await;
    let (_, kept, _) = view(&j.teacher, &grid).await;
    assert!(kept);
    let pupil_name: String = sqlx::query_scalar("SELECT last_name FROM pupil WHERE id = $1")
        .bind(j.pupils[0])
        .fetch_one(&j.app.pool)
        .await
        .unwrap();
    assert!(first.contains(&pupil_name));
    for login in ["parent", "director2"] {
        let who = j.app.signed_in(login).await;
        for _ in 0..2 {
            let (status, kept, html) = view(&who, &grid).await;
            assert!(
                status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
                "{login}: {status}"
            );
            assert!(!kept, "{login}");
            assert!(!html.contains(&pupil_name), "{login}: {html}");
        }
    }
}

#[tokio::test]
async fn issue16_a_kept_diary_week_shows_a_new_mark_and_the_parents_acknowledgement() {
    let j = maths_5b().await;
    j.app.clock.set(msk(10, 7, 18, 0));
    let ivan = pupil_id(&j.app, "student").await;
    let parent = j.app.signed_in("parent").await;
    let week = "/diary?week=2026-10-05";
    // Signing in showed the start page, this very week (the clock's): already kept.
    let (status, kept, first) = view(&parent, week).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert!(kept, "the start page's week");
    assert!(!first.contains(">5<small>"), "no mark yet: {first}");
    let (_, kept, _) = view(&parent, week).await;
    assert!(kept);

    let monday = j.lesson(10, 5).await;
    let (status, saved) = j.type_cell(&j.teacher, monday, ivan, "5", &[]).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, kept, after) = view(&parent, week).await;
    assert!(!kept);
    assert!(after.contains(">5<small>"), "the new mark: {after}");

    // «Ознакомлен» (000 §15) is the parent's own, no journal's: it shows at once too.
    assert!(!after.contains("Ознакомлен 07.10.2026"), "{after}");
    let acked = parent
        .post(
            "/diary/ack",
            &[("pupil", &ivan.to_string()), ("week", "2026-10-05")],
        )
        .await;
    assert!(acked.status().is_success(), "{}", acked.status());
    let (_, kept, after) = view(&parent, week).await;
    assert!(!kept);
    assert!(
        after.contains("07.10.2026 18:00"),
        "the acknowledgement: {after}"
    );
}

#[tokio::test]
async fn issue16_a_kept_page_is_the_same_page_compressed_or_not() {
    let j = maths_5b().await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let grid = format!("/journal/{}", j.group);
    let (_, _, plain) = view(&j.teacher, &grid).await;
    let r = j
        .teacher
        .http
        .get(j.teacher.url(&grid))
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(r.headers()["server-timing"], "page;desc=kept");
    let bytes = r.bytes().await.unwrap();
    let mut unpacked = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut unpacked)
        .unwrap();
    assert_eq!(unpacked, plain);
    let (_, kept, again) = view(&j.teacher, &grid).await;
    assert!(kept);
    assert_eq!(again, plain, "inflated for a client that takes no gzip");
}

#[tokio::test]
async fn issue16_j3_j7_a_kept_lesson_page_changes_when_the_lesson_begins_and_when_its_homework_time_is_over()
 {
    let j = maths_5b().await;
    // Monday 05.10: lesson 1, 08:30–09:15, the class's only lesson; homework's window 2 hours.
    let monday = j.lesson(10, 5).await;
    let page = format!("/lessons/{monday}");
    j.app.clock.set(msk(10, 5, 8, 0));
    let (status, _, early) = view(&j.teacher, &page).await;
    assert_eq!(status, StatusCode::OK, "{early}");
    assert!(early.contains("ещё не начался"), "J3: {early}");
    j.app.clock.set(msk(10, 5, 8, 29));
    let (_, kept, _) = view(&j.teacher, &page).await;
    assert!(kept, "nothing changed before the lesson begins");

    j.app.clock.set(msk(10, 5, 8, 30));
    let (_, kept, begun) = view(&j.teacher, &page).await;
    assert!(!kept, "the lesson began: rendered again");
    assert!(!begun.contains("ещё не начался"), "{begun}");
    assert!(!begun.contains("Время записи домашнего задания"), "{begun}");

    // A mark typed in the grid is on the lesson page at once.
    let pupil = j.pupils[0];
    let (status, saved) = j.type_cell(&j.teacher, monday, pupil, "5", &[]).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, kept, marked) = view(&j.teacher, &page).await;
    assert!(!kept);
    assert!(
        marked.contains(&format!("_{pupil}\" value=\"5\"")),
        "{marked}"
    );
    j.app.clock.set(msk(10, 5, 11, 15));
    let (_, kept, _) = view(&j.teacher, &page).await;
    assert!(kept, "homework is on time up to 11:15 inclusive");

    j.app.clock.set(msk(10, 5, 11, 16));
    let (_, kept, late) = view(&j.teacher, &page).await;
    assert!(!kept, "the homework's time is over: rendered again");
    assert!(
        late.contains("Время записи домашнего задания (2 ч после последнего урока класса) прошло"),
        "J7: {late}"
    );
}

#[tokio::test]
async fn issue16_j12_a_period_mark_shows_on_the_kept_grid_and_is_its_journals_event_in_the_audit() {
    let j = maths_5b().await;
    let pupil = j.pupils[0];
    j.app.clock.set(msk(10, 22, 12, 0));
    let grid = format!("/journal/{}", j.group);
    let (_, _, before) = view(&j.teacher, &grid).await;
    assert!(!before.contains("<td class=\"pm\"><strong>"), "{before}");
    let (_, kept, _) = view(&j.teacher, &grid).await;
    assert!(kept);

    let period = j.first_quarter().await;
    let r = j
        .teacher
        .post(
            &format!("/journal/{}/period-marks?period={period}", j.group),
            &[(&format!("value_{pupil}"), "4"), ("confirm", "1")],
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let (_, kept, after) = view(&j.teacher, &grid).await;
    assert!(!kept, "the journal's period mark: rendered again");
    assert!(
        after.contains("<td class=\"pm\"><strong>4</strong>"),
        "{after}"
    );

    // The period mark is the journal's event: the audit's journal filter lists it.
    let director = j.app.signed_in("director").await;
    let (_, audit) = director.text(&format!("/audit?group={}", j.group)).await;
    assert!(audit.contains("Выставлена итоговая отметка"), "{audit}");
}

/// The reply of a cell typed: saved («сохранено»), or refused with its text.
async fn typed(j: &crate::journal::Journal, lesson: i64, pupil: i64, value: &str) -> String {
    let (status, html) = j.type_cell(&j.teacher, lesson, pupil, value, &[]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    html
}

/// Issue 16 (`journal::kept`): the rules' facts of a lesson are kept between a teacher's saves —
/// and J1's unlock by the deputy opens the kept lesson at once and closes it again when its time
/// is over, the next day's lock counts from the next day.
#[tokio::test]
async fn issue16_j1_a_lesson_kept_between_saves_opens_with_the_deputys_unlock_and_closes_when_it_ends()
 {
    let j = maths_5b().await;
    let lesson = j.lesson(10, 5).await;
    let p = &j.pupils;
    j.app.clock.set(msk(10, 5, 12, 0));
    // The first mark makes the lesson held; the facts are kept from the second on.
    for (pupil, value) in [(p[0], "5"), (p[1], "4"), (p[2], "3")] {
        assert!(typed(&j, lesson, pupil, value).await.contains("сохранено"));
    }

    // Ten days later the lesson is locked (J1): another day, the facts are read again.
    j.app.clock.set(msk(10, 15, 12, 0));
    let html = typed(&j, lesson, p[3], "5").await;
    assert!(html.contains("записи вносятся не позднее"), "{html}");

    // The deputy unlocks it until 18:00: the teacher's next save is let through, and the one
    // after it (the facts kept, with the unlock).
    j.unlock(lesson, "2026-10-15T18:00").await;
    for pupil in [p[3], p[4]] {
        let html = typed(&j, lesson, pupil, "5").await;
        assert!(html.contains("сохранено"), "{html}");
    }

    // At 18:01 the unlock is over: refused again, though nothing was written since.
    j.app.clock.set(msk(10, 15, 18, 1));
    let html = typed(&j, lesson, p[5], "5").await;
    assert!(html.contains("записи вносятся не позднее"), "{html}");
    assert_eq!(j.mark_of(lesson, p[5]).await, None);
}

/// Issue 16 (`journal::kept`): J13 — the period marks set close the period for the teacher on her
/// very next save into a lesson whose facts were kept.
#[tokio::test]
async fn issue16_j13_period_marks_close_a_lesson_kept_between_saves_on_the_next_save() {
    let j = maths_5b().await;
    let q1 = j.first_quarter().await;
    let lesson = j.lesson(10, 19).await;
    let p = &j.pupils;
    j.app.clock.set(msk(10, 21, 12, 0));
    for (pupil, value) in [(p[0], "5"), (p[1], "4"), (p[2], "3")] {
        let html = typed(&j, lesson, pupil, value).await;
        assert!(html.contains("сохранено"), "{html}");
    }

    let mut form: Vec<(String, String)> = p
        .iter()
        .map(|p| (format!("value_{p}"), "4".to_string()))
        .collect();
    form.push(("confirm".into(), "1".into()));
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = j
        .teacher
        .post(
            &format!("/journal/{}/period-marks?period={q1}", j.group),
            &fields,
        )
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Итоговые отметки сохранены")
    );

    let html = typed(&j, lesson, p[3], "5").await;
    assert!(
        html.contains("журнал этого периода закрыт для учителя"),
        "{html}"
    );
    assert_eq!(j.mark_of(lesson, p[3]).await, None);
}

/// The blocks a statement of the application reads, as PostgreSQL counts them: `sql` prepared
/// with the parameter `types` and executed with `args`, as the application's role behind the
/// school wall, planned once for every call (the kept pages' connections: `scope::cached_plans`).
async fn blocks_read(app: &crate::helpers::TestApp, sql: &str, types: &str, args: &str) -> i64 {
    let school = zhurnal::tenancy::SchoolId(1);
    let plan: serde_json::Value = zhurnal::db::scope::school(
        school,
        zhurnal::db::scope::cached_plans(async {
            let mut conn = app.app_pool.acquire().await.unwrap();
            sqlx::raw_sql(&format!("PREPARE probe({types}) AS {sql}"))
                .execute(&mut *conn)
                .await
                .unwrap();
            let plan: serde_json::Value = sqlx::query_scalar(&format!(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE probe({args})"
            ))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
            sqlx::raw_sql("DEALLOCATE probe")
                .execute(&mut *conn)
                .await
                .unwrap();
            plan
        }),
    )
    .await;
    let top = &plan[0]["Plan"];
    top["Shared Hit Blocks"].as_i64().unwrap() + top["Shared Read Blocks"].as_i64().unwrap()
}

#[tokio::test]
async fn issue16_the_kept_pages_and_lessons_checks_read_a_few_blocks_however_busy_the_school_is() {
    let j = maths_5b().await;
    let app = &j.app;
    app.clock.set(msk(10, 5, 9, 0));
    let monday = j.lesson(10, 5).await;
    // The journal's last event, then a busy day of another journal: 20 000 cells' events after it.
    let (status, saved) = j.type_cell(&j.teacher, monday, j.pupils[0], "5", &[]).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    // Another journal of the class: the deputy adds a subject to its curriculum.
    let deputy = app.signed_in("deputy").await;
    deputy
        .post(
            "/setup/subjects",
            &[
                ("name", "Музыка"),
                ("component", "federal"),
                ("scale", "five_point"),
            ],
        )
        .await;
    let music: i64 = sqlx::query_scalar("SELECT id FROM subject WHERE name = 'Музыка'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    deputy
        .post(
            &format!("/classes/{}/curriculum", j.class_id),
            &[("subject", &music.to_string()), ("hours", "1")],
        )
        .await;
    let other: i64 =
        sqlx::query_scalar("SELECT id FROM study_group WHERE class_id = $1 AND subject_id = $2")
            .bind(j.class_id)
            .bind(music)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    sqlx::query(
        "INSERT INTO audit_event (school_id, action, subject_type, subject_id, group_id)
         SELECT 1, 'mark.given', 'mark', n, $1 FROM generate_series(1, 20000) n",
    )
    .bind(other)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::raw_sql("ANALYZE audit_event")
        .execute(&app.pool)
        .await
        .unwrap();

    let sql = zhurnal::web::page_cache::JOURNAL_VERSIONS;
    let grid = blocks_read(
        app,
        sql,
        "bigint, bigint, bigint",
        &format!("1, {}, NULL", j.group),
    )
    .await;
    let lesson = blocks_read(
        app,
        sql,
        "bigint, bigint, bigint",
        &format!("1, NULL, {monday}"),
    )
    .await;
    // The diary's check asks each of the pupil's journals (this one and the busy one), and a
    // save asks the journal's last event other than its cells' (the kept lesson's facts).
    let diary = blocks_read(
        app,
        zhurnal::web::page_cache::DIARY_VERSIONS,
        "bigint, bigint, bigint, date",
        &format!("1, {}, NULL, DATE '2026-10-05'", j.pupils[0]),
    )
    .await;
    let facts = blocks_read(
        app,
        zhurnal::journal::repo::LESSON_VERSIONS,
        "bigint, bigint",
        &format!("1, {monday}"),
    )
    .await;
    // Walking the school's chain back to the journal's last event read about 500.
    assert!(grid < 100, "the grid's check read {grid} blocks");
    assert!(lesson < 100, "the lesson page's check read {lesson} blocks");
    assert!(diary < 100, "the diary's check read {diary} blocks");
    assert!(facts < 100, "the save's check read {facts} blocks");

    // And the pages are served kept on that check, with the journal's mark.
    let (_, _, first) = view(&j.teacher, &format!("/journal/{}", j.group)).await;
    assert!(first.contains(&cell(monday, j.pupils[0], "5")), "{first}");
    let (status, kept, _) = view(&j.teacher, &format!("/journal/{}", j.group)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kept);
}
