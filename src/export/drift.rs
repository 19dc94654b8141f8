//! Drift: legacy users created or changed since a moment (the segment's last move, its
//! cutover, or a time the lead names), counted on the live legacy system. An export goes
//! stale the moment it is taken: users sign up, change a password or an email on the old
//! system, and those changes are lost unless they are moved again. A `drift` source counts
//! them for a gate (`max_drift`); the moment comes from the log ([`Moment`], set by the
//! engine as the segment's events fold in).
//!
//! In a directory, an entry drifted when its `modifyTimestamp` (which creation sets too) is at
//! or after the moment, counted with a paged search that returns no attributes. In the legacy
//! database, when the query's column named by the source's `modified` is. A file cannot tell:
//! a drift source needs a live export.

use super::ReadError;
use super::source::Source;
use chrono::{DateTime, Utc};
use std::sync::{Arc, RwLock};

/// Since when a drift source counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// The start of the segment's last real move (the default).
    Move,
    /// When the segment entered cutover.
    Cutover,
    /// A fixed time, e.g. when the export was taken.
    At(DateTime<Utc>),
}

impl Since {
    /// `move`, `cutover`, or an RFC 3339 time.
    pub fn parse(text: &str) -> Result<Since, String> {
        match text.trim() {
            "move" => Ok(Since::Move),
            "cutover" => Ok(Since::Cutover),
            t => DateTime::parse_from_rfc3339(t)
                .map(|d| Since::At(d.with_timezone(&Utc)))
                .map_err(|_| {
                    "must be \"move\" (the last move's start), \"cutover\" or an RFC 3339 time such as \"2026-03-01T00:00:00Z\"".to_string()
                }),
        }
    }
}

/// The moment a drift source counts from, shared between the engine (which sets it as the
/// log folds in) and the poller that counts. None: no such moment yet (no move, no cutover),
/// so nothing has drifted from it.
#[derive(Debug, Clone, Default)]
pub struct Moment(Arc<RwLock<Option<DateTime<Utc>>>>);

impl Moment {
    pub fn get(&self) -> Option<DateTime<Utc>> {
        self.0.read().map(|m| *m).unwrap_or(None)
    }

    pub fn set(&self, at: Option<DateTime<Utc>>) {
        if let Ok(mut m) = self.0.write() {
            *m = at;
        }
    }
}

impl PartialEq for Moment {
    fn eq(&self, other: &Moment) -> bool {
        self.get() == other.get()
    }
}

impl Eq for Moment {}

/// The live source `export` narrowed to its users created or changed at or after `since`
/// (`modified`: the query's column of each row's last change, for `sql:`): what a drift pass
/// (`cutover move --changed-since-move`) reads, by the same rules as the whole source.
pub fn changed(
    export: &Source,
    modified: Option<&str>,
    since: DateTime<Utc>,
) -> Result<Source, ReadError> {
    match export {
        Source::Ldap(dir) => Ok(Source::Ldap(super::ldap::Directory {
            changed_since: Some(since),
            ..dir.clone()
        })),
        Source::Sql(query) => {
            let Some(column) = modified else {
                return Err(ReadError::Live(NO_COLUMN.into()));
            };
            super::sql::changed_since(query, column, since).map(Source::Sql)
        }
        Source::File(_) => Err(ReadError::Live(NOT_A_FILE.into())),
    }
}

/// Why a drift on `sql:` cannot be read without its column.
const NO_COLUMN: &str = "a drift source on sql: needs modified = \"COLUMN\", the query's column of each user's last change";
/// Why a drift cannot be read from a file.
const NOT_A_FILE: &str = "a file cannot tell who changed since it was taken: a drift source needs [segments.move] export to be a live directory (ldap://…) or sql:";

/// Legacy users of `export` created or changed at or after `since` (`modified`: the query's
/// column of each row's last change, for `sql:`); the directory or database gives up after
/// `timeout`, so a count never outlives its poll for long.
pub fn count(
    export: &Source,
    modified: Option<&str>,
    since: DateTime<Utc>,
    timeout: std::time::Duration,
) -> Result<u64, ReadError> {
    match export {
        Source::Ldap(dir) => super::ldap::count_since(dir, since, timeout),
        Source::Sql(query) => {
            let Some(column) = modified else {
                return Err(ReadError::Live(NO_COLUMN.into()));
            };
            super::sql::count_since(query, column, since, timeout)
        }
        Source::File(_) => Err(ReadError::Live(NOT_A_FILE.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_move_cutover_or_a_time_and_a_moment_is_shared() {
        assert_eq!(Since::parse("move"), Ok(Since::Move));
        assert_eq!(Since::parse(" cutover "), Ok(Since::Cutover));
        assert!(matches!(
            Since::parse("2026-03-01T00:00:00Z"),
            Ok(Since::At(_))
        ));
        assert!(Since::parse("last week").is_err());
        let m = Moment::default();
        let shared = m.clone();
        assert_eq!(shared.get(), None);
        let t = DateTime::from_timestamp(1_700_000_000, 0);
        m.set(t);
        assert_eq!(shared.get(), t);
    }
}
