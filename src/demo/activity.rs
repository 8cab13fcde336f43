//! The demo's traces of people at work (§5 «user activity»): what the journal fill wrote in bulk
//! is given the audit trail and the sign-ins it would have left had teachers typed it — a
//! `lesson.recorded` event for each lesson given with a topic up to today (by its teacher, or the
//! registered substitute, in the afternoon of the lesson's day; two days later when the record is
//! flagged late), a `school_entered` sign-in of each teacher on each day they wrote, and one of each
//! parent and pupil on each day they opened the diary. Two set-based statements, derived from the
//! facts already in the journal and the diary, so the activity report and the teachers' time sheet
//! are worth opening.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::tenancy::SchoolId;

pub async fn fill(
    pool: &PgPool,
    school: SchoolId,
    now: DateTime<Utc>,
) -> crate::error::AppResult<()> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        r#"INSERT INTO audit_event (school_id, at, actor_account_id, actor_role, action,
                                    subject_type, subject_id, after)
           SELECT l.school_id,
                  ((l.lesson_date + CASE WHEN l.late_entry THEN 2 ELSE 0 END) + time '14:30'
                   + make_interval(mins => (l.id % 150)::int)) AT TIME ZONE s.time_zone,
                  coalesce(sub.teacher_id, l.teacher_id), 'teacher', 'lesson.recorded',
                  'lesson', l.id,
                  jsonb_build_object('topic', l.topic, 'homework', l.homework,
                                     'homework_none', l.homework_none,
                                     'homework_minutes', l.homework_minutes,
                                     'late_entry', l.late_entry, 'homework_late', l.homework_late)
           FROM lesson l
           JOIN school s ON s.id = l.school_id
           LEFT JOIN substitution sub ON sub.school_id = l.school_id AND sub.lesson_id = l.id
           WHERE l.school_id = $1 AND l.topic IS NOT NULL AND l.teacher_id IS NOT NULL
             AND l.status NOT IN ('cancelled', 'moved')
             AND ((l.lesson_date + CASE WHEN l.late_entry THEN 2 ELSE 0 END) + time '14:30'
                  + make_interval(mins => (l.id % 150)::int)) AT TIME ZONE s.time_zone < $2"#,
        school.0,
        now
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"INSERT INTO account_event (at, login, account_id, kind, school_id)
           SELECT w.at, a.login, a.id, 'school_entered', $1
           FROM (SELECT e.actor_account_id AS account_id, min(e.at) - interval '5 minutes' AS at
                 FROM audit_event e JOIN school s ON s.id = e.school_id
                 WHERE e.school_id = $1 AND e.action = 'lesson.recorded'
                   AND e.actor_account_id IS NOT NULL
                 GROUP BY e.actor_account_id, (e.at AT TIME ZONE s.time_zone)::date
                 UNION ALL
                 SELECT v.account_id, v.first_at FROM diary_visit v WHERE v.school_id = $1) w
           JOIN account a ON a.id = w.account_id"#,
        school.0
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
