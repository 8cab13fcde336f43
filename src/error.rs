//! One error type for services and pages. Pages turn it into a Russian error page with a
//! request id (web::errors); no database or internal text ever reaches a user.

use std::collections::BTreeMap;

/// Messages next to form fields, keyed by field name, in Russian.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<&'static str, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when there are none, else the errors as `AppError::Invalid`.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Does not exist, or the user may not know that it exists (another school's id): 404.
    #[error("not found")]
    NotFound,
    /// A known thing the user may not touch: 403.
    #[error("forbidden")]
    Forbidden,
    /// A form without a valid CSRF token: 403 with advice to reload the page.
    #[error("missing or wrong CSRF token")]
    Csrf,
    /// The input is wrong: the form comes back with these messages next to its fields (422).
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// A rule refused the write; the message (Russian) says why and names the clause (409).
    #[error("refused: {0}")]
    Refused(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        AppError::Invalid(errors)
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Whether a database error is a unique-constraint violation (a duplicate name, a taken login).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "23505")
}

/// Whether a database error is a foreign-key violation (a row still in use).
pub fn is_fk_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "23503")
}

/// What the database said "no" to, when it was the input and not a fault of ours: the page
/// answers 409 or 422 with a Russian message instead of 500 (issue 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbRefusal {
    /// 23505: a row with this name, login or number is already there.
    Duplicate,
    /// 23503: the row is still used by others, or refers to one that is gone.
    InUse,
    /// Class 22 (too long 22001, bad bytes 22021, a NUL in JSON 22P05, bad number or date),
    /// 23514 (a check) and 54000 (a value too big for an index): the value cannot be stored.
    BadValue,
}

impl DbRefusal {
    pub fn message(self) -> &'static str {
        match self {
            DbRefusal::Duplicate => {
                "Такая запись уже есть (возможно, её только что добавил кто-то другой). \
                 Обновите страницу и проверьте."
            }
            DbRefusal::InUse => {
                "Запись связана с другими данными, поэтому изменение не выполнено. \
                 Обновите страницу и проверьте."
            }
            DbRefusal::BadValue => {
                "Введённое значение нельзя сохранить: оно слишком длинное или в нём есть \
                 недопустимые символы. Исправьте его и повторите."
            }
        }
    }
}

/// The refusal a database error stands for, or `None` for a fault (a lost connection, a bug).
pub fn refusal_of(e: &sqlx::Error) -> Option<DbRefusal> {
    let code = e.as_database_error()?.code()?;
    match code.as_ref() {
        "23505" => Some(DbRefusal::Duplicate),
        "23503" => Some(DbRefusal::InUse),
        "23514" | "54000" => Some(DbRefusal::BadValue),
        c if c.starts_with("22") => Some(DbRefusal::BadValue),
        _ => None,
    }
}
