//! Writes to the journal: a cell (mark and absence), a lesson's record (topic, homework,
//! comment), its mark columns, the absence reasons. Each asks `rules::journal`, writes, and
//! records the change in the audit trail in the same transaction.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, NaiveTime, Utc};
use serde::Deserialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::kept::{self, KeptLessons};
use super::outage;
use super::repo::{self, For, LessonCtx, MarkWrite};
use super::{AbsenceReason, Cell, MarkValue};
use crate::audit::{self, Actor, Change};
use crate::authz::{Access, Role};
use crate::clock::Clock;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::input::{self, limits};
use crate::rules::journal::{self as rules, Capacities, Entry, JournalState, Timing};
use crate::tenancy::SchoolId;

/// Who is writing: the membership and the clock.
pub struct Author<'a> {
    pub access: &'a Access,
    pub account_id: i64,
    pub actor: &'a Actor,
    pub clock: &'a dyn Clock,
    /// The server's kept facts of the lessons being written (`kept`): none, read every time.
    pub kept: Option<&'a KeptLessons>,
}

impl Author<'_> {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// May the member read the journal of the lesson's group? The director and the deputies every
/// journal, a teacher the groups they teach or substitute in, the class teacher their class's;
/// 403 for everybody else — the administrator (regulations §1: «no marks»), parents and pupils
/// (they have the diary). Every journal page and every journal write asks this before it reads
/// a stored value (docs/ACCESS.md).
///
/// `known_teaches`: whether the member teaches the group, when already read (`standing` asks
/// it): then it is not asked again.
pub async fn may_read(
    conn: &mut PgConnection,
    access: &Access,
    account_id: i64,
    group_id: i64,
    class_id: Option<i64>,
    known_teaches: Option<bool>,
) -> AppResult<Reading> {
    let unasked = Reading { teaches: None };
    if access.can_read_every_journal() {
        return Ok(unasked);
    }
    match access.role {
        Role::Director | Role::Deputy | Role::Administrator => Err(AppError::Forbidden),
        Role::ClassTeacher if class_id.is_some() && access.class_id == class_id => Ok(unasked),
        Role::Teacher | Role::ClassTeacher => {
            // The group's own teacher first: the usual case, one query.
            let teaches = match known_teaches {
                Some(t) => t,
                None => repo::teaches(conn, access.school_id, group_id, account_id).await?,
            };
            if teaches {
                Ok(Reading {
                    teaches: Some(true),
                })
            } else if substitutes_in(conn, access.school_id, group_id, account_id).await? {
                Ok(Reading {
                    teaches: Some(false),
                })
            } else {
                Err(AppError::Forbidden)
            }
        }
        Role::Parent | Role::Pupil => Err(AppError::Forbidden),
    }
}

/// What `may_read` learned on its way: whether the reader teaches the group — asked of a
/// teacher (`None`: not asked, as of the management or a class teacher in their own class).
#[derive(Clone, Copy, Debug)]
pub struct Reading {
    pub teaches: Option<bool>,
}

/// Whether the account substitutes at some lesson of the group (J15).
pub async fn substitutes_in(
    conn: &mut PgConnection,
    school: crate::tenancy::SchoolId,
    group_id: i64,
    account_id: i64,
) -> AppResult<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM substitution s JOIN lesson l
                            ON l.school_id = s.school_id AND l.id = s.lesson_id
                          WHERE s.school_id = $1 AND l.group_id = $2 AND s.teacher_id = $3) AS "e!""#,
        school.0,
        group_id,
        account_id
    )
    .fetch_one(conn)
    .await?)
}

/// The author's capacities and the journal's state at the lesson (unlocked, period closed —
/// J13 —, year closed, a break in the system's work — 001 §6), as `repo::lesson_ctx` read them
/// with the lesson.
fn standing(author: &Author<'_>, lesson: &LessonCtx) -> (Capacities, JournalState) {
    let staff_teacher = matches!(author.access.role, Role::Teacher | Role::ClassTeacher);
    let caps = Capacities {
        teaches: staff_teacher && lesson.teaches,
        substitutes: staff_teacher && lesson.substitute_id == Some(author.account_id),
        class_teacher: author.access.role == Role::ClassTeacher
            && lesson.class_id.is_some()
            && author.access.class_id == lesson.class_id,
    };
    let state = JournalState {
        unlocked: lesson.unlocked_until.is_some(),
        period_closed: lesson.period_closed,
        year_closed: lesson.year_closed,
        outage_ended: lesson
            .outage_ended
            .map(|e| super::outage::local(&lesson.time_zone, e)),
    };
    (caps, state)
}

/// Asks the rules; a refusal becomes `Refused` with its clause.
fn check(author: &Author<'_>, lesson: &LessonCtx, entry: Entry) -> AppResult<Timing> {
    judge(author, lesson, standing(author, lesson), entry)
}

/// The author's standing at a lesson: their capacities and the journal's state (`standing`).
pub type At = (Capacities, JournalState);

/// The rules' answer for an entry, the author's standing at the lesson already read (one
/// `standing` serves every entry of a request).
fn judge(
    author: &Author<'_>,
    lesson: &LessonCtx,
    (caps, state): (Capacities, JournalState),
    entry: Entry,
) -> AppResult<Timing> {
    let now = crate::clock::local_now(author.clock, &lesson.time_zone);
    rules::may_write(caps, entry, &lesson.time(), now, state, &lesson.settings())
        .map_err(|r| AppError::Refused(r.text()))
}

/// The rules' answer for an entry by an author who writes the lesson; None for one who only
/// reads it or has no standing read (the management: `at` from `readable_lesson`).
fn as_writer(
    author: &Author<'_>,
    lesson: &LessonCtx,
    at: Option<At>,
    entry: Entry,
) -> Option<AppResult<Timing>> {
    let (caps, state) = at?;
    caps.writes_lesson()
        .then(|| judge(author, lesson, (caps, state), entry))
}

/// Why the author cannot record attendance and marks at the lesson now, if they cannot (for the
/// lesson page's notice); None when they can, or only read anyway. `at`: the author's standing
/// at the lesson (`readable_lesson`), read once for the page.
pub fn lock_note(author: &Author<'_>, lesson: &LessonCtx, at: Option<At>) -> Option<String> {
    match as_writer(author, lesson, at, Entry::Absence)? {
        Ok(Timing::Late) => {
            Some("Урок прошёл: записи будут отмечены как внесённые с опозданием.".into())
        }
        Ok(Timing::FromPaper) => Some(
            "Урок прошёл во время перерыва в работе системы: внесите записи с бумажного журнала — они не считаются внесёнными с опозданием.".into(),
        ),
        Ok(Timing::OnTime) => None,
        Err(AppError::Refused(why)) => Some(why),
        // `judge` refuses with `Refused` only.
        Err(_) => None,
    }
}

/// J7: that homework written now would be late (for the lesson page, under the homework); None
/// when it would be on time, when the lesson is closed anyway (`lock_note` says why) or when the
/// author does not write the lesson (`at`, as for `lock_note`).
pub fn homework_note(author: &Author<'_>, lesson: &LessonCtx, at: Option<At>) -> Option<String> {
    match as_writer(author, lesson, at, Entry::Homework)? {
        Ok(Timing::Late) => Some(format!(
            "Время записи домашнего задания ({} после последнего урока класса) прошло: задание или «Не задано» будут отмечены как внесённые с опозданием.",
            rules::minutes_text(i64::from(lesson.homework_window_minutes))
        )),
        _ => None,
    }
}

/// The lesson a write goes to, locked, once the author may read its journal (another school's
/// lesson: 404; a journal the author may not read: 403, before anything of it is read), with the
/// author's standing read with it (`readable_lesson`).
async fn lesson(
    conn: &mut PgConnection,
    author: &Author<'_>,
    lesson_id: i64,
    how: For,
) -> AppResult<LessonCtx> {
    let (lesson, _) = readable_lesson(conn, author, lesson_id, how).await?;
    if lesson.status == "cancelled" || lesson.status == "moved" {
        return Err(AppError::Refused(
            "Урок отменён или перенесён: записи делаются в перенесённом уроке.".into(),
        ));
    }
    Ok(lesson)
}

/// The first moment after `now` (school-local) at which the lesson page's notices
/// (`lock_note`, `homework_note`) may change by the clock alone: the lesson's start, before which
/// nothing is marked (J3), and the end of its homework's time (J7). The other rules go by the
/// date. None when neither is ahead.
pub fn notices_change_at(lesson: &LessonCtx, now: NaiveDateTime) -> Option<NaiveDateTime> {
    let time = lesson.time();
    let starts = time.date.and_time(time.starts_at.unwrap_or(NaiveTime::MIN));
    // Homework is on time up to its deadline inclusive: late from the moment after.
    let homework_late =
        rules::homework_deadline(&time, &lesson.settings()) + chrono::Duration::nanoseconds(1);
    [starts, homework_late]
        .into_iter()
        .filter(|t| *t > now)
        .min()
}

/// The lesson a cell write goes to, as `lesson` reads it for cells, its facts kept between the
/// author's saves when the server keeps them (`kept`): then one statement locks the lesson and
/// reads the versions of its facts — or the caller did (`locked`: `repo::lock_lessons_versions`
/// in this transaction) — and the facts are read only when those changed.
pub(super) async fn cells_lesson(
    conn: &mut PgConnection,
    author: &Author<'_>,
    lesson_id: i64,
    locked: Option<kept::Versions>,
) -> AppResult<LessonCtx> {
    let Some(kept) = author.kept.filter(|k| k.keeps() && !crate::db::is_citus()) else {
        return lesson(conn, author, lesson_id, For::Cells).await;
    };
    let school = author.access.school_id;
    let versions = match locked {
        Some(versions) => versions,
        None => repo::lock_lesson_versions(conn, school, lesson_id)
            .await?
            .ok_or(AppError::NotFound)?,
    };
    let key = kept::Key::new(
        school,
        lesson_id,
        author.account_id,
        author.access.role,
        author.access.class_id,
    );
    let now = author.now();
    if let Some(lesson) = kept.get(&key, versions, now) {
        return Ok(lesson);
    }
    let lesson = lesson(conn, author, lesson_id, For::Cells).await?;
    kept.keep(key, versions, now, &lesson);
    Ok(lesson)
}

/// A lesson once the author may read its journal (404 / 403 as for `lesson`; `how`: for a page
/// or, locked for the caller's transaction, a write — `repo::For`), with a teacher's or class teacher's standing at it — read first:
/// it says whether they teach the group, so `may_read` need not ask again, and the rules judge
/// every entry of a write by it, the lesson page its notices. It reads no journal value. The
/// management write no lesson and are asked nothing.
pub async fn readable_lesson(
    conn: &mut PgConnection,
    author: &Author<'_>,
    lesson_id: i64,
    how: For,
) -> AppResult<(LessonCtx, Option<At>)> {
    let lesson = repo::lesson_ctx(
        conn,
        author.access.school_id,
        lesson_id,
        author.account_id,
        author.now(),
        how,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let at = matches!(author.access.role, Role::Teacher | Role::ClassTeacher)
        .then(|| standing(author, &lesson));
    may_read(
        conn,
        author.access,
        author.account_id,
        lesson.group_id,
        lesson.class_id,
        at.map(|(caps, _)| caps.teaches),
    )
    .await?;
    Ok((lesson, at))
}

/// A pupil's cell at a lesson the author may read (`readable_lesson`): the mark column asked
/// (none asked: the lesson's first; none yet: none) and the cell as stored, in one statement
/// (`repo::cell_at`). A pupil not in the lesson's group that day, another school's, or a column
/// of another lesson: 404, the same answer, naming nobody and no value.
async fn cell_at(
    conn: &mut PgConnection,
    author: &Author<'_>,
    lesson: &LessonCtx,
    column: Option<i64>,
    pupil_id: i64,
) -> AppResult<(Option<repo::ColumnRow>, repo::CellRow)> {
    visible(repo::cell_at(conn, author.access.school_id, lesson, column, pupil_id).await?)
}

/// A cell read by `repo::cell_at` or `repo::cells_at`, once its pupil and column are the
/// lesson's (404 otherwise, naming nobody and no value).
fn visible(at: repo::CellAt) -> AppResult<(Option<repo::ColumnRow>, repo::CellRow)> {
    if !at.member || at.foreign_column {
        return Err(AppError::NotFound);
    }
    Ok((at.column, at.cell))
}

/// A cell as it is stored, for someone who may read the lesson's journal (the grid puts it back
/// after a refused write): 403/404 before anything is read otherwise.
pub async fn readable_cell(
    conn: &mut PgConnection,
    author: &Author<'_>,
    lesson_id: i64,
    column: Option<i64>,
    pupil_id: i64,
) -> AppResult<Cell> {
    let (lesson, _) = readable_lesson(conn, author, lesson_id, For::Page).await?;
    let (_, current) = cell_at(conn, author, &lesson, column, pupil_id).await?;
    Ok(Cell {
        absent: current.absent,
        mark: current.mark.as_deref().and_then(MarkValue::parse),
    })
}

/// The history of a cell: the lesson, the pupil's name, and its audit lines — for someone who
/// may read the journal, about a pupil of the lesson's group (404 otherwise, with no name).
pub async fn cell_history(
    conn: &mut PgConnection,
    author: &Author<'_>,
    lesson_id: i64,
    column: Option<i64>,
    pupil_id: i64,
) -> AppResult<(LessonCtx, String, Vec<repo::HistoryLine>)> {
    let school = author.access.school_id;
    let (lesson, _) = readable_lesson(conn, author, lesson_id, For::Page).await?;
    let (_, cell) = cell_at(conn, author, &lesson, column, pupil_id).await?;
    let pupil = repo::pupil_name(conn, school, pupil_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let lines = repo::cell_history(conn, school, cell.mark_id, cell.absence_id).await?;
    Ok((lesson, pupil, lines))
}

/// A cell as the grid posts it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CellForm {
    pub lesson: i64,
    /// The mark column; none: the lesson's first column (created on the first mark).
    #[serde(default)]
    pub column: Option<i64>,
    pub pupil: i64,
    #[serde(default)]
    pub value: String,
    /// The cell as the teacher saw it before typing (a lost-update check).
    #[serde(default)]
    pub was: Option<String>,
    /// Why an existing mark is corrected (J6).
    #[serde(default)]
    pub reason: String,
}

/// What a cell write did.
#[derive(Debug, Clone)]
pub struct CellSaved {
    pub cell: Cell,
    pub column_id: Option<i64>,
    pub late: bool,
    pub changed: bool,
}

/// Writes one cell: the absence and/or the mark a teacher typed (J1–J5, J9, J10, J13, J15).
/// `db`: the pool, or a connection the caller holds (`journal::together`'s worker).
pub async fn write_cell<'c>(
    db: impl sqlx::Acquire<'c, Database = sqlx::Postgres>,
    author: &Author<'_>,
    form: &CellForm,
) -> AppResult<CellSaved> {
    let mut tx = db.begin().await?;
    let mut writes = Writes::default();
    let saved = write_cell_in(&mut tx, author, form, None, &mut writes).await?;
    writes.record(&mut tx, author.access.school_id).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Puts a cell back as it was before a change made with compromised credentials (000 §21,
/// 004 §5.4), in the caller's transaction: the same write as a teacher's, by the director or a
/// deputy, with no capacity or time window (the management's decision), `form.was` as the state
/// the cell must still be in, and `reason` recorded on every audit event it makes.
pub async fn revert_cell(
    conn: &mut PgConnection,
    author: &Author<'_>,
    form: &CellForm,
    reason: &str,
) -> AppResult<CellSaved> {
    if !author.access.can_read_every_journal() {
        return Err(AppError::Forbidden);
    }
    let mut writes = Writes::default();
    let saved = write_cell_in(conn, author, form, Some(reason), &mut writes).await?;
    writes.record(conn, author.access.school_id).await?;
    Ok(saved)
}

/// Cell saves' writes, judged and not yet made (`write_read_cell`), with their audit events:
/// every absence, mark and lesson now held of any number of saves is written by one statement
/// (`Writes::flush`, `repo::write_cells`), and their events recorded by one more
/// (`Writes::record`), in the caller's transaction. A cell whose write waits is written before
/// it is read again (`write_read_cells`).
#[derive(Default)]
pub(super) struct Writes<'f> {
    /// An absence to store, with the index of its event in `changes`.
    absences: Vec<(repo::AbsenceWrite, usize)>,
    /// A mark to store, with the index of its event in `changes`.
    marks: Vec<(repo::MarkWrite<'static>, usize)>,
    /// Scheduled lessons a save made held.
    held: Vec<i64>,
    /// The cells (lesson, pupil) whose writes wait.
    waiting: HashSet<(i64, i64)>,
    /// The saves' audit events, in order; a row's event gets its id when the row is written.
    changes: Vec<(&'f Actor, Change<'f>)>,
}

impl<'f> Writes<'f> {
    /// The audit event of a write of the pupil's cell in the lesson, which now waits: its index,
    /// for the write to give it its row's id.
    fn event(
        &mut self,
        lesson_id: i64,
        pupil_id: i64,
        actor: &'f Actor,
        change: Change<'f>,
    ) -> usize {
        self.waiting.insert((lesson_id, pupil_id));
        self.changes.push((actor, change));
        self.changes.len() - 1
    }

    /// Whether a write of the pupil's cell in the lesson waits to be made.
    fn pending(&self, lesson_id: i64, pupil_id: i64) -> bool {
        self.waiting.contains(&(lesson_id, pupil_id))
    }

    /// Makes the writes waiting, in one statement, and gives their events the rows' ids.
    async fn flush(&mut self, conn: &mut PgConnection, school: SchoolId) -> AppResult<()> {
        if self.absences.is_empty() && self.marks.is_empty() && self.held.is_empty() {
            return Ok(());
        }
        let (absences, absence_events): (Vec<_>, Vec<_>) = self.absences.drain(..).unzip();
        let (marks, mark_events): (Vec<_>, Vec<_>) = self.marks.drain(..).unzip();
        let rows = repo::write_cells(conn, school, &absences, &marks, &self.held).await?;
        self.held.clear();
        self.waiting.clear();
        let events = absences
            .iter()
            .map(|a| rows.absences.get(&(a.lesson_id, a.pupil_id)))
            .zip(absence_events)
            .chain(
                marks
                    .iter()
                    .map(|m| rows.marks.get(&(m.column_id, m.pupil_id)))
                    .zip(mark_events),
            );
        for (id, i) in events {
            let id = id.ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("a cell's row was not written"))
            })?;
            self.changes[i].1.subject_id = Some(*id);
        }
        Ok(())
    }

    /// Makes the writes waiting and records every save's audit events, in order.
    pub(super) async fn record(
        mut self,
        conn: &mut PgConnection,
        school: SchoolId,
    ) -> AppResult<()> {
        self.flush(conn, school).await?;
        audit::record_all(conn, school, &self.changes).await?;
        Ok(())
    }
}

/// `revert`: the reason of a revert (see `revert_cell`); `None` for a teacher's write. The
/// write waits in `writes`, for the caller to make and record in the same transaction
/// (`Writes::record`). Several cells at once: `write_read_cells`.
pub(super) async fn write_cell_in<'f>(
    conn: &mut PgConnection,
    author: &Author<'f>,
    form: &'f CellForm,
    revert: Option<&'f str>,
    writes: &mut Writes<'f>,
) -> AppResult<CellSaved> {
    // Permission first: the journal is readable by the author (else 403), the pupil is the
    // group's that day and the column the lesson's (else 404) — asked in the statement that
    // reads the stored cell, which is looked at only once both are answered.
    let lesson = cells_lesson(conn, author, form.lesson, None).await?;
    let at = repo::cell_at(
        conn,
        author.access.school_id,
        &lesson,
        form.column,
        form.pupil,
    )
    .await?;
    write_read_cell(conn, author, form, revert, &lesson, at, writes).await
}

/// The rest of [`write_cell_in`], once the lesson (`cells_lesson`) and the cell as stored
/// (`repo::cell_at`, or `repo::cells_at` for several, `write_read_cells`) are read: the pupil's
/// and column's check, every rule, and the writes put in `writes` — made when the caller flushes
/// them, but for a first mark's new column, made at once.
async fn write_read_cell<'f>(
    conn: &mut PgConnection,
    author: &Author<'f>,
    form: &'f CellForm,
    revert: Option<&'f str>,
    lesson: &LessonCtx,
    at: repo::CellAt,
    writes: &mut Writes<'f>,
) -> AppResult<CellSaved> {
    let school = author.access.school_id;
    if writes.pending(lesson.id, form.pupil) {
        return Err(AppError::Internal(anyhow::anyhow!(
            "a cell was read before the write of a save before it was made"
        )));
    }
    let (column, current) = visible(at)?;
    // The author's capacities and the journal's state, read once for every rule asked below (a
    // revert asks none: the management's decision).
    let at = match revert {
        Some(_) => None,
        None => Some(standing(author, lesson)),
    };
    // The rules' answer for an entry: on time for a revert.
    let timing = |entry: Entry| match at {
        Some(at) => judge(author, lesson, at, entry),
        None => Ok(Timing::OnTime),
    };
    if let Some((caps, _)) = at
        && !caps.writes_lesson()
    {
        // Somebody who reads the journal but does not write into it (the director, a deputy,
        // the class teacher, a substitute of another lesson): the rule's refusal, which names
        // no value, before the stored cell is compared with what they saw.
        timing(Entry::Absence)?;
    }
    let reason = revert.unwrap_or(form.reason.trim());
    let mut errors = FieldErrors::new();
    input::line(&mut errors, "reason", reason, limits::LINE);
    errors.into_result()?;
    let typed =
        Cell::parse(&form.value, lesson.scale()).map_err(|m| AppError::invalid("value", m))?;
    let now_cell = Cell {
        absent: current.absent,
        mark: current.mark.as_deref().and_then(MarkValue::parse),
    };
    if let Some(was) = &form.was
        && was.trim() != now_cell.text()
    {
        return Err(AppError::Refused(format!(
            "Эту клетку уже изменили: сейчас в ней «{}». Проверьте и введите ещё раз: отметку не перезаписывают незаметно.",
            now_cell.text()
        )));
    }
    if typed == now_cell {
        return Ok(CellSaved {
            cell: now_cell,
            column_id: column.map(|c| c.id),
            late: false,
            changed: false,
        });
    }
    // Every rule is asked before the first write: a refusal leaves nothing of the cell written,
    // also when the save is committed together with others (`journal::together`).
    let absence = if typed.absent != now_cell.absent {
        Some(timing(Entry::Absence)?)
    } else {
        None
    };
    let mark = if typed.mark != now_cell.mark {
        let (work_type_id, checking_days) = match &column {
            Some(c) => (c.work_type_id, i64::from(c.checking_days)),
            None => {
                let wt = repo::default_work_type(conn, school).await?;
                let days = repo::work_type_checking_days(conn, school, wt)
                    .await?
                    .unwrap_or(0);
                (wt, i64::from(days))
            }
        };
        let timing = timing(Entry::Mark { checking_days })?;
        let correcting = now_cell.mark.is_some();
        if correcting && reason.chars().count() < 3 {
            return Err(AppError::invalid(
                "reason",
                "Исправление отметки: укажите причину.",
            ));
        }
        Some((work_type_id, timing, correcting))
    } else {
        None
    };
    let now = author.now();
    let mut late = false;
    if let Some(timing) = absence {
        late |= timing == Timing::Late;
        let mut change = Change::new(
            if typed.absent { "absence.marked" } else { "absence.removed" },
            "absence",
            0,
        )
        .before(json!({"pupil_id": form.pupil, "lesson_id": lesson.id, "absent": now_cell.absent, "reason": current.reason}))
        .after(json!({"pupil_id": form.pupil, "lesson_id": lesson.id, "absent": typed.absent, "late_entry": timing == Timing::Late, "from_paper": timing == Timing::FromPaper}))
        .group(lesson.group_id);
        if let Some(why) = revert {
            change = change.reason(why);
        } else if timing == Timing::FromPaper {
            change = change.reason(outage::PAPER_REASON);
        }
        let absence = repo::AbsenceWrite {
            lesson_id: lesson.id,
            pupil_id: form.pupil,
            absent: typed.absent,
            late_entry: timing == Timing::Late,
            entered_by: author.account_id,
            entered_at: now,
        };
        let event = writes.event(lesson.id, form.pupil, author.actor, change);
        writes.absences.push((absence, event));
    }
    let mut column_id = column.as_ref().map(|c| c.id);
    if let Some((work_type_id, timing, correcting)) = mark {
        late |= timing == Timing::Late;
        let column_id_now = match column_id {
            Some(id) => id,
            None => repo::insert_column(conn, school, lesson.id, work_type_id).await?,
        };
        column_id = Some(column_id_now);
        let action = match (now_cell.mark, typed.mark) {
            (None, _) => "mark.given",
            (Some(_), None) => "mark.removed",
            (Some(_), Some(_)) => "mark.corrected",
        };
        let mut change = Change::new(action, "mark", 0)
            .before(json!({"pupil_id": form.pupil, "lesson_id": lesson.id, "value": now_cell.mark.map(MarkValue::show)}))
            .after(json!({"pupil_id": form.pupil, "lesson_id": lesson.id, "value": typed.mark.map(MarkValue::show), "work_type_id": work_type_id, "late_entry": timing == Timing::Late, "from_paper": timing == Timing::FromPaper}))
            .group(lesson.group_id);
        if correcting || revert.is_some() {
            change = change.reason(reason);
        } else if timing == Timing::FromPaper {
            change = change.reason(outage::PAPER_REASON);
        }
        let mark = MarkWrite {
            group_id: lesson.group_id,
            pupil_id: form.pupil,
            column_id: column_id_now,
            work_type_id,
            value: typed.mark.map(MarkValue::as_str),
            given_on: lesson.lesson_date,
            late_entry: timing == Timing::Late,
            entered_by: author.account_id,
            entered_at: now,
        };
        let event = writes.event(lesson.id, form.pupil, author.actor, change);
        writes.marks.push((mark, event));
    }
    if lesson.status == "scheduled" && !writes.held.contains(&lesson.id) {
        writes.held.push(lesson.id);
    }
    Ok(CellSaved {
        cell: typed,
        column_id,
        late,
        changed: true,
    })
}

/// The lesson page's form: topic, homework, comment, and a whole column of cells.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LessonForm {
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub homework: String,
    /// «Не задано» (J7).
    #[serde(default)]
    pub homework_none: Option<String>,
    #[serde(default)]
    pub homework_minutes: String,
    #[serde(default)]
    pub teacher_comment: String,
    /// What the page showed (lost-update check): topic and homework as they were.
    #[serde(default)]
    pub was_topic: Option<String>,
    #[serde(default)]
    pub was_homework: Option<String>,
}

/// The longest homework, in characters (the database keeps at most 2000).
pub const HOMEWORK: usize = 2000;
/// The longest teacher's comment on a lesson, a correction decision's note, a remark's fix note
/// (the database keeps at most 1000).
pub const COMMENT: usize = 1000;

/// Saves what the teacher writes about a lesson (J1, J7, J8).
pub async fn save_lesson(
    pool: &PgPool,
    author: &Author<'_>,
    lesson_id: i64,
    form: &LessonForm,
) -> AppResult<()> {
    let mut tx = pool.begin().await?;
    save_lesson_in(&mut tx, author, lesson_id, form, None).await?;
    tx.commit().await?;
    Ok(())
}

/// Puts a lesson's record (topic, homework, comment) back as it was before a change made with
/// compromised credentials (000 §21, 004 §5.4), in the caller's transaction: the same write as
/// the teacher's, by the director or a deputy, with no capacity or time window; `form.was_*` is
/// what the record must still show, and `reason` is recorded on the audit event.
pub async fn revert_lesson(
    conn: &mut PgConnection,
    author: &Author<'_>,
    lesson_id: i64,
    form: &LessonForm,
    reason: &str,
) -> AppResult<()> {
    if !author.access.can_read_every_journal() {
        return Err(AppError::Forbidden);
    }
    save_lesson_in(conn, author, lesson_id, form, Some(reason)).await
}

/// `revert`: the reason of a revert (see `revert_lesson`); `None` for a teacher's write.
async fn save_lesson_in(
    conn: &mut PgConnection,
    author: &Author<'_>,
    lesson_id: i64,
    form: &LessonForm,
    revert: Option<&str>,
) -> AppResult<()> {
    let school = author.access.school_id;
    let lesson = lesson(&mut *conn, author, lesson_id, For::Write).await?;
    let mut errors = FieldErrors::new();
    let topic = form.topic.trim();
    let homework = form.homework.trim();
    let none = form.homework_none.is_some();
    input::line(&mut errors, "topic", topic, limits::LINE);
    if none && !homework.is_empty() {
        errors.add(
            "homework",
            "Либо задание, либо «Не задано»: уберите одно из двух.",
        );
    } else {
        input::text(&mut errors, "homework", homework, HOMEWORK);
    }
    let minutes = match form.homework_minutes.trim() {
        "" => None,
        m => match m.parse::<i16>() {
            Ok(n) if (1..=600).contains(&n) => Some(n),
            _ => {
                errors.add(
                    "homework_minutes",
                    "Время на задание — число минут от 1 до 600.",
                );
                None
            }
        },
    };
    input::text(
        &mut errors,
        "teacher_comment",
        form.teacher_comment.trim(),
        COMMENT,
    );
    errors.into_result()?;
    let shown_homework = lesson.homework.clone().unwrap_or_else(|| {
        if lesson.homework_none {
            "Не задано".into()
        } else {
            String::new()
        }
    });
    if form
        .was_topic
        .as_deref()
        .is_some_and(|w| w.trim() != lesson.topic.as_deref().unwrap_or(""))
        || form
            .was_homework
            .as_deref()
            .is_some_and(|w| w.trim() != shown_homework)
    {
        return Err(AppError::Refused(
            "Запись об уроке уже изменили, пока вы её редактировали: страница показывает текущую; введите изменения ещё раз.".into(),
        ));
    }
    let empty_to_none = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let new_topic = empty_to_none(topic);
    let new_homework = empty_to_none(homework);
    let new_comment = empty_to_none(form.teacher_comment.trim());
    let topic_changed = new_topic != lesson.topic || new_comment != lesson.teacher_comment;
    let homework_changed = new_homework != lesson.homework
        || none != lesson.homework_none
        || minutes != lesson.homework_minutes;
    if !topic_changed && !homework_changed {
        return Ok(());
    }
    let mut late = false;
    let mut from_paper = false;
    if topic_changed && revert.is_none() {
        let timing = check(author, &lesson, Entry::Topic)?;
        late |= timing == Timing::Late;
        from_paper |= timing == Timing::FromPaper;
    }
    // J7 + J1: after the window homework (and «Не задано») is late, not refused.
    let homework_late = if homework_changed {
        let timing = match revert {
            Some(_) => Timing::OnTime,
            None => check(author, &lesson, Entry::Homework)?,
        };
        from_paper |= timing == Timing::FromPaper;
        Some(timing == Timing::Late && (new_homework.is_some() || none))
    } else {
        None
    };
    repo::update_lesson_record(
        &mut *conn,
        school,
        lesson.id,
        &repo::LessonRecord {
            topic: new_topic.as_deref(),
            homework: new_homework.as_deref(),
            homework_none: none,
            homework_minutes: minutes,
            teacher_comment: new_comment.as_deref(),
            late_entry: late,
            homework_late,
        },
    )
    .await?;
    let mut change = Change::new("lesson.recorded", "lesson", lesson.id)
        .before(json!({"topic": lesson.topic, "homework": lesson.homework, "homework_none": lesson.homework_none, "homework_minutes": lesson.homework_minutes, "comment": lesson.teacher_comment}))
        .after(json!({"topic": new_topic, "homework": new_homework, "homework_none": none, "homework_minutes": minutes, "comment": new_comment, "late_entry": late, "homework_late": homework_late.unwrap_or(lesson.homework_late), "from_paper": from_paper}));
    if let Some(why) = revert {
        change = change.reason(why);
    } else if from_paper {
        change = change.reason(outage::PAPER_REASON);
    }
    audit::record(&mut *conn, school, author.actor, change).await?;
    // J1/J3: «held» is a fact of the date. A topic saved on the lesson's day or later means
    // the lesson was given; one planned ahead (with homework, a comment, columns) does not, so
    // the deputy may still move or cancel the lesson, and a timetable change carries the plan.
    let today = crate::clock::local_today(author.clock, &lesson.time_zone);
    if new_topic.is_some() && lesson.lesson_date <= today {
        repo::mark_held(&mut *conn, school, &lesson).await?;
    }
    Ok(())
}

/// Adds a mark column with a work type to a lesson (J5).
pub async fn add_column(
    pool: &PgPool,
    author: &Author<'_>,
    lesson_id: i64,
    work_type_id: i64,
) -> AppResult<i64> {
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let lesson = lesson(&mut tx, author, lesson_id, For::Write).await?;
    let _days = repo::work_type_checking_days(&mut tx, school, work_type_id)
        .await?
        .ok_or_else(|| AppError::invalid("work_type", "Выберите вид работы из списка."))?;
    check(author, &lesson, Entry::Topic)?;
    let columns = repo::lesson_columns(&mut tx, school, lesson.id).await?;
    if columns.len() >= 5 {
        return Err(AppError::Refused(
            "У урока уже 5 столбцов отметок — больше не нужно.".into(),
        ));
    }
    // The implicit first column becomes real before the new one.
    if columns.is_empty() {
        let first = repo::default_work_type(&mut tx, school).await?;
        repo::insert_column(&mut tx, school, lesson.id, first).await?;
    }
    let id = repo::insert_column(&mut tx, school, lesson.id, work_type_id).await?;
    audit::record(
        &mut tx,
        school,
        author.actor,
        Change::new("mark_column.added", "lesson", lesson.id)
            .after(json!({"column_id": id, "work_type_id": work_type_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes the work type of a lesson's mark column (J5); its marks follow.
pub async fn set_column_work_type(
    pool: &PgPool,
    author: &Author<'_>,
    lesson_id: i64,
    column_id: Option<i64>,
    work_type_id: i64,
) -> AppResult<()> {
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let lesson = lesson(&mut tx, author, lesson_id, For::Write).await?;
    let days = repo::work_type_checking_days(&mut tx, school, work_type_id)
        .await?
        .ok_or_else(|| AppError::invalid("work_type", "Выберите вид работы из списка."))?;
    check(
        author,
        &lesson,
        Entry::Mark {
            checking_days: i64::from(days),
        },
    )?;
    let columns = repo::lesson_columns(&mut tx, school, lesson.id).await?;
    let (column_id, before) = match column_id {
        Some(id) => {
            let c = columns
                .iter()
                .find(|c| c.id == id)
                .ok_or(AppError::NotFound)?;
            (c.id, Some(c.work_type_id))
        }
        None => match columns.first() {
            Some(c) => (c.id, Some(c.work_type_id)),
            None => (
                repo::insert_column(&mut tx, school, lesson.id, work_type_id).await?,
                None,
            ),
        },
    };
    repo::set_column_work_type(&mut tx, school, column_id, work_type_id).await?;
    audit::record(
        &mut tx,
        school,
        author.actor,
        Change::new("mark_column.changed", "lesson", lesson.id)
            .before(json!({"column_id": column_id, "work_type_id": before}))
            .after(json!({"column_id": column_id, "work_type_id": work_type_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The most cells one form of the lesson page writes: its pupils by its mark columns (a class of
/// 40 with 25 columns); a longer form is refused whole.
pub const CELLS: usize = 1000;

/// Several cells of one lesson at once (the lesson page's column, «Н» for all absent): all or
/// nothing; the errors come back per pupil. A journal the author may not read (403), another
/// lesson's column or a pupil not in the group (404) refuse the whole request. The lesson is read
/// once, the cells in one statement, and written in one more (`write_read_cells`).
pub async fn write_cells(
    pool: &PgPool,
    author: &Author<'_>,
    lesson_id: i64,
    cells: &[CellForm],
) -> AppResult<Result<usize, Vec<(i64, String)>>> {
    if cells.len() > CELLS {
        return Err(AppError::Refused(format!(
            "Слишком много клеток в одной форме: не больше {CELLS}."
        )));
    }
    if cells.iter().any(|c| c.lesson != lesson_id) {
        return Err(AppError::NotFound);
    }
    let mut tx = pool.begin().await?;
    let lesson = match lesson(&mut tx, author, lesson_id, For::Cells).await {
        Ok(lesson) => lesson,
        // A cancelled or moved lesson: the refusal next to every cell, what was typed kept.
        Err(AppError::Refused(why)) if !cells.is_empty() => {
            return Ok(Err(cells.iter().map(|c| (c.pupil, why.clone())).collect()));
        }
        Err(e) => return Err(e),
    };
    let mut writes = Writes::default();
    let saves: Vec<_> = cells.iter().map(|c| (author, c, &lesson)).collect();
    let mut problems = Vec::new();
    let mut changed = 0;
    for (cell, written) in cells
        .iter()
        .zip(write_read_cells(&mut tx, &saves, &mut writes).await?)
    {
        match written {
            Ok(saved) => changed += usize::from(saved.changed),
            Err(e @ (AppError::Refused(_) | AppError::Invalid(_))) => {
                problems.push((cell.pupil, message_of(e)));
            }
            Err(e) => return Err(e),
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    writes.record(&mut tx, author.access.school_id).await?;
    tx.commit().await?;
    Ok(Ok(changed))
}

/// Cells whose lessons are read (`cells_lesson`, `lesson`: the permission answered), each judged
/// by every rule and its writes put in `writes`, in order, as if alone after the ones before it
/// (`write_read_cell`): their stored cells are read in one statement (`repo::cells_at`); a cell
/// that one before wrote, or in a lesson whose first mark column one before made, is read again
/// at its turn, after the writes waiting when one is that cell's. A cell's refusal is its
/// answer; the database's error is the call's.
pub(super) async fn write_read_cells<'f>(
    conn: &mut PgConnection,
    saves: &[(&Author<'f>, &'f CellForm, &LessonCtx)],
    writes: &mut Writes<'f>,
) -> AppResult<Vec<AppResult<CellSaved>>> {
    let Some((first, _, _)) = saves.first() else {
        return Ok(Vec::new());
    };
    let school = first.access.school_id;
    let keys: Vec<repo::CellKey> = saves
        .iter()
        .map(|(_, form, lesson)| repo::CellKey {
            lesson,
            column_id: form.column,
            pupil_id: form.pupil,
        })
        .collect();
    let cells = repo::cells_at(conn, school, &keys).await?;
    if cells.len() != saves.len() {
        return Err(AppError::Internal(anyhow::anyhow!(
            "cells came back fewer than asked"
        )));
    }
    let mut results = Vec::with_capacity(saves.len());
    // What the ones before wrote: a cell read before them is read again.
    let mut written: HashSet<(i64, i64)> = HashSet::new();
    let mut new_columns: HashSet<i64> = HashSet::new();
    for (&(author, form, lesson), mut at) in saves.iter().zip(cells) {
        let (l, pupil) = (lesson.id, form.pupil);
        if written.contains(&(l, pupil)) || new_columns.contains(&l) {
            if writes.pending(l, pupil) {
                writes.flush(conn, school).await?;
            }
            at = repo::cell_at(conn, school, lesson, form.column, pupil).await?;
        }
        let had_column = at.column.is_some();
        match write_read_cell(conn, author, form, None, lesson, at, writes).await {
            Err(e @ (AppError::Database(_) | AppError::Internal(_))) => return Err(e),
            Ok(saved) => {
                if saved.changed {
                    written.insert((l, pupil));
                    if !had_column && saved.column_id.is_some() {
                        new_columns.insert(l);
                    }
                }
                results.push(Ok(saved));
            }
            refused => results.push(refused),
        }
    }
    Ok(results)
}

/// A user-facing message of a write's error.
pub fn message_of(e: AppError) -> String {
    match e {
        AppError::Refused(m) => m,
        AppError::Invalid(errors) => errors.0.into_values().collect::<Vec<_>>().join(" "),
        AppError::NotFound => "Не найдено.".into(),
        AppError::Forbidden => "Нет доступа.".into(),
        other => {
            tracing::error!(error = %other, "journal write failed");
            "Не удалось сохранить: внутренняя ошибка.".into()
        }
    }
}

/// The class teacher sets the reason of an absence (J9).
pub async fn set_absence_reason(
    pool: &PgPool,
    author: &Author<'_>,
    lesson_id: i64,
    pupil_id: i64,
    reason: &str,
) -> AppResult<()> {
    let reason = parse_reason(reason)?;
    let mut tx = pool.begin().await?;
    // Who may set it before whether the pupil was absent is looked at.
    let (lesson, _) = readable_lesson(&mut tx, author, lesson_id, For::Write).await?;
    // The pupil's cell is read with whether they are the group's (404 otherwise); what it holds
    // is looked at only once the rules allow the entry.
    let (_, current) = cell_at(&mut tx, author, &lesson, None, pupil_id).await?;
    check(author, &lesson, Entry::AbsenceReason)?;
    let (Some(absence_id), true) = (current.absence_id, current.absent) else {
        return Err(AppError::Refused(
            "Причину указывают только для отмеченного пропуска «н».".into(),
        ));
    };
    write_reason(
        &mut tx,
        author,
        absence_id,
        lesson.id,
        pupil_id,
        current.reason.as_deref(),
        reason,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// «УП», «НП», «Б» as a form sends them (`excused`, …); empty takes the reason away.
fn parse_reason(reason: &str) -> AppResult<Option<AbsenceReason>> {
    match reason {
        "" => Ok(None),
        r => AbsenceReason::parse(r)
            .map(Some)
            .ok_or_else(|| AppError::invalid("reason", "Выберите причину: УП, НП или Б.")),
    }
}

/// Writes an absence's reason and its audit event (the caller's transaction).
async fn write_reason(
    conn: &mut PgConnection,
    author: &Author<'_>,
    absence_id: i64,
    lesson_id: i64,
    pupil_id: i64,
    before: Option<&str>,
    reason: Option<AbsenceReason>,
) -> AppResult<()> {
    let school = author.access.school_id;
    let after = reason.map(AbsenceReason::as_str);
    repo::set_absence_reason(conn, school, absence_id, after).await?;
    audit::record(
        conn,
        school,
        author.actor,
        Change::new("absence.reason_set", "absence", absence_id)
            .before(json!({"pupil_id": pupil_id, "lesson_id": lesson_id, "reason": before}))
            .after(json!({"pupil_id": pupil_id, "lesson_id": lesson_id, "reason": after})),
    )
    .await?;
    Ok(())
}

/// The reason for a pupil's absences of whole days, as typed on the class teacher's absences
/// page: one day (`to` empty) or the days `from`..=`to`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DaysReasonForm {
    #[serde(default)]
    pub pupil: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub reason: String,
}

/// The most days one reason is set for at once (a month of illness).
pub const MAX_REASON_DAYS: i64 = 31;

/// What a reason for whole days did.
#[derive(Debug)]
pub struct DaysReasonDone {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub reason: AbsenceReason,
    /// Absences whose reason was changed (each audited).
    pub changed: usize,
    /// Absences that had this reason already.
    pub unchanged: usize,
    /// Absences the rules kept as they were, each with why («12.10, 3 урок, Физика: …»).
    pub refused: Vec<String>,
}

/// J9: the class teacher sets one reason for every absence («н») of a pupil of their class on
/// a day or over a range of days, at once, in one transaction: each absence passes the same
/// rule as one set on its own (`check`: the class teacher's capacity at the lesson, the closed
/// year) and each change is audited. Only absences that were marked are changed — lessons the
/// pupil attended or that nobody marked stay as they are (an absence is the teacher's entry on
/// the day, J9; the class teacher gives its reason). Another class's pupil is 404.
pub async fn set_absence_reason_for_days(
    pool: &PgPool,
    author: &Author<'_>,
    form: &DaysReasonForm,
) -> AppResult<DaysReasonDone> {
    // Only a class teacher sets reasons for days, and only for their own class: decided before
    // the form is looked at.
    let (Role::ClassTeacher, Some(class_id)) = (author.access.role, author.access.class_id) else {
        return Err(AppError::Forbidden);
    };
    let school = author.access.school_id;
    let mut errors = FieldErrors::new();
    let pupil_id = form.pupil.trim().parse::<i64>().ok();
    if pupil_id.is_none() {
        errors.add("pupil", "Выберите обучающегося.");
    }
    let from = crate::school_year::calendar::parse_date(&form.from);
    if from.is_none() {
        errors.add("from", "Укажите день пропуска, например 12.10.2026.");
    }
    let to = if form.to.trim().is_empty() {
        from
    } else {
        let to = crate::school_year::calendar::parse_date(&form.to);
        if to.is_none() {
            errors.add(
                "to",
                "Укажите последний день, например 16.10.2026, или оставьте поле пустым для одного дня.",
            );
        }
        to
    };
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            errors.add("to", "Последний день не может быть раньше первого.");
        } else if (t - f).num_days() >= MAX_REASON_DAYS {
            errors.add(
                "to",
                format!("Укажите не больше {MAX_REASON_DAYS} дней за раз."),
            );
        }
    }
    // A reason is named: taking reasons away stays one absence at a time.
    let reason = AbsenceReason::parse(form.reason.trim());
    if reason.is_none() {
        errors.add("reason", "Выберите причину: УП, НП или Б.");
    }
    let (Some(pupil_id), Some(from), Some(to), Some(reason)) = (pupil_id, from, to, reason) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let mut tx = pool.begin().await?;
    if !repo::ever_in_class(&mut tx, school, class_id, pupil_id).await? {
        return Err(AppError::NotFound);
    }
    let absences = repo::pupil_absences(&mut tx, school, class_id, pupil_id, from, to).await?;
    let after = Some(reason.as_str());
    let mut done = DaysReasonDone {
        from,
        to,
        reason,
        changed: 0,
        unchanged: 0,
        refused: Vec::new(),
    };
    for a in absences {
        let place = format!(
            "{}, {} урок, {}",
            a.lesson_date.format("%d.%m"),
            a.lesson_number,
            a.subject
        );
        let (lesson, _) = match readable_lesson(&mut tx, author, a.lesson_id, For::Write).await {
            Ok(lesson) => lesson,
            Err(AppError::Forbidden) => {
                done.refused.push(format!(
                    "{place}: причину указывает классный руководитель класса этой группы."
                ));
                continue;
            }
            Err(e) => return Err(e),
        };
        match check(author, &lesson, Entry::AbsenceReason) {
            Ok(_) => {}
            Err(AppError::Refused(why)) => {
                done.refused.push(format!("{place}: {why}"));
                continue;
            }
            Err(e) => return Err(e),
        }
        // Read again under the lesson's lock (the order of every journal write: lesson first),
        // so that what the audit event says was before is what was.
        let current = repo::cell_at(&mut tx, school, &lesson, None, pupil_id)
            .await?
            .cell;
        let (Some(absence_id), true) = (current.absence_id, current.absent) else {
            continue;
        };
        if current.reason.as_deref() == after {
            done.unchanged += 1;
            continue;
        }
        write_reason(
            &mut tx,
            author,
            absence_id,
            lesson.id,
            pupil_id,
            current.reason.as_deref(),
            Some(reason),
        )
        .await?;
        done.changed += 1;
    }
    tx.commit().await?;
    Ok(done)
}

/// A mark brought from another institution (hospital school, sanatorium) with the document it
/// came with (J16).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExternalMarkForm {
    #[serde(default)]
    pub pupil: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub work_type: String,
    #[serde(default)]
    pub given_on: String,
    #[serde(default)]
    pub document: String,
}

/// The longest reference to a document of another institution (the database keeps at most 300).
pub const DOCUMENT: usize = 300;

/// Enters a mark from another institution into a group's journal (J16): by the group's
/// teacher, dated inside the year, with the document's reference.
pub async fn add_external_mark(
    pool: &PgPool,
    author: &Author<'_>,
    group_id: i64,
    form: &ExternalMarkForm,
) -> AppResult<i64> {
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let head = super::grid::head(&mut tx, school, group_id, None).await?;
    may_read(
        &mut tx,
        author.access,
        author.account_id,
        group_id,
        head.class_id,
        None,
    )
    .await?;
    let mut errors = FieldErrors::new();
    let pupil = form.pupil.parse::<i64>().ok();
    if pupil.is_none() {
        errors.add("pupil", "Выберите обучающегося.");
    }
    let work_type = form.work_type.parse::<i64>().ok();
    if work_type.is_none() {
        errors.add("work_type", "Выберите вид работы.");
    }
    let given_on = crate::school_year::calendar::parse_date(&form.given_on);
    if given_on.is_none() {
        errors.add("given_on", "Укажите дату в виде ДД.ММ.ГГГГ.");
    }
    let document = form.document.trim();
    if document.chars().count() < 3 {
        errors.add(
            "document",
            "Укажите документ: «справка № … от …» организации, где получена отметка.",
        );
    } else {
        input::line(&mut errors, "document", document, DOCUMENT);
    }
    errors.into_result()?;
    let (Some(pupil), Some(work_type), Some(given_on)) = (pupil, work_type, given_on) else {
        return Err(AppError::Internal(anyhow::anyhow!("checked above")));
    };
    if head.year_closed {
        return Err(AppError::Refused("Учебный год закрыт.".into()));
    }
    if !(matches!(author.access.role, Role::Teacher | Role::ClassTeacher)
        && repo::teaches(&mut tx, school, group_id, author.account_id).await?)
    {
        return Err(AppError::Refused(
            "Отметки из других организаций вносит учитель группы.".into(),
        ));
    }
    let value = Cell::parse(&form.value, head.scale())
        .map_err(|m| AppError::invalid("value", m))?
        .mark
        .ok_or_else(|| AppError::invalid("value", "Введите отметку."))?;
    if repo::work_type_checking_days(&mut tx, school, work_type)
        .await?
        .is_none()
    {
        return Err(AppError::invalid("work_type", "Выберите вид работы."));
    }
    let today = crate::clock::local_today(author.clock, &head.time_zone);
    if given_on > today {
        return Err(AppError::invalid(
            "given_on",
            "Укажите дату не позже сегодняшней.",
        ));
    }
    if !repo::member_on(&mut tx, school, group_id, pupil, given_on).await?
        && !repo::member_on(&mut tx, school, group_id, pupil, today).await?
    {
        return Err(AppError::invalid(
            "pupil",
            "Обучающийся не числится в группе.",
        ));
    }
    let id = sqlx::query_scalar!(
        "INSERT INTO mark (school_id, group_id, pupil_id, column_id, work_type_id, value, given_on,
                           document, entered_by, entered_at)
         VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9) RETURNING id",
        school.0,
        group_id,
        pupil,
        work_type,
        value.as_str(),
        given_on,
        document,
        author.account_id,
        author.now()
    )
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        school,
        author.actor,
        Change::new("mark.external", "mark", id)
            .after(json!({"pupil_id": pupil, "group_id": group_id, "value": value.show(), "given_on": given_on, "document": document})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
