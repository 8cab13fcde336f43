//! Is the database ready for work — not only answering, but accepting writes, with room on the
//! private cluster's disk? (`/readyz`; `/healthz` stays a cheap liveness check.)

use std::path::Path;
use std::time::Duration;

use sqlx::PgPool;

/// Below this much free space (or 5 % of a small disk) the private cluster is not ready: every
/// write is about to fail.
pub const MIN_FREE_BYTES: u64 = 256 * 1024 * 1024;
/// A probe that takes longer than this counts as failed.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Space on the file system of the private cluster's data directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disk {
    pub free_bytes: u64,
    pub total_bytes: u64,
}

impl Disk {
    /// Is there room enough to go on writing?
    pub fn enough(&self) -> bool {
        let needed = MIN_FREE_BYTES.min(self.total_bytes / 20).max(1);
        self.free_bytes >= needed
    }

    /// The space available to an unprivileged writer on the file system holding `dir`.
    pub fn of(dir: &Path) -> std::io::Result<Self> {
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(dir.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        // SAFETY: a zeroed statvfs is a valid out-parameter; `path` is NUL-terminated.
        let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let block = stat.f_frsize as u64;
        Ok(Self {
            free_bytes: stat.f_bavail as u64 * block,
            total_bytes: stat.f_blocks as u64 * block,
        })
    }
}

/// What `/readyz` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// The write probe committed.
    pub writes: bool,
    /// The private cluster's disk (`None` for an external server, or when unreadable).
    pub disk: Option<Disk>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.writes && self.disk.is_none_or(|d| d.enough())
    }
}

/// Writes the probe row (in its own short transaction) and, for the private cluster, looks at
/// the free space under `data_dir`.
pub async fn check(pool: &PgPool, data_dir: Option<&Path>) -> Readiness {
    let writes = match tokio::time::timeout(PROBE_TIMEOUT, probe(pool)).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "readiness: the database refuses a write");
            false
        }
        Err(_) => {
            tracing::error!("readiness: the write probe timed out");
            false
        }
    };
    let disk = data_dir.and_then(|dir| match Disk::of(dir) {
        Ok(disk) => Some(disk),
        Err(e) => {
            tracing::error!(error = %e, dir = %dir.display(), "readiness: cannot read the disk's free space");
            None
        }
    });
    Readiness { writes, disk }
}

async fn probe(pool: &PgPool) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET LOCAL statement_timeout = '2s'")
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "INSERT INTO readiness_probe (id, at) VALUES (1, now())
         ON CONFLICT (id) DO UPDATE SET at = excluded.at"
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1024 * 1024;

    #[test]
    fn a_full_disk_is_not_ready_and_a_roomy_one_is() {
        let big = 500 * 1024 * MB;
        assert!(
            !Disk {
                free_bytes: 0,
                total_bytes: big
            }
            .enough()
        );
        assert!(
            !Disk {
                free_bytes: 100 * MB,
                total_bytes: big
            }
            .enough()
        );
        assert!(
            Disk {
                free_bytes: 256 * MB,
                total_bytes: big
            }
            .enough()
        );
        // A small disk needs 5 % of itself.
        assert!(
            Disk {
                free_bytes: 60 * MB,
                total_bytes: 1024 * MB
            }
            .enough()
        );
        assert!(
            !Disk {
                free_bytes: 40 * MB,
                total_bytes: 1024 * MB
            }
            .enough()
        );
        assert!(
            !Disk {
                free_bytes: 0,
                total_bytes: 0
            }
            .enough()
        );
    }

    #[test]
    fn ready_needs_a_write_and_room_on_the_disk() {
        let roomy = Some(Disk {
            free_bytes: 10 * 1024 * MB,
            total_bytes: 20 * 1024 * MB,
        });
        let full = Some(Disk {
            free_bytes: 0,
            total_bytes: 20 * 1024 * MB,
        });
        assert!(
            Readiness {
                writes: true,
                disk: roomy
            }
            .ready()
        );
        assert!(
            Readiness {
                writes: true,
                disk: None
            }
            .ready()
        );
        assert!(
            !Readiness {
                writes: false,
                disk: roomy
            }
            .ready()
        );
        assert!(
            !Readiness {
                writes: true,
                disk: full
            }
            .ready()
        );
    }

    #[test]
    fn the_free_space_of_the_temporary_directory_is_read() {
        let disk = Disk::of(&std::env::temp_dir()).unwrap();
        assert!(disk.total_bytes > 0 && disk.free_bytes <= disk.total_bytes);
    }
}
