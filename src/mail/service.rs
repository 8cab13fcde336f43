//! The parent's choice of e-mail (audited) and the operators' view of the outbox.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;

use super::repo::{self, OutboxRow, ParentChoice};
use super::send::MAX_ATTEMPTS;
use super::{DigestTime, NotifyMode};
use crate::audit::{self, Actor, Change};
use crate::error::{AppError, AppResult};
use crate::tenancy::SchoolId;

/// Why a parent gets no e-mail whatever they choose, if so (Russian, for the page).
pub fn blocked(p: &ParentChoice) -> Option<&'static str> {
    match (p.pd_consent, p.email.as_deref()) {
        (Some(false), _) => Some(
            "Вы отказались от обработки персональных данных, поэтому электронные уведомления не \
             отправляются. Сведения об успеваемости можно получать в виде еженедельной печатной \
             выписки — обратитесь к классному руководителю.",
        ),
        (None, _) => Some(
            "Согласие на обработку персональных данных не записано, поэтому электронные \
             уведомления не отправляются. Передайте согласие классному руководителю.",
        ),
        (Some(true), None) => Some(
            "Адрес электронной почты не записан, поэтому письма не отправляются. Сообщите адрес \
             классному руководителю.",
        ),
        (Some(true), Some(_)) => None,
    }
}

/// When the school's digests come (its settings), for the preference page.
pub async fn digest_time(pool: &PgPool, school: SchoolId) -> AppResult<DigestTime> {
    Ok(crate::tenancy::settings::current(pool, school)
        .await?
        .digest_time())
}

/// The parent records of a signed-in parent in their school.
pub async fn choices(
    pool: &PgPool,
    school: SchoolId,
    account_id: i64,
) -> AppResult<Vec<ParentChoice>> {
    Ok(repo::parent_records(&mut *pool.acquire().await?, school, account_id).await?)
}

/// Sets what a parent gets by e-mail (every parent record of the account in the school).
pub async fn set_mode(
    pool: &PgPool,
    school: SchoolId,
    account_id: i64,
    actor: &Actor,
    mode_code: &str,
    now: DateTime<Utc>,
) -> AppResult<NotifyMode> {
    let mode = NotifyMode::from_code(mode_code.trim())
        .ok_or_else(|| AppError::invalid("mode", "Выберите один из вариантов."))?;
    let mut tx = pool.begin().await?;
    let records = repo::parent_records(&mut tx, school, account_id).await?;
    if records.is_empty() {
        return Err(AppError::Refused(
            "В школе нет записи о вас как о родителе: обратитесь к классному руководителю.".into(),
        ));
    }
    for p in records.iter().filter(|p| p.notify_mode != mode.code()) {
        repo::set_mode(&mut tx, school, p.id, mode.code(), now).await?;
        let before = NotifyMode::from_code(&p.notify_mode).unwrap_or(NotifyMode::None);
        audit::record(
            &mut tx,
            school,
            actor,
            Change::new("parent.notify_mode", "parent", p.id)
                .before(json!({ "notify_mode": before.label() }))
                .after(json!({ "notify_mode": mode.label() })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(mode)
}

/// A row of the operators' list with its state in Russian.
pub struct OutboxLine {
    pub row: OutboxRow,
    pub status: &'static str,
}

pub fn status(row: &OutboxRow) -> &'static str {
    if row.sent_at.is_some() {
        "отправлено"
    } else if row.cancelled_at.is_some() {
        "не будет отправлено"
    } else if row.attempts >= MAX_ATTEMPTS {
        "ошибка: попытки исчерпаны"
    } else if row.last_error.is_some() {
        "ошибка, будет повтор"
    } else {
        "ожидает отправки"
    }
}

pub async fn recent(pool: &PgPool, school: SchoolId) -> AppResult<Vec<OutboxLine>> {
    Ok(repo::recent(pool, school, 200)
        .await?
        .into_iter()
        .map(|row| OutboxLine {
            status: status(&row),
            row,
        })
        .collect())
}
