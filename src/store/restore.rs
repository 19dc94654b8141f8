//! `cutover state restore DIR`: a backup read back into an empty state, but only a backup the
//! live path could have written. The log is replayed through the rules the engine follows
//! ([`crate::model::log_rules`]: the phase machine's transitions, hook outcomes that answer
//! their requests, bounded texts) and every sample and rollup through the sample rule of
//! every door ([`crate::model::reading`]). `state verify` applies the same rules
//! ([`Reader::verify`](super::Reader::verify)), so restore never accepts a backup verify would
//! reject. Everything is read and checked before anything is written: a refused backup leaves
//! the state as empty as it was, and the refusal names the file, the line and what is wrong.

use super::portable::{BackupInfo, SampleLine};
use super::rollup_lines::RollupLine;
use super::{SCHEMA_VERSION, Storage, StoreError};
use crate::model::Event;
use crate::model::rollup::Rollup;
use crate::model::{log_rules, reading};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

/// Longest line a backup file may hold (an event with its detail and audit counts is a few
/// KiB; a sample under 300 bytes).
const LINE_MAX: u64 = 4 << 20;

/// What is wrong with a backup, naming it.
fn bad(from: &Path, cause: impl std::fmt::Display) -> StoreError {
    StoreError::BadBackup {
        dir: from.to_path_buf(),
        cause: cause.to_string(),
    }
}

/// Each line of `from/name`, bounded by [`LINE_MAX`], parsed as `T`.
fn read_lines<T: serde::de::DeserializeOwned>(
    from: &Path,
    name: &str,
) -> Result<Vec<T>, StoreError> {
    let f = std::fs::File::open(from.join(name)).map_err(|e| bad(from, format!("{name}: {e}")))?;
    let mut input = std::io::BufReader::new(f);
    let (mut out, mut line, mut n) = (Vec::new(), Vec::new(), 0usize);
    loop {
        line.clear();
        n += 1;
        let read = std::io::Read::take(&mut input, LINE_MAX + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| bad(from, format!("{name} line {n}: {e}")))?;
        if read == 0 {
            return Ok(out);
        }
        if read as u64 > LINE_MAX {
            return Err(bad(
                from,
                format!("{name} line {n} is longer than {} MiB", LINE_MAX >> 20),
            ));
        }
        let item = serde_json::from_slice(&line)
            .map_err(|e| bad(from, format!("{name} line {n}: {e}")))?;
        out.push(item);
    }
}

/// Each segment's largest size the log recorded at a cutover: what its `migrated` samples are
/// checked against (a segment never cut over: the rule's upper bound for any count).
pub(super) fn sizes(events: &[Event]) -> BTreeMap<String, u64> {
    let mut out: BTreeMap<String, u64> = BTreeMap::new();
    for e in events {
        if let Some(size) = e.body.size {
            let s = out.entry(e.body.segment.clone()).or_default();
            *s = (*s).max(size);
        }
    }
    out
}

/// The sample rule for a sample of a backup or a state (no `now`: what was accepted then).
pub(super) fn sample_problem(s: &SampleLine, sizes: &BTreeMap<String, u64>) -> Option<String> {
    let base = sizes.get(&s.segment).copied();
    reading::sample(&s.segment, &s.metric, s.at, s.value, base, None)
        .err()
        .map(String::from)
}

fn rollup_problem(r: &RollupLine) -> Option<String> {
    let finite = [r.min, r.max, r.last].iter().all(|v| v.is_finite());
    reading::segment_id(&r.segment)
        .and_then(|()| reading::metric_name(&r.metric))
        .and_then(|()| reading::in_calendar(r.start))
        .and_then(|()| reading::in_calendar(r.last_at))
        .and_then(|()| {
            finite
                .then_some(())
                .ok_or_else(|| reading::Broken("a value is not a finite number".into()))
        })
        .err()
        .map(String::from)
}

/// Read a backup into `store`, which must hold no event yet; durable before it returns. The
/// backup may come from either backend, and so may the state: a project moves between sled
/// and PostgreSQL through a backup.
pub fn restore(store: &mut dyn Storage, from: &Path) -> Result<BackupInfo, StoreError> {
    let held = store.events_after(0)?.len();
    if held != 0 {
        return Err(StoreError::Unusable {
            dir: store.dir().to_path_buf(),
            cause: format!(
                "{} already holds {held} events; restore only into an empty state (move it aside, or pass --state NEW_DIR)",
                store.place()
            ),
        });
    }
    let info: BackupInfo = std::fs::read(from.join("backup.json"))
        .map_err(|e| {
            bad(
                from,
                format!("no backup.json ({e}); is this a backup folder?"),
            )
        })
        .and_then(|b| {
            serde_json::from_slice(&b).map_err(|e| bad(from, format!("backup.json: {e}")))
        })?;
    if info.schema > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            dir: from.to_path_buf(),
            found: info.schema,
            supported: SCHEMA_VERSION,
        });
    }
    let events: Vec<Event> = read_lines(from, "events.jsonl")?;
    log_rules::check(&events)
        .map_err(|(i, why)| bad(from, format!("events.jsonl line {}: {why}", i + 1)))?;
    let sizes = sizes(&events);
    let samples: Vec<SampleLine> = read_lines(from, "samples.jsonl")?;
    if let Some((i, why)) = samples
        .iter()
        .enumerate()
        .find_map(|(i, s)| Some((i, sample_problem(s, &sizes)?)))
    {
        return Err(bad(from, format!("samples.jsonl line {}: {why}", i + 1)));
    }
    let lines: Vec<RollupLine> = if from.join("rollups.jsonl").exists() {
        read_lines(from, "rollups.jsonl")?
    } else {
        Vec::new()
    };
    let mut rollups: BTreeMap<(String, String), Vec<Rollup>> = BTreeMap::new();
    for (i, r) in lines.into_iter().enumerate() {
        if let Some(why) = rollup_problem(&r) {
            return Err(bad(from, format!("rollups.jsonl line {}: {why}", i + 1)));
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
    }
    let n_rollups = rollups.values().map(|r| r.len() as u64).sum::<u64>();
    let found = (events.len() as u64, samples.len() as u64, n_rollups);
    if found != (info.events, info.samples, info.rollups) {
        return Err(bad(
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
