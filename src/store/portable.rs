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

use super::rollup_lines::RollupLine;
use super::{SCHEMA_VERSION, Samples, Storage, StoreError};
use crate::model::Event;
use crate::model::rollup::Rollup;
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufWriter, Write};
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

pub(super) fn io(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Unusable {
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

    /// Check the log: every event decodes, sequence numbers run 1, 2, 3 … without a gap,
    /// every hook outcome names an intent that exists; every sample decodes to a number.
    pub fn verify(&self) -> Result<Verified, StoreError> {
        let mut problems = Vec::new();
        let events = match self.events() {
            Ok(events) => events,
            Err(e) => {
                problems.push(e.to_string());
                Vec::new()
            }
        };
        for (i, e) in events.iter().enumerate() {
            let want = i as u64 + 1;
            if e.seq != want {
                problems.push(format!("event {} found where event {want} belongs", e.seq));
                break;
            }
            if let Some(intent) = e.body.intent
                && intent >= e.seq
            {
                problems.push(format!(
                    "event {} answers intent {intent}, which is not before it",
                    e.seq
                ));
            }
        }
        let mut bad = 0u64;
        let samples = self.each_sample(|s| {
            if s.is_none_or(|s| !s.value.is_finite()) {
                bad += 1;
            }
        })?;
        if bad > 0 {
            problems.push(format!(
                "{bad} of {samples} samples do not decode to a number"
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
        let mut w = BufWriter::new(std::fs::File::create(&events_path).map_err(|e| io(out, e))?);
        for e in &events {
            let line = serde_json::to_string(e).map_err(|e| io(out, e))?;
            writeln!(w, "{line}").map_err(|e| io(out, e))?;
        }
        w.flush().map_err(|e| io(out, e))?;
        let samples_path = out.join("samples.jsonl");
        let mut w = BufWriter::new(std::fs::File::create(&samples_path).map_err(|e| io(out, e))?);
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
        std::fs::write(&info_path, json).map_err(|e| io(out, e))?;
        Ok(vec![
            events_path,
            samples_path,
            out.join("rollups.jsonl"),
            info_path,
        ])
    }
}

/// Read a backup into `store`, which must hold no event yet; durable before it returns. The
/// backup may come from either backend, and so may the state: a project moves between sled
/// and PostgreSQL through a backup.
pub fn restore(store: &mut dyn Storage, from: &Path) -> Result<BackupInfo, StoreError> {
    let held = store.events_after(0)?.len();
    if held != 0 {
        return Err(io(
            store.dir(),
            format!(
                "{} already holds {held} events; restore only into an empty state (move it aside, or pass --state NEW_DIR)",
                store.place()
            ),
        ));
    }
    let info: BackupInfo = std::fs::read(from.join("backup.json"))
        .map_err(|e| {
            io(
                from,
                format!("no backup.json ({e}); is this a backup folder?"),
            )
        })
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| io(from, e)))?;
    if info.schema > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            dir: from.to_path_buf(),
            found: info.schema,
            supported: SCHEMA_VERSION,
        });
    }
    let lines = |name: &str| -> Result<Vec<String>, StoreError> {
        let f = std::fs::File::open(from.join(name)).map_err(|e| io(from, e))?;
        std::io::BufReader::new(f)
            .lines()
            .collect::<Result<_, _>>()
            .map_err(|e| io(from, e))
    };
    // Everything is read and checked before anything is written: a bad backup leaves
    // the state as empty as it was.
    let mut events = Vec::new();
    for (i, line) in lines("events.jsonl")?.iter().enumerate() {
        let e: Event = serde_json::from_str(line)
            .map_err(|e| io(from, format!("events.jsonl line {}: {e}", i + 1)))?;
        if e.seq != events.len() as u64 + 1 {
            return Err(io(
                from,
                format!("events.jsonl line {}: event {} out of order", i + 1, e.seq),
            ));
        }
        events.push(e);
    }
    let mut samples = Vec::new();
    for (i, line) in lines("samples.jsonl")?.iter().enumerate() {
        let s: SampleLine = serde_json::from_str(line)
            .map_err(|e| io(from, format!("samples.jsonl line {}: {e}", i + 1)))?;
        if !s.value.is_finite() {
            return Err(io(
                from,
                format!(
                    "samples.jsonl line {}: the value is not a finite number",
                    i + 1
                ),
            ));
        }
        samples.push(s);
    }
    let mut rollups: std::collections::BTreeMap<(String, String), Vec<Rollup>> = Default::default();
    let mut n_rollups = 0u64;
    if from.join("rollups.jsonl").exists() {
        for (i, line) in lines("rollups.jsonl")?.iter().enumerate() {
            let r: RollupLine = serde_json::from_str(line)
                .map_err(|e| io(from, format!("rollups.jsonl line {}: {e}", i + 1)))?;
            if ![r.min, r.max, r.last].iter().all(|v| v.is_finite()) {
                return Err(io(
                    from,
                    format!(
                        "rollups.jsonl line {}: a value is not a finite number",
                        i + 1
                    ),
                ));
            }
            rollups
                .entry((r.segment, r.metric))
                .or_default()
                .push(Rollup {
                    start_ms: r.start.timestamp_millis(),
                    min: r.min,
                    max: r.max,
                    last: r.last,
                    last_at_ms: r.last_at.timestamp_millis(),
                    count: r.count,
                });
            n_rollups += 1;
        }
    }
    let found = (events.len() as u64, samples.len() as u64, n_rollups);
    if found != (info.events, info.samples, info.rollups) {
        return Err(io(
            from,
            format!(
                "backup.json promises {} events, {} samples and {} rollups, the files hold {}, {} and {}",
                info.events, info.samples, info.rollups, found.0, found.1, found.2
            ),
        ));
    }
    store.restore_events(&events)?;
    for chunk in samples.chunks(super::convert::BATCH) {
        store.put_samples(chunk)?;
    }
    for ((segment, metric), minutes) in &rollups {
        store
            .samples()
            .put_minutes(segment, metric, minutes)
            .map_err(|e| super::sample_error(store.dir(), e))?;
    }
    store.sync()?;
    Ok(info)
}
