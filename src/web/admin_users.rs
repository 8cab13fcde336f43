//! The school's people and their access: list, card, new staff member, roles, password reset.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::extract::Member;
use super::layout::{Layout, flash_outcome};
use crate::accounts::repo::{self, PersonCard, PersonLine, RoleLine};
use crate::accounts::service::{self, Issued, NewStaff};
use crate::authz::Role;
use crate::error::{AppError, AppResult, FieldErrors};

/// How many people the list shows at once.
const PAGE: i64 = 500;

fn require_manager(member: &Member) -> AppResult<()> {
    if member.access.can_manage_accounts() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn role_label(role: &str) -> &'static str {
    role.parse::<Role>().map(Role::label).unwrap_or("—")
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    layout: Layout,
    people: Vec<PersonLine>,
    roles: [Role; 7],
    filter: String,
    truncated: bool,
}

#[derive(Debug, Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    role: String,
}

pub async fn list(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<UsersQuery>,
) -> AppResult<UsersPage> {
    require_manager(&member)?;
    let role = q.role.parse::<Role>().ok();
    let people = repo::people(&state.pool, member.school.id, role, PAGE + 1).await?;
    Ok(UsersPage {
        layout: Layout::for_member(&member, "Пользователи").await?,
        truncated: people.len() as i64 > PAGE,
        people: people.into_iter().take(PAGE as usize).collect(),
        roles: Role::ALL,
        filter: role.map(|r| r.as_str().to_string()).unwrap_or_default(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_user_new.html")]
pub struct NewUserPage {
    layout: Layout,
    form: NewStaff,
    errors: FieldErrors,
    staff_roles: [Role; 4],
}

pub async fn new_form(member: Member) -> AppResult<NewUserPage> {
    require_manager(&member)?;
    Ok(NewUserPage {
        layout: Layout::for_member(&member, "Новый сотрудник").await?,
        form: NewStaff {
            role: Role::Teacher.as_str().into(),
            ..NewStaff::default()
        },
        errors: FieldErrors::new(),
        staff_roles: Role::STAFF,
    })
}

/// The one-time page with issued credentials.
#[derive(Template, WebTemplate)]
#[template(path = "admin_credentials.html")]
pub struct CredentialsPage {
    layout: Layout,
    issued: Issued,
    heading: &'static str,
}

pub async fn create(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<NewStaff>,
) -> AppResult<Response> {
    match service::create_staff(&state.pool, &member.access, &member.actor(), &form).await {
        Ok(issued) => Ok(CredentialsPage {
            layout: Layout::for_member(&member, "Реквизиты доступа").await?,
            issued,
            heading: "Сотрудник добавлен",
        }
        .into_response()),
        Err(AppError::Invalid(errors)) => {
            let page = NewUserPage {
                layout: Layout::for_member(&member, "Новый сотрудник").await?,
                form,
                errors,
                staff_roles: Role::STAFF,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_user.html")]
pub struct UserPage {
    layout: Layout,
    person: PersonCard,
    roles: Vec<RoleLine>,
    staff_roles: [Role; 4],
}

pub async fn card(
    State(state): State<AppState>,
    member: Member,
    Path(account_id): Path<i64>,
) -> AppResult<UserPage> {
    require_manager(&member)?;
    let mut conn = state.pool.acquire().await?;
    let person = repo::person(&mut conn, member.school.id, account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let roles = repo::roles_of(&state.pool, member.school.id, account_id).await?;
    let title = format!("{} {}", person.last_name, person.first_name);
    Ok(UserPage {
        layout: Layout::for_member(&member, &title).await?,
        person,
        roles,
        staff_roles: Role::STAFF,
    })
}

#[derive(Debug, Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    role: String,
}

/// After a write on the card: back to it with the outcome as a message.
async fn back_to_card(
    member: &Member,
    account_id: i64,
    outcome: AppResult<&str>,
) -> AppResult<Response> {
    let to = format!("/admin/users/{account_id}");
    flash_outcome(&member.viewer.session, &to, outcome.map(str::to_string)).await
}

pub async fn grant(
    State(state): State<AppState>,
    member: Member,
    Path(account_id): Path<i64>,
    Form(form): Form<GrantForm>,
) -> AppResult<Response> {
    let done = service::grant_role(
        &state.pool,
        &member.access,
        &member.actor(),
        account_id,
        &form.role,
    )
    .await
    .map(|()| "Роль добавлена.");
    back_to_card(&member, account_id, done).await
}

pub async fn revoke(
    State(state): State<AppState>,
    member: Member,
    Path((account_id, membership_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let done = service::revoke_role(
        &state.pool,
        state.clock.as_ref(),
        &member.access,
        &member.actor(),
        account_id,
        membership_id,
    )
    .await
    .map(|()| "Роль снята.");
    back_to_card(&member, account_id, done).await
}

#[derive(Debug, Deserialize)]
pub struct TimetableForm {
    #[serde(default)]
    on: String,
}

/// Grants or takes back an administrator's timetable permission.
pub async fn timetable_editor(
    State(state): State<AppState>,
    member: Member,
    Path((account_id, membership_id)): Path<(i64, i64)>,
    Form(form): Form<TimetableForm>,
) -> AppResult<Response> {
    let on = form.on == "1";
    let done = service::set_timetable_editor(
        &state.pool,
        &member.access,
        &member.actor(),
        account_id,
        membership_id,
        on,
    )
    .await
    .map(|()| {
        if on {
            "Право составлять расписание выдано."
        } else {
            "Право составлять расписание снято."
        }
    });
    back_to_card(&member, account_id, done).await
}

pub async fn reset_password(
    State(state): State<AppState>,
    member: Member,
    Path(account_id): Path<i64>,
) -> AppResult<Response> {
    let issued = service::reset_password(
        &state.pool,
        state.clock.as_ref(),
        &member.access,
        &member.actor(),
        account_id,
    )
    .await;
    match issued {
        Ok(issued) => Ok(CredentialsPage {
            layout: Layout::for_member(&member, "Реквизиты доступа").await?,
            issued,
            heading: "Выдан новый пароль",
        }
        .into_response()),
        Err(e @ AppError::Refused(_)) => Ok(back_to_card(&member, account_id, Err(e))
            .await?
            .into_response()),
        Err(e) => Err(e),
    }
}
