//! A private PostgreSQL cluster that the product starts, supervises and stops by itself when no
//! `DATABASE_URL` is given. The same supervisor serves the test harness.
//!
//! The cluster lives in `<data dir>/pg`, listens on a Unix socket inside that directory only (no
//! TCP), and is a child process of a dedicated supervisor thread: if the server dies unexpectedly
//! it is restarted, and if this process dies the kernel stops the server (parent-death signal).
//! `initdb` refuses to run as root, so under root the cluster runs as the `postgres` user.

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};

/// The lowest PostgreSQL major version the product supports.
const MIN_MAJOR: u32 = 14;
/// How long to wait for the server to accept connections, and to stop.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// How the cluster is tuned: durable for the product, fast for tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    Durable,
    /// `fsync=off`: only for throw-away test clusters.
    Ephemeral,
}

/// A running private cluster. Dropping it stops the server.
pub struct EmbeddedPostgres {
    cluster_dir: PathBuf,
    stop_tx: Option<mpsc::Sender<()>>,
    supervisor: Option<thread::JoinHandle<()>>,
}

/// The PostgreSQL programs found on this machine.
#[derive(Clone, Debug)]
pub struct PgBinaries {
    pub bin_dir: PathBuf,
    pub major: u32,
}

/// The unprivileged user the server runs as when this process is root.
#[derive(Clone, Copy, Debug)]
struct RunAs {
    uid: u32,
    gid: u32,
}

impl EmbeddedPostgres {
    /// Starts (initialising on first use) the cluster under `data_dir/pg` and waits until it
    /// accepts connections. Blocking: call it from `spawn_blocking` in async code.
    pub fn start(data_dir: &Path, durability: Durability) -> anyhow::Result<Self> {
        let bins = PgBinaries::find()?;
        let run_as = run_as()?;
        fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
        let data_dir = data_dir
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", data_dir.display()))?;
        let cluster_dir = data_dir.join("pg");
        if let Some(ra) = run_as {
            // The server user must be able to reach its directory through ours.
            let mut perms = fs::metadata(&data_dir)?.permissions();
            perms.set_mode(perms.mode() | 0o711);
            fs::set_permissions(&data_dir, perms)?;
            check_traversable(&data_dir)?;
            fs::create_dir_all(&cluster_dir)?;
            chown(&cluster_dir, ra)?;
        } else {
            fs::create_dir_all(&cluster_dir)?;
        }
        fs::set_permissions(&cluster_dir, fs::Permissions::from_mode(0o700))?;

        if !cluster_dir.join("PG_VERSION").exists() {
            init_cluster(&bins, &cluster_dir, run_as)?;
        }
        clear_stale_server(&cluster_dir)?;

        let log_path = data_dir.join("postgres.log");
        let spawn = {
            let bins = bins.clone();
            let cluster_dir = cluster_dir.clone();
            move || spawn_server(&bins, &cluster_dir, &log_path, run_as, durability)
        };
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::channel::<anyhow::Result<()>>();
        let dir = cluster_dir.clone();
        let supervisor = thread::Builder::new()
            .name("postgres-supervisor".into())
            .spawn(move || supervise(spawn, &dir, stop_rx, ready_tx))?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = supervisor.join();
                return Err(e);
            }
            Err(_) => bail!("the PostgreSQL supervisor stopped before the server was ready"),
        }
        Ok(Self {
            cluster_dir,
            stop_tx: Some(stop_tx),
            supervisor: Some(supervisor),
        })
    }

    /// The directory of the Unix socket (also the cluster directory).
    pub fn socket_dir(&self) -> &Path {
        &self.cluster_dir
    }

    /// A connection URL for `database` as the superuser (the owner of the product's tables),
    /// over the Unix socket.
    pub fn url(&self, database: &str) -> String {
        self.url_as("postgres", database)
    }

    /// A connection URL for `database` as `user`, over the Unix socket (the cluster trusts
    /// local connections: only the server's user and root can reach the socket).
    pub fn url_as(&self, user: &str, database: &str) -> String {
        format!(
            "postgres://{user}@localhost/{database}?host={}",
            self.cluster_dir.display()
        )
    }

    /// Stops the server (fast shutdown) and waits for it to exit.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Some(tx) = self.stop_tx.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.supervisor.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

impl PgBinaries {
    /// Looks for `initdb` and `postgres` of version ≥ 14: `ZHURNAL_PG_BIN`, then `PATH`, then
    /// `pg_config --bindir`, then `/usr/lib/postgresql/*/bin` (newest first).
    pub fn find() -> anyhow::Result<Self> {
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(dir) = std::env::var_os("ZHURNAL_PG_BIN") {
            candidates.push(PathBuf::from(dir));
        }
        if let Some(path) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&path) {
                if let Ok(real) = dir.join("initdb").canonicalize()
                    && let Some(parent) = real.parent()
                {
                    candidates.push(parent.to_path_buf());
                }
            }
        }
        if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
            && out.status.success()
        {
            candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
        let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                Some((v, e.path().join("bin")))
            })
            .collect();
        versioned.sort_by_key(|v| std::cmp::Reverse(v.0));
        candidates.extend(versioned.into_iter().map(|(_, p)| p));

        let mut too_old = None;
        for dir in candidates {
            if !dir.join("initdb").is_file() || !dir.join("postgres").is_file() {
                continue;
            }
            match server_major(&dir) {
                Some(major) if major >= MIN_MAJOR => {
                    return Ok(Self {
                        bin_dir: dir,
                        major,
                    });
                }
                Some(major) => too_old = Some(major),
                None => {}
            }
        }
        match too_old {
            Some(major) => bail!(
                "PostgreSQL {major} was found, but version {MIN_MAJOR} or newer is needed. \
                 Install a newer server (Debian/Ubuntu: `apt-get install postgresql`) or set DATABASE_URL."
            ),
            None => bail!(
                "no PostgreSQL server programs (initdb, postgres) were found. Install them \
                 (Debian/Ubuntu: `apt-get install postgresql`; Fedora: `dnf install postgresql-server`), \
                 point ZHURNAL_PG_BIN at their directory, or set DATABASE_URL to use an existing server."
            ),
        }
    }

    fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }
}

fn server_major(dir: &Path) -> Option<u32> {
    let out = Command::new(dir.join("postgres"))
        .arg("--version")
        .output()
        .ok()?;
    // "postgres (PostgreSQL) 15.18 (Debian ...)"
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split_whitespace().nth(2)?;
    version.split('.').next()?.parse().ok()
}

/// Under root, the `postgres` user (or `ZHURNAL_PG_USER`) runs the server.
fn run_as() -> anyhow::Result<Option<RunAs>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = std::env::var("ZHURNAL_PG_USER").unwrap_or_else(|_| "postgres".into());
    let c_name = CString::new(name.clone())?;
    // SAFETY: getpwnam returns null or a pointer to a static record we copy out at once.
    let pw = unsafe { libc::getpwnam(c_name.as_ptr()) };
    if pw.is_null() {
        bail!(
            "running as root, the database server needs an unprivileged user, and user `{name}` \
             does not exist. Create it (`useradd --system postgres`) or set ZHURNAL_PG_USER."
        );
    }
    // SAFETY: pw is non-null and points to a valid passwd record.
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    Ok(Some(RunAs { uid, gid }))
}

fn chown(path: &Path, ra: RunAs) -> anyhow::Result<()> {
    std::os::unix::fs::chown(path, Some(ra.uid), Some(ra.gid))
        .with_context(|| format!("cannot give {} to the database user", path.display()))
}

/// Every ancestor must let others through, or the unprivileged server cannot reach its files.
fn check_traversable(dir: &Path) -> anyhow::Result<()> {
    for ancestor in dir.ancestors().skip(1) {
        let mode = fs::metadata(ancestor)?.permissions().mode();
        if mode & 0o001 == 0 {
            bail!(
                "the database server runs as an unprivileged user and cannot enter {}; \
                 choose a data directory elsewhere (ZHURNAL_DATA_DIR) or run as a normal user",
                ancestor.display()
            );
        }
    }
    Ok(())
}

fn command(bins: &PgBinaries, program: &str, run_as: Option<RunAs>) -> Command {
    let mut cmd = Command::new(bins.program(program));
    if let Some(ra) = run_as {
        // std drops root's supplementary groups (setgroups) before setuid.
        cmd.uid(ra.uid).gid(ra.gid);
    }
    // Keep the server's messages in English for the log, whatever the caller's locale.
    cmd.env("LC_MESSAGES", "C").env_remove("PGDATA");
    cmd
}

fn init_cluster(bins: &PgBinaries, dir: &Path, run_as: Option<RunAs>) -> anyhow::Result<()> {
    tracing::info!(dir = %dir.display(), "initialising a new PostgreSQL cluster");
    let out = command(bins, "initdb", run_as)
        .arg("-D")
        .arg(dir)
        .args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ])
        .stdin(Stdio::null())
        .output()
        .context("cannot run initdb")?;
    if !out.status.success() {
        bail!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// A `postmaster.pid` left by a crash: remove it when its process is gone; stop the server when
/// an orphaned one of this cluster still runs.
fn clear_stale_server(dir: &Path) -> anyhow::Result<()> {
    let pid_file = dir.join("postmaster.pid");
    let Ok(text) = fs::read_to_string(&pid_file) else {
        return Ok(());
    };
    let Some(pid) = text
        .lines()
        .next()
        .and_then(|l| l.trim().parse::<i32>().ok())
    else {
        fs::remove_file(&pid_file)?;
        return Ok(());
    };
    if process_alive(pid) && is_postgres(pid) {
        if let Some(parent) = supervisor_of(pid) {
            bail!(
                "the data directory {} is in use by a running server (pid {pid}, started by pid \
                 {parent}); stop that one first or choose another ZHURNAL_DATA_DIR",
                dir.display()
            );
        }
        tracing::warn!(
            pid,
            "an orphaned PostgreSQL server of this cluster is running; stopping it"
        );
        // SAFETY: plain kill(2) on a pid we just checked.
        unsafe { libc::kill(pid, libc::SIGINT) };
        let deadline = Instant::now() + STOP_TIMEOUT;
        while process_alive(pid) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
        }
        if process_alive(pid) {
            bail!("an old PostgreSQL server (pid {pid}) of this cluster does not stop");
        }
    } else {
        tracing::warn!(pid, "removing a stale postmaster.pid left by a crash");
    }
    let _ = fs::remove_file(&pid_file);
    Ok(())
}

fn process_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The live process that started server `pid`, unless the server was orphaned (its parent is
/// gone and it was handed to init).
fn supervisor_of(pid: i32) -> Option<i32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ...": the command may hold spaces, so read after the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    let ppid: i32 = after.split_whitespace().nth(1)?.parse().ok()?;
    (ppid > 1 && process_alive(ppid)).then_some(ppid)
}

fn is_postgres(pid: i32) -> bool {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).contains("postgres"))
        .unwrap_or(false)
}

fn spawn_server(
    bins: &PgBinaries,
    dir: &Path,
    log_path: &Path,
    run_as: Option<RunAs>,
    durability: Durability,
) -> anyhow::Result<Child> {
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .with_context(|| format!("cannot open {}", log_path.display()))?;
    let mut cmd = command(bins, "postgres", run_as);
    cmd.arg("-D")
        .arg(dir)
        .arg("-c")
        .arg("listen_addresses=")
        .arg("-c")
        .arg(format!("unix_socket_directories={}", dir.display()))
        .args(["-c", "max_connections=200"]);
    if durability == Durability::Ephemeral {
        cmd.args([
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]);
    }
    cmd.stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // SAFETY: prctl is async-signal-safe; it runs in the child after setuid (which would clear it).
    unsafe {
        cmd.pre_exec(|| {
            // Fast shutdown of the server if the supervisor thread (and so this process) dies.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT);
            Ok(())
        });
    }
    cmd.spawn().context("cannot start postgres")
}

/// Waits until `postmaster.pid` says the server is ready, or the child exits.
fn wait_ready(child: &mut Child, dir: &Path) -> anyhow::Result<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait()? {
            return Err(anyhow!(
                "PostgreSQL exited at start ({status}); see postgres.log in the data directory"
            ));
        }
        if let Ok(text) = fs::read_to_string(dir.join("postmaster.pid")) {
            // Line 8 of the pid file is the server status.
            if text.lines().nth(7).map(str::trim) == Some("ready") {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            bail!("PostgreSQL did not become ready in {START_TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn stop_child(child: &mut Child) {
    let pid = child.id() as i32;
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    tracing::warn!("PostgreSQL did not stop in time; immediate shutdown");
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGQUIT) };
    let _ = child.wait();
}

/// The supervisor thread: starts the server, restarts it if it dies (at most 5 times in a
/// minute), and stops it when asked.
fn supervise(
    spawn: impl Fn() -> anyhow::Result<Child>,
    dir: &Path,
    stop_rx: mpsc::Receiver<()>,
    ready_tx: mpsc::Sender<anyhow::Result<()>>,
) {
    let mut ready_tx = Some(ready_tx);
    let mut restarts: Vec<Instant> = Vec::new();
    loop {
        let started = spawn().and_then(|mut child| wait_ready(&mut child, dir).map(|()| child));
        let mut child = match started {
            Ok(child) => {
                if let Some(tx) = ready_tx.take() {
                    let _ = tx.send(Ok(()));
                } else {
                    tracing::info!("PostgreSQL restarted");
                }
                child
            }
            Err(e) => {
                match ready_tx.take() {
                    Some(tx) => {
                        let _ = tx.send(Err(e));
                    }
                    None => tracing::error!(error = %e, "PostgreSQL could not be restarted"),
                }
                return;
            }
        };
        loop {
            match stop_rx.recv_timeout(Duration::from_millis(250)) {
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                    stop_child(&mut child);
                    return;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if let Ok(Some(status)) = child.try_wait() {
                tracing::error!(%status, "PostgreSQL exited unexpectedly");
                break;
            }
        }
        restarts.retain(|t| t.elapsed() < Duration::from_secs(60));
        if restarts.len() >= 5 {
            tracing::error!("PostgreSQL keeps failing; giving up");
            return;
        }
        restarts.push(Instant::now());
        let _ = clear_stale_server(dir);
    }
}
