//! The end of a school year: closing it (its journals become read-only), opening the next one
//! (calendar and bells carried over), and promoting pupils by the director's order — to the next
//! grade, to repeat it, or out of school as graduates. Regulations §2 (003).

use chrono::{Datelike, NaiveDate};
use serde_json::json;
use sqlx::PgPool;

use super::calendar::apply_default_calendar;
use super::repo::{self, YearRow};
use super::service::create_year;
use crate::audit::{self, Actor, Change};
use crate::authz::Access;
use crate::clock::Clock;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::input;
use crate::pupils::repo::{self as pupils, Movement};

fn require(access: &Access) -> AppResult<()> {
    if access.can_close_year() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Closes a year: from now on nothing of it can be changed.
pub async fn close_year(
    pool: &PgPool,
    clock: &dyn Clock,
    access: &Access,
    actor: &Actor,
    year_id: i64,
) -> AppResult<()> {
    require(access)?;
    let mut tx = pool.begin().await?;
    let year = repo::year(&mut tx, access.school_id, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if year.closed {
        return Err(AppError::Refused(format!(
            "Учебный год {} уже закрыт.",
            year.name
        )));
    }
    repo::close_year(&mut tx, access.school_id, year_id, clock.now()).await?;
    audit::record(
        &mut tx,
        access.school_id,
        actor,
        Change::new("academic_year.closed", "academic_year", year_id)
            .after(json!({"name": year.name})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The year after `year`, if it exists.
pub async fn next_year(
    pool: &PgPool,
    access: &Access,
    year: &YearRow,
) -> AppResult<Option<YearRow>> {
    let name = format!(
        "{}/{}",
        year.starts_on.year() + 1,
        year.starts_on.year() + 2
    );
    Ok(repo::years(pool, access.school_id)
        .await?
        .into_iter()
        .find(|y| y.name == name))
}

/// Opens the next year: the usual calendar, this year's week and bells.
pub async fn open_next_year(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    year_id: i64,
) -> AppResult<i64> {
    require(access)?;
    let mut tx = pool.begin().await?;
    let year = repo::year(&mut tx, access.school_id, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let start = year.starts_on.year() + 1;
    let name = format!("{start}/{}", start + 1);
    if repo::year_name_taken(&mut tx, access.school_id, &name).await? {
        return Err(AppError::Refused(format!("Учебный год {name} уже открыт.")));
    }
    let sept1 = NaiveDate::from_ymd_opt(start, 9, 1).expect("September 1");
    let aug31 = NaiveDate::from_ymd_opt(start + 1, 8, 31).expect("August 31");
    let id = create_year(&mut tx, access.school_id, actor, &name, sept1, aug31).await?;
    repo::set_week_days(&mut tx, access.school_id, id, year.week_days).await?;
    apply_default_calendar(&mut tx, access.school_id, actor, id, sept1).await?;
    for shift in [1i16, 2] {
        let bells: Vec<_> = repo::bells(&mut tx, access.school_id, year_id)
            .await?
            .into_iter()
            .filter(|b| b.shift == shift)
            .map(|b| (b.lesson_number, b.starts_at, b.ends_at))
            .collect();
        if !bells.is_empty() {
            repo::replace_bells(&mut tx, access.school_id, id, shift, &bells).await?;
        }
    }
    let change = Change::new("academic_year.opened_next", "academic_year", id)
        .after(json!({"name": name, "after": year.name}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(id)
}

/// What happens to a pupil at the year's end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Promote,
    Repeat,
    Graduate,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "promote" => Some(Decision::Promote),
            "repeat" => Some(Decision::Repeat),
            "graduate" => Some(Decision::Graduate),
            _ => None,
        }
    }

    /// The usual decision for a grade: graduates of 9th and 11th leave, the others move up.
    pub fn usual(grade: i16) -> Self {
        if grade == 9 || grade == 11 {
            Decision::Graduate
        } else {
            Decision::Promote
        }
    }
}

/// Promotes the pupils of `year_id` into the next year by the order `order_ref`: each pupil by
/// `decisions` (absent: the usual one). Classes of the next year are opened as needed.
pub async fn promote(
    pool: &PgPool,
    clock: &dyn Clock,
    access: &Access,
    actor: &Actor,
    year_id: i64,
    order_ref: &str,
    decisions: &std::collections::HashMap<i64, Decision>,
) -> AppResult<(usize, usize, usize)> {
    require(access)?;
    let order_ref = order_ref.trim();
    let mut errors = FieldErrors::new();
    input::line(&mut errors, "order_ref", order_ref, 100);
    errors.into_result()?;
    if order_ref.is_empty() || order_ref.chars().count() > 100 {
        return Err(AppError::invalid(
            "order_ref",
            "Укажите приказ, например «№ 112 от 28.05.2027».",
        ));
    }
    let mut tx = pool.begin().await?;
    let year = repo::year(&mut tx, access.school_id, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let next = {
        let name = format!(
            "{}/{}",
            year.starts_on.year() + 1,
            year.starts_on.year() + 2
        );
        repo::years(pool, access.school_id)
            .await?
            .into_iter()
            .find(|y| y.name == name)
    }
    .ok_or(AppError::Refused(
        "Сначала откройте следующий учебный год.".into(),
    ))?;
    let classes = pupils::classes(pool, access.school_id, year_id).await?;
    let mut next_classes = pupils::classes(pool, access.school_id, next.id).await?;
    let (mut promoted, mut repeating, mut graduated) = (0, 0, 0);
    for class in &classes {
        for pupil in pupils::class_pupils(pool, access.school_id, class.id).await? {
            let Some((enrollment, _, _)) =
                pupils::open_enrollment(&mut tx, access.school_id, pupil.id).await?
            else {
                continue;
            };
            let decision = decisions
                .get(&pupil.id)
                .copied()
                .unwrap_or(Decision::usual(class.grade));
            let decision = if decision == Decision::Promote && class.grade == 11 {
                Decision::Graduate
            } else {
                decision
            };
            pupils::close_enrollment(&mut tx, access.school_id, enrollment, year.ends_on).await?;
            if decision == Decision::Graduate {
                let m = Movement {
                    pupil_id: pupil.id,
                    kind: "withdrawal",
                    on_date: year.ends_on,
                    from_class_id: Some(class.id),
                    to_class_id: None,
                    reason: "выпуск",
                    order_ref,
                };
                pupils::insert_movement(&mut tx, access.school_id, &m).await?;
                pupils::revoke_family_access(&mut tx, access.school_id, pupil.id, clock.now())
                    .await?;
                let change = Change::new("pupil.graduated", "pupil", pupil.id)
                    .before(json!({"class_id": class.id}))
                    .reason(order_ref);
                audit::record(&mut tx, access.school_id, actor, change).await?;
                graduated += 1;
                continue;
            }
            let grade = if decision == Decision::Promote {
                class.grade + 1
            } else {
                class.grade
            };
            let target = match next_classes
                .iter()
                .find(|c| c.grade == grade && c.letter == class.letter)
            {
                Some(c) => c.id,
                None => {
                    let id = super::service::create_class(
                        &mut tx,
                        access.school_id,
                        actor,
                        next.id,
                        grade,
                        &class.letter,
                    )
                    .await?;
                    pupils::set_class_regime(
                        &mut tx,
                        access.school_id,
                        id,
                        class.shift,
                        class.profile.as_deref(),
                    )
                    .await?;
                    next_classes.push(pupils::ClassLine {
                        id,
                        grade,
                        letter: class.letter.clone(),
                        shift: class.shift,
                        profile: class.profile.clone(),
                        class_teacher: None,
                        pupils: 0,
                    });
                    id
                }
            };
            repo::insert_enrollment(&mut tx, access.school_id, pupil.id, target, next.starts_on)
                .await?;
            let reason = if decision == Decision::Promote {
                "перевод в следующий класс"
            } else {
                "оставлен на повторное обучение"
            };
            let m = Movement {
                pupil_id: pupil.id,
                kind: "promotion",
                on_date: next.starts_on,
                from_class_id: Some(class.id),
                to_class_id: Some(target),
                reason,
                order_ref,
            };
            pupils::insert_movement(&mut tx, access.school_id, &m).await?;
            let change = Change::new("pupil.promoted", "pupil", pupil.id)
                .before(json!({"class_id": class.id}))
                .after(json!({"class_id": target, "repeats": decision == Decision::Repeat}))
                .reason(order_ref);
            audit::record(&mut tx, access.school_id, actor, change).await?;
            if decision == Decision::Promote {
                promoted += 1
            } else {
                repeating += 1
            }
        }
    }
    tx.commit().await?;
    Ok((promoted, repeating, graduated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graduates_of_the_ninth_and_eleventh_grades_leave_by_default() {
        assert_eq!(Decision::usual(9), Decision::Graduate);
        assert_eq!(Decision::usual(11), Decision::Graduate);
        assert_eq!(Decision::usual(5), Decision::Promote);
        assert_eq!(Decision::parse("repeat"), Some(Decision::Repeat));
    }
}
