//! J6: a mistaken period mark is changed only by a deputy on the teacher's written explanation,
//! and «changing marks needs the director's agreement» (003; 004 §1.5) — unless the school says
//! on «Настройки школы» that a deputy's approval suffices. Teacher, deputy and director work over
//! HTTP as they would.

use reqwest::StatusCode;

use crate::helpers::Client;
use crate::journal::{Journal, maths_5b, msk};

const TEACHER: &str = "Васильева Наталья Сергеевна";
const DEPUTY: &str = "Кузнецов Андрей Петрович";
const DIRECTOR: &str = "Смирнова Елена Викторовна";
const EXPLANATION: &str = "Не учтена контрольная работа от 19.10, отметка 5.";

/// 5«Б» mathematics: the teacher has set a «3» as the first pupil's quarter mark and asked, in
/// writing, to change it to «4». Returns the journal, the request's id and the period-marks page.
async fn requested() -> (Journal, i64, String) {
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
    let marks = format!("/journal/{}/period-marks?period={period}", j.group);
    j.teacher
        .post(&marks, &[(&format!("value_{p}"), "3"), ("confirm", "1")])
        .await;
    let r = j
        .teacher
        .post(
            &format!("/journal/{}/corrections?period={period}", j.group),
            &[
                ("pupil", &p.to_string()),
                ("value", "4"),
                ("explanation", EXPLANATION),
            ],
        )
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Заявка на исправление отправлена")
    );
    let id = one(&j, "SELECT id FROM correction_request").await;
    (j, id, marks)
}

async fn one(j: &Journal, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&j.app.pool)
        .await
        .unwrap()
}

async fn text(j: &Journal, sql: &str) -> String {
    sqlx::query_scalar(sql)
        .fetch_one(&j.app.pool)
        .await
        .unwrap()
}

async fn period_mark(j: &Journal) -> String {
    sqlx::query_scalar("SELECT value FROM period_mark WHERE pupil_id = $1")
        .bind(j.pupils[0])
        .fetch_one(&j.app.pool)
        .await
        .unwrap()
}

async fn decide(who: &Client, id: i64, decision: &str, note: &str) -> (StatusCode, String) {
    let r = who
        .post(
            &format!("/corrections/{id}"),
            &[("decision", decision), ("note", note)],
        )
        .await;
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn j6_a_period_mark_changes_only_after_the_directors_agreement() {
    let (j, id, marks) = requested().await;
    let deputy = j.app.signed_in("deputy").await;
    let director = j.app.signed_in("director").await;

    // The deputy approves: the request goes to the director, the mark stays.
    j.app.clock.set(msk(10, 22, 14, 30));
    let (_, page) = decide(&deputy, id, "approve", "Работа проверена").await;
    assert!(
        page.contains("передана директору на согласование"),
        "{page}"
    );
    assert_eq!(
        period_mark(&j).await,
        "3",
        "not changed without the director"
    );
    assert!(page.contains("ожидает согласования директора"), "{page}");
    assert!(
        page.contains(&format!("Утвердил(а): {DEPUTY}, 22.10.2026 14:30")),
        "{page}"
    );
    assert!(!page.contains("Согласовал(а)"), "{page}");
    // The deputy has no button left on it.
    assert!(
        !page.contains(&format!("action=\"/corrections/{id}\"")),
        "{page}"
    );
    // The teacher sees where the request stands on the period-marks page.
    let (_, page) = j.teacher.text(&marks).await;
    assert!(page.contains("ожидает согласования директора"), "{page}");
    assert!(
        page.contains(&format!("Заявку подал(а): {TEACHER}, 22.10.2026 12:00")),
        "{page}"
    );

    // The director is told on the start page and finds the request in the menu.
    let (_, home) = director.text("/director").await;
    assert!(
        home.contains("Исправления итоговых отметок ждут вашего согласования: 1"),
        "{home}"
    );
    assert!(home.contains("href=\"/corrections\""), "{home}");
    let (_, list) = director.text("/corrections").await;
    assert!(
        list.contains("Согласовать") && list.contains(EXPLANATION),
        "{list}"
    );

    // The director agrees: the mark changes at once, in the journal and the summary sheet.
    j.app.clock.set(msk(10, 23, 9, 15));
    let (_, page) = decide(&director, id, "approve", "").await;
    assert!(page.contains("итоговая отметка исправлена"), "{page}");
    assert_eq!(period_mark(&j).await, "4");
    assert!(page.contains("утверждена, отметка исправлена"), "{page}");
    for line in [
        format!("Заявку подал(а): {TEACHER}, 22.10.2026 12:00"),
        format!("Утвердил(а): {DEPUTY}, 22.10.2026 14:30 — Работа проверена"),
        format!("Согласовал(а) директор: {DIRECTOR}, 23.10.2026 09:15"),
    ] {
        assert!(page.contains(&line), "{line}: {page}");
    }
    let (_, page) = j.teacher.text(&marks).await;
    assert!(
        page.contains(&format!(
            "Согласовал(а) директор: {DIRECTOR}, 23.10.2026 09:15"
        )),
        "{page}"
    );
    let (_, home) = director.text("/director").await;
    assert!(
        home.contains("Исправления итоговых отметок ждут вашего согласования: 0"),
        "{home}"
    );
    // Decided once: a second agreement is refused.
    let (_, page) = decide(&director, id, "approve", "").await;
    assert!(page.contains("уже принято решение"), "{page}");
}

#[tokio::test]
async fn j6_the_school_may_let_a_deputys_approval_suffice() {
    let (j, id, marks) = requested().await;
    let admin = j.app.signed_in("admin").await;
    let (_, page) = admin.text("/admin/settings").await;
    assert!(
        page.contains("name=\"correction_agreement\" value=\"director\" checked"),
        "the seeds' rule is the default: {page}"
    );
    assert!(
        page.contains("исправление отметок — по согласованию с директором школы"),
        "{page}"
    );
    let r = admin
        .post(
            "/admin/settings",
            &crate::settings::form(&[("correction_agreement", "deputy")]),
        )
        .await;
    let page = r.text().await.unwrap();
    assert!(page.contains("Настройки сохранены."), "{page}");
    assert!(
        page.contains("name=\"correction_agreement\" value=\"deputy\" checked"),
        "{page}"
    );
    assert_eq!(
        text(
            &j,
            "SELECT after->>'correction_needs_director' FROM audit_event
             WHERE action = 'school.settings_changed'"
        )
        .await,
        "достаточно утверждения заместителя"
    );

    let deputy = j.app.signed_in("deputy").await;
    let (_, list) = deputy.text("/corrections").await;
    assert!(
        list.contains("В школе достаточно утверждения заместителя"),
        "{list}"
    );
    let (_, page) = decide(&deputy, id, "approve", "").await;
    assert!(page.contains("итоговая отметка исправлена"), "{page}");
    assert_eq!(period_mark(&j).await, "4", "applied at once");
    assert!(page.contains("Согласие директора не требовалось"), "{page}");
    let (_, page) = j.teacher.text(&marks).await;
    assert!(page.contains(&format!("Утвердил(а): {DEPUTY}")), "{page}");
    assert_eq!(
        text(
            &j,
            "SELECT coalesce(after->>'agreed_by', 'нет') FROM audit_event
             WHERE action = 'period_mark.corrected'"
        )
        .await,
        "нет"
    );
}

#[tokio::test]
async fn j6_a_teacher_or_a_deputy_cannot_agree_and_the_director_refuses_with_a_reason() {
    let (j, id, _) = requested().await;
    let deputy = j.app.signed_in("deputy").await;
    decide(&deputy, id, "approve", "").await;
    let events = || one(&j, "SELECT count(*) FROM audit_event");
    let before = events().await;

    // The teacher: 403 before the form is read, nothing changed.
    let (status, page) = decide(&j.teacher, id, "approve", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!page.contains(EXPLANATION), "reveals nothing");
    // The deputy who approved — or any deputy — cannot agree nor refuse in the director's place.
    for decision in ["approve", "reject"] {
        let (_, page) = decide(&deputy, id, decision, "Передумал").await;
        assert!(page.contains("решение за директором"), "{page}");
    }
    // Pupils, parents and the administrator: 403; school 2's director: 404, no trace of it.
    for login in ["student", "parent", "admin"] {
        let (status, _) = decide(&j.app.signed_in(login).await, id, "approve", "").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
    }
    let other = j.app.signed_in("director2").await;
    let r = other
        .post(&format!("/corrections/{id}"), &[("decision", "approve")])
        .await;
    let page = r.text().await.unwrap();
    assert!(
        !page.contains(EXPLANATION) && !page.contains(TEACHER),
        "{page}"
    );
    let (_, list) = other.text("/corrections").await;
    assert!(list.contains("Заявок нет."), "{list}");
    assert_eq!(period_mark(&j).await, "3");
    assert_eq!(events().await, before, "nothing written");
    assert_eq!(
        text(&j, "SELECT status FROM correction_request").await,
        "awaiting_director"
    );

    // The director refuses: a reason is required, the note comes back as typed.
    let director = j.app.signed_in("director").await;
    let (status, page) = decide(&director, id, "reject", "  ").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Укажите, почему заявка отклонена."), "{page}");
    assert_eq!(events().await, before);
    j.app.clock.set(msk(10, 23, 10, 0));
    let (_, page) = decide(&director, id, "reject", "Работа не приложена").await;
    assert!(page.contains("Заявка отклонена."), "{page}");
    assert_eq!(period_mark(&j).await, "3");
    assert!(
        page.contains(&format!(
            "Отклонил(а): {DIRECTOR}, 23.10.2026 10:00 — Работа не приложена"
        )),
        "{page}"
    );
    assert!(page.contains(&format!("Утвердил(а): {DEPUTY}")), "{page}");
}

#[tokio::test]
async fn j6_the_directors_approval_of_a_request_counts_as_approval_and_agreement() {
    let (j, id, _) = requested().await;
    let director = j.app.signed_in("director").await;
    let (_, list) = director.text("/corrections").await;
    assert!(list.contains("Утвердить и согласовать"), "{list}");
    j.app.clock.set(msk(10, 22, 16, 0));
    let (_, page) = decide(&director, id, "approve", "").await;
    assert!(page.contains("итоговая отметка исправлена"), "{page}");
    assert_eq!(period_mark(&j).await, "4");
    assert!(
        page.contains(&format!("Утвердил(а): {DIRECTOR}, 22.10.2026 16:00"))
            && page.contains(&format!(
                "Согласовал(а) директор: {DIRECTOR}, 22.10.2026 16:00"
            )),
        "{page}"
    );
}

#[tokio::test]
async fn j6_the_audit_trail_names_who_asked_who_approved_and_who_agreed() {
    let (j, id, _) = requested().await;
    decide(&j.app.signed_in("deputy").await, id, "approve", "").await;
    let director = j.app.signed_in("director").await;
    decide(&director, id, "approve", "").await;
    let (_, audit) = director.text("/audit?kind=period_mark.corrected").await;
    assert!(audit.contains("Исправлена итоговая отметка"), "{audit}");
    for part in [
        format!("заявку подал: {TEACHER}"),
        format!("утвердил: {DEPUTY}"),
        format!("согласовал: {DIRECTOR}"),
        "значение: 4".to_string(),
        EXPLANATION.to_string(),
    ] {
        assert!(audit.contains(&part), "{part}: {audit}");
    }
    // Each step is its own event: asked, approved, agreed.
    assert_eq!(
        one(
            &j,
            "SELECT count(*) FROM audit_event
             WHERE action IN ('correction.requested', 'correction.approved', 'correction.agreed')"
        )
        .await,
        3
    );
    let (_, agreed) = director.text("/audit?kind=correction.agreed").await;
    assert!(
        agreed.contains("Исправление согласовано директором"),
        "{agreed}"
    );
}

#[tokio::test]
async fn j6_the_settings_form_refuses_a_missing_or_unknown_agreement_choice() {
    let app = crate::helpers::spawn_app().await;
    let director = app.signed_in("director").await;
    let changed = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM audit_event WHERE action = 'school.settings_changed'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    for typed in ["", "директор", "maybe"] {
        let r = director
            .post(
                "/admin/settings",
                &crate::settings::form(&[
                    ("correction_agreement", typed),
                    ("entry_lock_days", "9"),
                ]),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed:?}");
        let page = r.text().await.unwrap();
        assert!(
            page.contains("Выберите, нужно ли согласие директора на исправление итоговой отметки."),
            "{page}"
        );
        assert!(
            page.contains("name=\"entry_lock_days\" value=\"9\""),
            "the form comes back as typed"
        );
    }
    // A form without the field at all (an old page) is refused too, not read as «deputy».
    let mut fields = crate::settings::form(&[]);
    fields.retain(|(name, _)| *name != "correction_agreement");
    let r = director.post("/admin/settings", &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(changed().await, 0, "nothing written");
    let needs: bool = sqlx::query_scalar("SELECT bool_and(correction_needs_director) FROM school")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(needs, "every school keeps the director's agreement");
    // Deputies and teachers do not change it.
    for login in ["deputy", "teacher"] {
        let r = app
            .signed_in(login)
            .await
            .post(
                "/admin/settings",
                &crate::settings::form(&[("correction_agreement", "deputy")]),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{login}");
    }
    assert_eq!(changed().await, 0);
}
