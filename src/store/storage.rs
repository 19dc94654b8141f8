//! The storage seam: what the engine asks of a project's state, whichever backend holds it.
//! Two implementations: [`super::Store`] (sled, one machine, the default) and
//! [`super::pg_store::PgStore`] (PostgreSQL, a team on several machines).
//!
//! The engine keeps an in-memory fold of the log and asks the backend for what it has not
//! seen: every read and write of events says `after`, the last sequence number the engine
//! holds, and gets back every event past it, its own included. On sled nobody else writes, so
//! that is only ever its own event; on PostgreSQL it also carries what other processes wrote.
//!
//! An action is decided between [`Storage::hold`] and [`Storage::append`] (or
//! [`Storage::release`]): on PostgreSQL `hold` opens a transaction holding the segment, so two
//! leads acting on one segment at once are served one after the other, the second deciding
//! on what the first recorded. On sled the process lock already serialises everything.

use super::StoreError;
use super::portable::{Reader, SampleLine};
use super::samples::{SampleError, Samples};
use crate::model::{Event, NewEvent};
use chrono::{DateTime, TimeZone, Utc};
use std::path::Path;

/// A flush of everything written so far, to run off the owner's loop ([`Storage::flusher`]).
pub type Flusher = Box<dyn FnOnce() -> Result<(), StoreError> + Send>;

/// A hold asked for ([`Storage::hold_later`]): granted already, or to wait for.
pub enum HoldTicket {
    Ready(Result<Vec<Event>, StoreError>),
    Later(Box<dyn FnOnce() -> Result<Vec<Event>, StoreError> + Send>),
}

impl HoldTicket {
    /// Wait for the hold (at once for a ready one).
    pub fn wait(self) -> Result<Vec<Event>, StoreError> {
        match self {
            HoldTicket::Ready(r) => r,
            HoldTicket::Later(f) => f(),
        }
    }
}

/// A project's durable state: the event log, the samples with their rollups and latest
/// values, and the schema version.
pub trait Storage: Send + Sync {
    /// The local state folder: the process lock and the owner's socket live there.
    fn dir(&self) -> &Path;
    /// Where the state is kept, for people: a folder, or a database (never a password).
    fn place(&self) -> String;
    /// The schema version of the stored state.
    fn schema_version(&self) -> u32;
    /// What opening had to repair, said to the operator.
    fn recovered(&self) -> &[String] {
        &[]
    }
    /// Every event with a sequence number above `after`, oldest first.
    fn events_after(&self, after: u64) -> Result<Vec<Event>, StoreError>;
    /// Start deciding an action on `segment`: hold it against other writers until the next
    /// [`Storage::append`] or [`Storage::release`], and return the events past `after`.
    fn hold(&mut self, segment: &str, after: u64) -> Result<Vec<Event>, StoreError>;
    /// [`Storage::hold`], asked now and waited for by whoever takes the ticket: the owner's
    /// loop waits on another thread, so a segment another session holds (up to the server's
    /// `lock_timeout`) never holds up a key or a poll. A backend that never waits for a hold
    /// answers at once.
    fn hold_later(&mut self, segment: &str, after: u64) -> HoldTicket {
        HoldTicket::Ready(self.hold(segment, after))
    }
    /// The ticket of [`Storage::hold_later`] was granted: the next append ends the hold.
    /// Until then, appends are not part of it.
    fn hold_granted(&mut self) {}
    /// Give up a hold without writing (a no-op when nothing is held).
    fn release(&mut self);
    /// Append one event, durable when this returns, ending any hold. Returns every event past
    /// `after`, the appended one last.
    fn append(&mut self, body: NewEvent, after: u64) -> Result<Vec<Event>, StoreError>;
    /// Write a whole log into an empty state, sequence numbers as given (a restore).
    fn restore_events(&mut self, events: &[Event]) -> Result<(), StoreError>;
    /// The sample store.
    fn samples(&self) -> &Samples;
    /// The owner's notes: users' cockpit memory, notification cursors.
    fn notes(&self) -> super::notes::Notes<'_> {
        super::notes::Notes::new(self.samples(), self.dir())
    }
    /// Keep raw samples this many days behind each series' newest day (None: keep all).
    fn set_raw_retention(&mut self, days: Option<i64>);
    /// Make everything written so far durable (nothing to do where every write is durable
    /// when it returns, or where nothing ever is: PostgreSQL, memory).
    fn sync(&self) -> Result<(), StoreError> {
        Ok(())
    }
    /// [`Storage::sync`] as work for another thread: the owner's loop hands its periodic flush
    /// to one, so a slow disk never holds up a key or a poll. A backend whose every write is
    /// durable when it returns (PostgreSQL) has nothing to do.
    fn flusher(&self) -> Flusher {
        Box::new(|| Ok(()))
    }
    /// A handle for long reads (backup, verify) off the owner's loop.
    fn reader(&self) -> Reader;
    /// The coordination of a backend shared by several processes (who leads, news of the
    /// others' appends, whether it answers); `None` on a backend one process holds alone.
    fn coordination(&self) -> Option<&dyn super::coordination::Coordination> {
        None
    }

    /// Record many samples in one atomic batch. Call [`Storage::sync`] before acknowledging.
    fn put_samples(&self, lines: &[SampleLine]) -> Result<(), StoreError> {
        self.samples()
            .write(lines.iter().map(|s| {
                (
                    s.segment.as_str(),
                    s.metric.as_str(),
                    s.at.timestamp_millis(),
                    s.value,
                )
            }))
            .map_err(|e| sample_error(self.dir(), e))
    }

    /// The newest sample of a series.
    fn latest(
        &self,
        segment: &str,
        metric: &str,
    ) -> Result<Option<(DateTime<Utc>, f64)>, StoreError> {
        let latest = self
            .samples()
            .latest(segment, metric)
            .map_err(|e| sample_error(self.dir(), e))?;
        Ok(latest.and_then(|(t, v)| Some((Utc.timestamp_millis_opt(t).single()?, v))))
    }
}

/// A sample store error as a state error: the backend's own, or a block that does not decode.
pub fn sample_error(dir: &Path, e: SampleError) -> StoreError {
    match e {
        SampleError::Store(e) => e,
        SampleError::Codec(c) => StoreError::Corrupt {
            dir: dir.to_path_buf(),
            cause: c.to_string(),
        },
    }
}
