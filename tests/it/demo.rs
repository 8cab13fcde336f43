//! The demo school year (issue: setting up the school year, §13): a realistic school whose
//! readiness check is clean.

use std::time::Instant;

use zhurnal::db::scope::all_schools;

use crate::helpers::{TestApp, spawn_app};

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[tokio::test]
async fn the_demo_school_year_is_realistic_and_its_readiness_check_is_clean() {
    let app = spawn_app().await;
    let fill_pool = app.fill_pool().await;
    // The demo's journal is filled up to the clock's today: a Monday in the second quarter.
    app.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 23, 9, 0, 0).unwrap());
    let started = Instant::now();
    assert!(
        all_schools(zhurnal::demo::fill_school_year(
            &fill_pool,
            app.clock.as_ref()
        ))
        .await
        .unwrap()
    );
    eprintln!("demo school year filled in {:?}", started.elapsed());
    // As `demo::prepare` does after the fill.
    zhurnal::demo::analyze(&app.owner_url).await.unwrap();
    assert!(
        !all_schools(zhurnal::demo::fill_school_year(
            &fill_pool,
            app.clock.as_ref()
        ))
        .await
        .unwrap(),
        "only once"
    );
    let school = "(SELECT id FROM school WHERE slug = 'demo-1')";
    let classes = scalar(
        &app,
        &format!("SELECT count(*) FROM school_class WHERE school_id = {school}"),
    )
    .await;
    let pupils = scalar(
        &app,
        &format!(
            "SELECT count(*) FROM class_enrollment WHERE school_id = {school} AND ends_on IS NULL"
        ),
    )
    .await;
    let staff = scalar(&app, &format!("SELECT count(DISTINCT account_id) FROM membership WHERE school_id = {school} AND role IN ('teacher', 'class_teacher', 'deputy', 'director', 'administrator')")).await;
    let lessons = scalar(
        &app,
        &format!("SELECT count(*) FROM lesson WHERE school_id = {school}"),
    )
    .await;
    assert_eq!(classes, 29);
    assert!((550..=700).contains(&pupils), "{pupils} pupils");
    assert!((40..=70).contains(&staff), "{staff} staff");
    assert!(lessons > 25_000, "{lessons} lessons");
    let subgroups = scalar(
        &app,
        &format!(
            "SELECT count(*) FROM study_group WHERE school_id = {school} AND kind = 'subgroup'"
        ),
    )
    .await;
    assert!(subgroups > 40);

    let deputy = app.signed_in("deputy").await;
    let (_, html) = deputy.text("/setup/readiness").await;
    assert!(
        html.contains("Всё готово: замечаний нет."),
        "{}",
        &html[html.find("<main").unwrap_or(0)..]
    );
    // The demo teacher has classes to teach.
    let teacher = app.account_id("teacher").await;
    let taught = scalar(
        &app,
        &format!("SELECT count(*) FROM lesson WHERE teacher_id = {teacher}"),
    )
    .await;
    assert!(taught > 300, "{taught}");

    // Issue 4, §12: the journal up to today has something of every kind to show.
    let count = |sql: &'static str| scalar(&app, sql);
    assert!(
        count("SELECT count(*) FROM lesson WHERE status = 'held' AND topic IS NOT NULL").await
            > 8_000
    );
    assert!(
        count(
            "SELECT count(*) FROM lesson WHERE lesson_date < '2026-11-23' AND status = 'scheduled'"
        )
        .await
            > 0,
        "a few recent lessons unfilled"
    );
    assert!(count("SELECT count(*) FROM lesson WHERE homework_none").await > 0);
    assert!(count("SELECT count(*) FROM mark WHERE value IS NOT NULL").await > 20_000);
    assert!(count("SELECT count(*) FROM mark WHERE late_entry").await > 0);
    assert!(count("SELECT count(DISTINCT work_type_id) FROM mark").await >= 2);
    assert!(count("SELECT count(*) FROM absence WHERE reason = 'ill'").await > 0);
    assert!(
        count("SELECT count(*) FROM absence WHERE reason IS NULL").await > 0,
        "the last week's reasons still to set"
    );
    assert!(count("SELECT count(*) FROM substitution").await > 0);
    // The pupils' reports are worth opening: a 5th grade with an hour for each homework of a day,
    // and an 8th grade missing lessons far more often than the school.
    assert!(count("SELECT count(*) FROM lesson WHERE homework_minutes = 60").await >= 3);
    let (poor, school) = (
        count(
            "SELECT count(*) / greatest(count(DISTINCT e.pupil_id), 1) FROM absence a
             JOIN class_enrollment e ON e.pupil_id = a.pupil_id
             WHERE e.class_id = (SELECT id FROM school_class WHERE grade = 8 AND school_id = e.school_id
                                 ORDER BY academic_year_id DESC, letter LIMIT 1)",
        )
        .await,
        count("SELECT count(*) / greatest(count(DISTINCT pupil_id), 1) FROM absence").await,
    );
    assert!(
        poor > 2 * school,
        "{poor} absences a pupil in the 8th grade, {school} in the school"
    );
    assert!(count("SELECT count(*) FROM period_mark WHERE value = 'na'").await > 0);
    // …but as the exception: most pupils have enough marks for every period mark (J11), so the
    // reports' успеваемость is a school's, not a handful of pupils.
    let with_na = count(
        "SELECT (100 * count(DISTINCT pupil_id) FILTER (WHERE value = 'na')
                 / greatest(count(DISTINCT pupil_id), 1))::bigint FROM period_mark",
    )
    .await;
    assert!(with_na < 25, "{with_na}% of the pupils have an Н/А");
    assert!(count("SELECT count(*) FROM period_mark WHERE value IN ('3', '4', '5')").await > 3_000);
    assert_eq!(
        count("SELECT count(*) FROM correction_request WHERE status = 'pending'").await,
        1
    );
    assert_eq!(
        count("SELECT count(*) FROM mark WHERE value IS NULL").await,
        0
    );
    let (_, corrections) = deputy.text("/corrections").await;
    assert!(corrections.contains("ожидает решения"));
    // The homework load: the overloaded 5th grade's day is the worst; days over the limit are
    // the exception, and a few homeworks have no minutes.
    let load = crate::tables::page(&deputy, "/reports/homework-load").await;
    let over = crate::tables::table_cells(&load, "report-table homework-over");
    assert!(over[0][0].starts_with('5'), "{:?}", over.first());
    let classes = crate::tables::table_cells(&load, "report-table homework-classes");
    let total = classes.last().unwrap();
    let (days, over_days, unrated): (i64, i64, i64) =
        classes[..classes.len() - 1]
            .iter()
            .fold((0, 0, 0), |(d, o, u), r| {
                (
                    d + r[2].parse::<i64>().unwrap(),
                    o + r[4].parse::<i64>().unwrap(),
                    u + r[5].parse::<i64>().unwrap(),
                )
            });
    assert_eq!(total[4], over_days.to_string());
    assert!(
        over_days * 10 < days,
        "{over_days} of {days} days over the limit"
    );
    assert!(unrated > 0);
    let teacher_client = app.signed_in("teacher").await;
    let group = scalar(
        &app,
        &format!("SELECT min(group_id) FROM teaching_assignment WHERE teacher_id = {teacher}"),
    )
    .await;
    let (status, journal) = teacher_client.text(&format!("/journal/{group}")).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(journal.contains("data-save=\"/journal/cells\"") && journal.contains("value=\"5\""));
    // The programme report opens on a lagging group (the demo teacher's mathematics, three
    // lessons cancelled) and has a leading one; the control works held and one not held.
    let started = Instant::now();
    let (status, programme) = deputy.text("/reports/programme").await;
    eprintln!(
        "programme report of the demo school in {:?}",
        started.elapsed()
    );
    assert_eq!(status, reqwest::StatusCode::OK);
    let groups = crate::tables::table_cells(&programme, "report-table groups");
    assert_eq!(groups[0][10], "отстаёт на 3 ч", "{:?}", groups[0]);
    assert!(groups.iter().any(|g| g[10] == "опережает на 2 ч"));
    let started = Instant::now();
    let (status, works) = deputy.text("/reports/control-works").await;
    eprintln!(
        "control-works report of the demo school in {:?}",
        started.elapsed()
    );
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(works.contains("проведена <span class=\"muted\">(Контрольная работа ВШК)</span>"));
    // Exactly one: the lagging group's work on the day of its first cancelled lesson. On a
    // failure the rows of every work not held tell which one went astray.
    let rows = crate::tables::table_cells(&works, "report-table works");
    let no_lesson: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| {
            r.iter()
                .any(|c| c == "не проведена: урока в этот день не было")
        })
        .collect();
    assert_eq!(
        no_lesson.len(),
        1,
        "works without a lesson: {no_lesson:?}; not held: {:?}",
        rows.iter()
            .filter(|r| r.iter().any(|c| c.starts_with("не проведена")))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_demo_timetable_never_puts_a_teacher_in_two_places_at_once() {
    let app = spawn_app().await;
    let fill_pool = app.fill_pool().await;
    all_schools(zhurnal::demo::fill_school_year(
        &fill_pool,
        app.clock.as_ref(),
    ))
    .await
    .unwrap();
    let clashes = scalar(
        &app,
        "SELECT count(*) FROM (SELECT teacher_id, lesson_date, lesson_number FROM lesson
                               GROUP BY 1, 2, 3 HAVING count(*) > 1) x",
    )
    .await;
    assert_eq!(clashes, 0);
}

#[tokio::test]
async fn every_demo_login_still_lands_on_its_start_page_after_the_year_is_filled() {
    let app = spawn_app().await;
    let fill_pool = app.fill_pool().await;
    all_schools(zhurnal::demo::fill_school_year(
        &fill_pool,
        app.clock.as_ref(),
    ))
    .await
    .unwrap();
    zhurnal::demo::analyze(&app.owner_url).await.unwrap();
    for (login, path) in [
        ("teacher", "/teacher"),
        ("classteacher", "/class-teacher"),
        ("deputy", "/deputy"),
        ("parent", "/parent"),
    ] {
        let client = app.client();
        let response = client.login(login, "demo").await;
        assert_eq!(crate::helpers::path_of(&response), path, "{login}");
    }
}

#[tokio::test]
async fn a_demo_fill_killed_half_way_is_noticed_and_the_demo_is_filled_again_whole() {
    let app = spawn_app().await;
    let fill_pool = app.fill_pool().await;
    app.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 23, 9, 0, 0).unwrap());
    let school = scalar(&app, "SELECT id FROM school WHERE slug = 'demo-1'").await;
    use zhurnal::demo::FillState;
    assert_eq!(
        all_schools(zhurnal::demo::fill_state(&fill_pool))
            .await
            .unwrap(),
        FillState::NotStarted
    );
    // What a fill killed after its first steps leaves: its start recorded, a subject added.
    sqlx::query("INSERT INTO demo_fill (school_id, started_at) VALUES ($1, now())")
        .bind(school)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO subject (school_id, name, short_name) VALUES ($1, 'Русский язык', 'Рус. яз.')",
    )
    .bind(school)
    .execute(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        all_schools(zhurnal::demo::fill_state(&fill_pool))
            .await
            .unwrap(),
        FillState::Unfinished
    );
    // Filling the year on top of half a year is refused…
    let error = all_schools(zhurnal::demo::fill_school_year(
        &fill_pool,
        app.clock.as_ref(),
    ))
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("заполнен не до конца"),
        "{error}"
    );
    // …and `zhurnal demo` starts the demo over and fills it whole.
    all_schools(zhurnal::demo::prepare(
        &fill_pool,
        &app.owner_url,
        app.clock.as_ref(),
    ))
    .await
    .unwrap();
    assert_eq!(
        all_schools(zhurnal::demo::fill_state(&fill_pool))
            .await
            .unwrap(),
        FillState::Finished
    );
    let school = "(SELECT id FROM school WHERE slug = 'demo-1')";
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT count(*) FROM subject WHERE school_id = {school} AND name = 'Русский язык'"
            )
        )
        .await,
        1
    );
    assert!(scalar(&app, "SELECT count(*) FROM mark WHERE value IS NOT NULL").await > 20_000);
    let lessons = scalar(&app, "SELECT count(*) FROM lesson").await;
    assert!(lessons > 25_000, "{lessons} lessons");
    // Once whole, it is left alone.
    all_schools(zhurnal::demo::prepare(
        &fill_pool,
        &app.owner_url,
        app.clock.as_ref(),
    ))
    .await
    .unwrap();
    assert_eq!(scalar(&app, "SELECT count(*) FROM lesson").await, lessons);
    let teacher = app.signed_in("teacher").await;
    let (status, _) = teacher.text("/teacher").await;
    assert_eq!(status, reqwest::StatusCode::OK);
}

#[tokio::test]
async fn j11_a_whole_schools_accumulation_read_in_halves_equals_the_same_journals_read_class_by_class()
 {
    use std::collections::BTreeSet;
    use zhurnal::journal::accumulation::{Selection, journals};
    use zhurnal::tenancy::SchoolId;

    let app = spawn_app().await;
    let fill_pool = app.fill_pool().await;
    app.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 23, 9, 0, 0).unwrap());
    all_schools(zhurnal::demo::fill_school_year(
        &fill_pool,
        app.clock.as_ref(),
    ))
    .await
    .unwrap();
    let school = SchoolId(scalar(&app, "SELECT id FROM school WHERE slug = 'demo-1'").await);
    let year = scalar(
        &app,
        &format!(
            "SELECT min(id) FROM academic_year WHERE school_id = {}",
            school.0
        ),
    )
    .await;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    // Every pupil of every class journal with the rule's figures and verdict.
    type Line = (i64, i64, i64, i64, bool);
    let lines = |js: Vec<zhurnal::journal::accumulation::Journal>| -> BTreeSet<Line> {
        js.into_iter()
            .filter(|j| j.class_id.is_some())
            .flat_map(|j| {
                let group = j.group_id;
                j.pupils
                    .into_iter()
                    .map(move |p| (group, p.pupil_id, p.marks, p.attended, p.short()))
            })
            .collect()
    };
    let selection = Selection {
        year_id: Some(year),
        ..Selection::default()
    };
    let whole = zhurnal::db::scope::school(school, journals(&app.app_pool, school, selection, day))
        .await
        .unwrap();
    // The whole school is read in two halves at once (from 40 journals on), a class at once.
    assert!(whole.len() > 40, "{} journals", whole.len());
    let whole = lines(whole);
    let classes: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM school_class WHERE school_id = $1 AND academic_year_id = $2",
    )
    .bind(school.0)
    .bind(year)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut by_class = BTreeSet::new();
    for class in classes {
        let one = Selection {
            class_id: Some(class),
            ..selection
        };
        let js = zhurnal::db::scope::school(school, journals(&app.app_pool, school, one, day))
            .await
            .unwrap();
        assert!(js.len() < 40);
        by_class.extend(lines(js));
    }
    assert_eq!(whole, by_class);
    assert!(
        whole.iter().any(|l| l.2 > 0),
        "the demo's journals hold marks"
    );
}
