//! Building and running the application: the database (external or private), the router, the
//! listener, and a clean shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::auth::session_store::PgSessionStore;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::db::{
    self,
    embedded::{Durability, EmbeddedPostgres},
};
use crate::mail;
use crate::rules::login::LockoutPolicy;
use crate::web::{self, AppState};

/// The name of the product's database on the private cluster.
pub const DATABASE: &str = "zhurnal";

/// The database the application works on, and the private cluster behind it if it started one.
pub struct Database {
    /// Connections as the application's role (rows only; see `db::ensure_app_role`).
    pub pool: PgPool,
    /// The owner's URL: migrations, and the rare repair that needs more (the demo's redo).
    pub owner_url: String,
    pub cluster: Option<EmbeddedPostgres>,
}

impl Database {
    /// Connects to `DATABASE_URL`, or starts the private cluster under the data directory;
    /// applies the migrations as the owner, gives the application's role its rights, and
    /// connects as that role.
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        let (owner_url, app_url, cluster) = match &config.database_url {
            Some(url) => {
                let app_url = config.app_database_url.clone().context(
                    "задан DATABASE_URL (владелец базы, для миграций), но не задан \
                     ZHURNAL_APP_DATABASE_URL — роль, от имени которой работает приложение \
                     (см. README, «Внешний PostgreSQL»)",
                )?;
                (url.clone(), app_url, None)
            }
            None => {
                let dir = config.data_dir.clone();
                let cluster = tokio::task::spawn_blocking(move || {
                    EmbeddedPostgres::start(&dir, Durability::Durable)
                })
                .await??;
                db::ensure_database(&cluster.url("postgres"), DATABASE)
                    .await
                    .context("не удалось создать базу данных в собственном кластере")?;
                tracing::info!(socket = %cluster.socket_dir().display(), "private PostgreSQL is ready");
                (
                    cluster.url(DATABASE),
                    cluster.url_as(db::APP_ROLE, DATABASE),
                    Some(cluster),
                )
            }
        };
        let owner = db::connect(&owner_url)
            .await
            .context("не удалось подключиться к базе данных как её владелец")?;
        let prepared = async {
            db::migrate(&owner)
                .await
                .context("не удалось применить миграции")?;
            db::ensure_app_role(&owner, &db::user_of(&app_url)?).await
        }
        .await;
        owner.close().await;
        prepared?;
        let pool = db::connect(&app_url)
            .await
            .context("не удалось подключиться к базе данных от имени роли приложения")?;
        anyhow::ensure!(
            db::is_unprivileged(&pool).await?,
            "роль приложения — суперпользователь: укажите в ZHURNAL_APP_DATABASE_URL роль без \
             особых прав"
        );
        Ok(Self {
            pool,
            owner_url,
            cluster,
        })
    }

    /// Closes the pool, then stops the private cluster (if any).
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(cluster) = self.cluster {
            let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
        }
    }
}

/// Lessons whose rules' facts are kept between saves (`journal::kept`; about 1 KB each): a
/// school's lessons of a day many times over.
const KEPT_LESSONS: usize = 4096;

/// The state handlers share. With `config.read_database_url`, the diary's and the reports'
/// pages read from that streaming replica (`db::replica`; connected when first used).
pub fn state(pool: PgPool, config: Config, clock: Arc<dyn Clock>) -> AppState {
    let replica = config.read_database_url.as_deref().and_then(|url| {
        let max_lag = std::time::Duration::from_secs(config.read_max_lag_seconds);
        match db::replica::Replica::connect_lazy(url, max_lag) {
            Ok(replica) => Some(Arc::new(replica)),
            Err(e) => {
                tracing::error!(error = %e, "the read replica is not used");
                None
            }
        }
    });
    let config_page_cache_bytes = config.page_cache_mb * 1024 * 1024;
    // `ZHURNAL_PAGE_CACHE_MB=0` keeps nothing: no page, no lesson's facts.
    let lessons = Arc::new(crate::journal::kept::KeptLessons::new(
        if config_page_cache_bytes == 0 {
            0
        } else {
            KEPT_LESSONS
        },
    ));
    AppState {
        sessions: db::session_pool(&pool),
        cells: Arc::new(crate::journal::together::CellSaves::new(
            pool.clone(),
            clock.clone(),
            lessons.clone(),
        )),
        pool: db::replica::Pools::new(pool, replica),
        clock,
        config: Arc::new(config),
        lockout: LockoutPolicy::default(),
        live: crate::diary::live::Hub::new(),
        visits: crate::diary::visits::VisitBook::new(),
        pages: Arc::new(crate::web::page_cache::PageCache::new(
            config_page_cache_bytes,
        )),
        lessons,
    }
}

/// A bound, not yet serving, application. Bind to port 0 in tests and ask `port()`.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    backups: Option<crate::backup::schedule::Schedule>,
}

impl Application {
    pub async fn bind(state: AppState, addr: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("не удалось занять адрес {addr} (ZHURNAL_BIND)"))?;
        Ok(Self {
            listener,
            state,
            backups: None,
        })
    }

    /// Makes scheduled backups while serving (`serve`; the tests' apps make none).
    pub fn with_backups(mut self, schedule: Option<crate::backup::schedule::Schedule>) -> Self {
        self.backups = schedule;
        self
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn address(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` resolves, then, in this order: stops accepting connections and
    /// ends the open live-diary streams (they would never finish by themselves), answers the
    /// requests under way (also those on kept-alive connections), stops the session cleanup,
    /// the notification listener and the promotion worker (a cut-off round rolls back whole),
    /// lets the mail worker finish its round. The caller then
    /// closes the pool and stops PostgreSQL (`Database::close`).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // Everything outside a request works on the primary: a standby takes no writes and
        // cannot LISTEN.
        let primary = self.state.pool.primary().clone();
        let cleanup = PgSessionStore::new(primary.clone()).spawn_cleanup();
        let live = self.state.live.clone();
        let listener = live.spawn_listener(primary.clone());
        let visits = self.state.visits.clone();
        let visit_flusher =
            visits.spawn_flusher(primary.clone(), std::time::Duration::from_secs(2));
        // The read replica is looked at every second (`db::replica`).
        let replica = self.state.pool.replica().cloned();
        let monitor = replica
            .clone()
            .map(|r| r.spawn_monitor(primary.clone(), db::replica::MONITOR_EVERY));
        // Promotion orders take effect on their date (regulations §2): checked every minute.
        let promotion = crate::school_year::year_end::spawn_worker(
            primary.clone(),
            self.state.clock.clone(),
            std::time::Duration::from_secs(60),
        );
        // E-mail to parents (regulations §4): stopped after the last request, a round finished.
        let (stop_mail, mail_stopped) = tokio::sync::watch::channel(false);
        let mail = (self.state.config.mail_poll_seconds > 0).then(|| {
            mail::spawn_worker(
                primary.clone(),
                self.state.clock.clone(),
                mail::MailerConfig::from_config(&self.state.config),
                std::time::Duration::from_secs(self.state.config.mail_poll_seconds),
                mail_stopped,
            )
        });
        // Backups (regulations §7): looked at hourly, made when due; a backup cut off by the
        // shutdown leaves only a hidden partial file, removed by the next round.
        let backups = self.backups.map(|schedule| {
            crate::backup::schedule::spawn_worker(
                schedule,
                self.state.clock.clone(),
                std::time::Duration::from_secs(3600),
            )
        });
        let app = web::router(self.state);
        // Open diary streams end first, or the graceful shutdown would wait for them.
        let shutdown = async move {
            shutdown.await;
            live.close();
        };
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        cleanup.abort();
        listener.abort();
        visit_flusher.abort();
        if let Err(e) = visits.flush(&primary).await {
            tracing::warn!(error = %e, "the last diary views were not written");
        }
        if let Some(monitor) = monitor {
            monitor.abort();
        }
        if let Some(replica) = replica {
            replica.close().await;
        }
        promotion.abort();
        if let Some(backups) = backups {
            backups.abort();
        }
        let _ = stop_mail.send(true);
        if let Some(worker) = mail {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(60), worker).await;
        }
        Ok(())
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}
