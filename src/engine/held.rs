//! Polled samples while the state database is away (team backend): the pollers go on, and
//! what they read is kept in memory, bounded, then written in one batch when the database
//! answers again. Only polled samples: an operator's `record` or action is refused at once,
//! never queued. The guard cannot act meanwhile: it reads the samples it judges from the
//! database, and an action needs the database to hold the segment.

use super::Engine;
use crate::store::pg::PgError;
use crate::store::{SampleLine, StoreError};
use chrono::{DateTime, Utc};
use std::collections::VecDeque;

/// Samples kept at most (about 100 bytes each); beyond it the oldest are dropped, and counted.
pub const HELD_MAX: usize = 100_000;
/// Held samples written per turn of the owner's loop once the database answers again.
pub const WRITE_CHUNK: usize = 2_000;

/// The samples waiting for the database.
#[derive(Debug, Default)]
pub(crate) struct Held {
    lines: VecDeque<SampleLine>,
    dropped: u64,
}

fn unreachable(e: &StoreError) -> bool {
    matches!(e, StoreError::Database(PgError::Unreachable(_)))
}

impl Engine {
    /// Store a polled sample, or hold it while the state database is out of reach.
    pub(crate) fn store_polled(
        &mut self,
        segment: &str,
        metric: &str,
        at: DateTime<Utc>,
        value: f64,
    ) -> Result<(), StoreError> {
        // While samples are held, new ones join them (in order); the owner's tick writes them
        // all in one batch once the database answers, and says so.
        if self.held.lines.is_empty() {
            match self.store_sample(segment, metric, at, value) {
                Err(e) if unreachable(&e) => {}
                other => return other,
            }
        }
        if self.held.lines.len() >= HELD_MAX {
            self.held.lines.pop_front();
            self.held.dropped += 1;
        }
        self.held.lines.push_back(SampleLine {
            segment: segment.to_string(),
            metric: metric.to_string(),
            at,
            value,
        });
        Ok(())
    }

    /// Write up to [`WRITE_CHUNK`] of the held samples, oldest first, in one batch; returns
    /// how many (0: none held). On failure they stay held.
    pub fn write_held(&mut self) -> Result<usize, StoreError> {
        if self.held.lines.is_empty() {
            return Ok(0);
        }
        let n = self.held.lines.len().min(WRITE_CHUNK);
        let lines: Vec<SampleLine> = self.held.lines.iter().take(n).cloned().collect();
        self.store.put_samples(&lines)?;
        self.store.sync()?;
        self.held.lines.drain(..n);
        let mut segments: Vec<&str> = lines.iter().map(|l| l.segment.as_str()).collect();
        segments.dedup();
        for s in segments {
            self.forget_adoption(s);
        }
        Ok(lines.len())
    }

    /// Samples held in memory now, and how many were dropped for the bound since start.
    pub fn held_samples(&self) -> (usize, u64) {
        (self.held.lines.len(), self.held.dropped)
    }
}
