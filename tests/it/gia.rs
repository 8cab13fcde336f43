//! J17 (regulations §3): ГИА results — ОГЭ in grade 9, ЕГЭ in grade 11 — entered by the deputy
//! no later than `gia_entry_days` (default 1) after the results arrive; a later entry is
//! accepted and flagged; shown on the class's ГИА page, the summary sheet and the pupil's diary;
//! audited.

use chrono::{TimeZone, Utc};
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::journal::{Journal, journal_of};

/// Moscow wall-clock time in June 2026 as UTC.
fn june(d: u32, h: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, d, h, 0, 0).unwrap() - chrono::Duration::hours(3)
}

async fn class_of(app: &TestApp, grade: i16, letter: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT c.id FROM school_class c JOIN school s ON s.id = c.school_id
         WHERE s.slug = 'demo-1' AND c.grade = $1 AND c.letter = $2",
    )
    .bind(grade)
    .bind(letter)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn subject(app: &TestApp, name: &str) -> String {
    let id: i64 = sqlx::query_scalar(
        "SELECT s.id FROM subject s JOIN school k ON k.id = s.school_id
         WHERE k.slug = 'demo-1' AND s.name = $1",
    )
    .bind(name)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    id.to_string()
}

async fn results(app: &TestApp) -> Vec<(i64, bool)> {
    sqlx::query_as("SELECT pupil_id, late_entry FROM gia_result ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

/// 9А learns mathematics (so it has a summary sheet); the clock stands on 16 June.
async fn grade_9() -> Journal {
    let j = journal_of(9, "А", "Математика", "five_point").await;
    j.app.clock.set(june(16, 10));
    j
}

#[tokio::test]
async fn j17_the_deputy_enters_an_oge_result_the_day_after_and_it_shows_on_the_class_page_the_summary_sheet_and_the_diary()
 {
    let j = grade_9().await;
    // The demo family's child (Морозов Иван) sits in 9А for this test.
    let ivan: i64 = sqlx::query_scalar(
        "SELECT pupil_id FROM membership m JOIN account a ON a.id = m.account_id
         WHERE a.login = 'student' AND m.role = 'pupil'",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE class_enrollment SET class_id = $1 WHERE pupil_id = $2")
        .bind(j.class_id)
        .bind(ivan)
        .execute(&j.app.pool)
        .await
        .unwrap();
    let maths = subject(&j.app, "Математика").await;
    let deputy = j.app.signed_in("deputy").await;
    let r = deputy
        .post(
            &format!("/classes/{}/gia", j.class_id),
            &[
                ("pupil", &ivan.to_string()),
                ("subject", &maths),
                ("exam_date", "2026-06-02"),
                ("results_on", "15.06.2026"),
                ("primary_score", "18"),
                ("mark", "4"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("Результат внесён."), "{page}");
    assert!(page.contains("Морозов Иван") && page.contains("<td>ОГЭ</td>"));
    assert!(!page.contains("внесено с опозданием"));
    assert_eq!(results(&j.app).await, vec![(ivan, false)]);

    let audited: (i64, serde_json::Value) = sqlx::query_as(
        "SELECT pupil_id, after FROM audit_event WHERE action = 'gia_result.entered'",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    assert_eq!(audited.0, ivan);
    assert_eq!(audited.1["primary_score"], 18);

    let director = j.app.signed_in("director").await;
    let (status, sheet) = director
        .text(&format!("/classes/{}/summary", j.class_id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        sheet.contains("Результаты ГИА")
            && sheet.contains(
                "<td>ОГЭ</td><td>Математика</td><td>02.06.2026</td><td>18</td><td></td><td>4</td>"
            ),
        "{sheet}"
    );

    let parent = j.app.signed_in("parent").await;
    let (status, diary) = parent.text("/diary/marks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        diary.contains("Результаты ГИА") && diary.contains(">ОГЭ</td>"),
        "{diary}"
    );
    // The administrator sees that a result was entered, not the score.
    let admin = j.app.signed_in("admin").await;
    let (_, audit) = admin.text("/audit?kind=gia_result.entered").await;
    assert!(audit.contains("Внесён результат ГИА") && !audit.contains("первичный балл: 18"));
    let (_, audit) = director.text("/audit?kind=gia_result.entered").await;
    assert!(audit.contains("первичный балл: 18"));
}

#[tokio::test]
async fn j17_a_result_entered_two_days_after_it_arrived_is_accepted_and_flagged_late_unless_the_school_allows_more_days()
 {
    let j = grade_9().await;
    j.app.clock.set(june(17, 10));
    let maths = subject(&j.app, "Математика").await;
    let pupil = j.pupils[0].to_string();
    let deputy = j.app.signed_in("deputy").await;
    let entry = |date: &'static str| {
        vec![
            ("pupil", pupil.clone()),
            ("subject", maths.clone()),
            ("exam_date", date.to_string()),
            ("results_on", "2026-06-15".to_string()),
            ("primary_score", "25".to_string()),
            ("mark", "5".to_string()),
        ]
    };
    let form = entry("2026-06-02");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = deputy
        .post(&format!("/classes/{}/gia", j.class_id), &form)
        .await;
    let page = r.text().await.unwrap();
    assert!(page.contains("внесён с опозданием"), "{page}");
    assert!(page.contains("внесено с опозданием"));
    assert_eq!(results(&j.app).await, vec![(j.pupils[0], true)]);

    // The school allows 3 days on «Настройки школы»: the retake entered on the 17th is on time.
    let admin = j.app.signed_in("admin").await;
    let r = admin
        .post(
            "/admin/settings",
            &crate::settings::form(&[("gia_entry_days", "3")]),
        )
        .await;
    assert!(r.text().await.unwrap().contains("Настройки сохранены."));
    let form = entry("2026-06-03");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = deputy
        .post(&format!("/classes/{}/gia", j.class_id), &form)
        .await;
    assert!(r.text().await.unwrap().contains("Результат внесён."));
    assert_eq!(
        results(&j.app).await,
        vec![(j.pupils[0], true), (j.pupils[0], false)]
    );
}

#[tokio::test]
async fn j17_an_ege_result_of_grade_11_takes_a_test_score_and_bad_entries_come_back_422_in_russian()
{
    let j = grade_9().await;
    let maths = subject(&j.app, "Математика").await;
    let deputy = j.app.signed_in("deputy").await;
    let url = format!("/classes/{}/gia", j.class_id);
    let other_class_pupil: i64 = sqlx::query_scalar(
        "SELECT pupil_id FROM class_enrollment WHERE class_id <> $1 ORDER BY id LIMIT 1",
    )
    .bind(j.class_id)
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let r = deputy
        .post(
            &url,
            &[
                ("pupil", &other_class_pupil.to_string()),
                ("subject", "abc"),
                ("exam_date", "2026-06-20"),
                ("results_on", "2026-06-10"),
                ("primary_score", "сто"),
                ("test_score", "70"),
                ("mark", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    for message in [
        "Выберите обучающегося из списка",
        "Выберите предмет из списка",
        "Укажите дату не раньше дня экзамена",
        "Целое число от 0 до 100",
        "У ОГЭ нет тестового балла",
        "Укажите отметку ОГЭ (2–5)",
    ] {
        assert!(page.contains(message), "{message}");
    }
    assert!(
        page.contains("value=\"сто\""),
        "the form comes back as typed"
    );
    assert!(results(&j.app).await.is_empty(), "nothing written");

    // Grade 11 sits ЕГЭ: a test score and no mark.
    let class_11 = class_of(&j.app, 11, "А").await;
    let pupil_11: i64 = sqlx::query_scalar(
        "SELECT pupil_id FROM class_enrollment WHERE class_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(class_11)
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let r = deputy
        .post(
            &format!("/classes/{class_11}/gia"),
            &[
                ("pupil", &pupil_11.to_string()),
                ("subject", &maths),
                ("exam_date", "2026-06-04"),
                ("results_on", "2026-06-16"),
                ("primary_score", "20"),
                ("test_score", "86"),
            ],
        )
        .await;
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Результат внесён.") && page.contains("<td>ЕГЭ</td>"),
        "{page}"
    );
    assert!(page.contains("<td>20</td><td>86</td>"));
}

#[tokio::test]
async fn j17_only_the_deputy_enters_results_grade_5_has_none_and_another_schools_class_is_404() {
    let j = grade_9().await;
    let maths = subject(&j.app, "Математика").await;
    let pupil = j.pupils[0].to_string();
    let url = format!("/classes/{}/gia", j.class_id);
    let form = [
        ("pupil", pupil.as_str()),
        ("subject", maths.as_str()),
        ("exam_date", "2026-06-02"),
        ("results_on", "2026-06-15"),
        ("primary_score", "18"),
        ("mark", "4"),
    ];
    for login in ["teacher", "director", "admin", "classteacher"] {
        let who = j.app.signed_in(login).await;
        let r = who.post(&url, &form).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{login}");
    }
    // The director reads the page (no form); the administrator and a teacher do not.
    let director = j.app.signed_in("director").await;
    let (status, page) = director.text(&url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("Внести результат"));
    for login in ["admin", "teacher", "parent"] {
        let (status, _) = j.app.signed_in(login).await.text(&url).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
    }
    let (status, _) = j.app.signed_in("director2").await.text(&url).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let deputy = j.app.signed_in("deputy").await;
    let class_5 = class_of(&j.app, 5, "Б").await;
    let r = deputy.post(&format!("/classes/{class_5}/gia"), &form).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("для 9 и 11 классов"));
    assert!(results(&j.app).await.is_empty());
}
