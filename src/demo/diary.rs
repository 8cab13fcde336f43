//! The demo class's families (issue 5, §10): the parents of the class teacher's class get
//! accounts (password «demo», logins `parent-<id>`) and e-mail addresses when they consented;
//! some open the diary every day and acknowledge their weeks, some have not opened it for weeks,
//! some never, and two of those ask for the diary on paper; a few pupils are in the risk group.
//! Deterministic: choices are hashes of ids.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::PgPool;

use crate::tenancy::SchoolId;

pub async fn fill(
    pool: &PgPool,
    school: SchoolId,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> crate::error::AppResult<()> {
    let mut tx = pool.begin().await?;
    crate::diary::live::quiet(&mut tx).await?;
    let s = school.0;
    let Some(class_id) = sqlx::query_scalar!(
        "SELECT m.class_id FROM membership m JOIN account a ON a.id = m.account_id
         WHERE m.school_id = $1 AND a.login = 'classteacher' AND m.role = 'class_teacher'",
        s
    )
    .fetch_optional(&mut *tx)
    .await?
    .flatten() else {
        return Ok(());
    };
    // Accounts and memberships for the class's parents (as if their credentials were issued
    // and used), e-mail for those who consented.
    sqlx::query!(
        "WITH parents AS (
             SELECT DISTINCT par.id, par.last_name, par.first_name, par.middle_name
             FROM class_enrollment e
             JOIN pupil_parent pp ON pp.school_id = e.school_id AND pp.pupil_id = e.pupil_id
             JOIN parent par ON par.school_id = pp.school_id AND par.id = pp.parent_id
             WHERE e.school_id = $1 AND e.class_id = $2 AND e.ends_on IS NULL AND par.account_id IS NULL
         ), made AS (
             INSERT INTO account (login, password_hash, last_name, first_name, middle_name,
                                  must_change_password, password_changed_at)
             SELECT 'parent-' || p.id, (SELECT password_hash FROM account WHERE login = 'parent'),
                    p.last_name, p.first_name, p.middle_name, false, $3
             FROM parents p
             RETURNING id, login
         )
         UPDATE parent par SET account_id = made.id,
                email = CASE WHEN par.pd_consent THEN coalesce(par.email, made.login || '@example.ru') ELSE par.email END
         FROM made WHERE par.school_id = $1 AND made.login = 'parent-' || par.id",
        s,
        class_id,
        now
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO membership (school_id, account_id, role, pupil_id)
         SELECT DISTINCT e.school_id, par.account_id, 'parent', e.pupil_id
         FROM class_enrollment e
         JOIN pupil_parent pp ON pp.school_id = e.school_id AND pp.pupil_id = e.pupil_id
         JOIN parent par ON par.school_id = pp.school_id AND par.id = pp.parent_id
         WHERE e.school_id = $1 AND e.class_id = $2 AND e.ends_on IS NULL AND par.account_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM membership m
                           WHERE m.school_id = e.school_id AND m.account_id = par.account_id
                             AND m.role = 'parent' AND m.pupil_id = e.pupil_id AND m.revoked_at IS NULL)",
        s,
        class_id
    )
    .execute(&mut *tx)
    .await?;
    // Diary visits of the last five weeks: most parents on most days, a quarter not for three
    // weeks (the class teacher's list to call), an eighth never; the demo parent every day.
    sqlx::query!(
        "INSERT INTO diary_visit (school_id, pupil_id, account_id, role, on_date, first_at, last_at, views)
         SELECT e.school_id, e.pupil_id, par.account_id, 'parent', d::date,
                d + interval '19 hours', d + interval '19 hours 20 minutes',
                1 + abs(hashtext(par.id::text || d::text)) % 3
         FROM class_enrollment e
         JOIN pupil_parent pp ON pp.school_id = e.school_id AND pp.pupil_id = e.pupil_id
         JOIN parent par ON par.school_id = pp.school_id AND par.id = pp.parent_id
         CROSS JOIN generate_series($3::date - 35, $3::date - 1, interval '1 day') d
         WHERE e.school_id = $1 AND e.class_id = $2 AND e.ends_on IS NULL AND par.account_id IS NOT NULL
           AND CASE
                 WHEN par.account_id = (SELECT id FROM account WHERE login = 'parent') THEN true
                 WHEN abs(hashtext(par.id::text)) % 8 < 5 THEN abs(hashtext(par.id::text || d::text)) % 3 > 0
                 WHEN abs(hashtext(par.id::text)) % 8 IN (5, 6) THEN d::date < $3::date - 21 AND abs(hashtext(par.id::text || d::text)) % 3 = 0
                 ELSE false
               END",
        s,
        class_id,
        today
    )
    .execute(&mut *tx)
    .await?;
    // The diligent parents acknowledge their weeks; the demo parent all but the last one.
    let last_monday = crate::diary::monday(today) - Duration::days(7);
    sqlx::query!(
        "INSERT INTO diary_ack (school_id, pupil_id, account_id, week_start, acknowledged_at)
         SELECT DISTINCT e.school_id, e.pupil_id, par.account_id, w::date, w + interval '5 days 20 hours'
         FROM class_enrollment e
         JOIN pupil_parent pp ON pp.school_id = e.school_id AND pp.pupil_id = e.pupil_id
         JOIN parent par ON par.school_id = pp.school_id AND par.id = pp.parent_id
         CROSS JOIN generate_series($3::date - 28, $3::date, interval '7 days') w
         WHERE e.school_id = $1 AND e.class_id = $2 AND e.ends_on IS NULL AND par.account_id IS NOT NULL
           AND CASE
                 WHEN par.account_id = (SELECT id FROM account WHERE login = 'parent') THEN w::date < $3::date
                 ELSE abs(hashtext(par.id::text)) % 8 < 5 AND abs(hashtext(par.id::text || w::text)) % 5 > 0
               END",
        s,
        class_id,
        last_monday
    )
    .execute(&mut *tx)
    .await?;
    // Two of the parents who never open the diary have asked for it on paper (§4).
    sqlx::query!(
        "UPDATE parent SET paper_extract = true
         WHERE school_id = $1 AND id IN (
             SELECT DISTINCT par.id FROM class_enrollment e
             JOIN pupil_parent pp ON pp.school_id = e.school_id AND pp.pupil_id = e.pupil_id
             JOIN parent par ON par.school_id = pp.school_id AND par.id = pp.parent_id
             WHERE e.school_id = $1 AND e.class_id = $2 AND e.ends_on IS NULL
               AND par.pd_consent IS NOT FALSE AND abs(hashtext(par.id::text)) % 8 = 7
             ORDER BY par.id LIMIT 2)",
        s,
        class_id
    )
    .execute(&mut *tx)
    .await?;
    // Three pupils of the class in the risk group, the ones with the lowest marks.
    sqlx::query!(
        "INSERT INTO risk_pupil (school_id, pupil_id, note, marked_by, marked_at)
         SELECT e.school_id, e.pupil_id,
                (ARRAY['Много пропусков без уважительной причины', 'Неудовлетворительные отметки по математике',
                       'Не выполняет домашние задания'])[row_number() OVER (ORDER BY avg(m.value::int), e.pupil_id)],
                (SELECT id FROM account WHERE login = 'classteacher'), $3
         FROM class_enrollment e
         JOIN mark m ON m.school_id = e.school_id AND m.pupil_id = e.pupil_id AND m.value IN ('2', '3', '4', '5')
         WHERE e.school_id = $1 AND e.class_id = $2 AND e.ends_on IS NULL
         GROUP BY e.school_id, e.pupil_id
         ORDER BY avg(m.value::int), e.pupil_id
         LIMIT 3
         ON CONFLICT DO NOTHING",
        s,
        class_id,
        now
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
