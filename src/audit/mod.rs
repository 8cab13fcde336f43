//! The audit trail: `record` writes one event in the caller's transaction, so that a change and
//! its record commit or fail together. The table is append-only (the database refuses UPDATE,
//! DELETE and TRUNCATE), and the database links every event into its school's hash chain as it is
//! inserted, so that a change made around the application is found ([`chain`]).

pub mod chain;
pub mod labels;

use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;

use crate::authz::Role;
use crate::tenancy::SchoolId;

/// Who makes a change.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    /// `None`: the platform itself (command line, demo seed).
    pub account_id: Option<i64>,
    pub role: Option<Role>,
    /// A short hash of the session the change came from.
    pub session_ref: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Self::default()
    }
}

/// What changed.
#[derive(Debug)]
pub struct Change<'a> {
    /// `area.verb`, e.g. `membership.granted`.
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<&'a str>,
    /// The journal (study group) concerned, when the writer knows it (`group`).
    pub group_id: Option<i64>,
}

impl<'a> Change<'a> {
    pub fn new(action: &'a str, subject_type: &'a str, subject_id: i64) -> Self {
        Self {
            action,
            subject_type,
            subject_id: Some(subject_id),
            before: None,
            after: None,
            reason: None,
            group_id: None,
        }
    }

    pub fn before(mut self, value: impl Serialize) -> Self {
        self.before = Some(serde_json::to_value(value).unwrap_or(Value::Null));
        self
    }

    pub fn after(mut self, value: impl Serialize) -> Self {
        self.after = Some(serde_json::to_value(value).unwrap_or(Value::Null));
        self
    }

    pub fn reason(mut self, reason: &'a str) -> Self {
        self.reason = Some(reason);
        self
    }

    /// The journal concerned, when the change records none itself: for the audit page's filter
    /// and the versions of the journal's kept pages (`web::page_cache`; a change naming no
    /// journal makes every page of the school render again). For a recorded lesson, given here,
    /// the chain's row trigger need not look the lesson up.
    pub fn group(mut self, group_id: i64) -> Self {
        self.group_id = Some(group_id);
        self
    }
}

/// Records `change` in the caller's transaction. The pupil and the journal (study group) the
/// change concerns are kept in their own columns for the audit page's filters: taken here from
/// the recorded `pupil_id` / `group_id` or the subject, and the group of the recorded lesson by
/// the chain's row trigger (migration `audit_group_from_lesson_in_trigger`). A plain
/// `INSERT … VALUES` of parameters, which Citus routes to the school's shard (docs/SCALE.md).
pub async fn record(
    conn: &mut PgConnection,
    school_id: SchoolId,
    actor: &Actor,
    change: Change<'_>,
) -> sqlx::Result<()> {
    let (pupil_id, group_id) = pupil_and_group(&change);
    sqlx::query!(
        "INSERT INTO audit_event
             (school_id, actor_account_id, actor_role, session_ref, action, subject_type,
              subject_id, before, after, reason, pupil_id, group_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        school_id.0,
        actor.account_id,
        actor.role.map(Role::as_str),
        actor.session_ref,
        change.action,
        change.subject_type,
        change.subject_id,
        change.before,
        change.after,
        change.reason,
        pupil_id,
        group_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records `changes`, in their order, in the caller's transaction with one statement (a
/// multi-row `INSERT … VALUES`; the chain links its rows in that order), each as [`record`]
/// records one. Nothing when there are none.
pub async fn record_all(
    conn: &mut PgConnection,
    school_id: SchoolId,
    changes: &[(&Actor, Change<'_>)],
) -> sqlx::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut insert = sqlx::QueryBuilder::new(
        "INSERT INTO audit_event (school_id, actor_account_id, actor_role, session_ref, action, \
         subject_type, subject_id, before, after, reason, pupil_id, group_id) ",
    );
    insert.push_values(changes, |mut row, (actor, change)| {
        let (pupil_id, group_id) = pupil_and_group(change);
        row.push_bind(school_id.0)
            .push_bind(actor.account_id)
            .push_bind(actor.role.map(Role::as_str))
            .push_bind(actor.session_ref.as_deref())
            .push_bind(change.action)
            .push_bind(change.subject_type)
            .push_bind(change.subject_id)
            .push_bind(change.before.as_ref())
            .push_bind(change.after.as_ref())
            .push_bind(change.reason)
            .push_bind(pupil_id)
            .push_bind(group_id);
    });
    insert.build().execute(conn).await?;
    Ok(())
}

/// The pupil and the journal (study group) a change concerns (see [`record`]).
fn pupil_and_group(change: &Change<'_>) -> (Option<i64>, Option<i64>) {
    let subject = |kind: &str| {
        (change.subject_type == kind)
            .then_some(change.subject_id)
            .flatten()
    };
    let pupil_id = recorded_id(change, "pupil_id").or_else(|| subject("pupil"));
    let group_id = change
        .group_id
        .or_else(|| recorded_id(change, "group_id"))
        .or_else(|| subject("study_group"));
    (pupil_id, group_id)
}

/// The id recorded under `key` in the state after the change, else before it: a JSON number,
/// truncated, as the database's `audit_json_id` reads it (anything else is no id).
fn recorded_id(change: &Change<'_>, key: &str) -> Option<i64> {
    let id = |state: &Option<Value>| {
        let value = state.as_ref()?.get(key)?;
        value
            .as_i64()
            .or_else(|| value.as_u64().and_then(|n| i64::try_from(n).ok()))
            .or_else(|| {
                value
                    .as_f64()
                    .map(f64::trunc)
                    .filter(|n| n.abs() < 9.2e18)
                    .map(|n| n as i64)
            })
    };
    id(&change.after).or_else(|| id(&change.before))
}

/// One line of the audit trail as the audit page shows it.
#[derive(Debug, Clone)]
pub struct AuditLine {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
}

impl AuditLine {
    /// When, in the school's time zone: «23.11.2026 10:15».
    pub fn local_time(&self, time_zone: &str) -> String {
        let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
        self.at
            .with_timezone(&tz)
            .format("%d.%m.%Y %H:%M")
            .to_string()
    }

    /// What was done, in Russian.
    pub fn action_label(&self) -> &str {
        labels::action(&self.action)
    }

    /// What it was done to, in Russian.
    pub fn subject_label(&self) -> &str {
        labels::subject(&self.subject_type)
    }

    /// The state before the change, in Russian.
    pub fn before_text(&self) -> String {
        self.before.as_ref().map(labels::state).unwrap_or_default()
    }

    /// The state after the change, in Russian.
    pub fn after_text(&self) -> String {
        self.after.as_ref().map(labels::state).unwrap_or_default()
    }
}

/// The most lines one page of the audit trail shows.
pub const PAGE_SIZE: i64 = 100;

/// What the audit page narrows the trail to; every part optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Who made the change.
    pub actor: Option<i64>,
    /// The pupil the change concerns.
    pub pupil: Option<i64>,
    /// The journal (study group) the change concerns.
    pub group: Option<i64>,
    /// The kind of change (`area.verb`).
    pub action: Option<String>,
    /// From this moment (inclusive).
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Until this moment (exclusive).
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// Keyset paging: only events older than this one.
    pub older_than: Option<i64>,
}

/// One page of the trail, newest first, and whether older events follow.
pub struct Page {
    pub lines: Vec<AuditLine>,
    pub more: bool,
}

/// The school's events matching `filter`, newest first, at most `PAGE_SIZE`. The SQL names only
/// the conditions given, so every filter reads its own index (migration 20261130000202).
pub async fn search(
    pool: &sqlx::PgPool,
    school_id: SchoolId,
    filter: &Filter,
) -> sqlx::Result<Page> {
    use sqlx::Row;
    let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new(
        "SELECT e.id, e.at, e.actor_role, e.action, e.subject_type, e.subject_id, e.before,
                e.after, e.reason, a.last_name || ' ' || a.first_name AS actor
         FROM audit_event e
         LEFT JOIN account a ON a.id = e.actor_account_id
         WHERE e.school_id = ",
    );
    q.push_bind(school_id.0);
    if let Some(actor) = filter.actor {
        q.push(" AND e.actor_account_id = ").push_bind(actor);
    }
    if let Some(pupil) = filter.pupil {
        q.push(" AND e.pupil_id = ").push_bind(pupil);
    }
    if let Some(group) = filter.group {
        q.push(" AND e.group_id = ").push_bind(group);
    }
    if let Some(action) = &filter.action {
        q.push(" AND e.action = ").push_bind(action.clone());
    }
    if let Some(from) = filter.from {
        q.push(" AND e.at >= ").push_bind(from);
    }
    if let Some(until) = filter.until {
        q.push(" AND e.at < ").push_bind(until);
    }
    if let Some(id) = filter.older_than {
        q.push(" AND e.id < ").push_bind(id);
    }
    q.push(" ORDER BY e.id DESC LIMIT ")
        .push_bind(PAGE_SIZE + 1);
    let rows = q.build().fetch_all(pool).await?;
    let mut lines = rows
        .iter()
        .map(|r| {
            Ok(AuditLine {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                actor_role: r.try_get("actor_role")?,
                action: r.try_get("action")?,
                subject_type: r.try_get("subject_type")?,
                subject_id: r.try_get("subject_id")?,
                before: r.try_get("before")?,
                after: r.try_get("after")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect::<sqlx::Result<Vec<_>>>()?;
    let more = lines.len() as i64 > PAGE_SIZE;
    lines.truncate(PAGE_SIZE as usize);
    Ok(Page { lines, more })
}

/// One entry of a filter's list: an id and how the page names it.
#[derive(Debug, Clone)]
pub struct Choice {
    pub id: i64,
    pub label: String,
}

/// What the filters offer: the school's staff, its pupils (with their class), its journals.
pub struct Choices {
    pub people: Vec<Choice>,
    pub pupils: Vec<Choice>,
    pub groups: Vec<Choice>,
}

pub async fn choices(pool: &sqlx::PgPool, school_id: SchoolId) -> sqlx::Result<Choices> {
    let people = sqlx::query_as!(
        Choice,
        r#"SELECT a.id AS "id!", a.last_name || ' ' || a.first_name || ' (' || a.login || ')' AS "label!"
           FROM account a
           WHERE a.id IN (SELECT m.account_id FROM membership m
                          WHERE m.school_id = $1 AND m.role NOT IN ('parent', 'pupil'))
           ORDER BY a.last_name, a.first_name, a.id"#,
        school_id.0
    )
    .fetch_all(pool)
    .await?;
    let pupils = sqlx::query_as!(
        Choice,
        r#"SELECT p.id AS "id!",
                  p.last_name || ' ' || p.first_name
                    || COALESCE(' (' || c.grade || c.letter || ')', '') AS "label!"
           FROM pupil p
           LEFT JOIN LATERAL (
               SELECT k.grade, k.letter FROM class_enrollment ce
               JOIN school_class k ON k.school_id = ce.school_id AND k.id = ce.class_id
               WHERE ce.school_id = $1 AND ce.pupil_id = p.id
               ORDER BY ce.starts_on DESC LIMIT 1) c ON true
           WHERE p.school_id = $1
           ORDER BY p.last_name, p.first_name, p.id"#,
        school_id.0
    )
    .fetch_all(pool)
    .await?;
    let groups = sqlx::query_as!(
        Choice,
        r#"SELECT g.id AS "id!", g.name || ', ' || y.name AS "label!"
           FROM study_group g
           JOIN academic_year y ON y.school_id = g.school_id AND y.id = g.academic_year_id
           WHERE g.school_id = $1
           ORDER BY y.starts_on DESC, g.name, g.id"#,
        school_id.0
    )
    .fetch_all(pool)
    .await?;
    Ok(Choices {
        people,
        pupils,
        groups,
    })
}

/// The latest `limit` events of a school, newest first (the home page's short list).
pub async fn latest(
    pool: &sqlx::PgPool,
    school_id: SchoolId,
    limit: i64,
) -> sqlx::Result<Vec<AuditLine>> {
    sqlx::query_as!(
        AuditLine,
        r#"SELECT e.id, e.at, e.actor_role, e.action, e.subject_type, e.subject_id, e.before,
                  e.after, e.reason,
                  a.last_name || ' ' || a.first_name AS actor
           FROM audit_event e
           LEFT JOIN account a ON a.id = e.actor_account_id
           WHERE e.school_id = $1
           ORDER BY e.id DESC
           LIMIT $2"#,
        school_id.0,
        limit
    )
    .fetch_all(pool)
    .await
}

/// The filters as the page's GET parameters carry them (bookmarkable), all text.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RawFilter {
    #[serde(default)]
    pub person: String,
    #[serde(default)]
    pub pupil: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub older: String,
}

impl RawFilter {
    /// The query string of these filters with `older` set (the link to the next page).
    pub fn next_page(&self, older_than: i64) -> String {
        let pairs = [
            ("person", self.person.as_str()),
            ("pupil", self.pupil.as_str()),
            ("group", self.group.as_str()),
            ("kind", self.kind.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
        ];
        let older = older_than.to_string();
        let kept: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (*k, v.trim()))
            .filter(|(_, v)| !v.is_empty())
            .chain([("older", older.as_str())])
            .collect();
        serde_urlencoded::to_string(kept).unwrap_or_default()
    }
}

/// Reads the filters: an id must be one of `choices` (another school's id is as unknown as a
/// typo), a kind one of the labelled actions, dates `ДД.ММ.ГГГГ` or `ГГГГ-ММ-ДД` taken as whole
/// days in the school's time zone. Each bad value gets its Russian message under its own name.
pub fn parse_filter(
    raw: &RawFilter,
    choices: &Choices,
    time_zone: &str,
) -> (Filter, crate::error::FieldErrors) {
    let mut errors = crate::error::FieldErrors::new();
    let mut pick = |field: &'static str, value: &str, list: &[Choice], message: &str| {
        crate::input::choice(
            &mut errors,
            field,
            value,
            list.iter().map(|c| c.id),
            message,
        )
    };
    let actor = pick(
        "person",
        &raw.person,
        &choices.people,
        "Выберите сотрудника из списка",
    );
    let pupil = pick(
        "pupil",
        &raw.pupil,
        &choices.pupils,
        "Выберите обучающегося из списка",
    );
    let group = pick(
        "group",
        &raw.group,
        &choices.groups,
        "Выберите журнал из списка",
    );
    let kind = raw.kind.trim();
    let action = if kind.is_empty() {
        None
    } else if labels::ACTIONS.iter().any(|(code, _)| *code == kind) {
        Some(kind.to_string())
    } else {
        errors.add("kind", "Выберите вид изменения из списка");
        None
    };
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    let mut day = |field: &'static str, value: &str| {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        let date = crate::school_year::calendar::parse_date(value);
        if date.is_none() {
            errors.add(field, "Укажите дату в виде ДД.ММ.ГГГГ");
        }
        date
    };
    let from_day = day("from", &raw.from);
    let to_day = day("to", &raw.to);
    if let (Some(f), Some(t)) = (from_day, to_day)
        && t < f
    {
        errors.add("to", "Укажите конец периода не раньше его начала");
    }
    let start_of = |d: chrono::NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(tz).earliest())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let older = raw.older.trim();
    let older_than = if older.is_empty() {
        None
    } else {
        match older.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                errors.add(
                    "older",
                    "Неверная ссылка на страницу: показано начало журнала",
                );
                None
            }
        }
    };
    let filter = Filter {
        actor,
        pupil,
        group,
        action,
        from: from_day.and_then(start_of),
        until: to_day.and_then(|d| d.succ_opt()).and_then(start_of),
        older_than,
    };
    (filter, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pupil_and_group_are_read_from_after_then_before_as_the_database_read_them() {
        let change = Change::new("mark.corrected", "mark", 5)
            .before(serde_json::json!({"pupil_id": 7, "group_id": "3"}))
            .after(serde_json::json!({"pupil_id": 8.9, "lesson_id": 4}));
        assert_eq!(recorded_id(&change, "pupil_id"), Some(8));
        assert_eq!(recorded_id(&change, "group_id"), None);
        assert_eq!(recorded_id(&change, "lesson_id"), Some(4));
        let before_only = Change::new("mark.removed", "mark", 5)
            .before(serde_json::json!({"group_id": 3}))
            .after(serde_json::Value::Null);
        assert_eq!(recorded_id(&before_only, "group_id"), Some(3));
    }
}
