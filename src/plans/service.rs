//! Writes to КТП and the control-work schedule: permission, checks, write, audit.

use serde::Deserialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::{MAX_TOPICS, lay_out, parse_topic_line, repo, too_many_topics};
use crate::audit::{self, Actor, Change};
use crate::authz::{Access, Role};
use crate::curriculum::repo as curriculum;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::input::{self, limits};
use crate::school_year::calendar::parse_date;

/// Who may write a group's plan: whoever sets up the year, or the group's teacher.
pub async fn may_edit_plan(
    conn: &mut PgConnection,
    access: &Access,
    account_id: i64,
    group_id: i64,
) -> AppResult<bool> {
    if access.can_setup_year() {
        return Ok(true);
    }
    if !matches!(access.role, Role::Teacher | Role::ClassTeacher) {
        return Ok(false);
    }
    let teachers = curriculum::group_assignments(conn, access.school_id, group_id).await?;
    Ok(teachers.iter().any(|t| t.teacher_id == account_id))
}

/// Whether the person may write the group's plan, before anything they send is read: a group
/// of another school (or none) is `NotFound`, a person who may not is `Forbidden`.
pub async fn check_plan_editor(
    pool: &PgPool,
    access: &Access,
    account_id: i64,
    group_id: i64,
) -> AppResult<()> {
    let mut conn = pool.acquire().await?;
    curriculum::group(&mut conn, access.school_id, group_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !may_edit_plan(&mut conn, access, account_id, group_id).await? {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlanForm {
    /// One topic a line: «Натуральные числа; 3».
    #[serde(default)]
    pub topics: String,
}

/// Replaces a group's КТП and lays its topics onto the group's lessons in order.
pub async fn save_plan(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    group_id: i64,
    form: &PlanForm,
) -> AppResult<(usize, u64)> {
    let mut tx = pool.begin().await?;
    let group = curriculum::group(&mut tx, access.school_id, group_id)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::school_year::calendar::open_year(&mut tx, access.school_id, group.academic_year_id)
        .await?;
    if !may_edit_plan(
        &mut tx,
        access,
        actor.account_id.unwrap_or_default(),
        group_id,
    )
    .await?
    {
        return Err(AppError::Forbidden);
    }
    let topics = check_topics(&form.topics)?;
    let before = repo::topics(&mut tx, access.school_id, group_id).await?;
    repo::replace_topics(&mut tx, access.school_id, group_id, &topics).await?;
    let lessons = repo::lessons(&mut tx, access.school_id, group_id).await?;
    let planned: Vec<Option<String>> = lay_out(&topics, lessons.len())
        .into_iter()
        .map(|t| t.map(str::to_string))
        .collect();
    let ids: Vec<i64> = lessons.iter().map(|l| l.0).collect();
    let changed = repo::set_planned_topics(&mut tx, access.school_id, &ids, &planned).await?;
    let hours: i32 = topics.iter().map(|t| i32::from(t.1)).sum();
    let change = Change::new("theme_plan.saved", "study_group", group_id)
        .before(json!({"topics": before.len(), "hours": before.iter().map(|t| i32::from(t.hours)).sum::<i32>()}))
        .after(json!({"topics": topics.len(), "hours": hours, "lessons_planned": changed}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok((topics.len(), changed))
}

/// The topics of a plan as typed, checked: no control characters, at most `MAX_TOPICS`, each
/// title of 1 to `input::limits::LINE` characters, 1–50 hours.
fn check_topics(text: &str) -> AppResult<Vec<(String, i16)>> {
    let mut errors = FieldErrors::new();
    // The whole field: no control characters, and not absurdly long before it is split.
    if !input::text(&mut errors, "topics", text, MAX_TOPICS * (limits::LINE + 8)) {
        return Err(AppError::Invalid(errors));
    }
    let topics: Vec<(String, i16)> = text.lines().filter_map(parse_topic_line).collect();
    if topics.is_empty() {
        return Err(AppError::invalid(
            "topics",
            "Введите темы: по одной в строке, часы — после «;», например «Дроби; 3».",
        ));
    }
    if topics.len() > MAX_TOPICS {
        return Err(AppError::invalid("topics", too_many_topics(topics.len())));
    }
    if let Some((n, _)) = topics.iter().enumerate().find(|(_, (t, h))| {
        t.is_empty() || t.chars().count() > limits::LINE || !(1..=50).contains(h)
    }) {
        return Err(AppError::invalid(
            "topics",
            format!(
                "Тема {}: нужно название до {} символов, часов от 1 до 50.",
                n + 1,
                limits::LINE
            ),
        ));
    }
    Ok(topics)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ControlWorkForm {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub form: String,
    #[serde(default)]
    pub title: String,
}

/// Puts a control work into the year's schedule.
pub async fn add_control_work(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    year_id: i64,
    form: &ControlWorkForm,
) -> AppResult<i64> {
    if !access.can_setup_year() {
        return Err(AppError::Forbidden);
    }
    let mut tx = pool.begin().await?;
    let year = crate::school_year::calendar::open_year(&mut tx, access.school_id, year_id).await?;
    let mut errors = FieldErrors::new();
    let group = match form.group.trim().parse::<i64>() {
        Ok(id) => curriculum::group(&mut tx, access.school_id, id)
            .await?
            .filter(|g| g.academic_year_id == year_id),
        Err(_) => None,
    };
    if group.is_none() {
        errors.add("w_group", "Выберите группу.");
    }
    let date = parse_date(&form.date).filter(|d| *d >= year.starts_on && *d <= year.ends_on);
    if date.is_none() {
        errors.add(
            "w_date",
            format!(
                "Дата внутри учебного года {}, например 15.10.2026.",
                year.name
            ),
        );
    }
    let kind = form.form.split_whitespace().collect::<Vec<_>>().join(" ");
    // The form of control: a short name («контрольная работа», «ВПР»), 60 characters in the
    // database.
    if input::line(&mut errors, "w_form", &form.form, limits::LINE)
        && (kind.is_empty() || kind.chars().count() > 60)
    {
        errors.add(
            "w_form",
            "Форма контроля: контрольная работа, диагностическая работа, ВПР, тест…",
        );
    }
    let title = form.title.trim();
    // The title: 200 characters in the database.
    input::line(&mut errors, "w_title", title, 200);
    errors.into_result()?;
    let (group, date) = (group.expect("checked"), date.expect("checked"));
    let id =
        repo::insert_control_work(&mut tx, access.school_id, group.id, date, &kind, title).await?;
    let change = Change::new("control_work.created", "control_work", id)
        .after(json!({"group_id": group.id, "work_date": date, "form": kind, "title": title}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn delete_control_work(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    id: i64,
) -> AppResult<()> {
    if !access.can_setup_year() {
        return Err(AppError::Forbidden);
    }
    let mut tx = pool.begin().await?;
    let (date, form) = repo::delete_control_work(&mut tx, access.school_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let change = Change::new("control_work.deleted", "control_work", id)
        .before(json!({"work_date": date, "form": form}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}
