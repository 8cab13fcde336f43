//! What a teacher plans ahead on a future lesson (topic, homework, comment) is never lost
//! (issue 12, items 1 and 2): a timetable change keeps the lesson or carries its records to the
//! group's next free lesson and tells the deputy; planning ahead does not make a lesson held,
//! so the deputy may still move it — and the records go with it.
//!
//! 5«Б» learns mathematics with `teacher` on Mondays (1st lesson) and Wednesdays (2nd), as in
//! `journal.rs`; the clock stands on Monday 05.10.2026, 9:00 in Moscow.

use reqwest::StatusCode;

use crate::helpers::Client;
use crate::journal::{Journal, maths_5b, msk};

async fn scalar(j: &Journal, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&j.app.pool)
        .await
        .unwrap()
}

/// The timetable line of the group at a weekday and lesson number.
async fn slot(j: &Journal, weekday: i16, number: i16) -> i64 {
    sqlx::query_scalar(
        "SELECT id FROM timetable_slot WHERE group_id = $1 AND weekday = $2 AND lesson_number = $3",
    )
    .bind(j.group)
    .bind(weekday)
    .bind(number)
    .fetch_one(&j.app.pool)
    .await
    .unwrap()
}

/// The teacher saves the lesson's record from its page: `fields` over an empty form.
async fn record(j: &Journal, lesson: i64, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let mut form: Vec<(&str, &str)> = vec![
        ("topic", ""),
        ("homework", ""),
        ("homework_minutes", ""),
        ("teacher_comment", ""),
    ];
    for (k, v) in fields {
        form.retain(|(key, _)| key != k);
        form.push((k, v));
    }
    let r = j.teacher.post(&format!("/lessons/{lesson}"), &form).await;
    (r.status(), r.text().await.unwrap())
}

/// The deputy's page after a timetable write (the redirect shows its message).
async fn deputy_posts(deputy: &Client, path: &str, form: &[(&str, &str)]) -> String {
    let r = deputy.post(path, form).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

async fn lesson_at(j: &Journal, date: &str, number: i16) -> Option<i64> {
    sqlx::query_scalar(
        "SELECT id FROM lesson WHERE group_id = $1 AND lesson_date = $2::date AND lesson_number = $3",
    )
    .bind(j.group)
    .bind(date)
    .bind(number)
    .fetch_optional(&j.app.pool)
    .await
    .unwrap()
}

async fn diary_week(j: &Journal, monday: &str) -> String {
    let student = j.app.signed_in("student").await;
    let (status, html) = student.text(&format!("/diary?week={monday}")).await;
    assert_eq!(status, StatusCode::OK);
    html
}

/// Puts Russian into 5«Б»'s curriculum with `classteacher`, Tuesdays 3rd lesson: another line
/// of the class's timetable.
async fn add_russian(j: &Journal, deputy: &Client) -> String {
    deputy
        .post(
            "/setup/subjects",
            &[
                ("name", "Русский язык"),
                ("component", "federal"),
                ("scale", "five_point"),
            ],
        )
        .await;
    let subject = scalar(j, "SELECT id FROM subject WHERE name = 'Русский язык'")
        .await
        .to_string();
    let class = j.class_id;
    deputy
        .post(
            &format!("/classes/{class}/curriculum"),
            &[("subject", &subject), ("hours", "1")],
        )
        .await;
    let group = scalar(
        j,
        &format!("SELECT id FROM study_group WHERE class_id = {class} AND subject_id = {subject}"),
    )
    .await
    .to_string();
    let teacher = j.app.account_id("classteacher").await.to_string();
    deputy
        .post(
            &format!("/groups/{group}/teacher"),
            &[("teacher", &teacher), ("hours", "1")],
        )
        .await;
    deputy_posts(
        deputy,
        &format!("/classes/{class}/timetable"),
        &[("group", &group), ("weekday", "2"), ("lesson_number", "3")],
    )
    .await
}

#[tokio::test]
async fn j7_planned_homework_survives_a_timetable_change_of_another_line() {
    let j = maths_5b().await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let wednesday = j.lesson(10, 14).await;
    let (status, html) = record(&j, wednesday, &[("homework", "§ 5, № 1–10")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Запись об уроке сохранена"), "{html}");

    let deputy = j.app.signed_in("deputy").await;
    let html = add_russian(&j, &deputy).await;
    assert!(html.contains("Урок добавлен в расписание"), "{html}");
    assert!(
        !html.contains("перенес") && !html.contains("оставлен"),
        "nothing moved: {html}"
    );

    // The same lesson (same id) still carries the homework, and the pupil reads it.
    assert_eq!(lesson_at(&j, "2026-10-14", 2).await, Some(wednesday));
    let week = diary_week(&j, "2026-10-12").await;
    assert!(week.contains("§ 5, № 1–10"), "{week}");
    // The teacher's record in the audit trail still points at a lesson that exists.
    assert_eq!(
        scalar(
            &j,
            &format!(
                "SELECT count(*) FROM audit_event e JOIN lesson l ON l.id = e.subject_id
                 WHERE e.action = 'lesson.recorded' AND e.subject_id = {wednesday}"
            )
        )
        .await,
        1
    );
}

#[tokio::test]
async fn j7_planned_homework_goes_with_its_line_to_another_lesson_number_the_same_day_and_the_deputy_is_told()
 {
    let j = maths_5b().await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let wednesday = j.lesson(10, 14).await;
    record(
        &j,
        wednesday,
        &[("topic", "Сложение дробей"), ("homework", "§ 6, № 3")],
    )
    .await;
    let deputy = j.app.signed_in("deputy").await;
    let class = j.class_id;
    let group = j.group.to_string();
    // Mathematics on Wednesdays moves from the 2nd lesson to the 4th: the new line first, then
    // the old one ends.
    let html = deputy_posts(
        &deputy,
        &format!("/classes/{class}/timetable"),
        &[
            ("group", &group),
            ("weekday", "3"),
            ("lesson_number", "4"),
            ("from", "12.10.2026"),
        ],
    )
    .await;
    assert!(html.contains("Урок добавлен в расписание"), "{html}");
    let old = slot(&j, 3, 2).await;
    let html = deputy_posts(
        &deputy,
        &format!("/classes/{class}/timetable/{old}/end"),
        &[("from", "12.10.2026")],
    )
    .await;
    assert!(
        html.contains(
            "Домашнее задание и тема урока 5Б Математика 14.10.2026 (2-й урок) перенесены на урок 14.10.2026 (4-й урок)."
        ),
        "{html}"
    );

    // The lesson itself went to the 4th lesson: one lesson that day, with the homework.
    assert_eq!(lesson_at(&j, "2026-10-14", 4).await, Some(wednesday));
    assert_eq!(lesson_at(&j, "2026-10-14", 2).await, None);
    let week = diary_week(&j, "2026-10-12").await;
    assert!(
        week.contains("§ 6, № 3") && week.contains("Сложение дробей"),
        "{week}"
    );
    let (before, after): (i64, i64) = sqlx::query_as(
        "SELECT (before->>'lesson_number')::bigint, (after->>'lesson_number')::bigint
         FROM audit_event WHERE action = 'lesson.carried_over' AND subject_id = $1",
    )
    .bind(wednesday)
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    assert_eq!((before, after), (2, 4));
}

#[tokio::test]
async fn j7_planned_homework_of_a_day_without_the_groups_lesson_any_more_goes_to_its_next_lesson_and_is_audited()
 {
    let j = maths_5b().await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let wednesday = j.lesson(10, 14).await;
    record(&j, wednesday, &[("homework", "Выучить таблицу")]).await;
    let deputy = j.app.signed_in("deputy").await;
    let class = j.class_id;
    let old = slot(&j, 3, 2).await;
    let html = deputy_posts(
        &deputy,
        &format!("/classes/{class}/timetable/{old}/end"),
        &[("from", "12.10.2026")],
    )
    .await;
    assert!(
        html.contains(
            "Домашнее задание урока 5Б Математика 14.10.2026 (2-й урок) перенесено на урок 19.10.2026 (1-й урок)."
        ),
        "{html}"
    );
    assert_eq!(lesson_at(&j, "2026-10-19", 1).await, Some(wednesday));
    let week = diary_week(&j, "2026-10-19").await;
    assert!(week.contains("Выучить таблицу"), "{week}");

    let director = j.app.signed_in("director").await;
    let (status, audit) = director.text("/audit?kind=lesson.carried_over").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        audit.contains("Записи урока перенесены при изменении расписания"),
        "{audit}"
    );
}

#[tokio::test]
async fn j7_a_lesson_with_planned_homework_and_no_free_lesson_after_it_stays_and_the_deputy_is_told()
 {
    let j = maths_5b().await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let wednesday = j.lesson(10, 14).await;
    record(&j, wednesday, &[("homework_none", "on")]).await;
    let deputy = j.app.signed_in("deputy").await;
    let class = j.class_id;
    // Mathematics leaves the timetable from 12.10: Mondays first, then Wednesdays.
    let monday = slot(&j, 1, 1).await;
    let html = deputy_posts(
        &deputy,
        &format!("/classes/{class}/timetable/{monday}/end"),
        &[("from", "12.10.2026")],
    )
    .await;
    assert!(!html.contains("оставлен"), "{html}");
    let old = slot(&j, 3, 2).await;
    let html = deputy_posts(
        &deputy,
        &format!("/classes/{class}/timetable/{old}/end"),
        &[("from", "12.10.2026")],
    )
    .await;
    assert!(
        html.contains(
            "Урок 5Б Математика 14.10.2026 (2-й урок) больше не стоит в расписании, но оставлен на месте: в нём есть отметка «Не задано», а свободного урока группы в этот день и позже нет."
        ),
        "{html}"
    );
    assert_eq!(lesson_at(&j, "2026-10-14", 2).await, Some(wednesday));
    assert_eq!(
        scalar(
            &j,
            &format!(
                "SELECT count(*) FROM lesson WHERE group_id = {} AND lesson_date >= '2026-10-12'",
                j.group
            )
        )
        .await,
        1,
        "the blank lessons are gone, the planned one stays"
    );
}

#[tokio::test]
async fn j3_a_topic_planned_ahead_does_not_make_the_lesson_held_and_the_deputy_can_still_move_it_with_its_records()
 {
    let j = maths_5b().await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let wednesday = j.lesson(10, 14).await;
    let (status, html) = record(
        &j,
        wednesday,
        &[
            ("topic", "Умножение дробей"),
            ("homework", "§ 7, № 12"),
            ("teacher_comment", "Принести линейки"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let deputy = j.app.signed_in("deputy").await;
    let (_, day) = deputy.text("/deputy/lessons?date=2026-10-14").await;
    assert!(!day.contains("проведён"), "{day}");

    let r = deputy
        .post(
            &format!("/deputy/lessons/{wednesday}/move"),
            &[
                ("date", "15.10.2026"),
                ("number", "5"),
                ("reason", "Экскурсия"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Урок перенесён на 15.10.2026, 5-й урок. Домашнее задание, тема и комментарий перенесены вместе с уроком."),
        "{html}"
    );
    let moved = lesson_at(&j, "2026-10-15", 5)
        .await
        .expect("the new lesson");
    let (_, page) = j.teacher.text(&format!("/lessons/{moved}")).await;
    assert!(
        page.contains("Умножение дробей") && page.contains("§ 7, № 12"),
        "{page}"
    );
    // The pupil reads the homework once, at the new date.
    let week = diary_week(&j, "2026-10-12").await;
    assert_eq!(week.matches("§ 7, № 12").count(), 1, "{week}");
    assert_eq!(
        scalar(
            &j,
            &format!("SELECT count(*) FROM lesson WHERE id = {wednesday} AND status = 'moved' AND homework IS NULL AND topic IS NULL")
        )
        .await,
        1
    );
}

#[tokio::test]
async fn j1_a_topic_saved_on_the_lessons_day_makes_it_held_and_it_can_no_longer_be_moved() {
    let j = maths_5b().await;
    j.app.clock.set(msk(10, 14, 12, 0));
    let wednesday = j.lesson(10, 14).await;
    let (status, html) = record(&j, wednesday, &[("topic", "Деление дробей")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let deputy = j.app.signed_in("deputy").await;
    let r = deputy
        .post(
            &format!("/deputy/lessons/{wednesday}/move"),
            &[
                ("date", "15.10.2026"),
                ("number", "5"),
                ("reason", "Экскурсия"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("Урок уже проведён"));
}

#[tokio::test]
async fn j7_a_lesson_with_planned_homework_is_not_cancelled_and_the_deputy_is_told_to_move_it() {
    let j = maths_5b().await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let wednesday = j.lesson(10, 14).await;
    record(&j, wednesday, &[("homework", "§ 8")]).await;
    let deputy = j.app.signed_in("deputy").await;
    let r = deputy
        .post(
            &format!("/deputy/lessons/{wednesday}/cancel"),
            &[("reason", "Карантин")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Перенесите урок на другую дату — записи перейдут вместе с ним"),
        "{html}"
    );
    let week = diary_week(&j, "2026-10-12").await;
    assert!(week.contains("§ 8"), "{week}");
}

#[tokio::test]
async fn j15_a_line_given_another_teacher_and_room_keeps_its_future_lessons_with_their_homework() {
    let j = maths_5b().await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let wednesday = j.lesson(10, 14).await;
    let earlier = j.lesson(10, 7).await;
    record(&j, wednesday, &[("homework", "§ 9, № 1")]).await;
    let deputy = j.app.signed_in("deputy").await;
    deputy.post("/setup/rooms", &[("name", "214")]).await;
    let room = scalar(&j, "SELECT id FROM room WHERE name = '214'")
        .await
        .to_string();
    let classteacher = j.app.account_id("classteacher").await;
    deputy
        .post(
            &format!("/groups/{}/teacher", j.group),
            &[("teacher", &classteacher.to_string()), ("hours", "2")],
        )
        .await;
    // The same Wednesday lesson from 12.10 with the new teacher in room 214: the old line is
    // replaced, not doubled, and the lessons stay where they are.
    let html = deputy_posts(
        &deputy,
        &format!("/classes/{}/timetable", j.class_id),
        &[
            ("group", &j.group.to_string()),
            ("weekday", "3"),
            ("lesson_number", "2"),
            ("room", &room),
            ("from", "12.10.2026"),
        ],
    )
    .await;
    assert!(
        html.contains("Прежний урок группы в это время убран из расписания с той же даты"),
        "{html}"
    );
    assert!(!html.contains("перенесено"), "{html}");
    assert_eq!(lesson_at(&j, "2026-10-14", 2).await, Some(wednesday));
    let teacher_of = |id: i64| {
        let pool = j.app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT teacher_id FROM lesson WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(teacher_of(wednesday).await, classteacher);
    assert_eq!(
        teacher_of(earlier).await,
        j.app.account_id("teacher").await,
        "a lesson before the change keeps its teacher"
    );
    let week = diary_week(&j, "2026-10-12").await;
    assert!(week.contains("§ 9, № 1") && week.contains("214"), "{week}");
    // One line at that time from 12.10 on.
    assert_eq!(
        scalar(
            &j,
            &format!(
                "SELECT count(*) FROM timetable_slot WHERE group_id = {} AND weekday = 3
                 AND (valid_to IS NULL OR valid_to >= '2026-10-12')",
                j.group
            )
        )
        .await,
        1
    );
}
