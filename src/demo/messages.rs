//! Demo mail (regulations §4): the demo parent (`parent`, Морозов Иван, 5«Б») corresponds with
//! the class teacher (`classteacher`) and the child's mathematics teacher; two threads are still
//! unread by the parent. Written through the same service functions as the pages, so each
//! thread passes the circle.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use crate::audit::Actor;
use crate::authz::Role;
use crate::clock::{Clock, local_today};
use crate::messages::recipient_value;
use crate::messages::repo::circle;
use crate::messages::service::{NewThread, Reply, Who, reply, start_thread};
use crate::tenancy::SchoolId;

struct Person {
    account_id: i64,
    role: Role,
    pupil_id: Option<i64>,
}

fn who(school: SchoolId, p: &Person, clock: &dyn Clock, at: DateTime<Utc>) -> Who {
    Who {
        school,
        account_id: p.account_id,
        role: p.role,
        pupil_id: p.pupil_id,
        actor: Actor {
            account_id: Some(p.account_id),
            role: Some(p.role),
            session_ref: None,
        },
        today: local_today(clock, "Europe/Moscow"),
        now: at,
    }
}

fn thread(pupil: i64, to: i64, subject: &str, body: &str) -> NewThread {
    NewThread {
        to: recipient_value(pupil, to),
        subject: subject.into(),
        body: body.into(),
        class: String::new(),
    }
}

fn text(body: &str) -> Reply {
    Reply { body: body.into() }
}

pub async fn fill(
    pool: &PgPool,
    school: SchoolId,
    clock: &dyn Clock,
) -> crate::error::AppResult<()> {
    let Some(family) = sqlx::query!(
        r#"SELECT m.account_id, m.pupil_id AS "pupil_id!" FROM membership m
           JOIN account a ON a.id = m.account_id
           WHERE m.school_id = $1 AND a.login = 'parent' AND m.role = 'parent'
             AND m.revoked_at IS NULL"#,
        school.0
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(());
    };
    let pupil = family.pupil_id;
    let parent = Person {
        account_id: family.account_id,
        role: Role::Parent,
        pupil_id: Some(pupil),
    };
    let today = local_today(clock, "Europe/Moscow");
    let staff = circle(
        &mut *pool.acquire().await?,
        school,
        today,
        Some(pupil),
        None,
    )
    .await?;
    let class_teacher = staff.iter().find(|r| r.tie == 1).map(|r| Person {
        account_id: r.account_id,
        role: Role::ClassTeacher,
        pupil_id: None,
    });
    let maths = staff
        .iter()
        .find(|r| {
            r.subjects
                .as_deref()
                .is_some_and(|s| s.contains("Математика"))
        })
        .map(|r| Person {
            account_id: r.account_id,
            role: Role::Teacher,
            pupil_id: None,
        });
    let now = clock.now();
    let at = |days: i64, hours: i64| now - Duration::days(days) - Duration::hours(hours);

    if let Some(ct) = &class_teacher {
        let id = start_thread(
            pool,
            &who(school, &parent, clock, at(3, 5)),
            &thread(
                pupil,
                ct.account_id,
                "Пропуск занятий в четверг",
                "Дмитрий Алексеевич, добрый день!\nВаня в четверг не будет на уроках: у него приём у врача. Справку принесём в пятницу.\nАнна Викторовна",
            ),
        )
        .await?;
        reply(
            pool,
            &who(school, ct, clock, at(3, 2)),
            id,
            &text("Анна Викторовна, спасибо, что предупредили. Домашнее задание Ваня увидит в дневнике."),
        )
        .await?;
        reply(
            pool,
            &who(school, &parent, clock, at(2, 20)),
            id,
            &text("Хорошо, спасибо!"),
        )
        .await?;
        start_thread(
            pool,
            &who(school, ct, clock, at(1, 3)),
            &thread(
                pupil,
                parent.account_id,
                "Родительское собрание",
                "Уважаемая Анна Викторовна!\nПриглашаю на родительское собрание 5«Б» в четверг в 18:30, кабинет 21. Обсудим итоги первой четверти и экскурсию.",
            ),
        )
        .await?;
    }
    if let Some(teacher) = &maths {
        start_thread(
            pool,
            &who(school, teacher, clock, at(0, 2)),
            &thread(
                pupil,
                parent.account_id,
                "Контрольная работа по математике",
                "Добрый день! На следующей неделе контрольная работа по теме «Обыкновенные дроби». Ване стоит повторить сложение дробей с разными знаменателями.",
            ),
        )
        .await?;
    }
    Ok(())
}
