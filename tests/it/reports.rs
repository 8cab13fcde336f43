//! Reports (regulations §5): progress and quality, attendance — every figure against a hand count
//! on a small, deliberately awkward class built here (a pupil with a «2» and a Н/А, a pupil with
//! ОСВ, a withdrawn pupil, a day with every lesson missed and a day with one, absences of every
//! reason); the XLSX read back equals the page; CSV with BOM and `;`; bad filters; who sees what.

use chrono::{NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;

use crate::awkward::{first_school, scalar, whole_class_group};
use crate::helpers::{TestApp, spawn_app};
use crate::tables::{bytes, cells, csv, page, row, strs, xlsx};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The awkward class 7Т of the first demo school.
struct Class {
    id: i64,
    period: i64,
    math: i64,
    russian: i64,
}

async fn build(app: &TestApp) -> Class {
    // Friday 20.11.2026, noon in Moscow.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap());
    let (school, year) = first_school(app).await;
    let class = scalar(
        app,
        "INSERT INTO school_class (school_id, academic_year_id, grade, letter) VALUES ($1, $2, 7, 'Т') RETURNING id",
        &[school, year],
    )
    .await;
    let (period, p_start): (i64, NaiveDate) = sqlx::query_as(
        "SELECT sp.id, sp.starts_on FROM study_period sp JOIN period_scheme ps ON ps.id = sp.scheme_id
         WHERE ps.school_id = $1 AND ps.academic_year_id = $2 AND 7 BETWEEN ps.grade_from AND ps.grade_to
         AND sp.number = 1",
    )
    .bind(school)
    .bind(year)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let teacher = app.account_id("teacher").await;
    let mut groups = Vec::new();
    for subject in ["Математика-отчёт", "Русский-отчёт"] {
        let group = whole_class_group(app, (school, year), class, subject, "7Т", teacher).await;
        groups.push(group);
    }
    let (math, russian) = (groups[0], groups[1]);
    // Pupils: Отличников (5, 5), Двоечкин (2, Н/А), Освобождёнов (4, ОСВ), Троечкин (3, 4), and
    // Выбывшев (2), withdrawn a week into the quarter.
    let names = [
        "Отличников",
        "Двоечкин",
        "Освобождёнов",
        "Троечкин",
        "Выбывшев",
    ];
    let mut pupils = Vec::new();
    for (i, last) in names.iter().enumerate() {
        let ends: Option<NaiveDate> = (i == 4).then(|| p_start + chrono::Duration::days(7));
        let pupil: i64 = sqlx::query_scalar(
            "WITH p AS (INSERT INTO pupil (school_id, last_name, first_name) VALUES ($1, $2, 'Тест') RETURNING id),
             e AS (INSERT INTO class_enrollment (school_id, pupil_id, class_id, starts_on, ends_on)
                   SELECT $1, p.id, $3, $4, $5 FROM p)
             SELECT id FROM p",
        )
        .bind(school)
        .bind(*last)
        .bind(class)
        .bind(p_start)
        .bind(ends)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        pupils.push(pupil);
    }
    let period_marks = [
        (0, math, "5"),
        (0, russian, "5"),
        (1, math, "2"),
        (1, russian, "na"),
        (2, math, "4"),
        (2, russian, "exempt"),
        (3, math, "3"),
        (3, russian, "4"),
        (4, math, "2"),
    ];
    for (p, g, v) in period_marks {
        sqlx::query(
            "INSERT INTO period_mark (school_id, group_id, period_id, pupil_id, value, set_by, set_at)
             VALUES ($1, $2, $3, $4, $5, $6, now())",
        )
        .bind(school)
        .bind(g)
        .bind(period)
        .bind(pupils[p])
        .bind(v)
        .bind(teacher)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    // Two days of lessons: Monday 16.11 and Tuesday 17.11, mathematics 1st, Russian 2nd; and a
    // cancelled lesson on Wednesday that counts for nothing.
    let mut lessons = std::collections::HashMap::new();
    for (day, n, g, status) in [
        (d(2026, 11, 16), 1, math, "scheduled"),
        (d(2026, 11, 16), 2, russian, "scheduled"),
        (d(2026, 11, 17), 1, math, "held"),
        (d(2026, 11, 17), 2, russian, "held"),
        (d(2026, 11, 18), 1, math, "cancelled"),
    ] {
        let lesson: i64 = sqlx::query_scalar(
            "INSERT INTO lesson (school_id, group_id, lesson_date, lesson_number, teacher_id, status)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(school)
        .bind(g)
        .bind(day)
        .bind(n as i16)
        .bind(teacher)
        .bind(status)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        lessons.insert((day, g), lesson);
    }
    // Current marks in mathematics: Отличников 5 and 4 (4,5 → 5), Двоечкин 2 and 3 (2,5 → 3),
    // Троечкин 3 and 3.
    for (p, day, v) in [
        (0, 16, "5"),
        (0, 17, "4"),
        (1, 16, "2"),
        (1, 17, "3"),
        (3, 16, "3"),
        (3, 17, "3"),
    ] {
        sqlx::query(
            "WITH c AS (
                 INSERT INTO mark_column (school_id, lesson_id, position, work_type_id)
                 SELECT l.school_id, l.id, 1, (SELECT id FROM work_type w WHERE w.school_id = l.school_id AND w.name = 'Ответ на уроке')
                 FROM lesson l WHERE l.id = $1
                 ON CONFLICT (school_id, lesson_id, position) DO UPDATE SET position = 1 RETURNING id, school_id, work_type_id)
             INSERT INTO mark (school_id, group_id, pupil_id, column_id, work_type_id, value, given_on, entered_by, entered_at)
             SELECT c.school_id, $2, $3, c.id, c.work_type_id, $4, $5, $6, now() FROM c",
        )
        .bind(lessons[&(d(2026, 11, day), math)])
        .bind(math)
        .bind(pupils[p])
        .bind(v)
        .bind(d(2026, 11, day))
        .bind(teacher)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    // Absences: Отличников misses the whole Monday (Б, Б); Двоечкин Tuesday's mathematics (УП);
    // Троечкин Monday's mathematics (no reason) and Tuesday's Russian (НП); Освобождёнов is
    // marked absent at the cancelled lesson (not counted).
    for (p, day, g, reason) in [
        (0, 16, math, Some("ill")),
        (0, 16, russian, Some("ill")),
        (1, 17, math, Some("excused")),
        (3, 16, math, None),
        (3, 17, russian, Some("unexcused")),
        (2, 18, math, None),
    ] {
        sqlx::query(
            "INSERT INTO absence (school_id, lesson_id, pupil_id, reason, entered_by, entered_at)
             VALUES ($1, $2, $3, $4, $5, now())",
        )
        .bind(school)
        .bind(lessons[&(d(2026, 11, day), g)])
        .bind(pupils[p])
        .bind(reason)
        .bind(teacher)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    Class {
        id: class,
        period,
        math,
        russian,
    }
}

#[tokio::test]
async fn the_period_progress_report_counts_every_figure_as_by_hand_with_na_osv_and_a_withdrawn_pupil()
 {
    let app = spawn_app().await;
    let c = build(&app).await;
    let deputy = app.signed_in("deputy").await;
    let query = format!("period={}&class={}", c.period, c.id);
    let body = page(&deputy, &format!("/reports/progress?{query}")).await;
    let table = cells(&body);
    // Pupils 4 (the withdrawn one is not counted); progressing 3; quality 2 (5/5 and 4/ОСВ);
    // the mean of 5 5 2 4 3 4 = 3,83; one «2»/Н/А pupil, one Н/А, one ОСВ.
    let expected = strs(&[
        "4", "3", "75,0", "2", "50,0", "3,83", "1", "1", "1", "1", "1", "1",
    ]);
    assert_eq!(row(&table, "Класс", "7Т")[2..], expected[..]);
    assert_eq!(row(&table, "Параллель", "7-е классы")[2..], expected[..]);
    assert_eq!(row(&table, "Школа", "Итого")[2..], expected[..]);
    assert_eq!(row(&table, "Учитель", "Васильева Н. С.")[2..], expected[..]);
    // Mathematics: 5 2 4 3 → 3 of 4 progress, 2 of 4 quality, 3,50.
    assert_eq!(
        row(&table, "Предмет", "Математика-отчёт")[2..],
        strs(&[
            "4", "3", "75,0", "2", "50,0", "3,50", "1", "1", "1", "1", "0", "0"
        ])[..]
    );
    // Russian: 5, Н/А, ОСВ (left out), 4 → 3 pupils, 2 progress 66,7 %, quality 66,7 %, 4,50.
    assert_eq!(
        row(&table, "Предмет", "Русский-отчёт")[2..],
        strs(&[
            "3", "2", "66,7", "2", "66,7", "4,50", "1", "1", "0", "1", "1", "1"
        ])[..]
    );
    assert!(
        !body.contains("Выбывшев"),
        "the withdrawn pupil is not counted"
    );
    // The lists, each pupil linking to their card, failing subjects to their journals.
    let section = |title: &str| {
        body.split(title)
            .nth(1)
            .unwrap()
            .split("<h2>")
            .next()
            .unwrap()
            .to_string()
    };
    assert!(section("Отличники (1)").contains("Отличников Тест"));
    assert!(section("Хорошисты (1)").contains("Освобождёнов Тест"));
    assert!(section("С одной «3» (1)").contains("Троечкин Тест"));
    let failing = section("С «2», незачётом или Н/А (1)");
    assert!(failing.contains("Двоечкин Тест"));
    assert!(failing.contains(&format!("/journal/{}\">Математика-отчёт</a> — 2", c.math)));
    assert!(failing.contains(&format!("/journal/{}\">Русский-отчёт</a> — Н/А", c.russian)));
    // Definitions on the page, in plain Russian, no regulation codes.
    assert!(body.contains("Н/А (не аттестован) и незачёт считаются неуспеваемостью"));
    assert!(body.contains("Освобождённый от предмета"));
    // Visible text only: a random CSRF token or request id in an attribute may hold «J12».
    let shown = crate::tables::strip(&body);
    assert!(!shown.contains("J12") && !shown.contains("§5"));
    // Drill-down: the class line narrows the same report to the class.
    assert!(body.replace("&#38;", "&").contains(&format!(
        "/reports/progress?period={}&class={}",
        c.period, c.id
    )));

    // The XLSX holds the same figures as numbers; the CSV has the BOM, `;` and decimal commas.
    let x = xlsx(&deputy, &format!("/reports/progress.xlsx?{query}")).await;
    assert_eq!(x[0][4], "Успеваемость, %");
    let school = x.iter().find(|r| r[0] == "Школа").unwrap();
    assert_eq!(
        school[2..],
        strs(&[
            "4", "3", "75", "2", "50", "3,83", "1", "1", "1", "1", "1", "1"
        ])[..]
    );
    let russian = x.iter().find(|r| r[1] == "Русский-отчёт").unwrap();
    assert_eq!(russian[4], "66,7");
    let csv = csv(&deputy, &format!("/reports/progress.csv?{query}")).await;
    assert!(
        csv.contains("Школа;Итого;4;3;75,0;2;50,0;3,83;1;1;1;1;1;1\r\n"),
        "{csv}"
    );
    assert!(csv.contains("Предмет;Русский-отчёт;3;2;66,7;2;66,7;4,50;"));
}

#[tokio::test]
async fn the_progress_report_of_current_marks_rounds_each_pupils_average_half_up() {
    let app = spawn_app().await;
    let c = build(&app).await;
    let director = app.signed_in("director").await;
    let subject: i64 = sqlx::query_scalar("SELECT subject_id FROM study_group WHERE id = $1")
        .bind(c.math)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let body = page(
        &director,
        &format!(
            "/reports/progress?class={}&subject={subject}&from=16.11.2026&to=20.11.2026",
            c.id
        ),
    )
    .await;
    // 5 and 4 → 5; 2 and 3 → 3 (2,5 rounds up); 3 and 3 → 3: three pupils progress, one in
    // quality, two with one «3», mean of 5 3 3 = 3,67.
    assert_eq!(
        row(&cells(&body), "Школа", "Итого")[2..],
        strs(&[
            "3", "3", "100,0", "1", "33,3", "3,67", "1", "0", "2", "0", "0", "0"
        ])[..]
    );
    assert!(body.contains("средневзвешенное текущих отметок"));
}

#[tokio::test]
async fn the_attendance_report_counts_lessons_whole_days_and_reasons_as_by_hand() {
    let app = spawn_app().await;
    let c = build(&app).await;
    let deputy = app.signed_in("deputy").await;
    let query = format!("class={}&from=16.11.2026&to=20.11.2026", c.id);
    let body = page(&deputy, &format!("/reports/attendance?{query}")).await;
    // The dates typed in the address come back in the date fields (which show ГГГГ-ММ-ДД only).
    assert!(
        body.contains("name=\"from\" type=\"date\" value=\"2026-11-16\"")
            && body.contains("name=\"to\" type=\"date\" value=\"2026-11-20\""),
        "{body}"
    );
    let table = cells(&body);
    let pupil = |name: &str| {
        table
            .iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("{name} in {table:?}"))[2..]
            .to_vec()
    };
    // Lessons, missed, %, Б, УП, НП, no reason, whole days.
    assert_eq!(
        pupil("Отличников Тест"),
        strs(&["4", "2", "50,0", "2", "0", "0", "0", "1"])
    );
    assert_eq!(
        pupil("Двоечкин Тест"),
        strs(&["4", "1", "25,0", "0", "1", "0", "0", "0"])
    );
    assert_eq!(
        pupil("Освобождёнов Тест"),
        strs(&["4", "0", "0,0", "0", "0", "0", "0", "0"])
    );
    assert_eq!(
        pupil("Троечкин Тест"),
        strs(&["4", "2", "50,0", "0", "0", "1", "1", "0"])
    );
    assert!(!body.contains("Выбывшев"));
    let class = table.iter().find(|r| r[0] == "7Т").unwrap();
    assert_eq!(
        class[1..],
        strs(&["4", "16", "5", "31,3", "2", "1", "1", "1", "1"])[..]
    );
    assert!(body.contains("Дни, в которые обучающийся пропустил все свои проведённые уроки"));
    let x = xlsx(&deputy, &format!("/reports/attendance.xlsx?{query}")).await;
    let class = x.iter().find(|r| r[0] == "Класс" && r[1] == "7Т").unwrap();
    assert_eq!(
        class[3..],
        strs(&["16", "5", "31,3", "2", "1", "1", "1", "1"])[..]
    );
    let csv = csv(&deputy, &format!("/reports/attendance.csv?{query}")).await;
    assert!(csv.contains("Класс;7Т;;16;5;31,3;2;1;1;1;1\r\n"), "{csv}");
}

#[tokio::test]
async fn bad_report_filters_come_back_with_russian_messages_and_no_figures() {
    let app = spawn_app().await;
    let c = build(&app).await;
    let deputy = app.signed_in("deputy").await;
    let both = format!("period={}&from=16.11.2026", c.period);
    for (query, message) in [
        ("year=abc", "Выберите учебный год из списка"),
        ("year=999999", "Выберите учебный год из списка"),
        ("class=999999", "Выберите класс из списка"),
        ("subject=x", "Выберите предмет из списка"),
        ("teacher=-1", "Выберите учителя из списка"),
        ("period=0", "Выберите период из списка"),
        ("from=31.02.2026", "Укажите дату в виде ДД.ММ.ГГГГ"),
        ("from=01.01.2020", "Дата в пределах учебного года"),
        (
            "from=20.11.2026&to=16.11.2026",
            "Укажите конец не раньше начала",
        ),
        (both.as_str(), "либо период, либо даты"),
    ] {
        for report in ["progress", "attendance"] {
            let body = page(&deputy, &format!("/reports/{report}?{query}")).await;
            assert!(body.contains(message), "{report}?{query}: {message}");
            assert!(!body.contains("<td>Итого</td>"), "no figures for {query}");
        }
        let response = deputy.get(&format!("/reports/progress.xlsx?{query}")).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
    }
}

#[tokio::test]
async fn reports_are_for_the_director_the_deputy_the_class_teacher_of_their_class_and_the_teacher_of_their_own_journals()
 {
    let app = spawn_app().await;
    let c = build(&app).await;
    for login in ["director", "deputy"] {
        let client = app.signed_in(login).await;
        let (status, body) = client.text("/reports").await;
        assert_eq!(status, StatusCode::OK, "{login}");
        assert!(body.contains("href=\"/reports\""), "{login}: a menu item");
    }
    // The class teacher of 5Б asking for 7Т still gets 5Б.
    let class_teacher = app.signed_in("classteacher").await;
    for report in ["progress", "attendance"] {
        let body = page(
            &class_teacher,
            &format!(
                "/reports/{report}?class={}&from=16.11.2026&to=20.11.2026",
                c.id
            ),
        )
        .await;
        assert!(body.contains("Отчёт по вашему классу"));
        assert!(
            !body.contains("Отличников") && !body.contains("Троечкин"),
            "{report}"
        );
        let csv = String::from_utf8(
            bytes(
                &class_teacher,
                &format!("/reports/{report}.csv?class={}", c.id),
            )
            .await,
        )
        .unwrap();
        assert!(!csv.contains("7Т") && !csv.contains("Троечкин"), "{report}");
    }
    let body = page(&class_teacher, "/reports/attendance").await;
    assert!(body.contains("5Б"));
    // A teacher sees their own journals, whoever the filter names, and no whole days missed
    // (they would reveal absences in other teachers' journals).
    let teacher = app.signed_in("teacher").await;
    let director_id = app.account_id("director").await;
    for report in ["progress", "attendance"] {
        let body = page(
            &teacher,
            &format!(
                "/reports/{report}?class={}&teacher={director_id}&from=16.11.2026&to=20.11.2026",
                c.id
            ),
        )
        .await;
        assert!(body.contains("Отчёт по вашим журналам"), "{report}");
        assert!(
            !body.contains("id=\"teacher\""),
            "{report}: no teacher list"
        );
        assert!(
            body.contains("Троечкин"),
            "{report}: the teacher's own pupils"
        );
    }
    let body = page(
        &teacher,
        &format!(
            "/reports/attendance?class={}&from=16.11.2026&to=20.11.2026",
            c.id
        ),
    )
    .await;
    assert!(!body.contains("Дней целиком</th>"));
    let csv = String::from_utf8(
        bytes(
            &teacher,
            &format!(
                "/reports/attendance.csv?class={}&from=16.11.2026&to=20.11.2026",
                c.id
            ),
        )
        .await,
    )
    .unwrap();
    assert!(
        csv.contains("Троечкин") && !csv.contains("Дней целиком"),
        "{csv}"
    );
    for login in ["admin", "parent", "student"] {
        let client = app.signed_in(login).await;
        for path in [
            "/reports",
            "/reports/progress",
            "/reports/progress.xlsx",
            "/reports/progress.csv",
            "/reports/attendance",
            "/reports/attendance.xlsx",
            "/reports/attendance.csv",
        ] {
            let (status, body) = client.text(path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{login} {path}");
            assert!(!body.contains("Троечкин"));
        }
    }
    // Another school's director names this school's class and period: a message, no figures.
    let other = app.signed_in("director2").await;
    let body = page(
        &other,
        &format!("/reports/progress?class={}&period={}", c.id, c.period),
    )
    .await;
    assert!(body.contains("Выберите класс из списка"));
    assert!(!body.contains("Троечкин") && !body.contains("7Т"));
    let response = other
        .get(&format!("/reports/attendance.csv?class={}", c.id))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
