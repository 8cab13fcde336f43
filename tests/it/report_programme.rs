//! Programme completion and control works (regulations §5) on a class 7П built here: mathematics
//! behind its КТП (a cancelled lesson), Russian ahead of it (an extra lesson after the plan ran
//! out), a group without a КТП; control works held (a pupil absent, a «2», a withdrawn pupil not
//! on the list), one on the day of the cancelled lesson, one without marks for a written work,
//! one still ahead. Every figure against a hand count; the XLSX and CSV equal the page; bad
//! filters; who sees what.

use chrono::{NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app};
use crate::tables::{bytes, cells, csv, page, row, strs, table_cells, xlsx};

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, day).unwrap()
}

struct Class {
    id: i64,
    math: i64,
    russian: i64,
    /// Lessons by (group, date, lesson number).
    lessons: std::collections::HashMap<(i64, NaiveDate, i16), i64>,
}

async fn scalar(app: &TestApp, sql: &str, binds: &[i64]) -> i64 {
    let mut q = sqlx::query_scalar::<_, i64>(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.fetch_one(&app.pool).await.unwrap()
}

async fn exec(app: &TestApp, sql: &str, binds: &[i64]) {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(&app.pool).await.unwrap();
}

async fn build(app: &TestApp) -> Class {
    // Friday 20.11.2026, noon in Moscow.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap());
    let school = scalar(app, "SELECT id FROM school WHERE slug = 'demo-1'", &[]).await;
    let year = scalar(
        app,
        "SELECT id FROM academic_year WHERE school_id = $1 ORDER BY starts_on LIMIT 1",
        &[school],
    )
    .await;
    let class = scalar(
        app,
        "INSERT INTO school_class (school_id, academic_year_id, grade, letter, profile)
         VALUES ($1, $2, 7, 'П', 'технологический') RETURNING id",
        &[school, year],
    )
    .await;
    let teacher = app.account_id("teacher").await;
    let other = app.account_id("classteacher").await;
    let mut groups = Vec::new();
    for (subject, who, hours) in [
        ("Математика-программа", teacher, 5),
        ("Русский-программа", other, 4),
        ("Музыка-программа", other, 1),
    ] {
        let group: i64 = sqlx::query_scalar(
            "WITH s AS (INSERT INTO subject (school_id, name, short_name) VALUES ($1, $3, left($3, 5)) RETURNING id),
             l AS (INSERT INTO curriculum_line (school_id, class_id, subject_id, hours_per_week)
                   SELECT $1, $4, s.id, $5::numeric FROM s)
             INSERT INTO study_group (school_id, academic_year_id, subject_id, kind, class_id, name)
             SELECT $1, $2, s.id, 'whole_class', $4, '7П' FROM s RETURNING id",
        )
        .bind(school)
        .bind(year)
        .bind(subject)
        .bind(class)
        .bind(hours)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        exec(
            app,
            "INSERT INTO teaching_assignment (school_id, group_id, teacher_id, hours_per_week) VALUES ($1, $2, $3, 2)",
            &[school, group, who],
        )
        .await;
        groups.push(group);
    }
    let (math, russian) = (groups[0], groups[1]);
    // Pupils: five in the class all along, and Выбывшев, withdrawn on 10.11.
    let mut pupils = Vec::new();
    for (i, last) in [
        "Пятёркин",
        "Четвёркин",
        "Двойкин",
        "Отсутствующий",
        "Троечкин",
        "Выбывшев",
    ]
    .iter()
    .enumerate()
    {
        let ends: Option<NaiveDate> = (i == 5).then(|| d(11, 10));
        let pupil: i64 = sqlx::query_scalar(
            "WITH p AS (INSERT INTO pupil (school_id, last_name, first_name) VALUES ($1, $2, 'Тест') RETURNING id),
             e AS (INSERT INTO class_enrollment (school_id, pupil_id, class_id, starts_on, ends_on)
                   SELECT $1, p.id, $3, $4, $5 FROM p)
             SELECT id FROM p",
        )
        .bind(school)
        .bind(*last)
        .bind(class)
        .bind(d(9, 1))
        .bind(ends)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        pupils.push(pupil);
    }
    // Lessons, all scheduled when the plans are saved: mathematics 09, 11, 16, 18, 20 and 23.11
    // (1st lesson); Russian 10, 12, 17, 19.11 (2nd lesson).
    let mut lessons = std::collections::HashMap::new();
    for (g, who, day, n) in [
        (math, teacher, d(11, 9), 1),
        (math, teacher, d(11, 11), 1),
        (math, teacher, d(11, 16), 1),
        (math, teacher, d(11, 18), 1),
        (math, teacher, d(11, 20), 1),
        (math, teacher, d(11, 23), 1),
        (russian, other, d(11, 10), 2),
        (russian, other, d(11, 12), 2),
        (russian, other, d(11, 17), 2),
        (russian, other, d(11, 19), 2),
        (russian, other, d(11, 25), 2),
    ] {
        let lesson: i64 = sqlx::query_scalar(
            "INSERT INTO lesson (school_id, group_id, lesson_date, lesson_number, teacher_id)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(school)
        .bind(g)
        .bind(day)
        .bind(n as i16)
        .bind(who)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        lessons.insert((g, day, n as i16), lesson);
    }
    // The КТП, saved through the plan page, laid onto the lessons in date order: mathematics
    // Дроби 09, 11; Проценты 16, 18; Уравнения 20, 23. Russian: Орфография 10; Пунктуация 12, 17;
    // 19 and 25 get no topic (the plan has 3 hours).
    let deputy = app.signed_in("deputy").await;
    for (g, topics) in [
        (math, "Дроби; 2\nПроценты; 2\nУравнения; 2"),
        (russian, "Орфография; 1\nПунктуация; 2"),
    ] {
        let r = deputy
            .post(&format!("/groups/{g}/plan"), &[("topics", topics)])
            .await;
        assert!(r.status().is_success() || r.status().is_redirection());
    }
    // What happened: mathematics 16.11 cancelled; 09, 11, 18, 20 held with the topics written
    // (20.11 still «Проценты»: the group is a topic behind). Russian held at each lesson, and an
    // extra lesson on 17.11 (3rd, no КТП topic); its teacher went ahead to «Повторение».
    let set = |id: i64, status: &'static str, topic: Option<&'static str>| {
        let pool = app.pool.clone();
        async move {
            sqlx::query("UPDATE lesson SET status = $2, topic = $3 WHERE id = $1")
                .bind(id)
                .bind(status)
                .bind(topic)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    set(lessons[&(math, d(11, 9), 1)], "held", Some("Дроби")).await;
    set(lessons[&(math, d(11, 11), 1)], "held", Some("Дроби")).await;
    set(lessons[&(math, d(11, 16), 1)], "cancelled", None).await;
    set(lessons[&(math, d(11, 18), 1)], "held", Some("Проценты")).await;
    set(lessons[&(math, d(11, 20), 1)], "held", Some("Проценты")).await;
    set(
        lessons[&(russian, d(11, 10), 2)],
        "held",
        Some("Орфография"),
    )
    .await;
    set(
        lessons[&(russian, d(11, 12), 2)],
        "held",
        Some("Пунктуация"),
    )
    .await;
    set(
        lessons[&(russian, d(11, 17), 2)],
        "held",
        Some("Пунктуация"),
    )
    .await;
    set(
        lessons[&(russian, d(11, 19), 2)],
        "held",
        Some("Повторение"),
    )
    .await;
    let extra: i64 = sqlx::query_scalar(
        "INSERT INTO lesson (school_id, group_id, lesson_date, lesson_number, teacher_id, status, topic)
         VALUES ($1, $2, $3, 3, $4, 'held', 'Повторение') RETURNING id",
    )
    .bind(school)
    .bind(russian)
    .bind(d(11, 17))
    .bind(other)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    lessons.insert((russian, d(11, 17), 3), extra);

    // Control works: mathematics 18.11 (held: a «Контрольная работа ВШК» column; 5, 4, 2, 3 and
    // Отсутствующий absent; an answer column beside it that is not the work), mathematics 16.11
    // (the lesson cancelled), Russian 19.11 (an answer column only: no written work), Russian
    // 25.11 (ahead).
    for (g, day) in [
        (math, d(11, 18)),
        (math, d(11, 16)),
        (russian, d(11, 19)),
        (russian, d(11, 25)),
    ] {
        sqlx::query(
            "INSERT INTO control_work (school_id, group_id, work_date, form, title)
             VALUES ($1, $2, $3, 'контрольная работа', 'Проценты')",
        )
        .bind(school)
        .bind(g)
        .bind(day)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let column = |lesson: i64, position: i16, work: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO mark_column (school_id, lesson_id, position, work_type_id)
                 SELECT l.school_id, l.id, $2, (SELECT id FROM work_type w WHERE w.school_id = l.school_id AND w.name = $3)
                 FROM lesson l WHERE l.id = $1 RETURNING id",
            )
            .bind(lesson)
            .bind(position)
            .bind(work)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let work_lesson = lessons[&(math, d(11, 18), 1)];
    let answer = column(work_lesson, 1, "Ответ на уроке").await;
    let work = column(work_lesson, 2, "Контрольная работа ВШК").await;
    let russian_answer = column(lessons[&(russian, d(11, 19), 2)], 1, "Ответ на уроке").await;
    let mark = |column: i64, group: i64, pupil: i64, value: &'static str, day: NaiveDate| {
        let pool = app.pool.clone();
        async move {
            sqlx::query(
                "INSERT INTO mark (school_id, group_id, pupil_id, column_id, work_type_id, value, given_on, entered_by, entered_at)
                 SELECT c.school_id, $2, $3, c.id, c.work_type_id, $4, $5, $6, now() FROM mark_column c WHERE c.id = $1",
            )
            .bind(column)
            .bind(group)
            .bind(pupil)
            .bind(value)
            .bind(day)
            .bind(teacher)
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    for (p, v) in [(0, "5"), (1, "4"), (2, "2"), (4, "3")] {
        mark(work, math, pupils[p], v, d(11, 18)).await;
    }
    // A removed mark in the work's column does not count.
    mark(work, math, pupils[3], "5", d(11, 18)).await;
    exec(
        app,
        "UPDATE mark SET value = NULL WHERE column_id = $1 AND pupil_id = $2",
        &[work, pupils[3]],
    )
    .await;
    mark(answer, math, pupils[0], "5", d(11, 18)).await;
    mark(answer, math, pupils[2], "3", d(11, 18)).await;
    mark(russian_answer, russian, pupils[1], "4", d(11, 19)).await;
    exec(
        app,
        "INSERT INTO absence (school_id, lesson_id, pupil_id, reason, entered_by, entered_at)
         VALUES ($1, $2, $3, 'ill', $4, now())",
        &[school, work_lesson, pupils[3], teacher],
    )
    .await;
    Class {
        id: class,
        math,
        russian,
        lessons,
    }
}

/// «Фамилия И. О.» of a demo account, as the reports write teachers.
async fn short(app: &TestApp, login: &str) -> String {
    let (last, first, middle): (String, String, String) =
        sqlx::query_as("SELECT last_name, first_name, middle_name FROM account WHERE login = $1")
            .bind(login)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    zhurnal::reports::short_name(&last, &first, &middle)
}

/// The page after the filter form: the figures.
fn report_part(body: &str) -> &str {
    body.split("<div class=\"report\">")
        .nth(1)
        .expect("figures")
}

#[tokio::test]
async fn a_group_behind_its_ktp_comes_first_and_a_group_ahead_after_it_with_every_figure_as_by_hand()
 {
    let app = spawn_app().await;
    let c = build(&app).await;
    let deputy = app.signed_in("deputy").await;
    let query = format!("class={}&from=09.11.2026&to=20.11.2026", c.id);
    let body = page(&deputy, &format!("/reports/programme?{query}")).await;
    let groups = table_cells(&body, "report-table groups");
    let vasilieva = short(&app, "teacher").await;
    let other = short(&app, "classteacher").await;
    // Mathematics: КТП 6 h; planned by 20.11: 09, 11, 16 (cancelled: its topic not given), 18,
    // 20 = 5; held 09, 11, 18, 20 = 4; −1, 80,0 %; the plan reaches «Уравнения» (3rd topic, the
    // 20.11 lesson), the teacher last wrote «Проценты» (2nd).
    assert_eq!(
        groups[0],
        strs(&[
            "7П",
            "Математика-программа",
            "7П",
            &vasilieva,
            "6",
            "5",
            "4",
            "1",
            "-1",
            "80,0",
            "отстаёт на 1 ч",
            "3. Уравнения",
            "2. Проценты"
        ])
    );
    // Russian: КТП 3 h laid onto 10, 12, 17 (19 and 25 got none); held 10, 12, 17, 17 (extra),
    // 19 = 5; +2, 166,7 %; the plan's last topic «Пунктуация» (2nd), written «Повторение» (not a
    // КТП title: no number).
    assert_eq!(
        groups[1],
        strs(&[
            "7П",
            "Русский-программа",
            "7П",
            &other,
            "3",
            "3",
            "5",
            "0",
            "+2",
            "166,7",
            "опережает на 2 ч",
            "2. Пунктуация",
            "Повторение"
        ])
    );
    assert_eq!(groups.len(), 2);
    assert!(body.contains("Отстают: 1, опережают: 1, всего групп с КТП: 2."));
    assert!(body.contains("Без КТП (1)"));
    assert!(body.contains(&format!("/journal/{}\">7П Музыка-программа — 7П</a>", {
        scalar(
            &app,
            "SELECT id FROM study_group WHERE class_id = $1 AND name = '7П' AND subject_id = (SELECT id FROM subject WHERE name = 'Музыка-программа')",
            &[c.id],
        )
        .await
    })));
    // Drill-down: the journal, and the lesson where the last topic was written.
    assert!(body.contains(&format!("/journal/{}\">7П</a>", c.math)));
    assert!(body.contains(&format!(
        "/lessons/{}\">2. Проценты</a>",
        c.lessons[&(c.math, d(11, 20), 1)]
    )));
    assert!(body.contains(&format!(
        "/lessons/{}\">Повторение</a>",
        c.lessons[&(c.russian, d(11, 19), 2)]
    )));

    // The curriculum: mathematics 5 h a week, the timetable planned 09, 11, 16, 18, 20 — the
    // cancelled 16.11 counts as planned, not held; Russian 4 h, 5 lessons (17.11 twice: two
    // lesson numbers), all held; music 1 h, no lessons.
    let classes = table_cells(&body, "report-table classes");
    assert_eq!(
        classes,
        vec![
            strs(&["7П", "Математика-программа", "5,0", "5", "4", "-1", "80,0"]),
            strs(&["7П", "Музыка-программа", "1,0", "0", "0", "0", "—"]),
            strs(&["7П", "Русский-программа", "4,0", "5", "5", "0", "100,0"]),
            strs(&[
                "7П",
                "Всего (профиль «технологический»)",
                "10,0",
                "10",
                "9",
                "-1",
                "90,0"
            ]),
        ]
    );
    let totals = table_cells(&body, "report-table totals");
    let total = strs(&["10,0", "10", "9", "-1", "90,0"]);
    assert_eq!(
        row(&totals, "Профиль", "профиль «технологический»")[2..],
        total[..]
    );
    assert_eq!(row(&totals, "Параллель", "7-е классы")[2..], total[..]);
    assert_eq!(row(&totals, "Школа", "Итого")[2..], total[..]);
    // The definitions, in Russian, without regulation codes.
    assert!(body.contains("Как считаются показатели"));
    assert!(body.contains("Отменённый урок с темой КТП остаётся в плане"));
    // What a user reads (the page's markup holds a random CSRF token, which may spell «J8»).
    let shown = crate::tables::strip(&body);
    assert!(!shown.contains("§5") && !shown.contains("J8"));

    // The XLSX and the CSV hold the page's figures.
    let x = xlsx(&deputy, &format!("/reports/programme.xlsx?{query}")).await;
    assert_eq!(x[0][10], "Разница");
    let math = x
        .iter()
        .find(|r| r[0] == "Группа" && r[2] == "Математика-программа")
        .unwrap();
    assert_eq!(
        math[..],
        strs(&[
            "Группа",
            "7П",
            "Математика-программа",
            "7П",
            &vasilieva,
            "",
            "6",
            "5",
            "4",
            "1",
            "-1",
            "80",
            "отстаёт на 1 ч",
            "3. Уравнения",
            "2. Проценты"
        ])[..]
    );
    let russian = x
        .iter()
        .find(|r| r[0] == "Группа" && r[2] == "Русский-программа")
        .unwrap();
    assert_eq!(
        russian[6..12],
        strs(&["3", "3", "5", "0", "2", "166,7"])[..]
    );
    let class = x.iter().find(|r| r[0] == "Класс" && r[1] == "7П").unwrap();
    assert_eq!(
        class[5..12],
        strs(&["10", "", "10", "9", "", "-1", "90"])[..]
    );
    let school = x.iter().find(|r| r[0] == "Школа").unwrap();
    assert_eq!(school[7..12], strs(&["10", "9", "", "-1", "90"])[..]);
    let csv = csv(&deputy, &format!("/reports/programme.csv?{query}")).await;
    assert!(
        csv.contains(&format!(
            "Группа;7П;Математика-программа;7П;{vasilieva};;6;5;4;1;-1;80,0;отстаёт на 1 ч;3. Уравнения;2. Проценты\r\n"
        )),
        "{csv}"
    );
    assert!(
        csv.contains("Предмет класса;7П;Музыка-программа;;;1,0;;0;0;;0;;;;\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains("Класс;7П;;;;10,0;;10;9;;-1;90,0;;;\r\n"),
        "{csv}"
    );
    assert!(csv.contains("Профиль;профиль «технологический»;;;;10,0;;10;9;;-1;90,0;;;\r\n"));
    // A period of a scheme without grade 7 (the senior half-years) leaves 7П out, as the
    // progress report does.
    let other_grades: Option<i64> = sqlx::query_scalar(
        "SELECT sp.id FROM study_period sp JOIN period_scheme ps ON ps.id = sp.scheme_id
         JOIN school s ON s.id = ps.school_id
         WHERE s.slug = 'demo-1' AND 7 NOT BETWEEN ps.grade_from AND ps.grade_to LIMIT 1",
    )
    .fetch_optional(&app.pool)
    .await
    .unwrap();
    if let Some(period) = other_grades {
        for report in ["programme", "control-works"] {
            let body = page(
                &deputy,
                &format!("/reports/{report}?class={}&period={period}", c.id),
            )
            .await;
            assert!(
                !report_part(&body).contains("Математика-программа"),
                "{report}"
            );
        }
    }
}

#[tokio::test]
async fn control_works_held_not_held_and_ahead_with_the_marks_of_the_held_one_counted_by_hand() {
    let app = spawn_app().await;
    let c = build(&app).await;
    let deputy = app.signed_in("deputy").await;
    let query = format!("class={}&from=09.11.2026&to=30.11.2026", c.id);
    let body = page(&deputy, &format!("/reports/control-works?{query}")).await;
    let works = table_cells(&body, "report-table works");
    let none = vec![String::new(); 10];
    let head = |date: &str, subject: &str, state: &str| {
        strs(&[
            date,
            "7П",
            subject,
            "7П",
            "контрольная работа «Проценты»",
            state,
        ])
    };
    // 16.11: the lesson was cancelled.
    assert_eq!(
        works[0],
        [
            head(
                "16.11.2026",
                "Математика-программа",
                "не проведена: урока в этот день не было"
            ),
            none.clone()
        ]
        .concat()
    );
    // 18.11: on the list 5 (Выбывшев left on 10.11), wrote 4 (a removed mark is no mark), absent
    // 1; 5, 4, 3, 2 once each; успеваемость 3/4 = 75,0 %, качество 2/4 = 50,0 %, (5+4+3+2)/4 =
    // 3,50. The answer column beside it is not the work.
    let held = strs(&["5", "4", "1", "1", "1", "1", "1", "75,0", "50,0", "3,50"]);
    assert_eq!(
        works[1],
        [
            head(
                "18.11.2026",
                "Математика-программа",
                "проведена (Контрольная работа ВШК)"
            ),
            held.clone()
        ]
        .concat()
    );
    // 19.11: a lesson with lesson answers only.
    assert_eq!(
        works[2],
        [
            head(
                "19.11.2026",
                "Русский-программа",
                "не проведена: нет отметок за письменную работу"
            ),
            none.clone()
        ]
        .concat()
    );
    assert_eq!(
        works[3],
        [
            head("25.11.2026", "Русский-программа", "запланирована"),
            none.clone()
        ]
        .concat()
    );
    assert!(body.contains("По графику: 4, проведено: 1, не проведено: 2, впереди: 1."));
    let classes = table_cells(&body, "report-table classes");
    assert_eq!(classes[0], [strs(&["7П", "4", "1"]), held.clone()].concat());
    assert_eq!(
        classes[1],
        [strs(&["Итого", "4", "1"]), held.clone()].concat()
    );
    // Drill-down to the lesson of the work and its journal.
    assert!(body.contains(&format!(
        "/lessons/{}\">18.11.2026</a>",
        c.lessons[&(c.math, d(11, 18), 1)]
    )));
    assert!(body.contains(&format!("/journal/{}\">7П</a>", c.russian)));
    assert!(body.contains("как в отчёте об успеваемости"));

    let x = xlsx(&deputy, &format!("/reports/control-works.xlsx?{query}")).await;
    let work = x
        .iter()
        .find(|r| r[0] == "Работа" && r[1] == "18.11.2026")
        .unwrap();
    assert_eq!(work[6], "проведена");
    assert_eq!(
        work[9..],
        strs(&["5", "4", "1", "1", "1", "1", "1", "75", "50", "3,5"])[..]
    );
    let ahead = x
        .iter()
        .find(|r| r[0] == "Работа" && r[1] == "25.11.2026")
        .unwrap();
    assert_eq!(ahead[6], "запланирована");
    let school = x.iter().find(|r| r[0] == "Школа").unwrap();
    assert_eq!(
        school[7..],
        strs(&[
            "4", "1", "5", "4", "1", "1", "1", "1", "1", "75", "50", "3,5"
        ])[..]
    );
    let csv = csv(&deputy, &format!("/reports/control-works.csv?{query}")).await;
    assert!(
        csv.contains("Класс;;7П;;;;;4;1;5;4;1;1;1;1;1;75,0;50,0;3,50\r\n"),
        "{csv}"
    );
    assert!(csv.contains(
        "Работа;16.11.2026;7П;Математика-программа;7П;контрольная работа «Проценты»;не проведена: урока в этот день не было;;;;;;;;;;;;\r\n"
    ));
}

#[tokio::test]
async fn bad_filters_of_the_programme_and_control_work_reports_come_back_with_russian_messages() {
    let app = spawn_app().await;
    build(&app).await;
    let deputy = app.signed_in("deputy").await;
    for (query, message) in [
        ("class=999999", "Выберите класс из списка"),
        ("from=31.02.2026", "Укажите дату в виде ДД.ММ.ГГГГ"),
        (
            "from=20.11.2026&to=16.11.2026",
            "Укажите конец не раньше начала",
        ),
    ] {
        for report in ["programme", "control-works"] {
            let body = page(&deputy, &format!("/reports/{report}?{query}")).await;
            assert!(body.contains(message), "{report}?{query}");
            assert!(!body.contains("<td>Итого</td>"), "{report}?{query}");
            let response = deputy.get(&format!("/reports/{report}.xlsx?{query}")).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        }
    }
}

#[tokio::test]
async fn the_programme_and_control_work_reports_show_a_teacher_their_own_journals_and_a_class_teacher_their_class()
 {
    let app = spawn_app().await;
    let c = build(&app).await;
    // The teacher of mathematics, asking for everything of 7П: their mathematics only.
    let teacher = app.signed_in("teacher").await;
    let body = page(
        &teacher,
        &format!(
            "/reports/programme?class={}&from=09.11.2026&to=20.11.2026",
            c.id
        ),
    )
    .await;
    assert!(body.contains("Отчёт по вашим журналам"));
    let groups = table_cells(&body, "report-table groups");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0][1], "Математика-программа");
    let classes = table_cells(&body, "report-table classes");
    assert_eq!(classes.len(), 2, "{classes:?}");
    assert_eq!(classes[0][1], "Математика-программа");
    // (The filter's list of subjects names every subject of the year; the figures do not.)
    let figures = report_part(&body);
    assert!(!figures.contains("Русский-программа") && !figures.contains("Музыка-программа"));
    let body = page(
        &teacher,
        &format!(
            "/reports/control-works?class={}&from=09.11.2026&to=30.11.2026",
            c.id
        ),
    )
    .await;
    assert_eq!(table_cells(&body, "report-table works").len(), 2);
    assert!(!report_part(&body).contains("Русский-программа"));
    let csv = String::from_utf8(
        bytes(
            &teacher,
            &format!(
                "/reports/control-works.csv?class={}&from=09.11.2026&to=30.11.2026",
                c.id
            ),
        )
        .await,
    )
    .unwrap();
    assert!(csv.contains("Математика-программа") && !csv.contains("Русский-программа"));
    // The class teacher of 5Б naming 7П gets 5Б.
    let class_teacher = app.signed_in("classteacher").await;
    for report in ["programme", "control-works"] {
        let body = page(
            &class_teacher,
            &format!(
                "/reports/{report}?class={}&from=09.11.2026&to=20.11.2026",
                c.id
            ),
        )
        .await;
        assert!(body.contains("Отчёт по вашему классу"), "{report}");
        assert!(!body.contains("7П"), "{report}");
    }
    // Administrator, parent, pupil: 403 on every route.
    for login in ["admin", "parent", "student"] {
        let client = app.signed_in(login).await;
        for path in [
            "/reports/programme",
            "/reports/programme.csv",
            "/reports/programme.xlsx",
            "/reports/control-works",
            "/reports/control-works.csv",
            "/reports/control-works.xlsx",
        ] {
            let (status, body) = client.text(path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{login} {path}");
            assert!(!body.contains("7П"));
        }
    }
    // Another school's director naming 7П: a message, nothing of it.
    let other = app.signed_in("director2").await;
    for report in ["programme", "control-works"] {
        let body = page(&other, &format!("/reports/{report}?class={}", c.id)).await;
        assert!(body.contains("Выберите класс из списка"));
        assert!(!body.contains("7П") && !body.contains("Математика-программа"));
        let response = other
            .get(&format!("/reports/{report}.csv?class={}", c.id))
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The index lists both.
    let deputy = app.signed_in("deputy").await;
    let index = page(&deputy, "/reports").await;
    assert!(
        index.contains("href=\"/reports/programme\"")
            && index.contains("href=\"/reports/control-works\"")
    );
    let _ = cells(&index);
}
