//! The audit trail's hash chain (issue 14, item 1; regulations §7): proof that nobody with
//! database access changed, deleted or slipped in an event after it was written.
//!
//! The database links every event as it is inserted (migration `audit_chain`): each school's
//! events have places 1, 2, 3, … (`chain_seq`) and `chain_hash` = SHA-256(previous hash ‖
//! `audit_event_content(…)`), and `audit_chain_head` keeps the school's last place and hash.
//! [`verify`] re-computes the chain in one streamed query (a window over the index
//! `(school_id, chain_seq)`: each row is hashed once, against the stored hash of the row before
//! it, and the scan stops at the first row that does not match), then compares its end with the
//! head. Memory stays flat whatever the number of events.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::tenancy::SchoolId;

/// What is wrong at the first break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The event's content no longer gives its stored hash: it was changed after it was written.
    Changed,
    /// Places are missing: events were deleted (in the middle, or the chain's tail).
    Deleted,
    /// The event does not belong to the chain: a place outside it (before 1, after the head, a
    /// place taken twice), or a row written after the head that does not link.
    Inserted,
}

impl Kind {
    /// In Russian, for the page and the command line.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Changed => "изменено после записи",
            Kind::Deleted => "удалено",
            Kind::Inserted => "вставлено вне цепочки",
        }
    }

    fn of(code: &str) -> Self {
        match code {
            "deleted" => Kind::Deleted,
            "inserted" => Kind::Inserted,
            _ => Kind::Changed,
        }
    }
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone)]
pub struct Break {
    pub kind: Kind,
    /// The place in the chain.
    pub seq: i64,
    /// The event named; `None` when the missing events were the chain's last ones.
    pub event_id: Option<i64>,
    pub at: Option<DateTime<Utc>>,
    /// The author's name; `None` for the platform itself or when no event is named.
    pub author: Option<String>,
    /// For deleted events: the first and last missing places.
    pub missing: Option<(i64, i64)>,
}

impl Break {
    /// One Russian sentence: what, where, when and by whom.
    pub fn describe(&self, time_zone: &str) -> String {
        let event = |seq: i64| {
            let mut text = format!("событие № {seq}");
            if let Some(id) = self.event_id {
                text.push_str(&format!(" (запись {id}"));
                if let Some(at) = self.at {
                    text.push_str(&format!(", {}", local_time(at, time_zone)));
                }
                text.push_str(&format!(
                    ", автор: {})",
                    self.author.as_deref().unwrap_or("система")
                ));
            }
            text
        };
        match (self.kind, self.missing) {
            (Kind::Deleted, Some((from, to))) => {
                let gone = if from == to {
                    format!("удалено событие № {from}")
                } else {
                    format!("удалены события № {from}–{to}")
                };
                if self.event_id.is_some() {
                    format!("{gone}; следующее за удалённым: {}", event(self.seq))
                } else {
                    format!("{gone}; это были последние события цепочки")
                }
            }
            (kind, _) => format!("{} {}", event(self.seq), kind.label()),
        }
    }
}

/// What the verification of one school's chain found.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub school: SchoolId,
    /// Events checked (up to the break, or all).
    pub checked: i64,
    /// The head as the database keeps it: the last place and its hash (hex).
    pub head_seq: i64,
    pub head_hash: String,
    pub first_break: Option<Break>,
}

impl Verdict {
    pub fn intact(&self) -> bool {
        self.first_break.is_none()
    }

    /// One Russian line: «цепочка цела: N событий, голова …» or the first break.
    pub fn summary(&self, time_zone: &str) -> String {
        match &self.first_break {
            None => {
                let n = self.checked.max(0) as usize;
                format!(
                    "цепочка цела: {n} {}, голова {}",
                    crate::input::plural(n, "событие", "события", "событий"),
                    self.head_hash
                )
            }
            Some(b) => format!("ЦЕПОЧКА НАРУШЕНА: {}", b.describe(time_zone)),
        }
    }
}

/// The first bytes of two events' hashes — a journal's last and the school's last — as the
/// kept pages' and kept lessons' checks read them (`version` of each).
pub type JournalAndSchool = (Option<Vec<u8>>, Option<Vec<u8>>);

/// An event as a version of what it changed (the kept pages, `web::page_cache`; a lesson's kept
/// facts, `journal::kept`): the first 8 bytes of its chain hash — its place alone would repeat
/// after a restore — and 0 for no event.
pub fn version(hash: Option<Vec<u8>>) -> i64 {
    hash.and_then(|h| h.get(..8).and_then(|b| b.try_into().ok()))
        .map(i64::from_be_bytes)
        .unwrap_or(0)
}

/// «23.11.2026 10:15:07» in the school's time zone.
pub fn local_time(at: DateTime<Utc>, time_zone: &str) -> String {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    at.with_timezone(&tz)
        .format("%d.%m.%Y %H:%M:%S")
        .to_string()
}

/// The school's head: its last place and hash (hex); `(0, 64 zeros)` before its first event.
/// What the backup and the archive print.
pub async fn head(pool: &PgPool, school: SchoolId) -> sqlx::Result<(i64, String)> {
    let row = sqlx::query!(
        r#"SELECT seq, encode(hash, 'hex') AS "hash!" FROM audit_chain_head WHERE school_id = $1"#,
        school.0
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.seq, r.hash)).unwrap_or_else(origin))
}

/// Every school's head the connection may see (row security: the backup and the archive run in
/// `db::scope::all_schools`, or as the owner), by school. A school appears once it has an event
/// (its creation is one).
pub async fn heads<'e>(
    db: impl sqlx::PgExecutor<'e>,
) -> sqlx::Result<Vec<(SchoolId, i64, String)>> {
    let rows = sqlx::query!(
        r#"SELECT school_id, seq, encode(hash, 'hex') AS "hash!"
           FROM audit_chain_head ORDER BY school_id"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (SchoolId(r.school_id), r.seq, r.hash))
        .collect())
}

fn origin() -> (i64, String) {
    (0, "0".repeat(64))
}

/// Re-computes the school's chain and names the first event that does not match. Reads one
/// consistent snapshot (a read-only repeatable-read transaction), so writes going on meanwhile
/// neither disturb nor wait for it.
pub async fn verify(pool: &PgPool, school: SchoolId) -> sqlx::Result<Verdict> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    // The subquery names the school by `$1`, not `h.school_id`: Citus routes it (SCALE.md).
    let stored = sqlx::query!(
        r#"SELECT h.seq, h.hash, encode(h.hash, 'hex') AS "hex!",
                  (SELECT e.id FROM audit_event e
                    WHERE e.school_id = $1 AND e.chain_seq = h.seq) AS head_id
           FROM audit_chain_head h WHERE h.school_id = $1"#,
        school.0
    )
    .fetch_optional(&mut *tx)
    .await?;
    let (head_seq, head_hash, head_hex, head_id) = match stored {
        Some(h) => (h.seq, h.hash, h.hex, h.head_id),
        None => (0, vec![0u8; 32], origin().1, None),
    };
    // The first row that does not hold, in chain order. `ok` rows are filtered out above the
    // window, so the scan stops at the first bad one.
    let bad = sqlx::query!(
        r#"WITH w AS (
               SELECT e.id, e.chain_seq, e.chain_hash, e.at, e.actor_account_id, e.content,
                      row_number() OVER o AS n,
                      lag(e.chain_seq) OVER o AS prev_seq,
                      lag(e.chain_hash) OVER o AS prev_hash
               FROM (SELECT a.id, a.chain_seq, a.chain_hash, a.at, a.actor_account_id,
                            audit_event_content(a.school_id, a.chain_seq, a.at,
                                a.actor_account_id, a.actor_role, a.session_ref, a.action,
                                a.subject_type, a.subject_id, a.before, a.after, a.reason,
                                a.pupil_id, a.group_id) AS content
                     FROM audit_event a WHERE a.school_id = $1) e
               WINDOW o AS (ORDER BY e.chain_seq)
           ), k AS (
               SELECT w.*,
                      CASE
                          WHEN w.chain_seq < 1 OR w.chain_seq > $2 THEN 'inserted'
                          WHEN w.chain_seq = w.prev_seq THEN 'inserted'
                          WHEN w.chain_seq <> coalesce(w.prev_seq, 0) + 1 THEN 'deleted'
                          WHEN w.chain_hash IS NOT DISTINCT FROM audit_chain_link(
                                   coalesce(w.prev_hash, audit_chain_origin()), w.content)
                              THEN NULL
                          WHEN w.id > $3 THEN 'inserted'
                          ELSE 'changed'
                      END AS kind
               FROM w
           )
           SELECT k.id AS "id!", k.chain_seq AS "seq!", k.at AS "at!", k.n AS "n!",
                  k.prev_seq, k.kind AS "kind!",
                  (SELECT a.last_name || ' ' || a.first_name FROM account a
                    WHERE a.id = k.actor_account_id) AS author
           FROM k WHERE k.kind IS NOT NULL
           ORDER BY k.chain_seq LIMIT 1"#,
        school.0,
        head_seq,
        head_id.unwrap_or(i64::MAX),
    )
    .fetch_optional(&mut *tx)
    .await?;
    let (checked, first_break) = match bad {
        Some(row) => {
            let kind = Kind::of(&row.kind);
            let missing =
                (kind == Kind::Deleted).then(|| (row.prev_seq.unwrap_or(0) + 1, row.seq - 1));
            (
                row.n - 1,
                Some(Break {
                    kind,
                    seq: row.seq,
                    event_id: Some(row.id),
                    at: Some(row.at),
                    author: row.author,
                    missing,
                }),
            )
        }
        None => {
            // Every row links; the end must be the head.
            let last = sqlx::query!(
                r#"SELECT count(*) AS "n!", max(chain_seq) AS last_seq,
                          (SELECT e.chain_hash FROM audit_event e WHERE e.school_id = $1
                            ORDER BY e.chain_seq DESC LIMIT 1) AS last_hash,
                          (SELECT e.id FROM audit_event e WHERE e.school_id = $1
                            ORDER BY e.chain_seq DESC LIMIT 1) AS last_id
                   FROM audit_event WHERE school_id = $1"#,
                school.0
            )
            .fetch_one(&mut *tx)
            .await?;
            let last_seq = last.last_seq.unwrap_or(0);
            let tail = if last_seq < head_seq {
                Some(Break {
                    kind: Kind::Deleted,
                    seq: head_seq,
                    event_id: None,
                    at: None,
                    author: None,
                    missing: Some((last_seq + 1, head_seq)),
                })
            } else if last.last_hash.as_deref().unwrap_or(&[0u8; 32][..]) != head_hash.as_slice() {
                let named = match last.last_id {
                    Some(id) => sqlx::query!(
                        r#"SELECT e.at, (SELECT a.last_name || ' ' || a.first_name FROM account a
                                          WHERE a.id = e.actor_account_id) AS author
                           FROM audit_event e WHERE e.school_id = $1 AND e.id = $2"#,
                        school.0,
                        id
                    )
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| (r.at, r.author)),
                    None => None,
                };
                Some(Break {
                    kind: Kind::Changed,
                    seq: last_seq,
                    event_id: last.last_id,
                    at: named.as_ref().map(|n| n.0),
                    author: named.and_then(|n| n.1),
                    missing: None,
                })
            } else {
                None
            };
            let checked = if tail.is_some() {
                last.n.saturating_sub(1)
            } else {
                last.n
            };
            (checked, tail)
        }
    };
    tx.commit().await?;
    Ok(Verdict {
        school,
        checked,
        head_seq,
        head_hash: head_hex,
        first_break,
    })
}

/// A school as the command line names it.
#[derive(Debug, Clone)]
pub struct SchoolLine {
    pub verdict: Verdict,
    pub name: String,
    pub time_zone: String,
}

impl SchoolLine {
    /// «Школа 1 «Школа № 5»: цепочка цела: …».
    pub fn line(&self) -> String {
        format!(
            "Школа {} «{}»: {}",
            self.verdict.school.0,
            self.name,
            self.verdict.summary(&self.time_zone)
        )
    }
}

/// Verifies every school, or the one given (`None` when it does not exist). Run it in
/// `db::scope::all_schools` (the command line does): `school` is not walled, so under one school's
/// scope the others would show no events.
pub async fn verify_schools(
    pool: &PgPool,
    only: Option<SchoolId>,
) -> sqlx::Result<Option<Vec<SchoolLine>>> {
    let schools = sqlx::query!(
        "SELECT id, short_name, time_zone FROM school
         WHERE $1::bigint IS NULL OR id = $1 ORDER BY id",
        only.map(|s| s.0)
    )
    .fetch_all(pool)
    .await?;
    if only.is_some() && schools.is_empty() {
        return Ok(None);
    }
    let mut lines = Vec::with_capacity(schools.len());
    for s in schools {
        let verdict = verify(pool, SchoolId(s.id)).await?;
        lines.push(SchoolLine {
            verdict,
            name: s.short_name,
            time_zone: s.time_zone,
        });
    }
    Ok(Some(lines))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn verdict(checked: i64, first_break: Option<Break>) -> Verdict {
        Verdict {
            school: SchoolId(1),
            checked,
            head_seq: checked,
            head_hash: "ab".repeat(32),
            first_break,
        }
    }

    #[test]
    fn a_whole_chain_says_how_many_events_in_russian_and_its_head() {
        for (n, word) in [
            (1, "событие"),
            (3, "события"),
            (12, "событий"),
            (12_700, "событий"),
        ] {
            assert_eq!(
                verdict(n, None).summary("Europe/Moscow"),
                format!("цепочка цела: {n} {word}, голова {}", "ab".repeat(32))
            );
        }
    }

    #[test]
    fn a_break_names_the_event_its_moscow_time_and_author() {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 7, 15, 4).unwrap();
        let changed = Break {
            kind: Kind::Changed,
            seq: 57,
            event_id: Some(901),
            at: Some(at),
            author: Some("Васильева Наталья".into()),
            missing: None,
        };
        assert_eq!(
            verdict(56, Some(changed)).summary("Europe/Moscow"),
            "ЦЕПОЧКА НАРУШЕНА: событие № 57 (запись 901, 23.11.2026 10:15:04, автор: Васильева \
             Наталья) изменено после записи"
        );
        let deleted = Break {
            kind: Kind::Deleted,
            seq: 60,
            event_id: Some(905),
            at: Some(at),
            author: None,
            missing: Some((58, 59)),
        };
        assert_eq!(
            deleted.describe("Europe/Moscow"),
            "удалены события № 58–59; следующее за удалённым: событие № 60 (запись 905, \
             23.11.2026 10:15:04, автор: система)"
        );
        let tail = Break {
            kind: Kind::Deleted,
            seq: 60,
            event_id: None,
            at: None,
            author: None,
            missing: Some((60, 60)),
        };
        assert_eq!(
            tail.describe("Europe/Moscow"),
            "удалено событие № 60; это были последние события цепочки"
        );
    }
}
