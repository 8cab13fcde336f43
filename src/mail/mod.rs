//! E-mail to parents (regulations §4): the parent's choice (`service`), the composer that turns
//! new marks, absences and homework into outbox rows (`compose`), and the sender that delivers the
//! outbox over SMTP (`send`). `run_once` does one round of both; `spawn_worker` repeats it in the
//! background. See docs/ARCHITECTURE.md («E-mail») for the delivery guarantees.

pub mod compose;
pub mod repo;
pub mod send;
pub mod service;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Weekday;
use sqlx::PgPool;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Config;

/// What a parent chose to receive by e-mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyMode {
    None,
    Instant,
    Daily,
    Weekly,
}

impl NotifyMode {
    pub const ALL: [NotifyMode; 4] = [Self::None, Self::Instant, Self::Daily, Self::Weekly];

    pub fn code(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Instant => "instant",
            Self::Daily => "daily",
            Self::Weekly => "weekly",
        }
    }

    /// As the preference page and the audit trail say it.
    pub fn label(self) -> &'static str {
        match self {
            Self::None => "не присылать",
            Self::Instant => "письмо о каждой новой отметке и пропуске",
            Self::Daily => "ежедневная сводка",
            Self::Weekly => "еженедельная сводка",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    /// When it comes, at the school's digest time: «каждый день после 20:00».
    pub fn when(self, at: DigestTime) -> Option<String> {
        match self {
            Self::None | Self::Instant => None,
            Self::Daily => Some(format!("каждый день после {:02}:00", at.hour)),
            Self::Weekly => Some(format!(
                "раз в неделю: {} после {:02}:00",
                WEEKDAYS_ON[at.weekday.num_days_from_monday() as usize],
                at.hour
            )),
        }
    }
}

/// ISO weekdays (Monday first) in Russian, as a list names them.
pub const WEEKDAYS: [&str; 7] = [
    "понедельник",
    "вторник",
    "среда",
    "четверг",
    "пятница",
    "суббота",
    "воскресенье",
];
/// «в понедельник» … «в воскресенье».
const WEEKDAYS_ON: [&str; 7] = [
    "в понедельник",
    "во вторник",
    "в среду",
    "в четверг",
    "в пятницу",
    "в субботу",
    "в воскресенье",
];

/// When a school's digests are composed (`school.digest_hour`, `school.digest_weekday`): daily
/// ones from `hour` local time, the weekly one from `weekday` at `hour` (or later that week).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigestTime {
    pub hour: u32,
    pub weekday: Weekday,
}

impl DigestTime {
    /// The defaults of the schema: Saturday, 18:00.
    pub const DEFAULT: Self = Self {
        hour: 18,
        weekday: Weekday::Sat,
    };

    /// From the school's columns (ISO weekday 1–7); values the schema forbids fall back to the
    /// defaults.
    pub fn from_columns(hour: i16, weekday: i16) -> Self {
        Self {
            hour: u32::try_from(hour)
                .ok()
                .filter(|h| *h < 24)
                .unwrap_or(Self::DEFAULT.hour),
            weekday: u8::try_from(weekday)
                .ok()
                .filter(|d| (1..=7).contains(d))
                .and_then(|d| Weekday::try_from(d - 1).ok())
                .unwrap_or(Self::DEFAULT.weekday),
        }
    }
}

/// Where and as whom mail goes.
#[derive(Clone, Debug)]
pub struct MailerConfig {
    /// `None`: compose into the outbox, send nothing.
    pub smtp_url: Option<String>,
    pub from: String,
    /// The site's address, for the link to the preference page in every message.
    pub site_url: String,
}

impl MailerConfig {
    pub fn from_config(config: &Config) -> Self {
        Self {
            smtp_url: config.smtp_url.clone(),
            from: config.mail_from.clone(),
            site_url: config.public_url.clone(),
        }
    }
}

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages put into the outbox.
    pub composed: usize,
    /// Messages the SMTP server accepted.
    pub sent: usize,
    /// Attempts that failed (to be retried, or given up after `send::MAX_ATTEMPTS`).
    pub failed: usize,
    /// Messages not sent because consent or the address is gone, or the server refused for good.
    pub cancelled: usize,
}

static UNSENT_LOGGED: AtomicBool = AtomicBool::new(false);

/// One round: compose what is due in every school, then send what is due in the outbox.
pub async fn run_once(
    pool: &PgPool,
    clock: &dyn Clock,
    mailer: &MailerConfig,
) -> anyhow::Result<Stats> {
    let mut stats = Stats {
        composed: compose::compose_all(pool, clock.now()).await?,
        ..Stats::default()
    };
    match &mailer.smtp_url {
        Some(_) => send::send_due(pool, clock, mailer, &mut stats).await?,
        None => {
            if !UNSENT_LOGGED.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "ZHURNAL_SMTP_URL is not set: mail to parents is composed into the outbox but not sent"
                );
            }
        }
    }
    Ok(stats)
}

/// The background worker: a round every `poll` until `stop` turns true; a round under way is
/// finished, never cut off in the middle of a delivery.
pub fn spawn_worker(
    pool: PgPool,
    clock: Arc<dyn Clock>,
    mailer: MailerConfig,
    poll: Duration,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    // Every school's rows: the outbox of every school is sent by one worker.
    tokio::spawn(crate::db::scope::all_schools(async move {
        loop {
            match run_once(&pool, clock.as_ref(), &mailer).await {
                Ok(stats) if stats != Stats::default() => tracing::info!(?stats, "mail round"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "mail round failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(poll) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                break;
            }
        }
    }))
}
