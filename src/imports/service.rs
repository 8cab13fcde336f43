//! Writing an imported table: everything in one transaction, after every row was checked —
//! nothing is imported while any row is bad, and importing the same file again creates no
//! duplicates (pupils are matched by name and birth date, staff by login or name).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde_json::json;
use sqlx::PgPool;

use super::pupils::{PupilKey, PupilRow, parse_pupils};
use super::staff::parse_staff;
use super::table::read_table;
use super::{MAX_ERROR_LINES, MAX_PUPIL_ROWS, MAX_STAFF_ROWS, RowError};
use crate::accounts::credentials::Slip;
use crate::accounts::repo::{self as accounts, NewAccount};
use crate::accounts::service::{Grant, create_account};
use crate::audit::{self, Actor, Change};
use crate::auth::password;
use crate::authz::{Access, Role};
use crate::error::{AppError, AppResult};
use crate::pupils::repo::{self as pupils, NewParent};
use crate::pupils::service::add_parent_in_tx;
use crate::school_year::calendar::open_year;
use crate::school_year::service::{NewPupil, create_class, enrol_pupil};

/// Why an import was refused: the file, or its rows (each with row and column).
#[derive(Debug)]
pub enum ImportRefusal {
    Rows(Vec<RowError>),
    App(AppError),
}

impl<E: Into<AppError>> From<E> for ImportRefusal {
    fn from(e: E) -> Self {
        ImportRefusal::App(e.into())
    }
}

/// The file's rows, at most `data_rows` of data.
fn table(
    bytes: &[u8],
    file_name: &str,
    data_rows: usize,
) -> Result<Vec<Vec<String>>, ImportRefusal> {
    read_table(bytes, file_name, data_rows)
        .map_err(|e| ImportRefusal::Rows(vec![RowError::new(0, "файл", e.message())]))
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub created: usize,
    pub skipped: usize,
    pub parents: usize,
    pub classes_opened: Vec<String>,
    /// Staff imports issue credentials.
    pub slips: Vec<Slip>,
}

/// Adds the row's parent (and their consent) to a pupil; whether the row had one.
async fn add_row_parent(
    tx: &mut sqlx::PgConnection,
    access: &Access,
    actor: &Actor,
    pupil_id: i64,
    row: &PupilRow,
    since: NaiveDate,
) -> Result<bool, ImportRefusal> {
    let Some(p) = &row.parent else {
        return Ok(false);
    };
    let parent = NewParent {
        last_name: p.last_name.clone(),
        first_name: p.first_name.clone(),
        middle_name: p.middle_name.clone(),
        phone: p.phone.clone(),
        email: p.email.clone(),
    };
    let relation = p.relation.map(|r| r.label()).unwrap_or("родитель");
    let parent_id =
        add_parent_in_tx(tx, access.school_id, actor, pupil_id, &parent, relation).await?;
    if let Some(consent) = row.pd_consent {
        pupils::set_consent(
            tx,
            access.school_id,
            parent_id,
            consent,
            row.pd_consent_on.unwrap_or(since),
        )
        .await?;
    }
    Ok(true)
}

/// Imports pupils with their parents into the classes of a year (opening missing classes),
/// enrolled from `since`.
pub async fn import_pupils(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    year_id: i64,
    today: NaiveDate,
    file: (&[u8], &str),
) -> Result<ImportReport, ImportRefusal> {
    if !access.can_manage_pupils() {
        return Err(AppError::Forbidden.into());
    }
    let rows = parse_pupils(&table(file.0, file.1, MAX_PUPIL_ROWS)?, today)
        .map_err(ImportRefusal::Rows)?;
    let mut tx = pool.begin().await?;
    let year = open_year(&mut tx, access.school_id, year_id).await?;
    let since = today.clamp(year.starts_on, year.ends_on);
    let known: HashSet<PupilKey> = pupils::all_pupils(&mut tx, access.school_id)
        .await?
        .into_iter()
        .filter_map(|(l, f, m, b)| Some(PupilKey::new(&l, &f, &m, b?)))
        .collect();
    let mut classes = pupils::classes_in(&mut tx, access.school_id, year_id).await?;
    let mut report = ImportReport::default();
    // Pupils created by this file: a later row of the same pupil adds another parent.
    let mut created: HashMap<PupilKey, i64> = HashMap::new();
    for row in rows {
        if known.contains(&row.key()) {
            report.skipped += 1;
            continue;
        }
        if let Some(&pupil_id) = created.get(&row.key()) {
            add_row_parent(&mut tx, access, actor, pupil_id, &row, since).await?;
            report.parents += 1;
            continue;
        }
        let class_id = match classes
            .iter()
            .find(|c| c.grade == row.grade && c.letter == row.letter)
        {
            Some(c) => c.id,
            None => {
                let id = create_class(
                    &mut tx,
                    access.school_id,
                    actor,
                    year_id,
                    row.grade,
                    &row.letter,
                )
                .await?;
                report
                    .classes_opened
                    .push(format!("{}{}", row.grade, row.letter));
                classes.push(pupils::ClassLine {
                    id,
                    grade: row.grade,
                    letter: row.letter.clone(),
                    shift: 1,
                    profile: None,
                    class_teacher: None,
                    pupils: 0,
                });
                id
            }
        };
        let pupil = NewPupil {
            last_name: &row.last_name,
            first_name: &row.first_name,
            middle_name: &row.middle_name,
            birth_date: Some(row.birth_date),
            sex: row.sex.map(|s| s.code()),
        };
        let pupil_id =
            enrol_pupil(&mut tx, access.school_id, actor, &pupil, class_id, since).await?;
        created.insert(row.key(), pupil_id);
        report.created += 1;
        if add_row_parent(&mut tx, access, actor, pupil_id, &row, since).await? {
            report.parents += 1;
        }
    }
    let change = Change::new("import.pupils", "academic_year", year_id).after(json!({
        "file": file.1, "created": report.created, "skipped": report.skipped, "parents": report.parents,
        "classes_opened": report.classes_opened,
    }));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(report)
}

/// Imports staff: a new account (with an initial password to print) for everyone not yet in the
/// school.
pub async fn import_staff(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    file: (&[u8], &str),
) -> Result<ImportReport, ImportRefusal> {
    if !access.can_manage_accounts() {
        return Err(AppError::Forbidden.into());
    }
    let rows = parse_staff(&table(file.0, file.1, MAX_STAFF_ROWS)?).map_err(ImportRefusal::Rows)?;
    let mut tx = pool.begin().await?;
    let present: HashSet<String> = accounts::staff_names(&mut tx, access.school_id)
        .await?
        .into_iter()
        .map(|n| super::values::fold(&n))
        .collect();
    let mut errors = Vec::new();
    let mut report = ImportReport::default();
    for row in rows {
        let full = format!("{} {} {}", row.last_name, row.first_name, row.middle_name)
            .trim()
            .to_string();
        if present.contains(&super::values::fold(&full)) {
            report.skipped += 1;
            continue;
        }
        let login = match &row.login {
            Some(l) if accounts::login_taken(&mut tx, l).await? => {
                errors.push(RowError::new(row.row, "Логин", "Этот логин уже занят."));
                continue;
            }
            Some(l) => l.clone(),
            None => {
                accounts::free_login(
                    &mut tx,
                    &crate::accounts::login_stem(&row.last_name, &row.first_name, &row.middle_name),
                )
                .await?
            }
        };
        let role: Role = row.role.parse().unwrap_or(Role::Teacher);
        let pass = password::generate();
        let hash = password::hash_async(pass.clone()).await?;
        let account = NewAccount {
            login: login.clone(),
            last_name: row.last_name.clone(),
            first_name: row.first_name.clone(),
            middle_name: row.middle_name.clone(),
            email: row.email.clone(),
            must_change_password: true,
            is_operator: false,
        };
        let account_id = create_account(
            &mut tx,
            access.school_id,
            actor,
            &account,
            &hash,
            Grant::staff(role),
        )
        .await?;
        if !row.position.is_empty() {
            accounts::set_position(&mut tx, access.school_id, account_id, Some(&row.position))
                .await?;
        }
        report.created += 1;
        report.slips.push(Slip {
            full_name: full,
            role: role.label().to_lowercase(),
            login,
            password: pass,
        });
    }
    if !errors.is_empty() {
        return Err(ImportRefusal::Rows(errors));
    }
    let change = Change::new("import.staff", "school", access.school_id.0)
        .after(json!({"file": file.1, "created": report.created, "skipped": report.skipped}));
    audit::record(&mut tx, access.school_id, actor, change).await?;
    tx.commit().await?;
    Ok(report)
}

/// A refusal as lines for the page: the first `MAX_ERROR_LINES` and how many more there are.
/// Refusals that are not about the file (no permission, no such year) stay errors.
pub fn refusal_lines(refusal: ImportRefusal) -> AppResult<Vec<String>> {
    match refusal {
        ImportRefusal::Rows(rows) => Ok(bounded_lines(&rows)),
        ImportRefusal::App(AppError::Invalid(e)) => Ok(e.0.values().cloned().collect()),
        ImportRefusal::App(AppError::Refused(why)) => Ok(vec![why]),
        ImportRefusal::App(e) => Err(e),
    }
}

/// The first `MAX_ERROR_LINES` errors and «…и ещё N ошибок».
pub fn bounded_lines(rows: &[RowError]) -> Vec<String> {
    let mut lines: Vec<String> = rows
        .iter()
        .take(MAX_ERROR_LINES)
        .map(ToString::to_string)
        .collect();
    let rest = rows.len().saturating_sub(MAX_ERROR_LINES);
    if rest > 0 {
        let noun = crate::input::plural(rest, "ошибка", "ошибки", "ошибок");
        lines.push(format!(
            "…и ещё {rest} {noun}. Исправьте названные и загрузите файл снова."
        ));
    }
    lines
}
