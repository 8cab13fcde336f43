//! The live diary (§4: «in real time»): the database sends a notification on channel `diary` for
//! every committed change a diary shows (triggers of migration 11: marks, absences, lessons,
//! substitutions, period marks). One listener per server turns them into a broadcast; each open
//! diary page holds a server-sent-events stream that passes on only the events of its pupil's
//! groups, and the page fetches its week again. Whatever path wrote the change — a page, the
//! demo, a future API, another server — the diary hears it, and a rolled-back write says nothing.
//! On Citus the notifications come from the workers that hold the schools' shards, and the
//! listener listens there too (`citus_workers`).

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
    let mut listeners = vec![PgListener::connect_with(pool).await?];
    for worker in citus_workers(pool).await? {
        listeners.push(PgListener::connect_with(&worker).await?);
    }
    let mut relays = tokio::task::JoinSet::new();
    for mut listener in listeners {
        listener.listen("diary").await?;
        let events = events.clone();
        relays.spawn(async move { relay(&mut listener, &events).await });
    }
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
        match serde_json::from_str::<LiveEvent>(note.payload()) {
            // No receivers is fine: nobody has a diary open.
            Ok(event) => {
                let _ = events.send(event);
            }
            Err(e) => tracing::warn!(error = %e, payload = note.payload(), "odd diary event"),
        }
    }
}

/// On a Citus coordinator (docs/SCALE.md), the triggers that notify fire on the shards, so a
/// school's notifications are sent by the worker that holds it: the listener listens on every
/// active worker too, as the same role. On plain PostgreSQL there is none. Unchecked queries:
/// Citus's catalogue does not exist on plain PostgreSQL.
async fn citus_workers(pool: &PgPool) -> sqlx::Result<Vec<PgPool>> {
    let citus: bool =
        sqlx::query_scalar("SELECT to_regclass('pg_catalog.pg_dist_node') IS NOT NULL")
            .fetch_one(pool)
            .await?;
    if !citus {
        return Ok(Vec::new());
    }
    let nodes: Vec<(String, i32)> = sqlx::query_as(
        "SELECT nodename::text, nodeport FROM pg_catalog.pg_dist_node
         WHERE isactive AND noderole = 'primary' AND groupid <> 0",
    )
    .fetch_all(pool)
    .await?;
    let options = pool.connect_options();
    Ok(nodes
        .into_iter()
        .map(|(host, port)| {
            let at = (*options).clone().port(u16::try_from(port).unwrap_or(5432));
            // A Unix socket's directory, or a host name.
            let at = if host.starts_with('/') {
                at.socket(host)
            } else {
                at.host(&host)
            };
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect_lazy_with(at)
        })
        .collect())
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
