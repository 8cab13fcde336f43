//! The teacher's journal (regulations §3, J1–J17): each test names the clause it checks and
//! works as the users do — over HTTP, with the clock standing where the clause needs it.

use chrono::{DateTime, TimeZone, Utc};
use reqwest::StatusCode;

use crate::helpers::{Client, TestApp, spawn_app};

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

/// Moscow wall-clock time (the demo school's zone) as UTC.
pub(crate) fn msk(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap() - chrono::Duration::hours(3)
}

pub(crate) struct Journal {
    pub(crate) app: TestApp,
    pub(crate) teacher: Client,
    pub(crate) group: i64,
    pub(crate) class_id: i64,
    /// Pupils of the class, in the journal's order.
    pub(crate) pupils: Vec<i64>,
}

impl Journal {
    /// The lesson of the group on a date (2026).
    pub(crate) async fn lesson(&self, m: u32, d: u32) -> i64 {
        sqlx::query_scalar(
            "SELECT id FROM lesson WHERE group_id = $1 AND lesson_date = make_date(2026, $2, $3)",
        )
        .bind(self.group)
        .bind(m as i32)
        .bind(d as i32)
        .fetch_one(&self.app.pool)
        .await
        .unwrap()
    }

    /// The first quarter of grade 5 in the demo's school (the journal's period 1).
    pub(crate) async fn first_quarter(&self) -> i64 {
        sqlx::query_scalar(
            "SELECT p.id FROM study_period p JOIN period_scheme ps ON ps.id = p.scheme_id
             JOIN school s ON s.id = ps.school_id
             WHERE s.slug = 'demo-1' AND 5 BETWEEN ps.grade_from AND ps.grade_to AND p.number = 1",
        )
        .fetch_one(&self.app.pool)
        .await
        .unwrap()
    }

    /// The deputy unlocks `lesson` of the journal until `until` (local, «2026-10-15T18:00») on
    /// the deputy's page, as a school does (J1).
    pub(crate) async fn unlock(&self, lesson: i64, until: &str) {
        let deputy = self.app.signed_in("deputy").await;
        let r = deputy
            .post(
                &format!("/journal/{}/unlocks", self.group),
                &[
                    ("lesson", &lesson.to_string()),
                    ("until", until),
                    ("reason", "Учитель болел"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    /// Types into a grid cell as htmx does; returns the status and the cell's HTML.
    pub(crate) async fn type_cell(
        &self,
        who: &Client,
        lesson: i64,
        pupil: i64,
        value: &str,
        extra: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let lesson = lesson.to_string();
        let pupil = pupil.to_string();
        let mut form = vec![
            ("lesson", lesson.as_str()),
            ("pupil", pupil.as_str()),
            ("value", value),
        ];
        form.extend_from_slice(extra);
        let r = who.post_htmx("/journal/cells", &form).await;
        (r.status(), r.text().await.unwrap())
    }

    pub(crate) async fn mark_of(&self, lesson: i64, pupil: i64) -> Option<String> {
        sqlx::query_scalar(
            "SELECT m.value FROM mark m JOIN mark_column c ON c.id = m.column_id
             WHERE c.lesson_id = $1 AND m.pupil_id = $2",
        )
        .bind(lesson)
        .bind(pupil)
        .fetch_optional(&self.app.pool)
        .await
        .unwrap()
        .flatten()
    }
}

/// 5«Б» learns mathematics (five-point) with `teacher`, Mondays lesson 1 and Wednesdays lesson 2,
/// lessons generated for the year; the clock stands on `at`.
pub(crate) async fn journal_of(grade: i16, letter: &str, subject: &str, scale: &str) -> Journal {
    journal_with(
        grade,
        letter,
        subject,
        scale,
        "teacher",
        &[("1", "1"), ("3", "2")],
    )
    .await
}

/// A class's subject taught by `teacher_login` at `slots` (weekday, lesson number): as many hours
/// a week as slots, lessons generated for the year.
pub(crate) async fn journal_with(
    grade: i16,
    letter: &str,
    subject: &str,
    scale: &str,
    teacher_login: &str,
    slots: &[(&str, &str)],
) -> Journal {
    let app = spawn_app().await;
    let hours = slots.len().to_string();
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 8, 25, 9, 0, 0).unwrap());
    let deputy = app.signed_in("deputy").await;
    let class_id: i64 = sqlx::query_scalar(
        "SELECT c.id FROM school_class c JOIN school s ON s.id = c.school_id
         WHERE s.slug = 'demo-1' AND c.grade = $1 AND c.letter = $2",
    )
    .bind(grade)
    .bind(letter)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    deputy
        .post(
            "/setup/subjects",
            &[
                ("name", subject),
                ("component", "federal"),
                ("scale", scale),
            ],
        )
        .await;
    let subject_id: i64 = sqlx::query_scalar("SELECT id FROM subject WHERE name = $1")
        .bind(subject)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    deputy
        .post(
            &format!("/classes/{class_id}/curriculum"),
            &[("subject", &subject_id.to_string()), ("hours", &hours)],
        )
        .await;
    let group: i64 =
        sqlx::query_scalar("SELECT id FROM study_group WHERE class_id = $1 AND subject_id = $2")
            .bind(class_id)
            .bind(subject_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let teacher_id = app.account_id(teacher_login).await.to_string();
    deputy
        .post(
            &format!("/groups/{group}/teacher"),
            &[("teacher", &teacher_id), ("hours", &hours)],
        )
        .await;
    for &(weekday, number) in slots {
        let r = deputy
            .post(
                &format!("/classes/{class_id}/timetable"),
                &[
                    ("group", &group.to_string()),
                    ("weekday", weekday),
                    ("lesson_number", number),
                ],
            )
            .await;
        assert!(r.text().await.unwrap().contains("Урок добавлен"));
    }
    let pupils: Vec<i64> = sqlx::query_scalar(
        "SELECT p.id FROM class_enrollment e JOIN pupil p ON p.id = e.pupil_id
         WHERE e.class_id = $1 ORDER BY p.last_name, p.first_name, p.id",
    )
    .bind(class_id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let teacher = app.signed_in(teacher_login).await;
    Journal {
        app,
        teacher,
        group,
        class_id,
        pupils,
    }
}

pub(crate) async fn maths_5b() -> Journal {
    journal_of(5, "Б", "Математика", "five_point").await
}

#[tokio::test]
async fn j1_j2_a_mark_on_the_lesson_day_is_on_time_the_next_day_late_and_after_7_days_refused() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    let [p1, p2, p3, ..] = j.pupils[..] else {
        panic!("pupils")
    };

    j.app.clock.set(msk(10, 5, 9, 0));
    let (status, html) = j.type_cell(&j.teacher, monday, p1, "5", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("value=\"5\"") && html.contains("сохранено"),
        "{html}"
    );
    assert_eq!(j.mark_of(monday, p1).await.as_deref(), Some("5"));

    j.app.clock.set(msk(10, 6, 8, 0));
    let (_, html) = j.type_cell(&j.teacher, monday, p2, "4", &[]).await;
    assert!(html.contains("с опозданием"), "{html}");
    assert_eq!(
        scalar(
            &j.app,
            &format!("SELECT count(*) FROM mark WHERE pupil_id = {p2} AND late_entry")
        )
        .await,
        1
    );

    j.app.clock.set(msk(10, 13, 0, 1));
    let (_, html) = j.type_cell(&j.teacher, monday, p3, "3", &[]).await;
    assert!(
        html.contains("закрыт: записи вносятся не позднее"),
        "{html}"
    );
    assert!(
        !html.contains("(J"),
        "no regulation code on the page: {html}"
    );
    assert_eq!(j.mark_of(monday, p3).await, None, "nothing written");

    // An unlock by a deputy in force reopens it (given on the deputy's page, as a school does:
    // the teacher's lesson may be kept between her saves, `journal::kept`); the entry is still
    // flagged late.
    j.unlock(monday, "2026-10-14T00:00").await;
    let (_, html) = j.type_cell(&j.teacher, monday, p3, "3", &[]).await;
    assert!(html.contains("с опозданием"), "{html}");
    j.app.clock.set(msk(10, 14, 0, 1));
    let (_, html) = j
        .type_cell(
            &j.teacher,
            monday,
            p3,
            "",
            &[("was", "3"), ("reason", "ошибка")],
        )
        .await;
    assert!(
        html.contains("закрыт: записи вносятся не позднее"),
        "the unlock has expired: {html}"
    );
}

#[tokio::test]
async fn j3_no_mark_before_the_lesson_starts_and_the_mark_bears_the_lessons_date() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    let p = j.pupils[0];
    j.app.clock.set(msk(10, 5, 8, 29));
    let (_, html) = j.type_cell(&j.teacher, monday, p, "5", &[]).await;
    assert!(
        html.contains("ещё не начался") && html.contains("не заранее"),
        "{html}"
    );
    assert_eq!(j.mark_of(monday, p).await, None);
    j.app.clock.set(msk(10, 7, 12, 0));
    j.type_cell(&j.teacher, monday, p, "5", &[]).await;
    let given_on: chrono::NaiveDate =
        sqlx::query_scalar("SELECT given_on FROM mark WHERE pupil_id = $1")
            .bind(p)
            .fetch_one(&j.app.pool)
            .await
            .unwrap();
    assert_eq!(
        given_on.to_string(),
        "2026-10-05",
        "the lesson's date, not the day of entry"
    );
}

#[tokio::test]
async fn j4_a_control_work_is_on_time_within_its_3_day_checking_period() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let control: i64 = sqlx::query_scalar(
        "SELECT w.id FROM work_type w JOIN school s ON s.id = w.school_id
         WHERE s.slug = 'demo-1' AND w.name = 'Контрольная работа'",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let r = j
        .teacher
        .post(
            &format!("/lessons/{monday}/columns/type"),
            &[("work_type", &control.to_string())],
        )
        .await;
    assert!(r.text().await.unwrap().contains("Вид работы изменён"));
    j.app.clock.set(msk(10, 8, 20, 0));
    let (_, html) = j.type_cell(&j.teacher, monday, j.pupils[0], "4", &[]).await;
    assert!(
        html.contains("сохранено") && !html.contains("опозданием"),
        "{html}"
    );
    j.app.clock.set(msk(10, 9, 8, 0));
    let (_, html) = j.type_cell(&j.teacher, monday, j.pupils[1], "3", &[]).await;
    assert!(html.contains("с опозданием"), "{html}");
    // The journal's column header names the work type.
    let (_, page) = j.teacher.text(&format!("/journal/{}", j.group)).await;
    assert!(page.contains("<small>К"), "{page}");
}

#[tokio::test]
async fn j6_correcting_a_current_mark_needs_a_reason_and_the_cell_history_shows_it() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    let p = j.pupils[0];
    j.app.clock.set(msk(10, 5, 9, 0));
    j.type_cell(&j.teacher, monday, p, "3", &[]).await;
    let (_, html) = j
        .type_cell(&j.teacher, monday, p, "4", &[("was", "3")])
        .await;
    assert!(
        html.contains("укажите причину") && html.contains("name=\"reason\""),
        "{html}"
    );
    assert!(
        html.contains("value=\"4\""),
        "what was typed stays in the cell: {html}"
    );
    assert_eq!(j.mark_of(monday, p).await.as_deref(), Some("3"));
    let (_, html) = j
        .type_cell(
            &j.teacher,
            monday,
            p,
            "4",
            &[("was", "3"), ("reason", "перепутал строку")],
        )
        .await;
    assert!(html.contains("сохранено"), "{html}");
    assert_eq!(j.mark_of(monday, p).await.as_deref(), Some("4"));
    let (status, history) = j
        .teacher
        .text(&format!("/journal/history?lesson={monday}&pupil={p}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(history.contains("Исправлена отметка") && history.contains("перепутал строку"));
    assert!(history.contains("Васильева"), "who");
    let reason: String =
        sqlx::query_scalar("SELECT reason FROM audit_event WHERE action = 'mark.corrected'")
            .fetch_one(&j.app.pool)
            .await
            .unwrap();
    assert_eq!(reason, "перепутал строку");
}

#[tokio::test]
async fn j6_two_people_saving_the_same_cell_the_second_is_told_it_changed() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    let p = j.pupils[0];
    j.app.clock.set(msk(10, 5, 9, 0));
    // Both pages showed an empty cell; the first saves «5», the second «4».
    let (_, first) = j
        .type_cell(&j.teacher, monday, p, "5", &[("was", "")])
        .await;
    assert!(first.contains("сохранено"));
    let other_tab = j.app.signed_in("teacher").await;
    let (_, second) = j
        .type_cell(&other_tab, monday, p, "4", &[("was", "")])
        .await;
    assert!(
        second.contains("уже изменили") && second.contains("«5»"),
        "{second}"
    );
    assert!(
        second.contains("value=\"5\""),
        "the current value is shown: {second}"
    );
    assert_eq!(j.mark_of(monday, p).await.as_deref(), Some("5"));
}

#[tokio::test]
async fn j9_absence_and_a_later_mark_share_the_cell_and_the_class_teacher_sets_the_reason() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    let p = j.pupils[2];
    j.app.clock.set(msk(10, 5, 9, 0));
    let (_, html) = j.type_cell(&j.teacher, monday, p, "н", &[]).await;
    assert!(html.contains("value=\"н\""), "{html}");
    // Passed the topic later: the mark goes into the column and the absence stays visible.
    j.app.clock.set(msk(10, 7, 9, 0));
    let (_, html) = j
        .type_cell(&j.teacher, monday, p, "н5", &[("was", "н")])
        .await;
    assert!(html.contains("value=\"н5\""), "{html}");

    // The class teacher reads the subject's journal but may not write marks.
    let ct = j.app.signed_in("classteacher").await;
    let (status, page) = ct.text(&format!("/journal/{}", j.group)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("data-save=\"/journal/cells\"") && !page.contains("<input name=\"value\""),
        "read-only for the class teacher"
    );
    let (_, html) = j.type_cell(&ct, monday, j.pupils[0], "5", &[]).await;
    assert!(
        html.contains("записывает только причины пропусков"),
        "{html}"
    );
    let r = ct
        .post(
            &format!("/lessons/{monday}/reasons"),
            &[(&format!("reason_{p}"), "ill")],
        )
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Причины пропусков сохранены")
    );
    let reason: String = sqlx::query_scalar("SELECT reason FROM absence WHERE pupil_id = $1")
        .bind(p)
        .fetch_one(&j.app.pool)
        .await
        .unwrap();
    assert_eq!(reason, "ill");
    let (_, grid) = j.teacher.text(&format!("/journal/{}", j.group)).await;
    assert!(grid.contains("value=\"н5\""));
    // The teacher may not set reasons.
    let r = j
        .teacher
        .post(
            &format!("/lessons/{monday}/reasons"),
            &[(&format!("reason_{p}"), "unexcused")],
        )
        .await;
    assert!(r.text().await.unwrap().contains("классный руководитель"));
}

#[tokio::test]
async fn j10_grade_one_takes_attendance_topic_and_homework_but_refuses_marks() {
    let j = journal_of(1, "А", "Окружающий мир", "five_point").await;
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 9, 0));
    let (_, html) = j.type_cell(&j.teacher, monday, j.pupils[0], "5", &[]).await;
    assert!(
        html.contains("в 1 классе — ни по одному предмету"),
        "{html}"
    );
    let (_, html) = j.type_cell(&j.teacher, monday, j.pupils[0], "н", &[]).await;
    assert!(html.contains("сохранено"), "{html}");
    let r = j
        .teacher
        .post(
            &format!("/lessons/{monday}"),
            &[("topic", "Мы и природа"), ("homework_none", "on")],
        )
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Запись об уроке сохранена")
    );
    assert_eq!(
        scalar(&j.app, "SELECT count(*) FROM mark WHERE value IS NOT NULL").await,
        0
    );
}

#[tokio::test]
async fn j7_j1_homework_and_none_set_after_the_window_are_saved_flagged_late_until_the_lesson_locks()
 {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    // Only this lesson on Monday: lesson 1 ends at 09:15, the window is 2 hours.
    j.app.clock.set(msk(10, 5, 11, 10));
    let r = j
        .teacher
        .post(
            &format!("/lessons/{monday}"),
            &[
                ("topic", "Натуральные числа"),
                ("homework", "§ 1, № 5–9"),
                ("homework_minutes", "30"),
            ],
        )
        .await;
    let page = r.text().await.unwrap();
    assert!(page.contains("Запись об уроке сохранена"), "{page}");
    assert!(!page.contains("внесено с опозданием"), "on time: {page}");

    // Wednesday's lesson 2 ends at 10:05: at 12:30 the window is over — saved, flagged late.
    let wednesday = j.lesson(10, 7).await;
    j.app.clock.set(msk(10, 7, 12, 30));
    let (_, page) = j.teacher.text(&format!("/lessons/{wednesday}")).await;
    assert!(
        page.contains("Время записи домашнего задания (2 ч после последнего урока класса) прошло"),
        "the page says so before saving: {page}"
    );
    let r = j
        .teacher
        .post(
            &format!("/lessons/{wednesday}"),
            &[("topic", "Сложение"), ("homework", "§ 2")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("Запись об уроке сохранена"), "{page}");
    assert!(
        page.contains(
            "Домашнее задание внесено с опозданием: позже 2 ч после последнего урока класса."
        ),
        "{page}"
    );
    // The journal shows it over the lesson's column, as late marks are shown in their cells.
    let (_, grid) = j.teacher.text(&format!("/journal/{}", j.group)).await;
    assert_eq!(
        grid.matches("title=\"Домашнее задание внесено с опозданием\"")
            .count(),
        1,
        "only Wednesday's lesson is flagged"
    );
    // «Не задано» after the window likewise (it used to get the homework's refusal).
    let next_monday = j.lesson(10, 12).await;
    j.app.clock.set(msk(10, 13, 8, 0));
    let r = j
        .teacher
        .post(
            &format!("/lessons/{next_monday}"),
            &[("topic", "Вычитание"), ("homework_none", "on")],
        )
        .await;
    let page = r.text().await.unwrap();
    assert!(page.contains("Запись об уроке сохранена"), "{page}");
    let flags: Vec<(i64, bool, bool, Option<String>)> = sqlx::query_as(
        "SELECT id, homework_late, homework_none, homework FROM lesson WHERE id = ANY($1) ORDER BY lesson_date",
    )
    .bind(vec![monday, wednesday, next_monday])
    .fetch_all(&j.app.pool)
    .await
    .unwrap();
    assert_eq!(
        flags,
        [
            (monday, false, false, Some("§ 1, № 5–9".to_string())),
            (wednesday, true, false, Some("§ 2".to_string())),
            (next_monday, true, true, None),
        ]
    );
    // Audited with the flag.
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'lesson.recorded' AND subject_id = $1
           AND after ->> 'homework_late' = 'true'",
    )
    .bind(wednesday)
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    // Both things at once stay refused, the text kept.
    let r = j
        .teacher
        .post(
            &format!("/lessons/{wednesday}"),
            &[
                ("topic", "Сложение"),
                ("homework", "§ 2"),
                ("homework_none", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Либо задание, либо «Не задано»")
    );
    // After the J1 lock (7 days) the lesson itself is closed: refused, the text kept.
    j.app.clock.set(msk(10, 15, 9, 0));
    let r = j
        .teacher
        .post(
            &format!("/lessons/{wednesday}"),
            &[("topic", "Сложение"), ("homework", "§ 2, № 1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("закрыт: записи вносятся не позднее") && page.contains("§ 2, № 1"),
        "refused by the lock, the text kept: {page}"
    );
    let homework: Option<String> = sqlx::query_scalar("SELECT homework FROM lesson WHERE id = $1")
        .bind(wednesday)
        .fetch_one(&j.app.pool)
        .await
        .unwrap();
    assert_eq!(homework.as_deref(), Some("§ 2"));
    // The parent's diary shows the homework, without the flag (late marks are not shown there
    // either).
    let parent = j.app.signed_in("parent").await;
    let (_, diary) = parent.text("/diary?week=2026-10-05").await;
    assert!(diary.contains("§ 2"), "{diary}");
    assert!(!diary.contains("опозданием"), "{diary}");
}

#[tokio::test]
async fn j9_the_class_teacher_teaching_their_own_class_marks_the_lesson_and_sets_the_absence_reason()
 {
    // Соколов is 5«Б»'s class teacher and teaches it history: both capacities at once.
    let j = journal_with(
        5,
        "Б",
        "История",
        "five_point",
        "classteacher",
        &[("2", "1"), ("4", "2")],
    )
    .await;
    let tuesday = j.lesson(10, 6).await;
    let p = j.pupils[1];
    j.app.clock.set(msk(10, 6, 9, 10));
    let (_, html) = j.type_cell(&j.teacher, tuesday, p, "н", &[]).await;
    assert!(html.contains("сохранено"), "{html}");
    let (_, html) = j
        .type_cell(&j.teacher, tuesday, j.pupils[0], "5", &[])
        .await;
    assert!(html.contains("сохранено"), "{html}");
    // Later that week, as class teacher, the reason of the absence.
    j.app.clock.set(msk(10, 9, 15, 0));
    let (_, page) = j.teacher.text(&format!("/lessons/{tuesday}")).await;
    assert!(page.contains("<h2>Причины пропусков</h2>"), "{page}");
    assert!(page.contains("name=\"topic\""), "{page}");
    assert!(!page.contains("Только просмотр"), "{page}");
    let r = j
        .teacher
        .post(
            &format!("/lessons/{tuesday}/reasons"),
            &[(&format!("reason_{p}"), "excused")],
        )
        .await;
    let page = r.text().await.unwrap();
    assert!(page.contains("Причины пропусков сохранены"), "{page}");
    let reason: Option<String> =
        sqlx::query_scalar("SELECT reason FROM absence WHERE pupil_id = $1 AND lesson_id = $2")
            .bind(p)
            .bind(tuesday)
            .fetch_one(&j.app.pool)
            .await
            .unwrap();
    assert_eq!(reason.as_deref(), Some("excused"));
    let (_, page) = j.teacher.text(&format!("/lessons/{tuesday}")).await;
    assert!(
        page.contains("н (УП)"),
        "the reason on the lesson page: {page}"
    );
    // A teacher who only teaches the class still may not.
    let other = journal_of(5, "Б", "Математика", "five_point").await;
    let monday = other.lesson(10, 5).await;
    other.app.clock.set(msk(10, 5, 9, 10));
    other
        .type_cell(&other.teacher, monday, other.pupils[1], "н", &[])
        .await;
    let r = other
        .teacher
        .post(
            &format!("/lessons/{monday}/reasons"),
            &[(&format!("reason_{}", other.pupils[1]), "excused")],
        )
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Причину пропуска (УП, НП, Б) указывает классный руководитель.")
    );
}

/// Gives the pupils of the period the marks listed (one lesson each, from September 7).
async fn give_marks(j: &Journal, marks: &[(usize, &[&str])]) {
    let lessons: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM lesson WHERE group_id = $1 AND lesson_date BETWEEN '2026-09-07' AND '2026-10-20' ORDER BY lesson_date",
    )
    .bind(j.group)
    .fetch_all(&j.app.pool)
    .await
    .unwrap();
    let teacher = j.app.account_id("teacher").await;
    for (pupil, values) in marks {
        for (i, v) in values.iter().enumerate() {
            let column: i64 = sqlx::query_scalar(
                "INSERT INTO mark_column (school_id, lesson_id, position, work_type_id)
                 SELECT l.school_id, l.id, 1, (SELECT id FROM work_type w WHERE w.school_id = l.school_id AND w.name = 'Ответ на уроке')
                 FROM lesson l WHERE l.id = $1
                 ON CONFLICT (school_id, lesson_id, position) DO UPDATE SET position = 1 RETURNING id",
            )
            .bind(lessons[i])
            .fetch_one(&j.app.pool)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO mark (school_id, group_id, pupil_id, column_id, work_type_id, value, given_on, entered_by, entered_at)
                 SELECT c.school_id, $1, $2, c.id, c.work_type_id, $3, l.lesson_date, $4, now()
                 FROM mark_column c JOIN lesson l ON l.id = c.lesson_id WHERE c.id = $5",
            )
            .bind(j.group)
            .bind(j.pupils[*pupil])
            .bind(*v)
            .bind(teacher)
            .bind(column)
            .execute(&j.app.pool)
            .await
            .unwrap();
        }
    }
}

#[tokio::test]
async fn j12_the_suggested_period_mark_is_the_average_rounded_half_up_or_na_with_too_few_marks() {
    let j = maths_5b().await;
    give_marks(
        &j,
        &[
            (0, &["2", "2", "3", "3", "3"]),      // 2.6 → 3
            (1, &["2", "3", "2", "3", "3", "2"]), // 2.5 → 3
            (2, &["3", "4", "4", "3", "3", "4"]), // 3.5 → 4
            (3, &["4", "5", "5", "4", "4", "5"]), // 4.5 → 5
            (4, &["5", "5", "5", "5"]),           // 4 marks of 5 needed → Н/А
        ],
    )
    .await;
    j.app.clock.set(msk(10, 20, 12, 0));
    let (status, page) = j
        .teacher
        .text(&format!("/journal/{}/period-marks", j.group))
        .await;
    assert_eq!(status, StatusCode::OK);
    let suggested = |i: usize| -> String {
        // The row of pupil i: its «Предлагается» cell is the fourth.
        let rows: Vec<&str> = page.split("<tr>").skip(2).collect();
        let cells: Vec<&str> = rows[i].split("<td>").collect();
        cells[4].split("</td>").next().unwrap().trim().to_string()
    };
    assert_eq!(suggested(0), "3");
    assert_eq!(suggested(1), "3");
    assert_eq!(suggested(2), "4");
    assert_eq!(suggested(3), "5");
    assert_eq!(suggested(4), "н/а");
    assert!(page.contains("2,50") && page.contains("3,50") && page.contains("4,50"));
}

#[tokio::test]
async fn j12_j13_j14_period_marks_in_the_window_lock_the_period_and_enter_the_summary_sheet() {
    let j = maths_5b().await;
    let q1 = j.first_quarter().await;
    let path = format!("/journal/{}/period-marks?period={q1}", j.group);
    let mut form: Vec<(String, String)> = j
        .pupils
        .iter()
        .map(|p| (format!("value_{p}"), "4".to_string()))
        .collect();
    // Too early: the window opens in the last week (quarter 1 ends on October 24).
    j.app.clock.set(msk(10, 16, 12, 0));
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = j.teacher.post(&path, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Итоговые отметки за период выставляются в последнюю неделю периода")
    );
    assert_eq!(scalar(&j.app, "SELECT count(*) FROM period_mark").await, 0);

    // One pupil is ill: the mark is deferred.
    form[0] = (format!("value_{}", j.pupils[0]), String::new());
    form.push((format!("deferred_{}", j.pupils[0]), "15.11.2026".into()));
    form.push(("confirm".into(), "1".into()));
    j.app.clock.set(msk(10, 21, 12, 0));
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = j.teacher.post(&path, &fields).await;
    let html = r.text().await.unwrap();
    assert!(html.contains("Итоговые отметки сохранены"), "{html}");

    // J14: at once in the class's summary sheet.
    let deputy = j.app.signed_in("deputy").await;
    let (status, sheet) = deputy
        .text(&format!("/classes/{}/summary?period={q1}", j.class_id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        sheet.matches("<td>4</td>").count(),
        j.pupils.len() - 1,
        "{sheet}"
    );

    // The journal and the pupils' diaries show them (read with the journal's pupils and with
    // the pupil's groups: issue 16's fewer round trips must not lose one).
    let (_, grid) = j
        .teacher
        .text(&format!("/journal/{}?period={q1}", j.group))
        .await;
    assert!(
        grid.contains("<td class=\"pm\">отл. до 15.11</td>"),
        "{grid}"
    );
    assert_eq!(
        grid.matches("<td class=\"pm\"><strong>4</strong></td>")
            .count(),
        j.pupils.len() - 1,
        "{grid}"
    );
    for (pupil, shown) in [
        (j.pupils[0], "<strong>отложена до 15.11.2026</strong>"),
        (j.pupils[1], "<strong>4</strong>"),
    ] {
        let (status, diary) = deputy
            .text(&format!("/diary/marks?pupil={pupil}&period={q1}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            diary.contains(&format!("<td data-label=\"Итоговая\">{shown}</td>")),
            "{diary}"
        );
    }

    // J13: every pupil has a period mark (one deferred): the period is closed for the teacher.
    let monday = j.lesson(10, 19).await;
    let (_, html) = j.type_cell(&j.teacher, monday, j.pupils[1], "5", &[]).await;
    assert!(
        html.contains("журнал этого периода закрыт для учителя"),
        "{html}"
    );
}

#[tokio::test]
async fn j12_j13_issue_15_period_marks_ask_before_closing_the_period_with_how_many_are_set_and_how_many_are_na_which_is_never_preselected()
 {
    let j = maths_5b().await;
    give_marks(
        &j,
        &[
            (0, &["4", "4", "5", "4", "4"]), // 4.2 → 4
            (1, &["5", "5", "5", "5", "5"]), // 5
            (2, &["5", "5"]),                // too few → н/а
        ],
    )
    .await;
    let period = j.first_quarter().await;
    let path = format!("/journal/{}/period-marks?period={period}", j.group);
    j.app.clock.set(msk(10, 21, 12, 0));
    let (_, page) = j.teacher.text(&path).await;
    let select = |page: &str, pupil: i64| -> String {
        page.split(&format!(r#"name="value_{pupil}""#))
            .nth(1)
            .and_then(|s| s.split("</select>").next())
            .expect("the pupil's select")
            .to_string()
    };
    assert!(
        select(&page, j.pupils[0]).contains(r#"<option value="4" selected>"#),
        "a mark suggested is preselected"
    );
    let na = select(&page, j.pupils[2]);
    assert!(!na.contains("selected"), "н/а is not preselected: {na}");
    assert!(page.contains("заранее не выбирается: выберите её сами"));

    // Every pupil gets a value: «4», «5», н/а for the third, «3» for the rest.
    let mut form: Vec<(String, String)> = j
        .pupils
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let v = ["4", "5", "na"].get(i).copied().unwrap_or("3");
            (format!("value_{p}"), v.to_string())
        })
        .collect();
    // Too early: the window's refusal is said once, not on every row.
    j.app.clock.set(msk(10, 16, 12, 0));
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = j.teacher.post(&path, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert_eq!(
        html.matches("Итоговые отметки за период выставляются в последнюю неделю периода")
            .count(),
        1,
        "{html}"
    );

    // In the window, without JavaScript: the numbers first, nothing written.
    j.app.clock.set(msk(10, 21, 12, 0));
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = j.teacher.post(&path, &fields).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let n = j.pupils.len();
    let expected = format!(
        "Будут выставлены {n} {}: «5» — 1, «4» — 1, «3» — {}, «н/а» — 1.",
        zhurnal::input::plural(n, "отметка", "отметки", "отметок"),
        n - 3
    );
    assert!(html.contains(&expected), "{expected}: {html}");
    assert!(html.contains("Н/А (не аттестован) — 1:"), "{html}");
    assert!(html.contains("журнал периода закроется для изменений"));
    assert!(html.contains(r#"name="confirm" value="1""#));
    assert_eq!(scalar(&j.app, "SELECT count(*) FROM period_mark").await, 0);

    // «Подтвердить» sends the same marks with confirm=1.
    form.push(("confirm".into(), "1".into()));
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let html = j.teacher.post(&path, &fields).await.text().await.unwrap();
    assert!(
        html.contains(&format!("Итоговые отметки сохранены: {n}.")),
        "{html}"
    );
    assert_eq!(
        scalar(
            &j.app,
            "SELECT count(*) FROM period_mark WHERE value = 'na'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn j6_a_period_mark_changes_only_through_a_correction_request_the_deputy_decides_and_the_director_agrees()
 {
    let j = maths_5b().await;
    j.app.clock.set(msk(10, 22, 12, 0));
    let p = j.pupils[0];
    let (_, page) = j
        .teacher
        .text(&format!("/journal/{}/period-marks", j.group))
        .await;
    let period = page
        .split("period-marks?period=")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let path = format!("/journal/{}/period-marks?period={period}", j.group);
    j.teacher
        .post(&path, &[(&format!("value_{p}"), "3"), ("confirm", "1")])
        .await;
    // Changing it directly is refused.
    let r = j.teacher.post(&path, &[(&format!("value_{p}"), "4")]).await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("изменить её можно только по заявке на исправление")
    );
    // A request without an explanation comes back with the message, nothing filed.
    let corrections = format!("/journal/{}/corrections?period={period}", j.group);
    let r = j
        .teacher
        .post(
            &corrections,
            &[
                ("pupil", &p.to_string()),
                ("value", "4"),
                ("explanation", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        scalar(&j.app, "SELECT count(*) FROM correction_request").await,
        0
    );
    // A 10 000-character explanation: the message next to it and the text kept, nothing filed.
    let long = format!("Не учтена работа. {}", "ж".repeat(10_000));
    let r = j
        .teacher
        .post(
            &corrections,
            &[
                ("pupil", &p.to_string()),
                ("value", "4"),
                ("explanation", &long),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Слишком длинный текст: 10018 символов при пределе 2000"),
        "{}",
        &html[..2000.min(html.len())]
    );
    assert!(html.contains(&long), "the explanation comes back as typed");
    assert_eq!(
        scalar(&j.app, "SELECT count(*) FROM correction_request").await,
        0
    );
    let r = j
        .teacher
        .post(
            &corrections,
            &[
                ("pupil", &p.to_string()),
                ("value", "4"),
                (
                    "explanation",
                    "Не учтена контрольная работа от 19.10, отметка 5.",
                ),
            ],
        )
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Заявка на исправление отправлена")
    );

    // The deputy reads teacher, class, subject, the change and the reason; rejects, then a new
    // request is approved and applied.
    let deputy = j.app.signed_in("deputy").await;
    let (_, list) = deputy.text("/corrections").await;
    assert!(list.contains("Васильева") && list.contains("5«Б»") && list.contains("Математика"));
    assert!(list.contains("3 → 4") && list.contains("Не учтена контрольная работа"));
    let id = scalar(&j.app, "SELECT id FROM correction_request").await;
    let r = deputy
        .post(
            &format!("/corrections/{id}"),
            &[("decision", "reject"), ("note", "")],
        )
        .await;
    assert!(r.text().await.unwrap().contains("почему заявка отклонена"));
    deputy
        .post(
            &format!("/corrections/{id}"),
            &[("decision", "reject"), ("note", "Нет подтверждения")],
        )
        .await;
    j.teacher
        .post(
            &corrections,
            &[
                ("pupil", &p.to_string()),
                ("value", "4"),
                (
                    "explanation",
                    "Работа от 19.10 проверена, прилагаю её к заявке.",
                ),
            ],
        )
        .await;
    let id = scalar(
        &j.app,
        "SELECT id FROM correction_request WHERE status = 'pending'",
    )
    .await;
    // A teacher cannot decide.
    let r = j
        .teacher
        .post(&format!("/corrections/{id}"), &[("decision", "approve")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = deputy
        .post(&format!("/corrections/{id}"), &[("decision", "approve")])
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("передана директору на согласование")
    );
    // J6: the director agrees (tests/it/corrections.rs has the agreement in full).
    let r = j
        .app
        .signed_in("director")
        .await
        .post(&format!("/corrections/{id}"), &[("decision", "approve")])
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("итоговая отметка исправлена")
    );
    let value: String = sqlx::query_scalar("SELECT value FROM period_mark WHERE pupil_id = $1")
        .bind(p)
        .fetch_one(&j.app.pool)
        .await
        .unwrap();
    assert_eq!(value, "4");
    assert_eq!(
        scalar(&j.app, "SELECT count(*) FROM audit_event WHERE action = 'period_mark.corrected' AND reason LIKE 'Работа от 19.10%'").await,
        1
    );
}

#[tokio::test]
async fn j11_the_journal_shows_pupils_who_lack_marks_by_now() {
    let j = maths_5b().await;
    // Four weeks into the quarter: 2 marks needed. Pupil 0 has 2, pupil 1 has 1.
    give_marks(&j, &[(0, &["5", "4"]), (1, &["3"])]).await;
    j.app.clock.set(msk(9, 30, 12, 0));
    let (_, page) = j.teacher.text(&format!("/journal/{}", j.group)).await;
    let rows: Vec<&str> = page.split("<tr").skip(2).collect();
    assert!(rows[1].contains("отметок 1 из 2"), "{}", rows[1]);
    assert!(!rows[0].contains("отметок"), "{}", rows[0]);
}

/// A mark typed at the lesson of `j`'s group on a date (2026), in its first column.
async fn mark_on(j: &Journal, m: u32, d: u32, pupil: usize, value: &str) {
    let lesson = j.lesson(m, d).await;
    let teacher: i64 = sqlx::query_scalar("SELECT teacher_id FROM lesson WHERE id = $1")
        .bind(lesson)
        .fetch_one(&j.app.pool)
        .await
        .unwrap();
    sqlx::query(
        "WITH c AS (
             INSERT INTO mark_column (school_id, lesson_id, position, work_type_id)
             SELECT l.school_id, l.id, 1, (SELECT id FROM work_type w WHERE w.school_id = l.school_id AND w.name = 'Ответ на уроке')
             FROM lesson l WHERE l.id = $1
             ON CONFLICT (school_id, lesson_id, position) DO UPDATE SET position = 1
             RETURNING school_id, id, work_type_id)
         INSERT INTO mark (school_id, group_id, pupil_id, column_id, work_type_id, value, given_on, entered_by, entered_at)
         SELECT c.school_id, $2, $3, c.id, c.work_type_id, $4, make_date(2026, $5, $6), $7, now() FROM c",
    )
    .bind(lesson)
    .bind(j.group)
    .bind(j.pupils[pupil])
    .bind(value)
    .bind(m as i32)
    .bind(d as i32)
    .bind(teacher)
    .execute(&j.app.pool)
    .await
    .unwrap();
}

/// The pupils' rows of the journal page as the teacher sees it.
async fn journal_rows(j: &Journal) -> Vec<String> {
    let (_, page) = j.teacher.text(&format!("/journal/{}", j.group)).await;
    page.split("<tr")
        .skip(2)
        .map(|r| r.split("</tr>").next().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn j11_after_3_weeks_1_2_and_5_hour_subjects_owe_1_1_and_3_marks_none_before() {
    for (hours, slots, owed) in [
        (1, vec![("1", "1")], 1),
        (2, vec![("1", "1"), ("3", "2")], 1),
        (
            5,
            vec![("1", "3"), ("2", "3"), ("3", "3"), ("4", "3"), ("5", "3")],
            3,
        ),
    ] {
        let j = journal_with(5, "Б", "Технология", "five_point", "teacher", &slots).await;
        // Two full weeks (1–14 September) and a bit: nothing owed yet.
        j.app.clock.set(msk(9, 21, 20, 0));
        let rows = journal_rows(&j).await;
        assert!(!rows[0].contains("отметок 0 из"), "{hours} h: {}", rows[0]);
        // Three full weeks: «по окончании 3 недель обязательна 1 отметка» — for 1-hour subjects
        // too (the grace of 3 weeks is over), more for more hours.
        j.app.clock.set(msk(9, 22, 20, 0));
        let rows = journal_rows(&j).await;
        assert!(
            rows[0].contains(&format!("отметок 0 из {owed}")),
            "{hours} h: {}",
            rows[0]
        );
    }
}

#[tokio::test]
async fn j11_two_attended_lessons_in_a_row_without_a_mark_flag_the_pupil_at_1_2_and_5_hours_a_week_and_only_holidays_restart()
 {
    for (hours, slots, second_after) in [
        (1, vec![("1", "1")], 12),
        (2, vec![("1", "1"), ("3", "2")], 7),
        (
            5,
            vec![("1", "3"), ("2", "3"), ("3", "3"), ("4", "3"), ("5", "3")],
            6,
        ),
    ] {
        let j = journal_with(5, "Б", "Технология", "five_point", "teacher", &slots).await;
        // The school's extra holidays for grade 5, 29.09–04.10 (no lessons on those days).
        sqlx::query(
            "INSERT INTO holiday (school_id, academic_year_id, kind, name, starts_on, ends_on, grade_from, grade_to)
             SELECT g.school_id, g.academic_year_id, 'extra', 'Дополнительные каникулы', '2026-09-29', '2026-10-04', 5, 5
             FROM study_group g WHERE g.id = $1",
        )
        .bind(j.group)
        .execute(&j.app.pool)
        .await
        .unwrap();
        sqlx::query(
            "DELETE FROM lesson WHERE group_id = $1 AND lesson_date BETWEEN '2026-09-29' AND '2026-10-04'",
        )
        .bind(j.group)
        .execute(&j.app.pool)
        .await
        .unwrap();
        // Pupil 0 never gets a mark; pupil 1 gets one at the last lesson before the holidays.
        mark_on(&j, 9, 28, 1, "4").await;
        // The evening of the second lesson after the holidays.
        j.app.clock.set(msk(10, second_after, 20, 0));
        let rows = journal_rows(&j).await;
        assert!(
            rows[0].contains("уроков подряд без отметки"),
            "{hours} h: lessons a week apart are still in a row: {}",
            rows[0]
        );
        assert!(
            !rows[1].contains("подряд без отметки"),
            "{hours} h: the first two lessons after the holidays do not count: {}",
            rows[1]
        );
        // A public holiday («праздничные дни») is no holiday: the two lessons count. The deputy
        // makes the extra days public on the year's page (the grid seen above is kept rendered
        // while nothing audited changes: the change goes through the app, as a school's would).
        let (year, holiday): (i64, i64) = sqlx::query_as(
            "SELECT academic_year_id, id FROM holiday WHERE starts_on = '2026-09-29' AND grade_from = 5 AND grade_to = 5",
        )
        .fetch_one(&j.app.pool)
        .await
        .unwrap();
        let deputy = j.app.signed_in("deputy").await;
        let r = deputy
            .post(
                &format!("/setup/years/{year}/holidays/{holiday}/delete"),
                &[],
            )
            .await;
        assert!(r.status().is_success(), "{}", r.status());
        let added = deputy
            .post(
                &format!("/setup/years/{year}/holidays"),
                &[
                    ("kind", "public"),
                    ("name", "Праздничные дни"),
                    ("starts_on", "2026-09-29"),
                    ("ends_on", "2026-10-04"),
                    ("grade_from", "5"),
                    ("grade_to", "5"),
                ],
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(added.contains("Каникулы добавлены."), "{added}");
        let rows = journal_rows(&j).await;
        assert!(
            rows[1].contains("уроков подряд без отметки: 2"),
            "{hours} h: {}",
            rows[1]
        );
    }
}

#[tokio::test]
async fn j11_the_teachers_start_page_counts_the_pupils_the_journal_flags() {
    let j = journal_with(
        5,
        "Б",
        "Технология",
        "five_point",
        "teacher",
        &[("1", "1"), ("3", "2")],
    )
    .await;
    sqlx::query(
        "INSERT INTO holiday (school_id, academic_year_id, kind, name, starts_on, ends_on, grade_from, grade_to)
         SELECT g.school_id, g.academic_year_id, 'extra', 'Дополнительные каникулы', '2026-09-29', '2026-10-04', 5, 5
         FROM study_group g WHERE g.id = $1",
    )
    .bind(j.group)
    .execute(&j.app.pool)
    .await
    .unwrap();
    sqlx::query(
        "DELETE FROM lesson WHERE group_id = $1 AND lesson_date BETWEEN '2026-09-29' AND '2026-10-04'",
    )
    .bind(j.group)
    .execute(&j.app.pool)
    .await
    .unwrap();
    // Everybody has three marks (enough five weeks in) except pupil 0; pupil 2's last five
    // lessons before the holidays have none (a run), pupil 3 got one at the last of them.
    for pupil in 1..j.pupils.len() {
        for (m, d) in [(9, 2), (9, 7), (9, 9)] {
            mark_on(&j, m, d, pupil, "5").await;
        }
        if pupil != 2 {
            mark_on(&j, 9, 28, pupil, "4").await;
        }
    }
    j.app.clock.set(msk(10, 7, 20, 0));
    let rows = journal_rows(&j).await;
    let flagged = rows.iter().filter(|r| r.contains("class=\"warn\"")).count();
    assert_eq!(flagged, 2, "pupil 0 (no marks) and pupil 2 (a run)");
    assert!(
        rows[2].contains("уроков подряд без отметки: 5"),
        "{}",
        rows[2]
    );
    let (_, home) = j.teacher.text("/teacher").await;
    assert!(
        home.contains("не хватает отметок у 2 обучающихся"),
        "the start page agrees with the journal: {home}"
    );
}

#[tokio::test]
async fn j15_a_registered_substitute_writes_that_lesson_and_the_journal_shows_it() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    let wednesday = j.lesson(10, 7).await;
    j.app.clock.set(msk(10, 7, 10, 0));
    let ct = j.app.signed_in("classteacher").await;
    let (_, html) = j.type_cell(&ct, monday, j.pupils[0], "5", &[]).await;
    assert!(html.contains("записывает только причины пропусков"));
    let deputy = j.app.account_id("deputy").await;
    let sub = j.app.account_id("classteacher").await;
    sqlx::query(
        "INSERT INTO substitution (school_id, lesson_id, teacher_id, registered_by, registered_at)
                 SELECT school_id, id, $2, $3, now() FROM lesson WHERE id = $1",
    )
    .bind(wednesday)
    .bind(sub)
    .bind(deputy)
    .execute(&j.app.pool)
    .await
    .unwrap();
    let (_, html) = j.type_cell(&ct, wednesday, j.pupils[0], "5", &[]).await;
    assert!(html.contains("сохранено"), "{html}");
    let (_, html) = j.type_cell(&ct, monday, j.pupils[0], "5", &[]).await;
    assert!(
        html.contains("записывает только причины пропусков"),
        "only the substituted lesson: {html}"
    );
    let entered_by: i64 = sqlx::query_scalar("SELECT entered_by FROM mark")
        .fetch_one(&j.app.pool)
        .await
        .unwrap();
    assert_eq!(
        entered_by, sub,
        "the substitute is recorded at the time of entry"
    );
    let (_, lesson) = j.teacher.text(&format!("/lessons/{wednesday}")).await;
    assert!(lesson.contains("Замена: урок ведёт Соколов"), "{lesson}");
}

#[tokio::test]
async fn the_lesson_page_saves_a_whole_column_without_javascript_all_or_nothing() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 10, 0));
    let (status, page) = j.teacher.text(&format!("/lessons/{monday}")).await;
    assert_eq!(status, StatusCode::OK);
    // The heading names the subject and the group; every pupil of the class has a cell, in the
    // order of the class list.
    let group_name: String = sqlx::query_scalar("SELECT name FROM study_group WHERE id = $1")
        .bind(j.group)
        .fetch_one(&j.app.pool)
        .await
        .unwrap();
    assert!(
        page.contains(&format!("<h1>Математика — {group_name}</h1>")),
        "{page}"
    );
    let places: Vec<usize> = j
        .pupils
        .iter()
        .map(|p| {
            page.find(&format!("name=\"cell_0_{p}\""))
                .unwrap_or_else(|| panic!("a cell for pupil {p}"))
        })
        .collect();
    assert!(places.windows(2).all(|w| w[0] < w[1]), "{places:?}");
    let bad: Vec<(String, String)> = j
        .pupils
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                format!("cell_0_{p}"),
                if i == 1 { "7".into() } else { "н".into() },
            )
        })
        .collect();
    let fields: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = j
        .teacher
        .post(&format!("/lessons/{monday}/cells"), &fields)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("«7» — не отметка") && html.contains("Ничего не сохранено"));
    assert!(html.contains("value=\"7\""), "the typed value comes back");
    assert_eq!(scalar(&j.app, "SELECT count(*) FROM absence").await, 0);
    let good: Vec<(String, String)> = j
        .pupils
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                format!("cell_0_{p}"),
                if i < 3 { "н".into() } else { String::new() },
            )
        })
        .collect();
    let fields: Vec<(&str, &str)> = good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = j
        .teacher
        .post(&format!("/lessons/{monday}/cells"), &fields)
        .await;
    assert!(r.text().await.unwrap().contains("Сохранено клеток: 3"));
    assert_eq!(
        scalar(&j.app, "SELECT count(*) FROM absence WHERE absent").await,
        3
    );
    assert_eq!(
        scalar(
            &j.app,
            "SELECT count(*) FROM audit_event WHERE action = 'absence.marked'"
        )
        .await,
        3
    );
}

/// Issue 16: the lesson page's column is written by one statement, however many cells it holds;
/// a pupil posted twice (a doubled field) is written twice, in order, the second reading what the
/// first wrote — as two saves of the grid — and every audit event names the row it changed.
#[tokio::test]
async fn the_lesson_page_column_writes_a_pupil_posted_twice_in_order_each_event_naming_its_row() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 10, 0));
    let (twice, once) = (j.pupils[0], j.pupils[1]);
    let fields = [
        (format!("cell_0_{twice}"), "н"),
        (format!("cell_0_{once}"), "5"),
        (format!("cell_0_{twice}"), ""),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let r = j
        .teacher
        .post(&format!("/lessons/{monday}/cells"), &fields)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Сохранено клеток: 3"));
    let absent: bool =
        sqlx::query_scalar("SELECT absent FROM absence WHERE lesson_id = $1 AND pupil_id = $2")
            .bind(monday)
            .bind(twice)
            .fetch_one(&j.app.pool)
            .await
            .unwrap();
    assert!(
        !absent,
        "the second value of the pupil posted twice is the one kept"
    );
    // The events in order, each with the row it changed: the absence's twice, the mark's once.
    let events = j.app.cell_events(monday).await;
    assert_eq!(
        crate::helpers::actions(&events),
        [
            ("absence.marked", Some(twice)),
            ("mark.given", Some(once)),
            ("absence.removed", Some(twice)),
        ]
    );
    assert!(events.iter().all(|e| e.names_its_row), "{events:?}");
}

/// A cancelled lesson takes no entries: the lesson page's form comes back with the refusal next
/// to the cells and what was typed in them, and nothing is written.
#[tokio::test]
async fn the_lesson_page_of_a_cancelled_lesson_refuses_its_cells_keeping_what_was_typed() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 10, 0));
    sqlx::query("UPDATE lesson SET status = 'cancelled' WHERE id = $1")
        .bind(monday)
        .execute(&j.app.pool)
        .await
        .unwrap();
    let pupil = j.pupils[0];
    let cell = format!("cell_0_{pupil}");
    let r = j
        .teacher
        .post(&format!("/lessons/{monday}/cells"), &[(cell.as_str(), "4")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Урок отменён или перенесён: записи делаются в перенесённом уроке."),
        "{html}"
    );
    assert!(html.contains("value=\"4\""), "the typed value comes back");
    assert_eq!(scalar(&j.app, "SELECT count(*) FROM mark").await, 0);
}

/// Every input is bounded: the lesson page's form writes at most `service::CELLS` cells (its
/// pupils by its columns); a longer one is refused whole, in Russian, before a cell is read, and
/// nothing is written.
#[tokio::test]
async fn the_lesson_page_refuses_a_form_of_more_cells_than_a_lesson_has_writing_nothing() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 10, 0));
    let pupil = j.pupils[0];
    let fields: Vec<(String, &str)> = (0..=zhurnal::journal::service::CELLS as i64)
        .map(|column| (format!("cell_{}_{pupil}", column + 1), "н"))
        .collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let r = j
        .teacher
        .post(&format!("/lessons/{monday}/cells"), &fields)
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Слишком много клеток в одной форме: не больше 1000.")
    );
    assert_eq!(scalar(&j.app, "SELECT count(*) FROM absence").await, 0);
}

#[tokio::test]
async fn journals_are_closed_to_pupils_parents_other_teachers_and_other_schools() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    for login in ["student", "parent"] {
        let c = j.app.signed_in(login).await;
        let (status, _) = c.text(&format!("/journal/{}", j.group)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
        let r = c
            .post_htmx(
                "/journal/cells",
                &[
                    ("lesson", &monday.to_string()),
                    ("pupil", &j.pupils[0].to_string()),
                    ("value", "5"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{login} cannot write");
        assert!(r.text().await.unwrap().contains("Доступ запрещён"));
    }
    let other = j.app.signed_in("teacher2").await;
    for path in [
        format!("/journal/{}", j.group),
        format!("/lessons/{monday}"),
        format!("/journal/{}/period-marks", j.group),
        format!("/journal/history?lesson={monday}&pupil={}", j.pupils[0]),
    ] {
        let (status, _) = other.text(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    // A subject teacher has no summary sheet of any class: refused before the class is looked
    // up; the other school's director, who has, does not find this school's class.
    let summary = format!("/classes/{}/summary", j.class_id);
    assert_eq!(other.text(&summary).await.0, StatusCode::FORBIDDEN);
    let director2 = j.app.signed_in("director2").await;
    assert_eq!(director2.text(&summary).await.0, StatusCode::NOT_FOUND);
    let r = other
        .post_htmx(
            "/journal/cells",
            &[
                ("lesson", &monday.to_string()),
                ("pupil", &j.pupils[0].to_string()),
                ("value", "5"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (_, list) = j.teacher.text("/journal").await;
    assert!(list.contains("Математика") && list.contains("5«Б»"));
}

#[tokio::test]
async fn j16_a_mark_from_another_institution_needs_its_document_and_counts_in_the_average() {
    let j = maths_5b().await;
    j.app.clock.set(msk(11, 10, 12, 0));
    let answer: i64 = sqlx::query_scalar(
        "SELECT w.id FROM work_type w JOIN school s ON s.id = w.school_id
         WHERE s.slug = 'demo-1' AND w.name = 'Ответ на уроке'",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let path = format!("/journal/{}/external", j.group);
    let pupil = j.pupils[0].to_string();
    let wt = answer.to_string();
    let r = j
        .teacher
        .post(
            &path,
            &[
                ("pupil", &pupil),
                ("value", "5"),
                ("work_type", &wt),
                ("given_on", "06.11.2026"),
                ("document", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Укажите документ") && html.contains("value=\"06.11.2026\""),
        "the form comes back filled"
    );
    // A 10 000-character document: the message, the text kept, nothing written (not a 500).
    let long = format!("Справка № 17 {}", "ж".repeat(10_000));
    let r = j
        .teacher
        .post(
            &path,
            &[
                ("pupil", &pupil),
                ("value", "5"),
                ("work_type", &wt),
                ("given_on", "06.11.2026"),
                ("document", &long),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Слишком длинный текст: 10013 символов при пределе 300"));
    assert!(html.contains(&long), "the document comes back as typed");
    assert_eq!(scalar(&j.app, "SELECT count(*) FROM mark").await, 0);
    let r = j
        .teacher
        .post(
            &path,
            &[
                ("pupil", &pupil),
                ("value", "5"),
                ("work_type", &wt),
                ("given_on", "06.11.2026"),
                ("document", "Справка санаторной школы № 17 от 09.11.2026"),
            ],
        )
        .await;
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Отметка из другой организации внесена"),
        "{html}"
    );
    assert!(
        html.contains("Справка санаторной школы № 17"),
        "shown on the pupil's line"
    );
    assert!(html.contains("5,00"), "counted in the average");
    // Only the group's teacher enters it.
    let ct = j.app.signed_in("classteacher").await;
    let r = ct
        .post(
            &path,
            &[
                ("pupil", &pupil),
                ("value", "4"),
                ("work_type", &wt),
                ("given_on", "06.11.2026"),
                ("document", "Справка № 18"),
            ],
        )
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Отметки из других организаций вносит учитель группы.")
    );
}

#[tokio::test]
async fn the_teachers_start_page_lists_todays_lessons_with_what_is_unfilled_and_accumulation_gaps()
{
    let j = maths_5b().await;
    let wednesday = j.lesson(10, 7).await;
    j.app.clock.set(msk(10, 7, 10, 30));
    let (_, home) = j.teacher.text("/teacher").await;
    assert!(home.contains(&format!("/lessons/{wednesday}")), "{home}");
    assert!(home.contains("тема, посещаемость и отметки, домашнее задание"));
    j.teacher
        .post(
            &format!("/lessons/{wednesday}"),
            &[("topic", "Сложение"), ("homework_none", "on")],
        )
        .await;
    let (_, home) = j.teacher.text("/teacher").await;
    assert!(
        home.contains("всё записано"),
        "the topic makes the lesson held: {home}"
    );
    // Five weeks into the quarter, nobody has a mark: the journal is listed.
    let short = format!("не хватает отметок у {} обучающихся", j.pupils.len());
    assert!(home.contains(&short), "{home}");
    // A substituted lesson is the substitute's, not the teacher's.
    let deputy = j.app.account_id("deputy").await;
    let sub = j.app.account_id("classteacher").await;
    sqlx::query(
        "INSERT INTO substitution (school_id, lesson_id, teacher_id, registered_by, registered_at)
                 SELECT school_id, id, $2, $3, now() FROM lesson WHERE id = $1",
    )
    .bind(wednesday)
    .bind(sub)
    .bind(deputy)
    .execute(&j.app.pool)
    .await
    .unwrap();
    let (_, home) = j.teacher.text("/teacher").await;
    assert!(!home.contains(&format!("/lessons/{wednesday}")));
}

/// The `<th>` the grid opens on (`id="today"`), up to its end.
fn today_head(page: &str) -> &str {
    let at = page.find("id=\"today\"").expect("a column marked today");
    let rest = &page[at..];
    &rest[..rest.find("</th>").expect("the head's end")]
}

#[tokio::test]
async fn the_grid_opens_on_todays_lesson_else_the_last_before_with_a_today_link_and_cells_named_by_pupil_and_date()
 {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    let wednesday = j.lesson(10, 7).await;
    let p = j.pupils[0];
    let name: String =
        sqlx::query_scalar("SELECT last_name || ' ' || first_name FROM pupil WHERE id = $1")
            .bind(p)
            .fetch_one(&j.app.pool)
            .await
            .unwrap();
    let grid = format!("/journal/{}", j.group);

    // Wednesday with a lesson: its column.
    j.app.clock.set(msk(10, 7, 10, 0));
    let (status, page) = j.teacher.text(&grid).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches("id=\"today\"").count(), 1, "one column");
    assert!(
        today_head(&page).contains(&format!("<a id=\"d{wednesday}\"")),
        "{}",
        today_head(&page)
    );
    assert!(
        page.contains("<a href=\"#today\" class=\"to-today\">Сегодня</a>"),
        "the jump, an anchor without JavaScript"
    );
    // Each cell is named by the pupil's name and the lesson's date, not «Отметка».
    assert!(page.contains(&format!("<span id=\"r{p}\">{name}</span>")));
    assert!(page.contains(&format!(
        "<a id=\"d{monday}\" href=\"/lessons/{monday}\">05.10</a>"
    )));
    assert!(page.contains(&format!("aria-labelledby=\"r{p} d{monday}\"")));
    assert!(!page.contains("aria-label=\"Отметка\""));

    // Tuesday without one: Monday's, the nearest before.
    j.app.clock.set(msk(10, 6, 10, 0));
    let (_, page) = j.teacher.text(&grid).await;
    assert!(today_head(&page).contains(&format!("<a id=\"d{monday}\"")));

    // Another period's page: «Сегодня» leads to the current period's page.
    let later: i64 = sqlx::query_scalar(
        "SELECT p.id FROM study_period p JOIN period_scheme ps ON ps.id = p.scheme_id
         JOIN school s ON s.id = ps.school_id
         WHERE s.slug = 'demo-1' AND 5 BETWEEN ps.grade_from AND ps.grade_to AND p.starts_on > '2026-10-07'
         ORDER BY p.starts_on LIMIT 1",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let (_, page) = j.teacher.text(&format!("{grid}?period={later}")).await;
    assert!(
        page.contains(&format!("href=\"/journal/{}#today\"", j.group)),
        "{page}"
    );
}

#[tokio::test]
async fn a_refused_value_stays_in_the_cell_marked_invalid_with_its_reason_until_corrected() {
    let j = maths_5b().await;
    let monday = j.lesson(10, 5).await;
    let p = j.pupils[0];
    j.app.clock.set(msk(10, 5, 9, 0));
    let (status, html) = j
        .type_cell(&j.teacher, monday, p, "9", &[("was", "")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"9\""), "not erased: {html}");
    assert!(html.contains("class=\"c refused\""), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    assert!(
        html.contains(&format!("aria-describedby=\"w{monday}-{p}\""))
            && html.contains(&format!("id=\"w{monday}-{p}\"")),
        "the reason is the field's description: {html}"
    );
    assert!(html.contains("«9» — не отметка"), "{html}");
    // The next write is still checked against what is stored (nothing).
    assert!(html.contains("data-was=\"\""), "{html}");
    assert_eq!(j.mark_of(monday, p).await, None);

    let (_, html) = j
        .type_cell(&j.teacher, monday, p, "5", &[("was", "")])
        .await;
    assert!(html.contains("сохранено") && html.contains("value=\"5\""));
    assert!(
        !html.contains("aria-invalid") && !html.contains("refused"),
        "{html}"
    );
    assert_eq!(j.mark_of(monday, p).await.as_deref(), Some("5"));
}
