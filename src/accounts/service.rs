//! Every write to accounts and roles in a school: permission, validation, write and audit in one
//! transaction.

use serde::Deserialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::repo::{self, NewAccount};
use crate::audit::{self, Actor, Change};
use crate::auth::password;
use crate::auth::repo as auth_repo;
use crate::authz::{Access, Role};
use crate::clock::Clock;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::input;
use crate::tenancy::SchoolId;

/// Credentials just issued: shown once, never stored in clear.
#[derive(Debug, Clone)]
pub struct Issued {
    pub account_id: i64,
    pub full_name: String,
    pub login: String,
    pub password: String,
}

/// A role to hold in the school, with its scope.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    pub role: Role,
    pub class_id: Option<i64>,
    pub pupil_id: Option<i64>,
}

impl Grant {
    pub fn staff(role: Role) -> Self {
        Self {
            role,
            class_id: None,
            pupil_id: None,
        }
    }
}

/// Creates an account holding `grant` in the school, with the audit trail. The one way
/// accounts come into being (pages, the command line, the demo all call it).
pub async fn create_account(
    conn: &mut PgConnection,
    school_id: SchoolId,
    actor: &Actor,
    account: &NewAccount,
    password_hash: &str,
    grant: Grant,
) -> AppResult<i64> {
    let account_id = repo::insert_account(conn, account, password_hash).await?;
    audit::record(
        conn,
        school_id,
        actor,
        Change::new("account.created", "account", account_id).after(json!({
            "login": account.login,
            "last_name": account.last_name,
            "first_name": account.first_name,
            "middle_name": account.middle_name,
            "email": account.email,
        })),
    )
    .await?;
    grant_in_tx(conn, school_id, actor, account_id, grant).await?;
    Ok(account_id)
}

async fn grant_in_tx(
    conn: &mut PgConnection,
    school_id: SchoolId,
    actor: &Actor,
    account_id: i64,
    grant: Grant,
) -> AppResult<i64> {
    let membership_id = repo::insert_membership(
        conn,
        school_id,
        account_id,
        grant.role,
        grant.class_id,
        grant.pupil_id,
    )
    .await?;
    audit::record(
        conn,
        school_id,
        actor,
        Change::new("membership.granted", "membership", membership_id).after(json!({
            "account_id": account_id,
            "role": grant.role,
            "class_id": grant.class_id,
            "pupil_id": grant.pupil_id,
        })),
    )
    .await?;
    Ok(membership_id)
}

/// The form for a new staff member.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewStaff {
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub middle_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub position: String,
}

/// Checks a person's name fields; shared by every form that names a person.
pub fn check_name(errors: &mut FieldErrors, field: &'static str, value: &str, required: bool) {
    let value = value.trim();
    if value.is_empty() {
        if required {
            errors.add(field, "Заполните это поле.");
        }
    } else if value.chars().count() > 100 {
        errors.add(field, "Не больше 100 символов.");
    } else if !value
        .chars()
        .all(|c| c.is_alphabetic() || c == '-' || c == ' ' || c == '\'')
    {
        errors.add(field, "Только буквы, дефис и пробел.");
    }
}

pub fn check_email(errors: &mut FieldErrors, field: &'static str, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if !input::line(errors, field, value, 200) {
        return Some(value.to_string());
    }
    let ok = value.len() <= 200
        && value.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !value.contains(char::is_whitespace)
        });
    if !ok {
        errors.add(
            field,
            "Введите адрес электронной почты, например ivanova@mail.ru.",
        );
    }
    Some(value.to_string())
}

pub fn check_login(errors: &mut FieldErrors, field: &'static str, value: &str) -> Option<String> {
    let value = value.trim().to_lowercase();
    if value.is_empty() {
        return None;
    }
    let mut chars = value.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !(first_ok && rest_ok && (2..=64).contains(&value.len())) {
        errors.add(
            field,
            "Логин: от 2 до 64 латинских букв, цифр, точек, дефисов; начинается с буквы или цифры.",
        );
    }
    Some(value)
}

fn require_manager(access: &Access) -> AppResult<()> {
    if access.can_manage_accounts() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn parse_staff_role(errors: &mut FieldErrors, value: &str) -> Option<Role> {
    match value.parse::<Role>() {
        Ok(role) if Role::STAFF.contains(&role) => Some(role),
        _ => {
            errors.add("role", "Выберите роль.");
            None
        }
    }
}

/// Issues credentials to a new staff member of the school.
pub async fn create_staff(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    input: &NewStaff,
) -> AppResult<Issued> {
    require_manager(access)?;
    let mut errors = FieldErrors::new();
    check_name(&mut errors, "last_name", &input.last_name, true);
    check_name(&mut errors, "first_name", &input.first_name, true);
    check_name(&mut errors, "middle_name", &input.middle_name, false);
    let email = check_email(&mut errors, "email", &input.email);
    let login = check_login(&mut errors, "login", &input.login);
    let role = parse_staff_role(&mut errors, &input.role);
    let position = input
        .position
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if position.chars().count() > 100 {
        errors.add("position", "Должность: не больше 100 символов.");
    }
    input::line(&mut errors, "position", &position, 100);
    errors.clone().into_result()?;
    let role = role.expect("checked above");

    let mut tx = pool.begin().await?;
    let login = match login {
        Some(login) => {
            if repo::login_taken(&mut tx, &login).await? {
                return Err(AppError::invalid("login", "Этот логин уже занят."));
            }
            login
        }
        None => {
            let stem = super::login_stem(&input.last_name, &input.first_name, &input.middle_name);
            repo::free_login(&mut tx, &stem).await?
        }
    };
    let account = NewAccount {
        login: login.clone(),
        last_name: input.last_name.trim().to_string(),
        first_name: input.first_name.trim().to_string(),
        middle_name: input.middle_name.trim().to_string(),
        email,
        must_change_password: true,
        is_operator: false,
    };
    let password = password::generate();
    let hash = password::hash_async(password.clone()).await?;
    let created = create_account(
        &mut tx,
        access.school_id,
        actor,
        &account,
        &hash,
        Grant::staff(role),
    )
    .await;
    let account_id = match created {
        // Two forms for one name at once: the other took the login between our check and
        // our insert. Nothing was written; sending the form again picks the next free login.
        Err(AppError::Database(e)) if crate::error::is_unique_violation(&e) => {
            return Err(AppError::invalid(
                "login",
                "Этот логин только что занял другой пользователь. Отправьте форму ещё раз.",
            ));
        }
        other => other?,
    };
    if !position.is_empty() {
        repo::set_position(&mut tx, access.school_id, account_id, Some(&position)).await?;
    }
    tx.commit().await?;
    Ok(Issued {
        account_id,
        full_name: format!(
            "{} {} {}",
            account.last_name, account.first_name, account.middle_name
        )
        .trim()
        .to_string(),
        login,
        password,
    })
}

/// Gives a person of the school one more staff role.
pub async fn grant_role(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    account_id: i64,
    role: &str,
) -> AppResult<()> {
    require_manager(access)?;
    let mut tx = pool.begin().await?;
    repo::person(&mut tx, access.school_id, account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let role = parse_staff_role(&mut errors, role);
    errors.into_result()?;
    let role = role.expect("checked above");
    if repo::has_active_role(&mut tx, access.school_id, account_id, role).await? {
        return Err(AppError::Refused(format!(
            "У пользователя уже есть роль «{}».",
            role.label()
        )));
    }
    grant_in_tx(
        &mut tx,
        access.school_id,
        actor,
        account_id,
        Grant::staff(role),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes a role away (the membership is kept, marked revoked).
pub async fn revoke_role(
    pool: &PgPool,
    clock: &dyn Clock,
    access: &Access,
    actor: &Actor,
    account_id: i64,
    membership_id: i64,
) -> AppResult<()> {
    require_manager(access)?;
    let mut tx = pool.begin().await?;
    let role = repo::active_membership(&mut tx, access.school_id, account_id, membership_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if actor.account_id == Some(account_id) && matches!(role.as_str(), "administrator" | "director")
    {
        return Err(AppError::Refused(
            "Нельзя снять с себя роль, дающую право управлять пользователями: \
             попросите об этом другого администратора."
                .into(),
        ));
    }
    repo::revoke_membership(&mut tx, access.school_id, membership_id, clock.now()).await?;
    audit::record(
        &mut tx,
        access.school_id,
        actor,
        Change::new("membership.revoked", "membership", membership_id)
            .before(json!({ "account_id": account_id, "role": role })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Grants or takes back an administrator's timetable permission («диспетчер расписания»,
/// regulations §1–2: an administrator edits the timetable only with it).
pub async fn set_timetable_editor(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    account_id: i64,
    membership_id: i64,
    on: bool,
) -> AppResult<()> {
    require_manager(access)?;
    let mut tx = pool.begin().await?;
    let role = repo::active_membership(&mut tx, access.school_id, account_id, membership_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if role != "administrator" {
        return Err(AppError::Refused(
            "Право составлять расписание даётся администратору; заместители директора имеют его всегда."
                .into(),
        ));
    }
    sqlx::query!(
        "UPDATE membership SET timetable_editor = $3 WHERE school_id = $1 AND id = $2",
        access.school_id.0,
        membership_id,
        on
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        access.school_id,
        actor,
        Change::new("membership.timetable_editor", "membership", membership_id)
            .before(json!({ "account_id": account_id, "timetable_editor": !on }))
            .after(json!({ "account_id": account_id, "timetable_editor": on })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Issues a new initial password and ends the person's sessions. Only for people who work in
/// this school alone: a school must not be able to take over an account another school uses.
pub async fn reset_password(
    pool: &PgPool,
    clock: &dyn Clock,
    access: &Access,
    actor: &Actor,
    account_id: i64,
) -> AppResult<Issued> {
    require_manager(access)?;
    let mut tx = pool.begin().await?;
    let person = repo::person(&mut tx, access.school_id, account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if person.other_schools > 0 {
        return Err(AppError::Refused(
            "Этот пользователь работает и в других школах: новый пароль ему выдаёт оператор \
             платформы."
                .into(),
        ));
    }
    let password = password::generate();
    let hash = password::hash_async(password.clone()).await?;
    auth_repo::set_password(&mut tx, account_id, &hash, true, clock.now()).await?;
    auth_repo::end_sessions(&mut tx, account_id, None).await?;
    audit::record(
        &mut tx,
        access.school_id,
        actor,
        Change::new("account.password_reset", "account", account_id)
            .after(json!({ "must_change_password": true })),
    )
    .await?;
    tx.commit().await?;
    Ok(Issued {
        account_id,
        full_name: format!(
            "{} {} {}",
            person.last_name, person.first_name, person.middle_name
        )
        .trim()
        .to_string(),
        login: person.login,
        password,
    })
}

/// Creates a platform operator (from the command line): an account of no school, which must
/// change the issued password.
pub async fn create_operator(
    pool: &PgPool,
    login: &str,
    last_name: &str,
    first_name: &str,
) -> AppResult<Issued> {
    let mut errors = FieldErrors::new();
    check_name(&mut errors, "last_name", last_name, true);
    check_name(&mut errors, "first_name", first_name, true);
    let login = check_login(&mut errors, "login", login);
    if login.is_none() {
        errors.add("login", "Укажите логин.");
    }
    errors.into_result()?;
    let login = login.expect("checked above");
    let password = password::generate();
    let hash = password::hash_async(password.clone()).await?;
    let mut tx = pool.begin().await?;
    if repo::login_taken(&mut tx, &login).await? {
        return Err(AppError::invalid("login", "Этот логин уже занят."));
    }
    let account = NewAccount {
        login: login.clone(),
        last_name: last_name.trim().into(),
        first_name: first_name.trim().into(),
        middle_name: String::new(),
        email: None,
        must_change_password: true,
        is_operator: true,
    };
    let account_id = repo::insert_account(&mut tx, &account, &hash).await?;
    tx.commit().await?;
    Ok(Issued {
        account_id,
        full_name: format!("{} {}", account.last_name, account.first_name),
        login,
        password,
    })
}
