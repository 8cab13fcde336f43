//! The end of a school year: closing it (its journals become read-only), opening the next one
//! (calendar and bells carried over), and promoting pupils by the director's order — to the next
//! grade, to repeat it, or out of school as graduates. Regulations §2 (003).
//!
//! Promotion is an order with a date: entering it records the decision (`promotion_order`, one
//! outcome per pupil) and changes nothing else; the movements are written on its effective date
//! (by default the year's end) — at once when that date has come, else by the worker
//! (`spawn_worker`, `apply_due`). Until then classes, enrolments and families' access stay as
//! they are, and the order may be cancelled.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, NaiveDate};
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::calendar::{apply_default_calendar, parse_date};
use super::orders::{self, OutcomeRow};
use super::repo::{self, YearRow};
use super::service::create_year;
use crate::audit::{self, Actor, Change};
use crate::authz::Access;
use crate::clock::{self, Clock};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::input;
use crate::pupils::repo::{self as pupils, Movement};
use crate::tenancy::SchoolId;

fn require(access: &Access) -> AppResult<()> {
    if access.can_close_year() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Closes a year: from now on nothing of it can be changed. Refused unless `confirmed` (the
/// person was shown what closing does and pressed «Подтвердить»).
pub async fn close_year(
    pool: &PgPool,
    clock: &dyn Clock,
    access: &Access,
    actor: &Actor,
    year_id: i64,
    confirmed: bool,
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
    if !confirmed {
        return Err(AppError::Refused(
            "Год не закрыт: нажмите «Подтвердить», чтобы закрыть его.".into(),
        ));
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
    pool: impl sqlx::PgExecutor<'_>,
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

    /// The form's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Promote => "promote",
            Decision::Repeat => "repeat",
            Decision::Graduate => "graduate",
        }
    }

    /// The stored outcome (`promotion_outcome.outcome`).
    fn outcome(self) -> &'static str {
        match self {
            Decision::Promote => "promoted",
            Decision::Repeat => "repeat",
            Decision::Graduate => "graduated",
        }
    }

    fn of_outcome(s: &str) -> Self {
        match s {
            "graduated" => Decision::Graduate,
            "repeat" => Decision::Repeat,
            _ => Decision::Promote,
        }
    }

    /// The usual decision for a grade: the 11th graduates; everyone else moves up — the 9th to
    /// the 10th, since a 9th-grader leaves only when the order names them.
    pub fn usual(grade: i16) -> Self {
        if grade == 11 {
            Decision::Graduate
        } else {
            Decision::Promote
        }
    }
}

/// The promotion form as typed: the order's number and dates, a decision per pupil (absent: the
/// usual one).
#[derive(Debug, Default, Clone)]
pub struct PromotionForm {
    pub order_number: String,
    pub order_date: String,
    /// Empty: the year's last day.
    pub effective_on: String,
    pub decisions: HashMap<i64, Decision>,
    /// The person saw what the order will do and confirmed it (`confirm=1`).
    pub confirmed: bool,
}

/// The order's fields, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CheckedOrder {
    number: String,
    order_date: NaiveDate,
    effective_on: NaiveDate,
}

fn day(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// Checks the order's fields (pure). The order is signed (its date is not in the future, and
/// inside the year); it takes effect on a day between the end of the year's last study period
/// and the year's last day, not before it is signed. Before the year's end only for the orders
/// made on the year's results — graduates after the state exams in June–July: promotion is
/// decided on the year's marks, which exist only once the last period has ended; a date in the
/// middle of the year is refused.
fn check_order(
    form: &PromotionForm,
    year: &YearRow,
    last_period_end: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<CheckedOrder, FieldErrors> {
    let mut errors = FieldErrors::new();
    let number = form.order_number.trim();
    let number = number.strip_prefix('№').unwrap_or(number).trim();
    if input::line(&mut errors, "order_number", number, 30) && number.is_empty() {
        errors.add("order_number", "Укажите номер приказа.");
    }
    let order_date = match form.order_date.trim() {
        "" => {
            errors.add("order_date", "Укажите дату приказа.");
            None
        }
        typed => match parse_date(typed) {
            None => {
                errors.add("order_date", "Укажите дату приказа в виде ДД.ММ.ГГГГ.");
                None
            }
            Some(d) if d > today => {
                errors.add(
                    "order_date",
                    "Укажите дату подписанного приказа — не позже сегодняшней.",
                );
                None
            }
            Some(d) if d < year.starts_on => {
                errors.add(
                    "order_date",
                    format!(
                        "Приказ о переводе издаётся в учебном году {} — не раньше {}.",
                        year.name,
                        day(year.starts_on)
                    ),
                );
                None
            }
            Some(d) => Some(d),
        },
    };
    let earliest = last_period_end
        .and_then(|d| d.succ_opt())
        .map_or(year.ends_on, |d| d.min(year.ends_on));
    let effective_on = match form.effective_on.trim() {
        "" => Some(year.ends_on),
        typed => match parse_date(typed) {
            None => {
                errors.add(
                    "effective_on",
                    "Укажите дату вступления в силу в виде ДД.ММ.ГГГГ.",
                );
                None
            }
            Some(d) if d < earliest || d > year.ends_on => {
                errors.add(
                    "effective_on",
                    format!(
                        "Перевод и выпуск вступают в силу по итогам учебного года {}: с {} (после последнего учебного периода) по {}.",
                        year.name,
                        day(earliest),
                        day(year.ends_on)
                    ),
                );
                None
            }
            Some(d) => Some(d),
        },
    };
    if let (Some(signed), Some(effective)) = (order_date, effective_on)
        && effective < signed
    {
        errors.add(
            "effective_on",
            format!(
                "Укажите дату вступления в силу не раньше даты приказа ({}).",
                day(signed)
            ),
        );
    }
    match (order_date, effective_on) {
        (Some(order_date), Some(effective_on)) if errors.is_empty() => Ok(CheckedOrder {
            number: number.to_string(),
            order_date,
            effective_on,
        }),
        _ => Err(errors),
    }
}

/// What an entered order did.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// «№ 112 от 28.05.2027».
    pub reference: String,
    pub effective_on: NaiveDate,
    /// Its date had come: the movements are written.
    pub applied: bool,
    pub promoted: usize,
    pub repeating: usize,
    pub graduated: usize,
}

/// One class of the year in an order about to be entered.
#[derive(Debug, Clone)]
pub struct ClassPlan {
    /// «5Б».
    pub name: String,
    /// The class its promoted pupils go to: «6Б».
    pub next_name: String,
    pub promoted: usize,
    pub repeating: usize,
    pub graduated: usize,
}

/// What an order would do, shown before it is entered (issue 15, item 4): checked like the
/// order itself, nothing written.
#[derive(Debug, Clone)]
pub struct PromotionPlan {
    pub reference: String,
    pub effective_on: NaiveDate,
    /// Its date has come: the movements would be written at once.
    pub applies_now: bool,
    pub promoted: usize,
    pub repeating: usize,
    pub graduated: usize,
    pub classes: Vec<ClassPlan>,
    /// «Морозов Иван Петрович (5Б)»: the pupils who stay in their grade.
    pub repeaters: Vec<String>,
}

impl PromotionPlan {
    /// «Будут переведены 612 обучающихся, 24 оставлены на повторное обучение, 52 выпущены.»
    pub fn summary(&self) -> String {
        let pupils = |n: usize| input::plural(n, "обучающийся", "обучающихся", "обучающихся");
        format!(
            "{} {} {}, {} {} на повторное обучение, {} {}.",
            input::plural(
                self.promoted,
                "Будет переведён",
                "Будут переведены",
                "Будут переведены"
            ),
            self.promoted,
            pupils(self.promoted),
            self.repeating,
            input::plural(self.repeating, "оставлен", "оставлены", "оставлены"),
            self.graduated,
            input::plural(self.graduated, "выпущен", "выпущены", "выпущены"),
        )
    }

    pub fn total(&self) -> usize {
        self.promoted + self.repeating + self.graduated
    }
}

/// The order checked and each pupil's outcome decided: what entering it would do.
struct Planned {
    order: CheckedOrder,
    next: YearRow,
    outcomes: Vec<OutcomeRow>,
    plan: PromotionPlan,
}

async fn plan_order(
    conn: &mut PgConnection,
    access: &Access,
    year_id: i64,
    form: &PromotionForm,
    today: NaiveDate,
) -> AppResult<Planned> {
    require(access)?;
    let school = access.school_id;
    let year = repo::year(conn, school, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let last_period_end = orders::last_period_end(conn, school, year_id).await?;
    let order = check_order(form, &year, last_period_end, today).map_err(AppError::Invalid)?;
    let next = next_year(&mut *conn, access, &year)
        .await?
        .ok_or(AppError::Refused(
            "Сначала откройте следующий учебный год.".into(),
        ))?;
    if let Some(waiting) = orders::latest_order(conn, school, year_id).await?
        && waiting.applied_at.is_none()
    {
        return Err(AppError::Refused(format!(
            "Приказ {} уже ждёт вступления в силу {}. Чтобы внести другой, сначала отмените его.",
            waiting.reference(),
            waiting.effective()
        )));
    }
    let mut outcomes = Vec::new();
    let mut classes = Vec::new();
    let mut repeaters = Vec::new();
    let mut by_class = pupils::year_pupils(&mut *conn, school, year_id).await?;
    for class in pupils::classes_in(conn, school, year_id).await? {
        let mut line = ClassPlan {
            name: class.name(),
            next_name: format!("{}{}", class.grade + 1, class.letter),
            promoted: 0,
            repeating: 0,
            graduated: 0,
        };
        for pupil in by_class.remove(&class.id).unwrap_or_default() {
            let decision = form
                .decisions
                .get(&pupil.id)
                .copied()
                .unwrap_or(Decision::usual(class.grade));
            let decision = match decision {
                Decision::Promote if class.grade == 11 => Decision::Graduate,
                Decision::Graduate if class.grade != 9 && class.grade != 11 => {
                    return Err(AppError::invalid(
                        "decisions",
                        "Выпуск — только из 9 и 11 классов: выберите для обучающихся других классов перевод или повторное обучение.",
                    ));
                }
                d => d,
            };
            match decision {
                Decision::Promote => line.promoted += 1,
                Decision::Repeat => {
                    line.repeating += 1;
                    repeaters.push(format!("{} ({})", pupil.full_name(), line.name));
                }
                Decision::Graduate => line.graduated += 1,
            }
            outcomes.push(OutcomeRow {
                pupil_id: pupil.id,
                from_class_id: class.id,
                outcome: decision.outcome().to_string(),
            });
        }
        if line.promoted + line.repeating + line.graduated > 0 {
            classes.push(line);
        }
    }
    if outcomes.is_empty() {
        return Err(AppError::Refused(
            "В классах этого года нет обучающихся: переводить некого.".into(),
        ));
    }
    let plan = PromotionPlan {
        reference: orders::reference(&order.number, order.order_date),
        effective_on: order.effective_on,
        applies_now: order.effective_on <= today,
        promoted: classes.iter().map(|c| c.promoted).sum(),
        repeating: classes.iter().map(|c| c.repeating).sum(),
        graduated: classes.iter().map(|c| c.graduated).sum(),
        classes,
        repeaters,
    };
    Ok(Planned {
        order,
        next,
        outcomes,
        plan,
    })
}

/// What entering the order would do, checked as `record_promotion` checks it; nothing is
/// written. The page shows it and asks for confirmation before the order is entered.
pub async fn preview_promotion(
    pool: &PgPool,
    access: &Access,
    year_id: i64,
    form: &PromotionForm,
    today: NaiveDate,
) -> AppResult<PromotionPlan> {
    let mut conn = pool.acquire().await?;
    Ok(plan_order(&mut conn, access, year_id, form, today)
        .await?
        .plan)
}

/// Records the order promoting the pupils of `year_id` into the next year: each pupil by
/// `form.decisions` (absent: the usual one). Applied at once if its effective date is `today`
/// (the school's) or earlier, else on that date. Refused unless `form.confirmed`: the person
/// saw `preview_promotion`'s consequences and confirmed them.
pub async fn record_promotion(
    pool: &PgPool,
    clock: &dyn Clock,
    access: &Access,
    actor: &Actor,
    year_id: i64,
    form: &PromotionForm,
    today: NaiveDate,
) -> AppResult<Recorded> {
    require(access)?;
    let school = access.school_id;
    let mut tx = pool.begin().await?;
    let Planned {
        order,
        next,
        outcomes,
        plan,
    } = plan_order(&mut tx, access, year_id, form, today).await?;
    if !form.confirmed {
        return Err(AppError::Refused(
            "Перевод не оформлен: проверьте, что он сделает, и нажмите «Подтвердить».".into(),
        ));
    }
    let (promoted, repeating, graduated) = (plan.promoted, plan.repeating, plan.graduated);
    let order_id = orders::insert_order(
        &mut tx,
        school,
        year_id,
        next.id,
        &order.number,
        order.order_date,
        order.effective_on,
        actor.account_id,
        clock.now(),
    )
    .await?;
    orders::insert_outcomes(&mut tx, school, order_id, &outcomes).await?;
    let reference = plan.reference;
    let graduates: Vec<i64> = outcomes
        .iter()
        .filter(|o| o.outcome == "graduated")
        .map(|o| o.pupil_id)
        .collect();
    let change = Change::new("promotion_order.recorded", "promotion_order", order_id)
        .after(json!({
            "order_number": order.number,
            "order_date": order.order_date,
            "effective_on": order.effective_on,
            "promoted": promoted,
            "repeating": repeating,
            "graduated": graduated,
            "graduates": graduates,
        }))
        .reason(&reference);
    audit::record(&mut tx, school, actor, change).await?;
    let applied = plan.applies_now;
    if applied {
        apply_order(&mut tx, clock, school, actor, order_id).await?;
    }
    tx.commit().await?;
    Ok(Recorded {
        reference,
        effective_on: order.effective_on,
        applied,
        promoted,
        repeating,
        graduated,
    })
}

/// Cancels an order that has not taken effect yet; nothing of it was written but the order.
pub async fn cancel_promotion(
    pool: &PgPool,
    clock: &dyn Clock,
    access: &Access,
    actor: &Actor,
    year_id: i64,
    order_id: i64,
    today: NaiveDate,
) -> AppResult<String> {
    require(access)?;
    let school = access.school_id;
    let mut tx = pool.begin().await?;
    repo::year(&mut tx, school, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let order = orders::lock_order(&mut tx, school, order_id)
        .await?
        .filter(|o| o.academic_year_id == year_id)
        .ok_or(AppError::NotFound)?;
    if order.cancelled_at.is_some() {
        return Err(AppError::Refused(format!(
            "Приказ {} уже отменён.",
            order.reference()
        )));
    }
    if order.applied_at.is_some() || order.effective_on <= today {
        return Err(AppError::Refused(format!(
            "Приказ {} вступил в силу {}: отменить его нельзя.",
            order.reference(),
            order.effective()
        )));
    }
    orders::mark_cancelled(&mut tx, school, order_id, actor.account_id, clock.now()).await?;
    let reference = order.reference();
    let change = Change::new("promotion_order.cancelled", "promotion_order", order_id)
        .before(json!({
            "order_number": order.order_number,
            "order_date": order.order_date,
            "effective_on": order.effective_on,
        }))
        .reason(&reference);
    audit::record(&mut tx, school, actor, change).await?;
    tx.commit().await?;
    Ok(reference)
}

/// The year's order that waits for its date or has taken effect (not cancelled), if any.
pub async fn current_order(
    pool: &PgPool,
    access: &Access,
    year_id: i64,
) -> AppResult<Option<orders::OrderRow>> {
    let mut conn = pool.acquire().await?;
    Ok(orders::latest_order(&mut conn, access.school_id, year_id).await?)
}

/// Writes the movements of an order whose date has come: each pupil it names who is still in a
/// class of the year moves up, repeats, or leaves as a graduate (their family's access ends).
/// Pupils who left or moved out of the year since are passed over. `None` if the order was
/// already applied or cancelled (the row is locked first, so two appliers never both write).
async fn apply_order(
    conn: &mut PgConnection,
    clock: &dyn Clock,
    school: SchoolId,
    actor: &Actor,
    order_id: i64,
) -> AppResult<Option<(usize, usize, usize)>> {
    let Some(order) = orders::lock_order(conn, school, order_id).await? else {
        return Ok(None);
    };
    if order.applied_at.is_some() || order.cancelled_at.is_some() {
        return Ok(None);
    }
    let order_ref = order.reference();
    let year = repo::year(conn, school, order.academic_year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let next = repo::year(conn, school, order.next_year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut classes_of_year = HashMap::new();
    for class in pupils::classes_in(conn, school, year.id).await? {
        classes_of_year.insert(class.id, class);
    }
    let mut next_classes = pupils::classes_in(conn, school, next.id).await?;
    let (mut promoted, mut repeating, mut graduated) = (0, 0, 0);
    let mut passed_over = Vec::new();
    for outcome in orders::outcomes(conn, school, order_id).await? {
        let pupil_id = outcome.pupil_id;
        let open = pupils::open_enrollment(conn, school, pupil_id).await?;
        let Some((enrollment, class, since)) =
            open.and_then(|o| Some((o.id, classes_of_year.get(&o.class_id)?.clone(), o.starts_on)))
        else {
            passed_over.push(pupil_id);
            continue;
        };
        let decision = Decision::of_outcome(&outcome.outcome);
        if decision == Decision::Graduate {
            let on = order.effective_on.max(since);
            pupils::close_enrollment(conn, school, enrollment, on).await?;
            let m = Movement {
                pupil_id,
                kind: "withdrawal",
                on_date: on,
                from_class_id: Some(class.id),
                to_class_id: None,
                reason: "выпуск",
                order_ref: &order_ref,
            };
            pupils::insert_movement(conn, school, &m).await?;
            let revoked = pupils::revoke_family_access(conn, school, pupil_id, clock.now()).await?;
            let change = Change::new("pupil.graduated", "pupil", pupil_id)
                .before(json!({"class_id": class.id}))
                .after(json!({"on_date": on, "access_revoked": revoked}))
                .reason(&order_ref);
            audit::record(conn, school, actor, change).await?;
            graduated += 1;
            continue;
        }
        pupils::close_enrollment(conn, school, enrollment, year.ends_on.max(since)).await?;
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
                    conn,
                    school,
                    actor,
                    next.id,
                    grade,
                    &class.letter,
                )
                .await?;
                pupils::set_class_regime(conn, school, id, class.shift, class.profile.as_deref())
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
        repo::insert_enrollment(conn, school, pupil_id, target, next.starts_on).await?;
        let reason = if decision == Decision::Promote {
            "перевод в следующий класс"
        } else {
            "оставлен на повторное обучение"
        };
        let m = Movement {
            pupil_id,
            kind: "promotion",
            on_date: next.starts_on,
            from_class_id: Some(class.id),
            to_class_id: Some(target),
            reason,
            order_ref: &order_ref,
        };
        pupils::insert_movement(conn, school, &m).await?;
        let change = Change::new("pupil.promoted", "pupil", pupil_id)
            .before(json!({"class_id": class.id}))
            .after(json!({"class_id": target, "repeats": decision == Decision::Repeat}))
            .reason(&order_ref);
        audit::record(conn, school, actor, change).await?;
        if decision == Decision::Promote {
            promoted += 1
        } else {
            repeating += 1
        }
    }
    orders::mark_applied(conn, school, order_id, clock.now()).await?;
    let change = Change::new("promotion_order.applied", "promotion_order", order_id)
        .after(json!({
            "effective_on": order.effective_on,
            "promoted": promoted,
            "repeating": repeating,
            "graduated": graduated,
            "passed_over": passed_over,
        }))
        .reason(&order_ref);
    audit::record(conn, school, actor, change).await?;
    Ok(Some((promoted, repeating, graduated)))
}

/// Applies every order whose effective date has come in its school's time zone; returns how
/// many. Each order in its own transaction: one that fails is logged, left waiting for the next
/// round, and does not hold up the others. Runs under `db::scope::all_schools` (the worker) or a
/// scope that sees the orders' school.
pub async fn apply_due(pool: &PgPool, clock: &dyn Clock) -> AppResult<usize> {
    let mut applied = 0;
    for waiting in orders::waiting(pool).await? {
        if waiting.effective_on > clock::local_today(clock, &waiting.time_zone) {
            continue;
        }
        match apply_due_order(pool, clock, &waiting).await {
            Ok(true) => applied += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(
                error = %e,
                school = waiting.school_id,
                order = waiting.order_id,
                "a promotion order could not be applied"
            ),
        }
    }
    Ok(applied)
}

async fn apply_due_order(
    pool: &PgPool,
    clock: &dyn Clock,
    waiting: &orders::Waiting,
) -> AppResult<bool> {
    let mut tx = pool.begin().await?;
    let done = apply_order(
        &mut tx,
        clock,
        SchoolId(waiting.school_id),
        &Actor::system(),
        waiting.order_id,
    )
    .await?;
    tx.commit().await?;
    Ok(done.is_some())
}

/// The worker that applies orders on their date: a round at start (orders that came due while
/// the server was down) and every `every` after. Aborted at shutdown: a round cut off rolls back
/// whole and is done again at the next start.
pub fn spawn_worker(
    pool: PgPool,
    clock: Arc<dyn Clock>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    // Every school's orders: one worker for all of them.
    tokio::spawn(crate::db::scope::all_schools(async move {
        loop {
            match apply_due(&pool, clock.as_ref()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(orders = n, "promotion orders took effect"),
                Err(e) => tracing::warn!(error = %e, "promotion orders round failed"),
            }
            tokio::time::sleep(every).await;
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eleventh_graduates_by_default_and_the_ninth_moves_up_unless_named() {
        assert_eq!(Decision::usual(11), Decision::Graduate);
        assert_eq!(Decision::usual(9), Decision::Promote);
        assert_eq!(Decision::usual(5), Decision::Promote);
        assert_eq!(Decision::parse("repeat"), Some(Decision::Repeat));
    }

    fn year() -> YearRow {
        YearRow {
            id: 1,
            name: "2026/2027".into(),
            starts_on: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2027, 8, 31).unwrap(),
            week_days: 5,
            closed: false,
        }
    }

    fn form(number: &str, date: &str, effective: &str) -> PromotionForm {
        PromotionForm {
            order_number: number.into(),
            order_date: date.into(),
            effective_on: effective.into(),
            decisions: HashMap::new(),
            confirmed: false,
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn an_order_takes_effect_at_the_years_end_unless_dated_after_the_last_period() {
        let periods_end = Some(d(2027, 5, 31));
        let november = d(2026, 11, 30);
        let ok = check_order(
            &form("№ 112", "30.11.2026", ""),
            &year(),
            periods_end,
            november,
        )
        .unwrap();
        assert_eq!(ok.number, "112");
        assert_eq!(ok.effective_on, d(2027, 8, 31));
        // Graduates after the state exams: late June.
        let june = check_order(
            &form("201", "28.06.2027", "28.06.2027"),
            &year(),
            periods_end,
            d(2027, 7, 2),
        )
        .unwrap();
        assert_eq!(june.effective_on, d(2027, 6, 28));
        for effective in ["30.11.2026", "31.05.2027", "01.09.2027"] {
            let e = check_order(
                &form("1", "30.11.2026", effective),
                &year(),
                periods_end,
                november,
            )
            .unwrap_err();
            assert!(
                e.get("effective_on").unwrap().contains("с 01.06.2027"),
                "{effective}"
            );
        }
        let e = check_order(
            &form(" № ", "01.12.2026", ""),
            &year(),
            periods_end,
            november,
        )
        .unwrap_err();
        assert_eq!(e.get("order_number"), Some("Укажите номер приказа."));
        assert!(
            e.get("order_date")
                .unwrap()
                .contains("не позже сегодняшней")
        );
        let e = check_order(
            &form("5", "02.06.2027", "01.06.2027"),
            &year(),
            periods_end,
            d(2027, 6, 3),
        )
        .unwrap_err();
        assert!(
            e.get("effective_on")
                .unwrap()
                .contains("не раньше даты приказа")
        );
    }
}
