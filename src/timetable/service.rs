//! Writes to the timetable: conflicts refused with a clear message; lessons regenerated from the
//! change's date on, never before today and never for lessons already held.

use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::WEEKDAYS;
use super::repo::{self, NewSlot, Resource, When};
use crate::audit::{self, Actor, Change};
use crate::authz::Access;
use crate::curriculum::repo as curriculum;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::pupils::repo as pupils;
use crate::school_year::calendar::{open_year_of_class, parse_date};
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

/// Regenerates the class's lessons from `from` (but not before tomorrow: today's and past
/// lessons stay as they are).
async fn regenerate(
    conn: &mut PgConnection,
    school: SchoolId,
    class_id: i64,
    from: NaiveDate,
    today: NaiveDate,
) -> AppResult<(u64, u64)> {
    let from = from.max(today + Duration::days(1));
    let removed = repo::delete_unheld_lessons(conn, school, class_id, from).await?;
    let created = repo::generate_lessons(conn, school, class_id, from).await?;
    Ok((removed, created))
}

/// Adds a weekly lesson of one of the class's groups, from a date; refuses a teacher, room or
/// pupil who would be in two places at once.
pub async fn add_slot(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    today: NaiveDate,
    class_id: i64,
    form: &SlotForm,
) -> AppResult<()> {
    require(access.can_edit_timetable())?;
    let mut tx = pool.begin().await?;
    let class = pupils::class(&mut tx, access.school_id, class_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let year = open_year_of_class(&mut tx, access.school_id, class_id).await?;
    let year_id = year.id;
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
        errors.add("t_number", "Номер урока: от 0 до 12.");
    }
    let room: Option<i64> = form.room.trim().parse().ok();
    let from = match form.from.trim() {
        "" => Some(year.starts_on),
        f => parse_date(f).filter(|d| *d >= year.starts_on && *d <= year.ends_on),
    };
    if from.is_none() {
        errors.add("t_from", "Дата начала — внутри учебного года.");
    }
    errors.into_result()?;
    let group = group.expect("checked");
    let teachers = curriculum::group_assignments(&mut tx, access.school_id, group.id).await?;
    let Some(teacher) = teachers.first() else {
        return Err(AppError::invalid(
            "t_group",
            "Сначала назначьте учителя этой группы в учебном плане.",
        ));
    };
    let when = When {
        weekday: weekday.expect("checked"),
        lesson_number: number.expect("checked"),
        shift: class.shift,
        from: from.expect("checked"),
        to: None,
    };
    let day = WEEKDAYS[(when.weekday - 1) as usize].to_lowercase();
    let at = format!("{day}, {} урок", when.lesson_number);
    if let Some(other) = repo::busy(
        &mut tx,
        access.school_id,
        Resource::Teacher(teacher.teacher_id),
        when,
    )
    .await?
    {
        return Err(AppError::invalid(
            "t_group",
            format!(
                "Учитель {} уже ведёт урок в это время ({at}): {other}.",
                teacher.teacher
            ),
        ));
    }
    if let Some(room) = room
        && let Some(other) =
            repo::busy(&mut tx, access.school_id, Resource::Room(room), when).await?
    {
        return Err(AppError::invalid(
            "t_room",
            format!("Кабинет занят в это время ({at}): {other}."),
        ));
    }
    if let Some(other) = repo::pupils_busy(&mut tx, access.school_id, group.id, when).await? {
        return Err(AppError::invalid(
            "t_group",
            format!("У обучающихся этой группы в это время ({at}) уже есть урок: {other}."),
        ));
    }
    let slot = NewSlot {
        year_id,
        group_id: group.id,
        grade: class.grade,
        teacher_id: teacher.teacher_id,
        room_id: room,
        when,
    };
    let id = repo::insert_slot(&mut tx, access.school_id, &slot).await?;
    let (removed, created) =
        regenerate(&mut tx, access.school_id, class_id, when.from, today).await?;
    let change = Change::new("timetable_slot.created", "timetable_slot", id).after(json!({
        "group_id": group.id, "weekday": when.weekday, "lesson_number": when.lesson_number,
        "teacher_id": teacher.teacher_id, "room_id": room, "valid_from": when.from,
        "lessons_removed": removed, "lessons_created": created,
    }));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EndForm {
    #[serde(default)]
    pub from: String,
}

/// Takes a weekly lesson out of the timetable from a date: future unheld lessons go, held ones
/// stay.
pub async fn end_slot(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    today: NaiveDate,
    slot_id: i64,
    form: &EndForm,
) -> AppResult<()> {
    require(access.can_edit_timetable())?;
    let mut tx = pool.begin().await?;
    let (class_id, _) = repo::slot_class(&mut tx, access.school_id, slot_id)
        .await?
        .ok_or(AppError::NotFound)?;
    open_year_of_class(&mut tx, access.school_id, class_id).await?;
    let Some(from) = parse_date(&form.from) else {
        return Err(AppError::invalid(
            "t_end",
            "Укажите дату, с которой урок убирается из расписания.",
        ));
    };
    repo::end_slot(&mut tx, access.school_id, slot_id, from).await?;
    let (removed, created) = regenerate(&mut tx, access.school_id, class_id, from, today).await?;
    let change = Change::new("timetable_slot.ended", "timetable_slot", slot_id)
        .after(json!({"from": from, "lessons_removed": removed, "lessons_created": created}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

/// Regenerates a class's future lessons (after the calendar changed, say).
pub async fn regenerate_class(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    today: NaiveDate,
    class_id: i64,
) -> AppResult<u64> {
    require(access.can_edit_timetable())?;
    let mut tx = pool.begin().await?;
    open_year_of_class(&mut tx, access.school_id, class_id).await?;
    let (removed, created) = regenerate(&mut tx, access.school_id, class_id, today, today).await?;
    let change = Change::new("lessons.regenerated", "class", class_id)
        .after(json!({"from": today + Duration::days(1), "removed": removed, "created": created}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(created)
}
