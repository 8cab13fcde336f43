//! Backups that restore (regulations §7): `zhurnal backup` dumps the whole database with
//! PostgreSQL's own `pg_dump` (custom format, compressed) into `zhurnal-YYYYMMDD-HHMMSS.dump`
//! (UTC), with `….dump.sha256` (the `sha256sum` format) and `….json` (what is inside) beside it;
//! `zhurnal restore FILE` checks the checksum and restores into an empty database only;
//! `schedule` makes them from `serve` and copies each to the second medium.
//!
//! Files appear whole or not at all: each is written under a hidden `.….partial` name, synced,
//! then renamed; the `.json` comes last and marks a finished backup. The row counts in the
//! `.json` are read in the very snapshot `pg_dump` dumps (`pg_export_snapshot`), so a restore can
//! be checked against them. One backup of a database at a time, whichever server or command
//! makes it (a session advisory lock of the owner's connection).

pub mod schedule;

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection};

use crate::config::Config;
use crate::db::{
    self,
    embedded::{self, Durability, EmbeddedPostgres, PgBinaries},
};
use crate::startup::DATABASE;

/// The advisory lock a backup holds on its database (`db::ensure_app_role` uses …001).
const LOCK_KEY: i64 = 7_205_560_340_991_002;

/// What a backup holds: the `.json` beside the dump.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupInfo {
    /// The dump's file name (no directory).
    pub file: String,
    pub made_at: DateTime<Utc>,
    /// The dump file's size.
    pub size_bytes: u64,
    /// SHA-256 of the dump file, hex.
    pub sha256: String,
    pub database: String,
    /// `pg_database_size` when the dump was made.
    pub database_size_bytes: i64,
    /// The server's `server_version`.
    pub postgres_version: String,
    /// Rows of every table of schema `public`, in the dump's own snapshot.
    pub tables: BTreeMap<String, i64>,
    /// The head of each school's audit chain in the dump's snapshot (`audit::chain::heads`):
    /// `[{"school_id", "seq", "hash"}]`.
    pub audit_chain_heads: Option<serde_json::Value>,
    /// The copy on the second medium, when one is configured.
    pub copy: Option<CopyInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyInfo {
    pub dir: String,
    /// The copy was read back and its SHA-256 is the original's.
    pub verified: bool,
    pub error: Option<String>,
}

/// A finished backup.
#[derive(Debug, Clone)]
pub struct Made {
    pub path: PathBuf,
    pub info: BackupInfo,
}

/// A backup listed from its directory, for the operator's page.
#[derive(Debug, Clone)]
pub struct Listed {
    pub info: BackupInfo,
    /// The dump is there with the size and the checksum file its `.json` records.
    pub intact: bool,
}

/// The database to back up or restore into, as its owner; the private cluster if this command
/// had to start it.
pub struct Owner {
    pub url: String,
    cluster: Option<EmbeddedPostgres>,
}

fn socket_url(dir: &Path) -> String {
    format!(
        "postgres://postgres@localhost/{DATABASE}?host={}",
        dir.display()
    )
}

impl Owner {
    /// `DATABASE_URL`; or the private cluster under the data directory — the running one of
    /// `serve` if it is up, else started here (it is never created for a backup).
    pub async fn for_backup(config: &Config) -> anyhow::Result<Self> {
        if let Some(url) = &config.database_url {
            return Ok(Self {
                url: url.clone(),
                cluster: None,
            });
        }
        if let Some(dir) = embedded::running_cluster(&config.data_dir) {
            return Ok(Self {
                url: socket_url(&dir),
                cluster: None,
            });
        }
        if !embedded::cluster_exists(&config.data_dir) {
            bail!(
                "в каталоге данных {} нет базы «Журнала» (ни DATABASE_URL, ни собственного \
                 кластера): копировать нечего",
                config.data_dir.display()
            );
        }
        let cluster = start_cluster(config).await?;
        Ok(Self {
            url: cluster.url(DATABASE),
            cluster: Some(cluster),
        })
    }

    /// `DATABASE_URL` (an existing, empty database); or the private cluster under the data
    /// directory, made if there is none — never one a running server uses.
    pub async fn for_restore(config: &Config) -> anyhow::Result<Self> {
        if let Some(url) = &config.database_url {
            return Ok(Self {
                url: url.clone(),
                cluster: None,
            });
        }
        if embedded::running_cluster(&config.data_dir).is_some() {
            bail!(
                "с каталогом данных {} работает запущенный «Журнал»; восстанавливают в пустой \
                 каталог данных (новый ZHURNAL_DATA_DIR) при остановленной программе",
                config.data_dir.display()
            );
        }
        let cluster = start_cluster(config).await?;
        db::ensure_database(&cluster.url("postgres"), DATABASE)
            .await
            .context("не удалось создать базу данных в собственном кластере")?;
        Ok(Self {
            url: cluster.url(DATABASE),
            cluster: Some(cluster),
        })
    }

    /// Stops the private cluster if this command started it.
    pub async fn close(self) {
        if let Some(cluster) = self.cluster {
            let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
        }
    }
}

async fn start_cluster(config: &Config) -> anyhow::Result<EmbeddedPostgres> {
    let dir = config.data_dir.clone();
    tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&dir, Durability::Durable)).await?
}

/// The owner's connection holding the backup lock of its database; dropping it lets go.
pub struct BackupLock {
    conn: PgConnection,
    url: String,
}

/// Takes the backup lock of the database behind `owner_url`; `None` while another backup of it
/// is under way (here or on another server).
pub async fn lock(owner_url: &str) -> anyhow::Result<Option<BackupLock>> {
    let mut conn = PgConnection::connect(owner_url)
        .await
        .context("не удалось подключиться к базе данных как её владелец")?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(LOCK_KEY)
        .fetch_one(&mut conn)
        .await?;
    Ok(locked.then(|| BackupLock {
        conn,
        url: owner_url.to_string(),
    }))
}

/// `lock`, or a Russian refusal when another backup is under way.
pub async fn lock_or_refuse(owner_url: &str) -> anyhow::Result<BackupLock> {
    lock(owner_url).await?.ok_or_else(|| {
        anyhow!(
            "резервная копия этой базы уже делается (другой командой или сервером); дождитесь \
             её окончания"
        )
    })
}

impl BackupLock {
    pub async fn release(self) {
        let _ = self.conn.close().await;
    }
}

/// One whole backup: the dump into `dir`, its copy into `copy_dir` (checked), then the `.json`
/// in both. A failed copy is recorded in the `.json` (and logged), the backup itself stands.
pub async fn backup_now(
    lock: &mut BackupLock,
    dir: &Path,
    copy_dir: Option<&Path>,
    now: DateTime<Utc>,
) -> anyhow::Result<Made> {
    let mut made = make(lock, dir, now).await?;
    if let Some(copy_dir) = copy_dir {
        let copy = copy_to(&made, copy_dir).await;
        if !copy.verified {
            tracing::error!(
                file = %made.path.display(),
                copy_dir = %copy_dir.display(),
                error = copy.error.as_deref().unwrap_or(""),
                "the backup could not be copied to the second medium"
            );
        }
        made.info.copy = Some(copy);
    }
    let json = serde_json::to_vec_pretty(&made.info)?;
    let stem = stem_of(&made.info.file);
    write_atomically(&dir.join(format!("{stem}.json")), &json)?;
    if let (Some(copy_dir), Some(copy)) = (copy_dir, &made.info.copy)
        && copy.verified
    {
        write_atomically(&copy_dir.join(format!("{stem}.json")), &json)?;
    }
    Ok(made)
}

fn stem_of(file: &str) -> &str {
    file.strip_suffix(".dump").unwrap_or(file)
}

/// The dump and its `.sha256` (no `.json` yet: `backup_now` writes it).
async fn make(lock: &mut BackupLock, dir: &Path, now: DateTime<Utc>) -> anyhow::Result<Made> {
    let bins = tokio::task::spawn_blocking(PgBinaries::find).await??;
    private_dir(dir)?;
    let stem = format!("zhurnal-{}", now.format("%Y%m%d-%H%M%S"));
    let file = format!("{stem}.dump");
    let path = dir.join(&file);
    if path.exists() {
        bail!(
            "копия {} уже есть (сделана в эту же секунду); повторите позже",
            path.display()
        );
    }
    let partial = dir.join(format!(".{file}.partial"));
    let conn = &mut lock.conn;
    // The counts below and the dump see one snapshot.
    sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *conn)
        .await?;
    let described = async {
        let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut *conn)
            .await?;
        let (database, size, version): (String, i64, String) = sqlx::query_as(
            "SELECT current_database()::text, pg_database_size(current_database()), \
             current_setting('server_version')",
        )
        .fetch_one(&mut *conn)
        .await?;
        let tables = row_counts(conn).await?;
        // Each school's audit chain head in the dump's snapshot: a later comparison proves the
        // trail up to it unchanged (issue 14, item 1).
        let heads: Vec<serde_json::Value> = crate::audit::chain::heads(&mut *conn)
            .await?
            .into_iter()
            .map(|(school, seq, hash)| {
                serde_json::json!({"school_id": school.0, "seq": seq, "hash": hash})
            })
            .collect();
        let audit_chain_heads = Some(serde_json::Value::Array(heads));
        anyhow::Ok((snapshot, database, size, version, tables, audit_chain_heads))
    }
    .await;
    let dumped = match described {
        Ok(d) => run_pg_dump(&bins, &lock.url, &d.0, &partial)
            .await
            .map(|()| d),
        Err(e) => Err(e),
    };
    let _ = sqlx::query("COMMIT").execute(&mut lock.conn).await;
    let (_, database, database_size_bytes, postgres_version, tables, audit_chain_heads) =
        match dumped {
            Ok(d) => d,
            Err(e) => {
                let _ = fs::remove_file(&partial);
                return Err(e);
            }
        };
    // The whole school's personal data and password hashes: the owner's eyes only.
    if let Err(e) = fs::set_permissions(&partial, fs::Permissions::from_mode(0o600)) {
        let _ = fs::remove_file(&partial);
        return Err(io_error("закрыть от других копию", &partial, &e));
    }
    let hashed = {
        let partial = partial.clone();
        tokio::task::spawn_blocking(move || sha256_of(&partial)).await?
    };
    let (sha256, size_bytes) = match hashed {
        Ok(h) => h,
        Err(e) => {
            let _ = fs::remove_file(&partial);
            return Err(e);
        }
    };
    fs::rename(&partial, &path).map_err(|e| io_error("записать копию", &path, &e))?;
    write_atomically(
        &dir.join(format!("{file}.sha256")),
        format!("{sha256}  {file}\n").as_bytes(),
    )?;
    Ok(Made {
        path,
        info: BackupInfo {
            file,
            made_at: now,
            size_bytes,
            sha256,
            database,
            database_size_bytes,
            postgres_version,
            tables,
            audit_chain_heads,
            copy: None,
        },
    })
}

/// Rows of every table of schema `public` (as the owner: no row security applies).
pub async fn row_counts(conn: &mut PgConnection) -> anyhow::Result<BTreeMap<String, i64>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut counts = BTreeMap::new();
    for name in names {
        // Dynamic SQL: the table names come from the catalogue, quoted.
        let count: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM public.{}",
            quote_ident(&name)
        ))
        .fetch_one(&mut *conn)
        .await?;
        counts.insert(name, count);
    }
    Ok(counts)
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A connection URL without its password, and the password (passed to the tools in
/// `PGPASSWORD`, never on their command line where `ps` shows it).
fn split_password(url: &str) -> (String, Option<String>) {
    let Some(scheme_end) = url.find("://") else {
        return (url.to_string(), None);
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return (url.to_string(), None);
    };
    let userinfo = &rest[..at];
    let Some(colon) = userinfo.find(':') else {
        return (url.to_string(), None);
    };
    let password = percent_decode(&userinfo[colon + 1..]);
    let stripped = format!(
        "{}{}{}",
        &url[..scheme_end + 3],
        &userinfo[..colon],
        &rest[at..]
    );
    (stripped, Some(password))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs one of PostgreSQL's client programs against `url`; its complaint on failure.
async fn run_tool(
    bins: &PgBinaries,
    program: &str,
    url: &str,
    args: &[std::ffi::OsString],
) -> anyhow::Result<()> {
    let (url, password) = split_password(url);
    let mut cmd = tokio::process::Command::new(bins.tool(program));
    cmd.args(args)
        .arg(format!("--dbname={url}"))
        .env("LC_MESSAGES", "C")
        .env_remove("PGPASSWORD")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    if let Some(password) = password {
        cmd.env("PGPASSWORD", password);
    }
    let out = cmd
        .output()
        .await
        .map_err(|e| io_error("запустить", &bins.tool(program), &e))?;
    if !out.status.success() {
        bail!(
            "{program} завершился с ошибкой: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

async fn run_pg_dump(
    bins: &PgBinaries,
    url: &str,
    snapshot: &str,
    to: &Path,
) -> anyhow::Result<()> {
    let args: Vec<std::ffi::OsString> = vec![
        "--format=custom".into(),
        "--compress=6".into(),
        format!("--snapshot={snapshot}").into(),
        "--file".into(),
        to.into(),
    ];
    run_tool(bins, "pg_dump", url, &args)
        .await
        .context("не удалось сделать копию базы данных")
}

/// Copies the dump and its `.sha256` to `copy_dir` (atomically), reads the copy back and checks
/// its SHA-256.
async fn copy_to(made: &Made, copy_dir: &Path) -> CopyInfo {
    let from = made.path.clone();
    let to_dir = copy_dir.to_path_buf();
    let file = made.info.file.clone();
    let sha = made.info.sha256.clone();
    let result = tokio::task::spawn_blocking(move || -> anyhow::Result<bool> {
        private_dir(&to_dir)?;
        let target = to_dir.join(&file);
        let partial = to_dir.join(format!(".{file}.partial"));
        fs::copy(&from, &partial).map_err(|e| io_error("скопировать копию в", &to_dir, &e))?;
        fs::File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(|e| io_error("записать копию", &partial, &e))?;
        let (copied, _) = sha256_of(&partial)?;
        if copied != sha {
            let _ = fs::remove_file(&partial);
            return Ok(false);
        }
        fs::rename(&partial, &target).map_err(|e| io_error("записать копию", &target, &e))?;
        write_atomically(
            &to_dir.join(format!("{file}.sha256")),
            format!("{sha}  {file}\n").as_bytes(),
        )?;
        Ok(true)
    })
    .await
    .map_err(anyhow::Error::from)
    .and_then(|r| r);
    let dir = copy_dir.display().to_string();
    match result {
        Ok(true) => CopyInfo {
            dir,
            verified: true,
            error: None,
        },
        Ok(false) => CopyInfo {
            dir,
            verified: false,
            error: Some("контрольная сумма копии не совпала с оригиналом".into()),
        },
        Err(e) => CopyInfo {
            dir,
            verified: false,
            error: Some(format!("{e:#}")),
        },
    }
}

/// Creates a backup directory (and its parents) readable by the owner only; an existing one is
/// left as it is.
fn private_dir(dir: &Path) -> anyhow::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| io_error("создать каталог копий", dir, &e))
}

/// SHA-256 (hex) and size of a file.
pub fn sha256_of(path: &Path) -> anyhow::Result<(String, u64)> {
    let mut file = fs::File::open(path).map_err(|e| io_error("прочитать", path, &e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| io_error("прочитать", path, &e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((format!("{:x}", hasher.finalize()), size))
}

/// Writes `bytes` to `path` whole or not at all: a hidden temporary file, synced, renamed, and
/// the directory synced.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("backup");
    let partial = dir.join(format!(".{name}.partial"));
    let write = || -> std::io::Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&partial)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&partial, path)?;
        fs::File::open(dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&partial);
        io_error("записать", path, &e)
    })
}

/// The checksum file of a dump: `FILE.sha256`.
pub fn checksum_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

/// Checks a dump against the checksum file beside it; a Russian refusal naming the file if it is
/// missing, unreadable or damaged.
pub fn verify(file: &Path) -> anyhow::Result<String> {
    let sums = checksum_path(file);
    if !file.is_file() {
        bail!("файла резервной копии {} нет", file.display());
    }
    let text = fs::read_to_string(&sums).map_err(|_| {
        anyhow!(
            "рядом с копией {} нет файла контрольной суммы {}: без него целостность копии не \
             проверить, восстановление не выполнено",
            file.display(),
            sums.display()
        )
    })?;
    let expected = text
        .split_whitespace()
        .next()
        .filter(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| {
            anyhow!(
                "файл контрольной суммы {} испорчен; восстановление не выполнено",
                sums.display()
            )
        })?;
    let (actual, _) = sha256_of(file)?;
    if actual != expected {
        bail!(
            "резервная копия {} повреждена: её контрольная сумма не совпадает с записанной в {}. \
             Восстановление не выполнено; возьмите копию со второго носителя",
            file.display(),
            sums.display()
        );
    }
    Ok(actual)
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub tables: usize,
    pub rows: i64,
    /// The counts were compared with the backup's `.json` (when it is beside the dump).
    pub checked_against_json: bool,
}

/// Restores `file` into the empty database behind `owner_url`, then gives `app_role` its
/// rights: the checksum first, then the target must hold no table, then `pg_restore` in one
/// transaction (all or nothing) without the dump's owners and grants (the restoring owner owns
/// everything, `db::ensure_app_role` grants as at every start; row security and its policies
/// are part of the schema and come back as they were).
pub async fn restore(owner_url: &str, app_role: &str, file: &Path) -> anyhow::Result<Restored> {
    let checked = {
        let file = file.to_path_buf();
        tokio::task::spawn_blocking(move || verify(&file)).await?
    };
    checked?;
    let bins = tokio::task::spawn_blocking(PgBinaries::find).await??;
    let mut conn = PgConnection::connect(owner_url)
        .await
        .context("не удалось подключиться к базе данных как её владелец")?;
    let (database, relations): (String, i64) = sqlx::query_as(
        "SELECT current_database()::text, (SELECT count(*) FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
         AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
         AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f'))",
    )
    .fetch_one(&mut conn)
    .await?;
    if relations > 0 {
        let _ = conn.close().await;
        bail!(
            "база данных «{database}» не пуста: восстанавливают только в пустую базу, чтобы не \
             смешать данные. Создайте новую пустую базу (или укажите новый ZHURNAL_DATA_DIR) и \
             повторите"
        );
    }
    let args: Vec<std::ffi::OsString> = vec![
        "--no-owner".into(),
        "--no-privileges".into(),
        "--exit-on-error".into(),
        "--single-transaction".into(),
        file.into(),
    ];
    if let Err(e) = run_tool(&bins, "pg_restore", owner_url, &args).await {
        let _ = conn.close().await;
        return Err(e.context("восстановление не выполнено, база осталась пустой"));
    }
    let counts = row_counts(&mut conn).await?;
    let _ = conn.close().await;
    let owner = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(owner_url)
        .await?;
    let granted = db::ensure_app_role(&owner, app_role).await;
    owner.close().await;
    granted.context(
        "данные восстановлены, но роль приложения не получила права; исправьте причину и \
         выполните `zhurnal migrate` с теми же настройками",
    )?;
    let json = file.with_extension("json");
    let recorded: Option<BackupInfo> = fs::read(&json)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    if let Some(info) = &recorded
        && info.tables != counts
    {
        let differ: Vec<&String> = info
            .tables
            .keys()
            .chain(counts.keys())
            .filter(|t| info.tables.get(*t) != counts.get(*t))
            .collect();
        bail!(
            "после восстановления число строк не совпадает с записанным в {} (таблицы: {:?})",
            json.display(),
            differ
        );
    }
    Ok(Restored {
        tables: counts.len(),
        rows: counts.values().sum(),
        checked_against_json: recorded.is_some(),
    })
}

/// The role the application serves as: the user of `ZHURNAL_APP_DATABASE_URL`, or `zhurnal_app`
/// on the private cluster.
pub fn app_role(config: &Config) -> anyhow::Result<String> {
    match (&config.database_url, &config.app_database_url) {
        (_, Some(app)) => db::user_of(app),
        (None, None) => Ok(db::APP_ROLE.to_string()),
        (Some(_), None) => bail!(
            "задан DATABASE_URL (владелец базы), но не задан ZHURNAL_APP_DATABASE_URL — роль, \
             которой после восстановления выдаются права (см. README, «Внешний PostgreSQL»)"
        ),
    }
}

/// Finished backups in `dir`, newest first (at most `limit`).
pub fn list(dir: &Path, limit: usize) -> Vec<Listed> {
    let mut infos: Vec<BackupInfo> = backup_stems(dir)
        .into_iter()
        .filter_map(|stem| fs::read(dir.join(format!("{stem}.json"))).ok())
        .filter_map(|bytes| serde_json::from_slice(&bytes).ok())
        .collect();
    infos.sort_by_key(|i| std::cmp::Reverse(i.made_at));
    infos.truncate(limit);
    infos
        .into_iter()
        .map(|info| {
            let dump = dir.join(&info.file);
            let size_ok = fs::metadata(&dump).is_ok_and(|m| m.len() == info.size_bytes);
            let sum_ok = fs::read_to_string(checksum_path(&dump))
                .is_ok_and(|t| t.split_whitespace().next() == Some(info.sha256.as_str()));
            Listed {
                intact: size_ok && sum_ok,
                info,
            }
        })
        .collect()
}

/// The `zhurnal-YYYYMMDD-HHMMSS` names of the backups (finished or not) in `dir`, oldest first.
fn backup_stems(dir: &Path) -> Vec<String> {
    let mut stems: Vec<String> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.starts_with("zhurnal-"))
        .filter_map(|n| n.split('.').next().map(str::to_string))
        .collect();
    stems.sort();
    stems.dedup();
    stems
}

/// The newest finished backup's time in `dir`.
pub fn newest(dir: &Path) -> Option<DateTime<Utc>> {
    list(dir, 1).first().map(|l| l.info.made_at)
}

/// Keeps the newest `keep` backups in `dir` (their dump, checksum and description), removes the
/// older ones and any half-written file left by an interrupted backup. Call it holding the lock.
pub fn prune(dir: &Path, keep: usize) -> anyhow::Result<usize> {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name();
        if name
            .to_str()
            .is_some_and(|n| n.starts_with(".zhurnal-") && n.ends_with(".partial"))
        {
            let _ = fs::remove_file(entry.path());
        }
    }
    let stems = backup_stems(dir);
    let old = stems.len().saturating_sub(keep);
    for stem in &stems[..old] {
        for suffix in [".json", ".dump.sha256", ".dump"] {
            let path = dir.join(format!("{stem}{suffix}"));
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("удалить старую копию", &path, &e)),
            }
        }
    }
    Ok(old)
}

fn io_error(action: &str, path: &Path, e: &std::io::Error) -> anyhow::Error {
    anyhow!("не удалось {action} {}: {e}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            split_password("postgres://owner:s%40cret@db.example/zhurnal?sslmode=require"),
            (
                "postgres://owner@db.example/zhurnal?sslmode=require".to_string(),
                Some("s@cret".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@localhost/zhurnal?host=/srv/z/pg"),
            (
                "postgres://postgres@localhost/zhurnal?host=/srv/z/pg".to_string(),
                None
            )
        );
    }

    #[test]
    fn only_the_newest_backups_are_kept_and_half_written_files_go() {
        let dir = tempfile::tempdir().unwrap();
        for stem in [
            "zhurnal-20260101-000000",
            "zhurnal-20260108-000000",
            "zhurnal-20260115-000000",
        ] {
            for suffix in [".dump", ".dump.sha256", ".json"] {
                fs::write(dir.path().join(format!("{stem}{suffix}")), b"x").unwrap();
            }
        }
        fs::write(
            dir.path().join(".zhurnal-20260122-000000.dump.partial"),
            b"x",
        )
        .unwrap();
        fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
        assert_eq!(prune(dir.path(), 2).unwrap(), 1);
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "notes.txt",
                "zhurnal-20260108-000000.dump",
                "zhurnal-20260108-000000.dump.sha256",
                "zhurnal-20260108-000000.json",
                "zhurnal-20260115-000000.dump",
                "zhurnal-20260115-000000.dump.sha256",
                "zhurnal-20260115-000000.json",
            ]
        );
    }

    #[test]
    fn a_damaged_dump_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let dump = dir.path().join("zhurnal-20260101-000000.dump");
        fs::write(&dump, b"PGDMP whole").unwrap();
        let (sha, _) = sha256_of(&dump).unwrap();
        fs::write(
            checksum_path(&dump),
            format!("{sha}  zhurnal-20260101-000000.dump\n"),
        )
        .unwrap();
        assert_eq!(verify(&dump).unwrap(), sha);
        fs::write(&dump, b"PGDMP broke").unwrap();
        let refused = verify(&dump).unwrap_err().to_string();
        assert!(
            refused.contains("zhurnal-20260101-000000.dump повреждена"),
            "{refused}"
        );
        fs::remove_file(checksum_path(&dump)).unwrap();
        let refused = verify(&dump).unwrap_err().to_string();
        assert!(refused.contains("нет файла контрольной суммы"), "{refused}");
    }
}
