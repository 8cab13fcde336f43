//! The demo's e-mail choices (regulations §4): the demo parent gets a message for every new mark,
//! and a few parents of 5«Б» with consent get an address and a daily or weekly digest. Cursors
//! start now, so the first start does not mail the whole quarter of the demo journal.

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
        "UPDATE parent p SET notify_mode = 'instant', notified_until = $2
         FROM account a
         WHERE p.school_id = $1 AND a.id = p.account_id AND a.login = 'parent'
           AND p.pd_consent IS TRUE AND p.email IS NOT NULL",
        school.0,
        now
    )
    .execute(&mut *tx)
    .await?;
    // Six other mothers of 5«Б» who gave consent: an address, and daily or weekly digests.
    sqlx::query!(
        "WITH chosen AS (
             SELECT p.id, row_number() OVER (ORDER BY p.id) AS n
             FROM parent p
             JOIN pupil_parent pp ON pp.school_id = p.school_id AND pp.parent_id = p.id
             JOIN class_enrollment e ON e.school_id = pp.school_id AND e.pupil_id = pp.pupil_id
                                    AND e.ends_on IS NULL
             JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
             WHERE p.school_id = $1 AND c.grade = 5 AND c.letter = 'Б'
               AND p.pd_consent IS TRUE AND p.account_id IS NULL
             ORDER BY p.id LIMIT 6)
         UPDATE parent p
         SET email = coalesce(p.email, 'roditel' || p.id || '@example.ru'),
             notify_mode = CASE WHEN chosen.n % 2 = 0 THEN 'weekly' ELSE 'daily' END,
             notified_until = $2
         FROM chosen
         WHERE p.school_id = $1 AND p.id = chosen.id",
        school.0,
        now
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
