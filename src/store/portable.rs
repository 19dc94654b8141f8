//! The state in a portable form, and its check: `cutover state backup DIR` writes the event
//! log and every sample as JSON lines, `cutover state restore DIR` reads them back into an
//! empty state identically, and `cutover state verify` checks that the log is whole.
//!
//! A backup folder holds:
//!
//! ```text
//! events.jsonl    one event per line, in sequence order (the `log --json` shape)
//! samples.jsonl   one sample per line: {"segment", "metric", "at", "value"}, series by series
//! rollups.jsonl   the minute rollups of days whose raw samples `raw_retention` removed:
//!                 {"segment", "metric", "start", "min", "max", "last", "last_at", "count"}
//! backup.json     {"schema", "events", "samples", "rollups", "written_at"}: what a restore
//!                 must find
//! ```

use super::{SCHEMA_VERSION, Samples, StoreError};
use crate::model::Event;
use crate::model::reading;
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One sample as a backup line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleLine {
    pub segment: String,
    pub metric: String,
    pub at: DateTime<Utc>,
    pub value: f64,
}

/// The summary a backup carries and a restore checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupInfo {
    pub schema: u32,
    pub events: u64,
    pub samples: u64,
    /// Minute rollups without raw samples (absent from backups before schema 2).
    #[serde(default)]
    pub rollups: u64,
    pub written_at: DateTime<Utc>,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verified {
    pub events: u64,
    pub samples: u64,
    /// Each problem, one line; empty when the state is whole.
    pub problems: Vec<String>,
}

/// A file of a backup being written could not be.
pub(super) fn io(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::BackupOut {
        dir: path.to_path_buf(),
        cause: e.to_string(),
    }
}

/// Reading a log whole or from a sequence number on, from any thread.
pub trait LogRead: Send + Sync {
    /// The events with `seq >= first`, oldest first.
    fn events_from(&self, first: u64) -> Result<Vec<Event>, StoreError>;
}

/// The log of a sled state.
pub struct SledLog {
    pub tree: sled::Tree,
    pub dir: PathBuf,
}

impl LogRead for SledLog {
    fn events_from(&self, first: u64) -> Result<Vec<Event>, StoreError> {
        let corrupt = |cause: String| StoreError::Corrupt {
            dir: self.dir.clone(),
            cause,
        };
        self.tree
            .range(first.to_be_bytes()..)
            .map(|kv| {
                let (k, v) = kv.map_err(|e| corrupt(e.to_string()))?;
                serde_json::from_slice::<Event>(&v).map_err(|e| {
                    let seq = k
                        .as_ref()
                        .try_into()
                        .map(u64::from_be_bytes)
                        .unwrap_or_default();
                    corrupt(format!("event {seq} does not decode: {e}"))
                })
            })
            .collect()
    }
}

/// The state's log and samples for reading off the owner's loop: handles a blocking task can
/// walk while the owner goes on writing (a backup or a verify of a large state never pauses
/// the owner loop).
#[derive(Clone)]
pub struct Reader {
    pub(super) dir: PathBuf,
    log: Arc<dyn LogRead>,
    pub(super) samples: Samples,
}

impl Reader {
    pub fn new(dir: PathBuf, log: Arc<dyn LogRead>, samples: Samples) -> Reader {
        Reader { dir, log, samples }
    }

    /// The whole log, oldest first.
    pub fn events(&self) -> Result<Vec<Event>, StoreError> {
        self.log.events_from(1)
    }

    /// The events with `seq >= first`, oldest first.
    pub fn events_from(&self, first: u64) -> Result<Vec<Event>, StoreError> {
        self.log.events_from(first)
    }

    /// Call `f` with every raw sample kept, series by series, in time order (`None`: a time
    /// that is not a date).
    fn each_sample(&self, mut f: impl FnMut(Option<SampleLine>)) -> Result<u64, StoreError> {
        let mut n = 0;
        let corrupt = |e| super::sample_error(&self.dir, e);
        for (segment, metric) in self.samples.series().map_err(corrupt)? {
            self.samples
                .each_raw(&segment, &metric, |run| {
                    for &(t, value) in run {
                        n += 1;
                        f(Utc.timestamp_millis_opt(t).single().map(|at| SampleLine {
                            segment: segment.clone(),
                            metric: metric.clone(),
                            at,
                            value,
                        }));
                    }
                })
                .map_err(corrupt)?;
        }
        Ok(n)
    }

    /// Check the log and the samples by the rules a restore applies (`super::restore`): every
    /// event decodes and is one the live engine could have written
    /// ([`crate::model::log_rules`]), every sample obeys the sample rule
    /// ([`crate::model::reading`]).
    pub fn verify(&self) -> Result<Verified, StoreError> {
        let mut problems = Vec::new();
        let events = match self.events() {
            Ok(events) => events,
            Err(e) => {
                problems.push(e.to_string());
                Vec::new()
            }
        };
        if let Err((_, why)) = crate::model::log_rules::check(&events) {
            problems.push(why);
        }
        let sizes = super::restore::sizes(&events);
        let (mut bad, mut first) = (0u64, None);
        let samples = self.each_sample(|s| {
            let problem = match s {
                None => Some("a time that is not a date".to_string()),
                Some(s) => super::restore::sample_problem(&s, &sizes).map(|why| {
                    format!(
                        "{}/{}: {why}",
                        reading::shown(&s.segment),
                        reading::shown(&s.metric)
                    )
                }),
            };
            if let Some(p) = problem {
                bad += 1;
                first.get_or_insert(p);
            }
        })?;
        if let Some(first) = first {
            problems.push(format!(
                "{bad} of {samples} samples break the sample rule; the first: {first}"
            ));
        }
        Ok(Verified {
            events: events.len() as u64,
            samples,
            problems,
        })
    }

    /// Write the portable copy into `out` (created if needed); returns the files written.
    pub fn backup(&self, out: &Path) -> Result<Vec<PathBuf>, StoreError> {
        std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
        let events = self.events()?;
        let events_path = out.join("events.jsonl");
        let mut w = BufWriter::new(crate::files::create(&events_path).map_err(|e| io(out, e))?);
        for e in &events {
            let line = serde_json::to_string(e).map_err(|e| io(out, e))?;
            writeln!(w, "{line}").map_err(|e| io(out, e))?;
        }
        w.flush().map_err(|e| io(out, e))?;
        let samples_path = out.join("samples.jsonl");
        let mut w = BufWriter::new(crate::files::create(&samples_path).map_err(|e| io(out, e))?);
        let mut failed = None;
        let samples = self.each_sample(|s| {
            let written = match s {
                Some(s) => serde_json::to_string(&s)
                    .map_err(std::io::Error::other)
                    .and_then(|line| writeln!(w, "{line}")),
                None => Err(std::io::Error::other("a sample does not decode")),
            };
            if let Err(e) = written {
                failed.get_or_insert(e);
            }
        })?;
        if let Some(e) = failed {
            return Err(io(out, e));
        }
        w.flush().map_err(|e| io(out, e))?;
        let rollups = self.backup_rollups(&out.join("rollups.jsonl"))?;
        let info = BackupInfo {
            schema: SCHEMA_VERSION,
            events: events.len() as u64,
            samples,
            rollups,
            written_at: Utc::now(),
        };
        let info_path = out.join("backup.json");
        let json = serde_json::to_vec_pretty(&info).map_err(|e| io(out, e))?;
        crate::files::write(&info_path, json).map_err(|e| io(out, e))?;
        Ok(vec![
            events_path,
            samples_path,
            out.join("rollups.jsonl"),
            info_path,
        ])
    }
}
