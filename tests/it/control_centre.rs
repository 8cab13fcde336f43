//! The management's control (regulations §5, issue 13): the start page «Что требует внимания»
//! with its counts checked against a hand count on a small deliberate data set, the lists behind
//! the counts, the list of journals with its filters and its order, the «(замена)» label, and who
//! may see any of it.

use chrono::{NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;

use crate::helpers::{Client, TestApp, spawn_app};

fn d(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

/// Wednesday 18.11.2026, 12:00 in Moscow; the week began on Monday 16.11.
fn wednesday_noon() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 18, 9, 0, 0).unwrap()
}

/// Moscow wall-clock time as an instant.
fn msk(day: u32, hour: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour - 3, 0, 0).unwrap()
}

async fn school_1(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT id FROM school WHERE slug = 'demo-1'")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// A whole-class group of a demo-1 class with a new subject and its teacher.
async fn group(app: &TestApp, class: &str, subject: &str, teacher: &str) -> i64 {
    let school = school_1(app).await;
    sqlx::query(
        "INSERT INTO subject (school_id, name, short_name) VALUES ($1, $2, left($2, 5))
         ON CONFLICT (school_id, name) DO NOTHING",
    )
    .bind(school)
    .bind(subject)
    .execute(&app.pool)
    .await
    .unwrap();
    let group: i64 = sqlx::query_scalar(
        "INSERT INTO study_group (school_id, academic_year_id, subject_id, kind, class_id, name)
         SELECT c.school_id, c.academic_year_id, s.id, 'whole_class', c.id, c.grade || c.letter
         FROM school_class c JOIN subject s ON s.school_id = c.school_id AND s.name = $3
         WHERE c.school_id = $1 AND c.grade || c.letter = $2
         RETURNING id",
    )
    .bind(school)
    .bind(class)
    .bind(subject)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO teaching_assignment (school_id, group_id, teacher_id, hours_per_week)
         VALUES ($1, $2, $3, 2)",
    )
    .bind(school)
    .bind(group)
    .bind(app.account_id(teacher).await)
    .execute(&app.pool)
    .await
    .unwrap();
    group
}

/// What a lesson's record holds: topic, homework, «Не задано».
type Record<'a> = (Option<&'a str>, Option<&'a str>, bool);

/// A lesson of the group by its teacher, with its status and record as given.
async fn lesson(
    app: &TestApp,
    group: i64,
    date: NaiveDate,
    number: i16,
    status: &str,
    (topic, homework, homework_none): Record<'_>,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO lesson (school_id, group_id, lesson_date, lesson_number, teacher_id, status,
                             topic, homework, homework_none)
         SELECT g.school_id, g.id, $2, $3, ta.teacher_id, $4, $5, $6, $7
         FROM study_group g JOIN teaching_assignment ta ON ta.school_id = g.school_id AND ta.group_id = g.id
         WHERE g.id = $1 RETURNING id",
    )
    .bind(group)
    .bind(date)
    .bind(number)
    .bind(status)
    .bind(topic)
    .bind(homework)
    .bind(homework_none)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// A mark column of a work type at a lesson.
async fn column(app: &TestApp, lesson: i64, work_type: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO mark_column (school_id, lesson_id, position, work_type_id)
         SELECT l.school_id, l.id,
                1 + (SELECT count(*) FROM mark_column c WHERE c.school_id = l.school_id AND c.lesson_id = l.id),
                w.id
         FROM lesson l JOIN work_type w ON w.school_id = l.school_id AND w.name = $2
         WHERE l.id = $1 RETURNING id",
    )
    .bind(lesson)
    .bind(work_type)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// A mark in a column for the `nth` pupil of the group, entered at `at`, late or not.
async fn mark(app: &TestApp, column: i64, nth: i64, late: bool, at: chrono::DateTime<Utc>) {
    sqlx::query(
        "INSERT INTO mark (school_id, group_id, pupil_id, column_id, work_type_id, value, given_on,
                           late_entry, entered_by, entered_at)
         SELECT c.school_id, l.group_id,
                (SELECT gp.pupil_id FROM group_pupil gp WHERE gp.group_id = l.group_id
                 ORDER BY gp.pupil_id OFFSET $2 LIMIT 1),
                c.id, c.work_type_id, '4', l.lesson_date, $3, l.teacher_id, $4
         FROM mark_column c JOIN lesson l ON l.school_id = c.school_id AND l.id = c.lesson_id
         WHERE c.id = $1",
    )
    .bind(column)
    .bind(nth)
    .bind(late)
    .bind(at)
    .execute(&app.pool)
    .await
    .unwrap();
}

/// Every pupil of the lesson's group absent.
async fn all_absent(app: &TestApp, lesson: i64) {
    sqlx::query(
        "INSERT INTO absence (school_id, lesson_id, pupil_id, entered_by, entered_at)
         SELECT l.school_id, l.id, gp.pupil_id, l.teacher_id, now()
         FROM lesson l JOIN group_pupil gp ON gp.school_id = l.school_id AND gp.group_id = l.group_id
         WHERE l.id = $1",
    )
    .bind(lesson)
    .execute(&app.pool)
    .await
    .unwrap();
}

async fn exec(app: &TestApp, sql: &str, a: i64, b: i64) {
    sqlx::query(sql)
        .bind(a)
        .bind(b)
        .execute(&app.pool)
        .await
        .unwrap();
}

/// The deliberate data set (clock: Wednesday 18.11.2026 noon, Moscow).
struct Set {
    /// 5«А» Алгебра, taught by `teacher`.
    a: i64,
    /// 9«А» Обществознание, taught by `classteacher`; `teacher` substitutes at one lesson.
    b: i64,
    /// 11«А» Астрономия, taught by `classteacher`; no lesson problems, one overdue remark.
    c: i64,
    a_no_topic: i64,
    a_no_homework: i64,
    a_unchecked: i64,
    a_late: i64,
    b_substituted: i64,
    b_no_topic: i64,
}

async fn build(app: &TestApp) -> Set {
    app.clock.set(wednesday_noon());
    let a = group(app, "5А", "Алгебра", "teacher").await;
    let b = group(app, "9А", "Обществознание", "classteacher").await;
    let c = group(app, "11А", "Астрономия", "classteacher").await;
    // Group A: a past lesson held with nothing written (no topic, no homework: two problems).
    let a_no_topic = lesson(app, a, d(9), 1, "held", (None, None, false)).await;
    // «Не задано» and a topic: nothing to see.
    lesson(app, a, d(10), 1, "held", (Some("Дроби"), None, true)).await;
    // Cancelled and moved lessons without a topic are not held: not counted.
    lesson(app, a, d(11), 1, "cancelled", (None, None, false)).await;
    lesson(app, a, d(12), 1, "moved", (None, None, false)).await;
    // Yesterday: a topic, no homework — the window is long over.
    let a_no_homework = lesson(app, a, d(17), 1, "held", (Some("Уравнения"), None, false)).await;
    // A control work (3 days to check) of 10.11 with no marks while pupils were there.
    let a_unchecked = lesson(
        app,
        a,
        d(10),
        2,
        "held",
        (Some("Контроль"), Some("с. 5"), false),
    )
    .await;
    column(app, a_unchecked, "Контрольная работа").await;
    // Yesterday's control work: still within its checking period.
    let fresh = lesson(
        app,
        a,
        d(17),
        2,
        "held",
        (Some("Контроль 2"), Some("с. 7"), false),
    )
    .await;
    column(app, fresh, "Контрольная работа").await;
    // A self-study work checked: one mark entered late this week, one late last week.
    let a_late = lesson(
        app,
        a,
        d(11),
        2,
        "held",
        (Some("Повторение"), Some("с. 9"), false),
    )
    .await;
    let col = column(app, a_late, "Самостоятельная работа").await;
    mark(app, col, 0, true, msk(17, 10)).await;
    mark(app, col, 1, true, msk(13, 10)).await;
    mark(app, col, 2, false, msk(11, 10)).await;
    // Group B: two lessons without a topic (homework given); at the first `teacher` substitutes.
    let b_substituted = lesson(app, b, d(9), 3, "held", (None, Some("п. 3"), false)).await;
    let b_no_topic = lesson(app, b, d(10), 3, "held", (None, Some("п. 4"), false)).await;
    exec(
        app,
        "INSERT INTO substitution (school_id, lesson_id, teacher_id, registered_by, registered_at)
         SELECT school_id, id, $2, $2, now() FROM lesson WHERE id = $1",
        b_substituted,
        app.account_id("teacher").await,
    )
    .await;
    // A dictation nobody was present at: nothing to check.
    let empty = lesson(
        app,
        b,
        d(11),
        3,
        "held",
        (Some("Диктант"), Some("п. 5"), false),
    )
    .await;
    column(app, empty, "Диктант").await;
    all_absent(app, empty).await;
    // Group C: remarks — one overdue, one not yet due, one fixed late.
    let deputy = app.account_id("deputy").await;
    for (due, fixed) in [(17, false), (20, false), (12, true)] {
        sqlx::query(
            "INSERT INTO journal_remark (school_id, group_id, text, due_on, author_id, created_at,
                                         fixed_at, fixed_by)
             SELECT g.school_id, g.id, 'Заполнить темы уроков', $2, $3, now(),
                    CASE WHEN $4 THEN now() END, CASE WHEN $4 THEN $3 END
             FROM study_group g WHERE g.id = $1",
        )
        .bind(c)
        .bind(d(due))
        .bind(deputy)
        .bind(fixed)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    // Unlocks: group A open until tomorrow, group B's ended yesterday.
    for (group, until) in [(a, msk(19, 18)), (b, msk(17, 18))] {
        sqlx::query(
            "INSERT INTO journal_unlock (school_id, group_id, until, reason, granted_by, granted_at)
             SELECT g.school_id, g.id, $2, 'Болел учитель', $3, now() FROM study_group g WHERE g.id = $1",
        )
        .bind(group)
        .bind(until)
        .bind(deputy)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    Set {
        a,
        b,
        c,
        a_no_topic,
        a_no_homework,
        a_unchecked,
        a_late,
        b_substituted,
        b_no_topic,
    }
}

/// The count a start page shows for an item, read from its link's label.
fn count_of(page: &str, label: &str) -> i64 {
    let key = format!("aria-label=\"{label}: ");
    let at = page.find(&key).unwrap_or_else(|| panic!("{label}: {page}")) + key.len();
    page[at..]
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{label}"))
}

/// The lessons a list links to, in order.
fn lesson_links(page: &str) -> Vec<i64> {
    page.split("<tr class=\"problem-row\">")
        .skip(1)
        .filter_map(|row| {
            let at = row.find("href=\"/lessons/")? + "href=\"/lessons/".len();
            row[at..].split('"').next()?.parse().ok()
        })
        .collect()
}

/// The journals of the management's list, in order.
fn journal_rows(page: &str) -> Vec<i64> {
    page.split("<tr class=\"journal-line\">")
        .skip(1)
        .filter_map(|row| {
            let at = row.find("href=\"/journal/")? + "href=\"/journal/".len();
            row[at..].split('"').next()?.parse().ok()
        })
        .collect()
}

/// No regulation code (J1, §5) reaches what users read: the page's main part.
fn no_codes(page: &str) {
    let main = &page[page.find("<main").unwrap_or(0)..];
    assert!(!main.contains('§'), "a § on the page");
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let bytes = main.as_bytes();
    for i in 1..bytes.len().saturating_sub(1) {
        assert!(
            !(bytes[i] == b'J' && !word(bytes[i - 1]) && bytes[i + 1].is_ascii_digit()),
            "a regulation code on the page: {}",
            &main[i.saturating_sub(40)..(i + 40).min(main.len())]
        );
    }
}

async fn page(client: &Client, path: &str) -> String {
    let (status, body) = client.text(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

const NO_TOPIC: &str = "Проведённые уроки без темы";
const NO_HOMEWORK: &str = "Уроки без домашнего задания и без «Не задано» после срока";
const LATE: &str = "Отметки, выставленные с опозданием на этой неделе";
const UNCHECKED: &str = "Письменные работы, не проверенные в срок";
const REMARKS: &str = "Замечания к журналам, не исправленные в срок";
const UNLOCKED: &str = "Журналы, открытые сейчас для записи задним числом";
const PARENTS: &str = "Родители с доступом, ни разу не открывшие дневник";

#[tokio::test]
async fn section_5_the_start_page_counts_what_needs_attention_as_a_hand_count_does() {
    let app = spawn_app().await;
    let set = build(&app).await;
    let deputy = app.signed_in("deputy").await;
    let home = page(&deputy, "/deputy").await;
    assert!(home.contains("Что требует внимания"), "{home}");
    // By hand: A 9.11 and B 9.11, 10.11 have no topic (cancelled and moved lessons, and today's,
    // do not count).
    assert_eq!(count_of(&home, NO_TOPIC), 3);
    // A 9.11 and A 17.11: neither homework nor «Не задано», the window over.
    assert_eq!(count_of(&home, NO_HOMEWORK), 2);
    // One mark entered late since Monday (the other late one was last week).
    assert_eq!(count_of(&home, LATE), 1);
    // The control work of 10.11 (the one of 17.11 is within its 3 days; the dictation had
    // nobody present).
    assert_eq!(count_of(&home, UNCHECKED), 1);
    assert_eq!(count_of(&home, REMARKS), 1);
    assert_eq!(count_of(&home, UNLOCKED), 1);
    // The demo's one parent with an account has never opened the diary.
    assert_eq!(count_of(&home, PARENTS), 1);
    assert_eq!(
        count_of(
            &home,
            "Исправления итоговых отметок ждут решения заместителя директора"
        ),
        0
    );
    // Worst first: 5«А» (5 problems) before 9«А» (2); `teacher` (6, with the substituted
    // lesson) before `classteacher` (1).
    let five = home.find("5«А»</a>").expect("5«А» in the table");
    let nine = home.find("9«А»</a>").expect("9«А» in the table");
    assert!(five < nine);
    assert!(home.contains("<td class=\"num\"><strong>5</strong></td></tr>"));
    let vasilyeva = home.find("Васильева Наталья</a>").expect("the teacher");
    let sokolov = home.find("Соколов Дмитрий</a>").expect("the class teacher");
    assert!(vasilyeva < sokolov);
    assert!(home.contains("<td class=\"num\"><strong>6</strong></td></tr>"));
    no_codes(&home);

    // The director sees the same counts, and the requests awaiting their agreement.
    let director = app.signed_in("director").await;
    let home = page(&director, "/director").await;
    assert_eq!(count_of(&home, NO_TOPIC), 3);
    assert_eq!(
        count_of(
            &home,
            "Исправления итоговых отметок ждут вашего согласования"
        ),
        0
    );

    // The parent opens the diary: the count drops.
    let parent = app.signed_in("parent").await;
    assert_eq!(parent.get("/parent").await.status(), StatusCode::OK);
    let home = page(&deputy, "/deputy").await;
    assert_eq!(count_of(&home, PARENTS), 0);
    let _ = set;
}

#[tokio::test]
async fn each_count_links_to_a_list_with_exactly_its_rows_each_linking_to_the_lesson() {
    let app = spawn_app().await;
    let set = build(&app).await;
    let deputy = app.signed_in("deputy").await;
    let home = page(&deputy, "/deputy").await;
    for href in [
        "/control/no-topic",
        "/control/no-homework",
        "/control/late-marks",
        "/control/unchecked",
        "/control/remarks",
        "/control/unlocked",
        "/control/parents",
    ] {
        assert!(home.contains(&format!("href=\"{href}\"")), "{href}");
    }
    let list = page(&deputy, "/control/no-topic").await;
    assert_eq!(
        lesson_links(&list),
        vec![set.a_no_topic, set.b_substituted, set.b_no_topic]
    );
    // The substituted lesson is the substitute's.
    assert!(list.contains("Васильева Н."));
    assert!(list.contains(&format!("href=\"/journal/{}\"", set.b)));
    assert!(list.contains("09.11.2026"));
    no_codes(&list);
    assert_eq!(
        lesson_links(&page(&deputy, "/control/no-homework").await),
        vec![set.a_no_topic, set.a_no_homework]
    );
    let late = page(&deputy, "/control/late-marks").await;
    assert_eq!(lesson_links(&late), vec![set.a_late]);
    let unchecked = page(&deputy, "/control/unchecked").await;
    assert_eq!(lesson_links(&unchecked), vec![set.a_unchecked]);
    assert!(unchecked.contains("Контрольная работа"));
    let remarks = page(&deputy, "/control/remarks").await;
    assert_eq!(remarks.matches("<tr class=\"problem-row\">").count(), 1);
    assert!(remarks.contains(&format!("href=\"/journal/{}/control\"", set.c)));
    assert!(remarks.contains("17.11.2026"));
    let unlocked = page(&deputy, "/control/unlocked").await;
    assert_eq!(unlocked.matches("<tr class=\"problem-row\">").count(), 1);
    assert!(unlocked.contains(&format!("href=\"/journal/{}/control\"", set.a)));
    let parents = page(&deputy, "/control/parents").await;
    assert_eq!(parents.matches("<tr class=\"problem-row\">").count(), 1);
    assert!(parents.contains("Морозов"), "{parents}");
    assert_eq!(
        deputy.get("/control/nonsense").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_list_of_journals_is_filtered_by_class_subject_teacher_and_problem_the_furthest_behind_first()
 {
    let app = spawn_app().await;
    let set = build(&app).await;
    let deputy = app.signed_in("deputy").await;
    // A: 1 + 2 + 1 + 1 = 5 behind, B: 2, C: one overdue remark; then the rest of the school (none
    // here).
    let all = page(&deputy, "/journal").await;
    assert_eq!(journal_rows(&all), vec![set.a, set.b, set.c]);
    assert!(all.contains("Найдено журналов: <strong class=\"total\">3</strong>"));
    no_codes(&all);
    let class_9: i64 = sqlx::query_scalar("SELECT class_id FROM study_group WHERE id = $1")
        .bind(set.b)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        journal_rows(&page(&deputy, &format!("/journal?class={class_9}")).await),
        vec![set.b]
    );
    let subject: i64 = sqlx::query_scalar("SELECT subject_id FROM study_group WHERE id = $1")
        .bind(set.c)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        journal_rows(&page(&deputy, &format!("/journal?subject={subject}")).await),
        vec![set.c]
    );
    let sokolov = app.account_id("classteacher").await;
    assert_eq!(
        journal_rows(&page(&deputy, &format!("/journal?teacher={sokolov}")).await),
        vec![set.b, set.c]
    );
    for (problem, expected) in [
        ("no-topic", vec![set.a, set.b]),
        ("no-homework", vec![set.a]),
        ("late-marks", vec![set.a]),
        ("unchecked", vec![set.a]),
        ("remarks", vec![set.c]),
        ("unlocked", vec![set.a]),
    ] {
        assert_eq!(
            journal_rows(&page(&deputy, &format!("/journal?problem={problem}")).await),
            expected,
            "{problem}"
        );
    }
    assert_eq!(
        journal_rows(
            &page(
                &deputy,
                &format!("/journal?teacher={sokolov}&problem=remarks")
            )
            .await
        ),
        vec![set.c]
    );
    // Bad values: a Russian message next to the filter, never a 500; the rest still applies.
    let other_school_class: i64 = sqlx::query_scalar(
        "SELECT c.id FROM school_class c JOIN school s ON s.id = c.school_id WHERE s.slug = 'demo-2' LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let foreign = format!("class={other_school_class}");
    for (query, message) in [
        ("class=abc", "Выберите класс из списка."),
        (foreign.as_str(), "Выберите класс из списка."),
        (
            "subject=99999999999999999999999",
            "Выберите предмет из списка.",
        ),
        ("teacher=-1", "Выберите учителя из списка."),
        ("problem=J1", "Выберите проблему из списка."),
        ("page=0", "Номер страницы — число от 1 до 1000."),
        ("page=1000000", "Номер страницы — число от 1 до 1000."),
    ] {
        let body = page(&deputy, &format!("/journal?{query}")).await;
        assert!(body.contains(message), "{query}: {body}");
        assert_eq!(journal_rows(&body).len(), 3, "{query}");
    }
    // A page past the end is empty, not an error.
    let far = page(&deputy, "/journal?page=7").await;
    assert!(journal_rows(&far).is_empty());
}

#[tokio::test]
async fn j15_the_substitution_label_is_shown_only_where_the_viewer_substitutes() {
    let app = spawn_app().await;
    let set = build(&app).await;
    // The deputy teaches nothing and substitutes nowhere: no journal of theirs is «(замена)».
    let deputy = app.signed_in("deputy").await;
    let list = page(&deputy, "/journal").await;
    assert!(!list.contains("(замена)"), "{list}");
    // The teacher substitutes at a lesson of group B: that journal is labelled, their own is not,
    // and group C (neither) is not in their list.
    let teacher = app.signed_in("teacher").await;
    let list = page(&teacher, "/journal").await;
    assert_eq!(list.matches("(замена)").count(), 1, "{list}");
    let rows: Vec<&str> = list.split("<tr class=\"journal-line\">").skip(1).collect();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let substituted = row.contains("(замена)");
        let is_b = row.contains(&format!("href=\"/journal/{}\"", set.b));
        assert_eq!(substituted, is_b, "{row}");
    }
    // The class teacher of 5«Б» reads the class's journals (none here) and teaches B and C: no
    // label.
    let classteacher = app.signed_in("classteacher").await;
    let list = page(&classteacher, "/journal").await;
    assert!(!list.contains("(замена)"), "{list}");
}

#[tokio::test]
async fn only_the_director_and_deputies_see_the_control_and_another_school_sees_none_of_it() {
    let app = spawn_app().await;
    let set = build(&app).await;
    for login in ["teacher", "classteacher", "parent", "student", "admin"] {
        let client = app.signed_in(login).await;
        for path in ["/control/no-topic", "/control/parents", "/deputy"] {
            let response = client.get(path).await;
            assert!(
                response.status() == StatusCode::FORBIDDEN
                    || (path == "/deputy" && response.url().path() != "/deputy"),
                "{login} GET {path}: {}",
                response.status()
            );
        }
    }
    // School 2's director: their school has none of these problems, and school 1's journals are
    // not found.
    let director2 = app.signed_in("director2").await;
    let home = page(&director2, "/director").await;
    assert_eq!(count_of(&home, NO_TOPIC), 0);
    let list = page(&director2, "/control/no-topic").await;
    assert!(lesson_links(&list).is_empty());
    assert!(!list.contains("Алгебра"));
    let journals = page(&director2, "/journal").await;
    assert!(!journals.contains("Алгебра") && !journals.contains("Обществознание"));
    assert_eq!(
        director2.get(&format!("/journal/{}", set.a)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        director2
            .get(&format!("/lessons/{}", set.a_no_topic))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn j7_todays_lesson_without_homework_counts_only_once_the_window_after_the_classs_last_lesson_is_over()
 {
    let app = spawn_app().await;
    build(&app).await;
    let a: i64 = sqlx::query_scalar(
        "SELECT g.id FROM study_group g JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
         WHERE s.name = 'Алгебра'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // Bells of the first shift: lesson 3 ends at 10:35; the school's window is 120 minutes.
    sqlx::query(
        "INSERT INTO bell (school_id, academic_year_id, shift, lesson_number, starts_at, ends_at)
         SELECT g.school_id, g.academic_year_id, 1, n, time '08:00' + (n - 1) * interval '55 minutes',
                time '08:45' + (n - 1) * interval '55 minutes'
         FROM study_group g, generate_series(1, 3) n WHERE g.id = $1
         ON CONFLICT (school_id, academic_year_id, shift, lesson_number)
         DO UPDATE SET starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at",
    )
    .bind(a)
    .execute(&app.pool)
    .await
    .unwrap();
    // Today (Wednesday 18.11) lessons 1 and 3 of 5«А», topics written, no homework.
    lesson(&app, a, d(18), 1, "held", (Some("Проценты"), None, false)).await;
    lesson(&app, a, d(18), 3, "held", (Some("Проценты 2"), None, false)).await;
    let deputy = app.signed_in("deputy").await;
    // 12:00: the class's day ended at 10:35 (lesson 3), the window lasts until 12:35.
    let home = page(&deputy, "/deputy").await;
    assert_eq!(count_of(&home, NO_HOMEWORK), 2);
    assert_eq!(
        count_of(&home, NO_TOPIC),
        3,
        "today's lessons are not late for a topic"
    );
    app.clock.set(msk(18, 12) + chrono::Duration::minutes(41));
    let home = page(&deputy, "/deputy").await;
    assert_eq!(count_of(&home, NO_HOMEWORK), 4);
}
