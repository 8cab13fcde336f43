//! Queries of the timetable and lessons.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use crate::tenancy::SchoolId;

/// Whose timetable and lessons: the groups of a class (whole class and subgroups), or one group
/// without a class (a stream, an elective, an individual plan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Class(i64),
    Group(i64),
}

impl Scope {
    /// `(class_id, group_id)` for queries filtering `($n IS NULL OR g.class_id = $n)` and
    /// `($m IS NULL OR g.id = $m)`.
    fn ids(self) -> (Option<i64>, Option<i64>) {
        match self {
            Scope::Class(id) => (Some(id), None),
            Scope::Group(id) => (None, Some(id)),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SlotRow {
    pub id: i64,
    pub group_id: i64,
    pub group_name: String,
    pub subject: String,
    pub weekday: i16,
    pub lesson_number: i16,
    pub teacher: String,
    pub room: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// The grade and shift whose calendar and bells the line follows.
    pub grade: i16,
    pub shift: i16,
}

/// The timetable lines of a class's groups, or of one group, that hold on `on` or later.
pub async fn slots(
    pool: &PgPool,
    school: SchoolId,
    scope: Scope,
    on: NaiveDate,
) -> sqlx::Result<Vec<SlotRow>> {
    let (class_id, group_id) = scope.ids();
    sqlx::query_as!(
        SlotRow,
        r#"SELECT s.id, s.group_id, g.name AS group_name, sub.short_name AS subject, s.weekday, s.lesson_number,
                  a.last_name || ' ' || left(a.first_name, 1) || '.' AS "teacher!", r.name AS "room?",
                  s.valid_from, s.valid_to, s.grade, s.shift
           FROM timetable_slot s
           JOIN study_group g ON g.school_id = s.school_id AND g.id = s.group_id
           JOIN subject sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
           JOIN account a ON a.id = s.teacher_id
           LEFT JOIN room r ON r.school_id = s.school_id AND r.id = s.room_id
           WHERE s.school_id = $1 AND ($2::bigint IS NULL OR g.class_id = $2)
             AND ($3::bigint IS NULL OR g.id = $3) AND (s.valid_to IS NULL OR s.valid_to >= $4)
           ORDER BY s.weekday, s.lesson_number, g.name, s.valid_from"#,
        school.0,
        class_id,
        group_id,
        on
    )
    .fetch_all(pool)
    .await
}

/// When and where a new timetable line would stand.
#[derive(Debug, Clone, Copy)]
pub struct When {
    pub weekday: i16,
    pub lesson_number: i16,
    pub shift: i16,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

/// Who or what a timetable line occupies.
#[derive(Debug, Clone, Copy)]
pub enum Resource {
    Teacher(i64),
    Room(i64),
}

/// The other side of a clash: the group already placed at that time, its subject, its teacher
/// and room.
#[derive(Debug, Clone)]
pub struct Clash {
    pub group: String,
    pub subject: String,
    pub teacher: String,
    pub room: Option<String>,
}

impl Clash {
    /// «5Б (Математика, Васильева Н. С.)».
    pub fn describe(&self) -> String {
        format!("{} ({}, {})", self.group, self.subject, self.teacher)
    }
}

/// A group other than `group_id` that already has the teacher, or the room, at that time (the
/// group's own line at that time is the one a new line replaces).
pub async fn busy(
    conn: &mut PgConnection,
    school: SchoolId,
    who: Resource,
    group_id: i64,
    w: When,
) -> sqlx::Result<Option<Clash>> {
    let (teacher, room) = match who {
        Resource::Teacher(id) => (Some(id), None),
        Resource::Room(id) => (None, Some(id)),
    };
    sqlx::query_as!(
        Clash,
        r#"SELECT g.name AS "group!", sub.name AS "subject!",
                  a.last_name || ' ' || left(a.first_name, 1) || '.' AS "teacher!",
                  r.name AS "room?"
         FROM timetable_slot s
         JOIN study_group g ON g.school_id = s.school_id AND g.id = s.group_id
         JOIN subject sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
         JOIN account a ON a.id = s.teacher_id
         LEFT JOIN room r ON r.school_id = s.school_id AND r.id = s.room_id
         WHERE s.school_id = $1 AND (s.teacher_id = $2 OR s.room_id = $3)
           AND s.weekday = $4 AND s.lesson_number = $5 AND s.shift = $6
           AND daterange(s.valid_from, s.valid_to, '[]') && daterange($7, $8, '[]')
           AND s.group_id <> $9
         LIMIT 1"#,
        school.0,
        teacher,
        room,
        w.weekday,
        w.lesson_number,
        w.shift,
        w.from,
        w.to,
        group_id
    )
    .fetch_optional(conn)
    .await
}

/// A group at that time that shares pupils with `group_id` (or the class's whole-class group
/// and one of its subgroups): a pupil cannot be in two lessons at once.
pub async fn pupils_busy(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
    w: When,
) -> sqlx::Result<Option<Clash>> {
    sqlx::query_as!(
        Clash,
        r#"SELECT g.name AS "group!", sub.name AS "subject!",
                  a.last_name || ' ' || left(a.first_name, 1) || '.' AS "teacher!",
                  r.name AS "room?"
         FROM timetable_slot s
         JOIN study_group g ON g.school_id = s.school_id AND g.id = s.group_id
         JOIN subject sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
         JOIN account a ON a.id = s.teacher_id
         LEFT JOIN room r ON r.school_id = s.school_id AND r.id = s.room_id
         JOIN study_group me ON me.school_id = s.school_id AND me.id = $2
         WHERE s.school_id = $1 AND s.group_id <> $2 AND s.weekday = $3 AND s.lesson_number = $4
           AND s.shift = $5 AND daterange(s.valid_from, s.valid_to, '[]') && daterange($6, $7, '[]')
           AND ((g.class_id = me.class_id AND (g.kind = 'whole_class' OR me.kind = 'whole_class'))
                OR EXISTS (SELECT 1 FROM group_pupil a JOIN group_pupil b
                             ON b.school_id = a.school_id AND b.pupil_id = a.pupil_id
                           WHERE a.school_id = $1 AND a.group_id = $2 AND b.group_id = s.group_id
                             AND daterange(a.starts_on, a.ends_on, '[]') && daterange(b.starts_on, b.ends_on, '[]')))
         LIMIT 1"#,
        school.0,
        group_id,
        w.weekday,
        w.lesson_number,
        w.shift,
        w.from,
        w.to
    )
    .fetch_optional(conn)
    .await
}

/// The bell times of a lesson number in a shift, when the year has them.
pub async fn bell(
    conn: &mut PgConnection,
    school: SchoolId,
    year_id: i64,
    shift: i16,
    lesson_number: i16,
) -> sqlx::Result<Option<(chrono::NaiveTime, chrono::NaiveTime)>> {
    Ok(sqlx::query!(
        "SELECT starts_at, ends_at FROM bell
         WHERE school_id = $1 AND academic_year_id = $2 AND shift = $3 AND lesson_number = $4",
        school.0,
        year_id,
        shift,
        lesson_number
    )
    .fetch_optional(conn)
    .await?
    .map(|b| (b.starts_at, b.ends_at)))
}

/// The group's own lines at the same weekday, lesson number and shift that hold on `w.from` or
/// later: a new line there replaces them from its date.
pub async fn lines_replaced(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
    w: When,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "SELECT id FROM timetable_slot
         WHERE school_id = $1 AND group_id = $2 AND weekday = $3 AND lesson_number = $4 AND shift = $5
           AND (valid_to IS NULL OR valid_to >= $6)
         ORDER BY id",
        school.0,
        group_id,
        w.weekday,
        w.lesson_number,
        w.shift,
        w.from
    )
    .fetch_all(conn)
    .await
}

/// A timetable line to insert.
pub struct NewSlot {
    pub year_id: i64,
    pub group_id: i64,
    pub grade: i16,
    pub teacher_id: i64,
    pub room_id: Option<i64>,
    pub when: When,
}

pub async fn insert_slot(
    conn: &mut PgConnection,
    school: SchoolId,
    s: &NewSlot,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO timetable_slot (school_id, academic_year_id, group_id, grade, shift, weekday,
                                     lesson_number, teacher_id, room_id, valid_from, valid_to)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        school.0,
        s.year_id,
        s.group_id,
        s.grade,
        s.when.shift,
        s.when.weekday,
        s.when.lesson_number,
        s.teacher_id,
        s.room_id,
        s.when.from,
        s.when.to
    )
    .fetch_one(conn)
    .await
}

/// Whose a timetable line is, for ending it.
#[derive(Debug, Clone, Copy)]
pub struct SlotOwner {
    pub group_id: i64,
    pub class_id: Option<i64>,
    pub year_id: i64,
}

impl SlotOwner {
    /// Whether the line belongs to the timetable of `scope` (a class's groups, or a group
    /// without a class).
    pub fn belongs_to(&self, scope: Scope) -> bool {
        match scope {
            Scope::Class(id) => self.class_id == Some(id),
            Scope::Group(id) => self.group_id == id && self.class_id.is_none(),
        }
    }
}

pub async fn slot_owner(
    conn: &mut PgConnection,
    school: SchoolId,
    slot_id: i64,
) -> sqlx::Result<Option<SlotOwner>> {
    sqlx::query_as!(
        SlotOwner,
        "SELECT s.group_id, g.class_id, s.academic_year_id AS year_id FROM timetable_slot s
         JOIN study_group g ON g.school_id = s.school_id AND g.id = s.group_id
         WHERE s.school_id = $1 AND s.id = $2",
        school.0,
        slot_id
    )
    .fetch_optional(conn)
    .await
}

/// The grade and shift a group without a class follows on `on`: those of the lowest grade among
/// the classes its pupils are in that day (the first shift if that grade has classes in both).
/// `None` when nobody is in the group that day.
pub async fn group_grade(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
    on: NaiveDate,
) -> sqlx::Result<Option<(i16, i16)>> {
    let row = sqlx::query!(
        "SELECT c.grade, c.shift FROM group_pupil gp
         JOIN study_group g ON g.school_id = gp.school_id AND g.id = gp.group_id
         JOIN class_enrollment e ON e.school_id = gp.school_id AND e.pupil_id = gp.pupil_id
         JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
                            AND c.academic_year_id = g.academic_year_id
         WHERE gp.school_id = $1 AND gp.group_id = $2
           AND gp.starts_on <= $3 AND (gp.ends_on IS NULL OR gp.ends_on >= $3)
           AND e.starts_on <= $3 AND (e.ends_on IS NULL OR e.ends_on >= $3)
         ORDER BY c.grade, c.shift LIMIT 1",
        school.0,
        group_id,
        on
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.grade, r.shift)))
}

/// Ends a timetable line before `from` (or removes it if it had not started yet).
pub async fn end_slot(
    conn: &mut PgConnection,
    school: SchoolId,
    slot_id: i64,
    from: NaiveDate,
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM timetable_slot WHERE school_id = $1 AND id = $2 AND valid_from >= $3
           AND NOT EXISTS (SELECT 1 FROM lesson l WHERE l.school_id = $1 AND l.slot_id = $2 AND l.lesson_date < $3)",
        school.0,
        slot_id,
        from
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE timetable_slot SET valid_to = least(valid_to, $3::date - 1) WHERE school_id = $1 AND id = $2",
        school.0,
        slot_id,
        from
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Locks the lessons of `scope` from `from` on for the regeneration: a teacher's write to one of
/// them (which locks its lesson first) waits for the timetable change, or the change waits for
/// it and then sees what was written — a column or homework added meanwhile is never deleted.
pub async fn lock_lessons(
    conn: &mut PgConnection,
    school: SchoolId,
    scope: Scope,
    from: NaiveDate,
) -> sqlx::Result<()> {
    let (class_id, group_id) = scope.ids();
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "locked!" FROM (
               SELECT l.id FROM lesson l
               JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
               WHERE l.school_id = $1 AND ($2::bigint IS NULL OR g.class_id = $2)
                 AND ($3::bigint IS NULL OR g.id = $3) AND l.lesson_date >= $4
               ORDER BY l.id
               FOR UPDATE OF l) x"#,
        school.0,
        class_id,
        group_id,
        from
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// Gives the future lessons of `scope` that the timetable still produces from `from` on the
/// line's slot, teacher and room (the same row: everything written at it stays). Only lessons
/// still to be given at their own place (scheduled, not moved here) follow the timetable.
pub async fn update_kept_lessons(
    conn: &mut PgConnection,
    school: SchoolId,
    scope: Scope,
    from: NaiveDate,
) -> sqlx::Result<u64> {
    let (class_id, group_id) = scope.ids();
    Ok(sqlx::query!(
        "WITH p AS MATERIALIZED (SELECT * FROM timetable_lessons($1, $2, $3, $4))
         UPDATE lesson l SET slot_id = p.slot_id, teacher_id = p.teacher_id, room_id = p.room_id
         FROM p
         WHERE l.school_id = $1 AND l.group_id = p.group_id AND l.lesson_date = p.lesson_date
           AND l.lesson_number = p.lesson_number AND l.status = 'scheduled' AND l.moved_from_id IS NULL
           AND (l.slot_id, l.teacher_id, l.room_id) IS DISTINCT FROM (p.slot_id, p.teacher_id, p.room_id)",
        school.0,
        class_id,
        group_id,
        from
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// Removes the lessons of `scope` from `from` on that the timetable no longer produces and that
/// carry nothing anyone wrote: scheduled, not moved here from another date, no topic, homework,
/// «Не задано», time for homework or comment, no mark column (so no mark), no absence, no
/// substitution, no unlock.
pub async fn delete_blank_orphans(
    conn: &mut PgConnection,
    school: SchoolId,
    scope: Scope,
    from: NaiveDate,
) -> sqlx::Result<u64> {
    let (class_id, group_id) = scope.ids();
    Ok(sqlx::query!(
        "WITH p AS MATERIALIZED (SELECT t.group_id, t.lesson_date, t.lesson_number
                                 FROM timetable_lessons($1, $2, $3, $4) t)
         DELETE FROM lesson l USING study_group g
         WHERE l.school_id = $1 AND g.school_id = l.school_id AND g.id = l.group_id
           AND ($2::bigint IS NULL OR g.class_id = $2) AND ($3::bigint IS NULL OR g.id = $3)
           AND l.lesson_date >= $4 AND l.status = 'scheduled' AND l.moved_from_id IS NULL
           AND l.topic IS NULL AND l.homework IS NULL AND NOT l.homework_none
           AND l.homework_minutes IS NULL AND l.teacher_comment IS NULL
           AND NOT EXISTS (SELECT 1 FROM mark_column c WHERE c.school_id = l.school_id AND c.lesson_id = l.id)
           AND NOT EXISTS (SELECT 1 FROM substitution s WHERE s.school_id = l.school_id AND s.lesson_id = l.id)
           AND NOT EXISTS (SELECT 1 FROM absence a WHERE a.school_id = l.school_id AND a.lesson_id = l.id)
           AND NOT EXISTS (SELECT 1 FROM journal_unlock u WHERE u.school_id = l.school_id AND u.lesson_id = l.id)
           AND NOT EXISTS (SELECT 1 FROM p WHERE p.group_id = l.group_id AND p.lesson_date = l.lesson_date
                                             AND p.lesson_number = l.lesson_number)",
        school.0,
        class_id,
        group_id,
        from
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// Creates the lessons of `scope`'s timetable from `from` to the end of the year: every working
/// day inside a study period of the line's grade that is not a holiday for it (the database's
/// `timetable_lessons`); a lesson already standing at its place is left as it is.
pub async fn generate_lessons(
    conn: &mut PgConnection,
    school: SchoolId,
    scope: Scope,
    from: NaiveDate,
) -> sqlx::Result<u64> {
    let (class_id, group_id) = scope.ids();
    Ok(sqlx::query!(
        "INSERT INTO lesson (school_id, group_id, lesson_date, lesson_number, teacher_id, room_id, slot_id)
         SELECT $1, t.group_id, t.lesson_date, t.lesson_number, t.teacher_id, t.room_id, t.slot_id
         FROM timetable_lessons($1, $2, $3, $4) t
         -- Ids in the order of the days, whatever the plan: the same timetable always gives the
         -- same ids (the demo's choices are hashed from them, and its tests check their results).
         ORDER BY t.lesson_date, t.lesson_number, t.group_id
         ON CONFLICT (school_id, group_id, lesson_date, lesson_number) DO NOTHING",
        school.0,
        class_id,
        group_id,
        from
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// A future lesson of `scope` the timetable no longer produces that was kept because something
/// is written at it, with what.
#[derive(Debug, Clone)]
pub struct OrphanRow {
    pub id: i64,
    pub group_id: i64,
    pub group_name: String,
    pub subject: String,
    pub lesson_date: NaiveDate,
    pub lesson_number: i16,
    pub topic: bool,
    pub homework: bool,
    pub homework_none: bool,
    pub comment: bool,
    pub columns: bool,
    /// A substitution, an absence, a mark or an unlock: the lesson stays where it is.
    pub fixed: bool,
}

/// The future lessons of `scope` from `from` on that the timetable no longer produces and that
/// are still to be given at their own place (scheduled, not moved here), by group and date.
pub async fn orphans(
    conn: &mut PgConnection,
    school: SchoolId,
    scope: Scope,
    from: NaiveDate,
) -> sqlx::Result<Vec<OrphanRow>> {
    let (class_id, group_id) = scope.ids();
    sqlx::query_as!(
        OrphanRow,
        r#"WITH p AS MATERIALIZED (SELECT t.group_id, t.lesson_date, t.lesson_number
                                   FROM timetable_lessons($1, $2, $3, $4) t)
           SELECT l.id, l.group_id, g.name AS group_name, sub.name AS subject, l.lesson_date, l.lesson_number,
                  l.topic IS NOT NULL AS "topic!", l.homework IS NOT NULL AS "homework!",
                  l.homework_none, l.teacher_comment IS NOT NULL AS "comment!",
                  EXISTS (SELECT 1 FROM mark_column c WHERE c.school_id = l.school_id AND c.lesson_id = l.id)
                      AS "columns!",
                  (EXISTS (SELECT 1 FROM substitution s WHERE s.school_id = l.school_id AND s.lesson_id = l.id)
                   OR EXISTS (SELECT 1 FROM absence a WHERE a.school_id = l.school_id AND a.lesson_id = l.id)
                   OR EXISTS (SELECT 1 FROM mark_column c JOIN mark m ON m.school_id = c.school_id AND m.column_id = c.id
                              WHERE c.school_id = l.school_id AND c.lesson_id = l.id)
                   OR EXISTS (SELECT 1 FROM journal_unlock u WHERE u.school_id = l.school_id AND u.lesson_id = l.id))
                      AS "fixed!"
           FROM lesson l
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           JOIN subject sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
           WHERE l.school_id = $1 AND ($2::bigint IS NULL OR g.class_id = $2) AND ($3::bigint IS NULL OR g.id = $3)
             AND l.lesson_date >= $4 AND l.status = 'scheduled' AND l.moved_from_id IS NULL
             AND NOT EXISTS (SELECT 1 FROM p WHERE p.group_id = l.group_id AND p.lesson_date = l.lesson_date
                                               AND p.lesson_number = l.lesson_number)
           ORDER BY l.group_id, l.lesson_date, l.lesson_number"#,
        school.0,
        class_id,
        group_id,
        from
    )
    .fetch_all(conn)
    .await
}

/// A lesson that carries nothing yet: a place planned records can be carried to.
#[derive(Debug, Clone)]
pub struct FreeRow {
    pub id: i64,
    pub group_id: i64,
    pub lesson_date: NaiveDate,
    pub lesson_number: i16,
    pub slot_id: Option<i64>,
    pub teacher_id: i64,
    pub room_id: Option<i64>,
}

/// The lessons of `groups` from `from` on, still to be given at their own place, that carry
/// nothing anyone wrote (after `delete_blank_orphans`, these are all lessons the timetable
/// produces), by group, date and number.
pub async fn free_lessons(
    conn: &mut PgConnection,
    school: SchoolId,
    groups: &[i64],
    from: NaiveDate,
) -> sqlx::Result<Vec<FreeRow>> {
    sqlx::query_as!(
        FreeRow,
        "SELECT l.id, l.group_id, l.lesson_date, l.lesson_number, l.slot_id, l.teacher_id, l.room_id
         FROM lesson l
         WHERE l.school_id = $1 AND l.group_id = ANY($2) AND l.lesson_date >= $3
           AND l.status = 'scheduled' AND l.moved_from_id IS NULL
           AND l.topic IS NULL AND l.homework IS NULL AND NOT l.homework_none
           AND l.homework_minutes IS NULL AND l.teacher_comment IS NULL
           AND NOT EXISTS (SELECT 1 FROM mark_column c WHERE c.school_id = l.school_id AND c.lesson_id = l.id)
           AND NOT EXISTS (SELECT 1 FROM substitution s WHERE s.school_id = l.school_id AND s.lesson_id = l.id)
           AND NOT EXISTS (SELECT 1 FROM absence a WHERE a.school_id = l.school_id AND a.lesson_id = l.id)
           AND NOT EXISTS (SELECT 1 FROM journal_unlock u WHERE u.school_id = l.school_id AND u.lesson_id = l.id)
         ORDER BY l.group_id, l.lesson_date, l.lesson_number",
        school.0,
        groups,
        from
    )
    .fetch_all(conn)
    .await
}

/// Carries lessons to the places of free lessons: each free lesson (`targets`) is removed and
/// the lesson at the same index of `sources` takes its date, number, slot, teacher and room —
/// the same row, so its records, mark columns and audit trail go with it. Two statements.
pub async fn carry_over(
    conn: &mut PgConnection,
    school: SchoolId,
    sources: &[i64],
    targets: &[FreeRow],
) -> sqlx::Result<()> {
    let ids: Vec<i64> = targets.iter().map(|t| t.id).collect();
    let dates: Vec<NaiveDate> = targets.iter().map(|t| t.lesson_date).collect();
    let numbers: Vec<i16> = targets.iter().map(|t| t.lesson_number).collect();
    let slots: Vec<Option<i64>> = targets.iter().map(|t| t.slot_id).collect();
    let teachers: Vec<i64> = targets.iter().map(|t| t.teacher_id).collect();
    let rooms: Vec<Option<i64>> = targets.iter().map(|t| t.room_id).collect();
    sqlx::query!(
        "DELETE FROM lesson WHERE school_id = $1 AND id = ANY($2)",
        school.0,
        &ids
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE lesson l SET lesson_date = x.d, lesson_number = x.n, slot_id = x.s, teacher_id = x.t,
                             room_id = x.r
         FROM unnest($2::bigint[], $3::date[], $4::smallint[], $5::bigint[], $6::bigint[], $7::bigint[])
              AS x(id, d, n, s, t, r)
         WHERE l.school_id = $1 AND l.id = x.id",
        school.0,
        sources,
        &dates,
        &numbers,
        &slots as &[Option<i64>],
        &teachers,
        &rooms as &[Option<i64>]
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Lessons per group of `scope` (generated so far).
pub async fn lesson_counts(
    pool: &PgPool,
    school: SchoolId,
    scope: Scope,
) -> sqlx::Result<Vec<(String, i64)>> {
    let (class_id, group_id) = scope.ids();
    let rows = sqlx::query!(
        r#"SELECT g.name || ' — ' || sub.name AS "group!", count(l.id) AS "lessons!"
           FROM study_group g
           JOIN subject sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
           LEFT JOIN lesson l ON l.school_id = g.school_id AND l.group_id = g.id
           WHERE g.school_id = $1 AND ($2::bigint IS NULL OR g.class_id = $2)
             AND ($3::bigint IS NULL OR g.id = $3)
           GROUP BY g.id, g.name, sub.name ORDER BY sub.name, g.name"#,
        school.0,
        class_id,
        group_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.group, r.lessons)).collect())
}
