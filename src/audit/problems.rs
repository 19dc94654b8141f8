//! What stops an audit, typed: the export cannot be opened or read, holds no readable user, the
//! compatibility table is wrong or does not know the target, or the duplicate groups cannot be
//! written. Each message names the file and, where there is one, the fix.

use crate::export::ReadError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot read the export '{}': {source}", .path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("'{}': {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: ReadError,
    },
    #[error("'{}' holds no readable user ({unreadable} unreadable rows{})", .path.display(), first_bad(.first))]
    NoUser {
        path: PathBuf,
        unreadable: u64,
        /// The first unreadable row: (line, reason).
        first: Option<(u64, String)>,
    },
    /// A compatibility table that does not parse, or leaves a gap: where, and each problem.
    #[error("{origin}: {}", .problems.join("; "))]
    Table {
        origin: String,
        problems: Vec<String>,
    },
    #[error("unknown target '{id}'; the compatibility table knows {}", .known.join(", "))]
    UnknownTarget { id: String, known: Vec<String> },
    #[error("cannot write the duplicate groups to '{}': {source} (pick a writable path for --duplicates)", .path.display())]
    WriteGroups {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
}

fn first_bad(first: &Option<(u64, String)>) -> String {
    first
        .as_ref()
        .map_or_else(String::new, |(l, r)| format!("; line {l}: {r}"))
}
