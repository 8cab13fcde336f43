//! The monthly user activity report and the teachers' time sheet (regulations §5): every figure
//! of October 2026 against a hand count of what the test does in the first demo school (a teacher
//! signing in twice on one day, a parent who opens the diary, acknowledges a week and writes to
//! the class teacher, who answers; a pupil who signed in only in September; journal entries on two
//! days and one just after the month in school time); the XLSX and CSV equal the page; a bad month
//! is a message; who may open it.

use chrono::{DateTime, TimeZone, Utc};
use reqwest::StatusCode;

use crate::helpers::{TestApp, path_of, spawn_app};
use crate::tables::{cells, csv, page, row, table_cells, xlsx};

/// `d`.`m`.2026 at `h`:`min` in Moscow.
fn msk(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap() - chrono::Duration::hours(3)
}

async fn school(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT id FROM school WHERE slug = 'demo-1'")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// A journal entry (or another audited change) by `login` at `at`, as `audit::record` writes it.
async fn audited(app: &TestApp, login: &str, action: &str, at: DateTime<Utc>) {
    let school = school(app).await;
    let actor = app.account_id(login).await;
    sqlx::query(
        "INSERT INTO audit_event (school_id, at, actor_account_id, actor_role, action, subject_type, subject_id)
         VALUES ($1, $2, $3, 'teacher', $4, 'lesson', 1)",
    )
    .bind(school)
    .bind(at)
    .bind(actor)
    .bind(action)
    .execute(&app.pool)
    .await
    .unwrap();
}

/// October 2026 in the first demo school, as the test makes it.
async fn october(app: &TestApp) {
    // A pupil signs in in September only: not October's.
    app.clock.set(msk(9, 15, 10, 0));
    app.signed_in("student").await;
    // The teacher signs in twice on Monday 5 October: one teacher.
    app.clock.set(msk(10, 5, 8, 0));
    app.signed_in("teacher").await;
    app.clock.set(msk(10, 5, 14, 0));
    app.signed_in("teacher").await;
    // The parent signs in on Thursday 8 October (landing on the diary: one opening), acknowledges
    // the week of 5 October (back on the diary: a second opening) and writes to the class teacher.
    app.clock.set(msk(10, 8, 19, 0));
    let parent = app.signed_in("parent").await;
    let pupil: i64 = sqlx::query_scalar(
        "SELECT m.pupil_id FROM membership m JOIN account a ON a.id = m.account_id
         WHERE a.login = 'parent' AND m.role = 'parent'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let r = parent
        .post(
            "/diary/ack",
            &[("pupil", &pupil.to_string()), ("week", "2026-10-05")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let to = format!("{pupil}:{}", app.account_id("classteacher").await);
    let r = parent
        .post(
            "/messages/new",
            &[("to", &to), ("subject", "Вопрос"), ("body", "Здравствуйте")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let thread = path_of(&r);
    // The class teacher answers on 9 October: a second teacher signed in, a message from staff.
    app.clock.set(msk(10, 9, 9, 0));
    let class_teacher = app.signed_in("classteacher").await;
    let r = class_teacher
        .post(&thread, &[("body", "Добрый день")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // The teacher's journal entries: two on 5 October, one on 12 October; one at 00:30 on
    // 1 November in Moscow (still 31 October in UTC) is November's; a change that is not a
    // journal entry (a substitution) counts for nothing.
    audited(app, "teacher", "mark.given", msk(10, 5, 10, 0)).await;
    audited(app, "teacher", "lesson.recorded", msk(10, 5, 11, 0)).await;
    audited(app, "teacher", "absence.marked", msk(10, 12, 9, 0)).await;
    audited(app, "teacher", "mark.corrected", msk(11, 1, 0, 30)).await;
    audited(app, "teacher", "substitution.registered", msk(10, 20, 9, 0)).await;
}

/// A number as the XLSX reader writes it (100,0 on the page and in the CSV is 100 there).
fn number(text: &str) -> String {
    text.replace(',', ".")
        .parse::<f64>()
        .map_or(text.to_string(), zhurnal::exports::table::number_text)
}

#[tokio::test]
async fn s5_the_activity_of_a_month_counts_people_who_signed_in_diary_openings_acknowledgements_messages_and_days_with_journal_entries()
 {
    let app = spawn_app().await;
    october(&app).await;
    app.clock.set(msk(11, 20, 12, 0));
    let director = app.signed_in("director").await;
    let html = page(&director, "/reports/activity?month=2026-10").await;
    assert!(
        html.contains("Активность пользователей — октябрь 2026"),
        "{html}"
    );

    // Signed in: the teacher (twice on one day: once) and the class teacher of the 2 teachers;
    // the 1 parent; not the 1 pupil (September).
    let logins = table_cells(&html, "report-table activity-logins");
    assert_eq!(
        logins,
        vec![
            vec!["Учителя", "2", "2", "100,0"],
            vec!["Родители", "1", "1", "100,0"],
            vec!["Обучающиеся", "0", "1", "0,0"],
        ]
    );
    // The diary: the parent's landing page and the page after «Ознакомлен» (2 openings, 1 parent);
    // the pupil opened it in September only. One acknowledgement; the parent's message and the
    // class teacher's answer.
    let figures = table_cells(&html, "report-table activity-figures");
    assert_eq!(
        figures,
        vec![
            vec!["Открытий дневника", "2"],
            vec!["Родителей, открывавших дневник", "1"],
            vec!["Обучающихся, открывавших дневник", "0"],
            vec!["Отметок «Ознакомлен»", "1"],
            vec!["Родителей, нажимавших «Ознакомлен»", "1"],
            vec!["Сообщений отправлено", "2"],
            vec!["из них родителями", "1"],
            vec!["из них сотрудниками", "1"],
        ]
    );
    // The time sheet: 31 days; the teacher on the 5th and the 12th, the class teacher on none.
    let sheet = table_cells(&html, "report-table time-sheet");
    assert_eq!(sheet.len(), 2, "{sheet:?}");
    let mut teacher = vec![String::new(); 31];
    teacher[4] = "✓".into();
    teacher[11] = "✓".into();
    assert_eq!(sheet[0][..2], ["Васильева Н. С.", "2"]);
    assert_eq!(sheet[0][2..], teacher[..]);
    assert_eq!(sheet[1][..2], ["Соколов Д. А.", "0"]);
    assert!(sheet[1][2..].iter().all(|c| c.is_empty()));
    assert!(html.contains("Как считаются показатели"));

    // The files hold the page's figures: section, what, number, of, share, then the days.
    for rows in [
        xlsx(&director, "/reports/activity.xlsx?month=2026-10").await,
        csv(&director, "/reports/activity.csv?month=2026-10")
            .await
            .lines()
            .map(|l| {
                l.split(';')
                    .map(|c| c.trim_matches('"').to_string())
                    .collect()
            })
            .collect::<Vec<Vec<String>>>(),
    ] {
        for l in &logins {
            let r = row(&rows, "Вошли в систему", &l[0]);
            let file: Vec<String> = r[2..5].iter().map(|c| number(c)).collect();
            let shown: Vec<String> = l[1..4].iter().map(|c| number(c)).collect();
            assert_eq!(file, shown, "{r:?}");
        }
        for f in &figures {
            let r = row(&rows, "Дневник и сообщения", &f[0]);
            assert_eq!(r[2], f[1], "{r:?}");
        }
        for s in &sheet {
            let r = row(&rows, "Табель: дней с записями", &s[0]);
            assert_eq!(r[2], s[1], "{r:?}");
            assert_eq!(r[5..], s[2..], "{r:?}");
        }
    }

    // Without a month: the current one (November: the director signed in; nobody else).
    let html = page(&director, "/reports/activity").await;
    assert!(html.contains("ноябрь 2026"));
    let sheet = table_cells(&html, "report-table time-sheet");
    assert_eq!(sheet[0].len(), 2 + 30, "November has 30 days");
    // The entry at 00:30 on 1 November (Moscow) is November's.
    assert_eq!(sheet[0][..3], ["Васильева Н. С.", "1", "✓"]);
}

#[tokio::test]
async fn a_bad_or_future_month_is_a_russian_message_and_no_figures() {
    let app = spawn_app().await;
    app.clock.set(msk(11, 20, 12, 0));
    let deputy = app.signed_in("deputy").await;
    for (month, message) in [
        ("2026-13", "Месяц в виде ГГГГ-ММ, например 2026-11."),
        ("октябрь", "Месяц в виде ГГГГ-ММ, например 2026-11."),
        ("2026-12", "Этот месяц ещё не наступил"),
    ] {
        let html = page(&deputy, &format!("/reports/activity?month={month}")).await;
        assert!(html.contains(message), "{month}: {html}");
        assert!(!html.contains("activity-logins"), "{month}: no figures");
        assert!(html.contains(&format!("value=\"{month}\"")), "refilled");
        for ext in ["csv", "xlsx"] {
            let r = deputy
                .get(&format!("/reports/activity.{ext}?month={month}"))
                .await;
            assert_eq!(
                r.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{month}.{ext}"
            );
        }
    }
}

#[tokio::test]
async fn s5_the_administrator_director_and_deputies_see_the_activity_report_teachers_parents_and_pupils_get_403()
 {
    let app = spawn_app().await;
    for login in ["admin", "director", "deputy"] {
        let client = app.signed_in(login).await;
        let html = page(&client, "/reports/activity").await;
        assert!(html.contains("Табель работы с журналом"), "{login}");
    }
    // The administrator's menu leads there; the reports' index is not theirs.
    let admin = app.signed_in("admin").await;
    let home = page(&admin, "/admin").await;
    assert!(home.contains("href=\"/reports/activity\""));
    assert_eq!(admin.get("/reports").await.status(), StatusCode::FORBIDDEN);
    // The index lists the report for the director, not for a teacher.
    let director = app.signed_in("director").await;
    assert!(
        page(&director, "/reports")
            .await
            .contains("/reports/activity")
    );
    let teacher = app.signed_in("teacher").await;
    assert!(
        !page(&teacher, "/reports")
            .await
            .contains("/reports/activity")
    );
    for login in ["teacher", "classteacher", "parent", "student"] {
        let client = app.signed_in(login).await;
        for path in [
            "/reports/activity",
            "/reports/activity.csv",
            "/reports/activity.xlsx",
        ] {
            assert_eq!(
                client.get(path).await.status(),
                StatusCode::FORBIDDEN,
                "{login} {path}"
            );
        }
    }
    // Another school's director sees their own school's figures only (nobody signed in here).
    let other = app.signed_in("director2").await;
    let html = page(&other, "/reports/activity").await;
    let rows = cells(
        html.split("activity-logins")
            .nth(1)
            .unwrap()
            .split("</table>")
            .next()
            .unwrap(),
    );
    assert_eq!(rows[0][..3], ["Учителя", "0", "1"]);
}
