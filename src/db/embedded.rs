//! A private PostgreSQL cluster that the product starts, supervises and stops by itself when no
//! `DATABASE_URL` is given. The same supervisor serves the test harness.
//!
//! The cluster lives in `<data dir>/pg`, listens on a Unix socket inside that directory only (no
//! TCP), and is a child process of a dedicated supervisor thread: if the server dies unexpectedly
//! it is restarted, again and again with a growing pause (the first attempts may fail while
//! backends of the killed server still hold its shared memory); after `GIVE_UP_AFTER` of failures
//! the process exits non-zero so that a process manager restarts everything. If this process dies
//! the kernel stops the server (parent-death signal). `initdb` refuses to run as root, so under
//! root the cluster runs as the `postgres` user.
//!
//! A `postmaster.pid` left behind names a process that may now be anybody: only a server whose
//! working directory is this cluster's directory is ever signalled.

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};

/// The lowest PostgreSQL major version the product supports.
const MIN_MAJOR: u32 = 14;
/// How long to wait for the server to accept connections, and to stop.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Pauses between attempts to restart a server that died, growing to the last one.
const BACKOFF: [Duration; 6] = [
    Duration::from_millis(200),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(5),
    Duration::from_secs(10),
];
/// A server that cannot be brought back for this long makes the whole process exit non-zero.
const GIVE_UP_AFTER: Duration = Duration::from_secs(600);
/// The exit status then (EX_UNAVAILABLE).
const GIVE_UP_EXIT: i32 = 69;
/// How long a start waits for processes of a killed server to leave the cluster directory.
const ORPHANS_TIMEOUT: Duration = Duration::from_secs(30);

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
            .map_err(|e| io_error("создать каталог данных", data_dir, &e))?;
        let data_dir = data_dir
            .canonicalize()
            .map_err(|e| io_error("найти каталог данных", data_dir, &e))?;
        let cluster_dir = data_dir.join("pg");
        if let Some(ra) = run_as {
            // The server user must be able to reach its directory through ours.
            let mode = fs::metadata(&data_dir)
                .map_err(|e| io_error("прочитать каталог данных", &data_dir, &e))?
                .permissions()
                .mode();
            if mode & 0o711 != 0o711 {
                fs::set_permissions(&data_dir, fs::Permissions::from_mode(mode | 0o711))
                    .map_err(|e| io_error("открыть для сервера каталог данных", &data_dir, &e))?;
            }
            check_traversable(&data_dir)?;
            fs::create_dir_all(&cluster_dir)
                .map_err(|e| io_error("создать каталог кластера", &cluster_dir, &e))?;
            chown(&cluster_dir, ra)?;
        } else {
            fs::create_dir_all(&cluster_dir)
                .map_err(|e| io_error("создать каталог кластера", &cluster_dir, &e))?;
        }
        let mode = fs::metadata(&cluster_dir)
            .map_err(|e| io_error("прочитать каталог кластера", &cluster_dir, &e))?
            .permissions()
            .mode();
        if mode & 0o777 != 0o700 {
            fs::set_permissions(&cluster_dir, fs::Permissions::from_mode(0o700))
                .map_err(|e| io_error("закрыть от других каталог кластера", &cluster_dir, &e))?;
        }

        if !cluster_dir.join("PG_VERSION").exists() {
            init_cluster(&bins, &cluster_dir, run_as)?;
        }
        let deadline = Instant::now() + ORPHANS_TIMEOUT;
        loop {
            match clear_stale_server(&cluster_dir) {
                Err(Stale::Orphans(pids)) if Instant::now() < deadline => {
                    tracing::warn!(?pids, "processes of a killed server still run; waiting");
                    thread::sleep(Duration::from_millis(500));
                }
                Err(e) => return Err(anyhow!(e.message(&cluster_dir))),
                Ok(()) => break,
            }
        }

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
            Err(_) => bail!("наблюдатель за PostgreSQL остановился раньше, чем сервер был готов"),
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
                "найден PostgreSQL {major}, а нужна версия {MIN_MAJOR} или новее. Установите \
                 более новый сервер (Debian/Ubuntu: `apt-get install postgresql`) или задайте \
                 DATABASE_URL."
            ),
            None => bail!(
                "не найдены программы сервера PostgreSQL (initdb, postgres). Установите их \
                 (Debian/Ubuntu: `apt-get install postgresql`; Fedora: `dnf install \
                 postgresql-server`), укажите их каталог в ZHURNAL_PG_BIN или задайте \
                 DATABASE_URL для готового сервера."
            ),
        }
    }

    fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// A client program of the same installation (`pg_dump`, `pg_restore`): never older than
    /// the server it works with.
    pub fn tool(&self, name: &str) -> PathBuf {
        self.program(name)
    }
}

/// Makes `data_dir/pg` a streaming standby of the running cluster `primary` (`pg_basebackup
/// -R`: a copy of its files, WAL streamed, `standby.signal` and `primary_conninfo` over the
/// primary's socket as `postgres`, which the private cluster's `pg_hba` trusts for replication).
/// `EmbeddedPostgres::start(data_dir, …)` then runs it as a hot standby. For the tests of the
/// read replica and for trying one out; blocking.
pub fn make_standby(primary: &EmbeddedPostgres, data_dir: &Path) -> anyhow::Result<()> {
    let bins = PgBinaries::find()?;
    let run_as = run_as()?;
    fs::create_dir_all(data_dir).map_err(|e| io_error("создать каталог данных", data_dir, &e))?;
    let data_dir = data_dir
        .canonicalize()
        .map_err(|e| io_error("найти каталог данных", data_dir, &e))?;
    let cluster_dir = data_dir.join("pg");
    fs::create_dir(&cluster_dir)
        .map_err(|e| io_error("создать каталог кластера", &cluster_dir, &e))?;
    fs::set_permissions(&cluster_dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| io_error("закрыть от других каталог кластера", &cluster_dir, &e))?;
    if let Some(ra) = run_as {
        let mode = fs::metadata(&data_dir)
            .map_err(|e| io_error("прочитать каталог данных", &data_dir, &e))?
            .permissions()
            .mode();
        fs::set_permissions(&data_dir, fs::Permissions::from_mode(mode | 0o711))
            .map_err(|e| io_error("открыть для сервера каталог данных", &data_dir, &e))?;
        check_traversable(&data_dir)?;
        chown(&cluster_dir, ra)?;
    }
    let out = command(&bins, "pg_basebackup", run_as)
        .arg("-D")
        .arg(&cluster_dir)
        .arg("-h")
        .arg(primary.socket_dir())
        .args(["-U", "postgres", "-R", "-X", "stream", "-c", "fast"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| io_error("запустить pg_basebackup из", &bins.bin_dir, &e))?;
    if !out.status.success() {
        bail!(
            "pg_basebackup не сделал копию кластера в {}: {}",
            cluster_dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    // The primary's socket lives in its cluster directory: the copy took the socket's lock
    // file, which would make the standby refuse to start (the primary's postmaster is alive).
    for entry in fs::read_dir(&cluster_dir)
        .map_err(|e| io_error("прочитать каталог кластера", &cluster_dir, &e))?
        .flatten()
    {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".s.PGSQL.") && name.ends_with(".lock") {
            fs::remove_file(entry.path())
                .map_err(|e| io_error("удалить копию файла блокировки", &entry.path(), &e))?;
        }
    }
    Ok(())
}

/// The socket directory of the private cluster under `data_dir` if a server of it is running
/// and ready under a live parent (another copy of the program, e.g. `serve`): commands such as
/// `zhurnal backup` connect to it there instead of starting their own.
pub fn running_cluster(data_dir: &Path) -> Option<PathBuf> {
    let dir = data_dir.join("pg").canonicalize().ok()?;
    let text = fs::read_to_string(dir.join("postmaster.pid")).ok()?;
    let pid = text.lines().next()?.trim().parse::<i32>().ok()?;
    let ready = text.lines().nth(7).map(str::trim) == Some("ready");
    (ready
        && process_alive(pid)
        && holder(pid, &dir) == Holder::OurServer
        && supervisor_of(pid).is_some())
    .then_some(dir)
}

/// Has a private cluster ever been made under `data_dir`?
pub fn cluster_exists(data_dir: &Path) -> bool {
    data_dir.join("pg").join("PG_VERSION").exists()
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
            "программа запущена от root, а серверу базы данных нужен непривилегированный \
             пользователь; пользователя «{name}» нет. Создайте его (`useradd --system \
             postgres`) или укажите другого в ZHURNAL_PG_USER."
        );
    }
    // SAFETY: pw is non-null and points to a valid passwd record.
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    Ok(Some(RunAs { uid, gid }))
}

fn chown(path: &Path, ra: RunAs) -> anyhow::Result<()> {
    std::os::unix::fs::chown(path, Some(ra.uid), Some(ra.gid))
        .map_err(|e| io_error("передать пользователю сервера каталог", path, &e))
}

/// Every ancestor must let others through, or the unprivileged server cannot reach its files.
fn check_traversable(dir: &Path) -> anyhow::Result<()> {
    for ancestor in dir.ancestors().skip(1) {
        let mode = fs::metadata(ancestor)
            .map_err(|e| io_error("прочитать каталог", ancestor, &e))?
            .permissions()
            .mode();
        if mode & 0o001 == 0 {
            bail!(
                "сервер базы данных работает от непривилегированного пользователя и не может \
                 войти в каталог {}; выберите каталог данных в другом месте (ZHURNAL_DATA_DIR) \
                 или запускайте программу не от root",
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
        .map_err(|e| io_error("запустить initdb из", &bins.bin_dir, &e))?;
    if !out.status.success() {
        bail!(
            "initdb не создал кластер в {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Why the cluster directory cannot be used yet.
#[derive(Debug, PartialEq, Eq)]
enum Stale {
    /// A server of this cluster runs under another live process (another copy of the program).
    InUse {
        pid: i32,
        parent: i32,
    },
    /// Processes of a killed server still work in the directory (they hold its shared memory).
    Orphans(Vec<i32>),
    /// The pid file names a live PostgreSQL process this program may not look into.
    Unknown {
        pid: i32,
    },
    /// An orphaned server of this cluster that does not stop when asked.
    Stuck {
        pid: i32,
    },
    Io(String),
}

impl Stale {
    fn message(&self, dir: &Path) -> String {
        let pid_file = dir.join("postmaster.pid");
        match self {
            Stale::InUse { pid, parent } => format!(
                "каталог кластера {} занят работающим сервером PostgreSQL (pid {pid}, его \
                 запустил процесс {parent}); остановите ту программу или выберите другой \
                 ZHURNAL_DATA_DIR",
                dir.display()
            ),
            Stale::Orphans(pids) => format!(
                "в каталоге кластера {} ещё работают процессы прежнего сервера PostgreSQL (pid \
                 {}); дождитесь их завершения или остановите их",
                dir.display(),
                pids.iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Stale::Unknown { pid } => format!(
                "файл {} называет работающий процесс PostgreSQL (pid {pid}), который нельзя \
                 проверить; если это не сервер этого каталога, удалите файл {} и запустите \
                 программу снова",
                pid_file.display(),
                pid_file.display()
            ),
            Stale::Stuck { pid } => format!(
                "прежний сервер PostgreSQL этого кластера (pid {pid}, каталог {}) не \
                 останавливается",
                dir.display()
            ),
            Stale::Io(message) => message.clone(),
        }
    }
}

/// Who a live process is, as far as this cluster is concerned.
#[derive(Debug, PartialEq, Eq)]
enum Holder {
    /// Not a PostgreSQL process, or one working in another directory: the pid was reused.
    Stranger,
    /// A PostgreSQL process whose directory cannot be read (another user's, no root).
    Unreadable,
    /// The postmaster of this cluster.
    OurServer,
    /// A backend or helper process of this cluster.
    OurChild,
}

/// Looks at process `pid` through `/proc`: is it a PostgreSQL process working in `dir`?
fn holder(pid: i32, dir: &Path) -> Holder {
    let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return Holder::Stranger;
    };
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let first = args.first().map(String::as_str).unwrap_or("");
    // A backend's title replaces its arguments: "postgres: 15/main: checkpointer".
    let child = first.starts_with("postgres:");
    let program = Path::new(first.split_whitespace().next().unwrap_or(""))
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    if !child && program != "postgres" && program != "postmaster" {
        return Holder::Stranger;
    }
    // A PostgreSQL process works in its data directory (the postmaster changes into it, its
    // children inherit it).
    let ours = match fs::read_link(format!("/proc/{pid}/cwd")) {
        Ok(cwd) => same_dir(&cwd, dir),
        Err(_) => {
            // Its `-D` is the next best witness.
            let data = args
                .iter()
                .position(|a| a == "-D")
                .and_then(|i| args.get(i + 1));
            match data {
                Some(d) if same_dir(Path::new(d), dir) => true,
                Some(_) => false,
                None => return Holder::Unreadable,
            }
        }
    };
    match (ours, child) {
        (false, _) => Holder::Stranger,
        (true, false) => Holder::OurServer,
        (true, true) => Holder::OurChild,
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// PostgreSQL processes (other than `except`) working in `dir`.
fn processes_in(dir: &Path, except: Option<i32>) -> Vec<i32> {
    let mut pids: Vec<i32> = fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| Some(*pid) != except)
        .filter(|pid| matches!(holder(*pid, dir), Holder::OurServer | Holder::OurChild))
        .collect();
    pids.sort_unstable();
    pids
}

/// A `postmaster.pid` left by a crash: removed when the process it names is gone or is not a
/// PostgreSQL process of this cluster (the pid was reused — that process is never signalled);
/// an orphaned server of this cluster is stopped; a server of this cluster under a live parent,
/// or backends of a killed one, keep the directory busy.
fn clear_stale_server(dir: &Path) -> Result<(), Stale> {
    let pid_file = dir.join("postmaster.pid");
    let remove = || {
        fs::remove_file(&pid_file)
            .or_else(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Ok(()),
                _ => Err(e),
            })
            .map_err(|e| Stale::Io(io_error("удалить устаревший файл", &pid_file, &e).to_string()))
    };
    let Ok(text) = fs::read_to_string(&pid_file) else {
        return orphans_gone(dir);
    };
    let Some(pid) = text
        .lines()
        .next()
        .and_then(|l| l.trim().parse::<i32>().ok())
        .filter(|pid| *pid > 0)
    else {
        remove()?;
        return orphans_gone(dir);
    };
    if !process_alive(pid) {
        tracing::warn!(pid, "removing a stale postmaster.pid left by a crash");
        remove()?;
        return orphans_gone(dir);
    }
    match holder(pid, dir) {
        Holder::Stranger => {
            tracing::warn!(
                pid,
                file = %pid_file.display(),
                "postmaster.pid names a process that is not a server of this cluster; \
                 removing the stale file (the process is left alone)"
            );
            remove()?;
            orphans_gone(dir)
        }
        Holder::Unreadable => Err(Stale::Unknown { pid }),
        Holder::OurChild => Err(Stale::Orphans(processes_in(dir, None))),
        Holder::OurServer => {
            if let Some(parent) = supervisor_of(pid) {
                return Err(Stale::InUse { pid, parent });
            }
            tracing::warn!(
                pid,
                "an orphaned PostgreSQL server of this cluster is running; stopping it"
            );
            // SAFETY: plain kill(2) on a pid just checked to be this cluster's postmaster.
            unsafe { libc::kill(pid, libc::SIGINT) };
            let deadline = Instant::now() + STOP_TIMEOUT;
            while process_alive(pid) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(50));
            }
            if process_alive(pid) {
                return Err(Stale::Stuck { pid });
            }
            remove()?;
            orphans_gone(dir)
        }
    }
}

/// No process of a killed server is left in `dir`.
fn orphans_gone(dir: &Path) -> Result<(), Stale> {
    let left = processes_in(dir, None);
    if left.is_empty() {
        Ok(())
    } else {
        Err(Stale::Orphans(left))
    }
}

fn process_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The live process that started server `pid`, unless the server was orphaned (its parent is
/// gone and it was handed to init or a subreaper).
fn supervisor_of(pid: i32) -> Option<i32> {
    let ppid = parent_of(pid)?;
    (ppid > 1 && process_alive(ppid)).then_some(ppid)
}

fn parent_of(pid: i32) -> Option<i32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ...": the command may hold spaces, so read after the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// An I/O failure as a Russian sentence with the path and the cause.
fn io_error(action: &str, path: &Path, e: &std::io::Error) -> anyhow::Error {
    anyhow!("не удалось {action} {}: {}", path.display(), io_cause(e))
}

/// The cause of an I/O failure in Russian (the system's words for the rare ones).
fn io_cause(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::EROFS) => "файловая система доступна только для чтения".into(),
        Some(libc::ENOSPC) => "на диске нет места".into(),
        Some(libc::EDQUOT) => "превышена дисковая квота".into(),
        Some(libc::EACCES | libc::EPERM) => "нет прав доступа".into(),
        Some(libc::ENOENT) => "нет такого файла или каталога".into(),
        Some(libc::ENOTDIR) => "часть пути — не каталог".into(),
        Some(libc::EISDIR) => "это каталог, а не файл".into(),
        Some(libc::EIO) => "ошибка ввода-вывода".into(),
        _ => format!("системная ошибка: {e}"),
    }
}

/// A server process just started, and where its messages begin in the log.
struct Started {
    child: Child,
    log_path: PathBuf,
    log_from: u64,
}

fn spawn_server(
    bins: &PgBinaries,
    dir: &Path,
    log_path: &Path,
    run_as: Option<RunAs>,
    durability: Durability,
) -> anyhow::Result<Started> {
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .map_err(|e| io_error("открыть журнал сервера", log_path, &e))?;
    let log_from = log.metadata().map(|m| m.len()).unwrap_or(0);
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
    let stdout = log
        .try_clone()
        .map_err(|e| io_error("открыть журнал сервера", log_path, &e))?;
    cmd.stdin(Stdio::null()).stdout(stdout).stderr(log);
    // Its own process group: Ctrl-C in the terminal reaches only us, and we stop the server
    // after the requests under way are answered (not before, as SIGINT to the group would).
    cmd.process_group(0);
    // SAFETY: prctl is async-signal-safe; it runs in the child after setuid (which would clear it).
    unsafe {
        cmd.pre_exec(|| {
            // Fast shutdown of the server if the supervisor thread (and so this process) dies.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT);
            Ok(())
        });
    }
    let child = cmd
        .spawn()
        .map_err(|e| io_error("запустить", &bins.program("postgres"), &e))?;
    Ok(Started {
        child,
        log_path: log_path.to_path_buf(),
        log_from,
    })
}

/// The server's own account of a failed start: its FATAL/PANIC lines (with their DETAIL and
/// HINT) written to the log since `from`, or else its last lines.
fn log_reasons(log_path: &Path, from: u64) -> String {
    let Ok(bytes) = fs::read(log_path) else {
        return String::new();
    };
    let start = usize::try_from(from).unwrap_or(0).min(bytes.len());
    let text = String::from_utf8_lossy(&bytes[start..]);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| {
            ["FATAL:", "PANIC:", "DETAIL:", "HINT:"]
                .iter()
                .any(|k| l.contains(k))
        })
        .map(str::trim)
        .collect();
    // Some refusals come before the server's logging starts, as plain lines.
    let lines = if lines.is_empty() {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    } else {
        lines
    };
    let tail = &lines[lines.len().saturating_sub(4)..];
    tail.join(" ")
}

/// Waits until `postmaster.pid` says the server is ready, or the child exits.
fn wait_ready(started: &mut Started, dir: &Path) -> anyhow::Result<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(status) = started.child.try_wait()? {
            let reasons = log_reasons(&started.log_path, started.log_from);
            let code = status
                .code()
                .map_or_else(|| status.to_string(), |c| c.to_string());
            return Err(anyhow!(
                "PostgreSQL не запустился в {} (код завершения {code}){}; подробности в {}",
                dir.display(),
                if reasons.is_empty() {
                    String::new()
                } else {
                    format!(": {reasons}")
                },
                started.log_path.display()
            ));
        }
        if let Ok(text) = fs::read_to_string(dir.join("postmaster.pid")) {
            // Line 8 of the pid file is the server status («standby»: a hot standby that
            // accepts read-only connections, `make_standby`).
            if matches!(
                text.lines().nth(7).map(str::trim),
                Some("ready" | "standby")
            ) {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            stop_child(&mut started.child);
            bail!(
                "PostgreSQL в {} не был готов за {} с; подробности в {}",
                dir.display(),
                START_TIMEOUT.as_secs(),
                started.log_path.display()
            );
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

/// The supervisor thread: starts the server, restarts it whenever it dies — retrying a failed
/// restart with growing pauses (`BACKOFF`) — and stops it when asked. A server that cannot be
/// brought back for `GIVE_UP_AFTER` ends the process with a non-zero status, for a process
/// manager to restart everything; the first start's failure goes back to `start`.
fn supervise(
    spawn: impl Fn() -> anyhow::Result<Started>,
    dir: &Path,
    stop_rx: mpsc::Receiver<()>,
    ready_tx: mpsc::Sender<anyhow::Result<()>>,
) {
    let mut ready_tx = Some(ready_tx);
    let mut failing_since: Option<Instant> = None;
    let mut attempt = 0usize;
    loop {
        let restarting = ready_tx.is_none();
        let started = if restarting {
            clear_stale_server(dir).map_err(|e| anyhow!(e.message(dir)))
        } else {
            Ok(())
        }
        .and_then(|()| spawn())
        .and_then(|mut s| wait_ready(&mut s, dir).map(|()| s.child));
        let mut child = match started {
            Ok(child) => {
                if let Some(tx) = ready_tx.take() {
                    let _ = tx.send(Ok(()));
                } else {
                    tracing::info!(attempt, "PostgreSQL restarted");
                }
                failing_since = None;
                child
            }
            Err(e) => {
                if let Some(tx) = ready_tx.take() {
                    let _ = tx.send(Err(e));
                    return;
                }
                let since = *failing_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= GIVE_UP_AFTER {
                    tracing::error!(error = %e, "PostgreSQL cannot be restarted; exiting");
                    eprintln!(
                        "ошибка: PostgreSQL не удаётся перезапустить {} мин; программа \
                         завершается, чтобы её перезапустили: {e:#}",
                        GIVE_UP_AFTER.as_secs() / 60
                    );
                    std::process::exit(GIVE_UP_EXIT);
                }
                let pause = BACKOFF[attempt.min(BACKOFF.len() - 1)];
                attempt += 1;
                tracing::error!(error = %e, ?pause, attempt, "PostgreSQL could not be restarted; trying again");
                match stop_rx.recv_timeout(pause) {
                    Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    Err(mpsc::RecvTimeoutError::Timeout) => continue,
                }
            }
        };
        let up = Instant::now();
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
        // A server that dies soon after each start is restarted ever more slowly.
        if up.elapsed() < Duration::from_secs(60) {
            let pause = BACKOFF[attempt.min(BACKOFF.len() - 1)];
            attempt += 1;
            match stop_rx.recv_timeout(pause) {
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        } else {
            attempt = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_failures_name_the_cause_in_russian() {
        let rofs = std::io::Error::from_raw_os_error(libc::EROFS);
        let full = std::io::Error::from_raw_os_error(libc::ENOSPC);
        let e = io_error("создать каталог кластера", Path::new("/srv/z/pg"), &rofs);
        assert_eq!(
            e.to_string(),
            "не удалось создать каталог кластера /srv/z/pg: файловая система доступна только \
             для чтения"
        );
        assert!(
            io_error(
                "открыть журнал сервера",
                Path::new("/srv/z/postgres.log"),
                &full
            )
            .to_string()
            .ends_with("/srv/z/postgres.log: на диске нет места")
        );
    }

    #[test]
    fn a_failed_start_quotes_the_servers_own_reasons_since_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("postgres.log");
        fs::write(&log, "2026 FATAL:  old failure\n").unwrap();
        let from = fs::metadata(&log).unwrap().len();
        let mut text = fs::read_to_string(&log).unwrap();
        text.push_str(
            "2026 LOG:  starting\n2026 FATAL:  could not create lock file \"postmaster.pid\": \
             No space left on device\n",
        );
        fs::write(&log, text).unwrap();
        let reasons = log_reasons(&log, from);
        assert_eq!(
            reasons,
            "2026 FATAL:  could not create lock file \"postmaster.pid\": No space left on device"
        );
    }

    #[test]
    fn a_process_that_is_not_postgres_is_a_stranger_to_the_cluster() {
        let me = std::process::id() as i32;
        assert_eq!(holder(me, Path::new("/nonexistent")), Holder::Stranger);
        assert_eq!(holder(i32::MAX, Path::new("/")), Holder::Stranger);
    }

    #[test]
    fn the_restart_pauses_grow_and_stop_growing() {
        assert!(BACKOFF.windows(2).all(|w| w[0] < w[1]));
        assert!(BACKOFF[BACKOFF.len() - 1] <= Duration::from_secs(10));
        assert!(GIVE_UP_AFTER > BACKOFF.iter().sum::<Duration>());
    }
}
