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
use super::pg;
use super::pg_lanes::{Lanes, Worker, start};
use super::pg_roles::Session;
use super::pg_worker::{Down, Job, Read};
use super::portable::Reader;
use super::{HoldTicket, Samples, Storage, StoreError};
use crate::model::{Event, NewEvent};
use chrono::{DateTime, Utc};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;

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
    /// Who this process is on the database (see [`super::pg_roles`]).
    session: Session,
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
        let Lanes { log, kv, desk } = start(dir, url, project, &down, own_samples)?;
        let session = log.ask(|r| Job::Read(Read::Session(r)))?;
        Ok(PgStore {
            session,
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

/// Where a process's hold of a segment is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Holding {
    No,
    /// Asked of the desk; not yet granted (see [`Storage::hold_later`]).
    Asked,
    /// Granted: the next append ends it.
    Granted,
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
        if !self.desk.send(Job::Hold(segment.to_string(), after, tx)) {
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
            let _ = self.desk.send(Job::Release);
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
        let kv = self.kv.without_read_ahead();
        let samples = Samples::new(Arc::new(kv), None);
        Reader::new(self.dir.clone(), Arc::new(self.log.clone()), samples)
    }

    fn coordination(&self) -> Option<&dyn Coordination> {
        Some(self)
    }
}

impl Coordination for PgStore {
    fn follow(&self, project: &str) -> Following {
        // A role that may not write never leads: it could not record what it guards.
        super::pg_follow::follow(&self.url, project, self.session.writes)
    }

    fn session(&self) -> &Session {
        &self.session
    }

    fn save_own_prefs(&self, prefs: &[u8]) -> Result<(), StoreError> {
        let prefs = prefs.to_vec();
        Ok(self.kv.ask(|r| Job::Read(Read::SaveOwnPrefs(prefs, r)))?)
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
