//! Writes to the catalogues: permission, validation, write, audit.

use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;

use super::repo::{self, Catalogue, SubjectRow, WorkTypeRow};
use crate::audit::{self, Actor, Change};
use crate::authz::Access;
use crate::error::{AppError, AppResult, FieldErrors, is_fk_violation, is_unique_violation};
use crate::input;
use crate::rules::grading::Scale;

fn require_setup(access: &Access) -> AppResult<()> {
    if access.can_setup_year() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn text(errors: &mut FieldErrors, field: &'static str, value: &str, max: usize) -> String {
    let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.is_empty() || v.chars().count() > max {
        errors.add(field, format!("Заполните: от 1 до {max} символов."));
    }
    input::line(errors, field, &v, max);
    v
}

/// A duplicate name becomes a message next to the name field.
fn duplicate(e: sqlx::Error, field: &'static str, message: &str) -> AppError {
    if is_unique_violation(&e) {
        AppError::invalid(field, message)
    } else {
        e.into()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SubjectForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub short_name: String,
    #[serde(default)]
    pub component: String,
    #[serde(default)]
    pub scale: String,
}

pub async fn add_subject(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    form: &SubjectForm,
) -> AppResult<i64> {
    require_setup(access)?;
    let mut errors = FieldErrors::new();
    let name = text(&mut errors, "s_name", &form.name, 120);
    let short = match form.short_name.trim() {
        "" => name.chars().take(30).collect(),
        s => text(&mut errors, "s_short_name", s, 30),
    };
    let component = match form.component.as_str() {
        "federal" | "school" => form.component.clone(),
        _ => {
            errors.add(
                "s_component",
                "Выберите: федеральный учебный план или компонент школы.",
            );
            String::new()
        }
    };
    let scale = Scale::parse(&form.scale);
    if scale.is_none() {
        errors.add("s_scale", "Выберите систему оценивания.");
    }
    errors.into_result()?;
    let row = SubjectRow {
        id: 0,
        name,
        short_name: short,
        component,
        scale: scale.expect("checked").as_str().into(),
    };
    let mut tx = pool.begin().await?;
    let id = repo::insert_subject(&mut tx, access.school_id, &row)
        .await
        .map_err(|e| duplicate(e, "s_name", "Такой предмет уже есть."))?;
    let after = json!({"name": row.name, "short_name": row.short_name, "component": row.component, "scale": row.scale});
    audit::record(
        &mut tx,
        access.school_id,
        actor,
        Change::new("subject.created", "subject", id).after(after),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RoomForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub capacity: String,
}

pub async fn add_room(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    form: &RoomForm,
) -> AppResult<i64> {
    require_setup(access)?;
    let mut errors = FieldErrors::new();
    let name = text(&mut errors, "r_name", &form.name, 60);
    let capacity = match form.capacity.trim() {
        "" => None,
        c => match c.parse::<i16>() {
            Ok(n) if (1..=500).contains(&n) => Some(n),
            _ => {
                errors.add(
                    "r_capacity",
                    "Вместимость — число от 1 до 500, или оставьте пустым.",
                );
                None
            }
        },
    };
    errors.into_result()?;
    let mut tx = pool.begin().await?;
    let id = repo::insert_room(&mut tx, access.school_id, &name, capacity)
        .await
        .map_err(|e| duplicate(e, "r_name", "Такой кабинет уже есть."))?;
    let after = json!({"name": name, "capacity": capacity});
    audit::record(
        &mut tx,
        access.school_id,
        actor,
        Change::new("room.created", "room", id).after(after),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WorkTypeForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub short_name: String,
    #[serde(default)]
    pub weight: String,
    #[serde(default)]
    pub checking_days: String,
}

/// «1,5» or «1.5» in tenths (15), between 0,1 and 10.
fn weight_tenths(text: &str) -> Option<i32> {
    let v: f64 = text.trim().replace(',', ".").parse().ok()?;
    let tenths = (v * 10.0).round();
    ((1.0..=100.0).contains(&tenths) && (v * 10.0 - tenths).abs() < 1e-6).then_some(tenths as i32)
}

pub async fn add_work_type(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    form: &WorkTypeForm,
) -> AppResult<i64> {
    require_setup(access)?;
    let mut errors = FieldErrors::new();
    let name = text(&mut errors, "w_name", &form.name, 80);
    let short_name = text(&mut errors, "w_short_name", &form.short_name, 10);
    let weight = weight_tenths(&form.weight);
    if weight.is_none() {
        errors.add(
            "w_weight",
            "Вес — число от 0,1 до 10 с одним знаком после запятой, например 1,5.",
        );
    }
    let days = match form.checking_days.trim() {
        "" => Some(0),
        d => d.parse::<i16>().ok().filter(|d| (0..=30).contains(d)),
    };
    if days.is_none() {
        errors.add("w_checking_days", "Срок проверки — от 0 до 30 дней.");
    }
    errors.into_result()?;
    let row = WorkTypeRow {
        id: 0,
        name,
        short_name,
        weight_tenths: weight.expect("checked"),
        checking_days: days.expect("checked"),
    };
    let mut tx = pool.begin().await?;
    let id = repo::insert_work_type(&mut tx, access.school_id, &row)
        .await
        .map_err(|e| duplicate(e, "w_name", "Такой вид работы уже есть."))?;
    let after = json!({"name": row.name, "short_name": row.short_name, "weight": row.weight(), "checking_days": row.checking_days});
    audit::record(
        &mut tx,
        access.school_id,
        actor,
        Change::new("work_type.created", "work_type", id).after(after),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Deletes a row no longer wanted; refused while something uses it.
pub async fn delete(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    catalogue: Catalogue,
    id: i64,
) -> AppResult<()> {
    require_setup(access)?;
    let (subject_type, action) = match catalogue {
        Catalogue::Subject => ("subject", "subject.deleted"),
        Catalogue::Room => ("room", "room.deleted"),
        Catalogue::WorkType => ("work_type", "work_type.deleted"),
    };
    let mut tx = pool.begin().await?;
    let name = match repo::delete(&mut tx, access.school_id, catalogue, id).await {
        Ok(Some(name)) => name,
        Ok(None) => return Err(AppError::NotFound),
        Err(e) if is_fk_violation(&e) => {
            return Err(AppError::Refused(
                "Удалить нельзя: запись уже используется.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let change = Change::new(action, subject_type, id).before(json!({ "name": name }));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_read_with_a_comma_or_a_point_in_tenths() {
        assert_eq!(weight_tenths("1,5"), Some(15));
        assert_eq!(weight_tenths(" 2 "), Some(20));
        assert_eq!(weight_tenths("0.1"), Some(1));
        assert_eq!(weight_tenths("1,55"), None);
        assert_eq!(weight_tenths("0"), None);
        assert_eq!(weight_tenths("11"), None);
        assert_eq!(weight_tenths("много"), None);
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WorkTypeChange {
    #[serde(default)]
    pub weight: String,
    #[serde(default)]
    pub checking_days: String,
}

/// Changes a work type's weight and checking period (J4, J5: the school's own numbers).
pub async fn change_work_type(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    id: i64,
    form: &WorkTypeChange,
) -> AppResult<()> {
    require_setup(access)?;
    let mut errors = FieldErrors::new();
    let weight = weight_tenths(&form.weight);
    if weight.is_none() {
        errors.add(
            "w_weight",
            "Вес — число от 0,1 до 10 с одним знаком после запятой, например 1,5.",
        );
    }
    let days = form
        .checking_days
        .trim()
        .parse::<i16>()
        .ok()
        .filter(|d| (0..=30).contains(d));
    if days.is_none() {
        errors.add("w_checking_days", "Срок проверки — от 0 до 30 дней.");
    }
    errors.into_result()?;
    let (weight, days) = (weight.expect("checked"), days.expect("checked"));
    let mut tx = pool.begin().await?;
    let (old_weight, old_days) =
        repo::update_work_type(&mut tx, access.school_id, id, weight, days)
            .await?
            .ok_or(AppError::NotFound)?;
    let change = Change::new("work_type.changed", "work_type", id)
        .before(json!({"weight": old_weight as f64 / 10.0, "checking_days": old_days}))
        .after(json!({"weight": weight as f64 / 10.0, "checking_days": days}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GradeScaleForm {
    #[serde(default)]
    pub grade: String,
    /// A scale, or empty to grade as the subject does.
    #[serde(default)]
    pub scale: String,
}

/// Grades a subject otherwise in one grade (e.g. pass/fail for «ОРКСЭ» in grade 4). Grade 1 has
/// no marks whatever is set here (J10).
pub async fn set_grade_scale(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    subject_id: i64,
    form: &GradeScaleForm,
) -> AppResult<()> {
    require_setup(access)?;
    let grade = form
        .grade
        .trim()
        .parse::<i16>()
        .ok()
        .filter(|g| (2..=11).contains(g));
    let Some(grade) = grade else {
        return Err(AppError::invalid(
            "s_grade",
            "Параллель — от 2 до 11 (в 1 классе отметок нет).",
        ));
    };
    let scale = match form.scale.trim() {
        "" => None,
        s => Some(
            Scale::parse(s)
                .ok_or_else(|| AppError::invalid("s_grade", "Выберите систему оценивания."))?,
        ),
    };
    let mut tx = pool.begin().await?;
    if !repo::set_grade_scale(
        &mut tx,
        access.school_id,
        subject_id,
        grade,
        scale.map(Scale::as_str),
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    let change = Change::new("subject.grade_scale", "subject", subject_id)
        .after(json!({"grade": grade, "scale": scale.map(Scale::as_str)}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}
