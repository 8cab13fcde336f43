//! Queries of the journal's writes: one lesson's facts for the rules, a cell's state, upserts.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::PgConnection;

use crate::rules::calendar::Span;
use crate::rules::grading::{Scale, scale_for};
use crate::rules::journal::{LessonTime, Settings};
use crate::tenancy::SchoolId;

/// Everything the rules need to know about a lesson, in one query.
#[derive(Debug, Clone)]
pub struct LessonCtx {
    pub id: i64,
    pub group_id: i64,
    pub lesson_date: NaiveDate,
    pub lesson_number: i16,
    pub status: String,
    pub teacher_id: i64,
    pub substitute_id: Option<i64>,
    /// «Фамилия Имя Отчество» of the substitute.
    pub substitute_name: Option<String>,
    /// The group's name and its subject's, for the lesson page's heading.
    pub group_name: String,
    pub subject_name: String,
    pub class_id: Option<i64>,
    pub subject_id: i64,
    pub academic_year_id: i64,
    pub year_closed: bool,
    pub grade: i16,
    pub subject_scale: String,
    pub grade_scale: Option<String>,
    pub starts_at: Option<NaiveTime>,
    pub day_ends_at: Option<NaiveTime>,
    pub period_id: Option<i64>,
    pub period_starts: Option<NaiveDate>,
    pub period_ends: Option<NaiveDate>,
    pub time_zone: String,
    pub entry_lock_days: i16,
    pub mark_cutoff: Option<NaiveTime>,
    pub homework_window_minutes: i16,
    pub period_mark_grace_days: i16,
    pub topic: Option<String>,
    pub planned_topic: Option<String>,
    pub homework: Option<String>,
    pub homework_none: bool,
    pub homework_minutes: Option<i16>,
    /// J7: the homework was last written after the window.
    pub homework_late: bool,
    pub teacher_comment: Option<String>,
    /// Where the reader `lesson_ctx` was given stands, read with the lesson: whether they teach
    /// the group; whether a deputy's unlock of the lesson or the whole journal is in force now;
    /// J13 whether period marks of the lesson's period are set for every pupil in the group on
    /// the period's last day or today, whichever is first (and at least one is set); 001 §6 the
    /// end of a registered break in the system's work that the lesson's start falls in.
    pub teaches: bool,
    /// When the last of the deputy's unlocks of the lesson or its journal in force ends; none:
    /// not unlocked.
    pub unlocked_until: Option<DateTime<Utc>>,
    pub period_closed: bool,
    pub outage_ended: Option<DateTime<Utc>>,
}

impl LessonCtx {
    pub fn time(&self) -> LessonTime {
        LessonTime {
            date: self.lesson_date,
            starts_at: self.starts_at,
            class_day_ends_at: self.day_ends_at,
        }
    }

    pub fn settings(&self) -> Settings {
        Settings {
            entry_lock_days: i64::from(self.entry_lock_days),
            mark_cutoff: self.mark_cutoff,
            homework_window_minutes: i64::from(self.homework_window_minutes),
            period_mark_grace_days: i64::from(self.period_mark_grace_days),
        }
    }

    /// The subject's scale in this grade (J10: none in grade 1).
    pub fn scale(&self) -> Scale {
        scale_for(
            Scale::parse(&self.subject_scale).unwrap_or(Scale::FivePoint),
            self.grade_scale.as_deref().and_then(Scale::parse),
            self.grade,
        )
    }

    pub fn period(&self) -> Option<Span> {
        Some(Span::new(self.period_starts?, self.period_ends?))
    }
}

/// What a lesson is read for (`lesson_ctx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum For {
    /// A page: nothing locked.
    Page,
    /// A write: the lesson's row locked as it is read, so that writes to one lesson run one after
    /// another (no lost update): what a write reads of the cells comes in later statements, which
    /// see what the previous writer committed.
    Write,
    /// A write of cells (marks and absences, the write made all day): locked as `Write`, and
    /// without the end of the class's day (`day_ends_at` none), which only homework's time asks
    /// (J7). That subquery was a quarter of the statement's PostgreSQL CPU (issue 16).
    Cells,
}

/// The lesson with its facts, as `how` asks.
pub async fn lesson_ctx(
    conn: &mut PgConnection,
    school: SchoolId,
    lesson_id: i64,
    reader: i64,
    now: DateTime<Utc>,
    how: For,
) -> sqlx::Result<Option<LessonCtx>> {
    // Locked, the lesson is read by the same statement (`FOR UPDATE OF l`), which saves every
    // write a round trip. Citus is not asked to lock a row of a router query joining reference
    // tables: there the lock is a statement of its own, before the read.
    let lock = how != For::Page;
    let lock_apart = lock && crate::db::is_citus();
    if lock_apart {
        sqlx::query!(
            "SELECT id FROM lesson WHERE school_id = $1 AND id = $2 FOR UPDATE",
            school.0,
            lesson_id
        )
        .fetch_optional(&mut *conn)
        .await?;
    }
    // Subqueries name the school by `$1`, not the outer row's column: Citus routes it (SCALE.md).
    // The substitute's name is a subquery, asked only when there is a substitute (a join had the
    // generic plan hash every account of the platform on every read).
    // `day_end`: with the end of the class's day, its last lesson's bell that day (the lesson's
    // own when the group is no class's); `no_day_end`: without.
    macro_rules! read {
        (day_end, $tail:tt) => {
            read!(@ r#"(SELECT max(b2.ends_at)
                   FROM study_group g2
                   JOIN lesson l2 ON l2.school_id = g2.school_id AND l2.group_id = g2.id
                                 AND l2.lesson_date = l.lesson_date
                   JOIN bell b2 ON b2.school_id = l2.school_id AND b2.academic_year_id = g2.academic_year_id
                               AND b2.shift = coalesce(c.shift, ts.shift, 1)
                               AND b2.lesson_number = l2.lesson_number
                   WHERE g2.school_id = $1 AND (g2.class_id = g.class_id OR g2.id = g.id)
                     AND l2.status <> 'cancelled'
                     AND (g2.class_id = g.class_id OR l2.id = l.id))"#, $tail)
        };
        (no_day_end, $tail:tt) => {
            read!(@ "NULL::time", $tail)
        };
        (@ $day_end:tt, $tail:tt) => {
            sqlx::query_as!(
                LessonCtx,
                r#"SELECT l.id, l.group_id, l.lesson_date, l.lesson_number, l.status, l.teacher_id,
                  sub.teacher_id AS "substitute_id?",
                  (SELECT sa.last_name || ' ' || sa.first_name || ' ' || sa.middle_name
                   FROM account sa WHERE sa.id = sub.teacher_id) AS "substitute_name?",
                  g.name AS group_name, s.name AS subject_name,
                  g.class_id, g.subject_id, g.academic_year_id,
                  y.closed_at IS NOT NULL AS "year_closed!",
                  coalesce(c.grade, ts.grade, 5)::smallint AS "grade!",
                  s.scale AS subject_scale, sgs.scale AS "grade_scale?",
                  b.starts_at AS "starts_at?", "# + $day_end + r#" AS "day_ends_at?",
                  p.id AS "period_id?", p.starts_on AS "period_starts?", p.ends_on AS "period_ends?",
                  sc.time_zone, sc.entry_lock_days, sc.mark_cutoff, sc.homework_window_minutes,
                  sc.period_mark_grace_days,
                  l.topic, l.planned_topic, l.homework, l.homework_none, l.homework_minutes,
                  l.homework_late, l.teacher_comment,
                  EXISTS (SELECT 1 FROM teaching_assignment ta
                          WHERE ta.school_id = $1 AND ta.group_id = l.group_id AND ta.teacher_id = $3) AS "teaches!",
                  u.until AS "unlocked_until?",
                  coalesce(p.id IS NOT NULL
                      AND EXISTS (SELECT 1 FROM period_mark pm
                                  WHERE pm.school_id = $1 AND pm.group_id = l.group_id AND pm.period_id = p.id)
                      AND NOT EXISTS (
                          SELECT 1 FROM group_pupil gp
                          WHERE gp.school_id = $1 AND gp.group_id = l.group_id
                            AND gp.starts_on <= least(p.ends_on, ($4 AT TIME ZONE sc.time_zone)::date)
                            AND (gp.ends_on IS NULL
                                 OR gp.ends_on >= least(p.ends_on, ($4 AT TIME ZONE sc.time_zone)::date))
                            AND NOT EXISTS (SELECT 1 FROM period_mark pm
                                            WHERE pm.school_id = $1 AND pm.group_id = l.group_id
                                              AND pm.period_id = p.id AND pm.pupil_id = gp.pupil_id)),
                      false) AS "period_closed!",
                  (SELECT max(o.ends_at) FROM system_outage o
                   WHERE o.school_id = $1
                     AND o.starts_at <= (l.lesson_date + coalesce(b.starts_at, time '00:00')) AT TIME ZONE sc.time_zone
                     AND o.ends_at >= (l.lesson_date + coalesce(b.starts_at, time '00:00')) AT TIME ZONE sc.time_zone)
                      AS "outage_ended: DateTime<Utc>"
           FROM lesson l
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           JOIN academic_year y ON y.school_id = g.school_id AND y.id = g.academic_year_id
           JOIN school sc ON sc.id = l.school_id
           LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           LEFT JOIN timetable_slot ts ON ts.school_id = l.school_id AND ts.id = l.slot_id
           LEFT JOIN substitution sub ON sub.school_id = l.school_id AND sub.lesson_id = l.id
           LEFT JOIN subject_grade_scale sgs ON sgs.school_id = s.school_id AND sgs.subject_id = s.id
                                            AND sgs.grade = coalesce(c.grade, ts.grade)
           LEFT JOIN bell b ON b.school_id = l.school_id AND b.academic_year_id = g.academic_year_id
                           AND b.shift = coalesce(c.shift, ts.shift, 1)
                           AND b.lesson_number = l.lesson_number
           LEFT JOIN LATERAL (
               SELECT sp.id, sp.starts_on, sp.ends_on
               FROM period_scheme ps
               JOIN study_period sp ON sp.school_id = ps.school_id AND sp.scheme_id = ps.id
               WHERE ps.school_id = $1 AND ps.academic_year_id = g.academic_year_id
                 AND coalesce(c.grade, ts.grade, 5) BETWEEN ps.grade_from AND ps.grade_to
                 AND l.lesson_date BETWEEN sp.starts_on AND sp.ends_on
               LIMIT 1) p ON true
           CROSS JOIN LATERAL (
               SELECT max(ju.until) AS until FROM journal_unlock ju
               WHERE ju.school_id = $1 AND ju.group_id = l.group_id AND ju.until > $4
                 AND (ju.lesson_id IS NULL OR ju.lesson_id = l.id)) u
           WHERE l.school_id = $1 AND l.id = $2"# + $tail,
                school.0,
                lesson_id,
                reader,
                now
            )
            .fetch_optional(conn)
            .await
        };
    }
    match (how, lock_apart) {
        (For::Page, _) | (For::Write, true) => read!(day_end, ""),
        (For::Write, false) => read!(day_end, " FOR UPDATE OF l"),
        (For::Cells, false) => read!(no_day_end, " FOR UPDATE OF l"),
        (For::Cells, true) => read!(no_day_end, ""),
    }
}

/// The statement of [`lock_lesson_versions`]: `$1` the school, `$2` the lesson. The journal's
/// last event by the journal's index, ordered as `web::page_cache::JOURNAL_VERSIONS` says why.
pub const LESSON_VERSIONS: &str = r#"
    SELECT (SELECT substring(e.chain_hash FROM 1 FOR 8) FROM audit_journal_state_event e
            WHERE e.school_id = $1 AND e.group_id >= l.group_id AND e.group_id <= l.group_id
            ORDER BY e.group_id DESC, e.chain_seq DESC LIMIT 1) AS journal,
           (SELECT substring(e.chain_hash FROM 1 FOR 8) FROM audit_school_event e
            WHERE e.school_id = $1 ORDER BY e.chain_seq DESC LIMIT 1) AS school
    FROM lesson l WHERE l.school_id = $1 AND l.id = $2 FOR UPDATE OF l"#;

/// The lesson locked as a write locks it (`lesson_ctx`), with the versions of its rules' facts
/// (`kept`): the last event of its journal other than its cells' values, and the school's last
/// event. None: the school has no such lesson.
pub async fn lock_lesson_versions(
    conn: &mut PgConnection,
    school: SchoolId,
    lesson_id: i64,
) -> sqlx::Result<Option<super::kept::Versions>> {
    let row: Option<crate::audit::chain::JournalAndSchool> = sqlx::query_as(LESSON_VERSIONS)
        .bind(school.0)
        .bind(lesson_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(journal, school)| super::kept::Versions::of(journal, school)))
}

/// The statement of [`lock_lessons_versions`]: [`LESSON_VERSIONS`] for several lessons (`$2`),
/// locked in the order of their ids.
const LESSONS_VERSIONS: &str = r#"
    SELECT l.id,
           (SELECT substring(e.chain_hash FROM 1 FOR 8) FROM audit_journal_state_event e
            WHERE e.school_id = $1 AND e.group_id >= l.group_id AND e.group_id <= l.group_id
            ORDER BY e.group_id DESC, e.chain_seq DESC LIMIT 1) AS journal,
           (SELECT substring(e.chain_hash FROM 1 FOR 8) FROM audit_school_event e
            WHERE e.school_id = $1 ORDER BY e.chain_seq DESC LIMIT 1) AS school
    FROM lesson l WHERE l.school_id = $1 AND l.id = ANY($2) ORDER BY l.id FOR UPDATE OF l"#;

/// Several lessons locked as [`lock_lesson_versions`] locks one, in the order of their ids, with
/// their versions: the school's lessons among `lesson_ids`.
pub async fn lock_lessons_versions(
    conn: &mut PgConnection,
    school: SchoolId,
    lesson_ids: &[i64],
) -> sqlx::Result<Vec<(i64, super::kept::Versions)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        journal: Option<Vec<u8>>,
        school: Option<Vec<u8>>,
    }
    let rows: Vec<Row> = sqlx::query_as(LESSONS_VERSIONS)
        .bind(school.0)
        .bind(lesson_ids)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, super::kept::Versions::of(r.journal, r.school)))
        .collect())
}

/// Whether a deputy's unlock of the lesson, or of its whole journal, is in force at `now`.
pub async fn unlocked(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
    lesson_id: Option<i64>,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM journal_unlock
                          WHERE school_id = $1 AND group_id = $2 AND until > $4
                            AND (lesson_id IS NULL OR lesson_id = $3)) AS "e!""#,
        school.0,
        group_id,
        lesson_id,
        now
    )
    .fetch_one(conn)
    .await
}

/// Whether the account teaches the group (teaching load).
pub async fn teaches(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
    account_id: i64,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM teaching_assignment
                          WHERE school_id = $1 AND group_id = $2 AND teacher_id = $3) AS "e!""#,
        school.0,
        group_id,
        account_id
    )
    .fetch_one(conn)
    .await
}

/// Whether the pupil is in the group on the day.
pub async fn member_on(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
    pupil_id: i64,
    on: NaiveDate,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM group_pupil
                          WHERE school_id = $1 AND group_id = $2 AND pupil_id = $3
                            AND starts_on <= $4 AND (ends_on IS NULL OR ends_on >= $4)) AS "e!""#,
        school.0,
        group_id,
        pupil_id,
        on
    )
    .fetch_one(conn)
    .await
}

/// A mark column of a lesson.
#[derive(Debug, Clone)]
pub struct ColumnRow {
    pub id: i64,
    pub lesson_id: i64,
    pub position: i16,
    pub work_type_id: i64,
    pub work_type: String,
    pub work_type_short: String,
    pub checking_days: i16,
}

pub async fn lesson_columns(
    conn: &mut PgConnection,
    school: SchoolId,
    lesson_id: i64,
) -> sqlx::Result<Vec<ColumnRow>> {
    sqlx::query_as!(
        ColumnRow,
        "SELECT c.id, c.lesson_id, c.position, c.work_type_id, w.name AS work_type,
                w.short_name AS work_type_short, w.checking_days
         FROM mark_column c JOIN work_type w ON w.school_id = c.school_id AND w.id = c.work_type_id
         WHERE c.school_id = $1 AND c.lesson_id = $2 ORDER BY c.position",
        school.0,
        lesson_id
    )
    .fetch_all(conn)
    .await
}

/// The lesson page's columns and the school's work types (the column's work-type choice), in one
/// round trip: every work type in name order, each with the lesson's columns of that type.
pub async fn lesson_columns_and_work_types(
    conn: &mut PgConnection,
    school: SchoolId,
    lesson_id: i64,
) -> sqlx::Result<(Vec<ColumnRow>, Vec<(i64, String)>)> {
    let rows = sqlx::query!(
        r#"SELECT w.id, w.name, w.short_name, w.checking_days,
                  c.id AS "column_id?", c.position AS "position?"
           FROM work_type w
           LEFT JOIN mark_column c ON c.school_id = w.school_id AND c.work_type_id = w.id
                                  AND c.lesson_id = $2
           WHERE w.school_id = $1
           ORDER BY w.name, w.id, c.position"#,
        school.0,
        lesson_id
    )
    .fetch_all(conn)
    .await?;
    let mut columns = Vec::new();
    let mut work_types: Vec<(i64, String)> = Vec::with_capacity(rows.len());
    for r in rows {
        if let (Some(id), Some(position)) = (r.column_id, r.position) {
            columns.push(ColumnRow {
                id,
                lesson_id,
                position,
                work_type_id: r.id,
                work_type: r.name.clone(),
                work_type_short: r.short_name,
                checking_days: r.checking_days,
            });
        }
        if work_types.last().is_none_or(|(id, _)| *id != r.id) {
            work_types.push((r.id, r.name));
        }
    }
    columns.sort_by_key(|c| c.position);
    Ok((columns, work_types))
}

/// The work type of a lesson's first column when the teacher has not chosen one: «Ответ на
/// уроке», else the first marked on the day.
pub async fn default_work_type(conn: &mut PgConnection, school: SchoolId) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "SELECT id FROM work_type WHERE school_id = $1
         ORDER BY (name = 'Ответ на уроке') DESC, checking_days, id LIMIT 1",
        school.0
    )
    .fetch_one(conn)
    .await
}

pub async fn insert_column(
    conn: &mut PgConnection,
    school: SchoolId,
    lesson_id: i64,
    work_type_id: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO mark_column (school_id, lesson_id, position, work_type_id)
         SELECT $1, $2, coalesce(max(position), 0) + 1, $3
         FROM mark_column WHERE school_id = $1 AND lesson_id = $2
         RETURNING id",
        school.0,
        lesson_id,
        work_type_id
    )
    .fetch_one(conn)
    .await
}

/// Changes a column's work type, and that of its marks.
pub async fn set_column_work_type(
    conn: &mut PgConnection,
    school: SchoolId,
    column_id: i64,
    work_type_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE mark_column SET work_type_id = $3 WHERE school_id = $1 AND id = $2",
        school.0,
        column_id,
        work_type_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE mark SET work_type_id = $3 WHERE school_id = $1 AND column_id = $2",
        school.0,
        column_id,
        work_type_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A work type's checking period and whether it is the school's.
pub async fn work_type_checking_days(
    conn: &mut PgConnection,
    school: SchoolId,
    work_type_id: i64,
) -> sqlx::Result<Option<i16>> {
    sqlx::query_scalar!(
        "SELECT checking_days FROM work_type WHERE school_id = $1 AND id = $2",
        school.0,
        work_type_id
    )
    .fetch_optional(conn)
    .await
}

/// A cell as stored: its mark row and absence row, if any.
#[derive(Debug, Clone, Default)]
pub struct CellRow {
    pub mark_id: Option<i64>,
    pub mark: Option<String>,
    pub absence_id: Option<i64>,
    pub absent: bool,
    pub reason: Option<String>,
}

/// A pupil's cell at a lesson, read in one statement for someone who may read the journal:
/// whether the pupil is in the lesson's group on its day, the mark column asked (none asked: the
/// lesson's first; none yet: no column), and the cell as stored — the mark in that column and
/// the absence.
#[derive(Debug, Clone)]
pub struct CellAt {
    pub member: bool,
    /// A column was asked that is not the lesson's.
    pub foreign_column: bool,
    pub column: Option<ColumnRow>,
    pub cell: CellRow,
}

/// The statement of [`cells_at`]: a row per key, in the keys' order.
const CELLS_AT: &str = r#"
    SELECT EXISTS (SELECT 1 FROM group_pupil g
                   WHERE g.school_id = $1 AND g.group_id = k.group_id AND g.pupil_id = k.pupil_id
                     AND g.starts_on <= k.on_date
                     AND (g.ends_on IS NULL OR g.ends_on >= k.on_date)) AS member,
           col.id AS column_id, col.position, col.work_type_id, col.work_type,
           col.work_type_short, col.checking_days,
           m.id AS mark_id, m.value AS mark, a.id AS absence_id,
           coalesce(a.absent, false) AS absent, a.reason
    FROM unnest($2::bigint[], $3::bigint[], $4::date[], $5::bigint[], $6::bigint[])
         WITH ORDINALITY AS k (lesson_id, group_id, on_date, column_id, pupil_id, n)
    LEFT JOIN LATERAL (
        SELECT c.id, c.position, c.work_type_id, w.name AS work_type,
               w.short_name AS work_type_short, w.checking_days
        FROM mark_column c
        JOIN work_type w ON w.school_id = c.school_id AND w.id = c.work_type_id
        WHERE c.school_id = $1 AND c.lesson_id = k.lesson_id
          AND (k.column_id IS NULL OR c.id = k.column_id)
        ORDER BY c.position LIMIT 1) col ON true
    LEFT JOIN mark m ON m.school_id = $1 AND m.column_id = col.id AND m.pupil_id = k.pupil_id
    LEFT JOIN absence a ON a.school_id = $1 AND a.lesson_id = k.lesson_id AND a.pupil_id = k.pupil_id
    ORDER BY k.n"#;

/// A cell to read: its lesson, the column asked (none: the lesson's first) and the pupil.
pub struct CellKey<'a> {
    pub lesson: &'a LessonCtx,
    pub column_id: Option<i64>,
    pub pupil_id: i64,
}

pub async fn cell_at(
    conn: &mut PgConnection,
    school: SchoolId,
    lesson: &LessonCtx,
    column_id: Option<i64>,
    pupil_id: i64,
) -> sqlx::Result<CellAt> {
    let key = CellKey {
        lesson,
        column_id,
        pupil_id,
    };
    let mut cells = cells_at(conn, school, &[key]).await?;
    cells.pop().ok_or(sqlx::Error::RowNotFound)
}

/// Several cells as [`cell_at`] reads one, in one statement: a `CellAt` per key, in order.
pub async fn cells_at(
    conn: &mut PgConnection,
    school: SchoolId,
    keys: &[CellKey<'_>],
) -> sqlx::Result<Vec<CellAt>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        member: bool,
        column_id: Option<i64>,
        position: Option<i16>,
        work_type_id: Option<i64>,
        work_type: Option<String>,
        work_type_short: Option<String>,
        checking_days: Option<i16>,
        mark_id: Option<i64>,
        mark: Option<String>,
        absence_id: Option<i64>,
        absent: bool,
        reason: Option<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(CELLS_AT)
        .bind(school.0)
        .bind(keys.iter().map(|k| k.lesson.id).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.lesson.group_id).collect::<Vec<_>>())
        .bind(
            keys.iter()
                .map(|k| k.lesson.lesson_date)
                .collect::<Vec<_>>(),
        )
        .bind(keys.iter().map(|k| k.column_id).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.pupil_id).collect::<Vec<_>>())
        .fetch_all(conn)
        .await?;
    Ok(keys
        .iter()
        .zip(rows)
        .map(|(key, row)| {
            let column = match (
                row.column_id,
                row.position,
                row.work_type_id,
                row.work_type,
                row.work_type_short,
                row.checking_days,
            ) {
                (
                    Some(id),
                    Some(position),
                    Some(work_type_id),
                    Some(work_type),
                    Some(short),
                    Some(days),
                ) => Some(ColumnRow {
                    id,
                    lesson_id: key.lesson.id,
                    position,
                    work_type_id,
                    work_type,
                    work_type_short: short,
                    checking_days: days,
                }),
                _ => None,
            };
            CellAt {
                member: row.member,
                foreign_column: key.column_id.is_some() && column.is_none(),
                column,
                cell: CellRow {
                    mark_id: row.mark_id,
                    mark: row.mark,
                    absence_id: row.absence_id,
                    absent: row.absent,
                    reason: row.reason,
                },
            }
        })
        .collect())
}

/// A mark to store in a cell.
pub struct MarkWrite<'a> {
    pub group_id: i64,
    pub pupil_id: i64,
    pub column_id: i64,
    pub work_type_id: i64,
    pub value: Option<&'a str>,
    pub given_on: NaiveDate,
    pub late_entry: bool,
    pub entered_by: i64,
    pub entered_at: DateTime<Utc>,
}

/// Whether a pupil was absent from a lesson, as a cell save stores it.
pub struct AbsenceWrite {
    pub lesson_id: i64,
    pub pupil_id: i64,
    pub absent: bool,
    pub late_entry: bool,
    pub entered_by: i64,
    pub entered_at: DateTime<Utc>,
}

/// The statement of [`write_cells`]: every absence, every mark (NULL removes it but keeps the
/// row) and every lesson now held, one row back per absence and mark written.
const WRITE_CELLS: &str = r#"
    WITH a AS (
        INSERT INTO absence (school_id, lesson_id, pupil_id, absent, late_entry, entered_by,
                             entered_at)
        SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::bool[], $5::bool[],
                                 $6::bigint[], $7::timestamptz[])
        ON CONFLICT (school_id, lesson_id, pupil_id) DO UPDATE
        SET absent = EXCLUDED.absent, late_entry = EXCLUDED.late_entry,
            reason = CASE WHEN EXCLUDED.absent THEN absence.reason END,
            entered_by = EXCLUDED.entered_by, entered_at = EXCLUDED.entered_at
        RETURNING id, lesson_id AS at, pupil_id
    ), m AS (
        INSERT INTO mark (school_id, group_id, pupil_id, column_id, work_type_id, value, given_on,
                          late_entry, entered_by, entered_at)
        SELECT $1, * FROM unnest($8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],
                                 $12::text[], $13::date[], $14::bool[], $15::bigint[],
                                 $16::timestamptz[])
        ON CONFLICT (school_id, column_id, pupil_id) DO UPDATE
        SET value = EXCLUDED.value, late_entry = EXCLUDED.late_entry,
            entered_by = EXCLUDED.entered_by, entered_at = EXCLUDED.entered_at
        RETURNING id, column_id AS at, pupil_id
    ), held AS (
        UPDATE lesson SET status = 'held'
        WHERE school_id = $1 AND id = ANY($17::bigint[]) AND status = 'scheduled'
    )
    SELECT false AS mark, id, at, pupil_id FROM a
    UNION ALL
    SELECT true, id, at, pupil_id FROM m
"#;

/// The rows [`write_cells`] wrote: an absence's id by its lesson and pupil, a mark's by its
/// column and pupil.
#[derive(Default)]
pub struct CellRows {
    pub absences: HashMap<(i64, i64), i64>,
    pub marks: HashMap<(i64, i64), i64>,
}

/// Stores cells' absences and marks and makes their scheduled lessons held, in one statement:
/// the writes of any number of cell saves (`service::Writes`). No two absences may be of the
/// same lesson and pupil, nor two marks of the same column and pupil.
pub async fn write_cells(
    conn: &mut PgConnection,
    school: SchoolId,
    absences: &[AbsenceWrite],
    marks: &[MarkWrite<'_>],
    held: &[i64],
) -> sqlx::Result<CellRows> {
    let rows: Vec<(bool, i64, i64, i64)> = sqlx::query_as(WRITE_CELLS)
        .bind(school.0)
        .bind(absences.iter().map(|a| a.lesson_id).collect::<Vec<_>>())
        .bind(absences.iter().map(|a| a.pupil_id).collect::<Vec<_>>())
        .bind(absences.iter().map(|a| a.absent).collect::<Vec<_>>())
        .bind(absences.iter().map(|a| a.late_entry).collect::<Vec<_>>())
        .bind(absences.iter().map(|a| a.entered_by).collect::<Vec<_>>())
        .bind(absences.iter().map(|a| a.entered_at).collect::<Vec<_>>())
        .bind(marks.iter().map(|m| m.group_id).collect::<Vec<_>>())
        .bind(marks.iter().map(|m| m.pupil_id).collect::<Vec<_>>())
        .bind(marks.iter().map(|m| m.column_id).collect::<Vec<_>>())
        .bind(marks.iter().map(|m| m.work_type_id).collect::<Vec<_>>())
        .bind(marks.iter().map(|m| m.value).collect::<Vec<_>>())
        .bind(marks.iter().map(|m| m.given_on).collect::<Vec<_>>())
        .bind(marks.iter().map(|m| m.late_entry).collect::<Vec<_>>())
        .bind(marks.iter().map(|m| m.entered_by).collect::<Vec<_>>())
        .bind(marks.iter().map(|m| m.entered_at).collect::<Vec<_>>())
        .bind(held)
        .fetch_all(conn)
        .await?;
    let mut written = CellRows::default();
    for (mark, id, at, pupil) in rows {
        if mark {
            written.marks.insert((at, pupil), id);
        } else {
            written.absences.insert((at, pupil), id);
        }
    }
    Ok(written)
}

pub async fn set_absence_reason(
    conn: &mut PgConnection,
    school: SchoolId,
    absence_id: i64,
    reason: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE absence SET reason = $3 WHERE school_id = $1 AND id = $2",
        school.0,
        absence_id,
        reason
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the pupil was ever enrolled in the class (the class teacher's reasons for days: another
/// class's pupil is 404).
pub async fn ever_in_class(
    conn: &mut PgConnection,
    school: SchoolId,
    class_id: i64,
    pupil_id: i64,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM class_enrollment
                          WHERE school_id = $1 AND class_id = $2 AND pupil_id = $3) AS "e!""#,
        school.0,
        class_id,
        pupil_id
    )
    .fetch_one(conn)
    .await
}

/// An absence («н») of a pupil, for a reason set for whole days.
#[derive(Debug, Clone)]
pub struct PupilAbsence {
    pub lesson_id: i64,
    pub lesson_date: NaiveDate,
    pub lesson_number: i16,
    pub subject: String,
}

/// The pupil's absences from `from` to `to` while in the class (as the class teacher's week of
/// absences lists them), in the order of the day.
pub async fn pupil_absences(
    conn: &mut PgConnection,
    school: SchoolId,
    class_id: i64,
    pupil_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<PupilAbsence>> {
    sqlx::query_as!(
        PupilAbsence,
        r#"SELECT a.lesson_id, l.lesson_date, l.lesson_number,
                  s.name AS subject
           FROM class_enrollment e
           JOIN absence a ON a.school_id = e.school_id AND a.pupil_id = e.pupil_id AND a.absent
           JOIN lesson l ON l.school_id = a.school_id AND l.id = a.lesson_id
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           WHERE e.school_id = $1 AND e.class_id = $2 AND e.pupil_id = $3
             AND l.lesson_date BETWEEN greatest($4, e.starts_on) AND least($5, coalesce(e.ends_on, $5))
           ORDER BY l.lesson_date, l.lesson_number, a.id"#,
        school.0,
        class_id,
        pupil_id,
        from,
        to
    )
    .fetch_all(conn)
    .await
}

/// Marks the lesson as held: called when marks or absences are recorded at it (never before it
/// starts, J3) and when its record with a topic is saved on its date or later — not for what is
/// planned ahead. Held lessons are never regenerated, moved or cancelled. `lesson` is read
/// under the write's lock on its row (`lesson_ctx` with `lock`), so its status is the stored
/// one: a lesson already held costs no statement.
pub async fn mark_held(
    conn: &mut PgConnection,
    school: SchoolId,
    lesson: &LessonCtx,
) -> sqlx::Result<()> {
    if lesson.status != "scheduled" {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE lesson SET status = 'held' WHERE school_id = $1 AND id = $2 AND status = 'scheduled'",
        school.0,
        lesson.id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What the teacher writes about a lesson.
pub struct LessonRecord<'a> {
    pub topic: Option<&'a str>,
    pub homework: Option<&'a str>,
    pub homework_none: bool,
    pub homework_minutes: Option<i16>,
    pub teacher_comment: Option<&'a str>,
    pub late_entry: bool,
    /// J7: whether the homework now written is late; None when the homework did not change
    /// (its flag stays).
    pub homework_late: Option<bool>,
}

pub async fn update_lesson_record(
    conn: &mut PgConnection,
    school: SchoolId,
    lesson_id: i64,
    r: &LessonRecord<'_>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE lesson SET topic = $3, homework = $4, homework_none = $5, homework_minutes = $6,
                teacher_comment = $7, late_entry = late_entry OR $8,
                homework_late = coalesce($9, homework_late)
         WHERE school_id = $1 AND id = $2",
        school.0,
        lesson_id,
        r.topic,
        r.homework,
        r.homework_none,
        r.homework_minutes,
        r.teacher_comment,
        r.late_entry,
        r.homework_late
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One change in a cell's history.
#[derive(Debug, Clone)]
pub struct HistoryLine {
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub action: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
}

/// The audit trail of a cell's mark row and absence row, oldest first.
pub async fn cell_history(
    conn: &mut PgConnection,
    school: SchoolId,
    mark_id: Option<i64>,
    absence_id: Option<i64>,
) -> sqlx::Result<Vec<HistoryLine>> {
    sqlx::query_as!(
        HistoryLine,
        r#"SELECT e.at, e.action, e.before, e.after, e.reason,
                  a.last_name || ' ' || a.first_name AS actor
           FROM audit_event e LEFT JOIN account a ON a.id = e.actor_account_id
           WHERE e.school_id = $1
             AND ((e.subject_type = 'mark' AND e.subject_id = $2)
               OR (e.subject_type = 'absence' AND e.subject_id = $3))
           ORDER BY e.id"#,
        school.0,
        mark_id,
        absence_id
    )
    .fetch_all(conn)
    .await
}

/// One study group of a class (any: its head gives the class's periods), if it has any.
pub async fn any_group_of_class(
    conn: &mut PgConnection,
    school: SchoolId,
    class_id: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "SELECT id FROM study_group WHERE school_id = $1 AND class_id = $2 ORDER BY id LIMIT 1",
        school.0,
        class_id
    )
    .fetch_optional(conn)
    .await
}

/// «Фамилия Имя» of a pupil of the school.
pub async fn pupil_name(
    conn: &mut PgConnection,
    school: SchoolId,
    pupil_id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        r#"SELECT last_name || ' ' || first_name AS "n!" FROM pupil WHERE school_id = $1 AND id = $2"#,
        school.0,
        pupil_id
    )
    .fetch_optional(conn)
    .await
}
