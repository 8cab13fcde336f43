//! The pupils' reports (regulations §5): what to catch up per pupil (missed lessons with the topics
//! missed, unsatisfactory marks with their topics) and the homework load per class and day against
//! the school's limits (СанПиН 1.2.3685-21 as settings) — every figure against a hand count on a
//! class 7Ш built here: a pupil missing a whole day and one lesson of the next, a missed lesson
//! without a topic, a «2» with its topic, a withdrawn pupil with stray entries after leaving, a
//! cancelled lesson with an absence on it; a day over the limit, a day at it, homework without
//! minutes. The XLSX and CSV equal the page; bad settings come back with a message.

use chrono::{NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;

use crate::awkward::{first_school, scalar, whole_class_group};
use crate::helpers::{TestApp, spawn_app};
use crate::tables::{cells, csv, page, row, strs, table_cells, xlsx};

fn d(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

struct Class {
    id: i64,
    math: i64,
    russian: i64,
    late: i64,
    twos: i64,
    gone: i64,
    lessons: std::collections::HashMap<(u32, i64), i64>,
}

/// A lesson of the set-up: day, number, group, status, topic, homework minutes (`Some(None)`:
/// homework without minutes).
type Planned<'a> = (u32, i16, i64, &'a str, Option<&'a str>, Option<Option<i16>>);

/// Class 7Ш of the first demo school, Friday 20.11.2026. Lessons: mathematics 1st and Russian
/// 2nd on Monday 16.11, Tuesday 17.11 and Thursday 19.11, mathematics on Friday 20.11, and a
/// cancelled mathematics on Wednesday 18.11.
async fn build(app: &TestApp) -> Class {
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap());
    let (school, year) = first_school(app).await;
    let class = scalar(
        app,
        "INSERT INTO school_class (school_id, academic_year_id, grade, letter) VALUES ($1, $2, 7, 'Ш') RETURNING id",
        &[school, year],
    )
    .await;
    let teacher = app.account_id("teacher").await;
    let mut groups = Vec::new();
    for subject in ["Математика-наверстать", "Русский-наверстать"]
    {
        let group = whole_class_group(app, (school, year), class, subject, "7Ш", teacher).await;
        groups.push(group);
    }
    let (math, russian) = (groups[0], groups[1]);
    // Пропускин, Двойкин, Отличница; Выбывший left on 13.11.
    let mut pupils = Vec::new();
    for (last, ends) in [
        ("Пропускин", None),
        ("Двойкин", None),
        ("Отличница", None),
        ("Выбывший", Some(d(13))),
    ] {
        let pupil: i64 = sqlx::query_scalar(
            "WITH p AS (INSERT INTO pupil (school_id, last_name, first_name) VALUES ($1, $2, 'Тест') RETURNING id),
             e AS (INSERT INTO class_enrollment (school_id, pupil_id, class_id, starts_on, ends_on)
                   SELECT $1, p.id, $3, $4, $5 FROM p)
             SELECT id FROM p",
        )
        .bind(school)
        .bind(last)
        .bind(class)
        .bind(NaiveDate::from_ymd_opt(2026, 9, 1).unwrap())
        .bind(ends)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        pupils.push(pupil);
    }
    let plan: [Planned; 9] = [
        (16, 1, math, "held", Some("Уравнения"), Some(Some(100))),
        (16, 2, russian, "held", Some("Причастие"), Some(Some(60))),
        (17, 1, math, "held", None, Some(Some(90))),
        (17, 2, russian, "held", Some("Деепричастие"), Some(Some(60))),
        (18, 1, math, "cancelled", None, None),
        (19, 1, math, "held", Some("Проценты"), Some(None)),
        (19, 2, russian, "held", Some("Наречие"), None),
        (20, 1, math, "scheduled", None, None),
        (20, 2, russian, "scheduled", None, None),
    ];
    let mut lessons = std::collections::HashMap::new();
    for (day, n, g, status, topic, homework) in plan {
        let lesson: i64 = sqlx::query_scalar(
            "INSERT INTO lesson (school_id, group_id, lesson_date, lesson_number, teacher_id, status,
                                 topic, homework, homework_minutes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(school)
        .bind(g)
        .bind(d(day))
        .bind(n)
        .bind(teacher)
        .bind(status)
        .bind(topic)
        .bind(homework.map(|_| "Упражнения 1–5"))
        .bind(homework.flatten())
        .fetch_one(&app.pool)
        .await
        .unwrap();
        lessons.insert((day, g), lesson);
    }
    // Absences: Пропускин misses the whole Monday (Б, Б) and Tuesday's mathematics (no reason,
    // no topic written), and is marked absent at the cancelled lesson (not missed). Выбывший has
    // stray entries after leaving.
    for (p, day, g, reason) in [
        (0, 16, math, Some("ill")),
        (0, 16, russian, Some("ill")),
        (0, 17, math, None),
        (0, 18, math, Some("unexcused")),
        (3, 17, russian, Some("unexcused")),
    ] {
        sqlx::query(
            "INSERT INTO absence (school_id, lesson_id, pupil_id, reason, entered_by, entered_at)
             VALUES ($1, $2, $3, $4, $5, now())",
        )
        .bind(school)
        .bind(lessons[&(day, g)])
        .bind(pupils[p])
        .bind(reason)
        .bind(teacher)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    // Marks: Двойкин «2» on Monday's mathematics (topic «Уравнения») and «3» on Tuesday's;
    // Отличница «5»; Выбывший a stray «2» on Monday.
    for (p, day, v) in [(1, 16, "2"), (1, 17, "3"), (2, 16, "5"), (3, 16, "2")] {
        sqlx::query(
            "WITH c AS (
                 INSERT INTO mark_column (school_id, lesson_id, position, work_type_id)
                 SELECT l.school_id, l.id, 1, (SELECT id FROM work_type w WHERE w.school_id = l.school_id AND w.name = 'Ответ на уроке')
                 FROM lesson l WHERE l.id = $1
                 ON CONFLICT (school_id, lesson_id, position) DO UPDATE SET position = 1 RETURNING id, school_id, work_type_id)
             INSERT INTO mark (school_id, group_id, pupil_id, column_id, work_type_id, value, given_on, entered_by, entered_at)
             SELECT c.school_id, $2, $3, c.id, c.work_type_id, $4, $5, $6, now() FROM c",
        )
        .bind(lessons[&(day, math)])
        .bind(math)
        .bind(pupils[p])
        .bind(v)
        .bind(d(day))
        .bind(teacher)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    Class {
        id: class,
        math,
        russian,
        late: pupils[0],
        twos: pupils[1],
        gone: pupils[3],
        lessons,
    }
}

/// The part of the page about one pupil.
fn pupil_section(body: &str, pupil: i64) -> String {
    body.split(&format!("id=\"pupil-{pupil}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("pupil {pupil} on the page"))
        .split("</section>")
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_catch_up_report_of_the_whole_school_gives_each_pupil_one_line_linking_to_their_class()
{
    let app = spawn_app().await;
    let c = build(&app).await;
    let deputy = app.signed_in("deputy").await;
    let body = page(&deputy, "/reports/catch-up?from=16.11.2026&to=20.11.2026").await;
    // A whole school's topics would be megabytes: one line per pupil, the details in the class.
    let pupils = table_cells(&body, "report-table catch-up-pupils");
    assert_eq!(
        row(&pupils, "Пропускин Тест", "7Ш")[2..],
        strs(&["3", "1", "0"])[..]
    );
    assert_eq!(
        row(&pupils, "Двойкин Тест", "7Ш")[2..],
        strs(&["0", "0", "1"])[..]
    );
    assert!(
        !body.contains("catch-up-missed"),
        "no topic lists for the whole school"
    );
    assert!(
        body.contains(&format!("class={}", c.id))
            && body.contains(&format!("#pupil-{}\">Пропускин Тест</a>", c.late))
    );
    // The class's own page lists the topics.
    let class = page(
        &deputy,
        &format!(
            "/reports/catch-up?class={}&from=16.11.2026&to=20.11.2026",
            c.id
        ),
    )
    .await;
    assert!(class.contains("catch-up-missed") && !class.contains("catch-up-pupils"));
}

#[tokio::test]
async fn the_catch_up_report_lists_each_pupils_missed_topics_and_twos_as_counted_by_hand() {
    let app = spawn_app().await;
    let c = build(&app).await;
    let deputy = app.signed_in("deputy").await;
    let query = format!("class={}&from=16.11.2026&to=20.11.2026", c.id);
    let body = page(&deputy, &format!("/reports/catch-up?{query}")).await;
    // The class: 2 pupils to catch up, 3 lessons missed (1 without a topic), one «2».
    assert_eq!(
        row(
            &table_cells(&body, "report-table catch-up-classes"),
            "7Ш",
            "2"
        )[2..],
        strs(&["3", "1", "1"])[..]
    );
    assert_eq!(
        row(
            &table_cells(&body, "report-table catch-up-classes"),
            "Итого",
            "2"
        )[2..],
        strs(&["3", "1", "1"])[..]
    );
    // Пропускин: the whole Monday and Tuesday's mathematics; not the cancelled Wednesday.
    let late = pupil_section(&body, c.late);
    assert!(late.contains(&format!("/pupils/{}\">Пропускин Тест</a>", c.late)));
    assert!(late.contains(
        "Пропущено уроков: 3 (без записанной темы: 1). Неудовлетворительных отметок: 0."
    ));
    assert_eq!(
        cells(&late),
        vec![
            strs(&["16.11.2026", "1", "Математика-наверстать", "Уравнения", "Б"]),
            strs(&["16.11.2026", "2", "Русский-наверстать", "Причастие", "Б"]),
            strs(&[
                "17.11.2026",
                "1",
                "Математика-наверстать",
                "тема не записана",
                "—"
            ]),
        ]
    );
    assert!(
        !late.contains("18.11.2026"),
        "a cancelled lesson is not missed"
    );
    // Links: the journal of the subject, the lesson of the topic.
    assert!(late.contains(&format!("/journal/{}\">Русский-наверстать</a>", c.russian)));
    assert!(late.contains(&format!(
        "/lessons/{}\">Уравнения</a>",
        c.lessons[&(16, c.math)]
    )));
    // Двойкин: the «2» with its work type and topic; the «3» is not listed.
    let twos = pupil_section(&body, c.twos);
    assert_eq!(
        cells(&twos),
        vec![strs(&[
            "16.11.2026",
            "1",
            "Математика-наверстать",
            "Ответ на уроке",
            "2",
            "Уравнения"
        ])]
    );
    assert!(twos.contains(&format!("/journal/{}\">Математика-наверстать</a>", c.math)));
    // Nothing to catch up, or withdrawn before (their stray entries after leaving not shown).
    assert!(!body.contains("Отличница"));
    assert!(!body.contains("Выбывший") && !body.contains(&format!("pupil-{}", c.gone)));
    assert!(body.contains("тема не записана"));
    assert!(body.contains("отменённые и перенесённые не считаются пропущенными"));
    // What a user reads (the page's markup holds a random CSRF token, which may spell «J9»).
    let shown = crate::tables::strip(&body);
    assert!(!shown.contains("§5") && !shown.contains("J9"));

    // The files hold the same rows: totals as numbers, dates as dates.
    let x = xlsx(&deputy, &format!("/reports/catch-up.xlsx?{query}")).await;
    let class = x.iter().find(|r| r[0] == "Класс" && r[1] == "7Ш").unwrap();
    assert_eq!(class[10..], strs(&["3", "1", "1"])[..]);
    let missed: Vec<&Vec<String>> = x.iter().filter(|r| r[0] == "Пропуск").collect();
    assert_eq!(missed.len(), 3);
    assert_eq!(
        missed[2][..10],
        strs(&[
            "Пропуск",
            "7Ш",
            "Пропускин Тест",
            "17.11.2026",
            "1",
            "Математика-наверстать",
            "",
            "",
            "—",
            "тема не записана"
        ])[..]
    );
    let mark = x.iter().find(|r| r[0] == "Отметка").unwrap();
    assert_eq!(
        mark[2..10],
        strs(&[
            "Двойкин Тест",
            "16.11.2026",
            "1",
            "Математика-наверстать",
            "Ответ на уроке",
            "2",
            "",
            "Уравнения"
        ])[..]
    );
    let school = x.iter().find(|r| r[0] == "Школа").unwrap();
    assert_eq!(school[10..], strs(&["3", "1", "1"])[..]);
    let csv = csv(&deputy, &format!("/reports/catch-up.csv?{query}")).await;
    assert!(csv.contains("Класс;7Ш;;;;;;;;;3;1;1\r\n"), "{csv}");
    assert!(
        csv.contains(
            "Пропуск;7Ш;Пропускин Тест;16.11.2026;2;Русский-наверстать;;;Б;Причастие;;;\r\n"
        ),
        "{csv}"
    );
}

#[tokio::test]
async fn the_catch_up_report_is_the_class_teachers_class_and_the_teachers_own_journals() {
    let app = spawn_app().await;
    let c = build(&app).await;
    let query = format!("class={}&from=16.11.2026&to=20.11.2026", c.id);
    // The teacher of both journals sees their pupils; another school's director a message.
    let teacher = app.signed_in("teacher").await;
    let body = page(&teacher, &format!("/reports/catch-up?{query}")).await;
    assert!(body.contains("Отчёт по вашим журналам"));
    assert!(body.contains("Пропускин Тест") && body.contains("Двойкин Тест"));
    // The class teacher of 5Б naming 7Ш gets 5Б.
    let class_teacher = app.signed_in("classteacher").await;
    let body = page(&class_teacher, &format!("/reports/catch-up?{query}")).await;
    assert!(body.contains("Отчёт по вашему классу"));
    assert!(!body.contains("Пропускин") && !body.contains("7Ш"));
    let other = app.signed_in("director2").await;
    let body = page(&other, &format!("/reports/catch-up?{query}")).await;
    assert!(body.contains("Выберите класс из списка"));
    assert!(!body.contains("Пропускин"));
    assert_eq!(
        other
            .get(&format!("/reports/catch-up.xlsx?{query}"))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    for login in ["admin", "parent", "student"] {
        let client = app.signed_in(login).await;
        let (status, body) = client.text(&format!("/reports/catch-up?{query}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
        assert!(!body.contains("Пропускин"));
    }
}

#[tokio::test]
async fn the_homework_load_report_lists_days_over_the_sanpin_limit_worst_first_and_homework_without_minutes_apart()
 {
    let app = spawn_app().await;
    let c = build(&app).await;
    let deputy = app.signed_in("deputy").await;
    let query = format!("class={}&from=16.11.2026&to=20.11.2026", c.id);
    let body = page(&deputy, &format!("/reports/homework-load?{query}")).await;
    // Due Tuesday: 100 + 60 = 160 > 150 (grade 7). Due Thursday (Wednesday's lesson cancelled):
    // 90 + 60 = 150, at the limit. Due Friday: one homework without minutes.
    assert_eq!(
        row(
            &table_cells(&body, "report-table homework-classes"),
            "7Ш",
            "150"
        )[2..],
        strs(&["3", "160", "1", "1"])[..]
    );
    assert_eq!(
        table_cells(&body, "report-table homework-over"),
        vec![strs(&["7Ш", "17.11.2026", "160", "150", "10", "0"])]
    );
    assert!(body.contains("ровно норма — не сверх нормы"));
    assert!(body.contains("не входят в нагрузку (не считаются нулём)"));
    assert!(!body.contains("§5"));
    let x = xlsx(&deputy, &format!("/reports/homework-load.xlsx?{query}")).await;
    let class = x.iter().find(|r| r[0] == "Класс").unwrap();
    assert_eq!(
        class[1..8],
        strs(&["7Ш", "", "150", "3", "160", "1", "1"])[..]
    );
    let over = x.iter().find(|r| r[0] == "День сверх нормы").unwrap();
    assert_eq!(
        over[1..],
        strs(&["7Ш", "17.11.2026", "150", "", "", "", "0", "160", "10"])[..]
    );
    let csv = csv(&deputy, &format!("/reports/homework-load.csv?{query}")).await;
    assert!(
        csv.contains("День сверх нормы;7Ш;17.11.2026;150;;;;0;160;10\r\n"),
        "{csv}"
    );

    // A class teacher gets their class; a teacher 403 (a class's day is not their journals').
    let teacher = app.signed_in("teacher").await;
    for path in [
        "/reports/homework-load",
        "/reports/homework-load.csv",
        "/reports/homework-load.xlsx",
    ] {
        let (status, body) = teacher.text(&format!("{path}?{query}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(!body.contains("7Ш"));
    }
    let class_teacher = app.signed_in("classteacher").await;
    let body = page(&class_teacher, &format!("/reports/homework-load?{query}")).await;
    assert!(body.contains("Отчёт по вашему классу") && !body.contains("7Ш"));
    let index = page(&deputy, "/reports").await;
    assert!(
        index.contains("/reports/homework-load")
            && index.contains("учителю-предметнику недоступен")
    );
}

/// Pupils of one class in different subgroups carry different homework: the class's day is its
/// most loaded pupil's, not the sum over every subgroup's homework.
#[tokio::test]
async fn the_homework_load_of_a_class_split_into_subgroups_is_its_most_loaded_pupils() {
    let app = spawn_app().await;
    let c = build(&app).await;
    let (school, year) = first_school(&app).await;
    let teacher = app.account_id("teacher").await;
    let subject: i64 = scalar(
        &app,
        "INSERT INTO subject (school_id, name, short_name) VALUES ($1, 'Английский-наверстать', 'Англ') RETURNING id",
        &[school],
    )
    .await;
    let pupils: Vec<i64> = sqlx::query_scalar(
        "SELECT pupil_id FROM class_enrollment WHERE class_id = $1 AND ends_on IS NULL ORDER BY pupil_id",
    )
    .bind(c.id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    // Subgroup 1: Пропускин and Двойкин, 40 minutes due Thursday; subgroup 2: Отличница, 10.
    for (name, members, minutes) in [("7Ш-1", &pupils[..2], 40_i16), ("7Ш-2", &pupils[2..], 10)] {
        let group: i64 = scalar(
            &app,
            "INSERT INTO study_group (school_id, academic_year_id, subject_id, kind, class_id, name)
             VALUES ($1, $2, $3, 'subgroup', $4, 'подгруппа') RETURNING id",
            &[school, year, subject, c.id],
        )
        .await;
        for pupil in members {
            sqlx::query(
                "INSERT INTO group_member (school_id, group_id, pupil_id, starts_on) VALUES ($1, $2, $3, '2026-09-01')",
            )
            .bind(school)
            .bind(group)
            .bind(pupil)
            .execute(&app.pool)
            .await
            .unwrap();
        }
        for (day, homework) in [(16, Some(minutes)), (19, None)] {
            sqlx::query(
                "INSERT INTO lesson (school_id, group_id, lesson_date, lesson_number, teacher_id, status,
                                     topic, homework, homework_minutes)
                 VALUES ($1, $2, $3, 3, $4, 'held', $5, $6, $7)",
            )
            .bind(school)
            .bind(group)
            .bind(d(day))
            .bind(teacher)
            .bind(name)
            .bind(homework.map(|_| "Текст 2"))
            .bind(homework)
            .execute(&app.pool)
            .await
            .unwrap();
        }
    }
    let deputy = app.signed_in("deputy").await;
    let query = format!("class={}&from=16.11.2026&to=20.11.2026", c.id);
    let body = page(&deputy, &format!("/reports/homework-load?{query}")).await;
    // Due Thursday: 90 + 60 for everyone, + 40 for subgroup 1 (190), + 10 for subgroup 2 (160).
    assert_eq!(
        row(
            &table_cells(&body, "report-table homework-classes"),
            "7Ш",
            "150"
        )[2..],
        strs(&["3", "190", "2", "1"])[..]
    );
    assert_eq!(
        table_cells(&body, "report-table homework-over"),
        vec![
            strs(&["7Ш", "19.11.2026", "190", "150", "40", "0"]),
            strs(&["7Ш", "17.11.2026", "160", "150", "10", "0"]),
        ]
    );
}

#[tokio::test]
async fn the_homework_limits_are_school_settings_bad_input_comes_back_with_a_message_and_nothing_saved()
 {
    let app = spawn_app().await;
    let c = build(&app).await;
    let director = app.signed_in("director").await;
    let (_, settings) = director.text("/admin/settings").await;
    assert!(settings.contains("name=\"homework_limit_grades_6_8\" value=\"150\""));
    let stored = || async {
        sqlx::query_scalar::<_, i16>(
            "SELECT homework_limit_grades_6_8 FROM school WHERE slug = 'demo-1'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    for typed in ["сто", "601", ""] {
        let r = director
            .post(
                "/admin/settings",
                &crate::settings::form(&[
                    ("homework_limit_grades_6_8", typed),
                    ("entry_lock_days", "9"),
                ]),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed:?}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("целое число от 0 до 600"),
            "{typed:?}: {body}"
        );
        assert!(body.contains("name=\"entry_lock_days\" value=\"9\""));
        assert_eq!(stored().await, 150, "nothing saved");
    }
    let r = director
        .post(
            "/admin/settings",
            &crate::settings::form(&[("homework_limit_grades_6_8", "120")]),
        )
        .await;
    assert!(r.text().await.unwrap().contains("Настройки сохранены."));
    assert_eq!(stored().await, 120);
    let after: serde_json::Value = sqlx::query_scalar(
        "SELECT after FROM audit_event WHERE action = 'school.settings_changed' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(after["homework_limit_grades_6_8"], 120);
    // Now Thursday's 150 minutes are over the limit too; Tuesday's 160 stays the worst.
    let deputy = app.signed_in("deputy").await;
    let body = page(
        &deputy,
        &format!(
            "/reports/homework-load?class={}&from=16.11.2026&to=20.11.2026",
            c.id
        ),
    )
    .await;
    assert_eq!(
        table_cells(&body, "report-table homework-over"),
        vec![
            strs(&["7Ш", "17.11.2026", "160", "120", "40", "0"]),
            strs(&["7Ш", "19.11.2026", "150", "120", "30", "0"]),
        ]
    );
}
