//! The event log on PostgreSQL: the first part of the team backend (a project's state in a
//! database the company already runs, for several leads on several machines). Not yet wired
//! into the engine: the sled [`super::Store`] is still the only state a project uses.
//!
//! What it guarantees, whichever process appends:
//! * **gap-free, ordered sequence numbers**: each append takes a transaction-scoped advisory
//!   lock on the log, reads the last number and inserts the next one; a failed append rolls
//!   back and uses no number (no SQL sequence, whose numbers a rollback would lose);
//! * **append-only**: a trigger refuses every UPDATE and DELETE of the log;
//! * **versioned schema**: migrations run once, in order, under an advisory lock (two
//!   processes opening a new database at once do not clash); a database written by a newer
//!   cutover is refused, as a newer sled state is;
//! * **live updates**: every append notifies the channel [`CHANNEL`] with its sequence number
//!   (delivered on commit), for other processes to LISTEN to instead of polling the table.
//!
//! The client is the synchronous `postgres` crate (tokio-postgres underneath, well kept, no C
//! dependency), owned by one worker thread per log: the engine's calls are synchronous and
//! come from the owner's tokio tasks, where a blocking client must not run its own runtime.
//! TLS (`sslmode=require`) is a later step: this connects without TLS.

use crate::model::{Event, NewEvent};
use std::sync::mpsc;

/// The schema this build writes and the newest it reads.
pub const PG_SCHEMA_VERSION: u32 = 1;
/// The LISTEN/NOTIFY channel of appended events (payload: the sequence number).
pub const CHANNEL: &str = "cutover_events";
/// The advisory lock keys: the log's appends, and migrations.
const LOG_LOCK: i64 = 0x6375_746f_7665_7201;
const MIGRATION_LOCK: i64 = 0x6375_746f_7665_7202;

/// Each schema version's statements, applied in order.
const MIGRATIONS: &[(u32, &str)] = &[(
    1,
    "CREATE TABLE cutover_events (
         seq bigint PRIMARY KEY CHECK (seq > 0),
         segment text NOT NULL,
         at timestamptz NOT NULL,
         body text NOT NULL
     );
     CREATE INDEX cutover_events_by_segment ON cutover_events (segment, seq);
     CREATE FUNCTION cutover_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
         RAISE EXCEPTION 'the cutover event log is append-only';
     END $$;
     CREATE TRIGGER cutover_events_append_only BEFORE UPDATE OR DELETE ON cutover_events
         FOR EACH ROW EXECUTE FUNCTION cutover_events_append_only();",
)];

/// Why the log could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PgError {
    #[error(
        "cannot reach the state database ({0}); check CUTOVER_DATABASE_URL and that the server runs"
    )]
    Unreachable(String),
    #[error(
        "the state database was written by a newer cutover (schema {found}; this build reads up to {supported}); upgrade cutover"
    )]
    NewerSchema { found: u32, supported: u32 },
    #[error("the state database refused: {0}")]
    Refused(String),
    #[error("an event in the state database does not decode (seq {seq}): {cause}")]
    Corrupt { seq: i64, cause: String },
}

type Reply<T> = mpsc::Sender<Result<T, PgError>>;

/// What a decision made on a segment's fresh events comes to.
pub enum Decided {
    /// Record this event.
    Append(NewEvent),
    /// Record nothing; the reason goes back to whoever asked.
    Refuse(String),
}

/// A decision on a segment, given its events (oldest first), run inside the transaction that
/// holds the segment.
pub type Decide = Box<dyn FnOnce(&[Event]) -> Decided + Send>;

enum Job {
    Append(Box<NewEvent>, Reply<Event>),
    Events(Reply<Vec<Event>>),
    Act(String, Decide, Reply<Result<Event, String>>),
}

/// An open event log on PostgreSQL. Dropping it closes its connection.
pub struct PgLog {
    jobs: Option<mpsc::Sender<Job>>,
    worker: Option<std::thread::JoinHandle<()>>,
}

fn refused(e: &postgres::Error) -> PgError {
    match e.as_db_error() {
        Some(db) => PgError::Refused(db.message().to_string()),
        None if e.is_closed() => PgError::Unreachable(e.to_string()),
        None => PgError::Refused(e.to_string()),
    }
}

/// Bring the schema to this build's version, or refuse a newer one.
fn migrate(client: &mut postgres::Client) -> Result<(), PgError> {
    let mut tx = client.transaction().map_err(|e| refused(&e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(|e| refused(&e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS cutover_meta (key text PRIMARY KEY, value text NOT NULL)",
    )
    .map_err(|e| refused(&e))?;
    let found: u32 = tx
        .query_opt(
            "SELECT value FROM cutover_meta WHERE key = 'schema_version'",
            &[],
        )
        .map_err(|e| refused(&e))?
        .and_then(|row| row.get::<_, String>(0).parse().ok())
        .unwrap_or(0);
    if found > PG_SCHEMA_VERSION {
        return Err(PgError::NewerSchema {
            found,
            supported: PG_SCHEMA_VERSION,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.batch_execute(sql).map_err(|e| refused(&e))?;
        tx.execute(
            "INSERT INTO cutover_meta (key, value) VALUES ('schema_version', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&version.to_string()],
        )
        .map_err(|e| refused(&e))?;
    }
    tx.commit().map_err(|e| refused(&e))
}

fn append(client: &mut postgres::Client, body: &NewEvent) -> Result<Event, PgError> {
    let mut tx = client.transaction().map_err(|e| refused(&e))?;
    let event = append_in(&mut tx, body)?;
    tx.commit().map_err(|e| refused(&e))?;
    Ok(event)
}

/// The advisory lock key of a segment's actions (its id hashed by the server).
const SEGMENT_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))";

/// Decide on the segment's events as they are now, holding the segment: whatever another
/// process decides on it waits for this transaction, and sees its outcome.
fn act(
    client: &mut postgres::Client,
    segment: &str,
    decide: Decide,
) -> Result<Result<Event, String>, PgError> {
    let mut tx = client.transaction().map_err(|e| refused(&e))?;
    tx.execute(SEGMENT_LOCK, &[&segment])
        .map_err(|e| refused(&e))?;
    let rows = tx
        .query(
            "SELECT seq, body FROM cutover_events WHERE segment = $1 ORDER BY seq",
            &[&segment],
        )
        .map_err(|e| refused(&e))?;
    let events = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
    match decide(&events) {
        Decided::Refuse(reason) => Ok(Err(reason)),
        Decided::Append(body) => {
            let event = append_in(&mut tx, &body)?;
            tx.commit().map_err(|e| refused(&e))?;
            Ok(Ok(event))
        }
    }
}

/// Append inside a transaction: the log's lock, the next number, the row, the notification.
fn append_in(tx: &mut postgres::Transaction<'_>, body: &NewEvent) -> Result<Event, PgError> {
    let text = serde_json::to_string(body).map_err(|e| PgError::Refused(e.to_string()))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOG_LOCK])
        .map_err(|e| refused(&e))?;
    let seq: i64 = tx
        .query_one("SELECT coalesce(max(seq), 0) + 1 FROM cutover_events", &[])
        .map_err(|e| refused(&e))?
        .get(0);
    tx.execute(
        "INSERT INTO cutover_events (seq, segment, at, body) VALUES ($1, $2, $3::text::timestamptz, $4)",
        &[&seq, &body.segment, &body.at.to_rfc3339(), &text],
    )
    .map_err(|e| refused(&e))?;
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &seq.to_string()])
        .map_err(|e| refused(&e))?;
    Ok(Event {
        seq: seq as u64,
        body: body.clone(),
    })
}

fn events(client: &mut postgres::Client) -> Result<Vec<Event>, PgError> {
    client
        .query("SELECT seq, body FROM cutover_events ORDER BY seq", &[])
        .map_err(|e| refused(&e))?
        .iter()
        .map(decode)
        .collect()
}

fn decode(row: &postgres::Row) -> Result<Event, PgError> {
    let seq: i64 = row.get(0);
    let body: String = row.get(1);
    serde_json::from_str(&body)
        .map(|body| Event {
            seq: seq as u64,
            body,
        })
        .map_err(|e| PgError::Corrupt {
            seq,
            cause: e.to_string(),
        })
}

impl PgLog {
    /// Connect to `url` (a PostgreSQL connection string, from the environment), bring the
    /// schema up to date, and start the log's worker.
    pub fn open(url: &str) -> Result<PgLog, PgError> {
        let url = url.to_string();
        let (ready_tx, ready) = mpsc::channel();
        let (jobs, inbox) = mpsc::channel::<Job>();
        let worker = std::thread::Builder::new()
            .name("cutover-pg".into())
            .spawn(move || {
                let mut client = match postgres::Client::connect(&url, postgres::NoTls) {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = ready_tx.send(Err(PgError::Unreachable(e.to_string())));
                        return;
                    }
                };
                let migrated = migrate(&mut client);
                let failed = migrated.is_err();
                let _ = ready_tx.send(migrated);
                if failed {
                    return;
                }
                for job in inbox {
                    match job {
                        Job::Append(body, reply) => {
                            let _ = reply.send(append(&mut client, &body));
                        }
                        Job::Events(reply) => {
                            let _ = reply.send(events(&mut client));
                        }
                        Job::Act(segment, decide, reply) => {
                            let _ = reply.send(act(&mut client, &segment, decide));
                        }
                    }
                }
            })
            .map_err(|e| PgError::Unreachable(format!("cannot start its worker: {e}")))?;
        let opened = ready
            .recv()
            .unwrap_or_else(|_| Err(PgError::Unreachable("its worker stopped".into())));
        let log = PgLog {
            jobs: Some(jobs),
            worker: Some(worker),
        };
        opened.map(|()| log)
    }

    fn ask<T>(&self, job: impl FnOnce(Reply<T>) -> Job) -> Result<T, PgError> {
        let (tx, rx) = mpsc::channel();
        let stopped = || PgError::Unreachable("the connection's worker stopped".into());
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job(tx))
            .map_err(|_| stopped())?;
        rx.recv().unwrap_or_else(|_| Err(stopped()))
    }

    /// Append one event; it is committed (and notified) when this returns.
    pub fn append(&self, body: NewEvent) -> Result<Event, PgError> {
        self.ask(|reply| Job::Append(Box::new(body), reply))
    }

    /// Decide on `segment` with its events as they are now, and record the outcome, in one
    /// transaction that holds the segment: two processes acting on one segment at once are
    /// served one after the other, the second deciding on what the first recorded. `Ok(Err)`
    /// is the decision's refusal (nothing recorded).
    pub fn act(
        &self,
        segment: &str,
        decide: impl FnOnce(&[Event]) -> Decided + Send + 'static,
    ) -> Result<Result<Event, String>, PgError> {
        let segment = segment.to_string();
        self.ask(|reply| Job::Act(segment, Box::new(decide), reply))
    }

    /// The whole log, oldest first.
    pub fn events(&self) -> Result<Vec<Event>, PgError> {
        self.ask(Job::Events)
    }
}

impl Drop for PgLog {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}
