//! The team backend as a [`Storage`]: a project's log and samples in PostgreSQL, for several
//! processes on several machines at once (`[state] backend = "postgres"`).
//!
//! Three worker threads per process each own a connection and run its statements, one job at
//! a time (see [`super::pg`] for the schema and the guarantees): the log's reads and appends,
//! the samples, and the desk where actions hold their segment (`Lane`). So a lock another
//! session holds for up to the server's `lock_timeout` (10 s) delays only what needs it: an
//! action on that segment waits at the desk while polls still write their samples and the
//! log is still read. Each worker reconnects by itself: a statement that finds the server gone fails with [`PgError::Unreachable`], the failure is remembered (the
//! cockpit and `status` say "state database unreachable since …"), and the next statement
//! connects again. Nothing is queued: an action that cannot be recorded is refused with the
//! reason, so nothing is ever acknowledged that the database does not hold.
//!
//! A [`Storage::hold`] opens a transaction on the desk's connection holding the segment's
//! advisory lock and reads the log past what the engine holds; the append that records the
//! decision commits it. [`Storage::hold_later`] asks for it without waiting, for the owner's
//! loop. The local state folder still takes the process lock, so one process
//! per folder owns the project and the others on that machine attach to it, as with sled.

use super::coordination::{Coordination, Following};
use super::kv::{Batch, Kv, ReadAhead, Rows};
use super::pg::{self, PgError};
use super::pg_worker::{Down, Job, Read, Reply, work};
use super::portable::{LogRead, Reader};
use super::{HoldTicket, Samples, Storage, StoreError};
use crate::model::{Event, NewEvent};
use chrono::{DateTime, Utc};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// A handle on the worker: the engine's, the sample store's and a backup reader's. The worker
/// (and its connection) ends when the last handle is dropped.
#[derive(Clone)]
struct Worker {
    jobs: mpsc::Sender<Job>,
    /// Sample keys read ahead for a status of many segments (see [`Kv::prefetch`]).
    ahead: Arc<Mutex<Option<ReadAhead>>>,
}

impl Worker {
    fn ahead(&self) -> std::sync::MutexGuard<'_, Option<ReadAhead>> {
        self.ahead.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stopped() -> PgError {
        PgError::Unreachable("the connection's worker stopped".into())
    }

    fn ask<T>(&self, job: impl FnOnce(Reply<T>) -> Job) -> Result<T, PgError> {
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

/// A project's state in PostgreSQL.
pub struct PgStore {
    dir: PathBuf,
    place: String,
    /// The connection string, for the coordination's own connections. In memory only: never
    /// shown, logged or stored.
    url: String,
    /// See [`Lane`]: each worker owns one connection.
    log: Worker,
    kv: Worker,
    desk: Worker,
    samples: Samples,
    down: Down,
    /// Where this process's hold is, between asking and its `append` or `release`.
    holding: Holding,
    _lock: File,
}

impl PgStore {
    /// Take the local folder's process lock, connect to `url` (read from the environment,
    /// never stored) and bring the schema up to date. A database that cannot be reached at
    /// start is an error: there is no state to show yet.
    ///
    /// A database holds one project: one that holds another project's log is refused.
    pub fn open(dir: &Path, url: &str, project: &str) -> Result<PgStore, StoreError> {
        PgStore::open_with(dir, url, project, true)
    }

    /// [`PgStore::open`] for a short-lived process (a one-shot command): the samples share the
    /// log's connection. Such a process polls nothing (unless a `watch` attaches for the few
    /// moments it lives), so nothing waits behind a lock on the log; and it pays for one
    /// connection less at every run (about 5 ms of a `status`).
    pub fn open_one_shot(dir: &Path, url: &str, project: &str) -> Result<PgStore, StoreError> {
        PgStore::open_with(dir, url, project, false)
    }

    fn open_with(
        dir: &Path,
        url: &str,
        project: &str,
        own_samples: bool,
    ) -> Result<PgStore, StoreError> {
        let lock = super::lock_dir(dir)?;
        let place = describe(url);
        let down: Down = Arc::default();
        // Three connections, each with its own worker: a segment another session holds delays
        // only the next action (the desk), and a lock on the log delays neither the samples
        // nor the reads of the log. The log's and the samples' connect at once, together; the
        // desk's at the first action (a `status` never needs it).
        let desk = spawn_desk(url, &down).map_err(|e| StoreError::Unusable {
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
                let (url, down, project) = (url.to_string(), down.clone(), project.to_string());
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
                                pg::claim(&mut c, &project)?;
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
        Ok(PgStore {
            dir: dir.to_path_buf(),
            place,
            url: url.to_string(),
            samples: Samples::new(Arc::new(kv.clone()), None),
            log,
            kv,
            desk,
            down,
            holding: Holding::No,
            _lock: lock,
        })
    }
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

/// Where a process's hold of a segment is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Holding {
    No,
    /// Asked of the desk; not yet granted (see [`Storage::hold_later`]).
    Asked,
    /// Granted: the next append ends it.
    Granted,
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

/// The database as people may see it: host, port and name, never the user or password.
pub fn describe(url: &str) -> String {
    match url.parse::<postgres::Config>() {
        Ok(c) => {
            let host = c
                .get_hosts()
                .first()
                .map(|h| match h {
                    postgres::config::Host::Tcp(h) => h.clone(),
                    postgres::config::Host::Unix(p) => p.display().to_string(),
                })
                .unwrap_or_else(|| "localhost".into());
            let port = c.get_ports().first().copied().unwrap_or(5432);
            let db = c.get_dbname().unwrap_or("(default)");
            format!("PostgreSQL {host}:{port}/{db}")
        }
        Err(_) => "PostgreSQL (a URL that does not parse)".into(),
    }
}

impl Storage for PgStore {
    fn dir(&self) -> &Path {
        &self.dir
    }

    fn place(&self) -> String {
        self.place.clone()
    }

    fn schema_version(&self) -> u32 {
        pg::PG_SCHEMA_VERSION
    }

    fn events_after(&self, after: u64) -> Result<Vec<Event>, StoreError> {
        Ok(self.log.ask(|r| Job::Read(Read::EventsAfter(after, r)))?)
    }

    fn hold(&mut self, segment: &str, after: u64) -> Result<Vec<Event>, StoreError> {
        let fresh = self.hold_later(segment, after).wait();
        if fresh.is_ok() {
            self.hold_granted();
        }
        fresh
    }

    fn hold_later(&mut self, segment: &str, after: u64) -> HoldTicket {
        let (tx, rx) = mpsc::channel();
        if self
            .desk
            .jobs
            .send(Job::Hold(segment.to_string(), after, tx))
            .is_err()
        {
            return HoldTicket::Ready(Err(Worker::stopped().into()));
        }
        self.holding = Holding::Asked;
        HoldTicket::Later(Box::new(move || {
            Ok(rx.recv().unwrap_or_else(|_| Err(Worker::stopped()))?)
        }))
    }

    fn hold_granted(&mut self) {
        if self.holding == Holding::Asked {
            self.holding = Holding::Granted;
        }
    }

    fn release(&mut self) {
        // Sent for a hold asked and never granted too: the desk ignores a release it does not
        // hold, and must not be left waiting for one it does.
        if std::mem::replace(&mut self.holding, Holding::No) != Holding::No {
            let _ = self.desk.jobs.send(Job::Release);
        }
    }

    fn append(&mut self, body: NewEvent, after: u64) -> Result<Vec<Event>, StoreError> {
        // A granted hold's append ends it on the desk's connection; any other append (one
        // made while a hold is still waited for included) goes on the log's.
        if self.holding == Holding::Granted {
            self.holding = Holding::No;
            return Ok(self
                .desk
                .ask(|r| Job::Append(Box::new(body), after, true, r))?);
        }
        Ok(self
            .log
            .ask(|r| Job::Append(Box::new(body), after, false, r))?)
    }

    fn restore_events(&mut self, events: &[Event]) -> Result<(), StoreError> {
        Ok(self.log.ask(|r| Job::Restore(events.to_vec(), r))?)
    }

    fn samples(&self) -> &Samples {
        &self.samples
    }

    fn set_raw_retention(&mut self, days: Option<i64>) {
        self.samples = self.samples.with_retention(days);
    }

    fn reader(&self) -> Reader {
        // Its own read-ahead (none): a backup never reads a status's snapshot.
        let kv = Worker {
            jobs: self.kv.jobs.clone(),
            ahead: Arc::default(),
        };
        let samples = Samples::new(Arc::new(kv), None);
        Reader::new(self.dir.clone(), Arc::new(self.log.clone()), samples)
    }

    fn coordination(&self) -> Option<&dyn Coordination> {
        Some(self)
    }
}

impl Coordination for PgStore {
    fn follow(&self, project: &str) -> Following {
        super::pg_follow::follow(&self.url, project)
    }

    fn probe(&self) {
        let _ = self.log.ask(|r| Job::Read(Read::Probe(r)));
    }

    fn unreachable_since(&self) -> Option<DateTime<Utc>> {
        self.down.lock().ok().and_then(|d| *d)
    }

    fn guard(&self) -> Result<Option<String>, StoreError> {
        Ok(self.log.ask(|r| Job::Read(Read::Guard(r)))?)
    }
}
