//! Reading the legacy system's own database wherever an export file is read: `sql:` in place
//! of the file's path runs `[legacy.sql] query` on the PostgreSQL database at
//! `[legacy.sql] url` (an `env:` reference, as it holds a password).
//!
//! The query's columns are named by role, as a CSV header is (`SELECT uid AS id, mail AS
//! email, pw AS password_hash, last_seen AS last_login …`), compared without regard to case
//! since PostgreSQL folds unquoted names to lowercase. Rows are streamed through a server-side
//! cursor, a thousand at a time, in a read-only transaction, so memory stays bounded whatever
//! the table's size; they are numbered from 1 in the order read. Values are read as text (a
//! timestamp as `2024-01-31 12:00:00+00`, which every time field reads), SQL NULL as no value.

use super::entry::EntryFields;
use super::rows::{Field, RowResult};
use super::{ReadError, Scalar};
use sha2::{Digest as _, Sha256};

/// Rows fetched from the cursor at a time.
const FETCH: usize = 1000;

/// `[legacy.sql]`: where and what to read.
#[derive(Clone, PartialEq, Eq)]
pub struct Query {
    /// `env:NAME` of the database URL.
    pub url: String,
    pub text: String,
}

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Query({})", self.url)
    }
}

/// What a query read found.
pub struct Read {
    pub used: Vec<Option<String>>,
    /// SHA-256 of who was read: the first field's value (a move's legacy id) of each row, in
    /// order; a changed value of another column (a login's time) does not change it.
    pub sha256: String,
}

enum Msg {
    /// The query's column names, before its first row.
    Columns(Vec<String>),
    Row(Vec<Option<String>>),
}

fn failed(what: String) -> ReadError {
    ReadError::Live(what)
}

/// Stream every row of the query to `on_row(number, row)`.
pub fn rows(
    query: &Query,
    fields: &[Field],
    on_row: &mut impl FnMut(u64, RowResult<'_>),
) -> Result<Read, ReadError> {
    let explicit: Vec<&[String]> = fields
        .iter()
        .filter(|f| f.explicit)
        .map(|f| f.candidates.as_slice())
        .collect();
    let mut values = EntryFields::new(fields);
    let mut sha = Sha256::new();
    let mut columns = Vec::new();
    let mut number = 0u64;
    super::live::on_own_thread(
        2 * FETCH,
        |tx| fetch(query, &explicit, tx),
        |msg| match msg {
            Msg::Columns(c) => columns = c,
            Msg::Row(row) => {
                number += 1;
                values.begin();
                for (name, v) in columns.iter().zip(row) {
                    let value = || v.clone().map_or(Scalar::Null, Scalar::Text);
                    values.offer(name, value);
                }
                let row = values.finish();
                // The seal is who, in what order: the first field (a move's legacy id).
                if let Some(Some(Scalar::Text(id))) = row.first() {
                    sha.update(id.as_bytes());
                }
                sha.update(b"\x1e");
                on_row(number, Ok(row));
            }
        },
    )?;
    Ok(Read {
        used: values.used(fields),
        sha256: sha.finalize().iter().map(|b| format!("{b:02x}")).collect(),
    })
}

/// A session on the legacy database that no timeout ends while a slow consumer waits.
fn connect(query: &Query) -> Result<postgres::Client, ReadError> {
    let url =
        crate::secret::resolve(&query.url).map_err(|e| failed(format!("[legacy.sql] url: {e}")))?;
    let mut client = crate::store::pg::connection(&url).map_err(|e| {
        failed(format!(
            "cannot connect to the legacy database ([legacy.sql] url): {e}"
        ))
    })?;
    // The read may wait on a slow consumer (a move sending to its target): no timeout may end
    // the session while it does.
    client
        .batch_execute("SET idle_in_transaction_session_timeout = 0; SET statement_timeout = 0")
        .map_err(|e| {
            failed(format!(
                "the legacy database refused the session: {}",
                said(e)
            ))
        })?;
    Ok(client)
}

/// A read-only transaction on the legacy database: cutover never writes there.
fn read_only(client: &mut postgres::Client) -> Result<postgres::Transaction<'_>, ReadError> {
    client
        .build_transaction()
        .read_only(true)
        .start()
        .map_err(|e| {
            failed(format!(
                "the legacy database refused a transaction: {}",
                said(e)
            ))
        })
}

/// What the database said: its message and code, except for a data error (SQLSTATE class
/// 22), whose message quotes the value (a cast of an email, say): only its code then.
fn said(e: postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) if db.code().code().starts_with("22") => {
            format!("a value of the wrong shape (SQLSTATE {})", db.code().code())
        }
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

/// The query narrowed to the rows whose column `column` (each user's last change) is at or
/// after `since`: what a drift pass reads, and what a drift source counts.
pub fn changed_since(
    query: &Query,
    column: &str,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Query, ReadError> {
    let column = column.trim().to_ascii_lowercase();
    if column.is_empty()
        || !column
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(failed(format!(
            "modified = \"{column}\" is not a column name: name the query's column (letters, digits, _)"
        )));
    }
    let text = query.text.trim().trim_end_matches(';');
    Ok(Query {
        url: query.url.clone(),
        text: format!(
            "SELECT * FROM ({text}) AS legacy WHERE legacy.\"{column}\" >= '{}'::timestamptz",
            since.to_rfc3339()
        ),
    })
}

/// Rows of the query whose column `column` (each user's last change) is at or after `since`.
pub fn count_since(
    query: &Query,
    column: &str,
    since: chrono::DateTime<chrono::Utc>,
    timeout: std::time::Duration,
) -> Result<u64, ReadError> {
    let changed = changed_since(query, column, since)?;
    let sql = format!("SELECT count(*) FROM ({}) AS changed", changed.text);
    // On a thread of its own, as every read: the client runs a runtime of its own.
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut client = connect(query)?;
            // Read-only, and no longer than the poll waits: a count that outlives its poll
            // must not hold a session on the database.
            let mut read = read_only(&mut client)?;
            read.batch_execute(&format!(
                "SET LOCAL statement_timeout = {}",
                timeout.as_millis().max(1)
            ))
            .map_err(|e| {
                failed(format!(
                    "the legacy database refused the session: {}",
                    said(e)
                ))
            })?;
            let got = read.simple_query(&sql).map_err(|e| {
                failed(format!(
                    "counting the [legacy.sql] query's changed rows failed: {}",
                    said(e)
                ))
            })?;
            got.iter()
                .find_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(r) => r.get(0)?.parse::<u64>().ok(),
                    _ => None,
                })
                .ok_or_else(|| failed("the count of changed rows came back empty".into()))
        })
        .join()
        .unwrap_or_else(|_| Err(failed("the database's reader stopped unexpectedly".into())))
    })
}

fn fetch(
    query: &Query,
    explicit: &[&[String]],
    tx: &std::sync::mpsc::SyncSender<Msg>,
) -> Result<(), ReadError> {
    let mut client = connect(query)?;
    let mut read = read_only(&mut client)?;
    let text = query.text.trim().trim_end_matches(';');
    read.batch_execute(&format!("DECLARE cutover_export NO SCROLL CURSOR FOR {text}"))
        .map_err(|e| {
            failed(format!(
                "the [legacy.sql] query failed: {}; try it in psql, as one SELECT whose columns are named by role (id, email, password_hash, last_login, created_at, …)",
                said(e)
            ))
        })?;
    let mut first = true;
    loop {
        let got = read
            .simple_query(&format!("FETCH {FETCH} FROM cutover_export"))
            .map_err(|e| {
                failed(format!(
                    "reading the [legacy.sql] query's rows failed: {}",
                    said(e)
                ))
            })?;
        let mut rows = 0;
        for msg in got {
            let postgres::SimpleQueryMessage::Row(row) = msg else {
                continue;
            };
            rows += 1;
            if first {
                first = false;
                let names: Vec<String> =
                    row.columns().iter().map(|c| c.name().to_string()).collect();
                if let Some(missing) = explicit.iter().find(|candidates| {
                    !candidates
                        .iter()
                        .any(|c| names.iter().any(|n| n.eq_ignore_ascii_case(c)))
                }) {
                    return Err(failed(format!(
                        "the [legacy.sql] query has no column '{}' (it has {}); name it with AS in the query",
                        missing.first().map_or("", String::as_str),
                        names.join(", ")
                    )));
                }
                if tx.send(Msg::Columns(names)).is_err() {
                    return Ok(());
                }
            }
            let values = (0..row.len())
                .map(|i| row.get(i).map(str::to_string))
                .collect();
            if tx.send(Msg::Row(values)).is_err() {
                return Ok(());
            }
        }
        if rows == 0 {
            break;
        }
    }
    read.commit()
        .map_err(|e| failed(format!("the legacy database ended the read: {}", said(e))))
}
