//! Writes to the timetable of a class or of a group without a class (stream, elective,
//! individual plan): conflicts refused with a clear message; lessons regenerated from the
//! change's date on, never before today and never for lessons already held.

use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::repo::{self, NewSlot, Resource, Scope, When};
use super::{WEEKDAYS, carry};
use crate::audit::{self, Actor, Change};
use crate::authz::Access;
use crate::curriculum::repo::{self as curriculum, GroupRow};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::pupils::repo as pupils;
use crate::school_year::calendar::{open_year, open_year_of_class, parse_date};
use crate::school_year::repo::YearRow;
use crate::tenancy::SchoolId;

fn require(allowed: bool) -> AppResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SlotForm {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub weekday: String,
    #[serde(default)]
    pub lesson_number: String,
    #[serde(default)]
    pub room: String,
    #[serde(default)]
    pub from: String,
}

/// What a regeneration did: the counts for the audit event, and what the deputy is told.
#[derive(Debug, Default)]
pub struct Regenerated {
    pub removed: u64,
    pub created: u64,
    /// Kept lessons given the new line's slot, teacher or room.
    pub updated: u64,
    /// Lessons carried to another place with what was written at them.
    pub carried: Vec<i64>,
    /// Lessons the timetable no longer produces, kept where they are.
    pub left: Vec<i64>,
    /// One Russian sentence per carried or left lesson.
    pub notice: Vec<String>,
    /// The group's earlier lines at the same time that a new line replaced from its date.
    pub replaced: Vec<i64>,
}

impl Regenerated {
    /// `done`, followed by what moved and what stayed, one sentence a line.
    pub fn message(&self, done: &str) -> String {
        let replaced = (!self.replaced.is_empty()).then(|| {
            "Прежний урок группы в это время убран из расписания с той же даты; \
             будущие уроки остались на месте с новым учителем и кабинетом."
                .to_string()
        });
        std::iter::once(done.to_string())
            .chain(replaced)
            .chain(self.notice.iter().cloned())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// `event` with the counts added (`lessons_removed`, `lessons_created`, …).
    fn audit(&self, mut event: serde_json::Value) -> serde_json::Value {
        if let Some(map) = event.as_object_mut() {
            map.insert("lessons_removed".into(), json!(self.removed));
            map.insert("lessons_created".into(), json!(self.created));
            map.insert("lessons_updated".into(), json!(self.updated));
            map.insert("lessons_carried_over".into(), json!(self.carried));
            map.insert("lessons_left_in_place".into(), json!(self.left));
        }
        event
    }
}

/// Regenerates the lessons of `scope` from `from` (but not before tomorrow: today's and past
/// lessons stay as they are), so that nothing anyone wrote is lost:
/// - a lesson the timetable still produces is kept (same row) and follows the line's slot,
///   teacher and room;
/// - one it no longer produces that carries nothing is deleted;
/// - one that carries planned records (topic, homework, «Не задано», comment, mark columns) is
///   carried to a free lesson of its group (`carry::assign`), audited as `lesson.carried_over`;
/// - one with a substitution, an absence, a mark or an unlock, or with nowhere to go, stays.
///
/// Seven statements whatever the number of lessons (the first locks them), plus one audit event
/// per carried lesson.
async fn regenerate(
    conn: &mut PgConnection,
    school: SchoolId,
    actor: &Actor,
    scope: Scope,
    from: NaiveDate,
    today: NaiveDate,
) -> AppResult<Regenerated> {
    let from = from.max(today + Duration::days(1));
    repo::lock_lessons(conn, school, scope, from).await?;
    let mut done = Regenerated {
        updated: repo::update_kept_lessons(conn, school, scope, from).await?,
        removed: repo::delete_blank_orphans(conn, school, scope, from).await?,
        created: repo::generate_lessons(conn, school, scope, from).await?,
        ..Regenerated::default()
    };
    let orphans = repo::orphans(conn, school, scope, from).await?;
    if orphans.is_empty() {
        return Ok(done);
    }
    let movable: Vec<&repo::OrphanRow> = orphans.iter().filter(|o| !o.fixed).collect();
    let mut groups: Vec<i64> = movable.iter().map(|o| o.group_id).collect();
    groups.dedup();
    let free = if groups.is_empty() {
        Vec::new()
    } else {
        repo::free_lessons(conn, school, &groups, from).await?
    };
    let place = |id, group_id, date, number| carry::Place {
        id,
        group_id,
        date,
        number,
    };
    let targets = carry::assign(
        &movable
            .iter()
            .map(|o| place(o.id, o.group_id, o.lesson_date, o.lesson_number))
            .collect::<Vec<_>>(),
        &free
            .iter()
            .map(|f| place(f.id, f.group_id, f.lesson_date, f.lesson_number))
            .collect::<Vec<_>>(),
    );
    let pairs: Vec<(&repo::OrphanRow, &repo::FreeRow)> = movable
        .iter()
        .zip(&targets)
        .filter_map(|(o, t)| t.map(|t| (*o, &free[t])))
        .collect();
    if !pairs.is_empty() {
        let sources: Vec<i64> = pairs.iter().map(|(o, _)| o.id).collect();
        let to: Vec<repo::FreeRow> = pairs.iter().map(|(_, t)| (*t).clone()).collect();
        repo::carry_over(conn, school, &sources, &to).await?;
    }
    for (o, t) in &pairs {
        let records = records_of(o);
        let lesson = carry::lesson_words(&o.group_name, &o.subject, o.lesson_date, o.lesson_number);
        let to = carry::place_words(t.lesson_date, t.lesson_number);
        done.notice
            .push(carry::carried_notice(&records, &lesson, &to));
        done.carried.push(o.id);
        let change = Change::new("lesson.carried_over", "lesson", o.id)
            .before(json!({
                "lesson_id": o.id, "group_id": o.group_id,
                "lesson_date": o.lesson_date, "lesson_number": o.lesson_number,
            }))
            .after(json!({
                "lesson_id": o.id, "group_id": o.group_id,
                "lesson_date": t.lesson_date, "lesson_number": t.lesson_number,
                "slot_id": t.slot_id, "teacher_id": t.teacher_id, "room_id": t.room_id,
                "in_place_of_lesson_id": t.id, "records": records.keys(),
            }));
        audit::record(conn, school, actor, change).await?;
    }
    for o in &orphans {
        if done.carried.contains(&o.id) {
            continue;
        }
        let lesson = carry::lesson_words(&o.group_name, &o.subject, o.lesson_date, o.lesson_number);
        let why = if o.fixed {
            "на нём есть замена, отметки, пропуски или разблокировка".to_string()
        } else {
            format!(
                "в нём есть {}, а свободного урока группы в этот день и позже нет",
                records_of(o).names()
            )
        };
        done.notice.push(format!(
            "Урок {lesson} больше не стоит в расписании, но оставлен на месте: {why}. \
             Перенесите или отмените его на странице уроков."
        ));
        done.left.push(o.id);
    }
    Ok(done)
}

fn records_of(o: &repo::OrphanRow) -> carry::Records {
    carry::Records {
        topic: o.topic,
        homework: o.homework,
        homework_none: o.homework_none,
        comment: o.comment,
        columns: o.columns,
    }
}

/// The day, lesson number, room and start date of a new line, checked against the year;
/// problems go into `errors`.
struct SlotFields {
    weekday: i16,
    number: i16,
    room: Option<i64>,
    from: NaiveDate,
}

fn slot_fields(form: &SlotForm, year: &YearRow, errors: &mut FieldErrors) -> Option<SlotFields> {
    let weekday: Option<i16> = form
        .weekday
        .trim()
        .parse()
        .ok()
        .filter(|d| (1..=year.week_days).contains(d));
    if weekday.is_none() {
        errors.add("t_weekday", "Выберите день недели.");
    }
    let number: Option<i16> = form
        .lesson_number
        .trim()
        .parse()
        .ok()
        .filter(|n| (0..=12).contains(n));
    if number.is_none() {
        errors.add("t_number", "Укажите номер урока от 0 до 12.");
    }
    let room: Option<i64> = form.room.trim().parse().ok();
    let from = match form.from.trim() {
        "" => Some(year.starts_on),
        f => parse_date(f).filter(|d| *d >= year.starts_on && *d <= year.ends_on),
    };
    if from.is_none() {
        errors.add("t_from", "Укажите дату начала внутри учебного года.");
    }
    Some(SlotFields {
        weekday: weekday?,
        number: number?,
        room,
        from: from?,
    })
}

/// Where a new line goes: its group, the grade and shift it follows, and whose lessons to
/// regenerate.
struct Placement<'a> {
    year_id: i64,
    group: &'a GroupRow,
    grade: i16,
    shift: i16,
    scope: Scope,
}

/// Puts a checked line into the timetable: the group's teacher from the load, conflicts refused
/// (teacher, room, pupils), the line written, lessons regenerated, the audit event recorded.
async fn place(
    conn: &mut PgConnection,
    access: &Access,
    actor: &Actor,
    today: NaiveDate,
    at: Placement<'_>,
    fields: SlotFields,
) -> AppResult<Regenerated> {
    let school = access.school_id;
    let group = at.group;
    let teachers = curriculum::group_assignments(conn, school, group.id).await?;
    let Some(teacher) = teachers.first() else {
        return Err(AppError::invalid(
            "t_group",
            "Сначала назначьте учителя этой группы в учебном плане.",
        ));
    };
    let when = When {
        weekday: fields.weekday,
        lesson_number: fields.number,
        shift: at.shift,
        from: fields.from,
        to: None,
    };
    let room = fields.room;
    // A clash names both sides and the slot, so the deputy sees the whole of it.
    let day = WEEKDAYS[(when.weekday - 1) as usize].to_lowercase();
    let bell = repo::bell(conn, school, at.year_id, at.shift, when.lesson_number)
        .await?
        .map(|(from, to)| format!(" ({}–{})", from.format("%H:%M"), to.format("%H:%M")))
        .unwrap_or_default();
    let time = format!("{day}, {}-й урок{bell}", when.lesson_number);
    let mine = format!("{} ({})", group.name, group.subject);
    if let Some(other) = repo::busy(
        conn,
        school,
        Resource::Teacher(teacher.teacher_id),
        group.id,
        when,
    )
    .await?
    {
        return Err(AppError::invalid(
            "t_group",
            format!(
                "Учитель {} уже ведёт урок в это время — {time}: {} ({}); урок {mine} туда не поставить.",
                teacher.teacher, other.group, other.subject
            ),
        ));
    }
    if let Some(room) = room
        && let Some(other) = repo::busy(conn, school, Resource::Room(room), group.id, when).await?
    {
        return Err(AppError::invalid(
            "t_room",
            format!(
                "Кабинет {} занят в это время — {time}: {}; урок {mine} туда не поставить.",
                other.room.as_deref().unwrap_or(""),
                other.describe()
            ),
        ));
    }
    if let Some(other) = repo::pupils_busy(conn, school, group.id, when).await? {
        return Err(AppError::invalid(
            "t_group",
            format!(
                "У обучающихся группы {mine} в это время уже есть урок — {time}: {}.",
                other.describe()
            ),
        ));
    }
    let slot = NewSlot {
        year_id: at.year_id,
        group_id: group.id,
        grade: at.grade,
        teacher_id: teacher.teacher_id,
        room_id: room,
        when,
    };
    // The group's own line at that time is replaced from the new line's date, but never before
    // tomorrow (a new teacher or room): its lessons from then on are kept and follow the new
    // line; past lessons keep their line.
    let replaced = repo::lines_replaced(conn, school, group.id, when).await?;
    let replaced_from = when.from.max(today + Duration::days(1));
    for old in &replaced {
        repo::end_slot(conn, school, *old, replaced_from).await?;
    }
    let id = repo::insert_slot(conn, school, &slot).await?;
    let mut done = regenerate(conn, school, actor, at.scope, when.from, today).await?;
    done.replaced = replaced.clone();
    let change =
        Change::new("timetable_slot.created", "timetable_slot", id).after(done.audit(json!({
            "group_id": group.id, "weekday": when.weekday, "lesson_number": when.lesson_number,
            "teacher_id": teacher.teacher_id, "room_id": room, "valid_from": when.from,
            "grade": at.grade, "shift": at.shift, "replaced_slot_ids": replaced,
        })));
    audit::record(conn, school, actor, change).await?;
    Ok(done)
}

/// Adds a weekly lesson of one of the class's groups, from a date; refuses a teacher, room or
/// pupil who would be in two places at once. The group's own line at that time is replaced from
/// the date (how a deputy gives a line another teacher or room).
pub async fn add_slot(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    today: NaiveDate,
    class_id: i64,
    form: &SlotForm,
) -> AppResult<Regenerated> {
    require(access.can_edit_timetable())?;
    let mut tx = pool.begin().await?;
    let class = pupils::class(&mut tx, access.school_id, class_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let year = open_year_of_class(&mut tx, access.school_id, class_id).await?;
    let mut errors = FieldErrors::new();
    let group = match form.group.trim().parse::<i64>() {
        Ok(id) => curriculum::group(&mut tx, access.school_id, id)
            .await?
            .filter(|g| g.class_id == Some(class_id)),
        Err(_) => None,
    };
    if group.is_none() {
        errors.add("t_group", "Выберите группу класса.");
    }
    let fields = slot_fields(form, &year, &mut errors);
    errors.into_result()?;
    let (group, fields) = (group.expect("checked"), fields.expect("checked"));
    let at = Placement {
        year_id: year.id,
        group: &group,
        grade: class.grade,
        shift: class.shift,
        scope: Scope::Class(class_id),
    };
    let done = place(&mut tx, access, actor, today, at, fields).await?;
    tx.commit().await?;
    Ok(done)
}

/// A group without a class (stream, elective, individual plan) for a timetable change: 404 for
/// another school's group or a class's group (those are placed from the class's timetable), the
/// year open for changes.
async fn classless_group(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
) -> AppResult<(GroupRow, YearRow)> {
    let group = curriculum::group(conn, school, group_id)
        .await?
        .filter(|g| g.class_id.is_none())
        .ok_or(AppError::NotFound)?;
    let year = open_year(conn, school, group.academic_year_id).await?;
    Ok((group, year))
}

/// Adds a weekly lesson of a stream, an elective or an individual plan, from a date. The line
/// follows the calendar and bells of the lowest grade among the group's pupils on that date
/// (and that class's shift); conflicts are refused as for a class.
pub async fn add_group_slot(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    today: NaiveDate,
    group_id: i64,
    form: &SlotForm,
) -> AppResult<Regenerated> {
    require(access.can_edit_timetable())?;
    let mut tx = pool.begin().await?;
    let (group, year) = classless_group(&mut tx, access.school_id, group_id).await?;
    let mut errors = FieldErrors::new();
    let fields = slot_fields(form, &year, &mut errors);
    errors.into_result()?;
    let fields = fields.expect("checked");
    let Some((grade, shift)) =
        repo::group_grade(&mut tx, access.school_id, group.id, fields.from).await?
    else {
        return Err(AppError::invalid(
            "t_group",
            format!(
                "Сначала добавьте обучающихся в группу: на {} в ней никого нет, а по их классам \
                 определяются учебные периоды, каникулы и смена.",
                fields.from.format("%d.%m.%Y")
            ),
        ));
    };
    let at = Placement {
        year_id: year.id,
        group: &group,
        grade,
        shift,
        scope: Scope::Group(group.id),
    };
    let done = place(&mut tx, access, actor, today, at, fields).await?;
    tx.commit().await?;
    Ok(done)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EndForm {
    #[serde(default)]
    pub from: String,
}

/// Takes a weekly lesson of `scope`'s timetable out from a date: the future unheld lessons of
/// `scope` (the class, or the one group) are regenerated, held ones stay. A line of another
/// timetable is not found.
pub async fn end_slot(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    today: NaiveDate,
    scope: Scope,
    slot_id: i64,
    form: &EndForm,
) -> AppResult<Regenerated> {
    require(access.can_edit_timetable())?;
    let mut tx = pool.begin().await?;
    let owner = repo::slot_owner(&mut tx, access.school_id, slot_id)
        .await?
        .filter(|o| o.belongs_to(scope))
        .ok_or(AppError::NotFound)?;
    open_year(&mut tx, access.school_id, owner.year_id).await?;
    let Some(from) = parse_date(&form.from) else {
        return Err(AppError::invalid(
            "t_end",
            "Укажите дату, с которой урок убирается из расписания.",
        ));
    };
    repo::end_slot(&mut tx, access.school_id, slot_id, from).await?;
    let done = regenerate(&mut tx, access.school_id, actor, scope, from, today).await?;
    let change = Change::new("timetable_slot.ended", "timetable_slot", slot_id)
        .after(done.audit(json!({"group_id": owner.group_id, "from": from})));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(done)
}

/// Regenerates the future lessons of a class or of a group without a class (after the calendar
/// changed, say).
pub async fn regenerate_lessons(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    today: NaiveDate,
    scope: Scope,
) -> AppResult<Regenerated> {
    require(access.can_edit_timetable())?;
    let mut tx = pool.begin().await?;
    let (subject, id) = match scope {
        Scope::Class(id) => {
            open_year_of_class(&mut tx, access.school_id, id).await?;
            ("class", id)
        }
        Scope::Group(id) => {
            classless_group(&mut tx, access.school_id, id).await?;
            ("study_group", id)
        }
    };
    let done = regenerate(&mut tx, access.school_id, actor, scope, today, today).await?;
    let change = Change::new("lessons.regenerated", subject, id).after(done.audit(json!({
        "from": today + Duration::days(1), "removed": done.removed, "created": done.created,
    })));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(done)
}
