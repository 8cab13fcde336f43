//! Scheduled backups inside `serve`: every `ZHURNAL_BACKUP_EVERY_DAYS` days (counted from the
//! newest finished backup in the directory, so a restart does not reset it) a backup is made,
//! copied to the second medium and checked there; each directory keeps the newest
//! `ZHURNAL_BACKUP_KEEP`. The database's backup lock makes one server do it when several share
//! a database (the others find it taken, or find the new backup once they hold it).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Made;
use crate::clock::Clock;
use crate::config::Config;

/// What the background task needs.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub owner_url: String,
    pub every_days: u32,
    pub keep: usize,
    pub dir: PathBuf,
    pub copy_dir: Option<PathBuf>,
}

impl Schedule {
    /// The configured schedule; `None` when scheduled backups are off (0 days).
    pub fn from_config(config: &Config, owner_url: &str) -> Option<Self> {
        (config.backup_every_days > 0).then(|| Self {
            owner_url: owner_url.to_string(),
            every_days: config.backup_every_days,
            keep: config.backup_keep.max(1),
            dir: config.backup_dir.clone(),
            copy_dir: config.backup_copy_dir.clone(),
        })
    }

    fn due(&self, now: DateTime<Utc>) -> bool {
        match super::newest(&self.dir) {
            None => true,
            Some(last) => now - last >= chrono::Duration::days(i64::from(self.every_days)),
        }
    }
}

/// What one round did.
#[derive(Debug)]
pub enum Round {
    /// The newest backup is recent enough.
    NotDue,
    /// Another backup of the database is under way.
    Busy,
    Made(Box<Made>),
}

/// One round: a backup if one is due, its copy, and the pruning of both directories.
pub async fn run_once(schedule: &Schedule, now: DateTime<Utc>) -> anyhow::Result<Round> {
    if !schedule.due(now) {
        return Ok(Round::NotDue);
    }
    let Some(mut lock) = super::lock(&schedule.owner_url).await? else {
        return Ok(Round::Busy);
    };
    // Another server may have made it while this one waited.
    if !schedule.due(now) {
        lock.release().await;
        return Ok(Round::NotDue);
    }
    let made = super::backup_now(&mut lock, &schedule.dir, schedule.copy_dir.as_deref(), now).await;
    let pruned = match &made {
        Ok(_) => {
            let mut pruned = super::prune(&schedule.dir, schedule.keep);
            if let Some(copy_dir) = &schedule.copy_dir
                && pruned.is_ok()
            {
                pruned = super::prune(copy_dir, schedule.keep);
            }
            pruned.map(|_| ())
        }
        Err(_) => Ok(()),
    };
    lock.release().await;
    let made = made?;
    pruned?;
    Ok(Round::Made(Box::new(made)))
}

/// The background task: a round every `every` (an hour in `serve`), success and failure logged.
pub fn spawn_worker(
    schedule: Schedule,
    clock: Arc<dyn Clock>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match run_once(&schedule, clock.now()).await {
                Ok(Round::NotDue) => {}
                Ok(Round::Busy) => {
                    tracing::info!("another backup of the database is under way; skipped")
                }
                Ok(Round::Made(made)) => tracing::info!(
                    file = %made.path.display(),
                    bytes = made.info.size_bytes,
                    sha256 = %made.info.sha256,
                    copied = made.info.copy.as_ref().is_some_and(|c| c.verified),
                    "scheduled backup made"
                ),
                Err(e) => tracing::error!(error = %format!("{e:#}"), "scheduled backup failed"),
            }
            tokio::time::sleep(every).await;
        }
    })
}
