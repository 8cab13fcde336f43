//! The journal-quality reports (regulations §5): the timeliness and completeness of the journal
//! and the accumulation of marks (J11) — every figure against a hand count on a small class 7Т
//! built here (a late topic, a missing one, late homework, «Не задано», a late mark (J1–J2), an
//! unchecked written work (J4), a remark fixed after 3 days and one overdue, a substituted
//! lesson; a 1-hour and a 2-hour subject with a pupil with enough marks, one short, one who
//! attended two lessons, one who attended none); the XLSX and CSV equal the page; the control
//! start page's count equals the report; bad filters; who sees what.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app};
use crate::tables::{bytes, cells, csv, page, row, strs, table_cells, xlsx};

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, day).unwrap()
}

struct Setup {
    school: i64,
    year: i64,
    class: i64,
    teacher: i64,
}

/// Class 7Т of the first demo school, its pupils, and the school's rules set to the defaults.
async fn class_7t(app: &TestApp, pupils: &[&str]) -> (Setup, Vec<i64>) {
    let school: i64 = sqlx::query_scalar("SELECT id FROM school WHERE slug = 'demo-1'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE school SET homework_window_minutes = 120, entry_lock_days = 7,
                accumulation_min_marks_one_hour = 3, accumulation_min_marks_more_hours = 5,
                accumulation_grace_weeks = 2, accumulation_grace_weeks_one_hour = 3
         WHERE id = $1",
    )
    .bind(school)
    .execute(&app.pool)
    .await
    .unwrap();
    let year: i64 = sqlx::query_scalar(
        "SELECT id FROM academic_year WHERE school_id = $1 ORDER BY starts_on LIMIT 1",
    )
    .bind(school)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let class: i64 = sqlx::query_scalar(
        "INSERT INTO school_class (school_id, academic_year_id, grade, letter) VALUES ($1, $2, 7, 'Т') RETURNING id",
    )
    .bind(school)
    .bind(year)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let mut ids = Vec::new();
    for last in pupils {
        let pupil: i64 = sqlx::query_scalar(
            "WITH p AS (INSERT INTO pupil (school_id, last_name, first_name) VALUES ($1, $2, 'Тест') RETURNING id),
             e AS (INSERT INTO class_enrollment (school_id, pupil_id, class_id, starts_on)
                   SELECT $1, p.id, $3, '2026-09-01' FROM p)
             SELECT id FROM p",
        )
        .bind(school)
        .bind(*last)
        .bind(class)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        ids.push(pupil);
    }
    let teacher = app.account_id("teacher").await;
    (
        Setup {
            school,
            year,
            class,
            teacher,
        },
        ids,
    )
}

/// A whole-class group of 7Т in a new subject, taught by the teacher `hours` a week.
async fn group(app: &TestApp, s: &Setup, subject: &str, hours: i64) -> i64 {
    let group: i64 = sqlx::query_scalar(
        "WITH s AS (INSERT INTO subject (school_id, name, short_name) VALUES ($1, $3, left($3, 5)) RETURNING id)
         INSERT INTO study_group (school_id, academic_year_id, subject_id, kind, class_id, name)
         SELECT $1, $2, s.id, 'whole_class', $4, '7Т' FROM s RETURNING id",
    )
    .bind(s.school)
    .bind(s.year)
    .bind(subject)
    .bind(s.class)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO teaching_assignment (school_id, group_id, teacher_id, hours_per_week) VALUES ($1, $2, $3, $4::bigint::numeric)",
    )
    .bind(s.school)
    .bind(group)
    .bind(s.teacher)
    .bind(hours)
    .execute(&app.pool)
    .await
    .unwrap();
    group
}

async fn lesson(app: &TestApp, s: &Setup, group: i64, day: NaiveDate, number: i16) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO lesson (school_id, group_id, lesson_date, lesson_number, teacher_id, status)
         VALUES ($1, $2, $3, $4, $5, 'scheduled') RETURNING id",
    )
    .bind(s.school)
    .bind(group)
    .bind(day)
    .bind(number)
    .bind(s.teacher)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// A mark in a column of the lesson of the given work type (the column made if need be).
async fn mark(app: &TestApp, s: &Setup, lesson: i64, pupil: i64, work_type: &str, late: bool) {
    sqlx::query(
        "WITH c AS (
             INSERT INTO mark_column (school_id, lesson_id, position, work_type_id)
             SELECT l.school_id, l.id, 1, (SELECT id FROM work_type w WHERE w.school_id = l.school_id AND w.name = $3)
             FROM lesson l WHERE l.id = $1
             ON CONFLICT (school_id, lesson_id, position) DO UPDATE SET position = 1
             RETURNING id, school_id, work_type_id, lesson_id)
         INSERT INTO mark (school_id, group_id, pupil_id, column_id, work_type_id, value, given_on,
                           late_entry, entered_by, entered_at)
         SELECT c.school_id, l.group_id, $2, c.id, c.work_type_id, '4', l.lesson_date, $4, $5, now()
         FROM c JOIN lesson l ON l.id = c.lesson_id",
    )
    .bind(lesson)
    .bind(pupil)
    .bind(work_type)
    .bind(late)
    .bind(s.teacher)
    .execute(&app.pool)
    .await
    .unwrap();
}

async fn absent(app: &TestApp, s: &Setup, lesson: i64, pupil: i64) {
    sqlx::query(
        "INSERT INTO absence (school_id, lesson_id, pupil_id, entered_by, entered_at)
         VALUES ($1, $2, $3, $4, now())",
    )
    .bind(s.school)
    .bind(lesson)
    .bind(pupil)
    .bind(s.teacher)
    .execute(&app.pool)
    .await
    .unwrap();
}

/// «Фамилия И. О.» of an account, as the reports name teachers.
async fn short_name(app: &TestApp, login: &str) -> String {
    sqlx::query_scalar(
        "SELECT last_name || ' ' || left(first_name, 1) || '.' ||
                CASE WHEN middle_name = '' THEN '' ELSE ' ' || left(middle_name, 1) || '.' END
         FROM account WHERE login = $1",
    )
    .bind(login)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// The timeliness data set: mathematics in 7Т, the week of 16–20.11.2026, the clock on Friday
/// 20.11 at 08:00 in Moscow (before Friday's lesson has begun).
///   Mon 16.11  topic on time, homework on time; a written work (checked within 2 days) with no
///              mark by Friday: not checked in time;
///   Tue 17.11  topic written late; «Не задано» on time;
///   Wed 18.11  given by a substitute (the class teacher of 5Б): no topic, no homework;
///              a cancelled lesson the same day counts for nothing;
///   Thu 19.11  topic on time, homework late, a mark entered late;
///   Fri 20.11  today, nothing written yet: neither late nor missing.
/// Remarks: one written 16.11, due 18.11, fixed 19.11 (3 days); one written 17.11, due 19.11,
/// not fixed (overdue).
async fn build_timeliness(app: &TestApp) -> (Setup, i64) {
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 20, 5, 0, 0).unwrap());
    let (s, pupils) = class_7t(app, &["Первый", "Второй"]).await;
    let math = group(app, &s, "Математика-своевременность", 2).await;
    let monday = lesson(app, &s, math, d(11, 16), 1).await;
    let tuesday = lesson(app, &s, math, d(11, 17), 1).await;
    let wednesday = lesson(app, &s, math, d(11, 18), 1).await;
    let cancelled = lesson(app, &s, math, d(11, 18), 2).await;
    let thursday = lesson(app, &s, math, d(11, 19), 1).await;
    lesson(app, &s, math, d(11, 20), 6).await;
    for (id, topic, late, homework, none, homework_late) in [
        (monday, Some("Дроби"), false, Some("№ 1"), false, false),
        (tuesday, Some("Проценты"), true, None, true, false),
        (thursday, Some("Пропорции"), false, Some("№ 5"), false, true),
    ] {
        sqlx::query(
            "UPDATE lesson SET topic = $2, late_entry = $3, homework = $4, homework_none = $5,
                    homework_late = $6, status = 'held' WHERE id = $1",
        )
        .bind(id)
        .bind(topic)
        .bind(late)
        .bind(homework)
        .bind(none)
        .bind(homework_late)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE lesson SET status = 'cancelled' WHERE id = $1")
        .bind(cancelled)
        .execute(&app.pool)
        .await
        .unwrap();
    let substitute = app.account_id("classteacher").await;
    sqlx::query(
        "INSERT INTO substitution (school_id, lesson_id, teacher_id, registered_by, registered_at)
         VALUES ($1, $2, $3, $3, now())",
    )
    .bind(s.school)
    .bind(wednesday)
    .bind(substitute)
    .execute(&app.pool)
    .await
    .unwrap();
    // A written work checked within 2 days, given on Monday, no mark in its column.
    sqlx::query(
        "INSERT INTO work_type (school_id, name, short_name, checking_days) VALUES ($1, 'Самостоятельная-отчёт', 'СР', 2)",
    )
    .bind(s.school)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO mark_column (school_id, lesson_id, position, work_type_id)
         SELECT $1, $2, 2, id FROM work_type WHERE school_id = $1 AND name = 'Самостоятельная-отчёт'",
    )
    .bind(s.school)
    .bind(monday)
    .execute(&app.pool)
    .await
    .unwrap();
    // A mark on Thursday's lesson answer entered late; one on Monday on time.
    mark(app, &s, thursday, pupils[0], "Ответ на уроке", true).await;
    mark(app, &s, monday, pupils[1], "Ответ на уроке", false).await;
    let deputy = app.account_id("deputy").await;
    for (written, due, fixed) in [
        (
            Utc.with_ymd_and_hms(2026, 11, 16, 7, 0, 0).unwrap(),
            d(11, 18),
            Some(Utc.with_ymd_and_hms(2026, 11, 19, 7, 0, 0).unwrap()),
        ),
        (
            Utc.with_ymd_and_hms(2026, 11, 17, 7, 0, 0).unwrap(),
            d(11, 19),
            None,
        ),
    ] {
        sqlx::query(
            "INSERT INTO journal_remark (school_id, group_id, text, due_on, author_id, created_at, fixed_at, fixed_by)
             VALUES ($1, $2, 'Заполните темы уроков', $3, $4, $5, $6, CASE WHEN $6 IS NULL THEN NULL ELSE $7 END)",
        )
        .bind(s.school)
        .bind(math)
        .bind(due)
        .bind(deputy)
        .bind(written)
        .bind(fixed)
        .bind(s.teacher)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    (s, math)
}

#[tokio::test]
async fn the_timeliness_report_counts_late_and_missing_topics_homework_j1_j2_late_marks_j4_unchecked_works_and_remarks_as_by_hand()
 {
    let app = spawn_app().await;
    let (s, math) = build_timeliness(&app).await;
    let deputy = app.signed_in("deputy").await;
    let query = format!("class={}&from=16.11.2026&to=20.11.2026", s.class);
    let body = page(&deputy, &format!("/reports/timeliness?{query}")).await;
    let table = cells(&body);
    let teacher = short_name(&app, "teacher").await;
    let substitute = short_name(&app, "classteacher").await;
    // Lessons; topics on time, late, missing; homework on time, late, missing; marks late;
    // works not checked; remarks, fixed, overdue, days to fix.
    assert_eq!(
        row(&table, "Учитель", &teacher)[2..],
        strs(&[
            "4", "2", "1", "0", "2", "1", "0", "1", "1", "2", "1", "1", "3,0"
        ])[..]
    );
    assert_eq!(
        row(&table, "Учитель", &substitute)[2..],
        strs(&[
            "1", "0", "0", "1", "0", "0", "1", "0", "0", "0", "0", "0", "—"
        ])[..]
    );
    let journal = strs(&[
        "5", "2", "1", "1", "2", "1", "1", "1", "1", "2", "1", "1", "3,0",
    ]);
    assert_eq!(
        row(&table, "Журнал", "7«Т» Математика-своевременность (7Т)")[2..],
        journal[..]
    );
    assert_eq!(row(&table, "Школа", "Итого")[2..], journal[..]);
    // Worst first: the teacher (5 late or missing) before the substitute (2).
    let teachers: Vec<&String> = table
        .iter()
        .filter(|r| r[0] == "Учитель")
        .map(|r| &r[1])
        .collect();
    assert_eq!(teachers, vec![&teacher, &substitute]);
    // Drill-down: a teacher narrows the same report; a journal opens the journal.
    let teacher_id = app.account_id("teacher").await;
    assert!(body.replace("&#38;", "&").contains(&format!(
        "/reports/timeliness?from=16.11.2026&to=20.11.2026&class={}&teacher={teacher_id}",
        s.class
    )));
    assert!(body.contains(&format!("href=\"/journal/{math}\"")));
    // The definitions, in Russian, without regulation codes.
    assert!(body.contains("«Не задано» считается записанным заданием"));
    assert!(body.contains("Как считаются показатели"));
    // Visible text only: a random CSRF token or request id in an attribute may hold «J1».
    let shown = crate::tables::strip(&body);
    assert!(!shown.contains("J1") && !shown.contains("J4") && !shown.contains("§5"));

    // Filtered by the teacher: their lessons only (the substituted one is the substitute's).
    let narrowed = page(
        &deputy,
        &format!("/reports/timeliness?{query}&teacher={teacher_id}"),
    )
    .await;
    let narrowed = cells(&narrowed);
    assert_eq!(
        row(&narrowed, "Школа", "Итого")[2..5],
        strs(&["4", "2", "1"])[..]
    );
    assert!(!narrowed.iter().any(|r| r[1] == substitute));

    // The files hold the page's figures, as numbers.
    let x = xlsx(&deputy, &format!("/reports/timeliness.xlsx?{query}")).await;
    assert_eq!(x[0][2], "Уроков проведено");
    let school = x.iter().find(|r| r[0] == "Школа").unwrap();
    assert_eq!(
        school[2..],
        strs(&[
            "5", "2", "1", "1", "2", "1", "1", "1", "1", "2", "1", "1", "3"
        ])[..]
    );
    let csv = csv(&deputy, &format!("/reports/timeliness.csv?{query}")).await;
    assert!(
        csv.contains("Школа;Итого;5;2;1;1;2;1;1;1;1;2;1;1;3,0\r\n"),
        "{csv}"
    );
    assert!(csv.contains(&format!(
        "Учитель;{substitute};1;0;0;1;0;0;1;0;0;0;0;0;\r\n"
    )));
}

/// The accumulation data set, on Tuesday of the 7th week of the grade's period (6 full weeks):
/// music 1 hour a week (6 lessons, 3 marks needed), algebra 2 hours (12 lessons, 4 needed).
///   Полнов      music 3 marks, algebra 4: enough;
///   Нехваткин   music 2 (short), algebra 1 (short);
///   Редкобывалов music 3; algebra attended 2 lessons with 1 mark: needs 2 (short);
///   Отсутствиев absent from every lesson: needs none.
async fn build_accumulation(app: &TestApp) -> (Setup, i64, i64, NaiveDate) {
    let (s, pupils) = class_7t(app, &["Полнов", "Нехваткин", "Редкобывалов", "Отсутствиев"]).await;
    let start: NaiveDate = sqlx::query_scalar(
        "SELECT sp.starts_on FROM study_period sp JOIN period_scheme ps ON ps.id = sp.scheme_id
         WHERE ps.school_id = $1 AND ps.academic_year_id = $2 AND 7 BETWEEN ps.grade_from AND ps.grade_to
           AND '2026-11-20' BETWEEN sp.starts_on AND sp.ends_on",
    )
    .bind(s.school)
    .bind(s.year)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let day = start + Duration::days(42);
    // Noon in Moscow.
    app.clock
        .set(Utc.from_utc_datetime(&day.and_hms_opt(9, 0, 0).unwrap()));
    let music = group(app, &s, "Музыка-накопляемость", 1).await;
    let algebra = group(app, &s, "Алгебра-накопляемость", 2).await;
    let mut music_lessons = Vec::new();
    let mut algebra_lessons = Vec::new();
    for week in 0..6 {
        let monday = start + Duration::days(7 * week);
        music_lessons.push(lesson(app, &s, music, monday + Duration::days(2), 3).await);
        algebra_lessons.push(lesson(app, &s, algebra, monday + Duration::days(1), 2).await);
        algebra_lessons.push(lesson(app, &s, algebra, monday + Duration::days(3), 2).await);
    }
    let answer = "Ответ на уроке";
    for (pupil, lessons, marks) in [
        (0, &music_lessons, 3),
        (0, &algebra_lessons, 4),
        (1, &music_lessons, 2),
        (1, &algebra_lessons, 1),
        (2, &music_lessons, 3),
        (2, &algebra_lessons, 1),
    ] {
        for l in lessons.iter().take(marks) {
            mark(app, &s, *l, pupils[pupil], answer, false).await;
        }
    }
    // Редкобывалов misses every algebra lesson but the first two.
    for l in algebra_lessons.iter().skip(2) {
        absent(app, &s, *l, pupils[2]).await;
    }
    for l in music_lessons.iter().chain(&algebra_lessons) {
        absent(app, &s, *l, pupils[3]).await;
    }
    (s, music, algebra, day)
}

#[tokio::test]
async fn the_accumulation_report_j11_lists_pupils_short_of_marks_with_the_rules_numbers_for_1_and_2_hour_subjects()
 {
    let app = spawn_app().await;
    let (s, music, algebra, day) = build_accumulation(&app).await;
    let deputy = app.signed_in("deputy").await;
    let query = format!("class={}", s.class);
    let body = page(&deputy, &format!("/reports/accumulation?{query}")).await;
    assert!(body.contains(&format!("на {}", day.format("%d.%m.%Y"))));
    let journals = table_cells(&body, "report-table accumulation-journals");
    // Class, journal, teacher, period, hours, weeks, marks needed, pupils, short, share.
    let algebra_row = journals
        .iter()
        .find(|r| r[1] == "Алгебра-накопляемость (7Т)")
        .unwrap();
    assert_eq!(
        algebra_row[4..],
        strs(&["2", "6", "4", "4", "2", "50,0"])[..]
    );
    let music_row = journals
        .iter()
        .find(|r| r[1] == "Музыка-накопляемость (7Т)")
        .unwrap();
    assert_eq!(music_row[4..], strs(&["1", "6", "3", "4", "1", "25,0"])[..]);
    // Worst journal first, then the total.
    assert_eq!(journals[0][1], "Алгебра-накопляемость (7Т)");
    assert_eq!(journals.last().unwrap()[7..], strs(&["8", "3", "37,5"])[..]);
    let pupils = table_cells(&body, "report-table accumulation-pupils");
    let mut listed: Vec<Vec<String>> = pupils
        .iter()
        .map(|r| vec![r[0].clone(), r[2].clone(), r[3].clone(), r[4].clone()])
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        vec![
            strs(&["Нехваткин Тест", "Алгебра-накопляемость (7Т)", "4", "1"]),
            strs(&["Нехваткин Тест", "Музыка-накопляемость (7Т)", "3", "2"]),
            strs(&["Редкобывалов Тест", "Алгебра-накопляемость (7Т)", "2", "1"]),
        ]
    );
    assert!(!body.contains("Полнов") && !body.contains("Отсутствиев"));
    assert!(body.contains(&format!("href=\"/journal/{algebra}\"")));
    assert!(body.contains(&format!("href=\"/journal/{music}\"")));
    assert!(body.contains("/pupils/"));
    assert!(body.contains("кто не был на уроках, в отчёт не попадает"));
    assert!(!crate::tables::strip(&body).contains("J11"));

    let x = xlsx(&deputy, &format!("/reports/accumulation.xlsx?{query}")).await;
    let algebra_line = x
        .iter()
        .find(|r| r[0] == "Журнал" && r[2] == "Алгебра-накопляемость (7Т)")
        .unwrap();
    assert_eq!(algebra_line[5..], strs(&["2", "6", "4", "", "4", "2"])[..]);
    let short = x
        .iter()
        .find(|r| r[0] == "Обучающийся" && r[4] == "Редкобывалов Тест")
        .unwrap();
    assert_eq!(short[7..9], strs(&["2", "1"])[..]);
    let csv = csv(&deputy, &format!("/reports/accumulation.csv?{query}")).await;
    assert!(csv.contains("Школа;;;;;;;;;8;3\r\n"), "{csv}");
    assert!(csv.contains("Обучающийся;7«Т»;Музыка-накопляемость (7Т);"));
}

#[tokio::test]
async fn the_control_start_page_counts_pupils_short_of_marks_j11_as_the_accumulation_report_does() {
    let app = spawn_app().await;
    build_accumulation(&app).await;
    let deputy = app.signed_in("deputy").await;
    let home = page(&deputy, "/deputy").await;
    let item = home
        .split("<td>Обучающиеся без достаточного числа отметок</td>")
        .nth(1)
        .expect("the item on the start page");
    let count: i64 = crate::tables::strip(item.split("</tr>").next().unwrap())
        .parse()
        .unwrap();
    assert!(item.starts_with("<td class=\"num\"><a href=\"/reports/accumulation\""));
    // The whole school's report on today counts the same pupils.
    let report = page(&deputy, "/reports/accumulation").await;
    let journals = table_cells(&report, "report-table accumulation-journals");
    let total: i64 = journals.last().unwrap()[8].parse().unwrap();
    assert_eq!(count, total);
    assert!(count >= 3, "7Т's three at least: {count}");
    // The worst journals are named, each linking to the journal.
    assert!(home.contains("Обучающиеся без достаточного числа отметок: журналы"));
    let director = app.signed_in("director").await;
    assert!(
        page(&director, "/director")
            .await
            .contains(&format!("{count}</a>"))
    );
}

#[tokio::test]
async fn bad_filters_of_the_quality_reports_come_back_with_russian_messages_and_no_figures() {
    let app = spawn_app().await;
    build_timeliness(&app).await;
    let deputy = app.signed_in("deputy").await;
    for (query, message) in [
        ("class=999999", "Выберите класс из списка"),
        ("teacher=x", "Выберите учителя из списка"),
        ("from=31.02.2026", "Укажите дату в виде ДД.ММ.ГГГГ"),
        (
            "from=20.11.2026&to=16.11.2026",
            "Укажите конец не раньше начала",
        ),
    ] {
        for report in ["timeliness", "accumulation"] {
            let body = page(&deputy, &format!("/reports/{report}?{query}")).await;
            assert!(body.contains(message), "{report}?{query}");
            assert!(!body.contains("<td>Итого</td>"), "{report}?{query}");
            let response = deputy.get(&format!("/reports/{report}.xlsx?{query}")).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        }
    }
}

#[tokio::test]
async fn the_quality_reports_show_a_class_teacher_their_class_and_a_teacher_only_their_own_lessons()
{
    let app = spawn_app().await;
    let (s, _) = build_timeliness(&app).await;
    let query = format!("class={}&from=16.11.2026&to=20.11.2026", s.class);
    // The class teacher of 5Б asking for 7Т gets 5Б: no 7Т journal.
    let class_teacher = app.signed_in("classteacher").await;
    for report in ["timeliness", "accumulation"] {
        let body = page(&class_teacher, &format!("/reports/{report}?{query}")).await;
        assert!(body.contains("Отчёт по вашему классу"), "{report}");
        // (The subject is in the filter's list of the school's subjects, not in the figures.)
        assert!(
            !cells(&body)
                .iter()
                .flatten()
                .any(|c| c.contains("Математика-своевременность")),
            "{report}"
        );
        let file = String::from_utf8(
            bytes(&class_teacher, &format!("/reports/{report}.csv?{query}")).await,
        )
        .unwrap();
        assert!(!file.contains("Математика-своевременность"), "{report}");
    }
    // The teacher, naming the substitute: their own lessons only, not the substituted one.
    let teacher = app.signed_in("teacher").await;
    let substitute = app.account_id("classteacher").await;
    let body = page(
        &teacher,
        &format!("/reports/timeliness?{query}&teacher={substitute}"),
    )
    .await;
    assert!(body.contains("Отчёт по вашим журналам"));
    let table = cells(&body);
    assert_eq!(row(&table, "Школа", "Итого")[2], "4");
    let substitute_name = short_name(&app, "classteacher").await;
    assert!(
        !table
            .iter()
            .any(|r| r[0] == "Учитель" && r[1] == substitute_name)
    );
    for login in ["admin", "parent", "student"] {
        let client = app.signed_in(login).await;
        for path in [
            "/reports/timeliness",
            "/reports/timeliness.csv",
            "/reports/timeliness.xlsx",
            "/reports/accumulation",
            "/reports/accumulation.csv",
            "/reports/accumulation.xlsx",
        ] {
            let (status, _) = client.text(path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{login} {path}");
        }
    }
    // Another school's director naming this class: a message, no figures.
    let other = app.signed_in("director2").await;
    let body = page(&other, &format!("/reports/timeliness?{query}")).await;
    assert!(body.contains("Выберите класс из списка"));
    assert!(!body.contains("Математика-своевременность") && !body.contains("<td>Итого</td>"));
}
