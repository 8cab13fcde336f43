//! Issued credentials: the one-time list and its printable PDF of slips.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::extract::Member;
use super::layout::Layout;
use crate::accounts::credentials::{self, IssueReport};
use crate::clock::local_today;
use crate::error::{AppError, AppResult};
use crate::exports::{CredentialSlip, credential_slips};

/// The credentials just issued, shown once, with a button for the PDF of slips.
#[derive(Template, WebTemplate)]
#[template(path = "credentials_issued.html")]
pub struct IssuedPage {
    pub layout: Layout,
    pub heading: String,
    pub report: IssueReport,
}

pub async fn issued_page(
    member: &Member,
    heading: String,
    report: IssueReport,
) -> AppResult<IssuedPage> {
    Ok(IssuedPage {
        layout: Layout::for_member(member, "Реквизиты доступа").await?,
        heading,
        report,
    })
}

pub async fn for_class(
    State(state): State<AppState>,
    member: Member,
    Path(class_id): Path<i64>,
) -> AppResult<IssuedPage> {
    let report =
        credentials::issue_for_class(&state.pool, &member.access, &member.actor(), class_id)
            .await?;
    issued_page(
        &member,
        "Реквизиты выданы обучающимся и родителям".into(),
        report,
    )
    .await
}

pub async fn for_staff(State(state): State<AppState>, member: Member) -> AppResult<IssuedPage> {
    let report = credentials::reissue_for_staff(
        &state.pool,
        state.clock.as_ref(),
        &member.access,
        &member.actor(),
    )
    .await?;
    issued_page(
        &member,
        "Новые пароли сотрудникам, которые ещё не входили".into(),
        report,
    )
    .await
}

/// The slips of the fields `name`, `role`, `login`, `password` (repeated, in order) as a PDF.
pub async fn pdf(
    State(state): State<AppState>,
    member: Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    if !member.role.is_staff() {
        return Err(AppError::Forbidden);
    }
    let column = |name: &str| {
        fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let (names, roles, logins, passwords) = (
        column("name"),
        column("role"),
        column("login"),
        column("password"),
    );
    let site = state.config.public_url.clone();
    let slips: Vec<CredentialSlip> = names
        .into_iter()
        .zip(roles)
        .zip(logins.into_iter().zip(passwords))
        .map(|((full_name, role), (login, password))| CredentialSlip {
            school_name: member.school.name.clone(),
            full_name,
            role,
            login,
            password,
            site: site.clone(),
        })
        .collect();
    let today = local_today(state.clock.as_ref(), &member.school.time_zone);
    let bytes =
        credential_slips(&slips, today).map_err(|e| AppError::Refused(e.message().to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"rekvizity.pdf\"".to_string(),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
