//! The reset waves' journal in the state's notes (as the move's is): a header per segment,
//! `reset:<segment>`, and one mark per user, `reset:<segment>:<run>:<line>`, written before
//! its message goes (pending) and after the target answered (sent or refused), each flushed.
//! A pending mark found on resume is a send the process died during: it is counted as
//! uncertain and never sent again. A send that certainly did not go out (its call refused
//! before anything was sent) is marked unsent, which reads as no mark: the next run sends it.
//! Users are named by export line only.

use crate::moving::MoveError;
use crate::store::Samples;
use serde::{Deserialize, Serialize};

/// One segment's resets (a new run when the move they follow is a new one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub run: u32,
    /// The real move's run these users came with.
    pub move_run: u32,
    pub started_ms: i64,
    pub per_hour: u64,
    pub users: u64,
    pub not_on_target: u64,
    /// Every user settled.
    pub done: bool,
}

/// What became of one user's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    /// Going out at this moment (ms); no answer recorded.
    Pending(i64),
    Sent(i64),
    /// Refused for the user, with the target's code.
    Refused(i64, String),
    /// Certainly not sent (the call failed before anything went out): as if never marked.
    Unsent(i64),
}

impl Mark {
    fn encode(&self) -> String {
        match self {
            Mark::Pending(at) => format!("p:{at}"),
            Mark::Sent(at) => format!("s:{at}"),
            Mark::Refused(at, code) => format!("r:{at}:{code}"),
            Mark::Unsent(at) => format!("n:{at}"),
        }
    }

    fn decode(text: &str) -> Option<Mark> {
        let mut parts = text.splitn(3, ':');
        let (kind, at) = (parts.next()?, parts.next()?.parse().ok()?);
        match (kind, parts.next()) {
            ("p", None) => Some(Mark::Pending(at)),
            ("s", None) => Some(Mark::Sent(at)),
            ("n", None) => Some(Mark::Unsent(at)),
            ("r", Some(code)) => Some(Mark::Refused(at, code.to_string())),
            _ => None,
        }
    }

    /// When the message went out (or was asked to).
    pub fn at(&self) -> i64 {
        match self {
            Mark::Pending(at) | Mark::Sent(at) | Mark::Refused(at, _) | Mark::Unsent(at) => *at,
        }
    }
}

/// A segment's reset journal, over the state's notes.
pub struct ResetJournal {
    samples: Samples,
    segment: String,
}

impl ResetJournal {
    pub fn new(samples: Samples, segment: &str) -> ResetJournal {
        ResetJournal {
            samples,
            segment: segment.to_string(),
        }
    }

    fn key(&self) -> String {
        format!("reset:{}", self.segment)
    }

    fn failed(&self, what: &str, cause: impl std::fmt::Display) -> MoveError {
        MoveError::Journal {
            segment: self.segment.clone(),
            cause: format!("{what}: {cause}"),
        }
    }

    pub fn header(&self) -> Result<Option<Header>, MoveError> {
        crate::moving::journal::read_json(&self.samples, &self.key(), "the resets' header")
            .map_err(|e| self.failed("the resets' header", e))
    }

    pub fn set_header(&self, header: &Header) -> Result<(), MoveError> {
        crate::moving::journal::write_json(&self.samples, &self.key(), header)
            .map_err(|e| self.failed("the resets' header", e))
    }

    /// Write one user's mark and make it durable before anything else happens.
    pub fn mark(&self, run: u32, line: u64, mark: &Mark) -> Result<(), MoveError> {
        self.samples
            .set_note(
                &format!("{}:{run:06}:{line:012}", self.key()),
                mark.encode().as_bytes(),
            )
            .map_err(|e| self.failed("cannot write a reset", e))?;
        self.samples
            .flush()
            .map_err(|e| self.failed("cannot flush the resets' journal", e))
    }

    /// Every user's mark in a run, by export line (unsent ones left out: they are to send).
    pub fn marks(&self, run: u32) -> Result<Vec<(u64, Mark)>, MoveError> {
        let prefix = format!("{}:{run:06}:", self.key());
        self.samples
            .notes_under(&prefix)
            .map_err(|e| self.failed("cannot read the resets", e))?
            .into_iter()
            .map(|(name, bytes)| {
                let line = name[prefix.len()..].parse::<u64>().ok();
                let mark = std::str::from_utf8(&bytes).ok().and_then(Mark::decode);
                match (line, mark) {
                    (Some(_), Some(Mark::Unsent(_))) => Ok(None),
                    (Some(l), Some(m)) => Ok(Some((l, m))),
                    _ => Err(self.failed(&format!("note {name}"), "does not decode")),
                }
            })
            .filter_map(Result::transpose)
            .collect()
    }

    pub fn flush(&self) -> Result<(), MoveError> {
        self.samples
            .flush()
            .map_err(|e| self.failed("cannot flush the resets' journal", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_round_trip_and_a_code_may_hold_colons() {
        for m in [
            Mark::Pending(5),
            Mark::Sent(1_700_000_000_000),
            Mark::Refused(7, "http-404:[NotFound]:x".into()),
            Mark::Unsent(9),
        ] {
            assert_eq!(Mark::decode(&m.encode()), Some(m));
        }
        assert_eq!(Mark::decode("x:1"), None);
        assert_eq!(Mark::decode("s:notanumber"), None);
    }
}
