//! The SQL of e-mail: parents' choices and cursors, journal entries to tell, the outbox.
//! Every query but the sender's claim is given a school; the claim looks across schools because
//! one worker serves the whole platform, and every row it touches is then addressed by
//! `(school_id, id)`.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};

use crate::tenancy::SchoolId;

pub struct SchoolRow {
    pub id: SchoolId,
    pub time_zone: String,
    /// When digests are composed (`school.digest_hour`, `school.digest_weekday`).
    pub digest_hour: i16,
    pub digest_weekday: i16,
}

pub async fn schools(pool: &PgPool) -> sqlx::Result<Vec<SchoolRow>> {
    let rows =
        sqlx::query!("SELECT id, time_zone, digest_hour, digest_weekday FROM school ORDER BY id")
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| SchoolRow {
            id: SchoolId(r.id),
            time_zone: r.time_zone,
            digest_hour: r.digest_hour,
            digest_weekday: r.digest_weekday,
        })
        .collect())
}

/// A parent who may get mail: a mode chosen, consent given, an address, a child enrolled today.
#[derive(Clone, Debug)]
pub struct Recipient {
    pub id: i64,
    pub first_name: String,
    pub middle_name: String,
    pub email: String,
    pub notify_mode: String,
    pub notified_until: Option<DateTime<Utc>>,
    pub digest_on: Option<NaiveDate>,
}

/// Locks the next `limit` parents (by id, after `after_id`) who may get mail now — a mode
/// chosen, consent given, an address, a child enrolled `today` — skipping rows another composer
/// holds. The locks last until the caller's transaction ends.
pub async fn lock_recipients(
    conn: &mut PgConnection,
    school: SchoolId,
    today: NaiveDate,
    after_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<Recipient>> {
    sqlx::query_as!(
        Recipient,
        r#"SELECT p.id, p.first_name, p.middle_name, p.email AS "email!", p.notify_mode,
                  p.notified_until, p.digest_on
           FROM parent p
           WHERE p.school_id = $1 AND p.id > $3 AND p.notify_mode <> 'none'
             AND p.pd_consent IS TRUE AND p.email IS NOT NULL
             AND EXISTS (SELECT 1 FROM pupil_parent pp
                         JOIN class_enrollment e ON e.school_id = pp.school_id
                                                AND e.pupil_id = pp.pupil_id
                         WHERE pp.school_id = p.school_id AND pp.parent_id = p.id
                           AND e.starts_on <= $2 AND (e.ends_on IS NULL OR e.ends_on >= $2))
           ORDER BY p.id
           LIMIT $4
           FOR NO KEY UPDATE OF p SKIP LOCKED"#,
        school.0,
        today,
        after_id,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Where a parent's mail now stands: entries up to `notified_until` are told, and the last
/// digest was composed on `digest_on` (`None`: unchanged).
pub struct Cursor {
    pub parent_id: i64,
    pub notified_until: DateTime<Utc>,
    pub digest_on: Option<NaiveDate>,
}

/// Moves the cursors of many parents in one statement.
pub async fn set_cursors(
    conn: &mut PgConnection,
    school: SchoolId,
    cursors: &[Cursor],
) -> sqlx::Result<()> {
    if cursors.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = cursors.iter().map(|c| c.parent_id).collect();
    let until: Vec<DateTime<Utc>> = cursors.iter().map(|c| c.notified_until).collect();
    let digest_on: Vec<Option<NaiveDate>> = cursors.iter().map(|c| c.digest_on).collect();
    sqlx::query!(
        "UPDATE parent p
         SET notified_until = c.notified_until, digest_on = coalesce(c.digest_on, p.digest_on)
         FROM unnest($2::bigint[], $3::timestamptz[], $4::date[])
              AS c(parent_id, notified_until, digest_on)
         WHERE p.school_id = $1 AND p.id = c.parent_id",
        school.0,
        &ids,
        &until,
        &digest_on as &[Option<NaiveDate>]
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A journal entry to tell a parent about.
#[derive(Clone, Debug)]
pub struct Entry {
    pub pupil_id: i64,
    pub pupil_name: String,
    pub class_name: String,
    pub on: NaiveDate,
    pub subject: String,
    pub what: EntryKind,
}

#[derive(Clone, Debug)]
pub enum EntryKind {
    Mark {
        value: String,
        work: String,
    },
    Absence {
        lesson_number: i16,
        reason: Option<String>,
    },
    Homework {
        text: String,
    },
}

/// The window of new entries to read for one parent: entered in `(since, upto]`.
pub struct Since {
    pub parent_id: i64,
    pub since: DateTime<Utc>,
}

/// New marks (not removed) of the children enrolled today of every parent in `who`, each
/// parent's entered in `(since, upto]`; `(parent, entry)` by parent, then in the letter's order.
pub async fn new_marks(
    conn: &mut PgConnection,
    school: SchoolId,
    who: &[Since],
    upto: DateTime<Utc>,
    today: NaiveDate,
) -> sqlx::Result<Vec<(i64, Entry)>> {
    if who.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = who.iter().map(|w| w.parent_id).collect();
    let since: Vec<DateTime<Utc>> = who.iter().map(|w| w.since).collect();
    let rows = sqlx::query!(
        r#"SELECT w.parent_id AS "parent_id!", pu.id AS pupil_id,
                  pu.last_name || ' ' || pu.first_name AS "pupil_name!",
                  c.grade::text || c.letter AS "class_name!", m.given_on,
                  s.name AS subject, m.value AS "value!", wt.name AS work
           FROM unnest($2::bigint[], $3::timestamptz[]) AS w(parent_id, since)
           JOIN pupil_parent pp ON pp.school_id = $1 AND pp.parent_id = w.parent_id
           JOIN pupil pu ON pu.school_id = pp.school_id AND pu.id = pp.pupil_id
           JOIN class_enrollment e ON e.school_id = pp.school_id AND e.pupil_id = pp.pupil_id
                                  AND e.starts_on <= $5 AND (e.ends_on IS NULL OR e.ends_on >= $5)
           JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
           JOIN mark m ON m.school_id = pp.school_id AND m.pupil_id = pp.pupil_id
           JOIN study_group g ON g.school_id = m.school_id AND g.id = m.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           JOIN work_type wt ON wt.school_id = m.school_id AND wt.id = m.work_type_id
           WHERE m.value IS NOT NULL AND m.entered_at > w.since AND m.entered_at <= $4
           ORDER BY w.parent_id, pu.last_name, pu.first_name, pu.id, m.given_on, s.name, m.id"#,
        school.0,
        &ids,
        &since,
        upto,
        today
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.parent_id,
                Entry {
                    pupil_id: r.pupil_id,
                    pupil_name: r.pupil_name,
                    class_name: r.class_name,
                    on: r.given_on,
                    subject: r.subject,
                    what: EntryKind::Mark {
                        value: r.value,
                        work: r.work,
                    },
                },
            )
        })
        .collect())
}

/// New absences (not taken back) of the children enrolled today of every parent in `who`, each
/// parent's entered in `(since, upto]`; by parent, then in the letter's order.
pub async fn new_absences(
    conn: &mut PgConnection,
    school: SchoolId,
    who: &[Since],
    upto: DateTime<Utc>,
    today: NaiveDate,
) -> sqlx::Result<Vec<(i64, Entry)>> {
    if who.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = who.iter().map(|w| w.parent_id).collect();
    let since: Vec<DateTime<Utc>> = who.iter().map(|w| w.since).collect();
    let rows = sqlx::query!(
        r#"SELECT w.parent_id AS "parent_id!", pu.id AS pupil_id,
                  pu.last_name || ' ' || pu.first_name AS "pupil_name!",
                  c.grade::text || c.letter AS "class_name!", l.lesson_date, l.lesson_number,
                  s.name AS subject, a.reason
           FROM unnest($2::bigint[], $3::timestamptz[]) AS w(parent_id, since)
           JOIN pupil_parent pp ON pp.school_id = $1 AND pp.parent_id = w.parent_id
           JOIN pupil pu ON pu.school_id = pp.school_id AND pu.id = pp.pupil_id
           JOIN class_enrollment e ON e.school_id = pp.school_id AND e.pupil_id = pp.pupil_id
                                  AND e.starts_on <= $5 AND (e.ends_on IS NULL OR e.ends_on >= $5)
           JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
           JOIN absence a ON a.school_id = pp.school_id AND a.pupil_id = pp.pupil_id
           JOIN lesson l ON l.school_id = a.school_id AND l.id = a.lesson_id
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           WHERE a.absent AND a.entered_at > w.since AND a.entered_at <= $4
           ORDER BY w.parent_id, pu.last_name, pu.first_name, pu.id, l.lesson_date,
                    l.lesson_number, a.id"#,
        school.0,
        &ids,
        &since,
        upto,
        today
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.parent_id,
                Entry {
                    pupil_id: r.pupil_id,
                    pupil_name: r.pupil_name,
                    class_name: r.class_name,
                    on: r.lesson_date,
                    subject: r.subject,
                    what: EntryKind::Absence {
                        lesson_number: r.lesson_number,
                        reason: r.reason,
                    },
                },
            )
        })
        .collect())
}

/// The days of one parent's digest: lessons in `[first, last]`.
pub struct Days {
    pub parent_id: i64,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// Homework set at the lessons of the children (enrolled today) of every parent in `who`, each
/// parent's in their `[first, last]`; by parent, then in the letter's order.
pub async fn homework(
    conn: &mut PgConnection,
    school: SchoolId,
    who: &[Days],
    today: NaiveDate,
) -> sqlx::Result<Vec<(i64, Entry)>> {
    if who.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = who.iter().map(|w| w.parent_id).collect();
    let first: Vec<NaiveDate> = who.iter().map(|w| w.first).collect();
    let last: Vec<NaiveDate> = who.iter().map(|w| w.last).collect();
    let rows = sqlx::query!(
        r#"SELECT w.parent_id AS "parent_id!", pu.id AS pupil_id,
                  pu.last_name || ' ' || pu.first_name AS "pupil_name!",
                  c.grade::text || c.letter AS "class_name!", l.lesson_date,
                  s.name AS subject, l.homework AS "homework!"
           FROM unnest($2::bigint[], $3::date[], $4::date[]) AS w(parent_id, first, last)
           JOIN pupil_parent pp ON pp.school_id = $1 AND pp.parent_id = w.parent_id
           JOIN pupil pu ON pu.school_id = pp.school_id AND pu.id = pp.pupil_id
           JOIN class_enrollment e ON e.school_id = pp.school_id AND e.pupil_id = pp.pupil_id
                                  AND e.starts_on <= $5 AND (e.ends_on IS NULL OR e.ends_on >= $5)
           JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
           JOIN group_pupil gp ON gp.school_id = pp.school_id AND gp.pupil_id = pp.pupil_id
           JOIN lesson l ON l.school_id = gp.school_id AND l.group_id = gp.group_id
                        AND l.lesson_date BETWEEN w.first AND w.last
                        AND gp.starts_on <= l.lesson_date
                        AND (gp.ends_on IS NULL OR gp.ends_on >= l.lesson_date)
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           WHERE l.homework IS NOT NULL AND l.status NOT IN ('moved', 'cancelled')
           ORDER BY w.parent_id, pu.last_name, pu.first_name, pu.id, l.lesson_date,
                    l.lesson_number"#,
        school.0,
        &ids,
        &first,
        &last,
        today
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.parent_id,
                Entry {
                    pupil_id: r.pupil_id,
                    pupil_name: r.pupil_name,
                    class_name: r.class_name,
                    on: r.lesson_date,
                    subject: r.subject,
                    what: EntryKind::Homework { text: r.homework },
                },
            )
        })
        .collect())
}

pub struct NewMail {
    pub parent_id: i64,
    pub kind: &'static str,
    pub dedupe_key: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
}

/// Puts messages into the outbox in one statement, skipping those whose key is there already;
/// returns how many it put.
pub async fn enqueue(
    conn: &mut PgConnection,
    school: SchoolId,
    mails: &[NewMail],
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    if mails.is_empty() {
        return Ok(0);
    }
    let parent: Vec<i64> = mails.iter().map(|m| m.parent_id).collect();
    let kind: Vec<&str> = mails.iter().map(|m| m.kind).collect();
    let key: Vec<&str> = mails.iter().map(|m| m.dedupe_key.as_str()).collect();
    let to: Vec<&str> = mails.iter().map(|m| m.to_address.as_str()).collect();
    let subject: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    let body: Vec<&str> = mails.iter().map(|m| m.body.as_str()).collect();
    let done = sqlx::query!(
        "INSERT INTO mail_outbox (school_id, parent_id, kind, dedupe_key, to_address, subject, body,
                                  created_at, next_attempt_at)
         SELECT $1, m.parent_id, m.kind, m.dedupe_key, m.to_address, m.subject, m.body, $8, $8
         FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
              AS m(parent_id, kind, dedupe_key, to_address, subject, body)
         ON CONFLICT (school_id, dedupe_key) DO NOTHING",
        school.0,
        &parent,
        &kind as &[&str],
        &key as &[&str],
        &to as &[&str],
        &subject as &[&str],
        &body as &[&str],
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// A message a worker has taken to send.
pub struct Claimed {
    pub school_id: i64,
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
    /// The parent still has consent and an address.
    pub allowed: bool,
}

/// Takes the next due message (not sent, not given up, not held by a live worker), counts the
/// attempt and holds it until `lease_until`. The address is the parent's current one.
///
/// Two statements: the next due message of any school, then its claim, which checks again that
/// it is still due and free (a row lock and a re-check: of two servers that saw the same message,
/// one claims it and the other looks for the next). One statement with `FOR UPDATE SKIP LOCKED`
/// across schools is what Citus cannot run («could not run distributed query with FOR
/// UPDATE/SHARE commands»: the messages of every school are on every worker; docs/SCALE.md).
pub async fn claim(
    pool: &PgPool,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    max_attempts: i32,
) -> sqlx::Result<Option<Claimed>> {
    // Another server may claim the message seen first: a few tries, each finds the next one.
    for _ in 0..8 {
        let Some(due) = sqlx::query!(
            r#"SELECT o.school_id, o.id FROM mail_outbox o
               WHERE o.sent_at IS NULL AND o.cancelled_at IS NULL AND o.attempts < $2
                 AND o.next_attempt_at <= $1
                 AND (o.claimed_until IS NULL OR o.claimed_until <= $1)
               ORDER BY o.next_attempt_at, o.school_id, o.id
               LIMIT 1"#,
            now,
            max_attempts
        )
        .fetch_optional(pool)
        .await?
        else {
            return Ok(None);
        };
        let claimed = sqlx::query_as!(
            Claimed,
            r#"UPDATE mail_outbox o
               SET attempts = o.attempts + 1, claimed_until = $2,
                   to_address = coalesce(p.email, o.to_address)
               FROM parent p
               WHERE o.school_id = $4 AND o.id = $5
                 AND o.sent_at IS NULL AND o.cancelled_at IS NULL AND o.attempts < $3
                 AND o.next_attempt_at <= $1
                 AND (o.claimed_until IS NULL OR o.claimed_until <= $1)
                 AND p.school_id = $4 AND p.id = o.parent_id
               RETURNING o.school_id, o.id, o.to_address, o.subject, o.body, o.attempts,
                         (p.pd_consent IS TRUE AND p.email IS NOT NULL) AS "allowed!""#,
            now,
            lease_until,
            max_attempts,
            due.school_id,
            due.id
        )
        .fetch_optional(pool)
        .await?;
        if claimed.is_some() {
            return Ok(claimed);
        }
    }
    Ok(None)
}

pub async fn mark_sent(
    pool: &PgPool,
    school_id: i64,
    id: i64,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE mail_outbox SET sent_at = $3, claimed_until = NULL, last_error = NULL
         WHERE school_id = $1 AND id = $2",
        school_id,
        id,
        at
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn mark_failed(
    pool: &PgPool,
    school_id: i64,
    id: i64,
    error: &str,
    next_attempt_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE mail_outbox SET last_error = $3, next_attempt_at = $4, claimed_until = NULL
         WHERE school_id = $1 AND id = $2",
        school_id,
        id,
        error,
        next_attempt_at
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn mark_cancelled(
    pool: &PgPool,
    school_id: i64,
    id: i64,
    why: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE mail_outbox SET cancelled_at = $4, last_error = $3, claimed_until = NULL
         WHERE school_id = $1 AND id = $2",
        school_id,
        id,
        why,
        at
    )
    .execute(pool)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The parent's choice
// ---------------------------------------------------------------------------------------------

pub struct ParentChoice {
    pub id: i64,
    pub full_name: String,
    pub email: Option<String>,
    pub pd_consent: Option<bool>,
    pub notify_mode: String,
}

/// The school's parent records of an account.
pub async fn parent_records(
    conn: &mut PgConnection,
    school: SchoolId,
    account_id: i64,
) -> sqlx::Result<Vec<ParentChoice>> {
    sqlx::query_as!(
        ParentChoice,
        r#"SELECT id, btrim(last_name || ' ' || first_name || ' ' || middle_name) AS "full_name!",
                  email, pd_consent, notify_mode
           FROM parent WHERE school_id = $1 AND account_id = $2 ORDER BY id"#,
        school.0,
        account_id
    )
    .fetch_all(conn)
    .await
}

/// Sets a parent's mode; a parent who starts getting mail starts from `now`, not from the past,
/// and a new kind of digest starts its own calendar (the dedupe keys still forbid a repeat).
pub async fn set_mode(
    conn: &mut PgConnection,
    school: SchoolId,
    parent_id: i64,
    mode: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE parent
         SET notified_until = CASE WHEN notify_mode = 'none' OR notified_until IS NULL
                                   THEN $4 ELSE notified_until END,
             digest_on = CASE WHEN notify_mode = $3 THEN digest_on END,
             notify_mode = $3
         WHERE school_id = $1 AND id = $2",
        school.0,
        parent_id,
        mode,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The operators' list
// ---------------------------------------------------------------------------------------------

pub struct OutboxRow {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub to_address: String,
    pub subject: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

pub async fn recent(pool: &PgPool, school: SchoolId, limit: i64) -> sqlx::Result<Vec<OutboxRow>> {
    sqlx::query_as!(
        OutboxRow,
        "SELECT id, created_at, to_address, subject, attempts, next_attempt_at, last_error,
                sent_at, cancelled_at
         FROM mail_outbox WHERE school_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        school.0,
        limit
    )
    .fetch_all(pool)
    .await
}
