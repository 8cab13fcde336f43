//! Issuing credentials in bulk: to the pupils and parents of a class (by its class teacher or the
//! administrator), and to staff who have not logged in yet (by the administrator). Regulations
//! §7: personal credentials handed over against a signature — the slips are printed at once and
//! the passwords are never stored in clear.

use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::repo::{self, NewAccount};
use super::service::{Grant, create_account};
use crate::audit::{self, Actor, Change};
use crate::auth::password;
use crate::auth::repo as auth_repo;
use crate::authz::{Access, Role};
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::pupils::repo as pupils;
use crate::tenancy::SchoolId;

/// One person's new credentials, for a printed slip.
#[derive(Debug, Clone)]
pub struct Slip {
    pub full_name: String,
    /// «обучающийся, 5Б», «родитель (мать): Морозов Иван, 5Б», «учитель».
    pub role: String,
    pub login: String,
    pub password: String,
}

/// What a bulk issue did.
#[derive(Debug, Clone, Default)]
pub struct IssueReport {
    pub slips: Vec<Slip>,
    /// Parents who refused personal-data processing get no electronic access.
    pub refused_consent: Vec<String>,
}

async fn new_account(
    conn: &mut PgConnection,
    school: SchoolId,
    actor: &Actor,
    names: (&str, &str, &str),
    grant: Grant,
) -> AppResult<(i64, String, String)> {
    let stem = super::login_stem(names.0, names.1, names.2);
    let login = repo::free_login(conn, &stem).await?;
    let pass = password::generate();
    let hash = password::hash_async(pass.clone()).await?;
    let account = NewAccount {
        login: login.clone(),
        last_name: names.0.to_string(),
        first_name: names.1.to_string(),
        middle_name: names.2.to_string(),
        email: None,
        must_change_password: true,
        is_operator: false,
    };
    let id = create_account(conn, school, actor, &account, &hash, grant).await?;
    Ok((id, login, pass))
}

/// Gives every pupil of the class and every parent on record (who did not refuse consent) an
/// account, unless they have one; returns their slips.
pub async fn issue_for_class(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    class_id: i64,
) -> AppResult<IssueReport> {
    if !access.can_keep_family_data(Some(class_id)) {
        let mut conn = pool.acquire().await?;
        pupils::class(&mut conn, access.school_id, class_id)
            .await?
            .ok_or(AppError::NotFound)?;
        return Err(AppError::Forbidden);
    }
    let mut tx = pool.begin().await?;
    let class = pupils::class(&mut tx, access.school_id, class_id)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::school_year::calendar::open_year_of_class(&mut tx, access.school_id, class_id).await?;
    let list = pupils::class_pupils(&mut *tx, access.school_id, class_id).await?;
    let with_accounts = repo::pupils_with_accounts(&mut tx, access.school_id, class_id).await?;
    let parents = pupils::class_parents(&mut *tx, access.school_id, class_id).await?;
    let mut report = IssueReport::default();
    for pupil in &list {
        if !with_accounts.contains(&pupil.id) {
            let grant = Grant {
                role: Role::Pupil,
                class_id: None,
                pupil_id: Some(pupil.id),
            };
            let (_, login, password) = new_account(
                &mut tx,
                access.school_id,
                actor,
                (&pupil.last_name, &pupil.first_name, &pupil.middle_name),
                grant,
            )
            .await?;
            report.slips.push(Slip {
                full_name: pupil.full_name(),
                role: format!("обучающийся, {}", class.name()),
                login,
                password,
            });
        }
        for parent in parents
            .iter()
            .filter(|p| p.pupil_id == pupil.id && !p.has_account)
        {
            if parent.pd_consent == Some(false) {
                report
                    .refused_consent
                    .push(parent.full_name.trim().to_string());
                continue;
            }
            let names = repo::parent_names(&mut tx, access.school_id, parent.parent_id).await?;
            let grant = Grant {
                role: Role::Parent,
                class_id: None,
                pupil_id: Some(pupil.id),
            };
            let (account, login, password) = new_account(
                &mut tx,
                access.school_id,
                actor,
                (&names.0, &names.1, &names.2),
                grant,
            )
            .await?;
            pupils::link_account(&mut tx, access.school_id, parent.parent_id, account).await?;
            let role = format!(
                "родитель ({}): {}, {}",
                parent.relation,
                pupil.full_name(),
                class.name()
            );
            report.slips.push(Slip {
                full_name: parent.full_name.trim().to_string(),
                role,
                login,
                password,
            });
        }
    }
    let change = Change::new("credentials.issued", "class", class_id).after(
        json!({"accounts": report.slips.len(), "refused_consent": report.refused_consent.len()}),
    );
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(report)
}

/// New passwords for the school's staff who have never logged in (their issued password is
/// still unchanged) and work in this school only; returns their slips.
pub async fn reissue_for_staff(
    pool: &PgPool,
    clock: &dyn Clock,
    access: &Access,
    actor: &Actor,
) -> AppResult<IssueReport> {
    if !access.can_manage_accounts() {
        return Err(AppError::Forbidden);
    }
    let mut tx = pool.begin().await?;
    let staff = repo::staff_awaiting_first_login(&mut tx, access.school_id).await?;
    let mut report = IssueReport::default();
    for (account_id, full_name, login, roles) in staff {
        let pass = password::generate();
        let hash = password::hash_async(pass.clone()).await?;
        auth_repo::set_password(&mut tx, account_id, &hash, true, clock.now()).await?;
        auth_repo::end_sessions(&mut tx, account_id, None).await?;
        let change = Change::new("account.password_reset", "account", account_id)
            .after(json!({"must_change_password": true}));
        audit::record(&mut tx, access.school_id, actor, change).await?;
        let role = roles
            .iter()
            .filter_map(|r| r.parse::<Role>().ok())
            .map(|r| r.label().to_lowercase())
            .collect::<Vec<_>>()
            .join(", ");
        report.slips.push(Slip {
            full_name,
            role,
            login,
            password: pass,
        });
    }
    tx.commit().await?;
    Ok(report)
}
