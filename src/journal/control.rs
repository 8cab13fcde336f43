//! Journal control by the school's management (regulations §3 J1, J13, J15 and §5): substitutions
//! (J15), transfers and cancellations of lessons, unlocks of locked lessons or whole journals
//! (J1, J13), and remarks on journals that the group's teacher fixes (§5).
//!
//! One service function per write: permission, checks, write, and the audit event with before,
//! after and reason in the same transaction. Every query is scoped by the school: another
//! school's ids are simply not found (404).

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::service::Author;
use crate::audit::{self, Change};
use crate::authz::{Access, Role};
use crate::error::{AppError, AppResult, FieldErrors, is_unique_violation};
use crate::input::{self, limits};
use crate::school_year::calendar::parse_date;
use crate::tenancy::SchoolId;

/// The longest remark on a journal (the database keeps at most 2000).
pub const REMARK: usize = 2000;

/// Register substitutions, move and cancel lessons (J15: the deputy registers substitutions and
/// transfers; the timetable editor's permission — a deputy or the administrator).
pub fn may_arrange(access: &Access) -> bool {
    access.can_edit_timetable()
}

/// Unlock a locked lesson or a whole journal (J1, J13: «unless a deputy unlocks it»).
pub fn may_unlock(access: &Access) -> bool {
    access.role == Role::Deputy
}

/// Write remarks on journals (§5: the deputy checks the journals; the director too).
pub fn may_remark(access: &Access) -> bool {
    matches!(access.role, Role::Deputy | Role::Director)
}

/// See the day's lessons with their substitutions and transfers (the director reads).
pub fn may_view_lessons(access: &Access) -> bool {
    access.can_view_year_setup()
}

/// «по расписанию», «проведён», «перенесён», «отменён».
pub fn status_label(status: &str) -> &'static str {
    match status {
        "held" => "проведён",
        "moved" => "перенесён",
        "cancelled" => "отменён",
        _ => "по расписанию",
    }
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

/// A lesson of the day as the deputy's page lists it.
#[derive(Debug, Clone)]
pub struct DayLesson {
    pub id: i64,
    pub group_id: i64,
    pub group_name: String,
    /// «5«А»», or empty for a group of no class (a stream, an elective).
    pub class_name: String,
    pub class_id: Option<i64>,
    pub subject_id: i64,
    pub subject: String,
    pub lesson_date: NaiveDate,
    pub lesson_number: i16,
    pub status: String,
    pub teacher_id: i64,
    pub teacher: String,
    /// «Васильева Н. С.»
    pub teacher_short: String,
    pub room: Option<String>,
    pub substitute_id: Option<i64>,
    pub substitute: Option<String>,
    pub substitute_short: Option<String>,
    pub substitution_reason: Option<String>,
    pub change_reason: Option<String>,
    /// Where a moved lesson went.
    pub moved_to_date: Option<NaiveDate>,
    pub moved_to_number: Option<i16>,
    /// Where a lesson moved here came from.
    pub moved_from_date: Option<NaiveDate>,
    pub moved_from_number: Option<i16>,
}

impl DayLesson {
    pub fn status_label(&self) -> &'static str {
        status_label(&self.status)
    }

    /// Only a lesson still to be given may be moved, cancelled or given a substitute.
    pub fn open(&self) -> bool {
        self.status == "scheduled"
    }

    pub fn moved_to(&self) -> Option<String> {
        Some(format!(
            "{}, {}-й урок",
            self.moved_to_date?.format("%d.%m.%Y"),
            self.moved_to_number?
        ))
    }

    pub fn moved_from(&self) -> Option<String> {
        Some(format!(
            "{}, {}-й урок",
            self.moved_from_date?.format("%d.%m.%Y"),
            self.moved_from_number?
        ))
    }

    /// Who gives it: the substitute when there is one, else the timetable's teacher.
    pub fn giver(&self) -> i64 {
        self.substitute_id.unwrap_or(self.teacher_id)
    }

    /// Whether it takes its teacher's hour: not moved away, not cancelled.
    pub fn takes_place(&self) -> bool {
        !matches!(self.status.as_str(), "moved" | "cancelled")
    }

    /// «Математика — 5А»
    pub fn title(&self) -> String {
        format!("{} — {}", self.subject, self.group_name)
    }
}

/// All lessons of the school on a date, by class (grade, letter; groups of no class last) and
/// lesson number. Where a moved lesson went is looked up only for the day's moved lessons. Every
/// table names the school itself, so that Citus routes the statement to the school's worker.
pub async fn day_lessons(
    pool: &PgPool,
    school: SchoolId,
    date: NaiveDate,
) -> sqlx::Result<Vec<DayLesson>> {
    sqlx::query_as!(
        DayLesson,
        r#"WITH day AS (
               SELECT l.* FROM lesson l WHERE l.school_id = $1 AND l.lesson_date = $2
           ), moved_to AS (
               SELECT DISTINCT ON (m.moved_from_id) m.moved_from_id, m.lesson_date, m.lesson_number
               FROM lesson m
               WHERE m.school_id = $1
                 AND m.moved_from_id IN (SELECT d.id FROM day d WHERE d.status = 'moved')
               ORDER BY m.moved_from_id, m.id DESC
           )
           SELECT l.id AS "id!", l.group_id AS "group_id!", g.name AS group_name,
                  coalesce(c.grade || '«' || c.letter || '»', '') AS "class_name!",
                  c.id AS "class_id?", s.id AS subject_id, s.name AS subject,
                  l.lesson_date AS "lesson_date!", l.lesson_number AS "lesson_number!",
                  l.status AS "status!", l.teacher_id AS "teacher_id!",
                  a.last_name || ' ' || a.first_name || ' ' || a.middle_name AS "teacher!",
                  a.last_name || ' ' || left(a.first_name, 1) || '.'
                      || CASE WHEN a.middle_name = '' THEN '' ELSE ' ' || left(a.middle_name, 1) || '.' END
                      AS "teacher_short!",
                  r.name AS "room?",
                  su.teacher_id AS "substitute_id?",
                  sa.last_name || ' ' || sa.first_name || ' ' || sa.middle_name AS "substitute?",
                  sa.last_name || ' ' || left(sa.first_name, 1) || '.'
                      || CASE WHEN sa.middle_name = '' THEN '' ELSE ' ' || left(sa.middle_name, 1) || '.' END
                      AS "substitute_short?",
                  su.reason AS "substitution_reason?",
                  l.change_reason,
                  mt.lesson_date AS "moved_to_date?", mt.lesson_number AS "moved_to_number?",
                  mf.lesson_date AS "moved_from_date?", mf.lesson_number AS "moved_from_number?"
           FROM day l
           JOIN study_group g ON g.school_id = $1 AND g.id = l.group_id
           JOIN subject s ON s.school_id = $1 AND s.id = g.subject_id
           JOIN account a ON a.id = l.teacher_id
           LEFT JOIN room r ON r.school_id = $1 AND r.id = l.room_id
           LEFT JOIN substitution su ON su.school_id = $1 AND su.lesson_id = l.id
           LEFT JOIN account sa ON sa.id = su.teacher_id
           LEFT JOIN moved_to mt ON mt.moved_from_id = l.id
           LEFT JOIN lesson mf ON mf.school_id = $1 AND mf.id = l.moved_from_id
           LEFT JOIN school_class c ON c.school_id = $1 AND c.id = g.class_id
           ORDER BY c.grade NULLS LAST, c.letter COLLATE "ru", l.lesson_number,
                    g.name COLLATE "ru", s.name"#,
        school.0,
        date
    )
    .fetch_all(pool)
    .await
}

/// The date of a lesson of the school (404 for another school's).
pub async fn lesson_date(pool: &PgPool, school: SchoolId, lesson_id: i64) -> AppResult<NaiveDate> {
    sqlx::query_scalar!(
        "SELECT lesson_date FROM lesson WHERE school_id = $1 AND id = $2",
        school.0,
        lesson_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// A study group as the control page names it.
#[derive(Debug, Clone)]
pub struct GroupCtx {
    pub id: i64,
    pub name: String,
    pub subject: String,
    pub class_id: Option<i64>,
    pub academic_year_id: i64,
    pub year_closed: bool,
    pub time_zone: String,
}

pub async fn group_ctx(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
) -> sqlx::Result<Option<GroupCtx>> {
    sqlx::query_as!(
        GroupCtx,
        r#"SELECT g.id, g.name, s.name AS subject, g.class_id, g.academic_year_id,
                  y.closed_at IS NOT NULL AS "year_closed!", sc.time_zone
           FROM study_group g
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           JOIN academic_year y ON y.school_id = g.school_id AND y.id = g.academic_year_id
           JOIN school sc ON sc.id = g.school_id
           WHERE g.school_id = $1 AND g.id = $2"#,
        school.0,
        group_id
    )
    .fetch_optional(conn)
    .await
}

/// Who may open a group's control page: the management, and the group's teachers (to fix
/// remarks). Another school's group: 404.
pub async fn may_view_group(
    pool: &PgPool,
    access: &Access,
    account_id: i64,
    group_id: i64,
) -> AppResult<GroupCtx> {
    let mut conn = pool.acquire().await?;
    let group = group_ctx(&mut conn, access.school_id, group_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let allowed = match access.role {
        // Remarks and unlocks are about a journal's keeping and name its lessons: those who
        // read every journal (not the administrator: docs/ACCESS.md).
        Role::Director | Role::Deputy => true,
        Role::Administrator => false,
        Role::Teacher | Role::ClassTeacher => {
            super::repo::teaches(&mut conn, access.school_id, group_id, account_id).await?
        }
        Role::Parent | Role::Pupil => false,
    };
    if allowed {
        Ok(group)
    } else {
        Err(AppError::Forbidden)
    }
}

/// A group's lessons up to a date that may be unlocked (newest first): for the unlock form.
pub async fn unlockable_lessons(
    pool: &PgPool,
    school: SchoolId,
    group_id: i64,
    until: NaiveDate,
) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        "SELECT id, lesson_date, lesson_number FROM lesson
         WHERE school_id = $1 AND group_id = $2 AND lesson_date <= $3
           AND status NOT IN ('moved', 'cancelled')
         ORDER BY lesson_date DESC, lesson_number DESC LIMIT 60",
        school.0,
        group_id,
        until
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.id,
                format!(
                    "{}, {}-й урок",
                    r.lesson_date.format("%d.%m.%Y"),
                    r.lesson_number
                ),
            )
        })
        .collect())
}

/// A deputy's unlock of a lesson or of a whole journal.
#[derive(Debug, Clone)]
pub struct UnlockRow {
    pub id: i64,
    pub lesson_id: Option<i64>,
    pub lesson_date: Option<NaiveDate>,
    pub lesson_number: Option<i16>,
    pub until: DateTime<Utc>,
    pub reason: String,
    pub granted_by: String,
    pub granted_at: DateTime<Utc>,
}

impl UnlockRow {
    /// «весь журнал» or «урок 12.11.2026, 3-й».
    pub fn what(&self) -> String {
        match (self.lesson_date, self.lesson_number) {
            (Some(d), Some(n)) => format!("урок {}, {}-й", d.format("%d.%m.%Y"), n),
            _ => "весь журнал".into(),
        }
    }
}

/// The unlocks of a group in force at `now`.
pub async fn active_unlocks(
    pool: &PgPool,
    school: SchoolId,
    group_id: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<UnlockRow>> {
    sqlx::query_as!(
        UnlockRow,
        r#"SELECT u.id, u.lesson_id, l.lesson_date AS "lesson_date?", l.lesson_number AS "lesson_number?",
                  u.until, u.reason,
                  a.last_name || ' ' || a.first_name || ' ' || a.middle_name AS "granted_by!",
                  u.granted_at
           FROM journal_unlock u
           JOIN account a ON a.id = u.granted_by
           LEFT JOIN lesson l ON l.school_id = u.school_id AND l.id = u.lesson_id
           WHERE u.school_id = $1 AND u.group_id = $2 AND u.until > $3
           ORDER BY u.until DESC"#,
        school.0,
        group_id,
        now
    )
    .fetch_all(pool)
    .await
}

/// A remark on a journal (§5).
#[derive(Debug, Clone)]
pub struct RemarkRow {
    pub id: i64,
    pub group_id: i64,
    pub group_name: String,
    pub subject: String,
    /// The group's teachers, «Васильева Н. С.», comma-separated.
    pub teachers: String,
    pub text: String,
    pub due_on: NaiveDate,
    pub author: String,
    pub created_at: DateTime<Utc>,
    pub fixed_at: Option<DateTime<Utc>>,
    pub fixed_by: Option<String>,
    pub fix_note: Option<String>,
}

impl RemarkRow {
    pub fn is_open(&self) -> bool {
        self.fixed_at.is_none()
    }

    /// Open after its due date.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.is_open() && self.due_on < today
    }
}

/// Which remarks to list.
#[derive(Debug, Clone, Copy, Default)]
struct RemarkFilter {
    group_id: Option<i64>,
    teacher_id: Option<i64>,
    open_only: bool,
}

async fn remarks(
    pool: &PgPool,
    school: SchoolId,
    filter: RemarkFilter,
) -> sqlx::Result<Vec<RemarkRow>> {
    sqlx::query_as!(
        RemarkRow,
        r#"SELECT r.id, r.group_id, g.name AS group_name, s.name AS subject,
                  coalesce((SELECT string_agg(t.last_name || ' ' || left(t.first_name, 1) || '. '
                                              || left(t.middle_name, 1) || '.', ', ' ORDER BY t.last_name)
                            FROM teaching_assignment ta JOIN account t ON t.id = ta.teacher_id
                            WHERE ta.school_id = $1 AND ta.group_id = r.group_id), '') AS "teachers!",
                  r.text, r.due_on,
                  a.last_name || ' ' || a.first_name || ' ' || a.middle_name AS "author!",
                  r.created_at, r.fixed_at,
                  f.last_name || ' ' || f.first_name || ' ' || f.middle_name AS "fixed_by?",
                  r.fix_note
           FROM journal_remark r
           JOIN study_group g ON g.school_id = r.school_id AND g.id = r.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           JOIN account a ON a.id = r.author_id
           LEFT JOIN account f ON f.id = r.fixed_by
           WHERE r.school_id = $1
             AND ($2::bigint IS NULL OR r.group_id = $2)
             AND (NOT $3 OR r.fixed_at IS NULL)
             AND ($4::bigint IS NULL OR EXISTS (SELECT 1 FROM teaching_assignment ta
                                                WHERE ta.school_id = $1
                                                  AND ta.group_id = r.group_id
                                                  AND ta.teacher_id = $4))
           ORDER BY r.fixed_at IS NOT NULL, r.due_on, r.id"#,
        school.0,
        filter.group_id,
        filter.open_only,
        filter.teacher_id
    )
    .fetch_all(pool)
    .await
}

/// Every remark on a group's journal: open ones first, by due date.
pub async fn group_remarks(
    pool: &PgPool,
    school: SchoolId,
    group_id: i64,
) -> sqlx::Result<Vec<RemarkRow>> {
    remarks(
        pool,
        school,
        RemarkFilter {
            group_id: Some(group_id),
            ..RemarkFilter::default()
        },
    )
    .await
}

/// The school's open remarks, by due date (the deputy's list, §5).
pub async fn open_remarks(pool: &PgPool, school: SchoolId) -> sqlx::Result<Vec<RemarkRow>> {
    remarks(
        pool,
        school,
        RemarkFilter {
            open_only: true,
            ..RemarkFilter::default()
        },
    )
    .await
}

/// The open remarks on the journals of the groups a teacher teaches (teaching load), earliest
/// due date first — for the teacher's start page (§5: the teacher must fix them in time). Use
/// [`RemarkRow::is_overdue`] with the school's local date to flag the late ones; each row's
/// `group_id` links to `/journal/{group_id}/control`, where the teacher marks it fixed.
pub async fn open_remarks_for_teacher(
    pool: &PgPool,
    school: SchoolId,
    account_id: i64,
) -> sqlx::Result<Vec<RemarkRow>> {
    remarks(
        pool,
        school,
        RemarkFilter {
            teacher_id: Some(account_id),
            open_only: true,
            ..RemarkFilter::default()
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The lesson under control
// ---------------------------------------------------------------------------------------------

/// A lesson with what the control writes need, locked for the transaction.
#[derive(Debug, Clone)]
struct LessonRow {
    id: i64,
    group_id: i64,
    year_closed: bool,
    year_starts: NaiveDate,
    year_ends: NaiveDate,
    lesson_date: NaiveDate,
    lesson_number: i16,
    teacher_id: i64,
    room_id: Option<i64>,
    status: String,
    substitute_id: Option<i64>,
    substitution_reason: Option<String>,
    time_zone: String,
    has_records: bool,
    /// A topic, homework, «Не задано», a comment or a mark column written at the lesson.
    has_plans: bool,
}

async fn lesson_row(
    conn: &mut PgConnection,
    school: SchoolId,
    lesson_id: i64,
) -> AppResult<LessonRow> {
    sqlx::query!(
        "SELECT id FROM lesson WHERE school_id = $1 AND id = $2 FOR UPDATE",
        school.0,
        lesson_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(sqlx::query_as!(
        LessonRow,
        r#"SELECT l.id, l.group_id, y.closed_at IS NOT NULL AS "year_closed!",
                  y.starts_on AS year_starts, y.ends_on AS year_ends,
                  l.lesson_date, l.lesson_number, l.teacher_id, l.room_id, l.status,
                  su.teacher_id AS "substitute_id?", su.reason AS "substitution_reason?",
                  sc.time_zone,
                  (EXISTS (SELECT 1 FROM mark m JOIN mark_column c
                                  ON c.school_id = m.school_id AND c.id = m.column_id
                           WHERE c.school_id = l.school_id AND c.lesson_id = l.id AND m.value IS NOT NULL)
                   OR EXISTS (SELECT 1 FROM absence ab
                              WHERE ab.school_id = l.school_id AND ab.lesson_id = l.id AND ab.absent))
                   AS "has_records!",
                  (l.topic IS NOT NULL OR l.homework IS NOT NULL OR l.homework_none
                   OR l.teacher_comment IS NOT NULL
                   OR EXISTS (SELECT 1 FROM mark_column c WHERE c.school_id = l.school_id AND c.lesson_id = l.id))
                   AS "has_plans!"
           FROM lesson l
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           JOIN academic_year y ON y.school_id = g.school_id AND y.id = g.academic_year_id
           JOIN school sc ON sc.id = l.school_id
           LEFT JOIN substitution su ON su.school_id = l.school_id AND su.lesson_id = l.id
           WHERE l.school_id = $1 AND l.id = $2"#,
        school.0,
        lesson_id
    )
    .fetch_one(conn)
    .await?)
}

fn year_open(closed: bool) -> AppResult<()> {
    if closed {
        Err(AppError::Refused(
            "Учебный год закрыт: журнал доступен только для чтения.".into(),
        ))
    } else {
        Ok(())
    }
}

/// A lesson that is moved or cancelled can no longer be changed; one already given (held,
/// with marks or absences) cannot be moved or cancelled.
/// The lesson locked for a substitution, transfer, cancellation or restoration: another school's
/// lesson is 404 whoever asks; then the permission (403).
async fn lesson_to_arrange(
    conn: &mut PgConnection,
    author: &Author<'_>,
    lesson_id: i64,
) -> AppResult<LessonRow> {
    let lesson = lesson_row(conn, author.access.school_id, lesson_id).await?;
    if !may_arrange(author.access) {
        return Err(AppError::Forbidden);
    }
    Ok(lesson)
}

fn still_to_give(lesson: &LessonRow) -> AppResult<()> {
    match lesson.status.as_str() {
        "moved" => Err(AppError::Refused(
            "Урок уже перенесён: изменения делаются в уроке, на который его перенесли.".into(),
        )),
        "cancelled" => Err(AppError::Refused("Урок уже отменён.".into())),
        "held" => Err(AppError::Refused(format!(
            "Урок уже проведён: {} в журнале есть записи (тема, отметки или пропуски), его нельзя перенести или отменить.",
            lesson.lesson_date.format("%d.%m.%Y")
        ))),
        _ if lesson.has_records => Err(AppError::Refused(format!(
            "Урок уже проведён: {} в журнале есть отметки или пропуски, его нельзя перенести или отменить.",
            lesson.lesson_date.format("%d.%m.%Y")
        ))),
        _ => Ok(()),
    }
}

fn today(author: &Author<'_>, time_zone: &str) -> NaiveDate {
    crate::clock::local_today(author.clock, time_zone)
}

fn lesson_words(date: NaiveDate, number: i16) -> String {
    format!("{}, {}-й урок", date.format("%d.%m.%Y"), number)
}

/// The lesson (other than `except`) a teacher gives or substitutes at a date and number, and
/// the teacher's name: a clash names both sides.
async fn teacher_busy(
    conn: &mut PgConnection,
    school: SchoolId,
    teacher_id: i64,
    date: NaiveDate,
    number: i16,
    except: i64,
) -> sqlx::Result<Option<Busy>> {
    sqlx::query_as!(
        Busy,
        r#"SELECT a.last_name || ' ' || left(a.first_name, 1) || '.' AS "teacher!",
                  s.name || ' — ' || g.name AS "other!"
           FROM lesson l
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           LEFT JOIN substitution su ON su.school_id = l.school_id AND su.lesson_id = l.id
           JOIN account a ON a.id = coalesce(su.teacher_id, l.teacher_id)
           WHERE l.school_id = $1 AND l.lesson_date = $2 AND l.lesson_number = $3 AND l.id <> $4
             AND l.status NOT IN ('cancelled', 'moved')
             AND coalesce(su.teacher_id, l.teacher_id) = $5
           LIMIT 1"#,
        school.0,
        date,
        number,
        except,
        teacher_id
    )
    .fetch_optional(conn)
    .await
}

/// A teacher already busy at an hour: who, and with which lesson («Алгебра — 8Б»).
struct Busy {
    teacher: String,
    other: String,
}

/// «Алгебра — 8А»: the lesson a clash message names as its own side.
async fn lesson_title(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
) -> sqlx::Result<String> {
    sqlx::query_scalar!(
        r#"SELECT s.name || ' — ' || g.name AS "title!"
           FROM study_group g JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           WHERE g.school_id = $1 AND g.id = $2"#,
        school.0,
        group_id
    )
    .fetch_one(conn)
    .await
}

// ---------------------------------------------------------------------------------------------
// J15: substitutions
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SubstituteForm {
    #[serde(default)]
    pub teacher: String,
    #[serde(default)]
    pub reason: String,
}

/// Registers (or changes) the substitute teacher of a lesson (J15). Refused for a teacher who
/// is absent that day (a registered absence), or who gives or substitutes another lesson at
/// that time.
pub async fn register_substitution(
    pool: &PgPool,
    author: &Author<'_>,
    lesson_id: i64,
    form: &SubstituteForm,
) -> AppResult<()> {
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let lesson = lesson_to_arrange(&mut tx, author, lesson_id).await?;
    let mut errors = FieldErrors::new();
    let teacher = form.teacher.trim().parse::<i64>().ok();
    let teacher = match teacher {
        Some(id) if crate::pupils::repo::is_teacher(&mut tx, school, id).await? => Some(id),
        _ => {
            errors.add("teacher", "Выберите учителя из списка.");
            None
        }
    };
    if teacher == Some(lesson.teacher_id) {
        errors.add(
            "teacher",
            "Это учитель урока по расписанию: замена — другой учитель.",
        );
    }
    let reason = form.reason.trim();
    input::line(&mut errors, "sub_reason", reason, limits::LINE);
    errors.into_result()?;
    let teacher = teacher.expect("checked");
    year_open(lesson.year_closed)?;
    match lesson.status.as_str() {
        "moved" | "cancelled" => {
            return Err(AppError::Refused(format!(
                "Урок {}: замену назначают на проводимый урок.",
                status_label(&lesson.status)
            )));
        }
        _ => {}
    }
    if lesson.substitute_id == Some(teacher)
        && lesson.substitution_reason.as_deref() == Some(reason)
    {
        return Ok(());
    }
    if super::teacher_absence::is_absent(&mut tx, school, teacher, lesson.lesson_date).await? {
        return Err(AppError::Refused(format!(
            "Этот учитель {} отсутствует (отсутствие зарегистрировано): выберите другого учителя.",
            lesson.lesson_date.format("%d.%m.%Y")
        )));
    }
    if let Some(busy) = teacher_busy(
        &mut tx,
        school,
        teacher,
        lesson.lesson_date,
        lesson.lesson_number,
        lesson.id,
    )
    .await?
    {
        let mine = lesson_title(&mut tx, school, lesson.group_id).await?;
        return Err(AppError::Refused(format!(
            "Учитель {} в это время ({}) уже ведёт урок «{}»: замена на урок «{mine}» невозможна.",
            busy.teacher,
            lesson_words(lesson.lesson_date, lesson.lesson_number),
            busy.other
        )));
    }
    let reason = (!reason.is_empty()).then_some(reason);
    sqlx::query!(
        "INSERT INTO substitution (school_id, lesson_id, teacher_id, reason, registered_by, registered_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (school_id, lesson_id) DO UPDATE
         SET teacher_id = EXCLUDED.teacher_id, reason = EXCLUDED.reason,
             registered_by = EXCLUDED.registered_by, registered_at = EXCLUDED.registered_at",
        school.0,
        lesson.id,
        teacher,
        reason,
        author.account_id,
        author.clock.now()
    )
    .execute(&mut *tx)
    .await?;
    let mut change = Change::new("substitution.registered", "lesson", lesson.id)
        .before(json!({"teacher_id": lesson.substitute_id, "reason": lesson.substitution_reason}))
        .after(json!({"teacher_id": teacher, "lesson_date": lesson.lesson_date, "lesson_number": lesson.lesson_number}));
    if let Some(r) = reason {
        change = change.reason(r);
    }
    audit::record(&mut tx, school, author.actor, change).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a lesson's substitution, while the lesson is not yet given (a given lesson keeps
/// who taught it).
pub async fn remove_substitution(
    pool: &PgPool,
    author: &Author<'_>,
    lesson_id: i64,
) -> AppResult<()> {
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let lesson = lesson_to_arrange(&mut tx, author, lesson_id).await?;
    year_open(lesson.year_closed)?;
    let Some(substitute) = lesson.substitute_id else {
        return Err(AppError::Refused("У этого урока нет замены.".into()));
    };
    if lesson.status == "held" || lesson.has_records {
        return Err(AppError::Refused(
            "Урок уже проведён: замена остаётся в журнале как запись о том, кто вёл урок.".into(),
        ));
    }
    sqlx::query!(
        "DELETE FROM substitution WHERE school_id = $1 AND lesson_id = $2",
        school.0,
        lesson.id
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        school,
        author.actor,
        Change::new("substitution.removed", "lesson", lesson.id)
            .before(json!({"teacher_id": substitute, "reason": lesson.substitution_reason})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Transfers and cancellations
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub reason: String,
}

fn change_reason(
    errors: &mut FieldErrors,
    field: &'static str,
    text: &str,
    what: &str,
) -> Option<String> {
    // The check sees the text as typed (a control character is refused, not folded away).
    if !input::line(errors, field, text, limits::LINE) {
        return None;
    }
    let reason = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.chars().count() < 3 {
        errors.add(
            field,
            format!("Укажите причину {what} (не короче 3 знаков)."),
        );
        None
    } else {
        Some(reason)
    }
}

/// Why a lesson cannot go to `date`/`number`: the group, the teacher, the room or a pupil is
/// busy then.
async fn target_conflict(
    conn: &mut PgConnection,
    school: SchoolId,
    lesson: &LessonRow,
    date: NaiveDate,
    number: i16,
) -> sqlx::Result<Option<String>> {
    let when = lesson_words(date, number);
    let mine = lesson_title(conn, school, lesson.group_id).await?;
    let group = sqlx::query_scalar!(
        "SELECT status FROM lesson
         WHERE school_id = $1 AND group_id = $2 AND lesson_date = $3 AND lesson_number = $4 AND id <> $5",
        school.0,
        lesson.group_id,
        date,
        number,
        lesson.id
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(status) = group {
        return Ok(Some(format!(
            "У группы «{mine}» уже есть урок {when} ({}).",
            status_label(&status)
        )));
    }
    if let Some(busy) =
        teacher_busy(conn, school, lesson.teacher_id, date, number, lesson.id).await?
    {
        return Ok(Some(format!(
            "Учитель {} {when} уже ведёт урок «{}»; урок «{mine}» тоже его.",
            busy.teacher, busy.other
        )));
    }
    if let Some(room) = lesson.room_id {
        let busy = sqlx::query_scalar!(
            r#"SELECT s.name || ' — ' || g.name AS "what!"
               FROM lesson l
               JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
               JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
               WHERE l.school_id = $1 AND l.lesson_date = $2 AND l.lesson_number = $3
                 AND l.room_id = $4 AND l.status NOT IN ('cancelled', 'moved')
               LIMIT 1"#,
            school.0,
            date,
            number,
            room
        )
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(other) = busy {
            return Ok(Some(format!(
                "Кабинет {when} занят уроком «{other}»; урок «{mine}» туда не поставить."
            )));
        }
    }
    let pupils = sqlx::query_scalar!(
        r#"SELECT s.name || ' — ' || g.name AS "what!"
           FROM lesson l
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           WHERE l.school_id = $1 AND l.lesson_date = $2 AND l.lesson_number = $3
             AND l.group_id <> $4 AND l.status NOT IN ('cancelled', 'moved')
             AND EXISTS (SELECT 1 FROM group_pupil a
                         JOIN group_pupil b ON b.school_id = a.school_id AND b.pupil_id = a.pupil_id
                         WHERE a.school_id = $1 AND a.group_id = $4 AND b.group_id = l.group_id
                           AND a.starts_on <= $2 AND (a.ends_on IS NULL OR a.ends_on >= $2)
                           AND b.starts_on <= $2 AND (b.ends_on IS NULL OR b.ends_on >= $2))
           LIMIT 1"#,
        school.0,
        date,
        number,
        lesson.group_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(
        pupils
            .map(|other| format!("У обучающихся группы «{mine}» {when} уже есть урок «{other}».")),
    )
}

/// Moves a lesson to another date and lesson number (J15: the deputy registers transfers). The
/// original stays with status `moved` and the reason; a new lesson of the same group, teacher
/// and room is created there with its planned topic and what the teacher planned (topic,
/// homework, «Не задано», comment, empty mark columns), which leaves the original.
pub async fn move_lesson(
    pool: &PgPool,
    author: &Author<'_>,
    lesson_id: i64,
    form: &MoveForm,
) -> AppResult<Moved> {
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let lesson = lesson_to_arrange(&mut tx, author, lesson_id).await?;
    let today = today(author, &lesson.time_zone);
    let mut errors = FieldErrors::new();
    let date = match parse_date(&form.date) {
        None => {
            errors.add("move_date", "Укажите дату, например 15.12.2026.");
            None
        }
        Some(d) if d < today => {
            errors.add(
                "move_date",
                format!(
                    "Укажите сегодняшний день или более поздний (сегодня {}).",
                    today.format("%d.%m.%Y")
                ),
            );
            None
        }
        Some(d) if d < lesson.year_starts || d > lesson.year_ends => {
            errors.add(
                "move_date",
                format!(
                    "Укажите дату внутри учебного года: с {} по {}.",
                    lesson.year_starts.format("%d.%m.%Y"),
                    lesson.year_ends.format("%d.%m.%Y")
                ),
            );
            None
        }
        Some(d) => Some(d),
    };
    let number = match form.number.trim().parse::<i16>() {
        Ok(n) if (0..=12).contains(&n) => Some(n),
        _ => {
            errors.add("move_number", "Укажите номер урока — число от 0 до 12.");
            None
        }
    };
    if date == Some(lesson.lesson_date) && number == Some(lesson.lesson_number) {
        errors.add("move_date", "Урок уже стоит в это время: укажите другое.");
    }
    let reason = change_reason(&mut errors, "move_reason", &form.reason, "переноса");
    errors.into_result()?;
    let (date, number, reason) = (
        date.expect("checked"),
        number.expect("checked"),
        reason.expect("checked"),
    );
    year_open(lesson.year_closed)?;
    still_to_give(&lesson)?;
    if let Some(why) = target_conflict(&mut tx, school, &lesson, date, number).await? {
        return Err(AppError::Refused(format!(
            "Перенос на {} невозможен: {why}",
            lesson_words(date, number)
        )));
    }
    // The new lesson takes what was planned at the original (topic, homework, «Не задано»,
    // comment) and its mark columns without marks: nothing written stays behind on a lesson
    // that is no longer given.
    let moved = sqlx::query!(
        r#"INSERT INTO lesson (school_id, group_id, lesson_date, lesson_number, teacher_id, room_id,
                              slot_id, planned_topic, moved_from_id, topic, homework, homework_none,
                              homework_minutes, teacher_comment)
           SELECT o.school_id, o.group_id, $3, $4, o.teacher_id, o.room_id, o.slot_id, o.planned_topic,
                  o.id, o.topic, o.homework, o.homework_none, o.homework_minutes, o.teacher_comment
           FROM lesson o WHERE o.school_id = $1 AND o.id = $2
           RETURNING id, topic IS NOT NULL AS "topic!", homework IS NOT NULL AS "homework!",
                     homework_none, teacher_comment IS NOT NULL AS "comment!""#,
        school.0,
        lesson.id,
        date,
        number
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::Refused(format!(
                "Перенос невозможен: у группы уже есть урок {}.",
                lesson_words(date, number)
            ))
        } else {
            e.into()
        }
    })?;
    let new_id = moved.id;
    sqlx::query!(
        "UPDATE lesson SET status = 'moved', change_reason = $3, topic = NULL, homework = NULL,
                homework_none = false, homework_minutes = NULL, teacher_comment = NULL
         WHERE school_id = $1 AND id = $2",
        school.0,
        lesson.id,
        reason
    )
    .execute(&mut *tx)
    .await?;
    let columns = sqlx::query!(
        "UPDATE mark_column c SET lesson_id = $3
         WHERE c.school_id = $1 AND c.lesson_id = $2
           AND NOT EXISTS (SELECT 1 FROM mark m WHERE m.school_id = c.school_id AND m.column_id = c.id)",
        school.0,
        lesson.id,
        new_id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let records = crate::timetable::carry::Records {
        topic: moved.topic,
        homework: moved.homework,
        homework_none: moved.homework_none,
        comment: moved.comment,
        columns: columns > 0,
    };
    audit::record(
        &mut tx,
        school,
        author.actor,
        Change::new("lesson.moved", "lesson", lesson.id)
            .before(json!({"lesson_date": lesson.lesson_date, "lesson_number": lesson.lesson_number, "status": lesson.status}))
            .after(json!({"lesson_date": date, "lesson_number": number, "lesson_id": new_id, "status": "moved", "records": records.keys()}))
            .reason(&reason),
    )
    .await?;
    tx.commit().await?;
    Ok(Moved {
        id: new_id,
        records,
    })
}

/// A lesson moved: the new lesson and what went with it.
#[derive(Debug, Clone, Copy)]
pub struct Moved {
    pub id: i64,
    pub records: crate::timetable::carry::Records,
}

impl Moved {
    /// «Домашнее задание и тема перенесены вместе с уроком.», or nothing.
    pub fn notice(&self) -> Option<String> {
        self.records.any().then(|| {
            format!(
                "{} {} вместе с уроком.",
                crate::timetable::carry::capitalise(&self.records.names()),
                self.records.moved()
            )
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    pub reason: String,
}

/// Cancels a lesson not yet given, with the reason; refused while it carries what a teacher
/// planned (move it instead: the records go with it).
pub async fn cancel_lesson(
    pool: &PgPool,
    author: &Author<'_>,
    lesson_id: i64,
    form: &CancelForm,
) -> AppResult<()> {
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let lesson = lesson_to_arrange(&mut tx, author, lesson_id).await?;
    let mut errors = FieldErrors::new();
    let reason = change_reason(&mut errors, "cancel_reason", &form.reason, "отмены");
    errors.into_result()?;
    let reason = reason.expect("checked");
    year_open(lesson.year_closed)?;
    still_to_give(&lesson)?;
    if lesson.has_plans {
        // Nothing a teacher wrote may vanish: a cancelled lesson's homework would leave the diary.
        return Err(AppError::Refused(format!(
            "На урок {} учитель уже записал тему, домашнее задание, комментарий или столбцы отметок: \
             отмена скрыла бы их. Перенесите урок на другую дату — записи перейдут вместе с ним — \
             или попросите учителя сначала убрать их.",
            lesson.lesson_date.format("%d.%m.%Y")
        )));
    }
    sqlx::query!(
        "UPDATE lesson SET status = 'cancelled', change_reason = $3 WHERE school_id = $1 AND id = $2",
        school.0,
        lesson.id,
        reason
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        school,
        author.actor,
        Change::new("lesson.cancelled", "lesson", lesson.id)
            .before(json!({"lesson_date": lesson.lesson_date, "lesson_number": lesson.lesson_number, "status": lesson.status}))
            .after(json!({"status": "cancelled"}))
            .reason(&reason),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RestoreForm {
    #[serde(default)]
    pub reason: String,
}

/// Restores a cancelled lesson of today or later to its place (the cancellation was a mistake,
/// or its cause went away), with the reason; refused when the teacher, the room or a pupil has
/// been given another lesson at that time since.
pub async fn restore_lesson(
    pool: &PgPool,
    author: &Author<'_>,
    lesson_id: i64,
    form: &RestoreForm,
) -> AppResult<()> {
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let lesson = lesson_to_arrange(&mut tx, author, lesson_id).await?;
    let mut errors = FieldErrors::new();
    let reason = change_reason(
        &mut errors,
        "restore_reason",
        &form.reason,
        "восстановления",
    );
    errors.into_result()?;
    let reason = reason.expect("checked");
    year_open(lesson.year_closed)?;
    if lesson.status != "cancelled" {
        return Err(AppError::Refused(
            "Восстановить можно только отменённый урок.".into(),
        ));
    }
    let today = today(author, &lesson.time_zone);
    if lesson.lesson_date < today {
        return Err(AppError::Refused(format!(
            "Прошедший урок не восстанавливается: его день уже прошёл (сегодня {}).",
            today.format("%d.%m.%Y")
        )));
    }
    let (date, number) = (lesson.lesson_date, lesson.lesson_number);
    if let Some(why) = target_conflict(&mut tx, school, &lesson, date, number).await? {
        return Err(AppError::Refused(format!("Урок не восстановлен: {why}")));
    }
    sqlx::query!(
        "UPDATE lesson SET status = 'scheduled', change_reason = NULL WHERE school_id = $1 AND id = $2",
        school.0,
        lesson.id
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        school,
        author.actor,
        Change::new("lesson.restored", "lesson", lesson.id)
            .before(json!({"lesson_date": date, "lesson_number": number, "status": "cancelled"}))
            .after(json!({"status": "scheduled"}))
            .reason(&reason),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// J1, J13: unlocks
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UnlockForm {
    /// A lesson of the group; empty: the whole journal.
    #[serde(default)]
    pub lesson: String,
    /// Local date-time: `2026-11-24T23:59`, `24.11.2026 23:59`, or a date (end of that day).
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub reason: String,
}

/// How long an unlock may last at most.
pub const MAX_UNLOCK_DAYS: i64 = 30;

/// The default end of an unlock: the end of tomorrow, as a `datetime-local` value.
pub fn default_until(today: NaiveDate) -> String {
    format!("{}T23:59", (today + Duration::days(1)).format("%Y-%m-%d"))
}

/// A local date-time as typed.
pub fn parse_local_datetime(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    for f in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d.%m.%Y %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Some(dt);
        }
    }
    parse_date(t).map(|d| d.and_time(NaiveTime::from_hms_opt(23, 59, 0).expect("time")))
}

fn to_utc(local: NaiveDateTime, time_zone: &str) -> Option<DateTime<Utc>> {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// A deputy unlocks one lesson of a group, or its whole journal, until a time with a reason
/// (J1: a lesson locked after the entry days; J13: a period closed by its period marks). The
/// journal's rules honour it through `repo::unlocked`. Returns the unlock's id.
pub async fn unlock(
    pool: &PgPool,
    author: &Author<'_>,
    group_id: i64,
    form: &UnlockForm,
) -> AppResult<i64> {
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let group = group_ctx(&mut tx, school, group_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !may_unlock(author.access) {
        return Err(AppError::Forbidden);
    }
    let mut errors = FieldErrors::new();
    let lesson = match form.lesson.trim() {
        "" => None,
        text => {
            let found = match text.parse::<i64>() {
                Ok(id) => sqlx::query!(
                    "SELECT id, lesson_date, lesson_number FROM lesson
                     WHERE school_id = $1 AND group_id = $2 AND id = $3",
                    school.0,
                    group.id,
                    id
                )
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| (r.id, r.lesson_date, r.lesson_number)),
                Err(_) => None,
            };
            if found.is_none() {
                errors.add("lesson", "Выберите урок этой группы из списка.");
            }
            found
        }
    };
    let now = author.clock.now();
    let until = match parse_local_datetime(&form.until).and_then(|l| to_utc(l, &group.time_zone)) {
        None => {
            errors.add(
                "until",
                "Укажите, до какого времени, например 24.11.2026 18:00.",
            );
            None
        }
        Some(u) if u <= now => {
            errors.add("until", "Укажите время окончания позже текущего.");
            None
        }
        Some(u) if u > now + Duration::days(MAX_UNLOCK_DAYS) => {
            errors.add(
                "until",
                format!("Разблокировать можно не больше чем на {MAX_UNLOCK_DAYS} дней."),
            );
            None
        }
        Some(u) => Some(u),
    };
    let reason = form.reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if input::line(&mut errors, "reason", &form.reason, limits::LINE) && reason.chars().count() < 3
    {
        errors.add(
            "reason",
            "Укажите причину разблокировки (не короче 3 знаков): она остаётся в журнале изменений.",
        );
    }
    errors.into_result()?;
    let until = until.expect("checked");
    year_open(group.year_closed)?;
    let id = sqlx::query_scalar!(
        "INSERT INTO journal_unlock (school_id, group_id, lesson_id, until, reason, granted_by, granted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        school.0,
        group.id,
        lesson.map(|l| l.0),
        until,
        reason,
        author.account_id,
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        school,
        author.actor,
        Change::new("journal.unlocked", "journal_unlock", id)
            .after(json!({
                "group_id": group.id,
                "lesson_id": lesson.map(|l| l.0),
                "lesson_date": lesson.map(|l| l.1),
                "lesson_number": lesson.map(|l| l.2),
                "until": until,
            }))
            .reason(&reason),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

// ---------------------------------------------------------------------------------------------
// §5: remarks
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RemarkForm {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub due_on: String,
}

/// A deputy writes a remark on a group's journal, to be fixed by a date (§5). Returns its id.
pub async fn add_remark(
    pool: &PgPool,
    author: &Author<'_>,
    group_id: i64,
    form: &RemarkForm,
) -> AppResult<i64> {
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let group = group_ctx(&mut tx, school, group_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !may_remark(author.access) {
        return Err(AppError::Forbidden);
    }
    let today = today(author, &group.time_zone);
    let mut errors = FieldErrors::new();
    let text = form.text.trim();
    if text.chars().count() < 3 {
        errors.add("text", "Напишите, что исправить в журнале.");
    } else {
        input::text(&mut errors, "text", text, REMARK);
    }
    let due_on = match parse_date(&form.due_on) {
        Some(d) if d >= today => Some(d),
        Some(_) => {
            errors.add(
                "due_on",
                format!(
                    "Укажите срок не раньше сегодняшнего дня (сегодня {}).",
                    today.format("%d.%m.%Y")
                ),
            );
            None
        }
        None => {
            errors.add(
                "due_on",
                "Укажите срок исправления датой, например 30.11.2026.",
            );
            None
        }
    };
    errors.into_result()?;
    let due_on = due_on.expect("checked");
    year_open(group.year_closed)?;
    let id = sqlx::query_scalar!(
        "INSERT INTO journal_remark (school_id, group_id, text, due_on, author_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        school.0,
        group.id,
        text,
        due_on,
        author.account_id,
        author.clock.now()
    )
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        school,
        author.actor,
        Change::new("journal_remark.created", "journal_remark", id)
            .after(json!({"group_id": group.id, "text": text, "due_on": due_on})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FixForm {
    #[serde(default)]
    pub note: String,
}

/// The group's teacher marks a remark fixed, with an optional note (§5).
pub async fn fix_remark(
    pool: &PgPool,
    author: &Author<'_>,
    group_id: i64,
    remark_id: i64,
    form: &FixForm,
) -> AppResult<()> {
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let remark = sqlx::query!(
        "SELECT id, fixed_at FROM journal_remark
         WHERE school_id = $1 AND group_id = $2 AND id = $3 FOR UPDATE",
        school.0,
        group_id,
        remark_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let teacher = matches!(author.access.role, Role::Teacher | Role::ClassTeacher)
        && super::repo::teaches(&mut tx, school, group_id, author.account_id).await?;
    if !teacher {
        return Err(AppError::Forbidden);
    }
    let note = form.note.trim();
    let mut errors = FieldErrors::new();
    input::text(&mut errors, "note", note, super::service::COMMENT);
    errors.into_result()?;
    if remark.fixed_at.is_some() {
        return Err(AppError::Refused(
            "Замечание уже отмечено исправленным.".into(),
        ));
    }
    let note = (!note.is_empty()).then_some(note);
    sqlx::query!(
        "UPDATE journal_remark SET fixed_at = $3, fixed_by = $4, fix_note = $5
         WHERE school_id = $1 AND id = $2",
        school.0,
        remark.id,
        author.clock.now(),
        author.account_id,
        note
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        school,
        author.actor,
        Change::new("journal_remark.fixed", "journal_remark", remark.id)
            .before(json!({"fixed": false}))
            .after(json!({"fixed": true, "fix_note": note})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unlock_until_reads_several_spellings() {
        let at = |s| parse_local_datetime(s).map(|d| d.format("%Y-%m-%d %H:%M").to_string());
        assert_eq!(at("2026-11-24T18:00").as_deref(), Some("2026-11-24 18:00"));
        assert_eq!(at("24.11.2026 18:00").as_deref(), Some("2026-11-24 18:00"));
        assert_eq!(at("24.11.2026").as_deref(), Some("2026-11-24 23:59"));
        assert_eq!(at("завтра"), None);
        assert_eq!(
            default_until(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
            "2027-01-01T23:59"
        );
    }

    #[test]
    fn a_remark_is_overdue_only_while_open_after_its_date() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        let mut r = RemarkRow {
            id: 1,
            group_id: 1,
            group_name: "5А".into(),
            subject: "Математика".into(),
            teachers: String::new(),
            text: "Нет тем уроков".into(),
            due_on: d(20),
            author: String::new(),
            created_at: Utc::now(),
            fixed_at: None,
            fixed_by: None,
            fix_note: None,
        };
        assert!(!r.is_overdue(d(20)));
        assert!(r.is_overdue(d(21)));
        r.fixed_at = Some(Utc::now());
        assert!(!r.is_overdue(d(21)));
    }
}
