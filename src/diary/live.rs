//! The live diary (§4: «in real time»): the database sends a notification on channel `diary` for
//! every committed change a diary shows (triggers of migration 11: marks, absences, lessons,
//! substitutions, period marks). One listener per server turns them into a broadcast; each open
//! diary page holds a server-sent-events stream that passes on only the events of its pupil's
//! groups, and the page fetches its week again. Whatever path wrote the change — a page, the
//! demo, a future API, another server — the diary hears it, and a rolled-back write says nothing.
//! On Citus the triggers fire on the workers that hold the schools' shards and write each event
//! into the worker's outbox table instead, which the listener reads (`poll_outbox`).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

/// A change in a group's journal; `pupil` when it concerns one pupil only.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct LiveEvent {
    #[serde(rename = "s")]
    pub school: i64,
    #[serde(rename = "g")]
    pub group: i64,
    #[serde(rename = "p")]
    pub pupil: Option<i64>,
}

impl LiveEvent {
    /// Does a diary of `pupil` (in `groups` of `school`) show this change?
    pub fn concerns(&self, school: i64, pupil: i64, groups: &HashSet<i64>) -> bool {
        self.school == school
            && groups.contains(&self.group)
            && self.pupil.is_none_or(|p| p == pupil)
    }
}

/// The server's fan-out of diary events, and the switch that ends every open stream when the
/// server shuts down (otherwise a graceful shutdown would wait for them forever).
#[derive(Clone)]
pub struct Hub {
    events: broadcast::Sender<LiveEvent>,
    closed: watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        let (events, _) = broadcast::channel(1024);
        let (closed, _) = watch::channel(false);
        Self { events, closed }
    }

    pub fn subscribe(&self) -> (broadcast::Receiver<LiveEvent>, watch::Receiver<bool>) {
        (self.events.subscribe(), self.closed.subscribe())
    }

    /// Ends every open stream.
    pub fn close(&self) {
        let _ = self.closed.send(true);
    }

    /// Listens on the database's `diary` channel until aborted; reconnects after a lost
    /// connection (events of the gap are lost: an open page is then only as fresh as its load).
    pub fn spawn_listener(&self, pool: PgPool) -> JoinHandle<()> {
        let events = self.events.clone();
        tokio::spawn(async move {
            loop {
                match listen(&pool, &events).await {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "diary listener lost its connection");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                }
            }
        })
    }
}

async fn listen(pool: &PgPool, events: &broadcast::Sender<LiveEvent>) -> sqlx::Result<()> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen("diary").await?;
    let mut relays = tokio::task::JoinSet::new();
    for worker in crate::db::citus_workers(pool).await? {
        let events = events.clone();
        relays.spawn(async move { poll_outbox(&worker, &events).await });
    }
    relays.spawn({
        let events = events.clone();
        async move { relay(&mut listener, &events).await }
    });
    // The first relay to fail ends them all (dropping the set aborts the others): the caller
    // connects again to every node.
    match relays.join_next().await {
        Some(Ok(result)) => result,
        Some(Err(e)) => Err(sqlx::Error::Io(std::io::Error::other(e))),
        None => Ok(()),
    }
}

async fn relay(
    listener: &mut PgListener,
    events: &broadcast::Sender<LiveEvent>,
) -> sqlx::Result<()> {
    loop {
        let note = listener.recv().await?;
        pass_on(note.payload(), events);
    }
}

fn pass_on(payload: &str, events: &broadcast::Sender<LiveEvent>) {
    match serde_json::from_str::<LiveEvent>(payload) {
        // No receivers is fine: nobody has a diary open.
        Ok(event) => {
            let _ = events.send(event);
        }
        Err(e) => tracing::warn!(error = %e, payload, "odd diary event"),
    }
}

/// How often a Citus worker's outbox is read, and how long its rows are read again (a
/// transaction's row becomes visible at its commit, possibly after rows written later).
const OUTBOX_POLL: Duration = Duration::from_millis(250);
const OUTBOX_WINDOW_SECONDS: f64 = 30.0;

/// On a Citus worker the triggers' `diary_send` writes each event into the worker's own table
/// `diary_outbox` (scripts/citus-functions.sql): a notification there would make Citus's
/// two-phase commit fail. Every server reads the rows of the last half minute four times a
/// second and passes on those it has not seen (so every server hears every event, once); rows
/// older than a minute are removed. Events already there when the listener starts are old news.
async fn poll_outbox(worker: &PgPool, events: &broadcast::Sender<LiveEvent>) -> sqlx::Result<()> {
    let mut seen: HashSet<i64> = HashSet::new();
    let mut first = true;
    let mut polls: u32 = 0;
    loop {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, payload FROM diary_outbox
             WHERE at > clock_timestamp() - make_interval(secs => $1) ORDER BY id",
        )
        .bind(OUTBOX_WINDOW_SECONDS)
        .fetch_all(worker)
        .await?;
        let mut current = HashSet::with_capacity(rows.len());
        for (id, payload) in rows {
            if !first && !seen.contains(&id) {
                pass_on(&payload, events);
            }
            current.insert(id);
        }
        seen = current;
        first = false;
        polls = polls.wrapping_add(1);
        if polls.is_multiple_of(240) {
            sqlx::query(
                "DELETE FROM diary_outbox WHERE at < clock_timestamp() - interval '1 minute'",
            )
            .execute(worker)
            .await?;
        }
        tokio::time::sleep(OUTBOX_POLL).await;
    }
}

/// The group ids whose events a pupil's diary follows: every group the pupil has been in (a
/// handful; the diary may show an earlier week).
pub async fn groups_of(
    pool: &PgPool,
    school: crate::tenancy::SchoolId,
    pupil: i64,
) -> sqlx::Result<Arc<HashSet<i64>>> {
    let ids = sqlx::query_scalar!(
        r#"SELECT DISTINCT group_id AS "group_id!" FROM group_pupil
           WHERE school_id = $1 AND pupil_id = $2"#,
        school.0,
        pupil
    )
    .fetch_all(pool)
    .await?;
    Ok(Arc::new(ids.into_iter().collect()))
}

/// Keeps the live diary quiet for the rest of the transaction on `conn`: for the bulk
/// generators (the demo's year never happened live; on Citus its events would fill the workers'
/// outboxes). The setting is a `SET LOCAL`, which Citus carries to the workers (migration
/// `diary_send`). One round trip.
pub async fn quiet(conn: &mut sqlx::PgConnection) -> sqlx::Result<()> {
    sqlx::raw_sql(
        "SET LOCAL citus.propagate_set_commands = 'local'; SET LOCAL zhurnal.diary_quiet = 'on'",
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_reaches_only_the_diaries_it_concerns() {
        let groups: HashSet<i64> = [10, 11].into_iter().collect();
        let mark = LiveEvent {
            school: 1,
            group: 10,
            pupil: Some(7),
        };
        assert!(mark.concerns(1, 7, &groups));
        assert!(!mark.concerns(1, 8, &groups), "a classmate's mark");
        assert!(!mark.concerns(2, 7, &groups), "another school");
        let homework = LiveEvent {
            school: 1,
            group: 11,
            pupil: None,
        };
        assert!(homework.concerns(1, 8, &groups));
        assert!(!homework.concerns(1, 8, &[12].into_iter().collect()));
        let parsed: LiveEvent = serde_json::from_str(r#"{"s":1,"g":10,"p":null}"#).unwrap();
        assert_eq!(parsed.pupil, None);
    }
}
