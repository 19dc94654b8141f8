//! The connections of a PostgreSQL state (see [`super::pg_store`]): each [`Lane`] is a worker
//! thread owning one connection ([`super::pg_worker`]), and a [`Worker`] is a handle that asks
//! it for one job at a time (and keeps a status's read-ahead of samples). Starting them is
//! here too: the log's connection brings the schema up to date and claims the database, the
//! samples' connects beside it, and the desk's at the first action.

use super::StoreError;
use super::kv::{Batch, Kv, ReadAhead, Rows};
use super::pg::{self, PgError};
use super::pg_worker::{Down, Job, Read, Reply, work};
use super::portable::LogRead;
use crate::model::Event;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// A handle on the worker: the engine's, the sample store's and a backup reader's. The worker
/// (and its connection) ends when the last handle is dropped.
#[derive(Clone)]
pub(super) struct Worker {
    jobs: mpsc::Sender<Job>,
    /// Sample keys read ahead for a status of many segments (see [`Kv::prefetch`]).
    ahead: Arc<Mutex<Option<ReadAhead>>>,
}

impl Worker {
    fn ahead(&self) -> std::sync::MutexGuard<'_, Option<ReadAhead>> {
        self.ahead.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn stopped() -> PgError {
        PgError::Unreachable("the connection's worker stopped".into())
    }

    pub(super) fn ask<T>(&self, job: impl FnOnce(Reply<T>) -> Job) -> Result<T, PgError> {
        let (tx, rx) = mpsc::channel();
        self.jobs.send(job(tx)).map_err(|_| Worker::stopped())?;
        rx.recv().unwrap_or_else(|_| Err(Worker::stopped()))
    }
}

impl Kv for Worker {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(known) = self.ahead().as_ref().and_then(|a| a.get(key)) {
            return Ok(known);
        }
        Ok(self.ask(|r| Job::Read(Read::Get(key.to_vec(), r)))?)
    }

    fn range(&self, lo: &[u8], hi: &[u8]) -> Result<Rows, StoreError> {
        if lo >= hi {
            return Ok(Vec::new());
        }
        if let Some(known) = self.ahead().as_ref().and_then(|a| a.range(lo, hi)) {
            return Ok(known);
        }
        Ok(self.ask(|r| Job::Read(Read::Range(lo.to_vec(), hi.to_vec(), r)))?)
    }

    fn apply(&self, batch: Batch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let copy = self.ahead().is_some().then(|| batch.clone());
        self.ask(|r| Job::Apply(batch, r))?;
        if let (Some(batch), Some(ahead)) = (copy, self.ahead().as_mut()) {
            ahead.apply(&batch);
        }
        Ok(())
    }

    fn prefetch(&self, intervals: &[(Vec<u8>, Vec<u8>)]) -> Result<(), StoreError> {
        let owned = intervals.to_vec();
        let rows = self.ask(|r| Job::Read(Read::Ranges(owned, r)))?;
        *self.ahead() = Some(ReadAhead::new(intervals, rows));
        Ok(())
    }

    fn forget(&self) {
        *self.ahead() = None;
    }

    fn begin_write(&self) -> Result<(), StoreError> {
        Ok(self.ask(Job::WriteBegin)?)
    }

    fn end_write(&self, batch: Option<Batch>) -> Result<(), StoreError> {
        let copy = batch.as_ref().filter(|_| self.ahead().is_some()).cloned();
        self.ask(|r| Job::WriteEnd(batch, r))?;
        if let (Some(batch), Some(ahead)) = (copy, self.ahead().as_mut()) {
            ahead.apply(&batch);
        }
        Ok(())
    }
}

impl LogRead for Worker {
    fn events_from(&self, first: u64) -> Result<Vec<Event>, StoreError> {
        Ok(self.ask(|r| Job::Read(Read::EventsAfter(first.saturating_sub(1), r)))?)
    }
}

impl Worker {
    /// Send a job without waiting for its answer; false when the worker is gone.
    pub(super) fn send(&self, job: Job) -> bool {
        self.jobs.send(job).is_ok()
    }

    /// Another handle on the same worker, with a read-ahead of its own (none).
    pub(super) fn without_read_ahead(&self) -> Worker {
        Worker {
            jobs: self.jobs.clone(),
            ahead: Arc::default(),
        }
    }
}

/// The three workers of a store: the samples' is the log's for a one-shot command.
pub(super) struct Lanes {
    pub log: Worker,
    pub kv: Worker,
    pub desk: Worker,
}

/// Start the lanes (`own_samples`: the samples get a connection of their own), waiting until
/// the log's connection is ready; `dir` names the state in errors.
pub(super) fn start(
    dir: &Path,
    url: &str,
    project: &str,
    down: &Down,
    own_samples: bool,
) -> Result<Lanes, StoreError> {
    // Three connections, each with its own worker: a segment another session holds delays
    // only the next action (the desk), and a lock on the log delays neither the samples
    // nor the reads of the log. The log's and the samples' connect at once, together; the
    // desk's at the first action (a `status` never needs it).
    let desk = spawn_desk(url, down).map_err(|e| StoreError::Unusable {
        dir: dir.to_path_buf(),
        cause: format!("cannot start the database worker: {e}"),
    })?;
    let lanes: &[Lane] = if own_samples {
        &[Lane::Log, Lane::Samples]
    } else {
        &[Lane::Log]
    };
    let starting: Vec<_> = lanes
        .iter()
        .map(|&lane| {
            let (jobs, inbox) = mpsc::channel::<Job>();
            let (url, down, project) = (url.to_string(), Down::clone(down), project.to_string());
            let (ready_tx, ready) = mpsc::channel();
            // The client blocks on a runtime of its own: it connects on the worker's thread,
            // never on the caller's (which may be a tokio task).
            let spawned = std::thread::Builder::new()
                .name(format!("cutover-pg-{}", lane.name()))
                .spawn(move || {
                    // The log's connection brings the schema up to date and claims the
                    // database; the samples' only connects (in parallel): it is given no job
                    // before `open` returns, after the log's is ready.
                    let connected = if lane == Lane::Log {
                        pg::connect(&url).and_then(|mut c| {
                            super::pg_schema::claim(&mut c, &project)?;
                            Ok(c)
                        })
                    } else {
                        pg::connection(&url)
                    };
                    match connected {
                        Ok(client) => {
                            let _ = ready_tx.send(Ok(()));
                            work(&url, Some(client), &inbox, &down);
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            (jobs, ready, spawned)
        })
        .collect();
    let mut workers = Vec::new();
    for (jobs, ready, spawned) in starting {
        spawned.map_err(|e| StoreError::Unusable {
            dir: dir.to_path_buf(),
            cause: format!("cannot start the database worker: {e}"),
        })?;
        ready
            .recv()
            .unwrap_or_else(|_| Err(PgError::Unreachable("its worker stopped".into())))?;
        workers.push(Worker {
            jobs,
            ahead: Arc::default(),
        });
    }
    let mut workers = workers.into_iter();
    let (Some(log), kv) = (workers.next(), workers.next()) else {
        return Err(StoreError::Unusable {
            dir: dir.to_path_buf(),
            cause: "a database worker did not start".into(),
        });
    };
    let kv = kv.unwrap_or_else(|| log.clone());
    Ok(Lanes { log, kv, desk })
}

/// The desk's worker: started now, connecting at its first job (see `pg_worker::work`).
fn spawn_desk(url: &str, down: &Down) -> std::io::Result<Worker> {
    let (jobs, inbox) = mpsc::channel::<Job>();
    let (url, down) = (url.to_string(), down.clone());
    std::thread::Builder::new()
        .name(format!("cutover-pg-{}", Lane::Desk.name()))
        .spawn(move || work(&url, None, &inbox, &down))?;
    Ok(Worker {
        jobs,
        ahead: Arc::default(),
    })
}

/// The three connections of a process, by what they carry.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lane {
    /// Reads of the log, appends outside a hold, restores, the guard and the probe.
    Log,
    /// The samples and the notes.
    Samples,
    /// Holds, and the append that ends each one.
    Desk,
}

impl Lane {
    fn name(self) -> &'static str {
        match self {
            Lane::Log => "log",
            Lane::Samples => "samples",
            Lane::Desk => "desk",
        }
    }
}
