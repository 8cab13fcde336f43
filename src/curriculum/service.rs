//! Writes to the curriculum, groups, membership and load: permission, checks, write, audit.

use serde::Deserialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::repo::{self, GroupRow, NewGroup};
use super::{GROUP_KINDS, parse_hours};
use crate::audit::{self, Actor, Change};
use crate::authz::{Access, Role};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::input;
use crate::pupils::repo as pupils;
use crate::school_year::calendar::{open_year, open_year_of_class, parse_date};

fn require(allowed: bool) -> AppResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct LineForm {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub hours: String,
}

/// Adds a subject to a class's curriculum, with the whole-class group that will study it.
pub async fn add_line(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    class_id: i64,
    form: &LineForm,
) -> AppResult<()> {
    require(access.can_setup_year())?;
    let mut tx = pool.begin().await?;
    let class = pupils::class(&mut tx, access.school_id, class_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let year = open_year_of_class(&mut tx, access.school_id, class_id)
        .await?
        .id;
    let mut errors = FieldErrors::new();
    let subject: Option<i64> = form.subject.trim().parse().ok();
    match subject {
        Some(s) if repo::subject_exists(&mut tx, access.school_id, s).await? => {}
        _ => errors.add("l_subject", "Выберите предмет."),
    }
    let hours = parse_hours(&form.hours);
    if hours.is_none() {
        errors.add(
            "l_hours",
            "Часов в неделю: от 0,1 до 20, например 2 или 0,5.",
        );
    }
    errors.into_result()?;
    let (subject, hours) = (subject.expect("checked"), hours.expect("checked"));
    let line = match repo::insert_line(&mut tx, access.school_id, class_id, subject, hours).await {
        Err(e) if crate::error::is_unique_violation(&e) => {
            return Err(AppError::invalid(
                "l_subject",
                "Этот предмет уже есть в учебном плане класса.",
            ));
        }
        other => other?,
    };
    let group = NewGroup {
        year_id: year,
        subject_id: subject,
        kind: "whole_class",
        class_id: Some(class_id),
        name: &class.name(),
    };
    let group_id = repo::insert_group(&mut tx, access.school_id, &group).await?;
    let change = Change::new("curriculum_line.created", "curriculum_line", line)
        .after(json!({"class_id": class_id, "subject_id": subject, "hours": hours as f64 / 10.0, "group_id": group_id}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SplitForm {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub count: String,
}

/// Splits a class for a subject into 2 or 3 subgroups (foreign language, technology…), in place
/// of its whole-class group.
pub async fn split(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    class_id: i64,
    form: &SplitForm,
) -> AppResult<()> {
    require(access.can_setup_year())?;
    let mut tx = pool.begin().await?;
    let class = pupils::class(&mut tx, access.school_id, class_id)
        .await?
        .ok_or(AppError::NotFound)?;
    open_year_of_class(&mut tx, access.school_id, class_id).await?;
    let subject: i64 = form
        .subject
        .trim()
        .parse()
        .map_err(|_| AppError::NotFound)?;
    let count: usize = match form.count.trim().parse() {
        Ok(n @ 2..=3) => n,
        _ => return Err(AppError::invalid("split", "Подгрупп может быть 2 или 3.")),
    };
    let groups: Vec<GroupRow> = repo::class_groups(&mut *tx, access.school_id, class_id)
        .await?
        .into_iter()
        .filter(|g| g.subject_id == subject)
        .collect();
    let whole = match groups.as_slice() {
        [g] if g.kind == "whole_class" => g.clone(),
        [] => return Err(AppError::NotFound),
        _ => {
            return Err(AppError::Refused(
                "Класс по этому предмету уже разделён на подгруппы.".into(),
            ));
        }
    };
    repo::delete_group(&mut tx, access.school_id, whole.id).await?;
    let mut created = Vec::new();
    for n in 1..=count {
        let name = format!("{}, {n} группа", class.name());
        let g = NewGroup {
            year_id: whole.academic_year_id,
            subject_id: subject,
            kind: "subgroup",
            class_id: Some(class_id),
            name: &name,
        };
        created.push(repo::insert_group(&mut tx, access.school_id, &g).await?);
    }
    let change = Change::new("study_group.split", "study_group", whole.id)
        .before(json!({"kind": "whole_class", "class_id": class_id, "subject_id": subject}))
        .after(json!({"subgroups": created}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    pub teacher: String,
    #[serde(default)]
    pub hours: String,
}

/// Sets who teaches a group and for how many hours a week.
pub async fn assign(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    group_id: i64,
    form: &AssignForm,
) -> AppResult<()> {
    require(access.can_setup_year())?;
    let mut tx = pool.begin().await?;
    let group = repo::group(&mut tx, access.school_id, group_id)
        .await?
        .ok_or(AppError::NotFound)?;
    open_year(&mut tx, access.school_id, group.academic_year_id).await?;
    let teacher: Option<i64> = form.teacher.trim().parse().ok();
    let mut errors = FieldErrors::new();
    match teacher {
        Some(t) if pupils::is_teacher(&mut tx, access.school_id, t).await? => {}
        _ => errors.add("assign", "Выберите учителя этой школы."),
    }
    let hours = parse_hours(&form.hours);
    if hours.is_none() {
        errors.add("assign", "Часов в неделю: от 0,1 до 20.");
    }
    errors.into_result()?;
    let before = repo::group_assignments(&mut tx, access.school_id, group_id).await?;
    let (teacher, hours) = (teacher.expect("checked"), hours.expect("checked"));
    repo::replace_assignment(&mut tx, access.school_id, group_id, teacher, hours).await?;
    let change = Change::new("teaching_assignment.set", "study_group", group_id)
        .before(json!({"teachers": before.iter().map(|a| a.teacher_id).collect::<Vec<_>>()}))
        .after(json!({"teacher_id": teacher, "hours": hours as f64 / 10.0}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct YearGroupForm {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
}

/// Creates a stream, an elective or an individual plan's group in a year.
pub async fn add_year_group(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    year_id: i64,
    form: &YearGroupForm,
) -> AppResult<i64> {
    require(access.can_setup_year())?;
    let mut tx = pool.begin().await?;
    open_year(&mut tx, access.school_id, year_id).await?;
    let mut errors = FieldErrors::new();
    let subject: Option<i64> = form.subject.trim().parse().ok();
    match subject {
        Some(s) if repo::subject_exists(&mut tx, access.school_id, s).await? => {}
        _ => errors.add("g_subject", "Выберите предмет."),
    }
    let kind = GROUP_KINDS
        .iter()
        .map(|(k, _)| *k)
        .find(|k| *k == form.kind && matches!(*k, "stream" | "elective" | "individual"));
    if kind.is_none() {
        errors.add(
            "g_kind",
            "Выберите: поток, элективный курс или индивидуальный план.",
        );
    }
    let name = form.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 120 {
        errors.add("g_name", "Название: от 1 до 120 символов.");
    }
    input::line(&mut errors, "g_name", &name, 120);
    errors.into_result()?;
    let g = NewGroup {
        year_id,
        subject_id: subject.expect("checked"),
        kind: kind.expect("checked"),
        class_id: None,
        name: &name,
    };
    let id = repo::insert_group(&mut tx, access.school_id, &g).await?;
    let change = Change::new("study_group.created", "study_group", id)
        .after(json!({"kind": g.kind, "name": name, "subject_id": g.subject_id}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(id)
}

/// Who may change a group's pupils: whoever sets up the year, the group's teacher, or the class
/// teacher of its class (the split is agreed by them, regulations §2).
pub async fn may_edit_members(
    conn: &mut PgConnection,
    access: &Access,
    account_id: i64,
    group: &GroupRow,
) -> AppResult<bool> {
    if access.can_setup_year()
        || (access.role == Role::ClassTeacher
            && group.class_id.is_some()
            && access.class_id == group.class_id)
    {
        return Ok(true);
    }
    if access.role != Role::Teacher {
        return Ok(false);
    }
    let teachers = repo::group_assignments(conn, access.school_id, group.id).await?;
    Ok(teachers.iter().any(|t| t.teacher_id == account_id))
}

/// From a date, the group holds exactly the pupils ticked on the form (field `pupil`, repeated).
pub async fn set_members(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    group_id: i64,
    fields: &[(String, String)],
) -> AppResult<()> {
    let mut tx = pool.begin().await?;
    let group = repo::group(&mut tx, access.school_id, group_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let account = actor.account_id.unwrap_or_default();
    require(may_edit_members(&mut tx, access, account, &group).await?)?;
    open_year(&mut tx, access.school_id, group.academic_year_id).await?;
    if group.kind == "whole_class" {
        return Err(AppError::Refused(
            "В группу «весь класс» входят все обучающиеся класса.".into(),
        ));
    }
    let on = fields
        .iter()
        .find(|(k, _)| k == "on")
        .and_then(|(_, v)| parse_date(v));
    let Some(on) = on else {
        return Err(AppError::invalid(
            "members",
            "Укажите дату, с которой действует состав группы.",
        ));
    };
    let chosen: Vec<i64> = fields
        .iter()
        .filter(|(k, _)| k == "pupil")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let allowed = repo::members(&mut tx, access.school_id, &group, on).await?;
    if chosen
        .iter()
        .any(|p| !allowed.iter().any(|a| a.pupil_id == *p))
    {
        return Err(AppError::invalid(
            "members",
            "В группу можно включить только обучающихся этого учебного года (для подгруппы — этого класса).",
        ));
    }
    let (left, joined) =
        repo::set_members(&mut tx, access.school_id, group_id, &chosen, on).await?;
    let change = Change::new("study_group.members_set", "study_group", group_id)
        .after(json!({"on": on, "pupils": chosen, "left": left, "joined": joined}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}
