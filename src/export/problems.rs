//! What can go wrong reading an export, typed: [`ReadError`] stops the whole read (the file
//! cannot be read, is empty, or is not a shape the readers know); [`BadRow`] is one row that
//! cannot be read, counted and shown by line while the read goes on. Neither ever quotes a
//! value of the export (it may be an email or a hash).

use super::rows::MAX_ROW;

/// Why an export cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("reading the export failed{}: {source}", near(*.line))]
    Io {
        /// The line being read, when known.
        line: Option<u64>,
        #[source]
        source: std::io::Error,
    },
    #[error("the export is empty: no header and no rows")]
    Empty,
    #[error("the CSV header is longer than 1 MiB or has more than 1024 columns")]
    HeaderTooLong,
    #[error("the header has no column '{column}' (the CSV has {columns} columns)")]
    NoColumn { column: String, columns: usize },
    #[error("the FusionAuth import file ends at line {line} inside its structure (cut short?)")]
    CutShort { line: u64 },
    /// A live directory or database could not be read to the end: what happened and the fix.
    #[error("{0}")]
    Live(String),
    #[error(
        "the JSON document has no top-level 'users' list (FusionAuth's import file shape); for one user per line, write JSON lines"
    )]
    NoUsersList,
}

fn near(line: Option<u64>) -> String {
    line.map(|l| format!(" near line {l}")).unwrap_or_default()
}

impl ReadError {
    pub(super) fn io(line: Option<u64>) -> impl FnOnce(std::io::Error) -> ReadError {
        move |source| ReadError::Io { line, source }
    }
}

/// Why one row cannot be read (the read goes on).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BadRow {
    #[error("a row of {} MiB is longer than the {} MiB limit; skipped", mib(*.bytes), MAX_ROW >> 20)]
    TooLong { bytes: usize },
    #[error("a row of more than {columns} columns; skipped")]
    TooManyColumns { columns: usize },
    #[error("a user of {mib} MiB is longer than the {} MiB limit; skipped", MAX_ROW >> 20)]
    UserTooLong { mib: usize },
    #[error("a user that is not a JSON object")]
    NotAnObject,
    #[error("not UTF-8 text (byte {byte})")]
    NotUtf8 { byte: usize },
    #[error("column '{column}' is not UTF-8 text")]
    ColumnNotUtf8 { column: String },
    /// Not JSON: where and what (never the value).
    #[error("not JSON: {0}")]
    NotJson(String),
    /// Not an LDIF entry: why (never the value).
    #[error("not an LDIF entry: {0}")]
    NotLdif(String),
}

/// A size in MiB as a row's reason says it: one decimal below 10.
fn mib(bytes: usize) -> String {
    let mib = bytes as f64 / (1u64 << 20) as f64;
    if mib >= 10.0 {
        format!("{mib:.0}")
    } else {
        format!("{mib:.1}")
    }
}
