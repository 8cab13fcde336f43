//! Period marks (J12–J14) and their correction requests (J6), and the summary sheet they feed.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::grid;
use super::service::Author;
use super::{PeriodMarkValue, show_period_value};
use crate::audit::{self, Change};
use crate::authz::Role;
use crate::error::{AppError, AppResult};
use crate::exports::table::{Cell, Column, Kind, Table};
use crate::input;
use crate::rules::calendar::Span;
use crate::rules::class_totals::{PupilStanding, Totals};
use crate::rules::journal as rules;
use crate::tenancy::SchoolId;

/// A period mark the teacher sets for a pupil: a value, or deferred until a date (a sick pupil).
#[derive(Debug, Clone)]
pub struct PeriodMarkInput {
    pub pupil_id: i64,
    pub value: Option<PeriodMarkValue>,
    pub deferred_until: Option<NaiveDate>,
}

/// The longest written explanation of a correction request (the database keeps at most 2000).
pub const EXPLANATION: usize = 2000;

/// The head of a group's journal, once the author may read it (403 before anything of it is
/// read; another school's group 404).
async fn readable_head(
    conn: &mut PgConnection,
    author: &Author<'_>,
    group_id: i64,
) -> AppResult<grid::Head> {
    let head = grid::head(conn, author.access.school_id, group_id, None).await?;
    super::service::may_read(
        conn,
        author.access,
        author.account_id,
        group_id,
        head.class_id,
        None,
    )
    .await?;
    Ok(head)
}

/// One of the group's periods (read with its head); another grade's or school's: 404.
fn period_of(head: &grid::Head, period_id: i64) -> AppResult<grid::PeriodTab> {
    head.periods
        .iter()
        .find(|p| p.id == period_id)
        .cloned()
        .ok_or(AppError::NotFound)
}

/// What setting the typed period marks would do, shown before they are set (issue 15, item 4):
/// how many of each value, how many deferred, who is left without one, whether the period
/// closes (J13).
#[derive(Debug, Clone, Default)]
pub struct PeriodMarksPreview {
    /// Each value with how many pupils get it, in the scale's order («5» 4, «4» 7, «н/а» 2).
    pub values: Vec<(PeriodMarkValue, usize)>,
    /// The pupils who get «н/а».
    pub not_attested: Vec<i64>,
    pub deferred: usize,
    /// Pupils of the group who would still have no period mark and no deferral.
    pub without: Vec<i64>,
    /// Every pupil would have a period mark or a deferral: the period closes for the teacher.
    pub closes: bool,
}

impl PeriodMarksPreview {
    /// How many marks would be set.
    pub fn set(&self) -> usize {
        self.values.iter().map(|(_, n)| n).sum()
    }
}

/// What `set_period_marks` did or would do.
#[derive(Debug, Clone)]
pub enum PeriodMarksOutcome {
    /// Not confirmed: nothing written, this is what confirming would do.
    ToConfirm(PeriodMarksPreview),
    /// Confirmed: this many written.
    Saved(usize),
}

/// Why nothing was set: a refusal for the whole form (the window, once) and per pupil.
#[derive(Debug, Clone, Default)]
pub struct PeriodMarkProblems {
    pub general: Option<String>,
    pub pupils: Vec<(i64, String)>,
}

/// Sets period marks of a group (J12): by its teacher, in the window, on its scale; a mark
/// already set changes only through a correction request (J6). All or nothing; a refusal of the
/// whole form (the window) comes back once, the others per pupil. Unless `confirmed`, nothing is
/// written and the preview of what would be comes back: setting them closes the period (J13)
/// and is corrected only through a request, so the teacher confirms the numbers first.
pub async fn set_period_marks(
    pool: &PgPool,
    author: &Author<'_>,
    group_id: i64,
    period_id: i64,
    inputs: &[PeriodMarkInput],
    confirmed: bool,
) -> AppResult<Result<PeriodMarksOutcome, PeriodMarkProblems>> {
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let head = readable_head(&mut tx, author, group_id).await?;
    let period = period_of(&head, period_id)?;
    if head.year_closed {
        return Err(AppError::Refused("Учебный год закрыт.".into()));
    }
    let teaches = matches!(author.access.role, Role::Teacher | Role::ClassTeacher)
        && super::repo::teaches(&mut tx, school, group_id, author.account_id).await?;
    if !teaches {
        return Err(AppError::Refused(
            "Итоговые отметки выставляет учитель группы.".into(),
        ));
    }
    let today = crate::clock::local_today(author.clock, &head.time_zone);
    let unlocked =
        super::repo::unlocked(&mut tx, school, group_id, None, author.clock.now()).await?;
    let window = rules::may_set_period_mark(period.span, today, unlocked, &head.settings);
    let allowed = PeriodMarkValue::for_scale(head.scale());
    let current = sqlx::query!(
        "SELECT pupil_id, value, deferred_until FROM period_mark
         WHERE school_id = $1 AND group_id = $2 AND period_id = $3",
        school.0,
        group_id,
        period_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let members = sqlx::query_scalar!(
        r#"SELECT DISTINCT pupil_id AS "pupil_id!" FROM group_pupil
           WHERE school_id = $1 AND group_id = $2 AND starts_on <= $4 AND (ends_on IS NULL OR ends_on >= $3)"#,
        school.0,
        group_id,
        period.span.starts_on,
        period.span.ends_on
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut problems = PeriodMarkProblems::default();
    let mut writes = Vec::new();
    for input in inputs {
        if !members.contains(&input.pupil_id) {
            problems.pupils.push((
                input.pupil_id,
                "Обучающийся не числится в группе в этом периоде.".to_string(),
            ));
            continue;
        }
        let existing = current.iter().find(|c| c.pupil_id == input.pupil_id);
        let (before_value, before_deferred) =
            existing.map_or((None, None), |e| (e.value.clone(), e.deferred_until));
        let new_value = input.value.map(PeriodMarkValue::as_str);
        if new_value.map(str::to_string) == before_value && input.deferred_until == before_deferred
        {
            continue;
        }
        if input.value.is_none() && input.deferred_until.is_none() {
            if existing.is_some() {
                problems.pupils.push((
                    input.pupil_id,
                    "Выставленную итоговую отметку нельзя стереть: подайте заявку на исправление."
                        .into(),
                ));
            }
            continue;
        }
        if before_value.is_some() {
            problems.pupils.push((
                input.pupil_id,
                "Итоговая отметка уже выставлена: изменить её можно только по заявке на исправление, которую утверждает заместитель директора.".into(),
            ));
            continue;
        }
        // A deferred mark is set when the pupil has caught up, after the window too.
        if before_deferred.is_none()
            && let Err(r) = &window
        {
            problems.general = Some(r.text());
            continue;
        }
        if let Some(v) = input.value
            && !allowed.contains(&v)
        {
            problems.pupils.push((
                input.pupil_id,
                format!("По этому предмету нет итоговой отметки «{}».", v.show()),
            ));
            continue;
        }
        writes.push((input, before_value, before_deferred));
    }
    if problems.general.is_some() || !problems.pupils.is_empty() {
        return Ok(Err(problems));
    }
    if writes.is_empty() {
        return Ok(Ok(PeriodMarksOutcome::Saved(0)));
    }
    if !confirmed {
        let mut preview = PeriodMarksPreview::default();
        for v in &allowed {
            let n = writes
                .iter()
                .filter(|(i, _, _)| i.value == Some(*v))
                .count();
            if n > 0 {
                preview.values.push((*v, n));
            }
        }
        preview.not_attested = writes
            .iter()
            .filter(|(i, _, _)| i.value == Some(PeriodMarkValue::NotAttested))
            .map(|(i, _, _)| i.pupil_id)
            .collect();
        preview.deferred = writes.iter().filter(|(i, _, _)| i.value.is_none()).count();
        preview.without = members
            .iter()
            .copied()
            .filter(|p| {
                !current.iter().any(|c| c.pupil_id == *p)
                    && !writes.iter().any(|(i, _, _)| i.pupil_id == *p)
            })
            .collect();
        preview.closes = preview.without.is_empty();
        return Ok(Ok(PeriodMarksOutcome::ToConfirm(preview)));
    }
    let mut written = 0;
    for (input, before_value, before_deferred) in writes {
        let new_value = input.value.map(PeriodMarkValue::as_str);
        sqlx::query!(
            "INSERT INTO period_mark (school_id, group_id, period_id, pupil_id, value, deferred_until, set_by, set_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (school_id, group_id, period_id, pupil_id) DO UPDATE
             SET value = EXCLUDED.value, deferred_until = EXCLUDED.deferred_until,
                 set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at",
            school.0,
            group_id,
            period_id,
            input.pupil_id,
            new_value,
            if new_value.is_some() { None } else { input.deferred_until },
            author.account_id,
            author.clock.now()
        )
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            school,
            author.actor,
            Change::new(
                if new_value.is_some() { "period_mark.set" } else { "period_mark.deferred" },
                "period_mark",
                group_id,
            )
            .group(group_id)
            .before(json!({"pupil_id": input.pupil_id, "period_id": period_id, "value": before_value, "deferred_until": before_deferred}))
            .after(json!({"pupil_id": input.pupil_id, "period_id": period_id, "value": new_value, "deferred_until": input.deferred_until})),
        )
        .await?;
        written += 1;
    }
    tx.commit().await?;
    Ok(Ok(PeriodMarksOutcome::Saved(written)))
}

/// A period mark's stored state: its value and the date it is deferred until.
pub type PeriodMarkState = (Option<String>, Option<NaiveDate>);

/// Puts a pupil's period mark back as it was before a change made with compromised credentials
/// (000 §21, 004 §5.4), in the caller's transaction: by the director or a deputy, whatever the
/// window; `expected` is what the change left (anything else: refused, it was changed since);
/// `before` with neither value nor date removes the mark. Audited with `reason`.
#[allow(clippy::too_many_arguments)]
pub async fn revert_period_mark(
    conn: &mut PgConnection,
    author: &Author<'_>,
    group_id: i64,
    period_id: i64,
    pupil_id: i64,
    expected: &PeriodMarkState,
    before: &PeriodMarkState,
    reason: &str,
) -> AppResult<()> {
    if !author.access.can_read_every_journal() {
        return Err(AppError::Forbidden);
    }
    let school = author.access.school_id;
    let head = readable_head(conn, author, group_id).await?;
    period_of(&head, period_id)?;
    let current = sqlx::query!(
        "SELECT value, deferred_until FROM period_mark
         WHERE school_id = $1 AND group_id = $2 AND period_id = $3 AND pupil_id = $4
         FOR UPDATE",
        school.0,
        group_id,
        period_id,
        pupil_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .map_or((None, None), |r| (r.value, r.deferred_until));
    if &current != expected {
        return Err(AppError::Refused(
            "Итоговую отметку уже изменили после этого: решите вручную.".into(),
        ));
    }
    if before.0.is_none() && before.1.is_none() {
        sqlx::query!(
            "DELETE FROM period_mark
             WHERE school_id = $1 AND group_id = $2 AND period_id = $3 AND pupil_id = $4",
            school.0,
            group_id,
            period_id,
            pupil_id
        )
        .execute(&mut *conn)
        .await?;
    } else {
        sqlx::query!(
            "INSERT INTO period_mark (school_id, group_id, period_id, pupil_id, value, deferred_until, set_by, set_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (school_id, group_id, period_id, pupil_id) DO UPDATE
             SET value = EXCLUDED.value, deferred_until = EXCLUDED.deferred_until,
                 set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at",
            school.0,
            group_id,
            period_id,
            pupil_id,
            before.0,
            if before.0.is_some() { None } else { before.1 },
            author.account_id,
            author.clock.now()
        )
        .execute(&mut *conn)
        .await?;
    }
    audit::record(
        conn,
        school,
        author.actor,
        Change::new("period_mark.reverted", "period_mark", group_id)
            .group(group_id)
            .before(json!({"pupil_id": pupil_id, "period_id": period_id, "value": current.0, "deferred_until": current.1}))
            .after(json!({"pupil_id": pupil_id, "period_id": period_id, "value": before.0, "deferred_until": before.1}))
            .reason(reason),
    )
    .await?;
    Ok(())
}

/// The teacher's written explanation asking to change a period mark (J6).
pub async fn request_correction(
    pool: &PgPool,
    author: &Author<'_>,
    group_id: i64,
    period_id: i64,
    pupil_id: i64,
    value_after: &str,
    explanation: &str,
) -> AppResult<i64> {
    let school = author.access.school_id;
    let mut tx = pool.begin().await?;
    let head = readable_head(&mut tx, author, group_id).await?;
    let explanation = explanation.trim();
    let mut errors = crate::error::FieldErrors::new();
    let value = PeriodMarkValue::parse(value_after);
    if value.is_none() {
        errors.add("value", "Выберите новую отметку.");
    }
    if explanation.chars().count() < 10 {
        errors.add(
            "explanation",
            "Объяснительная: напишите, в чём ошибка и почему отметку нужно изменить (не короче 10 знаков).",
        );
    } else {
        input::text(&mut errors, "explanation", explanation, EXPLANATION);
    }
    errors.into_result()?;
    period_of(&head, period_id)?;
    if !(matches!(author.access.role, Role::Teacher | Role::ClassTeacher)
        && super::repo::teaches(&mut tx, school, group_id, author.account_id).await?)
    {
        return Err(AppError::Refused(
            "Заявку на исправление итоговой отметки подаёт учитель группы.".into(),
        ));
    }
    let current = sqlx::query_scalar!(
        "SELECT value FROM period_mark WHERE school_id = $1 AND group_id = $2 AND period_id = $3 AND pupil_id = $4",
        school.0,
        group_id,
        period_id,
        pupil_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::Refused("Итоговая отметка ещё не выставлена: исправлять нечего.".into()))?;
    let value = value.map(PeriodMarkValue::as_str).unwrap_or_default();
    if current.as_deref() == Some(value) {
        return Err(AppError::invalid(
            "value",
            "Новая отметка совпадает с выставленной.",
        ));
    }
    let id = sqlx::query_scalar!(
        "INSERT INTO correction_request (school_id, group_id, period_id, pupil_id, value_before, value_after,
                                         explanation, requested_by, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        school.0,
        group_id,
        period_id,
        pupil_id,
        current,
        value,
        explanation,
        author.account_id,
        author.clock.now()
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if crate::error::is_unique_violation(&e) {
            AppError::Refused("По этой отметке уже есть заявка, ожидающая решения.".into())
        } else {
            e.into()
        }
    })?;
    audit::record(
        &mut tx,
        school,
        author.actor,
        Change::new("correction.requested", "correction_request", id)
            .after(json!({"pupil_id": pupil_id, "group_id": group_id, "period_id": period_id, "from": current, "to": value}))
            .reason(explanation),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A correction request as the deputy and the director read it: the teacher, the class, the
/// date, the subject, the change and the reasons (J6), and who asked, approved, agreed or refused,
/// and when.
#[derive(Debug, Clone)]
pub struct CorrectionRow {
    pub id: i64,
    pub group_id: i64,
    pub teacher: String,
    pub class_name: String,
    pub subject: String,
    pub period_id: i64,
    pub pupil_id: i64,
    pub pupil: String,
    pub value_before: Option<String>,
    pub value_after: String,
    pub explanation: String,
    pub requested_at: DateTime<Utc>,
    pub status: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub approval_note: Option<String>,
    pub agreed_by: Option<String>,
    pub agreed_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
}

/// A request's status in words.
fn status_words(status: &str) -> &'static str {
    match status {
        "pending" => "ожидает решения заместителя директора",
        "awaiting_director" => "ожидает согласования директора",
        "approved" => "утверждена, отметка исправлена",
        _ => "отклонена",
    }
}

/// «Иванов Иван, 22.10.2026 12:00» in the school's time zone.
fn person_at(name: Option<&str>, at: Option<DateTime<Utc>>, time_zone: &str) -> Option<String> {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    Some(format!(
        "{}, {}",
        name?,
        at?.with_timezone(&tz).format("%d.%m.%Y %H:%M")
    ))
}

impl CorrectionRow {
    pub fn before_text(&self) -> &'static str {
        self.value_before.as_deref().map_or("", show_period_value)
    }

    pub fn after_text(&self) -> &'static str {
        show_period_value(&self.value_after)
    }

    pub fn status_text(&self) -> &'static str {
        status_words(&self.status)
    }

    pub fn is_pending(&self) -> bool {
        self.status == "pending"
    }

    pub fn awaits_director(&self) -> bool {
        self.status == "awaiting_director"
    }

    /// Who asked: «Васильева Анна Петровна, 22.10.2026 12:00».
    pub fn asked(&self, time_zone: &str) -> String {
        person_at(Some(&self.teacher), Some(self.requested_at), time_zone).unwrap_or_default()
    }

    /// Who approved, when.
    pub fn approved(&self, time_zone: &str) -> Option<String> {
        person_at(self.approved_by.as_deref(), self.approved_at, time_zone)
    }

    /// Who agreed (the director), when.
    pub fn agreed(&self, time_zone: &str) -> Option<String> {
        person_at(self.agreed_by.as_deref(), self.agreed_at, time_zone)
    }

    /// Who refused, when.
    pub fn refused(&self, time_zone: &str) -> Option<String> {
        (self.status == "rejected")
            .then(|| person_at(self.decided_by.as_deref(), self.decided_at, time_zone))
            .flatten()
    }
}

/// Correction requests of the school (those awaiting a decision first), or of one group.
pub async fn corrections(
    pool: &PgPool,
    school: SchoolId,
    group_id: Option<i64>,
) -> sqlx::Result<Vec<CorrectionRow>> {
    sqlx::query_as!(
        CorrectionRow,
        r#"SELECT r.id, r.group_id, r.period_id, r.pupil_id,
                  t.last_name || ' ' || t.first_name || ' ' || t.middle_name AS "teacher!",
                  coalesce(c.grade || '«' || c.letter || '»', g.name) AS "class_name!",
                  s.name AS subject,
                  p.last_name || ' ' || p.first_name AS "pupil!",
                  r.value_before, r.value_after, r.explanation, r.requested_at, r.status,
                  ap.last_name || ' ' || ap.first_name || ' ' || ap.middle_name AS approved_by,
                  r.approved_at, r.approval_note,
                  ag.last_name || ' ' || ag.first_name || ' ' || ag.middle_name AS agreed_by,
                  r.agreed_at,
                  d.last_name || ' ' || d.first_name || ' ' || d.middle_name AS decided_by,
                  r.decided_at, r.decision_note
           FROM correction_request r
           JOIN study_group g ON g.school_id = r.school_id AND g.id = r.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           JOIN pupil p ON p.school_id = r.school_id AND p.id = r.pupil_id
           JOIN account t ON t.id = r.requested_by
           LEFT JOIN account ap ON ap.id = r.approved_by
           LEFT JOIN account ag ON ag.id = r.agreed_by
           LEFT JOIN account d ON d.id = r.decided_by
           WHERE r.school_id = $1 AND ($2::bigint IS NULL OR r.group_id = $2)
           ORDER BY (r.status IN ('pending', 'awaiting_director')) DESC, r.requested_at DESC
           LIMIT 200"#,
        school.0,
        group_id
    )
    .fetch_all(pool)
    .await
}

/// How many requests wait: for a deputy's decision, for the director's agreement.
pub async fn waiting(pool: &PgPool, school: SchoolId) -> sqlx::Result<(i64, i64)> {
    let r = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE status = 'pending') AS "for_deputy!",
                  count(*) FILTER (WHERE status = 'awaiting_director') AS "for_director!"
           FROM correction_request
           WHERE school_id = $1 AND status IN ('pending', 'awaiting_director')"#,
        school.0
    )
    .fetch_one(pool)
    .await?;
    Ok((r.for_deputy, r.for_director))
}

/// What a decision on a correction request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decided {
    /// Approved by a deputy; waits for the director's agreement.
    AwaitsDirector,
    /// Approved (and, where needed, agreed): the period mark is changed.
    Applied,
    Rejected,
}

/// A deputy approves or refuses a teacher's request to change a period mark (J6); the
/// director agrees or refuses one a deputy approved, or approves a pending one — which counts as
/// both. Where the school needs the director's agreement (`school.correction_needs_director`,
/// the default) a deputy's approval only passes the request on; the mark changes when the
/// director agrees, in that transaction, audited with who asked, who approved, who agreed and
/// why.
pub async fn decide_correction(
    pool: &PgPool,
    author: &Author<'_>,
    request_id: i64,
    approve: bool,
    note: &str,
) -> AppResult<Decided> {
    let access = author.access;
    if !access.can_decide_corrections() {
        return Err(AppError::Forbidden);
    }
    let note = note.trim();
    if !approve && note.chars().count() < 3 {
        return Err(AppError::invalid(
            "note",
            "Укажите, почему заявка отклонена.",
        ));
    }
    let mut errors = crate::error::FieldErrors::new();
    input::text(&mut errors, "note", note, super::service::COMMENT);
    errors.into_result()?;
    let note = (!note.is_empty()).then_some(note);
    let school = access.school_id;
    let mut tx = pool.begin().await?;
    let r = sqlx::query!(
        r#"SELECT r.group_id, r.period_id, r.pupil_id, r.value_before, r.value_after, r.explanation,
                  r.status, r.approved_by, r.approval_note,
                  t.last_name || ' ' || t.first_name || ' ' || t.middle_name AS "requested_by!",
                  ap.last_name || ' ' || ap.first_name || ' ' || ap.middle_name AS approver
           FROM correction_request r
           JOIN account t ON t.id = r.requested_by
           LEFT JOIN account ap ON ap.id = r.approved_by
           WHERE r.school_id = $1 AND r.id = $2
           FOR UPDATE OF r"#,
        school.0,
        request_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let needs_director = sqlx::query_scalar!(
        "SELECT correction_needs_director FROM school WHERE id = $1",
        school.0
    )
    .fetch_one(&mut *tx)
    .await?;
    let director = access.can_agree_corrections();
    let now = author.clock.now();
    let (decided, action) = match (r.status.as_str(), director) {
        ("pending", _) if !approve => (Decided::Rejected, "correction.rejected"),
        ("pending", false) if needs_director => (Decided::AwaitsDirector, "correction.approved"),
        ("pending", _) => (Decided::Applied, "correction.approved"),
        ("awaiting_director", true) if approve => (Decided::Applied, "correction.agreed"),
        ("awaiting_director", true) => (Decided::Rejected, "correction.rejected"),
        ("awaiting_director", false) => {
            return Err(AppError::Refused(
                "Заявка уже утверждена и ждёт согласования директора: решение за директором ."
                    .into(),
            ));
        }
        _ => {
            return Err(AppError::Refused(
                "По этой заявке уже принято решение.".into(),
            ));
        }
    };
    // This decision is the approval when the request was pending; otherwise a deputy approved
    // it before (kept).
    let approving = r.status == "pending" && approve;
    // A director who applies the change agrees (to a deputy's approval, or to their own).
    let agreed = decided == Decided::Applied && director;
    let status = match decided {
        Decided::AwaitsDirector => "awaiting_director",
        Decided::Applied => "approved",
        Decided::Rejected => "rejected",
    };
    let closed = decided != Decided::AwaitsDirector;
    sqlx::query!(
        "UPDATE correction_request
         SET status = $3,
             approved_by = CASE WHEN $4 THEN $5 ELSE approved_by END,
             approved_at = CASE WHEN $4 THEN $6 ELSE approved_at END,
             approval_note = CASE WHEN $4 THEN $7 ELSE approval_note END,
             agreed_by = CASE WHEN $8 THEN $5 END,
             agreed_at = CASE WHEN $8 THEN $6 END,
             decided_by = CASE WHEN $9 THEN $5 END,
             decided_at = CASE WHEN $9 THEN $6 END,
             decision_note = CASE WHEN $9 AND NOT $4 THEN $7 END
         WHERE school_id = $1 AND id = $2",
        school.0,
        request_id,
        status,
        approving,
        author.account_id,
        now,
        note,
        agreed,
        closed
    )
    .execute(&mut *tx)
    .await?;
    let mut change = Change::new(action, "correction_request", request_id)
        .before(json!({"pupil_id": r.pupil_id, "group_id": r.group_id, "status": status_words(&r.status)}))
        .after(json!({"pupil_id": r.pupil_id, "group_id": r.group_id, "status": status_words(status)}));
    if let Some(note) = note {
        change = change.reason(note);
    }
    audit::record(&mut tx, school, author.actor, change).await?;
    if decided == Decided::Applied {
        let changed = sqlx::query!(
            "UPDATE period_mark SET value = $5, deferred_until = NULL, set_by = $6, set_at = $7
             WHERE school_id = $1 AND group_id = $2 AND period_id = $3 AND pupil_id = $4
               AND value IS NOT DISTINCT FROM $8",
            school.0,
            r.group_id,
            r.period_id,
            r.pupil_id,
            r.value_after,
            author.account_id,
            now,
            r.value_before
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(AppError::Refused(
                "Итоговая отметка изменилась после подачи заявки: заявку нужно подать заново."
                    .into(),
            ));
        }
        let me = sqlx::query_scalar!(
            r#"SELECT last_name || ' ' || first_name || ' ' || middle_name AS "name!"
               FROM account WHERE id = $1"#,
            author.account_id
        )
        .fetch_one(&mut *tx)
        .await?;
        let approved_by = if approving {
            Some(me.clone())
        } else {
            r.approver
        };
        audit::record(
            &mut tx,
            school,
            author.actor,
            Change::new("period_mark.corrected", "period_mark", r.group_id)
                .group(r.group_id)
                .before(json!({"pupil_id": r.pupil_id, "period_id": r.period_id, "value": r.value_before}))
                .after(json!({
                    "pupil_id": r.pupil_id,
                    "period_id": r.period_id,
                    "value": r.value_after,
                    "request_id": request_id,
                    "requested_by": r.requested_by,
                    "approved_by": approved_by,
                    "agreed_by": if agreed { Some(me) } else { None },
                }))
                .reason(&r.explanation),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(decided)
}

/// The summary sheet (сводная ведомость) of a class (J14): every pupil × every subject's period
/// mark, straight from `period_mark` — a mark set is in the sheet at once — for one period or
/// for the year (every period of the class's grade side by side). There is no year mark in the
/// schema, so the year's sheet shows the periods only.
#[derive(Debug, Clone)]
pub struct SummarySheet {
    pub subjects: Vec<String>,
    /// The periods shown, in order (one, or the year's).
    pub periods: Vec<String>,
    pub rows: Vec<SheetRow>,
    /// The class's figures per period (`rules::class_totals`), in `periods` order.
    pub totals: Vec<Totals>,
}

#[derive(Debug, Clone)]
pub struct SheetRow {
    pub pupil: String,
    /// Subject by subject, period by period within it (`subjects.len() × periods.len()`); empty
    /// where there is no mark or the pupil was not in the class during the period.
    pub cells: Vec<&'static str>,
    /// The last day in the class, for a pupil who left before the last period's end.
    pub left_on: Option<NaiveDate>,
}

impl SheetRow {
    pub fn note(&self) -> String {
        crate::diary::class::left_note(self.left_on)
    }
}

impl SummarySheet {
    /// The column heads: the subject, with the period when the sheet has several.
    pub fn column_names(&self) -> Vec<String> {
        self.subjects
            .iter()
            .flat_map(|s| {
                self.periods.iter().map(move |p| {
                    if self.periods.len() == 1 {
                        s.clone()
                    } else {
                        format!("{s}, {p}")
                    }
                })
            })
            .collect()
    }

    /// The sheet as a download: the page's table, then each period's figures.
    pub fn table(&self, title: String) -> Table {
        let mut columns = vec![Column::new("Обучающийся", Kind::Text)];
        columns.extend(
            self.column_names()
                .into_iter()
                .map(|n| Column::new(n, Kind::Number)),
        );
        columns.push(Column::new("Примечание", Kind::Text));
        let mut rows: Vec<Vec<Cell>> = self
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![Cell::text(r.pupil.clone())];
                row.extend(r.cells.iter().map(|c| Cell::mark(c)));
                row.push(Cell::text(r.note()));
                row
            })
            .collect();
        for (period, totals) in self.periods.iter().zip(&self.totals) {
            rows.push(vec![]);
            rows.push(vec![Cell::text(format!("Итоги: {period}"))]);
            rows.extend(crate::diary::class::totals_rows(totals));
        }
        Table {
            title,
            columns,
            rows,
            notes: crate::diary::class::DEFINITIONS[..4]
                .iter()
                .map(|d| d.to_string())
                .chain(std::iter::once(
                    "Выбывшие показаны только за периоды, когда были в классе, и в итоги периода, до конца которого выбыли, не входят.".to_string(),
                ))
                .collect(),
        }
    }
}

/// A period of the sheet: its id, name and dates.
pub struct SheetPeriod<'a> {
    pub id: i64,
    pub name: &'a str,
    pub span: Span,
}

pub async fn summary_sheet(
    pool: &PgPool,
    school: SchoolId,
    class_id: i64,
    periods: &[SheetPeriod<'_>],
) -> sqlx::Result<SummarySheet> {
    let (Some(first), Some(last)) = (periods.first(), periods.last()) else {
        return Ok(SummarySheet {
            subjects: vec![],
            periods: vec![],
            rows: vec![],
            totals: vec![],
        });
    };
    // Every stay of every pupil in the class that overlaps the sheet's periods.
    let stays = sqlx::query!(
        r#"SELECT p.id, p.last_name || ' ' || p.first_name AS "name!", e.starts_on, e.ends_on
           FROM class_enrollment e JOIN pupil p ON p.school_id = e.school_id AND p.id = e.pupil_id
           WHERE e.school_id = $1 AND e.class_id = $2 AND e.starts_on <= $4
             AND (e.ends_on IS NULL OR e.ends_on >= $3)
           ORDER BY p.last_name, p.first_name, p.id, e.starts_on"#,
        school.0,
        class_id,
        first.span.starts_on,
        last.span.ends_on
    )
    .fetch_all(pool)
    .await?;
    let subjects = sqlx::query!(
        r#"SELECT DISTINCT s.id, s.name FROM study_group g
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           WHERE g.school_id = $1 AND g.class_id = $2 ORDER BY s.name"#,
        school.0,
        class_id
    )
    .fetch_all(pool)
    .await?;
    let period_ids: Vec<i64> = periods.iter().map(|p| p.id).collect();
    let marks = sqlx::query!(
        r#"SELECT pm.pupil_id, pm.period_id, g.subject_id, pm.value
           FROM period_mark pm
           JOIN study_group g ON g.school_id = pm.school_id AND g.id = pm.group_id
           WHERE pm.school_id = $1 AND g.class_id = $2 AND pm.period_id = ANY($3)
             AND pm.value IS NOT NULL"#,
        school.0,
        class_id,
        &period_ids
    )
    .fetch_all(pool)
    .await?;
    let value: HashMap<(i64, i64, i64), &str> = marks
        .iter()
        .filter_map(|m| Some(((m.pupil_id, m.period_id, m.subject_id), m.value.as_deref()?)))
        .collect();
    // A pupil's stays in the class: first and last day (none: still there).
    type Stays = Vec<(NaiveDate, Option<NaiveDate>)>;
    let mut pupils: Vec<(i64, String, Stays)> = Vec::new();
    for s in &stays {
        match pupils.last_mut() {
            Some(last) if last.0 == s.id => last.2.push((s.starts_on, s.ends_on)),
            _ => pupils.push((s.id, s.name.clone(), vec![(s.starts_on, s.ends_on)])),
        }
    }
    let in_class = |stays: &[(NaiveDate, Option<NaiveDate>)], span: Span| {
        stays
            .iter()
            .any(|(from, to)| *from <= span.ends_on && to.is_none_or(|t| t >= span.starts_on))
    };
    let left_by = |stays: &[(NaiveDate, Option<NaiveDate>)], day: NaiveDate| {
        if stays.iter().all(|(_, to)| to.is_some_and(|t| t < day)) {
            stays.iter().filter_map(|(_, to)| *to).max()
        } else {
            None
        }
    };
    let mut standings: Vec<Vec<PupilStanding>> = vec![Vec::new(); periods.len()];
    let rows = pupils
        .iter()
        .map(|(id, name, stays)| {
            let mut cells = Vec::with_capacity(subjects.len() * periods.len());
            for s in &subjects {
                for p in periods {
                    let shown = if in_class(stays, p.span) {
                        value
                            .get(&(*id, p.id, s.id))
                            .map_or("", |v| show_period_value(v))
                    } else {
                        ""
                    };
                    cells.push(shown);
                }
            }
            for (i, p) in periods.iter().enumerate() {
                if in_class(stays, p.span) && left_by(stays, p.span.ends_on).is_none() {
                    standings[i].push(PupilStanding::of(
                        subjects
                            .iter()
                            .filter_map(|s| value.get(&(*id, p.id, s.id)).copied()),
                    ));
                }
            }
            SheetRow {
                pupil: name.clone(),
                cells,
                left_on: left_by(stays, last.span.ends_on),
            }
        })
        .collect();
    Ok(SummarySheet {
        subjects: subjects.into_iter().map(|s| s.name).collect(),
        periods: periods.iter().map(|p| p.name.to_string()).collect(),
        rows,
        totals: standings.iter().map(Totals::of).collect(),
    })
}
