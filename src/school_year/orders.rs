//! Queries of the year-end promotion orders (`promotion_order`, `promotion_outcome`).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};

use crate::tenancy::SchoolId;

/// A promotion order with how many pupils it promotes, keeps back and graduates.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: i64,
    pub academic_year_id: i64,
    pub next_year_id: i64,
    pub order_number: String,
    pub order_date: NaiveDate,
    pub effective_on: NaiveDate,
    pub applied_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub promoted: i64,
    pub repeating: i64,
    pub graduated: i64,
}

impl OrderRow {
    /// «№ 112 от 28.05.2027», as movements and audit events quote it.
    pub fn reference(&self) -> String {
        reference(&self.order_number, self.order_date)
    }

    pub fn effective(&self) -> String {
        self.effective_on.format("%d.%m.%Y").to_string()
    }
}

pub fn reference(number: &str, date: NaiveDate) -> String {
    format!("№ {number} от {}", date.format("%d.%m.%Y"))
}

/// A decision of an order about one pupil.
#[derive(Debug, Clone)]
pub struct OutcomeRow {
    pub pupil_id: i64,
    pub from_class_id: i64,
    pub outcome: String,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_order(
    conn: &mut PgConnection,
    school: SchoolId,
    year_id: i64,
    next_year_id: i64,
    number: &str,
    order_date: NaiveDate,
    effective_on: NaiveDate,
    recorded_by: Option<i64>,
    now: DateTime<Utc>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO promotion_order (school_id, academic_year_id, next_year_id, order_number,
                                      order_date, effective_on, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        school.0,
        year_id,
        next_year_id,
        number,
        order_date,
        effective_on,
        recorded_by,
        now
    )
    .fetch_one(conn)
    .await
}

/// Every decision of an order in one statement.
pub async fn insert_outcomes(
    conn: &mut PgConnection,
    school: SchoolId,
    order_id: i64,
    outcomes: &[OutcomeRow],
) -> sqlx::Result<()> {
    let pupils: Vec<i64> = outcomes.iter().map(|o| o.pupil_id).collect();
    let classes: Vec<i64> = outcomes.iter().map(|o| o.from_class_id).collect();
    let kinds: Vec<String> = outcomes.iter().map(|o| o.outcome.clone()).collect();
    sqlx::query!(
        "INSERT INTO promotion_outcome (school_id, order_id, pupil_id, from_class_id, outcome)
         SELECT $1, $2, p, c, o FROM UNNEST($3::bigint[], $4::bigint[], $5::text[]) AS t(p, c, o)",
        school.0,
        order_id,
        &pupils,
        &classes,
        &kinds
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The year's latest order that is not cancelled (waiting or applied), if any.
pub async fn latest_order(
    conn: &mut PgConnection,
    school: SchoolId,
    year_id: i64,
) -> sqlx::Result<Option<OrderRow>> {
    sqlx::query_as!(
        OrderRow,
        r#"SELECT o.id, o.academic_year_id, o.next_year_id, o.order_number, o.order_date,
                  o.effective_on, o.applied_at, o.cancelled_at,
                  (SELECT count(*) FROM promotion_outcome x WHERE x.school_id = o.school_id
                     AND x.order_id = o.id AND x.outcome = 'promoted') AS "promoted!",
                  (SELECT count(*) FROM promotion_outcome x WHERE x.school_id = o.school_id
                     AND x.order_id = o.id AND x.outcome = 'repeat') AS "repeating!",
                  (SELECT count(*) FROM promotion_outcome x WHERE x.school_id = o.school_id
                     AND x.order_id = o.id AND x.outcome = 'graduated') AS "graduated!"
           FROM promotion_order o
           WHERE o.school_id = $1 AND o.academic_year_id = $2 AND o.cancelled_at IS NULL
           ORDER BY o.id DESC
           LIMIT 1"#,
        school.0,
        year_id
    )
    .fetch_optional(conn)
    .await
}

/// An order of the school, locked until the transaction ends (a cancel and the application of
/// the same order wait for each other).
pub async fn lock_order(
    conn: &mut PgConnection,
    school: SchoolId,
    order_id: i64,
) -> sqlx::Result<Option<OrderRow>> {
    sqlx::query_as!(
        OrderRow,
        r#"SELECT o.id, o.academic_year_id, o.next_year_id, o.order_number, o.order_date,
                  o.effective_on, o.applied_at, o.cancelled_at,
                  (SELECT count(*) FROM promotion_outcome x WHERE x.school_id = o.school_id
                     AND x.order_id = o.id AND x.outcome = 'promoted') AS "promoted!",
                  (SELECT count(*) FROM promotion_outcome x WHERE x.school_id = o.school_id
                     AND x.order_id = o.id AND x.outcome = 'repeat') AS "repeating!",
                  (SELECT count(*) FROM promotion_outcome x WHERE x.school_id = o.school_id
                     AND x.order_id = o.id AND x.outcome = 'graduated') AS "graduated!"
           FROM promotion_order o
           WHERE o.school_id = $1 AND o.id = $2
           FOR UPDATE OF o"#,
        school.0,
        order_id
    )
    .fetch_optional(conn)
    .await
}

pub async fn outcomes(
    conn: &mut PgConnection,
    school: SchoolId,
    order_id: i64,
) -> sqlx::Result<Vec<OutcomeRow>> {
    sqlx::query_as!(
        OutcomeRow,
        "SELECT pupil_id, from_class_id, outcome FROM promotion_outcome
         WHERE school_id = $1 AND order_id = $2
         ORDER BY pupil_id",
        school.0,
        order_id
    )
    .fetch_all(conn)
    .await
}

pub async fn mark_applied(
    conn: &mut PgConnection,
    school: SchoolId,
    order_id: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE promotion_order SET applied_at = $3 WHERE school_id = $1 AND id = $2",
        school.0,
        order_id,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_cancelled(
    conn: &mut PgConnection,
    school: SchoolId,
    order_id: i64,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE promotion_order SET cancelled_at = $3, cancelled_by = $4
         WHERE school_id = $1 AND id = $2",
        school.0,
        order_id,
        now,
        by
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// An order waiting for its date, with its school's time zone.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub school_id: i64,
    pub order_id: i64,
    pub effective_on: NaiveDate,
    pub time_zone: String,
}

/// Every order still waiting, of every school the connection may see (the worker runs under
/// `db::scope::all_schools`).
pub async fn waiting(pool: &PgPool) -> sqlx::Result<Vec<Waiting>> {
    sqlx::query_as!(
        Waiting,
        "SELECT o.school_id, o.id AS order_id, o.effective_on, s.time_zone
         FROM promotion_order o JOIN school s ON s.id = o.school_id
         WHERE o.applied_at IS NULL AND o.cancelled_at IS NULL
         ORDER BY o.effective_on, o.id"
    )
    .fetch_all(pool)
    .await
}

/// The day the year's last study period ends (`None`: the year has no periods).
pub async fn last_period_end(
    conn: &mut PgConnection,
    school: SchoolId,
    year_id: i64,
) -> sqlx::Result<Option<NaiveDate>> {
    sqlx::query_scalar!(
        "SELECT max(p.ends_on) FROM study_period p
         JOIN period_scheme s ON s.school_id = p.school_id AND s.id = p.scheme_id
         WHERE p.school_id = $1 AND s.academic_year_id = $2",
        school.0,
        year_id
    )
    .fetch_one(conn)
    .await
}
