//! Reading and writing messages: who may (the circle, `repo::circle`), one transaction per write.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;

use super::repo::{self, CircleRow, InboxLine, MessageLine, ParentRow, ThreadHead};
use super::{BODY_MAX, SUBJECT_MAX, Side, parse_recipient, side};
use crate::audit::{self, Actor, Change};
use crate::authz::Role;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::input;
use crate::tenancy::SchoolId;

/// Who reads or writes, and when.
#[derive(Debug, Clone)]
pub struct Who {
    pub school: SchoolId,
    pub account_id: i64,
    pub role: Role,
    /// The child of a parent's membership.
    pub pupil_id: Option<i64>,
    pub actor: Actor,
    /// The school's local date (who teaches whom is decided on it).
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
}

impl Who {
    /// The side this membership writes from; 403 for pupils and administrators.
    pub fn side(&self) -> AppResult<Side> {
        side(self.role, self.pupil_id).ok_or(AppError::Forbidden)
    }

    /// A parent sees the threads about the child of this membership; staff see all of theirs.
    fn pupil_scope(&self) -> AppResult<Option<i64>> {
        Ok(match self.side()? {
            Side::Family { pupil_id } => Some(pupil_id),
            Side::Staff => None,
        })
    }
}

/// The form of a new thread. `to` is «pupil:account»; `class` keeps the staff's chosen class.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewThread {
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub class: String,
}

/// The form of a reply.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Reply {
    #[serde(default)]
    pub body: String,
}

fn check_body(body: &str, errors: &mut FieldErrors) {
    let body = body.trim();
    if body.is_empty() {
        errors.add("body", "Напишите текст сообщения.");
    } else if body.chars().count() > BODY_MAX {
        errors.add(
            "body",
            format!(
                "Сообщение длиннее {BODY_MAX} знаков ({}); сократите его.",
                body.chars().count()
            ),
        );
    }
    input::text(errors, "body", body, BODY_MAX);
}

/// A new thread's input, checked: (pupil, recipient), subject, text.
struct Checked {
    to: (i64, i64),
    subject: String,
    body: String,
}

fn check_new(form: &NewThread) -> AppResult<Checked> {
    let mut errors = FieldErrors::new();
    let to = parse_recipient(&form.to);
    if to.is_none() {
        errors.add("to", "Выберите, кому написать.");
    }
    let subject = form.subject.trim();
    if subject.is_empty() {
        errors.add("subject", "Укажите тему.");
    } else if subject.chars().count() > SUBJECT_MAX {
        errors.add(
            "subject",
            format!("Тема длиннее {SUBJECT_MAX} знаков; сократите её."),
        );
    }
    input::line(&mut errors, "subject", subject, SUBJECT_MAX);
    check_body(&form.body, &mut errors);
    errors.into_result()?;
    Ok(Checked {
        to: to.ok_or(AppError::NotFound)?,
        subject: subject.to_string(),
        body: form.body.trim().to_string(),
    })
}

/// The staff a parent may write to about their child, closest first (regulations §4).
pub async fn recipients_for_parent(pool: &PgPool, who: &Who) -> AppResult<Vec<CircleRow>> {
    let Side::Family { pupil_id } = who.side()? else {
        return Err(AppError::Forbidden);
    };
    let mut conn = pool.acquire().await?;
    let mut rows = repo::circle(&mut conn, who.school, who.today, Some(pupil_id), None).await?;
    rows.sort_by(|a, b| a.tie.cmp(&b.tie).then_with(|| a.name.cmp(&b.name)));
    Ok(rows)
}

/// The pupils a member of staff may write about (their classes first), and the parents of the
/// pupils of `class` who can sign in.
pub async fn recipients_for_staff(
    pool: &PgPool,
    who: &Who,
    class: Option<i64>,
) -> AppResult<(Vec<CircleRow>, Vec<ParentRow>)> {
    if who.side()? != Side::Staff {
        return Err(AppError::Forbidden);
    }
    let mut conn = pool.acquire().await?;
    let pupils = repo::circle(&mut conn, who.school, who.today, None, Some(who.account_id)).await?;
    let ids: Vec<i64> = pupils
        .iter()
        .filter(|p| Some(p.class_id) == class)
        .map(|p| p.pupil_id)
        .collect();
    let parents = if ids.is_empty() {
        Vec::new()
    } else {
        repo::parents_of(&mut conn, who.school, &ids).await?
    };
    Ok((pupils, parents))
}

/// Starts a thread with its first message (one transaction: thread, participants, message,
/// audit event). A recipient outside the writer's circle is 404 and nothing is written.
pub async fn start_thread(pool: &PgPool, who: &Who, form: &NewThread) -> AppResult<i64> {
    let side = who.side()?;
    let Checked { to, subject, body } = check_new(form)?;
    let (pupil_id, recipient) = to;
    if recipient == who.account_id {
        return Err(AppError::NotFound);
    }
    let mut tx = pool.begin().await?;
    let allowed = match side {
        Side::Family { pupil_id: child } => {
            child == pupil_id
                && !repo::circle(
                    &mut tx,
                    who.school,
                    who.today,
                    Some(pupil_id),
                    Some(recipient),
                )
                .await?
                .is_empty()
        }
        Side::Staff => {
            !repo::circle(
                &mut tx,
                who.school,
                who.today,
                Some(pupil_id),
                Some(who.account_id),
            )
            .await?
            .is_empty()
                && repo::parents_of(&mut tx, who.school, &[pupil_id])
                    .await?
                    .iter()
                    .any(|p| p.account_id == recipient)
        }
    };
    if !allowed {
        return Err(AppError::NotFound);
    }
    let thread_id = repo::insert_thread(
        &mut tx,
        who.school,
        pupil_id,
        who.account_id,
        recipient,
        &subject,
        &body,
        who.now,
    )
    .await?;
    // The audit trail knows that a conversation began, between whom and about which pupil; its
    // text is the participants' own.
    audit::record(
        &mut tx,
        who.school,
        &who.actor,
        Change::new("message_thread.created", "message_thread", thread_id)
            .after(json!({"pupil_id": pupil_id, "account_id": recipient})),
    )
    .await?;
    tx.commit().await?;
    Ok(thread_id)
}

/// Adds a reply to a thread the person takes part in (404 otherwise).
pub async fn reply(pool: &PgPool, who: &Who, thread_id: i64, form: &Reply) -> AppResult<i64> {
    let pupil = who.pupil_scope()?;
    let mut errors = FieldErrors::new();
    check_body(&form.body, &mut errors);
    let mut tx = pool.begin().await?;
    repo::lock_thread(&mut tx, who.school, thread_id).await?;
    repo::thread_for(&mut tx, who.school, thread_id, who.account_id, pupil)
        .await?
        .ok_or(AppError::NotFound)?;
    errors.into_result()?;
    let id = repo::insert_message(
        &mut tx,
        who.school,
        thread_id,
        who.account_id,
        form.body.trim(),
        who.now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The person's threads with their unread counts.
pub async fn inbox(pool: &PgPool, who: &Who) -> AppResult<Vec<InboxLine>> {
    let pupil = who.pupil_scope()?;
    let mut conn = pool.acquire().await?;
    Ok(repo::inbox(&mut conn, who.school, who.account_id, pupil, 500).await?)
}

/// A thread with its messages, read by a participant: marks it read up to its last message.
/// Returns the head as it was before (its `last_read_message_id` tells what was new).
pub async fn open_thread(
    pool: &PgPool,
    who: &Who,
    thread_id: i64,
) -> AppResult<(ThreadHead, Vec<MessageLine>)> {
    let pupil = who.pupil_scope()?;
    let mut conn = pool.acquire().await?;
    let head = repo::thread_for(&mut conn, who.school, thread_id, who.account_id, pupil)
        .await?
        .ok_or(AppError::NotFound)?;
    let messages = repo::messages(&mut conn, who.school, thread_id).await?;
    if let Some(last) = messages.last()
        && last.id > head.last_read_message_id
    {
        repo::mark_read(&mut conn, who.school, thread_id, who.account_id, last.id).await?;
    }
    Ok((head, messages))
}

/// A thread as its page shows it, without marking it read (a reply refused for its input).
pub async fn peek_thread(
    pool: &PgPool,
    who: &Who,
    thread_id: i64,
) -> AppResult<(ThreadHead, Vec<MessageLine>)> {
    let pupil = who.pupil_scope()?;
    let mut conn = pool.acquire().await?;
    let head = repo::thread_for(&mut conn, who.school, thread_id, who.account_id, pupil)
        .await?
        .ok_or(AppError::NotFound)?;
    let messages = repo::messages(&mut conn, who.school, thread_id).await?;
    Ok((head, messages))
}
