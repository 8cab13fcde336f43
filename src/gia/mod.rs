//! J17 (regulations §3): the results of the state final attestation — ОГЭ in grade 9, ЕГЭ in
//! grade 11 — entered per class by a deputy no later than `gia_entry_days` after the results
//! arrive (a later entry is accepted and flagged), shown on the class's ГИА page, the summary
//! sheet and the pupil's diary. One write (`save`), audited as `gia_result.entered`.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;

use crate::audit::{self, Actor, Change};
use crate::authz::Access;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::rules::gia::{self, Exam, Typed};
use crate::tenancy::SchoolId;

/// The entry form, as typed (it comes back filled in with the messages).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GiaForm {
    #[serde(default)]
    pub pupil: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub exam_date: String,
    #[serde(default)]
    pub results_on: String,
    #[serde(default)]
    pub primary_score: String,
    #[serde(default)]
    pub test_score: String,
    #[serde(default)]
    pub mark: String,
}

/// One result as the pages show it.
#[derive(Debug, Clone)]
pub struct ResultLine {
    pub pupil_id: i64,
    pub pupil: String,
    pub exam: String,
    pub subject: String,
    pub exam_date: NaiveDate,
    pub results_on: NaiveDate,
    pub primary_score: i16,
    pub test_score: Option<i16>,
    pub mark: Option<i16>,
    pub late_entry: bool,
}

impl ResultLine {
    /// «ОГЭ» or «ЕГЭ».
    pub fn exam_label(&self) -> &'static str {
        Exam::parse(&self.exam).map_or("", Exam::label)
    }

    pub fn test_text(&self) -> String {
        self.test_score.map(|v| v.to_string()).unwrap_or_default()
    }

    pub fn mark_text(&self) -> String {
        self.mark.map(|v| v.to_string()).unwrap_or_default()
    }
}

/// One entry of a list the form offers.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i64,
    pub name: String,
}

/// A class's ГИА page: its exam (none below grade 9 and in grade 10), pupils, the school's
/// subjects and the results entered.
pub struct ClassGia {
    pub class_id: i64,
    pub class_name: String,
    pub exam: Option<Exam>,
    pub pupils: Vec<Entry>,
    pub subjects: Vec<Entry>,
    pub results: Vec<ResultLine>,
}

/// Who reads a class's results: the director and the deputies, the class's class teacher.
fn may_read(access: &Access, class_id: i64) -> bool {
    access.can_read_every_journal()
        || (access.role == crate::authz::Role::ClassTeacher && access.class_id == Some(class_id))
}

/// The class's ГИА page. Another school's class is 404; a reader without the right 403.
pub async fn class_page(pool: &PgPool, access: &Access, class_id: i64) -> AppResult<ClassGia> {
    let school = access.school_id;
    let class = sqlx::query!(
        "SELECT grade, letter FROM school_class WHERE school_id = $1 AND id = $2",
        school.0,
        class_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    if !may_read(access, class_id) {
        return Err(AppError::Forbidden);
    }
    let pupils = sqlx::query_as!(
        Entry,
        r#"SELECT p.id, p.last_name || ' ' || p.first_name AS "name!"
           FROM class_enrollment e JOIN pupil p ON p.school_id = e.school_id AND p.id = e.pupil_id
           WHERE e.school_id = $1 AND e.class_id = $2 AND e.ends_on IS NULL
           ORDER BY p.last_name, p.first_name, p.id"#,
        school.0,
        class_id
    )
    .fetch_all(pool)
    .await?;
    let subjects = sqlx::query_as!(
        Entry,
        "SELECT id, name FROM subject WHERE school_id = $1 ORDER BY name, id",
        school.0
    )
    .fetch_all(pool)
    .await?;
    Ok(ClassGia {
        class_id,
        class_name: format!("{}{}", class.grade, class.letter),
        exam: Exam::of_grade(class.grade),
        pupils,
        subjects,
        results: class_results(pool, school, class_id).await?,
    })
}

/// The results of the pupils now in a class (the summary sheet, the class's ГИА page).
pub async fn class_results(
    pool: &PgPool,
    school: SchoolId,
    class_id: i64,
) -> sqlx::Result<Vec<ResultLine>> {
    sqlx::query_as!(
        ResultLine,
        r#"SELECT r.pupil_id, p.last_name || ' ' || p.first_name AS "pupil!", r.exam,
                  s.name AS subject, r.exam_date, r.results_on, r.primary_score, r.test_score,
                  r.mark, r.late_entry
           FROM gia_result r
           JOIN pupil p ON p.school_id = r.school_id AND p.id = r.pupil_id
           JOIN subject s ON s.school_id = r.school_id AND s.id = r.subject_id
           WHERE r.school_id = $1
             AND r.pupil_id IN (SELECT e.pupil_id FROM class_enrollment e
                                WHERE e.school_id = $1 AND e.class_id = $2)
           ORDER BY p.last_name, p.first_name, r.pupil_id, r.exam_date, s.name"#,
        school.0,
        class_id
    )
    .fetch_all(pool)
    .await
}

/// One pupil's results (the diary; the caller has checked who may read this pupil).
pub async fn pupil_results(
    db: impl sqlx::PgExecutor<'_>,
    school: SchoolId,
    pupil_id: i64,
) -> sqlx::Result<Vec<ResultLine>> {
    sqlx::query_as!(
        ResultLine,
        r#"SELECT r.pupil_id, p.last_name || ' ' || p.first_name AS "pupil!", r.exam,
                  s.name AS subject, r.exam_date, r.results_on, r.primary_score, r.test_score,
                  r.mark, r.late_entry
           FROM gia_result r
           JOIN pupil p ON p.school_id = r.school_id AND p.id = r.pupil_id
           JOIN subject s ON s.school_id = r.school_id AND s.id = r.subject_id
           WHERE r.school_id = $1 AND r.pupil_id = $2
           ORDER BY r.exam_date, s.name"#,
        school.0,
        pupil_id
    )
    .fetch_all(db)
    .await
}

/// Whether the entry was late (J17), for the page's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub late: bool,
}

/// Enters (or corrects) one result of a pupil of `class_id`: the permission first, then the class
/// (404 for another school's), its grade (9 or 11, else refused naming J17), the pupil (now in
/// the class) and subject (the school's), the rules (`rules::gia`); late when today is after
/// `results_on + gia_entry_days`. Written with its audit event in one transaction; the same
/// sitting entered again replaces the result, the event holding before and after.
pub async fn save(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    class_id: i64,
    form: &GiaForm,
    now: chrono::DateTime<chrono::Utc>,
    today: NaiveDate,
) -> AppResult<Saved> {
    if !access.can_enter_gia() {
        return Err(AppError::Forbidden);
    }
    let school = access.school_id;
    let mut tx = pool.begin().await?;
    let grade = sqlx::query_scalar!(
        "SELECT grade FROM school_class WHERE school_id = $1 AND id = $2",
        school.0,
        class_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let exam = Exam::of_grade(grade)
        .ok_or_else(|| AppError::Refused("Результаты ГИА вносятся для 9 и 11 классов.".into()))?;
    let mut errors = FieldErrors::new();
    let pupil = match form.pupil.trim().parse::<i64>() {
        Ok(id) => {
            sqlx::query_scalar!(
                "SELECT pupil_id FROM class_enrollment
             WHERE school_id = $1 AND class_id = $2 AND pupil_id = $3 AND ends_on IS NULL",
                school.0,
                class_id,
                id
            )
            .fetch_optional(&mut *tx)
            .await?
        }
        Err(_) => None,
    };
    if pupil.is_none() {
        errors.add("pupil", "Выберите обучающегося из списка");
    }
    let subject = match form.subject.trim().parse::<i64>() {
        Ok(id) => {
            sqlx::query_scalar!(
                "SELECT id FROM subject WHERE school_id = $1 AND id = $2",
                school.0,
                id
            )
            .fetch_optional(&mut *tx)
            .await?
        }
        Err(_) => None,
    };
    if subject.is_none() {
        errors.add("subject", "Выберите предмет из списка");
    }
    let typed = Typed {
        exam_date: &form.exam_date,
        results_on: &form.results_on,
        primary_score: &form.primary_score,
        test_score: &form.test_score,
        mark: &form.mark,
    };
    let checked = gia::check(exam, &typed, today);
    let (pupil, subject, r) = match (pupil, subject, checked) {
        (Some(p), Some(s), Ok(r)) if errors.is_empty() => (p, s, r),
        (_, _, Err(more)) => {
            for (field, message) in more.0 {
                errors.add(field, message);
            }
            return Err(AppError::Invalid(errors));
        }
        _ => return Err(AppError::Invalid(errors)),
    };
    let entry_days =
        sqlx::query_scalar!("SELECT gia_entry_days FROM school WHERE id = $1", school.0)
            .fetch_one(&mut *tx)
            .await?;
    let late = gia::is_late(r.results_on, entry_days, today);
    let before = sqlx::query!(
        "SELECT id, primary_score, test_score, mark, results_on, late_entry FROM gia_result
         WHERE school_id = $1 AND pupil_id = $2 AND exam = $3 AND subject_id = $4
           AND exam_date = $5
         FOR UPDATE",
        school.0,
        pupil,
        exam.as_str(),
        subject,
        r.exam_date
    )
    .fetch_optional(&mut *tx)
    .await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO gia_result (school_id, pupil_id, exam, subject_id, exam_date, results_on,
                                 primary_score, test_score, mark, entered_by, entered_at, late_entry)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (school_id, pupil_id, exam, subject_id, exam_date) DO UPDATE
         SET results_on = EXCLUDED.results_on, primary_score = EXCLUDED.primary_score,
             test_score = EXCLUDED.test_score, mark = EXCLUDED.mark,
             entered_by = EXCLUDED.entered_by, entered_at = EXCLUDED.entered_at,
             late_entry = EXCLUDED.late_entry
         RETURNING id",
        school.0,
        pupil,
        exam.as_str(),
        subject,
        r.exam_date,
        r.results_on,
        r.primary_score,
        r.test_score,
        r.mark,
        actor.account_id,
        now,
        late
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut change = Change::new("gia_result.entered", "gia_result", id).after(json!({
        "pupil_id": pupil, "exam": exam.label(), "subject_id": subject, "exam_date": r.exam_date,
        "results_on": r.results_on, "primary_score": r.primary_score, "test_score": r.test_score,
        "value": r.mark, "late_entry": late
    }));
    if let Some(b) = before {
        change = change.before(json!({
            "pupil_id": pupil, "primary_score": b.primary_score, "test_score": b.test_score,
            "value": b.mark, "results_on": b.results_on, "late_entry": b.late_entry
        }));
    }
    audit::record(&mut tx, school, actor, change).await?;
    tx.commit().await?;
    Ok(Saved { late })
}
