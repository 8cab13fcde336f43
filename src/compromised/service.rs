//! Declaring credentials compromised and reverting what was done with them (000 §21, 004 §5.4).

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

use super::repo::{self, Declaration, Event};
use super::{LIST_LIMIT, LOCKED_HASH, REASON};
use crate::accounts::repo as accounts_repo;
use crate::audit::{self, Actor, Change};
use crate::auth::repo as auth_repo;
use crate::authz::Access;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::journal::service::{Author, CellForm, LessonForm};
use crate::journal::{Cell, MarkValue};

/// May the member declare the credentials of somebody else of the school lost: the administrator
/// and the director. Everyone may declare their own.
pub fn may_declare_for_others(access: &Access) -> bool {
    access.can_manage_accounts()
}

/// May the member see the changes made with lost credentials and revert them: the director and
/// the deputies (they read every journal).
pub fn may_revert(access: &Access) -> bool {
    access.can_read_every_journal()
}

/// What a declaration did.
#[derive(Debug, Clone)]
pub struct Declared {
    pub id: i64,
    pub sessions_ended: u64,
}

/// Declares the credentials of `account_id` lost as of `since_raw` (see `super::parse_since`):
/// in one transaction every session of the account ends, its password stops working (the
/// administrator issues a new one), the declaration and its audit event are written. The
/// account must have a membership in the school (404 otherwise); somebody else's only by the
/// administrator or the director (403).
#[allow(clippy::too_many_arguments)]
pub async fn declare(
    pool: &PgPool,
    clock: &dyn Clock,
    access: &Access,
    actor: &Actor,
    declarer: i64,
    account_id: i64,
    since_raw: &str,
    time_zone: &str,
) -> AppResult<Declared> {
    if account_id != declarer && !may_declare_for_others(access) {
        return Err(AppError::Forbidden);
    }
    let school = access.school_id;
    let mut tx = pool.begin().await?;
    accounts_repo::person(&mut tx, school, account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = clock.now();
    let since =
        super::parse_since(since_raw, now, time_zone).map_err(|m| AppError::invalid("since", m))?;
    auth_repo::set_password(&mut tx, account_id, LOCKED_HASH, true, now).await?;
    let ended = auth_repo::end_sessions(&mut tx, account_id, None).await?;
    let sessions_ended = i32::try_from(ended).unwrap_or(i32::MAX);
    let id = repo::insert(&mut tx, school, account_id, since, declarer, sessions_ended).await?;
    audit::record(
        &mut tx,
        school,
        actor,
        Change::new("account.credentials_compromised", "account", account_id).after(
            json!({"since": since, "sessions_ended": sessions_ended, "must_change_password": true}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Declared {
        id,
        sessions_ended: ended,
    })
}

/// The school's declarations, newest first, for the director and the deputies.
pub async fn declarations(pool: &PgPool, access: &Access) -> AppResult<Vec<Declaration>> {
    if !may_revert(access) {
        return Err(AppError::Forbidden);
    }
    let mut conn = pool.acquire().await?;
    Ok(repo::declarations(&mut conn, access.school_id, None, 200).await?)
}

/// Where a listed change stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Reverted,
    /// May be reverted now.
    Revertible,
    /// The account changed the same thing later: that later change is reverted first.
    AfterLater,
    /// Somebody else changed the same thing later: a person decides.
    Conflict,
    /// Not reverted automatically; what to do instead.
    Manual(&'static str),
}

/// A change made with the lost credentials, as the page lists it.
#[derive(Debug, Clone)]
pub struct Line {
    pub event: Event,
    pub standing: Standing,
}

impl Line {
    pub fn action_label(&self) -> &str {
        audit::labels::action(&self.event.action)
    }
    pub fn subject_label(&self) -> &str {
        audit::labels::subject(&self.event.subject_type)
    }
    pub fn before_text(&self) -> String {
        self.event
            .before
            .as_ref()
            .map(audit::labels::state)
            .unwrap_or_default()
    }
    pub fn after_text(&self) -> String {
        self.event
            .after
            .as_ref()
            .map(audit::labels::state)
            .unwrap_or_default()
    }
    pub fn revertible(&self) -> bool {
        self.standing == Standing::Revertible
    }
    /// The standing in Russian.
    pub fn standing_text(&self) -> &'static str {
        match &self.standing {
            Standing::Reverted => "отменено",
            Standing::Revertible => "можно отменить",
            Standing::AfterLater => "будет отменено после более позднего изменения того же",
            Standing::Conflict => {
                "позже это изменил другой пользователь: отмена перезаписала бы его запись — решите вручную"
            }
            Standing::Manual(what) => what,
        }
    }
}

/// The kinds of change reverted automatically, through the journal's own writes: marks,
/// absences, period marks, a lesson's topic, homework and comment. `None`: revertible; else what
/// a person does instead.
fn manual_note(action: &str) -> Option<&'static str> {
    match action {
        "mark.given"
        | "mark.corrected"
        | "mark.removed"
        | "absence.marked"
        | "absence.removed"
        | "period_mark.set"
        | "period_mark.deferred"
        | "period_mark.corrected"
        | "lesson.recorded" => None,
        "school.settings_changed" => Some(
            "не отменяется автоматически: верните значения на странице «Настройки школы» (прежние — в графе «Было»)",
        ),
        "message_thread.created" => Some(
            "не отменяется автоматически: сообщение уже доставлено — предупредите получателя, что его написал не владелец учётной записи",
        ),
        "absence.reason_set" => Some(
            "не отменяется автоматически: классный руководитель указывает причину пропуска заново",
        ),
        _ => Some(
            "не отменяется автоматически: проверьте и исправьте на соответствующей странице (прежнее состояние — в графе «Было»)",
        ),
    }
}

fn standing(event: &Event) -> Standing {
    if event.reverted {
        Standing::Reverted
    } else if let Some(note) = manual_note(&event.action) {
        Standing::Manual(note)
    } else if event.conflict {
        Standing::Conflict
    } else if event.later_own {
        Standing::AfterLater
    } else {
        Standing::Revertible
    }
}

/// A declaration and the changes made with its account since its moment (at most `LIST_LIMIT`,
/// oldest first; `truncated` when there are more).
pub struct Changes {
    pub declaration: Declaration,
    pub lines: Vec<Line>,
    pub truncated: bool,
}

impl Changes {
    pub fn revertible(&self) -> usize {
        self.lines.iter().filter(|l| l.revertible()).count()
    }
}

async fn declaration(
    conn: &mut sqlx::PgConnection,
    access: &Access,
    id: i64,
) -> AppResult<Declaration> {
    repo::declarations(conn, access.school_id, Some(id), 1)
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// The changes of a declaration, for the director and the deputies (403 before anything is
/// read; another school's declaration 404).
pub async fn changes(pool: &PgPool, access: &Access, id: i64) -> AppResult<Changes> {
    if !may_revert(access) {
        return Err(AppError::Forbidden);
    }
    let mut conn = pool.acquire().await?;
    let declaration = declaration(&mut conn, access, id).await?;
    let mut events = repo::events(
        &mut conn,
        access.school_id,
        declaration.account_id,
        declaration.since,
        declaration.declared_at,
        None,
        LIST_LIMIT + 1,
    )
    .await?;
    let truncated = events.len() as i64 > LIST_LIMIT;
    events.truncate(LIST_LIMIT as usize);
    let lines = events
        .into_iter()
        .map(|event| Line {
            standing: standing(&event),
            event,
        })
        .collect();
    Ok(Changes {
        declaration,
        lines,
        truncated,
    })
}

fn id_in(value: &Option<Value>, key: &str) -> Option<i64> {
    value.as_ref()?.get(key)?.as_i64()
}

fn text_in(value: &Option<Value>, key: &str) -> Option<String> {
    value.as_ref()?.get(key)?.as_str().map(str::to_string)
}

fn date_in(value: &Option<Value>, key: &str) -> Option<NaiveDate> {
    value.as_ref()?.get(key)?.as_str()?.parse().ok()
}

/// A mark as the audit trail records it («5», «зач», «нз»).
fn mark_shown(shown: Option<&str>) -> AppResult<Option<MarkValue>> {
    match shown {
        None => Ok(None),
        Some(s) => MarkValue::ALL
            .into_iter()
            .find(|m| m.show() == s)
            .map(Some)
            .ok_or_else(|| {
                AppError::Refused("Отметку в записи журнала изменений не прочитать.".into())
            }),
    }
}

const CHANGED_SINCE: &str = "Это уже изменили после того: решите вручную.";

/// Reverts one change in one audited transaction: the journal's own write puts the thing back,
/// with the reason «изменение сделано с утраченными учётными данными», and the revert is noted.
/// Refused when it is not revertible now (see `Standing`).
pub async fn revert(
    pool: &PgPool,
    author: &Author<'_>,
    compromise_id: i64,
    event_id: i64,
) -> AppResult<()> {
    let access = author.access;
    if !may_revert(access) {
        return Err(AppError::Forbidden);
    }
    let school = access.school_id;
    let mut tx = pool.begin().await?;
    let declaration = declaration(&mut tx, access, compromise_id).await?;
    let event = repo::events(
        &mut tx,
        school,
        declaration.account_id,
        declaration.since,
        declaration.declared_at,
        Some(event_id),
        1,
    )
    .await?
    .pop()
    .ok_or(AppError::NotFound)?;
    match standing(&event) {
        Standing::Revertible => {}
        Standing::Reverted => return Err(AppError::Refused("Это изменение уже отменено.".into())),
        Standing::AfterLater => {
            return Err(AppError::Refused(
                "Сначала отмените более позднее изменение того же (ниже в списке).".into(),
            ));
        }
        Standing::Conflict => {
            return Err(AppError::Refused(
                "Позже это изменил другой пользователь: отмена перезаписала бы его запись. Решите вручную."
                    .into(),
            ));
        }
        Standing::Manual(_) => {
            return Err(AppError::Refused(
                "Это изменение не отменяется автоматически.".into(),
            ));
        }
    }
    let (before, after) = (&event.before, &event.after);
    match event.subject_type.as_str() {
        "mark" => {
            let lesson = id_in(after, "lesson_id").ok_or(AppError::NotFound)?;
            let pupil = id_in(after, "pupil_id").ok_or(AppError::NotFound)?;
            let mark_id = event.subject_id.ok_or(AppError::NotFound)?;
            let column = repo::mark_column(&mut tx, school, mark_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let current = crate::journal::service::readable_cell(
                &mut tx,
                author,
                lesson,
                Some(column),
                pupil,
            )
            .await?;
            let left = mark_shown(text_in(after, "value").as_deref())?;
            if current.mark != left {
                return Err(AppError::Refused(CHANGED_SINCE.into()));
            }
            let target = Cell {
                absent: current.absent,
                mark: mark_shown(text_in(before, "value").as_deref())?,
            };
            revert_cell(
                &mut tx,
                author,
                lesson,
                Some(column),
                pupil,
                &current,
                &target,
            )
            .await?;
        }
        "absence" => {
            let lesson = id_in(after, "lesson_id").ok_or(AppError::NotFound)?;
            let pupil = id_in(after, "pupil_id").ok_or(AppError::NotFound)?;
            let current =
                crate::journal::service::readable_cell(&mut tx, author, lesson, None, pupil)
                    .await?;
            let left = after
                .as_ref()
                .and_then(|a| a.get("absent"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if current.absent != left {
                return Err(AppError::Refused(CHANGED_SINCE.into()));
            }
            let was = before
                .as_ref()
                .and_then(|b| b.get("absent"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let target = Cell {
                absent: was,
                mark: current.mark,
            };
            revert_cell(&mut tx, author, lesson, None, pupil, &current, &target).await?;
        }
        "lesson" => {
            let lesson = event.subject_id.ok_or(AppError::NotFound)?;
            let shown_homework = |v: &Option<Value>| {
                text_in(v, "homework").unwrap_or_else(|| {
                    let none = v
                        .as_ref()
                        .and_then(|v| v.get("homework_none"))
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    if none {
                        "Не задано".into()
                    } else {
                        String::new()
                    }
                })
            };
            let was_none = before
                .as_ref()
                .and_then(|b| b.get("homework_none"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let form = LessonForm {
                topic: text_in(before, "topic").unwrap_or_default(),
                homework: text_in(before, "homework").unwrap_or_default(),
                homework_none: was_none.then(|| "on".to_string()),
                homework_minutes: id_in(before, "homework_minutes")
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                teacher_comment: text_in(before, "comment").unwrap_or_default(),
                was_topic: Some(text_in(after, "topic").unwrap_or_default()),
                was_homework: Some(shown_homework(after)),
            };
            crate::journal::service::revert_lesson(&mut tx, author, lesson, &form, REASON).await?;
        }
        "period_mark" => {
            let group = event.subject_id.ok_or(AppError::NotFound)?;
            let pupil = id_in(after, "pupil_id").ok_or(AppError::NotFound)?;
            let period = id_in(after, "period_id").ok_or(AppError::NotFound)?;
            let left = (text_in(after, "value"), date_in(after, "deferred_until"));
            let left = if left.0.is_some() {
                (left.0, None)
            } else {
                left
            };
            let was = (text_in(before, "value"), date_in(before, "deferred_until"));
            crate::journal::period::revert_period_mark(
                &mut tx, author, group, period, pupil, &left, &was, REASON,
            )
            .await?;
        }
        _ => {
            return Err(AppError::Refused(
                "Это изменение не отменяется автоматически.".into(),
            ));
        }
    }
    if !repo::insert_revert(&mut tx, school, compromise_id, event.id, author.account_id).await? {
        return Err(AppError::Refused("Это изменение уже отменено.".into()));
    }
    tx.commit().await?;
    Ok(())
}

async fn revert_cell(
    conn: &mut sqlx::PgConnection,
    author: &Author<'_>,
    lesson: i64,
    column: Option<i64>,
    pupil: i64,
    current: &Cell,
    target: &Cell,
) -> AppResult<()> {
    let form = CellForm {
        lesson,
        column,
        pupil,
        value: target.text(),
        was: Some(current.text()),
        reason: String::new(),
    };
    crate::journal::service::revert_cell(conn, author, &form, REASON).await?;
    Ok(())
}

/// What «revert all» did.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub reverted: usize,
    /// Left for a person: conflicts, kinds not reverted automatically, refusals.
    pub left: usize,
}

/// Reverts every revertible change of a declaration, newest first (so that the account's own
/// later change of a thing goes before its earlier one), each in its own audited transaction.
pub async fn revert_all(
    pool: &PgPool,
    author: &Author<'_>,
    compromise_id: i64,
) -> AppResult<Summary> {
    let changes = changes(pool, author.access, compromise_id).await?;
    let mut summary = Summary::default();
    for line in changes.lines.iter().rev() {
        match line.standing {
            Standing::Reverted => continue,
            Standing::Revertible | Standing::AfterLater => {}
            Standing::Conflict | Standing::Manual(_) => {
                summary.left += 1;
                continue;
            }
        }
        match revert(pool, author, compromise_id, line.event.id).await {
            Ok(()) => summary.reverted += 1,
            Err(AppError::Refused(_) | AppError::Invalid(_)) => summary.left += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(summary)
}

/// The time of a change in the school's zone: «23.11.2026 10:15:30».
pub fn local_time(at: &DateTime<Utc>, time_zone: &str) -> String {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    at.with_timezone(&tz)
        .format("%d.%m.%Y %H:%M:%S")
        .to_string()
}
