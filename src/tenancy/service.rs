//! Creating a school with its first administrator (the platform operator's job).

use serde::Deserialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::SchoolId;
use super::repo::{self, NewSchoolRow};
use crate::accounts::repo::{NewAccount, free_login, login_taken};
use crate::accounts::service::{Grant, Issued, check_login, check_name, create_account};
use crate::audit::{self, Actor, Change};
use crate::auth::password;
use crate::authz::Role;
use crate::error::{AppError, AppResult, FieldErrors};

/// The form (or command line) for a new school.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewSchool {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub short_name: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub admin_last_name: String,
    #[serde(default)]
    pub admin_first_name: String,
    #[serde(default)]
    pub admin_middle_name: String,
    #[serde(default)]
    pub admin_login: String,
}

/// Russia's time zones, west to east.
pub const RUSSIAN_TIME_ZONES: [&str; 11] = [
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
];

/// A time zone as people name it: «Москва (МСК)» for `Europe/Moscow`; the name itself when it
/// is not one of [`RUSSIAN_TIME_ZONES`].
pub fn time_zone_label(zone: &str) -> &str {
    match zone {
        "Europe/Kaliningrad" => "Калининград (МСК−1)",
        "Europe/Moscow" => "Москва (МСК)",
        "Europe/Samara" => "Самара (МСК+1)",
        "Asia/Yekaterinburg" => "Екатеринбург (МСК+2)",
        "Asia/Omsk" => "Омск (МСК+3)",
        "Asia/Krasnoyarsk" => "Красноярск (МСК+4)",
        "Asia/Irkutsk" => "Иркутск (МСК+5)",
        "Asia/Yakutsk" => "Якутск (МСК+6)",
        "Asia/Vladivostok" => "Владивосток (МСК+7)",
        "Asia/Magadan" => "Магадан (МСК+8)",
        "Asia/Kamchatka" => "Петропавловск-Камчатский (МСК+9)",
        other => other,
    }
}

/// The created school and the first administrator's initial credentials.
#[derive(Debug, Clone)]
pub struct CreatedSchool {
    pub school_id: SchoolId,
    pub admin: Issued,
}

fn check(input: &NewSchool) -> (FieldErrors, String, Option<String>) {
    let mut errors = FieldErrors::new();
    let name_len = input.name.trim().chars().count();
    if !(3..=300).contains(&name_len) {
        errors.add("name", "Полное название: от 3 до 300 символов.");
    }
    let short_len = input.short_name.trim().chars().count();
    if !(2..=100).contains(&short_len) {
        errors.add("short_name", "Краткое название: от 2 до 100 символов.");
    }
    crate::input::line(&mut errors, "name", input.name.trim(), 300);
    crate::input::line(&mut errors, "short_name", input.short_name.trim(), 100);
    let slug = input.slug.trim().to_lowercase();
    let slug_ok = (2..=63).contains(&slug.len())
        && slug
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !slug_ok {
        errors.add(
            "slug",
            "Адрес: от 2 до 63 строчных латинских букв, цифр и дефисов, например school-1.",
        );
    }
    let zone = input.time_zone.trim();
    if !zone.is_empty() && zone.parse::<chrono_tz::Tz>().is_err() {
        errors.add("time_zone", "Неизвестный часовой пояс.");
    }
    check_name(&mut errors, "admin_last_name", &input.admin_last_name, true);
    check_name(
        &mut errors,
        "admin_first_name",
        &input.admin_first_name,
        true,
    );
    check_name(
        &mut errors,
        "admin_middle_name",
        &input.admin_middle_name,
        false,
    );
    let login = check_login(&mut errors, "admin_login", &input.admin_login);
    (errors, slug, login)
}

/// Creates a school and its first administrator, who must change the issued password.
pub async fn create_school(
    pool: &PgPool,
    actor: &Actor,
    input: &NewSchool,
) -> AppResult<CreatedSchool> {
    let password = password::generate();
    let hash = password::hash_async(password.clone()).await?;
    let mut tx = pool.begin().await?;
    let (school_id, admin) = create_in_tx(&mut tx, actor, input, &hash, true).await?;
    tx.commit().await?;
    Ok(CreatedSchool {
        school_id,
        admin: Issued { password, ..admin },
    })
}

/// Creates the school and its administrator with the given password hash, in the caller's
/// transaction (the demo seed gives a known password that need not be changed).
pub async fn create_in_tx(
    tx: &mut PgConnection,
    actor: &Actor,
    input: &NewSchool,
    admin_password_hash: &str,
    must_change_password: bool,
) -> AppResult<(SchoolId, Issued)> {
    let (errors, slug, login) = check(input);
    errors.into_result()?;
    let zone = match input.time_zone.trim() {
        "" => "Europe/Moscow",
        z => z,
    };
    if repo::slug_taken(tx, &slug).await? {
        return Err(AppError::invalid("slug", "Школа с таким адресом уже есть."));
    }
    let login = match login {
        Some(l) if login_taken(tx, &l).await? => {
            return Err(AppError::invalid("admin_login", "Этот логин уже занят."));
        }
        Some(l) => l,
        None => free_login(tx, &format!("admin-{slug}")).await?,
    };
    let row = NewSchoolRow {
        name: input.name.trim(),
        short_name: input.short_name.trim(),
        slug: &slug,
        time_zone: zone,
    };
    let school_id = repo::insert(tx, &row).await?;
    let after =
        json!({"name": row.name, "short_name": row.short_name, "slug": slug, "time_zone": zone});
    let change = Change::new("school.created", "school", school_id.0).after(after);
    audit::record(tx, school_id, actor, change).await?;
    let added = crate::catalogues::repo::add_default_work_types(tx, school_id).await?;
    let change = Change::new("work_type.defaults_added", "school", school_id.0)
        .after(json!({ "count": added }));
    audit::record(tx, school_id, actor, change).await?;
    let account = NewAccount {
        login: login.clone(),
        last_name: input.admin_last_name.trim().into(),
        first_name: input.admin_first_name.trim().into(),
        middle_name: input.admin_middle_name.trim().into(),
        email: None,
        must_change_password,
        is_operator: false,
    };
    let grant = Grant::staff(Role::Administrator);
    let account_id =
        create_account(tx, school_id, actor, &account, admin_password_hash, grant).await?;
    // The first administrator sets the school up, the timetable included.
    sqlx::query!(
        "UPDATE membership SET timetable_editor = true
         WHERE school_id = $1 AND account_id = $2 AND role = 'administrator'",
        school_id.0,
        account_id
    )
    .execute(&mut *tx)
    .await?;
    let full_name = format!(
        "{} {} {}",
        account.last_name, account.first_name, account.middle_name
    );
    Ok((
        school_id,
        Issued {
            account_id,
            full_name: full_name.trim().to_string(),
            login,
            password: String::new(),
        },
    ))
}
