//! Every write to classes, pupils, parents and movement: permission, validation, write, audit.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::repo::{self, Movement, NewParent};
use crate::accounts::service::{Grant, check_email, check_name};
use crate::audit::{self, Actor, Change};
use crate::authz::{Access, Role};
use crate::clock::Clock;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::input;
use crate::school_year::calendar::parse_date;
use crate::school_year::service::{NewPupil, create_class, enrol_pupil};

fn require(allowed: bool) -> AppResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// «5Б», «5 б», «5-Б», «5«Б»» → (5, «Б»).
pub fn parse_class_name(text: &str) -> Option<(i16, String)> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let grade: i16 = digits.parse().ok().filter(|g| (1..=11).contains(g))?;
    let letter: String = text[digits.len()..]
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '«' | '»' | '"'))
        .flat_map(char::to_uppercase)
        .collect();
    let ok = (1..=3).contains(&letter.chars().count())
        && letter.chars().all(|c| ('А'..='Я').contains(&c) || c == 'Ё');
    ok.then_some((grade, letter))
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClassForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub shift: String,
    #[serde(default)]
    pub profile: String,
}

fn shift_and_profile(errors: &mut FieldErrors, form: &ClassForm) -> (i16, Option<String>) {
    let shift = match form.shift.trim() {
        "" | "1" => 1,
        "2" => 2,
        _ => {
            errors.add("c_shift", "Смена — первая или вторая.");
            1
        }
    };
    let profile = form
        .profile
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if profile.chars().count() > 100 {
        errors.add("c_profile", "Профиль: не больше 100 символов.");
    }
    input::line(errors, "c_profile", &profile, 100);
    (shift, (!profile.is_empty()).then_some(profile))
}

/// Opens a class in a year.
pub async fn add_class(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    year_id: i64,
    form: &ClassForm,
) -> AppResult<i64> {
    require(access.can_manage_pupils())?;
    let mut errors = FieldErrors::new();
    let name = parse_class_name(form.name.trim());
    if name.is_none() {
        errors.add("c_name", "Класс — параллель и буква, например 5Б.");
    }
    let (shift, profile) = shift_and_profile(&mut errors, form);
    errors.into_result()?;
    let (grade, letter) = name.expect("checked");
    let mut tx = pool.begin().await?;
    crate::school_year::calendar::open_year(&mut tx, access.school_id, year_id).await?;
    if repo::class_taken(&mut tx, access.school_id, year_id, grade, &letter).await? {
        return Err(AppError::invalid(
            "c_name",
            format!("Класс {grade}{letter} уже есть."),
        ));
    }
    let id = create_class(&mut tx, access.school_id, actor, year_id, grade, &letter).await?;
    repo::set_class_regime(&mut tx, access.school_id, id, shift, profile.as_deref()).await?;
    tx.commit().await?;
    Ok(id)
}

/// Makes a teacher of the school the class teacher of a class (the previous one loses the role).
pub async fn set_class_teacher(
    pool: &PgPool,
    clock: &dyn Clock,
    access: &Access,
    actor: &Actor,
    class_id: i64,
    account_id: &str,
) -> AppResult<()> {
    require(access.can_manage_pupils())?;
    let mut tx = pool.begin().await?;
    repo::class(&mut tx, access.school_id, class_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let account_id: i64 = account_id
        .trim()
        .parse()
        .map_err(|_| AppError::invalid("teacher", "Выберите учителя."))?;
    if !repo::is_teacher(&mut tx, access.school_id, account_id).await? {
        return Err(AppError::invalid("teacher", "Выберите учителя этой школы."));
    }
    for old in repo::class_teacher_memberships(&mut tx, access.school_id, class_id).await? {
        crate::accounts::repo::revoke_membership(&mut tx, access.school_id, old, clock.now())
            .await?;
        let change = Change::new("membership.revoked", "membership", old)
            .before(json!({"role": "class_teacher", "class_id": class_id}));
        audit::record(&mut tx, access.school_id, actor, change).await?;
    }
    let grant = Grant {
        role: Role::ClassTeacher,
        class_id: Some(class_id),
        pupil_id: None,
    };
    let id = crate::accounts::repo::insert_membership(
        &mut tx,
        access.school_id,
        account_id,
        grant.role,
        grant.class_id,
        None,
    )
    .await?;
    let change = Change::new("membership.granted", "membership", id)
        .after(json!({"account_id": account_id, "role": "class_teacher", "class_id": class_id}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PupilForm {
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub middle_name: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub since: String,
    #[serde(default)]
    pub order_ref: String,
}

/// Enrols a new pupil into a class from a date.
pub async fn enrol(
    pool: &PgPool,
    clock: &dyn Clock,
    access: &Access,
    actor: &Actor,
    class_id: i64,
    form: &PupilForm,
) -> AppResult<i64> {
    require(access.can_manage_pupils())?;
    let mut errors = FieldErrors::new();
    check_name(&mut errors, "p_last_name", &form.last_name, true);
    check_name(&mut errors, "p_first_name", &form.first_name, true);
    check_name(&mut errors, "p_middle_name", &form.middle_name, false);
    let today = clock.now().date_naive();
    let birth = parse_date(&form.birth_date);
    match birth {
        Some(b) if b < today && b > today - chrono::Duration::days(365 * 25) => {}
        _ => errors.add("p_birth_date", "Дата рождения, например 14.03.2015."),
    }
    let sex = match form.sex.as_str() {
        "m" | "f" => Some(form.sex.as_str()),
        _ => {
            errors.add("p_sex", "Укажите пол.");
            None
        }
    };
    let since = parse_date(&form.since);
    if since.is_none() {
        errors.add("p_since", "Дата зачисления, например 01.09.2026.");
    }
    errors.into_result()?;
    let mut tx = pool.begin().await?;
    crate::school_year::calendar::open_year_of_class(&mut tx, access.school_id, class_id).await?;
    let pupil = NewPupil {
        last_name: form.last_name.trim(),
        first_name: form.first_name.trim(),
        middle_name: form.middle_name.trim(),
        birth_date: birth,
        sex,
    };
    let id = enrol_pupil(
        &mut tx,
        access.school_id,
        actor,
        &pupil,
        class_id,
        since.expect("checked"),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The pupil's class now, after checking that the person may keep this family's data.
async fn family_scope(conn: &mut PgConnection, access: &Access, pupil_id: i64) -> AppResult<()> {
    let pupil = repo::pupil(conn, access.school_id, pupil_id)
        .await?
        .ok_or(AppError::NotFound)?;
    require(access.can_keep_family_data(pupil.class_id))
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ParentForm {
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub middle_name: String,
    #[serde(default)]
    pub relation: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
}

/// «8 (912) 345-67-89», «+7 912 345 67 89», «9123456789» → «+79123456789».
pub fn normalise_phone(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.len() {
        10 => digits.as_str(),
        11 if digits.starts_with('7') || digits.starts_with('8') => &digits[1..],
        _ => return None,
    };
    Some(format!("+7{national}"))
}

/// Adds a parent (or guardian) of a pupil.
pub async fn add_parent(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    pupil_id: i64,
    form: &ParentForm,
) -> AppResult<i64> {
    let mut errors = FieldErrors::new();
    check_name(&mut errors, "a_last_name", &form.last_name, true);
    check_name(&mut errors, "a_first_name", &form.first_name, true);
    check_name(&mut errors, "a_middle_name", &form.middle_name, false);
    let relation = form.relation.trim();
    if relation.is_empty() || relation.chars().count() > 40 {
        errors.add("a_relation", "Кем приходится: мать, отец, опекун…");
    }
    input::line(&mut errors, "a_relation", relation, 40);
    let phone = match form.phone.trim() {
        "" => None,
        p => {
            let n = normalise_phone(p);
            if n.is_none() {
                errors.add("a_phone", "Телефон, например +7 912 345-67-89.");
            }
            n
        }
    };
    let email = check_email(&mut errors, "a_email", &form.email);
    let mut tx = pool.begin().await?;
    family_scope(&mut tx, access, pupil_id).await?;
    errors.into_result()?;
    let parent = NewParent {
        last_name: form.last_name.trim().into(),
        first_name: form.first_name.trim().into(),
        middle_name: form.middle_name.trim().into(),
        phone,
        email,
    };
    let id = add_parent_in_tx(
        &mut tx,
        access.school_id,
        actor,
        pupil_id,
        &parent,
        relation,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Records a parent of a pupil in the caller's transaction (pages, imports and the demo).
pub async fn add_parent_in_tx(
    conn: &mut PgConnection,
    school: crate::tenancy::SchoolId,
    actor: &Actor,
    pupil_id: i64,
    parent: &NewParent,
    relation: &str,
) -> AppResult<i64> {
    let id = repo::insert_parent(conn, school, parent).await?;
    repo::link_parent(conn, school, pupil_id, id, relation).await?;
    let after = json!({
        "last_name": parent.last_name, "first_name": parent.first_name, "middle_name": parent.middle_name,
        "phone": parent.phone, "email": parent.email, "relation": relation, "pupil_id": pupil_id,
    });
    audit::record(
        conn,
        school,
        actor,
        Change::new("parent.added", "parent", id).after(after),
    )
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConsentForm {
    /// «yes» or «no».
    #[serde(default)]
    pub consent: String,
    #[serde(default)]
    pub on: String,
}

/// Records a parent's consent to (or refusal of) personal-data processing (000 §3).
pub async fn record_consent(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    pupil_id: i64,
    parent_id: i64,
    form: &ConsentForm,
) -> AppResult<()> {
    let mut tx = pool.begin().await?;
    family_scope(&mut tx, access, pupil_id).await?;
    let before = repo::parent_consent(&mut tx, access.school_id, pupil_id, parent_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let consent = match form.consent.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.add(
                "consent",
                "Отметьте: согласие дано или в согласии отказано.",
            );
            None
        }
    };
    let on = parse_date(&form.on);
    if on.is_none() {
        errors.add("consent", "Укажите дату, например 01.09.2026.");
    }
    errors.into_result()?;
    let (consent, on) = (consent.expect("checked"), on.expect("checked"));
    repo::set_consent(&mut tx, access.school_id, parent_id, consent, on).await?;
    let change = Change::new("parent.pd_consent", "parent", parent_id)
        .before(json!({"pd_consent": before.0, "pd_consent_on": before.1}))
        .after(json!({"pd_consent": consent, "pd_consent_on": on}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    pub to_class: String,
    #[serde(default)]
    pub on: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub order_ref: String,
}

fn check_move(errors: &mut FieldErrors, form: &MoveForm) -> Option<NaiveDate> {
    let on = parse_date(&form.on);
    if on.is_none() {
        errors.add("m_on", "Дата, например 15.01.2027.");
    }
    if form.reason.trim().is_empty() || form.reason.chars().count() > 500 {
        errors.add("m_reason", "Укажите причину (до 500 символов).");
    }
    if form.order_ref.chars().count() > 100 {
        errors.add("m_order_ref", "Номер приказа: до 100 символов.");
    }
    input::line(errors, "m_reason", &form.reason, 500);
    input::line(errors, "m_order_ref", &form.order_ref, 100);
    on
}

/// Transfers a pupil to another class of the same year from a date; the history is kept.
pub async fn transfer(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    pupil_id: i64,
    form: &MoveForm,
) -> AppResult<()> {
    require(access.can_manage_pupils())?;
    let mut errors = FieldErrors::new();
    let on = check_move(&mut errors, form);
    let to_class: Option<i64> = form.to_class.trim().parse().ok();
    if to_class.is_none() {
        errors.add("m_to_class", "Выберите класс.");
    }
    let mut tx = pool.begin().await?;
    let repo::OpenEnrollment {
        id: enrollment,
        class_id: from_class,
        starts_on: since,
        ..
    } = repo::open_enrollment(&mut tx, access.school_id, pupil_id)
        .await?
        .ok_or(AppError::Refused(
            "Обучающийся сейчас не числится ни в одном классе.".into(),
        ))?;
    errors.into_result()?;
    let (on, to_class) = (on.expect("checked"), to_class.expect("checked"));
    let from_year = repo::class_year(&mut tx, access.school_id, from_class).await?;
    let to_year = repo::class_year(&mut tx, access.school_id, to_class)
        .await?
        .ok_or(AppError::NotFound)?;
    if Some(to_year) != from_year || to_class == from_class {
        return Err(AppError::invalid(
            "m_to_class",
            "Выберите другой класс того же учебного года.",
        ));
    }
    if on <= since {
        return Err(AppError::invalid(
            "m_on",
            format!("Перевод возможен после {}.", since.format("%d.%m.%Y")),
        ));
    }
    repo::close_enrollment(
        &mut tx,
        access.school_id,
        enrollment,
        on - chrono::Duration::days(1),
    )
    .await?;
    crate::school_year::repo::insert_enrollment(&mut tx, access.school_id, pupil_id, to_class, on)
        .await?;
    let movement = Movement {
        pupil_id,
        kind: "transfer",
        on_date: on,
        from_class_id: Some(from_class),
        to_class_id: Some(to_class),
        reason: form.reason.trim(),
        order_ref: form.order_ref.trim(),
    };
    let id = repo::insert_movement(&mut tx, access.school_id, &movement).await?;
    let change = Change::new("pupil.transferred", "pupil", pupil_id)
        .before(json!({"class_id": from_class}))
        .after(json!({"class_id": to_class, "on_date": on, "movement_id": id}))
        .reason(form.reason.trim());
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

/// Withdraws a pupil on a date: the class list keeps them until then, the record stays, and the
/// family's access to the diary ends.
pub async fn withdraw(
    pool: &PgPool,
    clock: &dyn Clock,
    access: &Access,
    actor: &Actor,
    pupil_id: i64,
    form: &MoveForm,
) -> AppResult<()> {
    require(access.can_manage_pupils())?;
    let mut errors = FieldErrors::new();
    let on = check_move(&mut errors, form);
    let mut tx = pool.begin().await?;
    let repo::OpenEnrollment {
        id: enrollment,
        class_id: from_class,
        starts_on: since,
        time_zone,
    } = repo::open_enrollment(&mut tx, access.school_id, pupil_id)
        .await?
        .ok_or(AppError::Refused("Обучающийся уже выбыл.".into()))?;
    errors.into_result()?;
    let on = on.expect("checked");
    if on < since {
        return Err(AppError::invalid(
            "m_on",
            format!("Выбытие возможно с {}.", since.format("%d.%m.%Y")),
        ));
    }
    // The family's access ends when the withdrawal is recorded: a date still to come would cut
    // them off before the pupil has left (as a promotion run mid-year did, issue 12).
    let today = crate::clock::local_today(clock, &time_zone);
    if on > today {
        return Err(AppError::invalid(
            "m_on",
            format!(
                "Выбытие оформляется в день выбытия или позже: {} ещё не наступило (сегодня {}). До этого дня обучающийся и его родители пользуются дневником.",
                on.format("%d.%m.%Y"),
                today.format("%d.%m.%Y")
            ),
        ));
    }
    repo::close_enrollment(&mut tx, access.school_id, enrollment, on).await?;
    let movement = Movement {
        pupil_id,
        kind: "withdrawal",
        on_date: on,
        from_class_id: Some(from_class),
        to_class_id: None,
        reason: form.reason.trim(),
        order_ref: form.order_ref.trim(),
    };
    repo::insert_movement(&mut tx, access.school_id, &movement).await?;
    let revoked =
        repo::revoke_family_access(&mut tx, access.school_id, pupil_id, clock.now()).await?;
    let change = Change::new("pupil.withdrawn", "pupil", pupil_id)
        .before(json!({"class_id": from_class}))
        .after(json!({"on_date": on, "access_revoked": revoked}))
        .reason(form.reason.trim());
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_are_read_as_schools_write_them() {
        assert_eq!(parse_class_name("5Б"), Some((5, "Б".into())));
        assert_eq!(parse_class_name("5 б"), Some((5, "Б".into())));
        assert_eq!(parse_class_name("11-А"), Some((11, "А".into())));
        assert_eq!(parse_class_name("5«Б»"), Some((5, "Б".into())));
        assert_eq!(parse_class_name("12А"), None);
        assert_eq!(parse_class_name("5B"), None, "a Latin letter is refused");
        assert_eq!(parse_class_name("Б"), None);
    }

    #[test]
    fn phones_are_normalised_to_plus_seven() {
        assert_eq!(
            normalise_phone("8 (912) 345-67-89").as_deref(),
            Some("+79123456789")
        );
        assert_eq!(
            normalise_phone("+7 912 345 67 89").as_deref(),
            Some("+79123456789")
        );
        assert_eq!(
            normalise_phone("9123456789").as_deref(),
            Some("+79123456789")
        );
        assert_eq!(normalise_phone("12345"), None);
    }
}
