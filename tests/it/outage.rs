//! When the system is down (regulations §6, 001 §6): the deputy registers a break in the
//! system's work, teachers print blank journal pages in advance, and afterwards what was written
//! on paper is entered — not late, with the reason in the audit trail, within the lock's days
//! after the break ended.

use reqwest::StatusCode;

use crate::helpers::path_of;
use crate::journal::{maths_5b, msk};

const PAPER_REASON: &str = "перерыв в работе системы: запись перенесена с бумажного журнала";

#[tokio::test]
async fn s6_001_a_lesson_during_a_break_is_entered_from_paper_not_late_with_the_reason_until_the_lock_after_the_break()
 {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    let next_monday = j.lesson(10, 12).await;
    let [p1, p2, p3, ..] = j.pupils[..] else {
        panic!("pupils")
    };
    let deputy = j.app.signed_in("deputy").await;
    j.app.clock.set(msk(10, 7, 14, 0));
    let r = deputy
        .post(
            "/control/outages",
            &[
                ("from", "2026-10-05T08:00"),
                ("to", "2026-10-07T13:00"),
                ("note", "Нет связи с сервером"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(path_of(&r), "/control/outages");
    let page = deputy.text("/control/outages").await.1;
    assert!(
        page.contains("05.10.2026 08:00 — 07.10.2026 13:00")
            && page.contains("Нет связи с сервером"),
        "{page}"
    );

    // The next day: without the break the mark would be late; from paper it is not.
    j.app.clock.set(msk(10, 6, 8, 0));
    let (status, html) = j.type_cell(&j.teacher, monday, p1, "5", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("с опозданием"), "{html}");
    let audit: (bool, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT m.late_entry, e.reason, e.after ->> 'from_paper'
         FROM mark m JOIN mark_column c ON c.id = m.column_id
         JOIN audit_event e ON e.subject_type = 'mark' AND e.subject_id = m.id
         WHERE c.lesson_id = $1 AND m.pupil_id = $2",
    )
    .bind(monday)
    .bind(p1)
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    assert_eq!(
        audit,
        (false, Some(PAPER_REASON.into()), Some("true".into()))
    );

    // On 13.10 the lesson of 05.10 would be locked (7 days); the break ended on 07.10, so the
    // paper record still goes in — an absence, and the topic with its homework.
    j.app.clock.set(msk(10, 13, 0, 1));
    let lesson_page = j.teacher.text(&format!("/lessons/{monday}")).await.1;
    assert!(
        lesson_page.contains("во время перерыва в работе системы"),
        "{lesson_page}"
    );
    let (_, html) = j.type_cell(&j.teacher, monday, p2, "н", &[]).await;
    assert!(
        !html.contains("закрыт") && !html.contains("с опозданием"),
        "{html}"
    );
    let absence: (bool, Option<String>) = sqlx::query_as(
        "SELECT a.late_entry, e.reason FROM absence a
         JOIN audit_event e ON e.subject_type = 'absence' AND e.subject_id = a.id
         WHERE a.lesson_id = $1 AND a.pupil_id = $2 AND a.absent",
    )
    .bind(monday)
    .bind(p2)
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    assert_eq!(absence, (false, Some(PAPER_REASON.into())));
    // A lesson after the break is as before: late the next day.
    let (_, html) = j.type_cell(&j.teacher, next_monday, p1, "4", &[]).await;
    assert!(html.contains("с опозданием"), "{html}");

    // Seven days after the break's end the lesson locks as any other.
    j.app.clock.set(msk(10, 15, 0, 1));
    let (_, html) = j.type_cell(&j.teacher, monday, p3, "3", &[]).await;
    assert!(
        html.contains("во время перерыва в работе системы") && html.contains("07.10.2026 13:00"),
        "{html}"
    );
    assert_eq!(j.mark_of(monday, p3).await, None, "nothing written");
}

/// The lesson's start is the school's clock (Moscow here): a break of twenty minutes around it
/// makes the lesson a paper one, a break that ended twenty minutes before it does not. (The
/// instant is computed by the statement that reads the lesson, in the school's time zone: read
/// as UTC, the start would fall three hours later, outside the break.)
#[tokio::test]
async fn s6_001_a_break_around_the_lessons_start_by_the_schools_clock_makes_it_a_paper_lesson() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    let [p1, p2, ..] = j.pupils[..] else {
        panic!("pupils")
    };
    let starts: chrono::NaiveTime = sqlx::query_scalar(
        "SELECT b.starts_at FROM lesson l
         JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
         LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
         LEFT JOIN timetable_slot ts ON ts.school_id = l.school_id AND ts.id = l.slot_id
         JOIN bell b ON b.school_id = l.school_id AND b.academic_year_id = g.academic_year_id
                    AND b.shift = coalesce(c.shift, ts.shift, 1) AND b.lesson_number = l.lesson_number
         WHERE l.id = $1",
    )
    .bind(monday)
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let at = |minutes: i64| {
        (starts + chrono::Duration::minutes(minutes))
            .format("2026-10-05T%H:%M")
            .to_string()
    };
    let deputy = j.app.signed_in("deputy").await;
    // The next morning: a mark for the lesson is late unless the lesson fell in a break.
    j.app.clock.set(msk(10, 6, 8, 0));
    for (from, to) in [(at(-40), at(-20)), (at(-10), at(10))] {
        let r = deputy
            .post(
                "/control/outages",
                &[("from", &from), ("to", &to), ("note", "Нет связи")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(path_of(&r), "/control/outages", "{from} — {to}");
        if from == at(-40) {
            let (_, html) = j.type_cell(&j.teacher, monday, p1, "5", &[]).await;
            assert!(
                html.contains("с опозданием"),
                "a break that ended before the lesson: {html}"
            );
        } else {
            let (_, html) = j.type_cell(&j.teacher, monday, p2, "5", &[]).await;
            assert!(!html.contains("с опозданием"), "{html}");
        }
    }
    let late: Vec<bool> = sqlx::query_scalar(
        "SELECT m.late_entry FROM mark m JOIN mark_column c ON c.id = m.column_id
         WHERE c.lesson_id = $1 AND m.pupil_id = ANY($2) ORDER BY m.pupil_id = $3 DESC",
    )
    .bind(monday)
    .bind([p1, p2])
    .bind(p1)
    .fetch_all(&j.app.pool)
    .await
    .unwrap();
    assert_eq!(
        late,
        [true, false],
        "late without the break, from paper within it"
    );
}

#[tokio::test]
async fn s6_001_the_break_form_keeps_what_was_typed_refuses_bad_times_and_is_the_deputys_and_directors()
 {
    let j = maths_5b().await;
    let deputy = j.app.signed_in("deputy").await;
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM system_outage")
            .fetch_one(&j.app.pool)
            .await
            .unwrap()
    };
    let long = "сбой ".repeat(41);
    for (from, to, note, message) in [
        (
            "2026-10-05T12:00",
            "2026-10-05T08:00",
            "",
            "Укажите окончание перерыва позже его начала.",
        ),
        ("вчера", "2026-10-05T08:00", "", "ДД.ММ.ГГГГ ЧЧ:ММ"),
        (
            "2026-10-01T08:00",
            "2026-10-20T08:00",
            "",
            "не длиннее 14 дней",
        ),
        ("", "2026-10-05T08:00", "", "Укажите дату и время."),
        (
            "2026-10-05T08:00",
            "2026-10-05T12:00",
            long.as_str(),
            "Слишком длинный текст",
        ),
    ] {
        let r = deputy
            .post(
                "/control/outages",
                &[("from", from), ("to", to), ("note", note)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{from} {to}");
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
        if !from.is_empty() && from != "вчера" {
            assert!(
                html.contains(&format!("value=\"{from}\"")),
                "refilled: {html}"
            );
        }
    }
    assert_eq!(count().await, 0, "nothing half-written");
    // Typed as people type it.
    let r = deputy
        .post(
            "/control/outages",
            &[
                ("from", "05.10.2026 08:00"),
                ("to", "05.10.2026 12:30"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(path_of(&r), "/control/outages");
    assert_eq!(count().await, 1);

    // Teachers neither see nor register breaks.
    assert_eq!(
        j.teacher.get("/control/outages").await.status(),
        StatusCode::FORBIDDEN
    );
    let r = j
        .teacher
        .post(
            "/control/outages",
            &[("from", "05.10.2026 08:00"), ("to", "05.10.2026 12:30")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(count().await, 1);

    // Another school's break: 404, and it stays; the school's own is removed and audited.
    let other: i64 = sqlx::query_scalar(
        "INSERT INTO system_outage (school_id, starts_at, ends_at, registered_by, registered_at)
         SELECT s.id, now(), now() + interval '1 hour', a.id, now()
         FROM school s, account a WHERE s.slug = 'demo-2' AND a.login = 'director2' RETURNING id",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let r = deputy
        .post(&format!("/control/outages/{other}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let own: i64 = sqlx::query_scalar(
        "SELECT o.id FROM system_outage o JOIN school s ON s.id = o.school_id WHERE s.slug = 'demo-1'",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let r = deputy
        .post(&format!("/control/outages/{own}/delete"), &[])
        .await;
    assert_eq!(path_of(&r), "/control/outages");
    assert_eq!(count().await, 1, "only the other school's is left");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE subject_type = 'system_outage' AND subject_id = $1",
    )
    .bind(own)
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 2, "registered and removed");
}

#[tokio::test]
async fn s6_001_blank_journal_pages_of_a_day_list_each_lesson_with_its_pupils_to_print_in_advance()
{
    let j = maths_5b().await;
    let teacher_id = j.app.account_id("teacher").await;
    let lessons_of = |teacher: Option<i64>| {
        let pool = j.app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM lesson l
                 JOIN school s ON s.id = l.school_id AND s.slug = 'demo-1'
                 LEFT JOIN substitution su ON su.school_id = l.school_id AND su.lesson_id = l.id
                 WHERE l.lesson_date = '2026-10-05' AND l.status NOT IN ('cancelled', 'moved')
                   AND ($1::bigint IS NULL OR coalesce(su.teacher_id, l.teacher_id) = $1)",
            )
            .bind(teacher)
            .fetch_one(&pool)
            .await
            .unwrap() as usize
        }
    };
    let (status, page) = j.teacher.text("/paper?date=2026-10-05").await;
    assert_eq!(status, StatusCode::OK);
    let sections = page.matches("class=\"paper-lesson\"").count();
    assert_eq!(sections, lessons_of(Some(teacher_id)).await);
    assert!(sections >= 1);
    // The 5«Б» mathematics lesson with every pupil of the class, and the lines to fill in.
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT p.last_name || ' ' || p.first_name FROM pupil p WHERE p.id = ANY($1)",
    )
    .bind(&j.pupils)
    .fetch_all(&j.app.pool)
    .await
    .unwrap();
    assert!(page.contains("5«Б», Математика"), "{page}");
    for name in &names {
        assert!(page.contains(name.as_str()), "{name}");
    }
    assert!(page.contains("Тема урока:") && page.contains("Домашнее задание:"));
    assert!(page.contains("05.10.2026, 1-й урок"), "{page}");
    // A teacher asking for another teacher still gets their own lessons.
    let (_, other) = j.teacher.text("/paper?date=2026-10-05&teacher=1").await;
    assert_eq!(other.matches("class=\"paper-lesson\"").count(), sections);

    // The deputy prints the whole school's day, or one teacher's.
    let deputy = j.app.signed_in("deputy").await;
    let whole = deputy.text("/paper?date=2026-10-05").await.1;
    assert_eq!(
        whole.matches("class=\"paper-lesson\"").count(),
        lessons_of(None).await
    );
    let one = deputy
        .text(&format!("/paper?date=2026-10-05&teacher={teacher_id}"))
        .await
        .1;
    assert_eq!(one.matches("class=\"paper-lesson\"").count(), sections);
    // Another school's teacher: a message, no lessons.
    let teacher2 = j.app.account_id("teacher2").await;
    let foreign = deputy
        .text(&format!("/paper?date=2026-10-05&teacher={teacher2}"))
        .await
        .1;
    assert!(foreign.contains("Выберите учителя из списка."));
    assert_eq!(foreign.matches("class=\"paper-lesson\"").count(), 0);
    // A bad date: a message, not an error.
    let (status, bad) = deputy.text("/paper?date=32.13.2026").await;
    assert_eq!(status, StatusCode::OK);
    assert!(bad.contains("Укажите дату в виде ДД.ММ.ГГГГ"));
    // Parents and pupils do not print the journal.
    let parent = j.app.signed_in("parent").await;
    assert_eq!(parent.get("/paper").await.status(), StatusCode::FORBIDDEN);
}
