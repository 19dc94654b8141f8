//! The schema and the statements of the team backend: a project's state in a PostgreSQL
//! database the company already runs, for several leads on several machines. The worker that
//! runs them and the [`super::Storage`] on top are in [`super::pg_store`].
//!
//! What it guarantees, whichever process appends:
//! * **gap-free, ordered sequence numbers**: each append takes a transaction-scoped advisory
//!   lock on the log, reads the last number and inserts the next one; a failed append rolls
//!   back and uses no number (no SQL sequence, whose numbers a rollback would lose);
//! * **append-only**: a trigger refuses every UPDATE and DELETE of the log;
//! * **versioned schema** ([`super::pg_schema`]): migrations run once, in order, under an
//!   advisory lock (two processes opening a new database at once do not clash); a database
//!   written by a newer cutover is refused, as a newer sled state is;
//! * **live updates**: every append notifies the channel [`CHANNEL`] with its sequence number
//!   (delivered on commit), for other processes to LISTEN to instead of polling the table.
//!
//! * **samples**: the table `cutover_series` holds the sample store's keys and blocks as
//!   they are on sled (see [`super::kv`]): a `bytea` primary key sorts bytewise, like sled's.
//!
//! The client is the `postgres` crate: tokio-postgres (the well-kept async client) with a
//! blocking front, no C dependency. Blocking fits here: the engine decides synchronously, and
//! each connection lives on a thread of its own (never inside a tokio task).

use crate::model::{Event, NewEvent};

pub use super::pg_schema::PG_SCHEMA_VERSION;
/// The LISTEN/NOTIFY channel of appended events (payload: the sequence number).
pub const CHANNEL: &str = "cutover_events";
/// The advisory lock key of the log's appends.
const LOG_LOCK: i64 = 0x6375_746f_7665_7201;

/// Why the log could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PgError {
    #[error("state database unreachable: {}", unreachable_why(.0))]
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

/// A statement's error as the operator should read it: the server's own message, or an
/// unreachable server (the connection is then dropped and made again on the next use).
pub(super) fn refused(e: &postgres::Error) -> PgError {
    match e.as_db_error() {
        Some(db) => PgError::Refused(db.message().to_string()),
        None => PgError::Unreachable(e.to_string()),
    }
}

/// Connect with a bounded wait, TLS when the URL asks for it (`sslmode=require`), and the
/// schema brought up to date.
pub fn connect(url: &str) -> Result<postgres::Client, PgError> {
    let mut client = connection(url)?;
    super::pg_schema::migrate(&mut client)?;
    Ok(client)
}

/// A connection as [`connect`] makes it, without touching the schema.
pub fn connection(url: &str) -> Result<postgres::Client, PgError> {
    let mut config: postgres::Config = url
        .parse()
        .map_err(|e| PgError::Unreachable(format!("the database URL does not parse: {e}")))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(3));
    }
    // A peer that vanished must not hold anything for hours: TCP keepalives both ways (the
    // client's here, the server's below), and bounded waits for locks and statements. A
    // session left idle in a transaction (a process frozen mid-decision) is ended by the
    // server, freeing its segment.
    config
        .keepalives(true)
        .keepalives_idle(std::time::Duration::from_secs(5))
        .keepalives_interval(std::time::Duration::from_secs(1))
        .keepalives_retries(3);
    let options = format!(
        "{} -c lock_timeout=10s -c statement_timeout=60s -c idle_in_transaction_session_timeout=30s -c tcp_keepalives_idle=5 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3",
        config.get_options().unwrap_or_default()
    );
    config.options(options.trim());
    if config.get_ssl_mode() == postgres::config::SslMode::Disable {
        config.connect(postgres::NoTls)
    } else {
        config.connect(super::pg_tls::connector()?)
    }
    .map_err(|e| match e.as_db_error() {
        // The server answered and refused: say what it said (no such database, role, ...).
        Some(db) => PgError::Refused(db.message().to_string()),
        None => PgError::Unreachable(e.to_string()),
    })
}

/// The advisory lock of the sample table's read-modify-writes.
pub(super) const SAMPLES_LOCK: i64 = 0x6375_746f_7665_7203;

/// Take the sample table's write lock in the current transaction.
pub(super) fn lock_samples(tx: &mut postgres::Transaction<'_>) -> Result<(), PgError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SAMPLES_LOCK])
        .map(|_| ())
        .map_err(|e| refused(&e))
}

/// The advisory lock key of a segment's actions (its id hashed by the server).
pub(super) const SEGMENT_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))";

/// Append inside a transaction: the log's lock, the next number, the row, the notification.
/// Holding the log's lock, every earlier append has committed: the events past `after` read
/// here are gap-free, and end with this one.
pub(super) fn append_in(
    tx: &mut postgres::Transaction<'_>,
    body: &NewEvent,
    after: u64,
) -> Result<Vec<Event>, PgError> {
    let text = serde_json::to_string(body).map_err(|e| PgError::Refused(e.to_string()))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOG_LOCK])
        .map_err(|e| refused(&e))?;
    let seq: i64 = tx
        .query_one("SELECT coalesce(max(seq), 0) + 1 FROM cutover_events", &[])
        .map_err(|e| refused(&e))?
        .get(0);
    insert(tx, seq, body, &text)?;
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &seq.to_string()])
        .map_err(|e| refused(&e))?;
    let mut events = events_after(tx, after)?;
    events.retain(|e| e.seq < seq as u64);
    events.push(Event {
        seq: seq as u64,
        body: body.clone(),
    });
    Ok(events)
}

fn insert(
    tx: &mut postgres::Transaction<'_>,
    seq: i64,
    body: &NewEvent,
    text: &str,
) -> Result<(), PgError> {
    tx.execute(
        "INSERT INTO cutover_events (seq, segment, at, body) VALUES ($1, $2, $3::text::timestamptz, $4)",
        &[&seq, &body.segment, &body.at.to_rfc3339(), &text],
    )
    .map_err(|e| refused(&e))?;
    Ok(())
}

/// Write a restored log into an empty one, sequence numbers kept.
pub(super) fn restore_in(
    tx: &mut postgres::Transaction<'_>,
    events: &[Event],
) -> Result<(), PgError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOG_LOCK])
        .map_err(|e| refused(&e))?;
    let held: i64 = tx
        .query_one("SELECT count(*) FROM cutover_events", &[])
        .map_err(|e| refused(&e))?
        .get(0);
    if held != 0 {
        return Err(PgError::Refused(format!(
            "the database already holds {held} events; restore only into an empty one"
        )));
    }
    for e in events {
        let text = serde_json::to_string(&e.body).map_err(|e| PgError::Refused(e.to_string()))?;
        insert(tx, e.seq as i64, &e.body, &text)?;
    }
    if let Some(last) = events.last() {
        tx.execute(
            "SELECT pg_notify($1, $2)",
            &[&CHANNEL, &last.seq.to_string()],
        )
        .map_err(|e| refused(&e))?;
    }
    Ok(())
}

pub(super) fn events_after(
    client: &mut impl postgres::GenericClient,
    after: u64,
) -> Result<Vec<Event>, PgError> {
    client
        .query(
            "SELECT seq, body FROM cutover_events WHERE seq > $1 ORDER BY seq",
            &[&(after.min(i64::MAX as u64) as i64)],
        )
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

/// Whether the server answers.
pub(super) fn probe(client: &mut impl postgres::GenericClient) -> Result<(), PgError> {
    client
        .query_one("SELECT 1", &[])
        .map(|_| ())
        .map_err(|e| refused(&e))
}

/// The session that guards the project now, as it names itself (`pid N on HOST`).
pub(super) fn guard(client: &mut impl postgres::GenericClient) -> Result<Option<String>, PgError> {
    Ok(client
        .query_opt(
            "SELECT application_name FROM pg_stat_activity
             WHERE datname = current_database() AND starts_with(application_name, $1)
             ORDER BY backend_start LIMIT 1",
            &[&super::pg_leader::GUARD_PREFIX],
        )
        .map_err(|e| refused(&e))?
        .map(|row| row.get::<_, String>(0))
        .map(|name| name.trim_start_matches("cutover guard ").to_string()))
}

pub(super) fn kv_get(
    client: &mut impl postgres::GenericClient,
    key: &[u8],
) -> Result<Option<Vec<u8>>, PgError> {
    Ok(client
        .query_opt("SELECT value FROM cutover_series WHERE key = $1", &[&key])
        .map_err(|e| refused(&e))?
        .map(|row| row.get(0)))
}

pub(super) fn kv_range(
    client: &mut impl postgres::GenericClient,
    lo: &[u8],
    hi: &[u8],
) -> Result<super::kv::Rows, PgError> {
    Ok(client
        .query(
            "SELECT key, value FROM cutover_series WHERE key >= $1 AND key < $2 ORDER BY key",
            &[&lo, &hi],
        )
        .map_err(|e| refused(&e))?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect())
}

/// Every entry in the `[lo, hi)` intervals, in one statement.
pub(super) fn kv_ranges(
    client: &mut impl postgres::GenericClient,
    intervals: &[(Vec<u8>, Vec<u8>)],
) -> Result<super::kv::Rows, PgError> {
    let (los, his): (Vec<&[u8]>, Vec<&[u8]>) = intervals
        .iter()
        .map(|(a, b)| (a.as_slice(), b.as_slice()))
        .unzip();
    Ok(client
        .query(
            "SELECT s.key, s.value FROM unnest($1::bytea[], $2::bytea[]) AS r(lo, hi)
             JOIN cutover_series s ON s.key >= r.lo AND s.key < r.hi",
            &[&los, &his],
        )
        .map_err(|e| refused(&e))?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect())
}

pub(super) fn kv_apply(
    tx: &mut postgres::Transaction<'_>,
    batch: &super::kv::Batch,
) -> Result<(), PgError> {
    for (key, value) in &batch.ops {
        match value {
            Some(v) => tx.execute(
                "INSERT INTO cutover_series (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[key, v],
            ),
            None => tx.execute("DELETE FROM cutover_series WHERE key = $1", &[key]),
        }
        .map_err(|e| refused(&e))?;
    }
    Ok(())
}

/// What an unreachable database means for the lead, and what to check (after "state database
/// unreachable: ", or after "… since WHEN: " where the outage's start is known).
pub fn unreachable_why(cause: &str) -> String {
    format!(
        "cannot reach the state database ({cause}); check the variable [state] url names (e.g. CUTOVER_DATABASE_URL) and that the server runs; actions are refused until it answers"
    )
}
