//! Who opened the diary, and how often (003: the class teacher sees who has not; the activity
//! report counts openings). A diary view is a read: it must not cost a write and a commit of its
//! own. The views are counted in memory and written in batches — every two seconds by the
//! server's flusher, at shutdown, and before anything that reads them is shown (a page of this
//! server then counts its own views at once; another server's views within two seconds).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use tokio::task::JoinHandle;

use super::Reader;
use crate::tenancy::SchoolId;

/// More pending visits than this are written at once by the page that records one (a bound on
/// memory between two rounds of the flusher; a day of a school is a few thousand).
const MAX_PENDING: usize = 20_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    school: i64,
    pupil: i64,
    account: i64,
    on_date: NaiveDate,
}

#[derive(Clone, Copy, Debug)]
struct Views {
    role: &'static str,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    count: i32,
}

/// The diary views not yet written, of this server.
#[derive(Debug, Default)]
pub struct VisitBook {
    pending: Mutex<HashMap<Key, Views>>,
}

impl VisitBook {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Counts a parent's or the pupil's view of a diary (staff views are not counted). Returns
    /// true when so many are pending that the caller should write them now ([`Self::flush`]).
    pub fn record(
        &self,
        school: SchoolId,
        pupil: i64,
        account: i64,
        reader: Reader,
        now: DateTime<Utc>,
        today: NaiveDate,
    ) -> bool {
        let role = match reader {
            Reader::Parent => "parent",
            Reader::Pupil => "pupil",
            Reader::Staff => return false,
        };
        let mut pending = self.lock();
        let key = Key {
            school: school.0,
            pupil,
            account,
            on_date: today,
        };
        pending
            .entry(key)
            .and_modify(|v| {
                v.first = v.first.min(now);
                v.last = v.last.max(now);
                v.count = v.count.saturating_add(1);
            })
            .or_insert(Views {
                role,
                first: now,
                last: now,
                count: 1,
            });
        pending.len() >= MAX_PENDING
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Views>> {
        // A panic while holding the lock leaves a map that is still whole.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the pending views in one statement (nothing when there are none). On failure they
    /// are kept for the next round.
    pub async fn flush(&self, pool: &PgPool) -> sqlx::Result<()> {
        let batch: Vec<(Key, Views)> = std::mem::take(&mut *self.lock()).into_iter().collect();
        if batch.is_empty() {
            return Ok(());
        }
        // The views of every school this server served: each row carries the school whose page
        // was read, and nothing is read back.
        let written = crate::db::scope::all_schools(write(pool, &batch)).await;
        if written.is_err() {
            let mut pending = self.lock();
            for (key, v) in batch {
                pending
                    .entry(key)
                    .and_modify(|p| {
                        p.first = p.first.min(v.first);
                        p.last = p.last.max(v.last);
                        p.count = p.count.saturating_add(v.count);
                    })
                    .or_insert(v);
            }
        }
        written
    }

    /// Writes the pending views every `every`, for ever (the server aborts it and flushes once
    /// more at shutdown).
    pub fn spawn_flusher(self: &Arc<Self>, pool: PgPool, every: Duration) -> JoinHandle<()> {
        let book = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = book.flush(&pool).await {
                    tracing::warn!(error = %e, "cannot write the diary views");
                }
            }
        })
    }
}

async fn write(pool: &PgPool, batch: &[(Key, Views)]) -> sqlx::Result<()> {
    let mut schools = Vec::with_capacity(batch.len());
    let mut pupils = Vec::with_capacity(batch.len());
    let mut accounts = Vec::with_capacity(batch.len());
    let mut roles = Vec::with_capacity(batch.len());
    let mut dates = Vec::with_capacity(batch.len());
    let mut firsts = Vec::with_capacity(batch.len());
    let mut lasts = Vec::with_capacity(batch.len());
    let mut counts = Vec::with_capacity(batch.len());
    for (k, v) in batch {
        schools.push(k.school);
        pupils.push(k.pupil);
        accounts.push(k.account);
        roles.push(v.role.to_string());
        dates.push(k.on_date);
        firsts.push(v.first);
        lasts.push(v.last);
        counts.push(v.count);
    }
    sqlx::query!(
        r#"INSERT INTO diary_visit (school_id, pupil_id, account_id, role, on_date, first_at, last_at, views)
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::date[],
                                $6::timestamptz[], $7::timestamptz[], $8::int[])
           ON CONFLICT (school_id, pupil_id, account_id, on_date)
           DO UPDATE SET first_at = least(diary_visit.first_at, EXCLUDED.first_at),
                         last_at = greatest(diary_visit.last_at, EXCLUDED.last_at),
                         views = diary_visit.views + EXCLUDED.views"#,
        &schools,
        &pupils,
        &accounts,
        &roles,
        &dates,
        &firsts,
        &lasts,
        &counts
    )
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_of_one_reader_on_one_day_add_up_and_staff_views_are_not_counted() {
        let book = VisitBook::default();
        let day = NaiveDate::from_ymd_opt(2026, 10, 8).unwrap();
        let at = |h| {
            day.and_hms_opt(h, 0, 0)
                .unwrap()
                .and_local_timezone(Utc)
                .unwrap()
        };
        assert!(!book.record(SchoolId(1), 7, 9, Reader::Parent, at(19), day));
        assert!(!book.record(SchoolId(1), 7, 9, Reader::Parent, at(8), day));
        assert!(!book.record(SchoolId(1), 7, 3, Reader::Staff, at(9), day));
        assert!(!book.record(SchoolId(2), 7, 9, Reader::Parent, at(9), day));
        let pending = book.lock();
        assert_eq!(
            pending.len(),
            2,
            "one row per school, pupil, reader and day"
        );
        let v = pending[&Key {
            school: 1,
            pupil: 7,
            account: 9,
            on_date: day,
        }];
        assert_eq!(
            (v.role, v.first, v.last, v.count),
            ("parent", at(8), at(19), 2)
        );
    }
}
