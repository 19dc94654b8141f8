//! The move's journal in the state: what each batch held, what the target already had before
//! it was sent, and what became of each user. It is what makes a move exactly-once across a
//! `kill -9` and what an undo deletes from, on sled and PostgreSQL alike (it lives in the
//! state's notes: one key-value map every backend has).
//!
//! Keys: `move:<segment>:<real|rehearsal>` holds the [`Header`] (JSON); each batch is
//! `move:<segment>:<real|rehearsal>:<run>:<batch>` (binary, see [`Record::encode`]). A user is
//! named by its export line, never by an id or an email: the header keeps the export's
//! SHA-256, and a resume or an undo refuses an export that changed. A batch takes about two
//! bytes a user (its line as a delta, a bit for "already there", a byte for the outcome).

mod long_tail;

use super::problems::MoveError;
use crate::store::Samples;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a move goes: the segment's target, or its rehearsal's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Which {
    Real,
    Rehearsal,
}

impl Which {
    pub fn as_str(self) -> &'static str {
        match self {
            Which::Real => "real",
            Which::Rehearsal => "rehearsal",
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
}

/// What became of one user of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Created by this move (an undo deletes it).
    Created,
    /// On the target before this move sent it (an undo never touches it).
    AlreadyPresent,
    /// Refused; the index of its code in [`Record::codes`].
    Failed(u8),
}

/// One batch: its users by export line, and what became of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub lines: Vec<u64>,
    /// Per user: on the target before the batch was sent.
    pub present: Vec<bool>,
    /// Per user, once the target answered; `None` while the batch is in flight.
    pub outcomes: Option<Vec<Outcome>>,
    /// Error codes the outcomes point into (never a target's text).
    pub codes: Vec<String>,
    /// Its created users are deleted again.
    pub undone: bool,
    /// When the target answered the batch, in milliseconds since the epoch (what the
    /// rollback delta counts a user's activity from); `None` in journals written before it
    /// was kept.
    pub acked_ms: Option<i64>,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

impl Record {
    /// Flags, count, lines (first, then deltas), the "already there" bits, then (once
    /// answered) one byte per user and the codes, then (flag 4) when it was answered.
    pub fn encode(&self) -> Vec<u8> {
        let n = self.lines.len();
        let mut out = Vec::with_capacity(8 + n * 3);
        out.push(
            u8::from(self.outcomes.is_some())
                | (u8::from(self.undone) << 1)
                | (u8::from(self.acked_ms.is_some()) << 2),
        );
        put_varint(&mut out, n as u64);
        let mut last = 0;
        for &line in &self.lines {
            put_varint(&mut out, line - last);
            last = line;
        }
        let mut bits = vec![0u8; n.div_ceil(8)];
        for (i, p) in self.present.iter().enumerate() {
            if *p {
                bits[i / 8] |= 1 << (i % 8);
            }
        }
        out.extend_from_slice(&bits);
        if let Some(outcomes) = &self.outcomes {
            out.extend(outcomes.iter().map(|o| match o {
                Outcome::Created => 0,
                Outcome::AlreadyPresent => 1,
                Outcome::Failed(k) => 2 + k,
            }));
            put_varint(&mut out, self.codes.len() as u64);
            for code in &self.codes {
                put_varint(&mut out, code.len() as u64);
                out.extend_from_slice(code.as_bytes());
            }
        }
        if let Some(ms) = self.acked_ms {
            put_varint(&mut out, ms.max(0) as u64);
        }
        out
    }

    /// The record `encode` wrote; `None` for bytes it did not write.
    pub fn decode(bytes: &[u8]) -> Option<Record> {
        let flags = *bytes.first()?;
        let mut at = 1;
        let n = usize::try_from(get_varint(bytes, &mut at)?).ok()?;
        let mut lines = Vec::with_capacity(n.min(1 << 20));
        let mut last = 0u64;
        for _ in 0..n {
            last = last.checked_add(get_varint(bytes, &mut at)?)?;
            lines.push(last);
        }
        let bits = bytes.get(at..at + n.div_ceil(8))?;
        at += bits.len();
        let present = (0..n).map(|i| bits[i / 8] & (1 << (i % 8)) != 0).collect();
        let mut record = Record {
            lines,
            present,
            undone: flags & 2 != 0,
            ..Record::default()
        };
        if flags & 1 != 0 {
            let raw = bytes.get(at..at + n)?;
            at += n;
            let outcomes = raw
                .iter()
                .map(|b| match b {
                    0 => Outcome::Created,
                    1 => Outcome::AlreadyPresent,
                    k => Outcome::Failed(k - 2),
                })
                .collect();
            let count = get_varint(bytes, &mut at)?;
            for _ in 0..count {
                let len = usize::try_from(get_varint(bytes, &mut at)?).ok()?;
                let code = std::str::from_utf8(bytes.get(at..at + len)?).ok()?;
                at += len;
                record.codes.push(code.to_string());
            }
            record.outcomes = Some(outcomes);
        }
        if flags & 4 != 0 {
            record.acked_ms = Some(i64::try_from(get_varint(bytes, &mut at)?).ok()?);
        }
        (at == bytes.len()).then_some(record)
    }

    /// The code index of `code`, added when new.
    pub fn code(&mut self, code: &str) -> u8 {
        match self.codes.iter().position(|c| c == code) {
            Some(i) => i as u8,
            None if self.codes.len() < 250 => {
                self.codes.push(code.to_string());
                (self.codes.len() - 1) as u8
            }
            None => (self.codes.len() - 1) as u8,
        }
    }
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

impl Journal {
    pub fn new(samples: Samples, segment: &str, which: Which) -> Journal {
        Journal {
            samples,
            segment: segment.to_string(),
            which,
        }
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
    fn a_record_round_trips_in_about_two_bytes_a_user() {
        let n = 1000u64;
        let mut r = Record {
            lines: (0..n).map(|i| 2 + i * 2).collect(),
            present: (0..n).map(|i| i % 7 == 0).collect(),
            ..Record::default()
        };
        let code = r.code("DUPLICATE_EMAIL");
        r.outcomes = Some(
            (0..n)
                .map(|i| match i % 7 {
                    0 => Outcome::AlreadyPresent,
                    3 => Outcome::Failed(code),
                    _ => Outcome::Created,
                })
                .collect(),
        );
        let bytes = r.encode();
        assert!(bytes.len() as u64 <= n * 16, "{} bytes", bytes.len());
        assert!(bytes.len() as u64 <= n * 3, "{} bytes", bytes.len());
        assert_eq!(Record::decode(&bytes), Some(r.clone()));
        assert_eq!(Record::decode(&bytes[..bytes.len() - 1]), None);
        r.acked_ms = Some(1_796_000_000_123);
        let acked = r.encode();
        assert_eq!(Record::decode(&acked), Some(r), "the answer's time is kept");
        assert_eq!(
            Record::decode(&bytes).and_then(|r| r.acked_ms),
            None,
            "an older record has none"
        );
    }

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
