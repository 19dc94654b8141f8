//! The sample store, made for months of polling: each question costs what its answer needs,
//! not what the history holds.
//!
//! One ordered key-value tree, `series` (a sled tree, or a table on PostgreSQL: see [`super::kv`]). Every key is a tag byte, the series (`segment` 0 `metric` 0) and,
//! for most tags, a time or a UTC day number (sign-flipped big-endian, so keys sort in time
//! order). Per series:
//!
//! ```text
//! h <t ms>   one raw sample of the series' newest day, the "head" (f64)
//! r <day>    the raw samples of one older ("sealed") day, one compressed block
//! m <day>    the minute rollups of a day whose raw block is gone (`raw_retention`, or a
//!            restored backup's rollup-only day); a day with its raw block rolls them from it
//! o <day>    the hour rollups of a day: fixed width while samples arrive one by one (the
//!            head), a compressed block once the day is written whole
//! d <day>    the day's rollup (fixed width, rewritten per sample)
//! y <span>   the day rollups of the days of a 32-day span before the head (see [`days`])
//! l          the newest sample: (t ms, value)
//! ```
//!
//! Why this shape:
//! * A sample of the newest day is one small key plus its hour and day rollups, written in one
//!   atomic sled batch: a poll costs the same on day 1 and day 180, and the rollups a status
//!   and a chart read are always current.
//! * When a sample of a later day arrives, the head is sealed: its raw samples become one
//!   compressed block (see [`codec`]) and its hour rollups another, in the same batch that
//!   deletes the head keys. sled stores a key at ≈ 200 bytes; a sealed day at about a byte a
//!   sample of a poller.
//! * A day's minute rollups are not stored beside its raw block: they took as many bytes as
//!   the raw samples themselves, and a chart that needs them reads a day or two, which rolls
//!   in microseconds. They are stored when the raw block goes, in the batch that removes it.
//! * Reads choose their resolution: a gate reads `l` (one key), a fit reads one `d` key a day,
//!   a chart reads `o` blocks, or for its shortest spans a day's raw or `m` block, for about
//!   one bucket per column, and a backup or a verify reads raw blocks.
//! * `raw_retention` deletes `r` blocks older than that many days behind the head; rollups
//!   are kept forever.
//! * A sample written again at the same millisecond replaces the first, as in schema 1, so
//!   importing a file twice (or again after a kill) never duplicates a sample whose raw block
//!   is kept.

mod codec;
mod days;
mod keys;
mod sealed;

use super::kv::{Batch, Kv};
use crate::model::rollup::{self, DAY_MS, Resolution, Rollup, day_of, roll};
use codec::CodecError;
pub use keys::Tag;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A sample store operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error(transparent)]
    Store(#[from] super::StoreError),
    #[error(transparent)]
    Codec(#[from] CodecError),
}

type Result<T> = std::result::Result<T, SampleError>;

/// Samples of one series and day in one write from which they go straight into the day's
/// block instead of head keys (an import, a restore, a conversion).
const BULK: usize = 64;

/// The samples of a project. Cheap to clone (a shared handle on its backend).
#[derive(Clone)]
pub struct Samples {
    tree: Arc<dyn Kv>,
    raw_retention_days: Option<i64>,
}

/// Merge time-ordered `b` into time-ordered `a`; on equal times `b` wins.
fn merge_raw(a: Vec<(i64, f64)>, b: &[(i64, f64)]) -> Vec<(i64, f64)> {
    let mut all: BTreeMap<i64, f64> = a.into_iter().collect();
    all.extend(b.iter().copied());
    all.into_iter().collect()
}

impl Samples {
    pub fn new(tree: Arc<dyn Kv>, raw_retention_days: Option<i64>) -> Samples {
        Samples {
            tree,
            raw_retention_days,
        }
    }

    /// The same store, keeping raw samples this many days behind each head (None: all).
    pub fn with_retention(&self, raw_retention_days: Option<i64>) -> Samples {
        Samples::new(self.tree.clone(), raw_retention_days)
    }

    /// Write samples of any series in any order, atomically (one batch). Not flushed.
    pub fn write<'a>(
        &self,
        samples: impl IntoIterator<Item = (&'a str, &'a str, i64, f64)>,
    ) -> Result<()> {
        let mut by_series: BTreeMap<(&str, &str), Vec<(i64, f64)>> = BTreeMap::new();
        for (segment, metric, t, v) in samples {
            by_series.entry((segment, metric)).or_default().push((t, v));
        }
        self.read_modify_write(|ops| {
            for ((segment, metric), list) in by_series {
                self.write_series(ops, segment, metric, list)?;
            }
            Ok(())
        })
    }

    /// Build a batch from what the store holds and write it, with no other writer between
    /// the reads and the write (another process on a shared database waits).
    pub(super) fn read_modify_write(
        &self,
        build: impl FnOnce(&mut Batch) -> Result<()>,
    ) -> Result<()> {
        self.tree.begin_write()?;
        let mut ops = Batch::default();
        match build(&mut ops) {
            Ok(()) => Ok(self.tree.end_write(Some(ops))?),
            Err(e) => {
                let _ = self.tree.end_write(None);
                Err(e)
            }
        }
    }

    fn write_series(
        &self,
        ops: &mut Batch,
        segment: &str,
        metric: &str,
        mut samples: Vec<(i64, f64)>,
    ) -> Result<()> {
        // Stable sort, then keep the last of equal times: a later write replaces.
        samples.sort_by_key(|s| s.0);
        let mut list: Vec<(i64, f64)> = Vec::with_capacity(samples.len());
        for s in samples {
            match list.last_mut() {
                Some(last) if last.0 == s.0 => *last = s,
                _ => list.push(s),
            }
        }
        let Some(&newest) = list.last() else {
            return Ok(());
        };
        let latest = self.latest(segment, metric)?;
        let old_head = latest.map(|(t, _)| day_of(t));
        let head = old_head.map_or(day_of(newest.0), |h| h.max(day_of(newest.0)));
        let mut by_day: BTreeMap<i64, Vec<(i64, f64)>> = BTreeMap::new();
        for s in list {
            by_day.entry(day_of(s.0)).or_default().push(s);
        }
        let s = (segment, metric);
        let since = ops.ops.len();
        let mut written: BTreeSet<i64> = by_day.keys().copied().collect();
        if let Some(h) = old_head
            && head > h
        {
            written.insert(h);
            let extra = by_day.remove(&h).unwrap_or_default();
            self.seal(ops, s, h, head, &extra)?;
            self.drop_old_raw(ops, s, head)?;
        }
        let newest_before = latest.map(|(t, _)| t);
        for (day, list) in by_day {
            if day == head && list.len() < BULK {
                self.write_head(ops, s, day, newest_before, &list)?;
            } else {
                self.write_sealed(ops, s, day, head, &list)?;
            }
        }
        self.index_days(ops, s, head, &written, since)?;
        if latest.is_none_or(|(t, _)| newest.0 >= t) {
            let mut v = newest.0.to_be_bytes().to_vec();
            v.extend_from_slice(&newest.1.to_be_bytes());
            ops.insert(keys::prefix(Tag::Latest, segment, metric), v);
        }
        Ok(())
    }

    /// Add a few samples to the head day: raw keys, then the day's hour and day rollups.
    fn write_head(
        &self,
        ops: &mut Batch,
        s: (&str, &str),
        day: i64,
        newest_before: Option<i64>,
        list: &[(i64, f64)],
    ) -> Result<()> {
        let (segment, metric) = s;
        for &(t, v) in list {
            ops.insert(keys::at(Tag::Head, segment, metric, t), v.to_be_bytes());
        }
        // Samples newer than the newest stored one are new: their rollups just merge in. An
        // older one may replace a stored sample: the day's rollups are recomputed.
        let hours = if list
            .iter()
            .all(|(t, _)| newest_before.is_none_or(|n| *t > n))
        {
            rollup::merge_lists(&self.hours(s, day)?, &roll(list, Resolution::Hour))
        } else {
            roll(
                &merge_raw(self.day_raw(s, day, Some(day))?, list),
                Resolution::Hour,
            )
        };
        ops.insert(
            keys::at(Tag::Hours, segment, metric, day),
            codec::encode_fixed(&hours),
        );
        let days = rollup::coarsen(&hours, Resolution::Day);
        ops.insert(
            keys::at(Tag::Day, segment, metric, day),
            codec::encode_fixed(&days),
        );
        Ok(())
    }

    /// The raw samples of `day`: its block, and its head keys if it is the `head` day.
    fn day_raw(&self, s: (&str, &str), day: i64, head: Option<i64>) -> Result<Vec<(i64, f64)>> {
        let block = match self.tree.get(&keys::at(Tag::Raw, s.0, s.1, day))? {
            Some(block) => codec::decode_raw(&block)?,
            None => Vec::new(),
        };
        if head != Some(day) {
            return Ok(block);
        }
        let keys = self.head(s.0, s.1, day)?;
        Ok(if block.is_empty() {
            keys
        } else {
            merge_raw(block, &keys)
        })
    }

    /// The hour rollups of `day`, in either of their forms.
    fn hours(&self, s: (&str, &str), day: i64) -> Result<Vec<Rollup>> {
        match self.tree.get(&keys::at(Tag::Hours, s.0, s.1, day))? {
            Some(v) => Ok(codec::decode_hours(&v)?),
            None => Ok(Vec::new()),
        }
    }

    /// The head samples of `day`, in time order.
    fn head(&self, segment: &str, metric: &str, day: i64) -> Result<Vec<(i64, f64)>> {
        self.head_range(segment, metric, day * DAY_MS, (day + 1) * DAY_MS)
    }

    fn head_range(
        &self,
        segment: &str,
        metric: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, f64)>> {
        let lo = keys::at(Tag::Head, segment, metric, from);
        let hi = keys::at(Tag::Head, segment, metric, to);
        let mut out = Vec::new();
        for (k, v) in self.tree.range(&lo, &hi)? {
            let t = keys::number(&k).ok_or_else(|| CodecError::new("a head key has no time"))?;
            out.push((t, f64_of(&v)?));
        }
        Ok(out)
    }
}

fn f64_of(v: &[u8]) -> std::result::Result<f64, CodecError> {
    let bytes: [u8; 8] = v
        .try_into()
        .map_err(|_| CodecError::new("a value is not 8 bytes"))?;
    Ok(f64::from_be_bytes(bytes))
}

mod read;
pub use read::Totals;

#[cfg(test)]
mod layout_tests;
