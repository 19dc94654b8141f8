//! The move's journal in the state: what each batch held, what the target already had before
//! it was sent, and what became of each user. It is what makes a move exactly-once across a
//! `kill -9` and what an undo deletes from, on sled and PostgreSQL alike (it lives in the
//! state's notes: one key-value map every backend has).
//!
//! Keys: `move:<segment>:<real|rehearsal|drift>` holds the [`Header`] (JSON); each batch is
//! `move:<segment>:<which>:<run>:<batch>` (binary, see [`Record::encode`]). A user is named by
//! its export line, never by an email: the header keeps the export's SHA-256, and a resume or
//! an undo refuses an export that changed. A live source (a directory, the legacy database)
//! and a drift pass also keep each user's legacy id, an opaque id: users added or removed on
//! the legacy system shift the numbers of those read after them. A batch takes about two bytes
//! a user (its line as a delta, a bit for "already there", a byte for the outcome), plus the
//! ids where they are kept.

mod long_tail;
mod record;

pub use record::{Outcome, Record};

use super::problems::MoveError;
use crate::store::Samples;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a move goes: the segment's target, or its rehearsal's; or the drift passes that
/// follow a real move (`cutover move --changed-since-move`), journaled apart so the real
/// move's report and undo stay as they were.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Which {
    Real,
    Rehearsal,
    Drift,
}

impl Which {
    pub fn as_str(self) -> &'static str {
        match self {
            Which::Real => "real",
            Which::Rehearsal => "rehearsal",
            Which::Drift => "drift",
        }
    }
}

/// Where a move stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Started and not finished (running, or interrupted: a resume goes on).
    Moving,
    /// Every batch sent and recorded.
    Moved,
    /// Deleting what it created (running, or interrupted).
    Undoing,
    /// What it created is deleted.
    Undone,
}

/// One move of a segment (a resume goes on with the same run; a move after an undo is a
/// new run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub run: u32,
    pub state: State,
    pub export_sha256: String,
    /// Users a batch (the batches must be the same on every pass).
    pub batch: u64,
    pub started: DateTime<Utc>,
    /// Seconds spent sending, across every resume.
    pub seconds: f64,
    /// Rows in the export, and those skipped by reason (from the last pass).
    pub rows: u64,
    pub skipped: BTreeMap<String, u64>,
    pub without_password: u64,
    /// Users that move (sent or to be sent).
    pub moving: u64,
    /// Users its undo left on the target, active there since they moved (the default
    /// policy); they are the lead's to handle, and no later undo touches them.
    #[serde(default)]
    pub kept: u64,
    /// A drift pass: the moment its legacy changes are counted from (the start of the real
    /// move or of the drift pass before it); `started` is where the next pass counts from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
}

/// A note of the state holding JSON (a journal's header): `None` when there is none; the
/// error says whether it could not be read or does not decode.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(
    samples: &Samples,
    key: &str,
    what: &str,
) -> Result<Option<T>, String> {
    let Some(bytes) = samples
        .note(key)
        .map_err(|e| format!("cannot read {what}: {e}"))?
    else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| format!("{what} does not decode: {e}"))
}

/// Write a JSON note (not flushed).
pub(crate) fn write_json<T: Serialize>(
    samples: &Samples,
    key: &str,
    value: &T,
) -> Result<(), String> {
    let bytes = serde_json::to_vec(value).map_err(|e| e.to_string())?;
    samples
        .set_note(key, &bytes)
        .map_err(|e| format!("cannot write it: {e}"))
}

/// A segment's journal for one kind of move, over the state's notes.
#[derive(Clone)]
pub struct Journal {
    samples: Samples,
    segment: String,
    which: Which,
}

impl Header {
    /// The counts of the pass that read every row, and the move done: what a report says.
    pub fn counted(&mut self, passed: &super::prepare::Passed) {
        self.rows = passed.rows;
        self.skipped = passed
            .skipped
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        self.without_password = passed.without_password;
        self.moving = passed.moving;
        self.state = State::Moved;
    }
}

impl Journal {
    /// The header of a move to undo, marked undoing and flushed; `None` when there is none or
    /// it is undone already.
    pub fn begin_undo(&self) -> Result<Option<Header>, MoveError> {
        let Some(mut header) = self.header()? else {
            return Ok(None);
        };
        if header.state == State::Undone {
            return Ok(None);
        }
        header.state = State::Undoing;
        self.set_header(&header)?;
        self.flush()?;
        Ok(Some(header))
    }

    pub fn new(samples: Samples, segment: &str, which: Which) -> Journal {
        Journal {
            samples,
            segment: segment.to_string(),
            which,
        }
    }

    /// The same segment's journal of another kind of move (a real move's drift passes).
    pub fn sibling(&self, which: Which) -> Journal {
        Journal::new(self.samples.clone(), &self.segment, which)
    }

    /// Which move this journal is of.
    pub fn which(&self) -> Which {
        self.which
    }

    fn key(&self) -> String {
        format!("move:{}:{}", self.segment, self.which.as_str())
    }

    fn batch_key(&self, run: u32, batch: u64) -> String {
        format!("{}:{run:06}:{batch:010}", self.key())
    }

    fn failed(&self, what: &str, cause: impl std::fmt::Display) -> MoveError {
        MoveError::Journal {
            segment: self.segment.clone(),
            cause: format!("{what}: {cause}"),
        }
    }

    pub fn header(&self) -> Result<Option<Header>, MoveError> {
        read_json(&self.samples, &self.key(), "the move's header")
            .map_err(|e| self.failed("the move's header", e))
    }

    pub fn set_header(&self, header: &Header) -> Result<(), MoveError> {
        write_json(&self.samples, &self.key(), header)
            .map_err(|e| self.failed("the move's header", e))
    }

    pub fn record(&self, run: u32, batch: u64) -> Result<Option<Record>, MoveError> {
        match self
            .samples
            .note(&self.batch_key(run, batch))
            .map_err(|e| self.failed("cannot read a batch", e))?
        {
            None => Ok(None),
            Some(bytes) => Record::decode(&bytes)
                .map(Some)
                .ok_or_else(|| self.failed(&format!("batch {batch}"), "does not decode")),
        }
    }

    pub fn set_record(&self, run: u32, batch: u64, record: &Record) -> Result<(), MoveError> {
        self.samples
            .set_note(&self.batch_key(run, batch), &record.encode())
            .map_err(|e| self.failed("cannot write a batch", e))
    }

    /// Every batch of a run, in order.
    pub fn records(&self, run: u32) -> Result<Vec<(u64, Record)>, MoveError> {
        let prefix = format!("{}:{run:06}:", self.key());
        self.samples
            .notes_under(&prefix)
            .map_err(|e| self.failed("cannot read the batches", e))?
            .into_iter()
            .map(|(name, bytes)| {
                let n = name[prefix.len()..].parse::<u64>().ok();
                match (n, Record::decode(&bytes)) {
                    (Some(n), Some(r)) => Ok((n, r)),
                    _ => Err(self.failed(&format!("note {name}"), "does not decode")),
                }
            })
            .collect()
    }

    /// Everything written so far, durable (before the next batch is sent).
    pub fn flush(&self) -> Result<(), MoveError> {
        self.samples
            .flush()
            .map_err(|e| self.failed("cannot flush the journal", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_tail_keeps_its_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::store::Store::open(dir.path()).expect("a store");
        let journal = Journal::new(
            crate::store::Storage::samples(&store).clone(),
            "eu",
            Which::Real,
        );
        assert_eq!(journal.only().expect("read"), None);
        journal.set_only(&[2, 3, 700, 70_000]).expect("write");
        assert_eq!(journal.only().expect("read"), Some(vec![2, 3, 700, 70_000]));
    }
}
