//! A streaming replica for reads (issue 17, item 3): `ZHURNAL_READ_DATABASE_URL`.
//!
//! The application holds [`Pools`]: the primary's pool and, when configured, a standby's.
//! `Pools` dereferences to the pool the running task reads from (`db::scope::reads`): the
//! replica inside `db::scope::replica_reads`, which only the web layer's route class sets
//! (`web::reads`), the primary everywhere else — writes, the teacher's pages, the workers, the
//! live diary's `LISTEN` (a standby cannot listen), the sessions. Code that must reach the
//! primary inside a replica page (a diary visit written, who the user is and what they may
//! read) names it: [`Pools::primary`].
//!
//! A monitor ([`Replica::spawn_monitor`]) asks the standby every second whether it is a standby
//! and how far behind it is; the replica serves only while it answers and is at most
//! `ZHURNAL_READ_MAX_LAG_SECONDS` behind. A browser that has just written reads from the primary
//! until the replica has replayed that write ([`Replica::serves`]).

use std::ops::Deref;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;

use super::scope::{self, Reads};

/// How often the monitor looks at the replica.
pub const MONITOR_EVERY: Duration = Duration::from_secs(1);
/// How long one look (or a request's check that the replica still answers) may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// The application's database pools: the primary, and the streaming replica if configured.
/// Dereferences to the pool the running task reads from (see the module's text).
#[derive(Clone)]
pub struct Pools {
    primary: PgPool,
    replica: Option<Arc<Replica>>,
}

impl Pools {
    pub fn new(primary: PgPool, replica: Option<Arc<Replica>>) -> Self {
        Self { primary, replica }
    }

    /// The primary, whatever the task: for writes and the reads that must see them.
    pub fn primary(&self) -> &PgPool {
        &self.primary
    }

    pub fn replica(&self) -> Option<&Arc<Replica>> {
        self.replica.as_ref()
    }

    /// Does the running task read from the primary (no replica, or not a replica page)?
    pub fn reads_primary(&self) -> bool {
        std::ptr::eq(&**self, &self.primary)
    }
}

impl Deref for Pools {
    type Target = PgPool;

    fn deref(&self) -> &PgPool {
        match (&self.replica, scope::reads()) {
            (Some(replica), Reads::Replica) => &replica.pool,
            _ => &self.primary,
        }
    }
}

/// What the monitor last found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Not looked at yet: reads go to the primary.
    Starting,
    /// Answers, is a standby, and is behind by no more than the limit: it serves.
    Serving,
    /// Further behind than the limit (or replay paused that long): reads go to the primary.
    Lagging,
    /// Does not answer: reads go to the primary.
    Unavailable,
    /// Answers but is not in recovery (promoted, or a primary named by mistake): not used.
    NotStandby,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Starting => "starting",
            Health::Serving => "ok",
            Health::Lagging => "lagging",
            Health::Unavailable => "unavailable",
            Health::NotStandby => "not_standby",
        }
    }
}

/// The replica as last seen by the monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub health: Health,
    /// How far behind in time: the standby's own measure (receive ahead of replay: now minus
    /// the last replayed commit's time), or, if larger, how long the standby has not yet
    /// replayed what the primary had written a look earlier.
    pub lag_ms: Option<i64>,
    /// The primary's WAL written and not yet replayed on the standby.
    pub lag_bytes: Option<i64>,
    /// The standby's replay position (bytes since 0/0).
    pub replayed: Option<i64>,
}

struct Monitor {
    status: Status,
    /// The primary's position at the previous look.
    previous_written: Option<i64>,
    /// Since when the standby has been behind the primary's position of the look before.
    behind_since: Option<Instant>,
}

/// A streaming standby of the primary, connected as the application's role.
pub struct Replica {
    pool: PgPool,
    max_lag_ms: i64,
    monitor: Mutex<Monitor>,
}

impl Replica {
    /// A pool for the standby at `url` that connects when first used (the application starts
    /// whether the standby is up or not).
    pub fn connect_lazy(url: &str, max_lag: Duration) -> anyhow::Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .context("адрес реплики (ZHURNAL_READ_DATABASE_URL) не разобран")?;
        let pool = super::pool_options()
            .max_connections(20)
            // A standby that died: the request fails fast and is answered from the primary
            // (`web::reads`).
            .acquire_timeout(Duration::from_secs(2))
            .connect_lazy_with(options);
        Ok(Self {
            pool,
            max_lag_ms: i64::try_from(max_lag.as_millis()).unwrap_or(i64::MAX),
            monitor: Mutex::new(Monitor {
                status: Status {
                    health: Health::Starting,
                    lag_ms: None,
                    lag_bytes: None,
                    replayed: None,
                },
                previous_written: None,
                behind_since: None,
            }),
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// What the monitor last found.
    pub fn status(&self) -> Status {
        self.lock().status
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Monitor> {
        self.monitor.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// May a read go to the replica now, for a browser whose last write ended at `written`
    /// (`write_position` after it), if any? Only while the replica serves and has replayed it.
    pub fn serves(&self, written: Option<i64>) -> bool {
        let status = self.status();
        status.health == Health::Serving
            && written.is_none_or(|w| status.replayed.is_some_and(|r| r >= w))
    }

    /// Looks at the standby once: is it one, how far behind is it. Logs a change of health
    /// (a warning when reads move to the primary).
    pub async fn check(&self, primary: &PgPool) -> Status {
        // The primary's position first: whatever the standby has replayed is compared with it
        // at the next look.
        let written = tokio::time::timeout(CHECK_TIMEOUT, written_position(primary))
            .await
            .ok()
            .and_then(Result::ok);
        let seen = tokio::time::timeout(
            CHECK_TIMEOUT,
            sqlx::query!(
                r#"SELECT pg_is_in_recovery() AS "recovery!",
                          pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint AS replayed,
                          CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()
                               THEN 0
                               ELSE COALESCE((extract(epoch FROM now() - pg_last_xact_replay_timestamp())
                                              * 1000)::bigint, 0)
                          END AS "lag_ms!""#
            )
            .fetch_one(&self.pool),
        )
        .await;
        let mut monitor = self.lock();
        let (status, reason) = match seen {
            Err(_) => (Health::Unavailable, "no answer within a second".to_string()),
            Ok(Err(e)) => (Health::Unavailable, e.to_string()),
            Ok(Ok(row)) if !row.recovery => (
                Health::NotStandby,
                "the server is not in recovery (not a standby)".to_string(),
            ),
            Ok(Ok(row)) => {
                match (monitor.previous_written, row.replayed) {
                    (Some(before), Some(replayed)) if replayed < before => {
                        monitor.behind_since.get_or_insert_with(Instant::now);
                    }
                    _ => monitor.behind_since = None,
                }
                let behind = monitor.behind_since.map_or(0, |t| {
                    i64::try_from(t.elapsed().as_millis()).unwrap_or(i64::MAX)
                });
                let lag_ms = row.lag_ms.max(behind);
                let lag_bytes = written.zip(row.replayed).map(|(w, r)| (w - r).max(0));
                monitor.status.lag_ms = Some(lag_ms);
                monitor.status.lag_bytes = lag_bytes;
                monitor.status.replayed = row.replayed;
                if lag_ms > self.max_lag_ms {
                    (
                        Health::Lagging,
                        format!("{lag_ms} ms behind, more than {} ms", self.max_lag_ms),
                    )
                } else {
                    (Health::Serving, String::new())
                }
            }
        };
        monitor.previous_written = written;
        if status != Health::Serving && status != Health::Lagging {
            monitor.status.lag_ms = None;
            monitor.status.lag_bytes = None;
            monitor.status.replayed = None;
            monitor.behind_since = None;
        }
        let before = monitor.status.health;
        monitor.status.health = status;
        let now = monitor.status;
        drop(monitor);
        if before != status {
            if status == Health::Serving {
                tracing::info!("the read replica serves again: diary and report reads go to it");
            } else {
                tracing::warn!(
                    health = status.as_str(),
                    reason,
                    "the read replica does not serve: its reads go to the primary"
                );
            }
        }
        now
    }

    /// Does the standby still answer? A request that failed on the replica asks before it is
    /// answered from the primary; a replica that does not answer is marked so at once.
    pub async fn answers(&self) -> bool {
        let ok = tokio::time::timeout(CHECK_TIMEOUT, super::ping(&self.pool))
            .await
            .is_ok_and(|r| r.is_ok());
        if !ok {
            let mut monitor = self.lock();
            if monitor.status.health != Health::Unavailable {
                monitor.status = Status {
                    health: Health::Unavailable,
                    lag_ms: None,
                    lag_bytes: None,
                    replayed: None,
                };
                monitor.behind_since = None;
                drop(monitor);
                tracing::warn!("the read replica does not answer: its reads go to the primary");
            }
        }
        ok
    }

    /// Looks at the standby every `every` until aborted.
    pub fn spawn_monitor(
        self: Arc<Self>,
        primary: PgPool,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                self.check(&primary).await;
                tokio::time::sleep(every).await;
            }
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Where the primary's WAL will be once everything inserted so far is written (bytes since
/// 0/0): taken after a write, any standby that has replayed this far has that write.
pub async fn write_position(primary: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint AS "lsn!""#
    )
    .fetch_one(primary)
    .await
}

/// How far the primary has written its WAL (bytes since 0/0): what a standby receives. At rest
/// a standby that has caught up has replayed exactly this far (the insert position of
/// [`write_position`] may be a page header further on).
async fn written_position(primary: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS "lsn!""#)
        .fetch_one(primary)
        .await
}
