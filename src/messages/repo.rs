//! SQL of the messages; every query is given the school.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;

use crate::tenancy::SchoolId;

/// A member of staff in a pupil's circle (regulations §4).
#[derive(Debug, Clone)]
pub struct CircleRow {
    pub pupil_id: i64,
    pub pupil: String,
    pub class_id: i64,
    pub class_name: String,
    pub account_id: i64,
    pub name: String,
    /// `Tie` as a number: 1 class teacher, 2 teacher, 3 management (the closest tie wins).
    pub tie: i32,
    /// The subjects a teacher teaches the pupil.
    pub subjects: Option<String>,
}

/// **The circle**, the one place that decides who may write to whom: the pupils enrolled in the
/// school on `today` (or only `pupil`) × the staff who may talk with their parents (or only
/// `staff`) — the teachers of the pupil's groups today (teaching load, or a timetable line in
/// force), the class teacher of the pupil's class, the deputies and the director. Only people
/// with an active staff membership in the school and an enabled account.
pub async fn circle(
    conn: &mut PgConnection,
    school: SchoolId,
    today: NaiveDate,
    pupil: Option<i64>,
    staff: Option<i64>,
) -> sqlx::Result<Vec<CircleRow>> {
    sqlx::query_as!(
        CircleRow,
        r#"WITH pupil_now AS (
               SELECT e.pupil_id, e.class_id
               FROM class_enrollment e
               WHERE e.school_id = $1 AND e.starts_on <= $2
                 AND (e.ends_on IS NULL OR e.ends_on >= $2)
                 AND ($3::bigint IS NULL OR e.pupil_id = $3)
           ),
           tie AS (
               SELECT p.pupil_id, p.class_id, t.teacher_id AS account_id, 2 AS tie,
                      s.name AS subject
               FROM pupil_now p
               JOIN group_pupil gp ON gp.school_id = $1 AND gp.pupil_id = p.pupil_id
                    AND gp.starts_on <= $2 AND (gp.ends_on IS NULL OR gp.ends_on >= $2)
               JOIN study_group g ON g.school_id = $1 AND g.id = gp.group_id
               JOIN academic_year y ON y.school_id = $1 AND y.id = g.academic_year_id
                    AND $2 BETWEEN y.starts_on AND y.ends_on
               JOIN subject s ON s.school_id = $1 AND s.id = g.subject_id
               JOIN LATERAL (
                   SELECT ta.teacher_id FROM teaching_assignment ta
                   WHERE ta.school_id = $1 AND ta.group_id = g.id
                   UNION
                   SELECT ts.teacher_id FROM timetable_slot ts
                   WHERE ts.school_id = $1 AND ts.group_id = g.id AND ts.valid_from <= $2
                     AND (ts.valid_to IS NULL OR ts.valid_to >= $2)
               ) t ON true
               UNION ALL
               SELECT p.pupil_id, p.class_id, m.account_id, 1, NULL
               FROM pupil_now p
               JOIN membership m ON m.school_id = $1 AND m.role = 'class_teacher'
                    AND m.class_id = p.class_id AND m.revoked_at IS NULL
               UNION ALL
               SELECT p.pupil_id, p.class_id, m.account_id, 3, NULL
               FROM pupil_now p
               JOIN membership m ON m.school_id = $1 AND m.role IN ('deputy', 'director')
                    AND m.revoked_at IS NULL
           )
           SELECT t.pupil_id AS "pupil_id!", t.class_id AS "class_id!",
                  pu.last_name || ' ' || pu.first_name AS "pupil!",
                  c.grade || c.letter AS "class_name!",
                  t.account_id AS "account_id!",
                  a.last_name || ' ' || a.first_name || ' ' || a.middle_name AS "name!",
                  min(t.tie) AS "tie!",
                  string_agg(DISTINCT t.subject, ', ') AS subjects
           FROM tie t
           JOIN account a ON a.id = t.account_id AND a.disabled_at IS NULL
           JOIN pupil pu ON pu.school_id = $1 AND pu.id = t.pupil_id
           JOIN school_class c ON c.school_id = $1 AND c.id = t.class_id
           WHERE ($4::bigint IS NULL OR t.account_id = $4)
             AND EXISTS (SELECT 1 FROM membership sm
                         WHERE sm.school_id = $1 AND sm.account_id = t.account_id
                           AND sm.revoked_at IS NULL
                           AND sm.role IN ('director', 'deputy', 'teacher', 'class_teacher'))
           GROUP BY t.pupil_id, t.class_id, pu.last_name, pu.first_name, c.grade, c.letter,
                    t.account_id, a.last_name, a.first_name, a.middle_name
           ORDER BY c.grade, c.letter, pu.last_name, pu.first_name, min(t.tie), a.last_name,
                    a.first_name"#,
        school.0,
        today,
        pupil,
        staff,
    )
    .fetch_all(conn)
    .await
}

/// A parent of a pupil who can sign in (an active parent membership, an enabled account).
#[derive(Debug, Clone)]
pub struct ParentRow {
    pub pupil_id: i64,
    pub account_id: i64,
    pub name: String,
    pub relation: Option<String>,
}

pub async fn parents_of(
    conn: &mut PgConnection,
    school: SchoolId,
    pupils: &[i64],
) -> sqlx::Result<Vec<ParentRow>> {
    sqlx::query_as!(
        ParentRow,
        r#"SELECT m.pupil_id AS "pupil_id!", m.account_id,
                  a.last_name || ' ' || a.first_name || ' ' || a.middle_name AS "name!",
                  (SELECT pp.relation FROM parent pr
                   JOIN pupil_parent pp ON pp.school_id = pr.school_id AND pp.parent_id = pr.id
                   WHERE pr.school_id = m.school_id AND pr.account_id = m.account_id
                     AND pp.pupil_id = m.pupil_id
                   LIMIT 1) AS relation
           FROM membership m
           JOIN account a ON a.id = m.account_id AND a.disabled_at IS NULL
           WHERE m.school_id = $1 AND m.role = 'parent' AND m.revoked_at IS NULL
             AND m.pupil_id = ANY($2)
           ORDER BY a.last_name, a.first_name, a.middle_name"#,
        school.0,
        pupils,
    )
    .fetch_all(conn)
    .await
}

/// Starts a thread between `author` and `recipient` with its first message; returns the thread's
/// id.
#[allow(clippy::too_many_arguments)]
pub async fn insert_thread(
    conn: &mut PgConnection,
    school: SchoolId,
    pupil_id: i64,
    author: i64,
    recipient: i64,
    subject: &str,
    body: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<i64> {
    let thread_id = sqlx::query_scalar!(
        "INSERT INTO message_thread
             (school_id, subject, about_pupil_id, created_by, created_at, last_message_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         RETURNING id",
        school.0,
        subject,
        pupil_id,
        author,
        at
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO thread_participant (school_id, thread_id, account_id)
         SELECT $1, $2, unnest($3::bigint[])",
        school.0,
        thread_id,
        &[author, recipient][..],
    )
    .execute(&mut *conn)
    .await?;
    insert_message(conn, school, thread_id, author, body, at).await?;
    Ok(thread_id)
}

/// Adds a message to a thread: the thread's last message time moves, and the author has read
/// everything up to their own message.
pub async fn insert_message(
    conn: &mut PgConnection,
    school: SchoolId,
    thread_id: i64,
    author: i64,
    body: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<i64> {
    let id = sqlx::query_scalar!(
        "INSERT INTO message (school_id, thread_id, author_id, body, sent_at)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
        school.0,
        thread_id,
        author,
        body,
        at
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE message_thread SET last_message_at = greatest(last_message_at, $3)
         WHERE school_id = $1 AND id = $2",
        school.0,
        thread_id,
        at
    )
    .execute(&mut *conn)
    .await?;
    mark_read(conn, school, thread_id, author, id).await?;
    Ok(id)
}

/// The participant has read the thread up to `message_id`.
pub async fn mark_read(
    conn: &mut PgConnection,
    school: SchoolId,
    thread_id: i64,
    account_id: i64,
    message_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE thread_participant
         SET last_read_message_id = greatest(last_read_message_id, $4)
         WHERE school_id = $1 AND thread_id = $2 AND account_id = $3",
        school.0,
        thread_id,
        account_id,
        message_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A thread as the inbox lists it.
#[derive(Debug, Clone)]
pub struct InboxLine {
    pub id: i64,
    pub subject: String,
    pub pupil: String,
    pub class_name: Option<String>,
    pub others: String,
    pub last_message_at: DateTime<Utc>,
    pub unread: i64,
}

/// The threads of `account` in the school, the latest first, with their unread counts — one
/// query (the participant index, then a range of the thread's messages each). `pupil`: only
/// threads about this pupil (a parent's membership is about one child).
pub async fn inbox(
    conn: &mut PgConnection,
    school: SchoolId,
    account: i64,
    pupil: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<InboxLine>> {
    sqlx::query_as!(
        InboxLine,
        r#"SELECT t.id, t.subject,
                  pu.last_name || ' ' || pu.first_name AS "pupil!",
                  (SELECT c.grade || c.letter FROM class_enrollment e
                   JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
                   WHERE e.school_id = $1 AND e.pupil_id = t.about_pupil_id
                   ORDER BY e.starts_on DESC LIMIT 1) AS class_name,
                  coalesce((SELECT string_agg(a.last_name || ' ' || a.first_name || ' '
                                              || a.middle_name, ', ' ORDER BY a.last_name)
                            FROM thread_participant o JOIN account a ON a.id = o.account_id
                            WHERE o.school_id = $1 AND o.thread_id = tp.thread_id
                              AND o.account_id <> tp.account_id), '') AS "others!",
                  t.last_message_at,
                  (SELECT count(*) FROM message m
                   WHERE m.school_id = $1 AND m.thread_id = tp.thread_id
                     AND m.id > tp.last_read_message_id
                     AND m.author_id <> tp.account_id) AS "unread!"
           FROM thread_participant tp
           JOIN message_thread t ON t.school_id = tp.school_id AND t.id = tp.thread_id
           JOIN pupil pu ON pu.school_id = t.school_id AND pu.id = t.about_pupil_id
           WHERE tp.school_id = $1 AND tp.account_id = $2
             AND ($3::bigint IS NULL OR t.about_pupil_id = $3)
           ORDER BY t.last_message_at DESC, t.id DESC
           LIMIT $4"#,
        school.0,
        account,
        pupil,
        limit
    )
    .fetch_all(conn)
    .await
}

/// A thread as its page heads it, for one of its participants.
#[derive(Debug, Clone)]
pub struct ThreadHead {
    pub id: i64,
    pub subject: String,
    pub pupil_id: i64,
    pub pupil: String,
    pub others: String,
    pub last_read_message_id: i64,
}

/// The thread if `account` takes part in it (and, for a parent, it is about `pupil`); `None`
/// otherwise — another school's thread, or someone else's.
pub async fn thread_for(
    conn: &mut PgConnection,
    school: SchoolId,
    thread_id: i64,
    account: i64,
    pupil: Option<i64>,
) -> sqlx::Result<Option<ThreadHead>> {
    sqlx::query_as!(
        ThreadHead,
        r#"SELECT t.id, t.subject, t.about_pupil_id AS pupil_id,
                  pu.last_name || ' ' || pu.first_name AS "pupil!",
                  coalesce((SELECT string_agg(a.last_name || ' ' || a.first_name || ' '
                                              || a.middle_name, ', ' ORDER BY a.last_name)
                            FROM thread_participant o JOIN account a ON a.id = o.account_id
                            WHERE o.school_id = $1 AND o.thread_id = tp.thread_id
                              AND o.account_id <> tp.account_id), '') AS "others!",
                  tp.last_read_message_id
           FROM thread_participant tp
           JOIN message_thread t ON t.school_id = tp.school_id AND t.id = tp.thread_id
           JOIN pupil pu ON pu.school_id = t.school_id AND pu.id = t.about_pupil_id
           WHERE tp.school_id = $1 AND tp.thread_id = $2 AND tp.account_id = $3
             AND ($4::bigint IS NULL OR t.about_pupil_id = $4)"#,
        school.0,
        thread_id,
        account,
        pupil
    )
    .fetch_optional(conn)
    .await
}

/// Locks a thread's row, so that messages of one thread are written one after the other.
pub async fn lock_thread(
    conn: &mut PgConnection,
    school: SchoolId,
    thread_id: i64,
) -> sqlx::Result<()> {
    sqlx::query_scalar!(
        "SELECT id FROM message_thread WHERE school_id = $1 AND id = $2 FOR UPDATE",
        school.0,
        thread_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(())
}

/// A message of a thread.
#[derive(Debug, Clone)]
pub struct MessageLine {
    pub id: i64,
    pub author_id: i64,
    pub author: String,
    pub body: String,
    pub sent_at: DateTime<Utc>,
}

pub async fn messages(
    conn: &mut PgConnection,
    school: SchoolId,
    thread_id: i64,
) -> sqlx::Result<Vec<MessageLine>> {
    sqlx::query_as!(
        MessageLine,
        r#"SELECT m.id, m.author_id,
                  a.last_name || ' ' || a.first_name || ' ' || a.middle_name AS "author!",
                  m.body, m.sent_at
           FROM message m JOIN account a ON a.id = m.author_id
           WHERE m.school_id = $1 AND m.thread_id = $2
           ORDER BY m.id"#,
        school.0,
        thread_id
    )
    .fetch_all(conn)
    .await
}
