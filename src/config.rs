//! Configuration from the environment. Secrets never print: `Debug` hides the database password.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

#[derive(Clone)]
pub struct Config {
    /// An external PostgreSQL server; `None` starts the private cluster under `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    /// Mark cookies `Secure` (set when the site is served over HTTPS).
    pub secure_cookies: bool,
    /// A session ends after this many hours without activity.
    pub session_idle_hours: i64,
    /// The address people type to reach the site (printed on credential slips).
    pub public_url: String,
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let bind = var("ZHURNAL_BIND")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .context("ZHURNAL_BIND must be an address such as 127.0.0.1:8080")?;
        let secure_cookies = match var("ZHURNAL_SECURE_COOKIES").as_deref() {
            None | Some("0" | "false" | "no") => false,
            Some("1" | "true" | "yes") => true,
            Some(other) => {
                anyhow::bail!("ZHURNAL_SECURE_COOKIES must be true or false, not {other}")
            }
        };
        let session_idle_hours = var("ZHURNAL_SESSION_HOURS")
            .map(|v| v.parse::<i64>())
            .transpose()
            .context("ZHURNAL_SESSION_HOURS must be a whole number of hours")?
            .unwrap_or(12)
            .clamp(1, 24 * 30);
        let public_url = var("ZHURNAL_PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}/"));
        Ok(Self {
            public_url,
            database_url: var("DATABASE_URL"),
            data_dir: var("ZHURNAL_DATA_DIR")
                .unwrap_or_else(|| "data".into())
                .into(),
            bind,
            secure_cookies,
            session_idle_hours,
        })
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .field("data_dir", &self.data_dir)
            .field("bind", &self.bind)
            .field("secure_cookies", &self.secure_cookies)
            .field("session_idle_hours", &self.session_idle_hours)
            .field("public_url", &self.public_url)
            .finish()
    }
}
