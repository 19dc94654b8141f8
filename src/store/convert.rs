//! Converting a schema-1 state (one sled key per sample, tree `samples`) to schema 2 (the
//! block store of [`super::samples`], tree `series`), when a build that writes schema 2 first
//! opens it. The event log is the same in both schemas and is not touched.
//!
//! * Series by series, in key order, in batches of at most [`BATCH`] samples. After each
//!   series the key it ended at is recorded in `meta` (`convert_after`) and flushed: a killed
//!   conversion starts again after the last finished series. Writing a sample again at the
//!   same millisecond replaces it, so the series that was cut short is converted again
//!   without a duplicate.
//! * Verified before anything old is let go: count and sum of every series are compared
//!   between the old tree and the new store. Only when all match does `schema_version` become
//!   2 (flushed), and only then is the old tree dropped. A mismatch keeps the old tree and
//!   schema 1, and says which series differs.
//! * Progress goes to stderr (see [`crate::progress`]).

use super::samples::{Samples, Totals};
use super::{SCHEMA_KEY, SCHEMA_VERSION};
use crate::progress::Progress;
use std::ops::Bound;

/// The schema-1 tree of samples.
pub const OLD_TREE: &str = "samples";
const MARK: &[u8] = b"convert_after";
/// Samples written per batch.
pub const BATCH: usize = 200_000;

/// The series part of a schema-1 key: segment 0 metric 0 (then 8 bytes of time).
fn series_part(key: &[u8]) -> Option<&[u8]> {
    key.get(..key.len().checked_sub(8)?)
}

fn split(series: &[u8]) -> Option<(&str, &str)> {
    let mut parts = series.splitn(3, |b| *b == 0);
    let segment = std::str::from_utf8(parts.next()?).ok()?;
    let metric = std::str::from_utf8(parts.next()?).ok()?;
    Some((segment, metric))
}

fn old_sample(k: &[u8], v: &[u8]) -> Option<(i64, f64)> {
    let t: [u8; 8] = k.get(k.len().checked_sub(8)?..)?.try_into().ok()?;
    let v: [u8; 8] = v.try_into().ok()?;
    Some((
        (u64::from_be_bytes(t) ^ (1 << 63)) as i64,
        f64::from_be_bytes(v),
    ))
}

/// Why a conversion stopped (the old samples are kept, and the state is not opened).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Failed(String);

fn failed(e: impl std::fmt::Display) -> Failed {
    Failed(e.to_string())
}

/// Convert `old` into `new` and flip the schema; `Err` names what went wrong.
pub fn convert(
    db: &sled::Db,
    meta: &sled::Tree,
    old: &sled::Tree,
    new: &Samples,
) -> Result<(), Failed> {
    let total = old.len() as u64;
    let resume = meta.get(MARK).map_err(failed)?;
    let mut progress = Progress::new("converting samples to schema 2", total, "samples", 0);
    let start = match &resume {
        // Past every key of the finished series: its keys end in 8 bytes, none is 0xff × 9.
        Some(series) => {
            let mut from = series.to_vec();
            from.extend_from_slice(&[0xff; 9]);
            progress.inc(old.range(..from.clone()).count() as u64);
            Bound::Excluded(from)
        }
        None => Bound::Unbounded,
    };
    let mut current: Option<Vec<u8>> = None;
    let mut batch: Vec<(i64, f64)> = Vec::new();
    let flush_batch = |series: &[u8], batch: &mut Vec<(i64, f64)>| -> Result<(), Failed> {
        let (segment, metric) =
            split(series).ok_or_else(|| failed("a sample key names no series"))?;
        new.write(batch.iter().map(|&(t, v)| (segment, metric, t, v)))
            .map_err(failed)?;
        batch.clear();
        Ok(())
    };
    for kv in old.range::<Vec<u8>, _>((start, Bound::Unbounded)) {
        let (k, v) = kv.map_err(failed)?;
        let series = series_part(&k).ok_or_else(|| failed("a sample key is too short"))?;
        if current.as_deref() != Some(series) {
            if let Some(done) = current.take() {
                flush_batch(&done, &mut batch)?;
                meta.insert(MARK, done.as_slice()).map_err(failed)?;
                db.flush().map_err(failed)?;
            }
            current = Some(series.to_vec());
        }
        batch.push(old_sample(&k, &v).ok_or_else(|| failed("a sample does not decode"))?);
        if batch.len() >= BATCH {
            flush_batch(series, &mut batch)?;
        }
        progress.inc(1);
    }
    if let Some(done) = current.take() {
        flush_batch(&done, &mut batch)?;
        meta.insert(MARK, done.as_slice()).map_err(failed)?;
    }
    db.flush().map_err(failed)?;
    progress.finish();
    verify(old, new)?;
    meta.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
        .map_err(failed)?;
    db.flush().map_err(failed)?;
    finish(db, meta)
}

/// Drop what a verified conversion leaves behind (also run when a kill came after the flip).
pub fn finish(db: &sled::Db, meta: &sled::Tree) -> Result<(), Failed> {
    db.drop_tree(OLD_TREE).map_err(failed)?;
    meta.remove(MARK).map_err(failed)?;
    db.flush().map(|_| ()).map_err(failed)
}

/// Count and sum of every old series against the new store.
fn verify(old: &sled::Tree, new: &Samples) -> Result<(), Failed> {
    let mut current: Option<(Vec<u8>, Totals)> = None;
    let check = |series: &[u8], want: Totals| -> Result<(), Failed> {
        let (segment, metric) =
            split(series).ok_or_else(|| failed("a sample key names no series"))?;
        let got = new.totals(segment, metric).map_err(failed)?;
        // A non-finite value in the old state makes both sums NaN or ±∞ alike.
        let close = got.sum == want.sum
            || (got.sum.is_nan() && want.sum.is_nan())
            || (got.sum - want.sum).abs() <= 1e-12 * want.sum.abs().max(1.0);
        if got.count != want.count || !close {
            return Err(Failed(format!(
                "series {segment}/{metric}: the old state holds {} samples summing to {}, the converted one {} summing to {}",
                want.count, want.sum, got.count, got.sum
            )));
        }
        Ok(())
    };
    for kv in old.iter() {
        let (k, v) = kv.map_err(failed)?;
        let series = series_part(&k).ok_or_else(|| failed("a sample key is too short"))?;
        let (_, value) = old_sample(&k, &v).ok_or_else(|| failed("a sample does not decode"))?;
        match &mut current {
            Some((s, totals)) if s.as_slice() == series => {
                totals.count += 1;
                totals.sum += value;
            }
            _ => {
                if let Some((s, totals)) = current.take() {
                    check(&s, totals)?;
                }
                current = Some((
                    series.to_vec(),
                    Totals {
                        count: 1,
                        sum: value,
                    },
                ));
            }
        }
    }
    if let Some((s, totals)) = current {
        check(&s, totals)?;
    }
    Ok(())
}
