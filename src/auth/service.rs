//! Logging in and changing one's own password.

use sqlx::PgPool;

use super::password;
use super::repo::{self, AccountEvent, EventKind, Origin};
use crate::clock::Clock;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::rules::login::{self as gate_rules, LockoutPolicy, LoginGate};

/// A login as typed, normalised: trimmed and lower-case.
pub fn normalise_login(login: &str) -> String {
    login.trim().to_lowercase()
}

#[derive(Debug, Clone, Copy)]
pub struct SignedIn {
    pub account_id: i64,
    pub must_change_password: bool,
    pub is_operator: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong login or password, or a disabled account: one message for all.
    #[error("invalid credentials")]
    Invalid,
    /// Too many failures: locked for this many more minutes.
    #[error("locked")]
    Locked { minutes: i64 },
    /// Too many failures from this address, whatever the logins: refused for this many minutes.
    #[error("address locked")]
    AddressLocked { minutes: i64 },
    #[error(transparent)]
    Other(#[from] AppError),
}

impl From<sqlx::Error> for LoginError {
    fn from(e: sqlx::Error) -> Self {
        LoginError::Other(e.into())
    }
}

/// Checks a login and password, slowing down and locking repeated failures (rules::login).
///
/// The gate is decided and the attempt written to the security log as a failure in one short
/// transaction holding the login's turn (and the address's, where its limit applies:
/// `repo::take_attempt_turn`), before the password is checked; a right password then turns the
/// entry into a success. So attempts sent at once — to one server or to several — are counted
/// one after another: the sixth of ten simultaneous guesses is locked like the sixth of ten in
/// a row, instead of all ten passing a gate that none of them had yet been counted by. No
/// connection is held while the attempt waits out its slow-down or its password is hashed.
pub async fn login(
    pool: &PgPool,
    clock: &dyn Clock,
    policy: &LockoutPolicy,
    login: &str,
    password: &str,
    origin: &Origin,
) -> Result<SignedIn, LoginError> {
    let login = normalise_login(login);
    let now = clock.now();
    let minutes_until =
        |until: chrono::DateTime<chrono::Utc>| (((until - now).num_seconds() + 59) / 60).max(1);
    // Read before the turn is taken: a transaction holding the turn never waits for a second
    // connection (the attempts queued behind it may hold all the others).
    let account = repo::find_by_login(pool, &login).await?;
    let mut tx = pool.begin().await?;
    // A login that signed in from this address lately is at home here (rules::login).
    let at_home = match origin.ip {
        Some(ip) => repo::signed_in_from(&mut tx, &login, ip, now - policy.known_for).await?,
        None => false,
    };
    let limited_ip = origin.ip.filter(|_| !at_home);
    repo::take_attempt_turn(&mut tx, &login, limited_ip).await?;
    if let Some(ip) = limited_ip {
        let address = policy.for_address();
        let failures = repo::address_failures(
            &mut tx,
            ip,
            now - gate_rules::lookback(&address),
            address.address_lock_after as i64,
        )
        .await?;
        if let LoginGate::Locked { until } = gate_rules::gate(&address, &failures, now) {
            // Not written to the security log: a flood must not grow it by a row a request.
            return Err(LoginError::AddressLocked {
                minutes: minutes_until(until),
            });
        }
    }
    let from = if at_home { origin.ip } else { None };
    let failures =
        repo::recent_failures(&mut tx, &login, from, now - gate_rules::lookback(policy)).await?;
    let event = |kind, account_id| AccountEvent {
        at: now,
        login: &login,
        account_id,
        kind,
        school_id: None,
    };
    let wait = match gate_rules::gate(policy, &failures, now) {
        LoginGate::Locked { until } => {
            repo::record_event(&mut tx, event(EventKind::LoginLocked, None), origin).await?;
            tx.commit().await?;
            return Err(LoginError::Locked {
                minutes: minutes_until(until),
            });
        }
        LoginGate::Slowed(wait) => Some(wait),
        LoginGate::Open => None,
    };
    let attempt = repo::record_event(
        &mut tx,
        event(EventKind::LoginFailed, account.as_ref().map(|a| a.id)),
        origin,
    )
    .await?;
    tx.commit().await?;
    if let Some(wait) = wait {
        tokio::time::sleep(wait.to_std().unwrap_or_default()).await;
    }
    let stored = account
        .as_ref()
        .map(|a| a.password_hash.clone())
        .unwrap_or_else(|| password::dummy_hash().to_string());
    let password_ok = password::verify_async(password.to_string(), stored).await;
    match account {
        Some(a) if password_ok && !a.disabled => {
            repo::attempt_succeeded(pool, attempt, a.id).await?;
            Ok(SignedIn {
                account_id: a.id,
                must_change_password: a.must_change_password,
                is_operator: a.is_operator,
            })
        }
        _ => Err(LoginError::Invalid),
    }
}

/// A password change as typed on the form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PasswordChange {
    #[serde(default)]
    pub current: String,
    #[serde(default)]
    pub new: String,
    #[serde(default)]
    pub repeat: String,
}

/// Changes the account's password and ends its other sessions (`keep` is the current session's
/// id hash). Wrong input comes back as `AppError::Invalid` with a message per field.
pub async fn change_password(
    pool: &PgPool,
    clock: &dyn Clock,
    account_id: i64,
    keep: Option<&str>,
    input: &PasswordChange,
    origin: &Origin,
) -> AppResult<()> {
    let mut tx = pool.begin().await?;
    let account = repo::find_by_id(&mut tx, account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    if input.current.is_empty() {
        errors.add("current", "Введите текущий пароль.");
    } else if !password::verify_async(input.current.clone(), account.password_hash.clone()).await {
        errors.add("current", "Текущий пароль введён неверно.");
    }
    if let Some(why) = password::weakness(&input.new, &account.login) {
        errors.add("new", why);
    } else if input.new == input.current {
        errors.add("new", "Новый пароль должен отличаться от текущего.");
    }
    if input.repeat != input.new {
        errors.add("repeat", "Пароли не совпадают.");
    }
    errors.into_result()?;

    let hash = password::hash_async(input.new.clone()).await?;
    let now = clock.now();
    repo::set_password(&mut tx, account_id, &hash, false, now).await?;
    repo::end_sessions(&mut tx, account_id, keep).await?;
    let event = AccountEvent {
        at: now,
        login: &account.login,
        account_id: Some(account_id),
        kind: EventKind::PasswordChanged,
        school_id: None,
    };
    repo::record_event(&mut tx, event, origin).await?;
    tx.commit().await?;
    Ok(())
}
