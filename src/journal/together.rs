//! Cell saves committed together (issue 16): the saves that arrive while the school's previous
//! ones are being written are written in one transaction, each by the same service function
//! with every rule and its own audit events, and committed with one commit.
//!
//! A save is one or two durable rows — the mark or the absence and its chained audit event — and
//! a commit. Alone, each save also pays a transaction's own work: its begin, the connection's
//! scope, the school's turn at the audit chain (`audit_event_chain_link`'s lock and the head's
//! update, held until the commit's WAL flush) and the commit. Eight teachers typing at once made
//! the school's saves queue at that turn. Together, a batch takes the turn once.
//!
//! What a teacher sees is unchanged: the answer comes after the commit, and each save's answer is
//! what it would be written alone after the saves before it in the batch:
//! - a save refused by a rule wrote nothing (`service::write_read_cell`, the rest of
//!   `write_cell_in`, asks every rule before its first write), so the others of its batch are
//!   committed without it;
//! - any other failure (the database's) rolls the batch back, and every save of it is then
//!   written alone, in its own transaction, as if no batch had been tried; the lessons' kept
//!   facts the batch may have read from its own uncommitted writes are forgotten first.
//!
//! How a batch is written, in four statements for any number of saves (and the begin and the
//! commit):
//! - one statement locks all its lessons, in the order of their ids, and reads their kept facts'
//!   versions (`repo::lock_lessons_versions`), so that a save reads its lesson's facts only when
//!   they changed, as alone (`journal::kept`), and two writers never wait on each other's lessons
//!   while one holds the school's chain;
//! - each save's lesson is read as alone (`service::cells_lesson`: its permission first, a
//!   refusal is that save's answer); then the saves allowed go through
//!   `service::write_read_cells`, as the lesson page's column does: one statement reads all
//!   their cells (`repo::cells_at`) — a cell a save before wrote, or in a lesson whose first mark
//!   column a save before made, is read again when its turn comes (after the writes waiting,
//!   when one is that cell's) —, each save is judged by every rule (`service::write_read_cell`,
//!   the rest of `service::write_cell_in`) and what it writes waits in `service::Writes`; then
//!   one statement writes every save's absence and mark and makes its lessons held
//!   (`repo::write_cells`), and the audit events get the ids of the rows written;
//! - one statement records every save's audit events, in the saves' order
//!   (`audit::record_all`): the school's turn at the chain is taken there, just before the
//!   commit, and held for that statement and the commit only.
//!
//! A lesson's first mark makes its mark column at once (`repo::insert_column`): one statement
//! more, once a lesson.
//!
//! Batches hold one school's saves, at most [`BATCH`]; a worker takes the next batch of its
//! schools when it committed the last one, on the connection it keeps while saves keep coming
//! (no round trip to set the scope of a connection taken from the pool for each batch; the
//! scope is set again when the next batch is another school's). Measured with `zhurnal bench
//! --load-only --only Запись` (docs/TESTING.md «Twelfth round», «Thirteenth round»).

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};

use sqlx::pool::PoolConnection;
use sqlx::{Connection, PgConnection, PgPool, Postgres};
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, oneshot};

use super::kept::{KeptLessons, Key};
use super::repo;
use super::service::{self, Author, CellForm, CellSaved};
use crate::audit::Actor;
use crate::authz::Access;
use crate::clock::Clock;
use crate::db::scope;
use crate::error::{AppError, AppResult};
use crate::tenancy::SchoolId;

/// The most saves written in one transaction.
pub const BATCH: usize = 8;
/// Workers, each writing the saves of its share of the schools (`school id % workers`), one
/// batch at a time: a school's batches never wait on each other, and schools of different
/// workers are written at once.
pub const WORKERS: usize = 4;
/// Saves waiting for a worker, at most: beyond, a save waits to be queued.
const QUEUE: usize = 1024;

/// One save, as a worker writes it: who, and what they typed.
pub struct Save {
    pub access: Access,
    pub account_id: i64,
    pub actor: Actor,
    pub form: CellForm,
}

/// A worker's connection while saves keep coming, with the school its scope is set to: a batch
/// then takes no connection from the pool (whose hook sets the scope, a round trip each time).
/// It goes back to the pool when no save is waiting.
type Held = Option<(PoolConnection<Postgres>, SchoolId)>;

struct Job {
    save: Save,
    answer: oneshot::Sender<AppResult<CellSaved>>,
}

/// The server's cell-save queues; their workers start with the first save.
pub struct CellSaves {
    pool: PgPool,
    clock: Arc<dyn Clock>,
    kept: Arc<KeptLessons>,
    workers: usize,
    queues: OnceLock<Vec<mpsc::Sender<Job>>>,
}

impl CellSaves {
    /// The server's: [`WORKERS`] workers.
    pub fn new(pool: PgPool, clock: Arc<dyn Clock>, kept: Arc<KeptLessons>) -> Self {
        Self::with_workers(pool, clock, kept, WORKERS)
    }

    /// With `workers` workers (at least one): the tests take one, which two schools then share.
    pub fn with_workers(
        pool: PgPool,
        clock: Arc<dyn Clock>,
        kept: Arc<KeptLessons>,
        workers: usize,
    ) -> Self {
        CellSaves {
            pool,
            clock,
            kept,
            workers: workers.max(1),
            queues: OnceLock::new(),
        }
    }

    /// Writes one cell, committed together with the school's other saves of the moment: the
    /// same answer as `service::write_cell`.
    pub async fn write(self: &Arc<Self>, save: Save) -> AppResult<CellSaved> {
        let queues = self.queues.get_or_init(|| self.start());
        let worker = save.access.school_id.0.rem_euclid(self.workers as i64) as usize;
        let (answer, answered) = oneshot::channel();
        if let Err(mpsc::error::SendError(job)) = queues[worker].send(Job { save, answer }).await {
            // The worker is gone (its runtime ended): written alone.
            return self.alone(&job.save).await;
        }
        match answered.await {
            Ok(result) => result,
            Err(_) => Err(AppError::Internal(anyhow::anyhow!(
                "a cell save's worker ended before answering"
            ))),
        }
    }

    fn start(self: &Arc<Self>) -> Vec<mpsc::Sender<Job>> {
        (0..self.workers)
            .map(|_| {
                let (queue, jobs) = mpsc::channel(QUEUE);
                let saves = Arc::clone(self);
                tokio::spawn(async move { saves.work(jobs).await });
                queue
            })
            .collect()
    }

    /// Takes the next batch — the saves of one school waiting, at most `BATCH` — and writes it,
    /// until the queue is closed. Saves of the worker's other schools taken meanwhile wait for
    /// the next batches, in their order.
    async fn work(&self, mut jobs: mpsc::Receiver<Job>) {
        let mut others: VecDeque<Job> = VecDeque::new();
        let mut held: Held = None;
        loop {
            let first = match others.pop_front() {
                Some(job) => job,
                None => match jobs.try_recv() {
                    Ok(job) => job,
                    Err(TryRecvError::Empty) => {
                        held = None;
                        match jobs.recv().await {
                            Some(job) => job,
                            None => return,
                        }
                    }
                    Err(TryRecvError::Disconnected) => return,
                },
            };
            let school = first.save.access.school_id;
            let mut batch = vec![first];
            let mut i = 0;
            while i < others.len() && batch.len() < BATCH {
                if others[i].save.access.school_id == school {
                    batch.extend(others.remove(i));
                } else {
                    i += 1;
                }
            }
            while batch.len() < BATCH {
                match jobs.try_recv() {
                    Ok(job) if job.save.access.school_id == school => batch.push(job),
                    Ok(job) => others.push_back(job),
                    Err(_) => break,
                }
            }
            let (saves, answers): (Vec<Save>, Vec<_>) =
                batch.into_iter().map(|j| (j.save, j.answer)).unzip();
            let results = self.write_batch(&mut held, &saves).await;
            for (answer, result) in answers.into_iter().zip(results) {
                // A save whose request is gone (the browser left) has nobody to answer.
                let _ = answer.send(result);
            }
        }
    }

    /// Writes one school's saves: together, or — when the batch fails for any reason but a rule's
    /// refusal — each alone. An answer for every save, in order.
    pub async fn batch(&self, saves: &[Save]) -> Vec<AppResult<CellSaved>> {
        self.write_batch(&mut None, saves).await
    }

    /// [`Self::batch`] on the worker's connection, when it holds one.
    async fn write_batch(&self, held: &mut Held, saves: &[Save]) -> Vec<AppResult<CellSaved>> {
        let Some(first) = saves.first() else {
            return Vec::new();
        };
        let school = first.access.school_id;
        debug_assert!(saves.iter().all(|s| s.access.school_id == school));
        let written = scope::school(
            school,
            scope::cached_plans(async {
                let conn = self.connection(held, school).await?;
                match saves {
                    [alone] => Ok(vec![
                        service::write_cell(&mut **conn, &self.author(alone), &alone.form).await,
                    ]),
                    _ => self.together(conn, school, saves).await,
                }
            }),
        )
        .await;
        match written {
            Ok(results) => {
                if results
                    .iter()
                    .any(|r| matches!(r, Err(AppError::Database(_) | AppError::Internal(_))))
                {
                    // The connection may be what failed: a fresh one for the next batch.
                    *held = None;
                }
                results
            }
            Err(e) => {
                *held = None;
                if saves.len() > 1 {
                    tracing::warn!(error = %e, saves = saves.len(), "a batch of cell saves is written save by save");
                    for s in saves {
                        self.kept.forget(&key(s));
                    }
                }
                let mut results = Vec::with_capacity(saves.len());
                for s in saves {
                    results.push(self.alone(s).await);
                }
                results
            }
        }
    }

    /// The connection a school's batch is written on: the one held — its scope set to the school
    /// when it was another's — or one from the pool, then held.
    async fn connection<'h>(
        &self,
        held: &'h mut Held,
        school: SchoolId,
    ) -> AppResult<&'h mut PoolConnection<Postgres>> {
        if held.is_none() {
            *held = Some((self.pool.acquire().await?, school));
        }
        let Some((conn, scoped)) = held.as_mut() else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "a cell save's worker has no connection"
            )));
        };
        if *scoped != school {
            scope::apply(conn).await?;
            *scoped = school;
        }
        Ok(conn)
    }

    async fn together(
        &self,
        conn: &mut PgConnection,
        school: SchoolId,
        saves: &[Save],
    ) -> AppResult<Vec<AppResult<CellSaved>>> {
        let mut lessons: Vec<i64> = saves.iter().map(|s| s.form.lesson).collect();
        lessons.sort_unstable();
        lessons.dedup();
        let mut tx = conn.begin().await?;
        let locked = repo::lock_lessons_versions(&mut tx, school, &lessons).await?;
        let authors: Vec<Author> = saves.iter().map(|s| self.author(s)).collect();
        // Each save's lesson, as alone: its permission first (a refusal is that save's answer).
        let mut read = Vec::with_capacity(saves.len());
        for (s, author) in saves.iter().zip(&authors) {
            let versions = locked
                .iter()
                .find(|(id, _)| *id == s.form.lesson)
                .map(|(_, v)| *v);
            match service::cells_lesson(&mut tx, author, s.form.lesson, versions).await {
                Err(e @ (AppError::Database(_) | AppError::Internal(_))) => return Err(e),
                lesson => read.push(lesson),
            }
        }
        // The saves allowed so far, judged and written in order as if alone.
        let allowed: Vec<_> = saves
            .iter()
            .zip(&authors)
            .zip(&read)
            .filter_map(|((s, author), lesson)| {
                lesson.as_ref().ok().map(|lesson| (author, &s.form, lesson))
            })
            .collect();
        let mut writes = service::Writes::default();
        let mut written = service::write_read_cells(&mut tx, &allowed, &mut writes)
            .await?
            .into_iter();
        let results = read
            .into_iter()
            .map(|lesson| match lesson {
                Err(refused) => Err(refused),
                Ok(_) => written.next().unwrap_or_else(|| {
                    Err(AppError::Internal(anyhow::anyhow!(
                        "a save of a batch has no answer"
                    )))
                }),
            })
            .collect();
        // Every save's absence and mark in one statement, then their audit events in one more:
        // the school's turn at the audit chain is taken there, by the last statement before the
        // commit, so the batches of other workers write meanwhile and wait only for this.
        writes.record(&mut tx, school).await?;
        tx.commit().await?;
        Ok(results)
    }

    async fn alone(&self, s: &Save) -> AppResult<CellSaved> {
        let author = self.author(s);
        let write = service::write_cell(&self.pool, &author, &s.form);
        scope::school(s.access.school_id, scope::cached_plans(write)).await
    }

    fn author<'a>(&'a self, s: &'a Save) -> Author<'a> {
        Author {
            access: &s.access,
            account_id: s.account_id,
            actor: &s.actor,
            clock: self.clock.as_ref(),
            kept: Some(&self.kept),
        }
    }
}

/// The key of a save's lesson facts in `kept`.
fn key(s: &Save) -> Key {
    Key::new(
        s.access.school_id,
        s.form.lesson,
        s.account_id,
        s.access.role,
        s.access.class_id,
    )
}
