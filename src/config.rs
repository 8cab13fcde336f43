//! Configuration from the environment. Secrets never print: `Debug` hides the database password.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

#[derive(Clone)]
pub struct Config {
    /// An external PostgreSQL server as the owner of the database (migrations); `None` starts
    /// the private cluster under `data_dir`.
    pub database_url: Option<String>,
    /// With `database_url`: the role the application serves as (rows only, no DDL, the audit
    /// trail append-only); `database_url` is then only used to apply the migrations.
    pub app_database_url: Option<String>,
    /// A streaming standby of the database, as the application's role: the diary's and the
    /// reports' pages read from it (`db::replica`, `web::reads`). `None`: everything on the
    /// primary.
    pub read_database_url: Option<String>,
    /// The replica serves only while it is at most this far behind the primary.
    pub read_max_lag_seconds: u64,
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    /// Mark cookies `Secure` (set when the site is served over HTTPS).
    pub secure_cookies: bool,
    /// A session ends after this many hours without activity.
    pub session_idle_hours: i64,
    /// Megabytes of compressed pages kept rendered (`web::page_cache`); 0 keeps none.
    pub page_cache_mb: u64,
    /// The address people type to reach the site (printed on credential slips).
    pub public_url: String,
    /// The SMTP server mail to parents goes through (`smtp://host:port`, `smtps://…`,
    /// `smtp://…?tls=required`, with `user:password@` if needed). `None`: mail is composed into
    /// the outbox but not sent.
    pub smtp_url: Option<String>,
    /// The sender of mail to parents, e.g. `«Журнал» <noreply@school.example>`.
    pub mail_from: String,
    /// How often the mail worker looks for work; 0 turns the background worker off.
    pub mail_poll_seconds: u64,
    /// Scheduled backups (`backup::schedule`): every this many days, 0 = none.
    pub backup_every_days: u32,
    /// How many scheduled backups each directory keeps (the newest).
    pub backup_keep: usize,
    /// Where backups are written (`<data_dir>/backups` unless set).
    pub backup_dir: PathBuf,
    /// The second medium each new backup is copied to and checked on, if set.
    pub backup_copy_dir: Option<PathBuf>,
}

/// The sender when `ZHURNAL_MAIL_FROM` is not set.
pub const DEFAULT_MAIL_FROM: &str = "\"«Журнал»\" <noreply@zhurnal.local>";

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let bind = var("ZHURNAL_BIND")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .context("ZHURNAL_BIND должен быть адресом вида 127.0.0.1:8080")?;
        let secure_cookies = match var("ZHURNAL_SECURE_COOKIES").as_deref() {
            None | Some("0" | "false" | "no") => false,
            Some("1" | "true" | "yes") => true,
            Some(other) => {
                anyhow::bail!("ZHURNAL_SECURE_COOKIES должен быть true или false, а не «{other}»")
            }
        };
        let session_idle_hours = var("ZHURNAL_SESSION_HOURS")
            .map(|v| v.parse::<i64>())
            .transpose()
            .context("ZHURNAL_SESSION_HOURS должен быть целым числом часов")?
            .unwrap_or(12)
            .clamp(1, 24 * 30);
        let page_cache_mb = var("ZHURNAL_PAGE_CACHE_MB")
            .map(|v| v.parse::<u64>())
            .transpose()
            .context("ZHURNAL_PAGE_CACHE_MB должен быть целым числом мегабайт (0 — не хранить)")?
            .unwrap_or(32)
            .min(4096);
        let public_url = var("ZHURNAL_PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}/"));
        let mail_from = var("ZHURNAL_MAIL_FROM").unwrap_or_else(|| DEFAULT_MAIL_FROM.into());
        mail_from
            .parse::<lettre::message::Mailbox>()
            .with_context(|| {
                format!("ZHURNAL_MAIL_FROM должен быть адресом вида {DEFAULT_MAIL_FROM}")
            })?;
        let mail_poll_seconds = var("ZHURNAL_MAIL_POLL_SECONDS")
            .map(|v| v.parse::<u64>())
            .transpose()
            .context("ZHURNAL_MAIL_POLL_SECONDS должен быть целым числом секунд")?
            .unwrap_or(30)
            .min(24 * 3600);
        let backup_every_days = var("ZHURNAL_BACKUP_EVERY_DAYS")
            .map(|v| v.parse::<u32>())
            .transpose()
            .context("ZHURNAL_BACKUP_EVERY_DAYS должен быть целым числом дней (0 — не делать)")?
            .unwrap_or(7)
            .min(366);
        let backup_keep = var("ZHURNAL_BACKUP_KEEP")
            .map(|v| v.parse::<usize>())
            .transpose()
            .context("ZHURNAL_BACKUP_KEEP должен быть целым числом копий")?
            .unwrap_or(8)
            .clamp(1, 1000);
        let data_dir: PathBuf = var("ZHURNAL_DATA_DIR")
            .unwrap_or_else(|| "data".into())
            .into();
        let read_database_url = var("ZHURNAL_READ_DATABASE_URL");
        if let Some(url) = &read_database_url {
            // The application's role: the user of ZHURNAL_APP_DATABASE_URL on an external
            // server, `zhurnal_app` on the private cluster.
            let app_role = match (var("DATABASE_URL"), var("ZHURNAL_APP_DATABASE_URL")) {
                (Some(_), Some(app)) => crate::db::user_of(&app)?,
                _ => crate::db::APP_ROLE.to_string(),
            };
            let read_role = crate::db::user_of(url)
                .context("ZHURNAL_READ_DATABASE_URL должен быть адресом PostgreSQL")?;
            anyhow::ensure!(
                read_role == app_role,
                "ZHURNAL_READ_DATABASE_URL подключается от имени «{read_role}», а приложение \
                 работает от имени «{app_role}»: реплика читается той же ролью (без особых прав, \
                 с защитой строк)"
            );
        }
        let read_max_lag_seconds = var("ZHURNAL_READ_MAX_LAG_SECONDS")
            .map(|v| v.parse::<u64>())
            .transpose()
            .context("ZHURNAL_READ_MAX_LAG_SECONDS должен быть целым числом секунд")?
            .unwrap_or(30)
            .clamp(1, 3600);
        let backup_dir = var("ZHURNAL_BACKUP_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("backups"));
        Ok(Self {
            backup_every_days,
            backup_keep,
            backup_dir,
            backup_copy_dir: var("ZHURNAL_BACKUP_COPY_DIR").map(PathBuf::from),
            smtp_url: var("ZHURNAL_SMTP_URL"),
            mail_from,
            mail_poll_seconds,
            public_url,
            database_url: var("DATABASE_URL"),
            app_database_url: var("ZHURNAL_APP_DATABASE_URL"),
            read_database_url,
            read_max_lag_seconds,
            data_dir,
            bind,
            secure_cookies,
            session_idle_hours,
            page_cache_mb,
        })
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .field(
                "app_database_url",
                &self.app_database_url.as_ref().map(|_| "<set>"),
            )
            .field(
                "read_database_url",
                &self.read_database_url.as_ref().map(|_| "<set>"),
            )
            .field("read_max_lag_seconds", &self.read_max_lag_seconds)
            .field("data_dir", &self.data_dir)
            .field("bind", &self.bind)
            .field("secure_cookies", &self.secure_cookies)
            .field("session_idle_hours", &self.session_idle_hours)
            .field("page_cache_mb", &self.page_cache_mb)
            .field("public_url", &self.public_url)
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "<set>"))
            .field("mail_from", &self.mail_from)
            .field("mail_poll_seconds", &self.mail_poll_seconds)
            .field("backup_every_days", &self.backup_every_days)
            .field("backup_keep", &self.backup_keep)
            .field("backup_dir", &self.backup_dir)
            .field("backup_copy_dir", &self.backup_copy_dir)
            .finish()
    }
}
