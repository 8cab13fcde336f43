//! The timetable of groups without a class (regulations §2: «the timetable for every class,
//! group, stream and ИУП pupil»): streams and electives placed from their own page, following
//! the calendar of their youngest pupils' class, with the same conflicts as a class, and changes
//! from a date that regenerate only that group's future lessons.

use chrono::{Datelike, NaiveDate, TimeZone, Utc, Weekday};
use reqwest::StatusCode;

use crate::helpers::{Client, TestApp, path_of, spawn_app};

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

async fn class(app: &TestApp, grade: i16, letter: &str) -> i64 {
    sqlx::query_scalar("SELECT c.id FROM school_class c JOIN school s ON s.id = c.school_id WHERE s.slug = 'demo-1' AND c.grade = $1 AND c.letter = $2")
        .bind(grade)
        .bind(letter)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The first `n` pupils of a class.
async fn pupils(app: &TestApp, class_id: i64, n: i64) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT pupil_id FROM class_enrollment WHERE class_id = $1 ORDER BY pupil_id LIMIT $2",
    )
    .bind(class_id)
    .bind(n)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

async fn subject(app: &TestApp, deputy: &Client, name: &str) -> i64 {
    deputy
        .post(
            "/setup/subjects",
            &[
                ("name", name),
                ("component", "federal"),
                ("scale", "five_point"),
            ],
        )
        .await;
    sqlx::query_scalar("SELECT id FROM subject WHERE name = $1")
        .bind(name)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// A stream or an elective made over HTTP as the deputy does: the group, its teacher (if any),
/// its pupils from September 1 (if any).
async fn group(
    app: &TestApp,
    deputy: &Client,
    kind: &str,
    subject_name: &str,
    name: &str,
    teacher: Option<&str>,
    members: &[i64],
) -> i64 {
    let year = scalar(app, "SELECT y.id FROM academic_year y JOIN school s ON s.id = y.school_id WHERE s.slug = 'demo-1'").await;
    let subject = subject(app, deputy, subject_name).await.to_string();
    deputy
        .post(
            &format!("/groups?year={year}"),
            &[("subject", &subject), ("kind", kind), ("name", name)],
        )
        .await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM study_group WHERE name = $1")
        .bind(name)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    if let Some(teacher) = teacher {
        let t = app.account_id(teacher).await.to_string();
        deputy
            .post(
                &format!("/groups/{id}/teacher"),
                &[("teacher", &t), ("hours", "1")],
            )
            .await;
    }
    if !members.is_empty() {
        let form: Vec<(&str, String)> = members
            .iter()
            .map(|p| ("pupil", p.to_string()))
            .chain([("on", "01.09.2026".to_string())])
            .collect();
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        deputy.post(&format!("/groups/{id}/members"), &form).await;
    }
    id
}

/// A class's whole-class group of a subject with a teacher, as the curriculum page makes it.
async fn class_subject(
    app: &TestApp,
    deputy: &Client,
    class_id: i64,
    subject_name: &str,
    teacher: &str,
) -> i64 {
    let subject = subject(app, deputy, subject_name).await;
    deputy
        .post(
            &format!("/classes/{class_id}/curriculum"),
            &[("subject", &subject.to_string()), ("hours", "1")],
        )
        .await;
    let group: i64 =
        sqlx::query_scalar("SELECT id FROM study_group WHERE class_id = $1 AND subject_id = $2")
            .bind(class_id)
            .bind(subject)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let t = app.account_id(teacher).await.to_string();
    deputy
        .post(
            &format!("/groups/{group}/teacher"),
            &[("teacher", &t), ("hours", "1")],
        )
        .await;
    group
}

/// Posts a weekly lesson to a group's timetable page.
async fn place(deputy: &Client, group: i64, weekday: &str, number: &str) -> reqwest::Response {
    deputy
        .post(
            &format!("/groups/{group}/timetable"),
            &[("weekday", weekday), ("lesson_number", number)],
        )
        .await
}

/// Days of the demo's quarters from `from` on the weekday, outside `holidays`, counted by hand.
fn days_in_quarters(from: NaiveDate, weekday: Weekday, holidays: &[(NaiveDate, NaiveDate)]) -> i64 {
    let quarters = [
        (d(2026, 9, 1), d(2026, 10, 24)),
        (d(2026, 11, 5), d(2026, 12, 27)),
        (d(2027, 1, 12), d(2027, 3, 21)),
        (d(2027, 3, 30), d(2027, 5, 26)),
    ];
    quarters
        .iter()
        .flat_map(|(a, b)| a.iter_days().take_while(move |x| x <= b))
        .filter(|x| *x >= from && x.weekday() == weekday)
        .filter(|x| !holidays.iter().any(|(a, b)| a <= x && x <= b))
        .count() as i64
}

async fn lesson_ids(app: &TestApp, group: i64) -> Vec<i64> {
    sqlx::query_scalar("SELECT id FROM lesson WHERE group_id = $1 ORDER BY id")
        .bind(group)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn section_2_an_elective_of_two_classes_gets_lessons_for_its_members_periods_skipping_holidays()
 {
    let app = spawn_app().await;
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 8, 25, 9, 0, 0).unwrap());
    let deputy = app.signed_in("deputy").await;
    let class_1a = class(&app, 1, "А").await;
    let class_5a = class(&app, 5, "А").await;
    let members: Vec<i64> = [
        pupils(&app, class_1a, 2).await,
        pupils(&app, class_5a, 3).await,
    ]
    .concat();
    let chess = group(
        &app,
        &deputy,
        "elective",
        "Шахматы",
        "Шахматы 1–5",
        Some("teacher"),
        &members,
    )
    .await;

    let html = deputy
        .get(&format!("/groups/{chess}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!(
            r#"<a href="/groups/{chess}/timetable">Расписание группы</a>"#
        )),
        "the group page links to its timetable"
    );

    let response = place(&deputy, chess, "1", "6").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("Урок добавлен в расписание"), "{html}");
    // The youngest pupils are in 1А: the elective follows grade 1's calendar, whose extra
    // February holidays (15–22.02) the older pupils do not have.
    let shift_1a = scalar(
        &app,
        &format!("SELECT shift::bigint FROM school_class WHERE id = {class_1a}"),
    )
    .await;
    assert!(
        html.contains(&format!("1 класс, {shift_1a} смена")),
        "{html}"
    );
    let lessons = scalar(
        &app,
        &format!("SELECT count(*) FROM lesson WHERE group_id = {chess}"),
    )
    .await;
    let expected = days_in_quarters(
        d(2026, 9, 1),
        Weekday::Mon,
        &[(d(2027, 2, 15), d(2027, 2, 22))],
    );
    assert_eq!(lessons, expected);
    assert!(expected < days_in_quarters(d(2026, 9, 1), Weekday::Mon, &[]));
    assert!(
        html.contains(&format!("Уроков группы: {expected}")),
        "{html}"
    );
    let in_holidays = scalar(&app, &format!("SELECT count(*) FROM lesson WHERE group_id = {chess} AND (lesson_date BETWEEN '2026-10-25' AND '2026-11-04' OR lesson_date BETWEEN '2026-12-28' AND '2027-01-11' OR lesson_date BETWEEN '2027-02-15' AND '2027-02-22')")).await;
    assert_eq!(in_holidays, 0);
    assert_eq!(
        scalar(&app, &format!("SELECT count(*) FROM lesson WHERE group_id = {chess} AND teacher_id = (SELECT id FROM account WHERE login = 'teacher') AND lesson_number = 6")).await,
        expected,
        "the teacher from the load, the lesson number of the line"
    );
    assert_eq!(
        scalar(&app, &format!("SELECT count(*) FROM audit_event WHERE action = 'timetable_slot.created' AND (after->>'group_id')::bigint = {chess} AND (after->>'grade')::int = 1 AND (after->>'lessons_created')::bigint = {expected}")).await,
        1
    );
}

#[tokio::test]
async fn section_2_a_stream_pupil_cannot_be_in_a_class_lesson_at_the_same_time() {
    let app = spawn_app().await;
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 8, 25, 9, 0, 0).unwrap());
    let deputy = app.signed_in("deputy").await;
    let class_5a = class(&app, 5, "А").await;
    let class_5b = class(&app, 5, "Б").await;
    let music_5a = class_subject(&app, &deputy, class_5a, "Музыка", "classteacher").await;
    let maths_5b = class_subject(&app, &deputy, class_5b, "Математика", "teacher").await;
    let history_5b = class_subject(&app, &deputy, class_5b, "История", "classteacher").await;
    for (class_id, group, weekday) in [(class_5a, music_5a, "2"), (class_5b, maths_5b, "4")] {
        let html = deputy
            .post(
                &format!("/classes/{class_id}/timetable"),
                &[
                    ("group", &group.to_string()),
                    ("weekday", weekday),
                    ("lesson_number", "3"),
                ],
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains("Урок добавлен в расписание"), "{html}");
    }
    let members: Vec<i64> = [
        pupils(&app, class_5a, 6).await,
        pupils(&app, class_5b, 6).await,
    ]
    .concat();
    let stream = group(
        &app,
        &deputy,
        "stream",
        "Физическая культура",
        "Поток 5-х классов",
        Some("teacher"),
        &members,
    )
    .await;

    // Its 5А pupils have music on Tuesday, 3rd lesson.
    let pupils_twice = place(&deputy, stream, "2", "3").await;
    assert_eq!(pupils_twice.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = pupils_twice.text().await.unwrap();
    assert!(
        html.contains(
            "У обучающихся группы Поток 5-х классов (Физическая культура) в это время уже есть урок — вторник, 3-й урок (10:30–11:15): 5А (Музыка, Соколов Д.)."
        ),
        "{html}"
    );
    assert!(
        html.contains(r#"<option value="2" selected>Вторник</option>"#),
        "the form keeps the choice"
    );
    // Its teacher teaches 5Б mathematics on Thursday, 3rd lesson.
    let teacher_twice = place(&deputy, stream, "4", "3").await;
    assert_eq!(teacher_twice.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(teacher_twice.text().await.unwrap().contains(
        "Учитель Васильева Н. С. уже ведёт урок в это время — четверг, 3-й урок (10:30–11:15): 5Б (Математика); урок Поток 5-х классов (Физическая культура) туда не поставить."
    ));

    // Wednesday, 2nd lesson is free: placed. Then 5Б's history may not take that time.
    let html = place(&deputy, stream, "3", "2").await.text().await.unwrap();
    assert!(html.contains("Урок добавлен в расписание"), "{html}");
    let class_twice = deputy
        .post(
            &format!("/classes/{class_5b}/timetable"),
            &[
                ("group", &history_5b.to_string()),
                ("weekday", "3"),
                ("lesson_number", "2"),
            ],
        )
        .await;
    assert_eq!(class_twice.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(class_twice.text().await.unwrap().contains(
        "У обучающихся группы 5Б (История) в это время уже есть урок — среда, 2-й урок (09:25–10:10): Поток 5-х классов (Физическая культура, Васильева Н.)."
    ));
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM timetable_slot").await,
        3,
        "nothing refused was written"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM audit_event WHERE action = 'timetable_slot.created'"
        )
        .await,
        3
    );
    assert!(
        scalar(
            &app,
            &format!("SELECT count(*) FROM lesson WHERE group_id = {stream}")
        )
        .await
            > 0
    );
}

#[tokio::test]
async fn section_2_a_group_without_members_cannot_be_placed() {
    let app = spawn_app().await;
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 8, 25, 9, 0, 0).unwrap());
    let deputy = app.signed_in("deputy").await;
    let empty = group(
        &app,
        &deputy,
        "elective",
        "Робототехника",
        "Робототехника",
        Some("teacher"),
        &[],
    )
    .await;
    let response = place(&deputy, empty, "5", "7").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Сначала добавьте обучающихся в группу: на 01.09.2026 в ней никого нет"),
        "{html}"
    );

    // With pupils but no teacher in the load: the class form's message.
    let class_9a = class(&app, 9, "А").await;
    let members = pupils(&app, class_9a, 3).await;
    let untaught = group(
        &app,
        &deputy,
        "stream",
        "Астрономия",
        "Астрономия 9-х",
        None,
        &members,
    )
    .await;
    let response = place(&deputy, untaught, "5", "7").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Сначала назначьте учителя этой группы в учебном плане.")
    );
    // Wrong input: the class form's messages.
    let response = deputy
        .post(
            &format!("/groups/{untaught}/timetable"),
            &[
                ("weekday", "9"),
                ("lesson_number", "13"),
                ("from", "01.09.2030"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    for message in [
        "Выберите день недели.",
        "Укажите номер урока от 0 до 12.",
        "Укажите дату начала внутри учебного года.",
    ] {
        assert!(html.contains(message), "{message}");
    }
    assert_eq!(scalar(&app, "SELECT count(*) FROM timetable_slot").await, 0);
    assert_eq!(scalar(&app, "SELECT count(*) FROM lesson").await, 0);
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM audit_event WHERE action LIKE 'timetable_slot.%'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_group_slot_ended_from_a_date_regenerates_only_that_groups_future_lessons() {
    let app = spawn_app().await;
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 8, 25, 9, 0, 0).unwrap());
    let deputy = app.signed_in("deputy").await;
    let class_5b = class(&app, 5, "Б").await;
    let class_9a = class(&app, 9, "А").await;
    let maths_5b = class_subject(&app, &deputy, class_5b, "Математика", "teacher").await;
    deputy
        .post(
            &format!("/classes/{class_5b}/timetable"),
            &[
                ("group", &maths_5b.to_string()),
                ("weekday", "1"),
                ("lesson_number", "1"),
            ],
        )
        .await;
    let chess = group(
        &app,
        &deputy,
        "elective",
        "Шахматы",
        "Шахматы",
        Some("teacher"),
        &pupils(&app, class_5b, 4).await,
    )
    .await;
    let drama = group(
        &app,
        &deputy,
        "elective",
        "Театр",
        "Театральная студия",
        Some("classteacher"),
        &pupils(&app, class_9a, 4).await,
    )
    .await;
    place(&deputy, chess, "1", "7").await;
    place(&deputy, drama, "1", "7").await;
    let slot = scalar(
        &app,
        &format!("SELECT id FROM timetable_slot WHERE group_id = {chess}"),
    )
    .await;

    // October: the September lessons were held; one future chess lesson already has its topic.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap());
    sqlx::query("UPDATE lesson SET status = 'held', topic = 'Вводное занятие' WHERE lesson_date < '2026-10-01'").execute(&app.pool).await.unwrap();
    sqlx::query(&format!(
        "UPDATE lesson SET topic = 'Турнир' WHERE group_id = {chess} AND lesson_date = '2026-10-19'"
    ))
    .execute(&app.pool)
    .await
    .unwrap();
    let others_before = (
        lesson_ids(&app, maths_5b).await,
        lesson_ids(&app, drama).await,
    );

    // The line belongs to the chess group's page, not to a class's.
    assert_eq!(
        deputy
            .post(
                &format!("/classes/{class_5b}/timetable/{slot}/end"),
                &[("from", "05.10.2026")],
            )
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let response = deputy
        .post(
            &format!("/groups/{chess}/timetable/{slot}/end"),
            &[("from", "05.10.2026")],
        )
        .await;
    assert_eq!(path_of(&response), format!("/groups/{chess}/timetable"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Урок убран из расписания"), "{html}");
    assert!(html.contains("с 01.09.2026 до 04.10.2026"), "{html}");

    assert_eq!(
        scalar(
            &app,
            &format!("SELECT count(*) FROM lesson WHERE group_id = {chess} AND status = 'held'")
        )
        .await,
        4,
        "four Mondays in September, held, kept"
    );
    assert_eq!(
        scalar(&app, &format!("SELECT count(*) FROM lesson WHERE group_id = {chess} AND lesson_date >= '2026-10-05'")).await,
        1,
        "only the future lesson that already has a topic stays"
    );
    assert_eq!(
        (
            lesson_ids(&app, maths_5b).await,
            lesson_ids(&app, drama).await
        ),
        others_before,
        "the class's and the other elective's lessons are not touched"
    );
    assert!(html.contains("Уроков группы: 5"), "{html}");
    assert_eq!(
        scalar(&app, &format!("SELECT count(*) FROM audit_event WHERE action = 'timetable_slot.ended' AND subject_id = {slot} AND (after->>'lessons_removed')::bigint > 0")).await,
        1
    );

    // From October 5 chess is on Tuesdays: only chess lessons appear.
    let html = deputy
        .post(
            &format!("/groups/{chess}/timetable"),
            &[
                ("weekday", "2"),
                ("lesson_number", "7"),
                ("from", "05.10.2026"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Урок добавлен в расписание"), "{html}");
    assert_eq!(
        scalar(&app, &format!("SELECT count(*) FROM lesson WHERE group_id = {chess} AND extract(isodow FROM lesson_date) = 2")).await,
        days_in_quarters(d(2026, 10, 5), Weekday::Tue, &[])
    );
    assert_eq!(
        (
            lesson_ids(&app, maths_5b).await,
            lesson_ids(&app, drama).await
        ),
        others_before
    );
}

#[tokio::test]
async fn another_schools_group_timetable_answers_404_and_teachers_get_403() {
    let app = spawn_app().await;
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 8, 25, 9, 0, 0).unwrap());
    let deputy = app.signed_in("deputy").await;
    let class_5b = class(&app, 5, "Б").await;
    let chess = group(
        &app,
        &deputy,
        "elective",
        "Шахматы",
        "Шахматы",
        Some("teacher"),
        &pupils(&app, class_5b, 4).await,
    )
    .await;
    place(&deputy, chess, "1", "7").await;
    let slot = scalar(&app, "SELECT id FROM timetable_slot").await;

    let admin2 = app.signed_in("admin2").await;
    assert_eq!(
        admin2
            .get(&format!("/groups/{chess}/timetable"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let posts = [
        (
            format!("/groups/{chess}/timetable"),
            vec![("weekday", "2"), ("lesson_number", "2")],
        ),
        (
            format!("/groups/{chess}/timetable/{slot}/end"),
            vec![("from", "01.12.2026")],
        ),
        (format!("/groups/{chess}/lessons"), vec![]),
    ];
    for (path, form) in &posts {
        assert_eq!(
            admin2.post(path, form).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }

    // The group's own teacher reads the timetable but may not change it.
    let teacher = app.signed_in("teacher").await;
    let (status, html) = teacher.text(&format!("/groups/{chess}/timetable")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Понедельник") && !html.contains("Добавить урок в расписание"));
    for (path, form) in &posts {
        assert_eq!(
            teacher.post(path, form).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    // A teacher who does not teach the group does not see it.
    let classteacher = app.signed_in("classteacher").await;
    assert_eq!(
        classteacher
            .get(&format!("/groups/{chess}/timetable"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM timetable_slot").await,
        1,
        "nothing changed"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM audit_event WHERE action IN ('timetable_slot.created', 'timetable_slot.ended', 'lessons.regenerated')"
        )
        .await,
        1
    );

    // A class's group has no page of its own: its address leads to the class's timetable.
    let maths = class_subject(&app, &deputy, class_5b, "Математика", "teacher").await;
    let response = deputy.get(&format!("/groups/{maths}/timetable")).await;
    assert_eq!(path_of(&response), format!("/classes/{class_5b}/timetable"));
    assert_eq!(
        deputy
            .post(
                &format!("/groups/{maths}/timetable"),
                &[("weekday", "1"), ("lesson_number", "1")]
            )
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // The deputy regenerates the elective's future lessons: audited against the group.
    let html = deputy
        .post(&format!("/groups/{chess}/lessons"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Будущие уроки пересозданы"), "{html}");
    assert_eq!(
        scalar(&app, &format!("SELECT count(*) FROM audit_event WHERE action = 'lessons.regenerated' AND subject_type = 'study_group' AND subject_id = {chess}")).await,
        1
    );
}
