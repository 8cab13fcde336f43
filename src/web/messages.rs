//! Internal messages (regulations §4): the inbox, a new thread, a thread with its replies.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::AppState;
use super::extract::Member;
use super::layout::{Layout, flash};
use crate::clock::local_today;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::messages::repo::{CircleRow, MessageLine, ParentRow, ThreadHead};
use crate::messages::service::{self, NewThread, Reply, Who};
use crate::messages::{Side, Tie, recipient_value};

fn who(state: &AppState, member: &Member) -> Who {
    Who {
        school: member.school.id,
        account_id: member.viewer.account_id,
        role: member.role,
        pupil_id: member.pupil_id,
        actor: member.actor(),
        today: local_today(state.clock.as_ref(), &member.school.time_zone),
        now: state.clock.now(),
    }
}

/// «23.11.2026 10:15» in the school's time zone.
fn local(at: DateTime<Utc>, time_zone: &str) -> String {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    at.with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string()
}

// ---------------------------------------------------------------------------------- the inbox

pub struct ThreadLine {
    pub id: i64,
    pub subject: String,
    pub pupil: String,
    pub others: String,
    pub when: String,
    pub unread: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "messages.html")]
pub struct InboxPage {
    layout: Layout,
    threads: Vec<ThreadLine>,
    unread: i64,
}

pub async fn inbox(State(state): State<AppState>, member: Member) -> AppResult<InboxPage> {
    let who = who(&state, &member);
    let lines = service::inbox(&state.pool, &who).await?;
    let tz = &member.school.time_zone;
    let threads: Vec<ThreadLine> = lines
        .into_iter()
        .map(|l| ThreadLine {
            id: l.id,
            subject: l.subject,
            pupil: match l.class_name {
                Some(class) => format!("{}, {class}", l.pupil),
                None => l.pupil,
            },
            others: l.others,
            when: local(l.last_message_at, tz),
            unread: l.unread,
        })
        .collect();
    Ok(InboxPage {
        layout: Layout::for_member(&member, "Сообщения").await?,
        unread: threads.iter().map(|t| t.unread).sum(),
        threads,
    })
}

// ------------------------------------------------------------------------------ a new thread

pub struct Choice {
    pub value: String,
    pub label: String,
}

pub struct ChoiceGroup {
    pub heading: String,
    pub choices: Vec<Choice>,
}

pub struct ClassLink {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "messages_new.html")]
pub struct NewPage {
    layout: Layout,
    /// A parent writes about their child; staff choose a class, then a pupil's parent.
    family: bool,
    child: String,
    classes: Vec<ClassLink>,
    class_name: String,
    groups: Vec<ChoiceGroup>,
    form: NewThread,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    class: String,
}

fn parent_groups(rows: Vec<CircleRow>) -> Vec<ChoiceGroup> {
    let mut groups: Vec<ChoiceGroup> = Vec::new();
    for tie in [Tie::Teacher, Tie::ClassTeacher, Tie::Management] {
        let choices: Vec<Choice> = rows
            .iter()
            .filter(|r| Tie::from_code(r.tie) == tie)
            .map(|r| Choice {
                value: recipient_value(r.pupil_id, r.account_id),
                label: match &r.subjects {
                    Some(s) => format!("{} — {s}", r.name),
                    None => r.name.clone(),
                },
            })
            .collect();
        if !choices.is_empty() {
            groups.push(ChoiceGroup {
                heading: tie.heading().to_string(),
                choices,
            });
        }
    }
    groups
}

fn staff_groups(pupils: &[CircleRow], parents: &[ParentRow], class: i64) -> Vec<ChoiceGroup> {
    pupils
        .iter()
        .filter(|p| p.class_id == class)
        .map(|p| ChoiceGroup {
            heading: p.pupil.clone(),
            choices: parents
                .iter()
                .filter(|r| r.pupil_id == p.pupil_id)
                .map(|r| Choice {
                    value: recipient_value(r.pupil_id, r.account_id),
                    label: match &r.relation {
                        Some(rel) => format!("{} ({rel}) — о ребёнке: {}", r.name, p.pupil),
                        None => format!("{} — о ребёнке: {}", r.name, p.pupil),
                    },
                })
                .collect(),
        })
        .collect()
}

async fn new_page(
    state: &AppState,
    member: &Member,
    class: Option<i64>,
    form: NewThread,
    errors: FieldErrors,
) -> AppResult<NewPage> {
    let who = who(state, member);
    let layout = Layout::for_member(member, "Новое сообщение").await?;
    match who.side()? {
        Side::Family { .. } => {
            let rows = service::recipients_for_parent(&state.pool, &who).await?;
            let child = rows
                .first()
                .map(|r| format!("{}, {}", r.pupil, r.class_name))
                .unwrap_or_default();
            Ok(NewPage {
                layout,
                family: true,
                child,
                classes: Vec::new(),
                class_name: String::new(),
                groups: parent_groups(rows),
                form,
                errors,
            })
        }
        Side::Staff => {
            let (pupils, parents) = service::recipients_for_staff(&state.pool, &who, class).await?;
            let mut classes: Vec<ClassLink> = Vec::new();
            for p in &pupils {
                if !classes.iter().any(|c| c.id == p.class_id) {
                    classes.push(ClassLink {
                        id: p.class_id,
                        name: p.class_name.clone(),
                        selected: Some(p.class_id) == class,
                    });
                }
            }
            let class_name = classes
                .iter()
                .find(|c| c.selected)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            Ok(NewPage {
                layout,
                family: false,
                child: String::new(),
                groups: class
                    .map(|c| staff_groups(&pupils, &parents, c))
                    .unwrap_or_default(),
                classes,
                class_name,
                form,
                errors,
            })
        }
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<NewQuery>,
) -> AppResult<NewPage> {
    let class = q.class.trim().parse().ok();
    let form = NewThread {
        class: class.map(|c: i64| c.to_string()).unwrap_or_default(),
        ..NewThread::default()
    };
    new_page(&state, &member, class, form, FieldErrors::new()).await
}

pub async fn create(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<NewThread>,
) -> AppResult<Response> {
    match service::start_thread(&state.pool, &who(&state, &member), &form).await {
        Ok(thread_id) => {
            flash(&member.viewer.session, "Сообщение отправлено.").await?;
            Ok(Redirect::to(&format!("/messages/{thread_id}")).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let class = form.class.trim().parse().ok();
            let page = new_page(&state, &member, class, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------- a thread

pub struct MessageView {
    pub id: i64,
    pub author: String,
    pub mine: bool,
    pub new: bool,
    pub when: String,
    pub body: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "messages_thread.html")]
pub struct ThreadPage {
    layout: Layout,
    head: ThreadHead,
    messages: Vec<MessageView>,
    form: Reply,
    errors: FieldErrors,
}

async fn thread_page(
    member: &Member,
    (head, lines): (ThreadHead, Vec<MessageLine>),
    form: Reply,
    errors: FieldErrors,
) -> AppResult<ThreadPage> {
    let me = member.viewer.account_id;
    let messages = lines
        .into_iter()
        .map(|m| MessageView {
            id: m.id,
            mine: m.author_id == me,
            new: m.author_id != me && m.id > head.last_read_message_id,
            author: m.author,
            when: local(m.sent_at, &member.school.time_zone),
            body: m.body,
        })
        .collect();
    Ok(ThreadPage {
        layout: Layout::for_member(member, &head.subject).await?,
        head,
        messages,
        form,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    member: Member,
    Path(thread_id): Path<i64>,
) -> AppResult<ThreadPage> {
    let thread = service::open_thread(&state.pool, &who(&state, &member), thread_id).await?;
    thread_page(&member, thread, Reply::default(), FieldErrors::new()).await
}

pub async fn reply(
    State(state): State<AppState>,
    member: Member,
    Path(thread_id): Path<i64>,
    Form(form): Form<Reply>,
) -> AppResult<Response> {
    let who = who(&state, &member);
    match service::reply(&state.pool, &who, thread_id, &form).await {
        Ok(id) => {
            flash(&member.viewer.session, "Ответ отправлен.").await?;
            Ok(Redirect::to(&format!("/messages/{thread_id}#m{id}")).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let thread = service::peek_thread(&state.pool, &who, thread_id).await?;
            let page = thread_page(&member, thread, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}
