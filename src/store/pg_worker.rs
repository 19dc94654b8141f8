//! A worker thread of the team backend: it owns one connection to the state database and runs
//! its statements, one job at a time, for the engine, the sample store and backup readers
//! (three per process, see [`super::pg_store`]). It reconnects by itself, remembers
//! since when the server has been out of reach, and keeps a transaction open across jobs for
//! a segment's hold and for a sample read-modify-write.

use super::kv::{Batch, Rows};
use super::pg::{self, PgError};
use crate::model::{Event, NewEvent};
use chrono::{DateTime, Utc};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// How long jobs fail at once after a failed connect, before the next attempt.
const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

pub(super) type Reply<T> = mpsc::Sender<Result<T, PgError>>;

/// A read (or the one single-statement write a viewer may make, its own cockpit memory),
/// answered alike at top level, inside a hold and inside a sample write.
pub(super) enum Read {
    EventsAfter(u64, Reply<Vec<Event>>),
    Guard(Reply<Option<String>>),
    Probe(Reply<()>),
    Get(Vec<u8>, Reply<Option<Vec<u8>>>),
    Range(Vec<u8>, Vec<u8>, Reply<Rows>),
    Ranges(Vec<(Vec<u8>, Vec<u8>)>, Reply<Rows>),
    Session(Reply<super::pg_roles::Session>),
    SaveOwnPrefs(Vec<u8>, Reply<()>),
}

/// What the worker is asked to do; each carries where its answer goes.
pub(super) enum Job {
    Read(Read),
    Hold(String, u64, Reply<Vec<Event>>),
    /// An event to append, after, and whether it ends a hold (refused if the hold was lost).
    Append(Box<NewEvent>, u64, bool, Reply<Vec<Event>>),
    Release,
    Restore(Vec<Event>, Reply<()>),
    Apply(Batch, Reply<()>),
    /// Start a read-modify-write of the samples (see `Kv::begin_write`).
    WriteBegin(Reply<()>),
    /// End it: apply this batch (None: nothing) and commit.
    WriteEnd(Option<Batch>, Reply<()>),
}

/// Since when the database has been out of reach (None: it answers).
pub(super) type Down = Arc<Mutex<Option<DateTime<Utc>>>>;

/// The worker's loop: one job at a time, connecting at its first job when started without a
/// connection, and again when the server was lost.
pub(super) fn work(
    url: &str,
    client: Option<postgres::Client>,
    inbox: &mpsc::Receiver<Job>,
    down: &Down,
) {
    let mut client = client;
    let mut last_failure: Option<(std::time::Instant, PgError)> = None;
    while let Ok(job) = inbox.recv() {
        if matches!(job, Job::Release) {
            continue;
        }
        if client.as_ref().is_none_or(postgres::Client::is_closed) {
            // After a failed connect, jobs fail at once for a while: a server that times out
            // must not cost every read its connect timeout.
            if let Some((at, e)) = &last_failure
                && at.elapsed() < RETRY_AFTER
            {
                fail(job, e.clone());
                continue;
            }
            client = match pg::connect(url) {
                Ok(c) => {
                    last_failure = None;
                    Some(c)
                }
                Err(e) => {
                    note(down, Some(&e));
                    last_failure = Some((std::time::Instant::now(), e.clone()));
                    fail(job, e);
                    continue;
                }
            };
        }
        let Some(c) = client.as_mut() else { continue };
        let result = run(c, job, inbox, down);
        if c.is_closed() || matches!(result, Err(PgError::Unreachable(_))) {
            client = None;
        }
    }
}

/// Remember whether the server answered (anything but `Unreachable`) or not, and since when.
fn note(down: &Down, last_error: Option<&PgError>) {
    if let Ok(mut d) = down.lock() {
        match last_error {
            Some(PgError::Unreachable(_)) => {
                d.get_or_insert_with(Utc::now);
            }
            _ => *d = None,
        }
    }
}

/// Answer a job, after noting whether the server answered: whoever reads the reply then
/// reads an up-to-date `Storage::unreachable_since`. The error is returned for the worker's
/// own bookkeeping.
fn answer<T>(down: &Down, r: Reply<T>, v: Result<T, PgError>) -> Result<(), PgError> {
    note(down, v.as_ref().err());
    let back = v.as_ref().err().cloned();
    let _ = r.send(v);
    back.map_or(Ok(()), Err)
}

fn fail(job: Job, e: PgError) {
    match job {
        Job::Read(Read::EventsAfter(_, r)) | Job::Hold(_, _, r) | Job::Append(_, _, _, r) => {
            let _ = r.send(Err(e));
        }
        Job::Restore(_, r) | Job::Apply(_, r) | Job::WriteBegin(r) | Job::WriteEnd(_, r) => {
            let _ = r.send(Err(e));
        }
        Job::Read(Read::Probe(r) | Read::SaveOwnPrefs(_, r)) => {
            let _ = r.send(Err(e));
        }
        Job::Read(Read::Session(r)) => {
            let _ = r.send(Err(e));
        }
        Job::Read(Read::Get(_, r)) => {
            let _ = r.send(Err(e));
        }
        Job::Read(Read::Guard(r)) => {
            let _ = r.send(Err(e));
        }
        Job::Read(Read::Range(_, _, r) | Read::Ranges(_, r)) => {
            let _ = r.send(Err(e));
        }
        Job::Release => {}
    }
}

/// Run one job; the error returned is only for the worker's bookkeeping (the reply has it).
fn run(
    c: &mut postgres::Client,
    job: Job,
    inbox: &mpsc::Receiver<Job>,
    down: &Down,
) -> Result<(), PgError> {
    match job {
        Job::Read(q) => read(c, q, down),
        Job::Apply(batch, r) => answer(down, r, in_tx(c, |tx| pg::kv_apply(tx, &batch))),
        // A hold that ended with its connection: the segment was not held, refuse.
        Job::Append(_, _, true, r) => answer(
            down,
            r,
            Err(PgError::Unreachable(
                "the connection was lost while the segment was held; nothing was recorded, retry"
                    .into(),
            )),
        ),
        Job::Append(body, after, false, r) => {
            answer(down, r, in_tx(c, |tx| pg::append_in(tx, &body, after)))
        }
        Job::Restore(events, r) => answer(down, r, in_tx(c, |tx| pg::restore_in(tx, &events))),
        Job::Release => Ok(()),
        // Not begun (a failed connect answered it): nothing to end.
        Job::WriteEnd(_, r) => answer(
            down,
            r,
            Err(PgError::Unreachable(
                "the connection was lost during a sample write; nothing was written".into(),
            )),
        ),
        Job::WriteBegin(r) => {
            let mut tx = match c.transaction() {
                Ok(tx) => tx,
                Err(e) => return answer(down, r, Err(pg::refused(&e))),
            };
            answer(down, r, pg::lock_samples(&mut tx))?;
            writing(tx, inbox, down)
        }
        Job::Hold(segment, after, r) => {
            let mut tx = match c.transaction() {
                Ok(tx) => tx,
                Err(e) => return answer(down, r, Err(pg::refused(&e))),
            };
            let fresh = tx
                .execute(pg::SEGMENT_LOCK, &[&segment])
                .map_err(|e| pg::refused(&e))
                .and_then(|_| pg::events_after(&mut tx, after));
            answer(down, r, fresh)?;
            held(tx, inbox, down)
        }
    }
}

/// Serve the engine's reads inside a hold until the append that ends it (committed) or a
/// release (rolled back).
fn held(
    mut tx: postgres::Transaction<'_>,
    inbox: &mpsc::Receiver<Job>,
    down: &Down,
) -> Result<(), PgError> {
    while let Ok(job) = inbox.recv() {
        let done = match job {
            Job::Release => return Ok(()),
            Job::Append(body, after, _, r) => {
                let appended = pg::append_in(&mut tx, &body, after);
                let result = match appended {
                    Ok(events) => tx.commit().map(|()| events).map_err(|e| pg::refused(&e)),
                    Err(e) => Err(e),
                };
                return answer(down, r, result);
            }
            Job::Read(q) => read(&mut tx, q, down),
            Job::Apply(batch, r) => answer(down, r, nested_apply(&mut tx, Some(&batch))),
            Job::Hold(_, _, r) => answer(
                down,
                r,
                Err(PgError::Refused("a segment is already held".into())),
            ),
            // A sample write while a segment is held: inside the hold's transaction.
            Job::WriteBegin(r) => answer(down, r, pg::lock_samples(&mut tx)),
            Job::WriteEnd(batch, r) => answer(down, r, nested_apply(&mut tx, batch.as_ref())),
            Job::Restore(_, r) => answer(
                down,
                r,
                Err(PgError::Refused("restore while a segment is held".into())),
            ),
        };
        if matches!(done, Err(PgError::Unreachable(_))) {
            return done;
        }
    }
    Ok(())
}

/// Serve the reads of a sample read-modify-write inside its transaction, which holds the
/// samples' lock, until its end (applied and committed, or rolled back).
fn writing(
    mut tx: postgres::Transaction<'_>,
    inbox: &mpsc::Receiver<Job>,
    down: &Down,
) -> Result<(), PgError> {
    while let Ok(job) = inbox.recv() {
        let done = match job {
            Job::WriteEnd(batch, r) => {
                let result = match &batch {
                    Some(b) => pg::kv_apply(&mut tx, b),
                    None => Ok(()),
                }
                .and_then(|()| tx.commit().map_err(|e| pg::refused(&e)));
                return answer(down, r, result);
            }
            Job::Release => Ok(()),
            Job::Read(q) => read(&mut tx, q, down),
            other => {
                fail(
                    other,
                    PgError::Refused("a sample write is in progress in this process".into()),
                );
                Ok(())
            }
        };
        if matches!(done, Err(PgError::Unreachable(_))) {
            return done;
        }
    }
    Ok(())
}

/// Answer a read, on the connection or inside the transaction at hand.
fn read(c: &mut impl postgres::GenericClient, q: Read, down: &Down) -> Result<(), PgError> {
    match q {
        Read::EventsAfter(after, r) => answer(down, r, pg::events_after(c, after)),
        Read::Get(key, r) => answer(down, r, pg::kv_get(c, &key)),
        Read::Guard(r) => answer(down, r, pg::guard(c)),
        Read::Probe(r) => answer(down, r, pg::probe(c)),
        Read::Range(lo, hi, r) => answer(down, r, pg::kv_range(c, &lo, &hi)),
        Read::Ranges(intervals, r) => answer(down, r, pg::kv_ranges(c, &intervals)),
        Read::Session(r) => answer(down, r, super::pg_roles::session(c)),
        Read::SaveOwnPrefs(prefs, r) => answer(down, r, super::pg_roles::save_own_prefs(c, &prefs)),
    }
}

/// Apply a batch in a transaction nested in a hold's (it commits with the hold's).
fn nested_apply(tx: &mut postgres::Transaction<'_>, batch: Option<&Batch>) -> Result<(), PgError> {
    let mut t = tx.transaction().map_err(|e| pg::refused(&e))?;
    if let Some(b) = batch {
        pg::kv_apply(&mut t, b)?;
    }
    t.commit().map_err(|e| pg::refused(&e))
}

fn in_tx<T>(
    c: &mut postgres::Client,
    f: impl FnOnce(&mut postgres::Transaction<'_>) -> Result<T, PgError>,
) -> Result<T, PgError> {
    let mut tx = c.transaction().map_err(|e| pg::refused(&e))?;
    let out = f(&mut tx)?;
    tx.commit().map_err(|e| pg::refused(&e))?;
    Ok(out)
}
