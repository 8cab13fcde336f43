//! The year's sealed archive (regulations §6): for every class the journal as the paper journal
//! looks (marks and absences by month, topics and homework, period marks), the class teacher's
//! attendance pages and the summary sheet, plus one journal of the groups outside classes — A4
//! PDFs with the school, the year, «Стр. N из M» and the director's signature line — and
//! `manifest.json` (every file's SHA-256, size and retention date, the audit chain head, the
//! time it was made) signed with the school's Ed25519 key (`seal`).
//!
//! The director starts it (`start`) for a closed year, or for the current one from June 1 (the
//! regulations ask for the printed journal by June 30); it is made in the background
//! (`tokio::spawn` under the school's `db::scope`), progress in the `archive` row, into
//! `<data_dir>/archives/<school>/<year>/<archive>/` and one ZIP beside it
//! (`<archive>.zip`). Nothing deletes an archive: there is no delete path, and the table
//! refuses a DELETE before `retain_until` (migration `year_archive`).

pub mod book;
pub mod seal;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde_json::json;
use sqlx::PgPool;

use crate::audit::{self, Actor, Change};
use crate::authz::{Access, Role};
use crate::clock::{self, Clock};
use crate::error::{AppError, AppResult};
use crate::exports::archive_pdf::Frame;
use crate::journal::grid::{self, PeriodTab};
use crate::journal::period::{self, SheetPeriod};
use crate::school_year::repo::{self as years, YearRow};
use crate::tenancy::SchoolId;

/// Journals and attendance are kept 5 years, summary sheets 25 (regulations §6), from the end
/// of the year.
pub const JOURNAL_YEARS: u32 = 5;
pub const SUMMARY_YEARS: u32 = 25;

/// An archive still «running» after this long was cut off (its server stopped).
const STALE: chrono::TimeDelta = chrono::TimeDelta::hours(2);

/// The director and the deputies see the archives and download them.
pub fn may_view(access: &Access) -> bool {
    matches!(access.role, Role::Director | Role::Deputy)
}

/// Only the director makes one (it is signed in the school's name).
pub fn may_make(access: &Access) -> bool {
    access.role == Role::Director
}

/// The directory of one archive.
pub fn dir(data_dir: &Path, school: SchoolId, year_id: i64, id: i64) -> PathBuf {
    data_dir
        .join("archives")
        .join(school.0.to_string())
        .join(year_id.to_string())
        .join(id.to_string())
}

/// The ZIP of one archive, beside its directory.
pub fn zip_path(data_dir: &Path, school: SchoolId, year_id: i64, id: i64) -> PathBuf {
    dir(data_dir, school, year_id, id).with_extension("zip")
}

/// The school's signing key from this server's data directory (`seal::signing_key`, made on
/// first use), checked against the public key the database recorded at that first use
/// (`archive_key`). Several servers must share one data directory: a server that holds another
/// key, or none while the school has one, refuses to sign — with the reason — instead of giving
/// the school a second key that the printed one would not verify.
pub async fn school_key(
    pool: &PgPool,
    data_dir: &Path,
    school: SchoolId,
) -> AppResult<seal::SigningKey> {
    let recorded = sqlx::query_scalar!(
        "SELECT public_key FROM archive_key WHERE school_id = $1",
        school.0
    )
    .fetch_optional(pool)
    .await?;
    let refused = |recorded: &str| {
        AppError::Refused(format!(
            "Ключа подписи архивов школы (открытый ключ {}) нет в каталоге данных этого сервера. \
             Если серверов несколько, у них должен быть общий каталог данных (ZHURNAL_DATA_DIR); \
             обратитесь к администратору.",
            seal::PublicKey::of_hex(recorded)
        ))
    };
    if let Some(recorded) = &recorded
        && !seal::key_path(data_dir, school.0).exists()
    {
        return Err(refused(recorded));
    }
    let key = seal::signing_key(data_dir, school.0).map_err(AppError::Internal)?;
    let public = seal::PublicKey::of(&key.verifying_key()).hex;
    let recorded = match recorded {
        Some(recorded) => recorded,
        // Two servers' first uses at once: the first key recorded is the school's.
        None => {
            sqlx::query_scalar!(
                "INSERT INTO archive_key (school_id, public_key) VALUES ($1, $2)
                 ON CONFLICT (school_id) DO UPDATE SET public_key = archive_key.public_key
                 RETURNING public_key",
                school.0,
                public
            )
            .fetch_one(pool)
            .await?
        }
    };
    if recorded != public {
        return Err(refused(&recorded));
    }
    Ok(key)
}

fn retain(ends_on: NaiveDate, years: u32) -> NaiveDate {
    ends_on
        .checked_add_months(Months::new(12 * years))
        .unwrap_or(ends_on)
}

/// What a year's archive made on `today` covers: the whole year once it is closed or from
/// June 1 of its last calendar year (`Ok(None)`); before that, the records up to `period_end` —
/// the last day by which every grade's study period has ended (`Ok(Some(day))`), if there is
/// one; otherwise why it may not be made yet.
pub fn covers(
    year: &YearRow,
    today: NaiveDate,
    period_end: Option<NaiveDate>,
) -> Result<Option<NaiveDate>, String> {
    let june = NaiveDate::from_ymd_opt(year.ends_on.year(), 6, 1)
        .unwrap_or(year.ends_on)
        .min(year.ends_on);
    if year.closed || today >= june {
        Ok(None)
    } else if let Some(end) = period_end.filter(|e| *e < today && *e < year.ends_on) {
        Ok(Some(end))
    } else {
        Err(format!(
            "Архив учебного года {} можно создать с {}, после закрытия года или по окончании учебного периода.",
            year.name,
            june.format("%d.%m.%Y")
        ))
    }
}

/// The last day before `today` by which a study period of every grade's scheme of the year has
/// ended (none while some grade's first period is still going on).
async fn closed_periods_end(
    conn: &mut sqlx::PgConnection,
    school: SchoolId,
    year_id: i64,
    today: NaiveDate,
) -> sqlx::Result<Option<NaiveDate>> {
    sqlx::query_scalar!(
        r#"SELECT CASE WHEN bool_and(last_end IS NOT NULL) THEN min(last_end) END AS "end?"
           FROM (SELECT max(sp.ends_on) FILTER (WHERE sp.ends_on < $3) AS last_end
                 FROM period_scheme ps
                 JOIN study_period sp ON sp.school_id = ps.school_id AND sp.scheme_id = ps.id
                 WHERE ps.school_id = $1 AND ps.academic_year_id = $2
                 GROUP BY ps.id) s"#,
        school.0,
        year_id,
        today
    )
    .fetch_one(conn)
    .await
}

#[derive(Debug, Clone)]
pub struct ArchiveRow {
    pub id: i64,
    pub year_id: i64,
    pub year_name: String,
    pub status: String,
    pub files_done: i32,
    pub files_total: i32,
    pub started_at: DateTime<Utc>,
    pub made_at: Option<DateTime<Utc>>,
    pub retain_until: Option<NaiveDate>,
    pub manifest_sha256: Option<String>,
    pub error: Option<String>,
    /// Made before the year's end: the last day it covers.
    pub covers_until: Option<NaiveDate>,
}

impl ArchiveRow {
    /// «2026/2027», or «2026/2027, записи по 27.12.2026».
    pub fn what(&self) -> String {
        match self.covers_until {
            Some(d) => format!("{}, записи по {}", self.year_name, d.format("%d.%m.%Y")),
            None => self.year_name.clone(),
        }
    }

    pub fn status_text(&self) -> &'static str {
        match self.status.as_str() {
            "running" => "создаётся",
            "done" => "готов",
            _ => "не удался",
        }
    }

    pub fn running(&self) -> bool {
        self.status == "running"
    }

    pub fn done(&self) -> bool {
        self.status == "done"
    }

    pub fn made(&self, time_zone: &str) -> String {
        let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
        self.made_at
            .map(|t| t.with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string())
            .unwrap_or_default()
    }

    pub fn retain_text(&self) -> String {
        self.retain_until
            .map(|d| d.format("%d.%m.%Y").to_string())
            .unwrap_or_default()
    }
}

/// The school's archives, newest first.
pub async fn list(pool: &PgPool, access: &Access) -> AppResult<Vec<ArchiveRow>> {
    if !may_view(access) {
        return Err(AppError::Forbidden);
    }
    Ok(sqlx::query_as!(
        ArchiveRow,
        r#"SELECT a.id, a.year_id, y.name AS year_name, a.status, a.files_done, a.files_total,
                  a.started_at, a.made_at, a.retain_until, a.manifest_sha256, a.error,
                  a.covers_until
           FROM archive a JOIN academic_year y ON y.school_id = a.school_id AND y.id = a.year_id
           WHERE a.school_id = $1 ORDER BY a.id DESC"#,
        access.school_id.0
    )
    .fetch_all(pool)
    .await?)
}

/// One finished archive of the school (another school's id, or one not finished: `NotFound`).
pub async fn finished(pool: &PgPool, access: &Access, id: i64) -> AppResult<ArchiveRow> {
    if !may_view(access) {
        return Err(AppError::Forbidden);
    }
    sqlx::query_as!(
        ArchiveRow,
        r#"SELECT a.id, a.year_id, y.name AS year_name, a.status, a.files_done, a.files_total,
                  a.started_at, a.made_at, a.retain_until, a.manifest_sha256, a.error,
                  a.covers_until
           FROM archive a JOIN academic_year y ON y.school_id = a.school_id AND y.id = a.year_id
           WHERE a.school_id = $1 AND a.id = $2 AND a.status = 'done'"#,
        access.school_id.0,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// Where archives are kept: under the data directory, and copied to the second medium
/// (`ZHURNAL_BACKUP_COPY_DIR`) when one is configured.
#[derive(Clone, Debug)]
pub struct Storage {
    pub data_dir: PathBuf,
    pub second_medium: Option<PathBuf>,
}

/// Starts making the archive of a year in the background; its id.
pub async fn start(
    pool: &PgPool,
    clock: Arc<dyn Clock>,
    access: &Access,
    actor: &Actor,
    year_id: i64,
    storage: Storage,
) -> AppResult<i64> {
    if !may_make(access) {
        return Err(AppError::Forbidden);
    }
    let school = access.school_id;
    // Refused at once, next to the year, if this server cannot sign in the school's name (asked
    // before the transaction: no connection is held while another is waited for).
    school_key(pool, &storage.data_dir, school).await?;
    let mut tx = pool.begin().await?;
    let year = years::year(&mut tx, school, year_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let time_zone = sqlx::query_scalar!("SELECT time_zone FROM school WHERE id = $1", school.0)
        .fetch_one(&mut *tx)
        .await?;
    let today = clock::local_today(clock.as_ref(), &time_zone);
    let period_end = closed_periods_end(&mut tx, school, year_id, today).await?;
    let until = covers(&year, today, period_end).map_err(AppError::Refused)?;
    // A worker lives as long as its server: one "running" for longer than `STALE` was cut off by
    // a restart and is marked failed, so the year can be archived again.
    sqlx::query!(
        "UPDATE archive SET status = 'failed', error = $4
         WHERE school_id = $1 AND year_id = $2 AND status = 'running' AND started_at < $3",
        school.0,
        year_id,
        clock.now() - STALE,
        "Создание прервано (сервер перезапускался); создайте архив заново."
    )
    .execute(&mut *tx)
    .await?;
    let running = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM archive WHERE school_id = $1 AND year_id = $2
                          AND status = 'running') AS "running!""#,
        school.0,
        year_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if running {
        return Err(AppError::Refused(format!(
            "Архив учебного года {} уже создаётся.",
            year.name
        )));
    }
    let id = sqlx::query_scalar!(
        "INSERT INTO archive (school_id, year_id, started_by, started_at, covers_until)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        school.0,
        year_id,
        actor.account_id,
        clock.now(),
        until
    )
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        school,
        actor,
        Change::new("archive.started", "archive", id)
            .after(json!({"year": year.name, "covers_until": until})),
    )
    .await?;
    tx.commit().await?;

    let pool = pool.clone();
    let actor = actor.clone();
    tokio::spawn(crate::db::scope::school(school, async move {
        let job = Job { id, year, until };
        let made = make(&pool, clock.as_ref(), school, &job, &storage, &actor).await;
        if let Err(e) = made {
            tracing::error!(archive = id, error = %format!("{e:#}"), "the year's archive failed");
            let message = "Не удалось создать архив; подробности в журнале сервера.";
            if let Err(e) = sqlx::query!(
                "UPDATE archive SET status = 'failed', error = $3 WHERE school_id = $1 AND id = $2",
                school.0,
                id,
                message
            )
            .execute(&pool)
            .await
            {
                tracing::error!(archive = id, error = %e, "the archive's failure not recorded");
            }
        }
    }));
    Ok(id)
}

/// The head of the school's audit hash chain, printed in the manifest.
///
/// As `«number of the last event»:«its hash in hex»` (`audit::chain::head`): a later
/// `zhurnal audit verify` or comparison with this line proves the trail up to it unchanged.
async fn audit_chain_head(pool: &PgPool, school: SchoolId) -> anyhow::Result<Option<String>> {
    let (seq, hash) = crate::audit::chain::head(pool, school).await?;
    Ok(Some(format!("{seq}:{hash}")))
}

/// A file to make: its path in the archive, its kind and how long it is kept.
struct Planned {
    path: String,
    kind: &'static str,
    class: Option<(i64, String, i16)>,
}

/// One archive to make: its id, its year, and the last day it covers when made before the
/// year's end (`covers`).
struct Job {
    id: i64,
    year: YearRow,
    until: Option<NaiveDate>,
}

async fn make(
    pool: &PgPool,
    clock: &dyn Clock,
    school: SchoolId,
    job: &Job,
    storage: &Storage,
    actor: &Actor,
) -> anyhow::Result<()> {
    let (id, year) = (job.id, &job.year);
    let data_dir = storage.data_dir.as_path();
    let out = dir(data_dir, school, year.id, id);
    tokio::fs::create_dir_all(&out).await?;
    let school_name = sqlx::query_scalar!("SELECT name FROM school WHERE id = $1", school.0)
        .fetch_one(pool)
        .await?;
    let director = sqlx::query_scalar!(
        r#"SELECT a.last_name || ' ' || a.first_name || ' ' || a.middle_name AS "name!"
           FROM membership m JOIN account a ON a.id = m.account_id
           WHERE m.school_id = $1 AND m.role = 'director' AND m.revoked_at IS NULL
           ORDER BY m.id LIMIT 1"#,
        school.0
    )
    .fetch_optional(pool)
    .await?
    .map(|n| n.trim().to_string())
    .unwrap_or_default();
    let classes = sqlx::query!(
        "SELECT id, grade, letter FROM school_class WHERE school_id = $1 AND academic_year_id = $2
         ORDER BY grade, letter",
        school.0,
        year.id
    )
    .fetch_all(pool)
    .await?;
    let groups = book::groups(pool, school, year.id).await?;
    let mut plan: Vec<Planned> = Vec::new();
    for c in &classes {
        let name = format!("{}{}", c.grade, c.letter);
        for kind in ["journal", "attendance", "summary"] {
            plan.push(Planned {
                path: format!("{name}/{kind}.pdf"),
                kind,
                class: Some((c.id, name.clone(), c.grade)),
            });
        }
    }
    if groups.iter().any(|g| g.class_id.is_none()) {
        plan.push(Planned {
            path: "groups/journal.pdf".into(),
            kind: "journal",
            class: None,
        });
    }
    sqlx::query!(
        "UPDATE archive SET files_total = $3 WHERE school_id = $1 AND id = $2",
        school.0,
        id,
        plan.len() as i32 + 1
    )
    .execute(pool)
    .await?;

    let year_text = match job.until {
        Some(until) => format!(
            "Учебный год {}, записи по {}",
            year.name,
            until.format("%d.%m.%Y")
        ),
        None => format!("Учебный год {}", year.name),
    };
    let span = (year.starts_on, job.until.unwrap_or(year.ends_on));
    let mut entries = Vec::with_capacity(plan.len());
    for (done, file) in plan.iter().enumerate() {
        let periods: Vec<PeriodTab> = match &file.class {
            Some((_, _, grade)) => {
                let mut conn = pool.acquire().await?;
                grid::grade_periods(&mut conn, school, year.id, *grade).await?
            }
            None => Vec::new(),
        };
        let frame_owned = (school_name.clone(), year_text.clone(), director.clone());
        let bytes = match (file.kind, &file.class) {
            ("journal", class) => {
                let chosen: Vec<book::GroupInfo> = groups
                    .iter()
                    .filter(|g| g.class_id == class.as_ref().map(|c| c.0))
                    .cloned()
                    .collect();
                let title = match class {
                    Some((_, name, _)) => format!("Классный журнал {name} класса"),
                    None => "Журнал групп вне классов (потоки, элективы, индивидуальные планы)"
                        .to_string(),
                };
                let journal = book::journal(pool, school, span, chosen, periods).await?;
                blocking(move || book::journal_pdf(&frame(&frame_owned), &title, &journal)).await?
            }
            ("attendance", Some((class_id, name, _))) => {
                let a = book::attendance(pool, school, *class_id, span).await?;
                let title = format!("Учёт посещаемости {name} класса");
                blocking(move || book::attendance_pdf(&frame(&frame_owned), &title, &a)).await?
            }
            (_, Some((class_id, name, _))) => {
                let shown: Vec<SheetPeriod> = periods
                    .iter()
                    .map(|p| SheetPeriod {
                        id: p.id,
                        name: &p.name,
                        span: p.span,
                    })
                    .collect();
                let sheet = period::summary_sheet(pool, school, *class_id, &shown).await?;
                let title = format!("Сводная ведомость {name} класса");
                blocking(move || book::summary_pdf(&frame(&frame_owned), &title, &sheet)).await?
            }
            _ => unreachable!("only journals are planned without a class"),
        };
        let path = out.join(&file.path);
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        tokio::fs::write(&path, &bytes).await?;
        let (sha256, size) = seal::digest_file(&path)?;
        let years = if file.kind == "summary" {
            SUMMARY_YEARS
        } else {
            JOURNAL_YEARS
        };
        entries.push(seal::Entry {
            path: file.path.clone(),
            kind: file.kind.to_string(),
            sha256,
            size,
            retain_until: retain(year.ends_on, years).to_string(),
        });
        sqlx::query!(
            "UPDATE archive SET files_done = $3 WHERE school_id = $1 AND id = $2",
            school.0,
            id,
            done as i32 + 1
        )
        .execute(pool)
        .await?;
    }

    let head = audit_chain_head(pool, school).await?;
    let made_at = clock.now();
    let key = school_key(pool, data_dir, school).await?;
    let manifest = seal::Manifest {
        format: seal::FORMAT.into(),
        school_id: school.0,
        school: school_name.clone(),
        year: year.name.clone(),
        year_ends_on: year.ends_on.to_string(),
        covers_until: job.until.map(|d| d.to_string()),
        made_at: made_at.to_rfc3339(),
        audit_chain_head: head.clone(),
        public_key: seal::PublicKey::of(&key.verifying_key()).hex,
        files: entries,
    };
    let manifest_sha256 = seal::seal(&out, &manifest, &key)?;
    let zip = zip_path(data_dir, school, year.id, id);
    let names: Vec<String> = manifest
        .files
        .iter()
        .map(|e| e.path.clone())
        .chain([seal::MANIFEST.to_string(), seal::SIGNATURE.to_string()])
        .collect();
    let from = out.clone();
    let zipped = zip.clone();
    tokio::task::spawn_blocking(move || write_zip(&from, &names, &zipped)).await??;
    // The second medium (regulations §6: «at least two media»): the ZIP copied and re-hashed.
    let second_medium = match &storage.second_medium {
        Some(copy_dir) => {
            let to = copy_dir
                .join("archives")
                .join(format!("school-{}", school.0))
                .join(format!("{}-{id}.zip", year.id));
            let (from, dest) = (zip.clone(), to.clone());
            match tokio::task::spawn_blocking(move || copy_checked(&from, &dest)).await? {
                Ok(()) => json!({"copied_to": to.display().to_string()}),
                Err(e) => {
                    tracing::error!(archive = id, error = %format!("{e:#}"), "the archive's second copy failed");
                    json!({"copy_failed": to.display().to_string(), "error": format!("{e:#}")})
                }
            }
        }
        None => serde_json::Value::Null,
    };

    let retain_until = retain(year.ends_on, SUMMARY_YEARS);
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "UPDATE archive SET status = 'done', files_done = files_total, made_at = $3,
                retain_until = $4, head = $5, manifest_sha256 = $6
         WHERE school_id = $1 AND id = $2",
        school.0,
        id,
        made_at,
        retain_until,
        head,
        manifest_sha256
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        school,
        actor,
        Change::new("archive.made", "archive", id).after(json!({
            "year": year.name,
            "files": manifest.files.len(),
            "manifest_sha256": manifest_sha256,
            "retain_until": retain_until.to_string(),
            "second_medium": second_medium,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn frame(owned: &(String, String, String)) -> Frame<'_> {
    Frame {
        school: &owned.0,
        year: &owned.1,
        director: &owned.2,
    }
}

/// Lays a PDF out off the async threads.
async fn blocking(
    f: impl FnOnce() -> Result<Vec<u8>, crate::exports::ExportError> + Send + 'static,
) -> anyhow::Result<Vec<u8>> {
    Ok(tokio::task::spawn_blocking(f).await??)
}

/// The archive's files (and manifest) into one ZIP, streamed file by file.
/// Copies `from` to `to` (its directories made, written under a temporary name, synced, renamed)
/// and checks the copy's SHA-256 against the original's.
fn copy_checked(from: &Path, to: &Path) -> anyhow::Result<()> {
    use sha2::{Digest, Sha256};
    let hash = |p: &Path| -> anyhow::Result<Vec<u8>> {
        let mut file = std::fs::File::open(p)?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut file, &mut hasher)?;
        Ok(hasher.finalize().to_vec())
    };
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = to.with_extension("zip.part");
    std::fs::copy(from, &tmp)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, to)?;
    anyhow::ensure!(
        hash(from)? == hash(to)?,
        "the copy of {} differs from the original",
        from.display()
    );
    Ok(())
}

fn write_zip(dir: &Path, names: &[String], zip: &Path) -> anyhow::Result<()> {
    let tmp = zip.with_extension("zip.part");
    let file = std::fs::File::create(&tmp)?;
    let mut writer = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for name in names {
        writer.start_file(name.as_str(), options)?;
        let mut input = std::fs::File::open(dir.join(name))?;
        std::io::copy(&mut input, &mut writer)?;
    }
    let mut inner = writer.finish()?;
    inner.flush()?;
    inner
        .into_inner()
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .sync_all()?;
    std::fs::rename(&tmp, zip)?;
    Ok(())
}
