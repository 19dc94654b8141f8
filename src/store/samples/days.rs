//! The day index: the day rollups of a series' days in spans of [`SPAN`] days that lie wholly
//! before its head's span, one block a span, at 44 bytes a day (fixed width: a status decodes
//! a dozen a series, and pco's cost a block was a sixth of a status). A status fits each
//! forecast on a series' day rollups; a year of them was 365 keys a series to walk (a year
//! behind 100 segments: 73,000 keys, half of a status), and is now a dozen blocks and the day
//! keys of the head's span.
//!
//! The index is a copy: every day keeps its own `d` key, which stays the record. A span's block
//! is written once, in the batch that moves the head out of it (built from its `d` keys), and
//! again only for a late sample into one of its days. A block that grew with each sealed day
//! made a year's import rewrite it every day: sled kept 80 MB of the old copies.
//! A span with no block (the head's, or one written before the index existed) is read from its
//! `d` keys.

use super::codec;
use super::keys::{self, Tag};
use super::{Result, Samples};
use crate::model::rollup::{Rollup, day_of};
use crate::store::kv::Batch;
use std::collections::{BTreeMap, BTreeSet};

/// Days a block of the index spans.
const SPAN: i64 = 32;

fn span_of(day: i64) -> i64 {
    day.div_euclid(SPAN)
}

impl Samples {
    /// Bring the day index of `s` up to date with the days in `written` whose span lies before
    /// the span of `head`: their `d` keys as `ops` from its entry `since` on leaves them, else
    /// as stored.
    pub(super) fn index_days(
        &self,
        ops: &mut Batch,
        s: (&str, &str),
        head: i64,
        written: &BTreeSet<i64>,
        since: usize,
    ) -> Result<()> {
        let mut spans: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for &day in written.iter().filter(|&&d| span_of(d) < span_of(head)) {
            spans.entry(span_of(day)).or_default().push(day);
        }
        if spans.is_empty() {
            return Ok(());
        }
        let pending: BTreeMap<&[u8], Option<&Vec<u8>>> = ops.ops[since.min(ops.ops.len())..]
            .iter()
            .filter(|(k, _)| k.first() == Some(&(Tag::Day as u8)))
            .map(|(k, v)| (k.as_slice(), v.as_ref()))
            .collect();
        let mut blocks = Vec::with_capacity(spans.len());
        for (span, days) in spans {
            let key = keys::at(Tag::Days, s.0, s.1, span);
            let mut index = match self.tree.get(&key)? {
                Some(block) => by_day(codec::decode_fixed(&block)?),
                // The span's first block: every day of it stored before the head.
                None => self.day_keys(s, span * SPAN, head.min((span + 1) * SPAN))?,
            };
            for day in days {
                let k = keys::at(Tag::Day, s.0, s.1, day);
                let value = match pending.get(k.as_slice()) {
                    Some(v) => v.cloned(),
                    None => self.tree.get(&k)?,
                };
                index.remove(&day);
                if let Some(v) = value {
                    index.extend(by_day(codec::decode_fixed(&v)?));
                }
            }
            let all: Vec<Rollup> = index.into_values().collect();
            blocks.push((key, codec::encode_fixed(&all)));
        }
        for (key, block) in blocks {
            ops.insert(key, block);
        }
        Ok(())
    }

    /// The day rollups of `s` for the days of `[from, to)`: each span's block, and the `d`
    /// keys of what no block holds (the head's day, a span not indexed yet). A `d` key read
    /// wins over the block's copy of its day.
    pub(super) fn day_rollups(&self, s: (&str, &str), from: i64, to: i64) -> Result<Vec<Rollup>> {
        let (first, last) = (day_of(from), day_of(to.saturating_sub(1)));
        if first > last {
            return Ok(Vec::new());
        }
        let mut days = BTreeMap::new();
        // Each indexed span and the last day its block holds.
        let mut indexed: BTreeMap<i64, i64> = BTreeMap::new();
        let lo = keys::at(Tag::Days, s.0, s.1, span_of(first));
        let hi = keys::at(Tag::Days, s.0, s.1, span_of(last) + 1);
        for (k, block) in self.tree.range(&lo, &hi)? {
            let span = keys::number(&k)
                .ok_or_else(|| codec::CodecError::new("an index key has no span"))?;
            let index = by_day(codec::decode_fixed(&block)?);
            indexed.insert(
                span,
                index.keys().next_back().copied().unwrap_or(span * SPAN),
            );
            days.extend(index);
        }
        // Read from `d` keys: the gaps between indexed spans (a span not indexed yet, or a
        // range reaching past them), and the newest indexed span from its last indexed day on
        // (the head's span ends after its indexed days).
        let mut gaps = Vec::new();
        let mut next = first;
        let newest = indexed.keys().next_back().copied();
        for (&span, &last_indexed) in &indexed {
            gaps.push((next, span * SPAN));
            next = if Some(span) == newest {
                last_indexed
            } else {
                (span + 1) * SPAN
            };
        }
        gaps.push((next, last + 1));
        for (a, b) in gaps {
            days.extend(self.day_keys(s, a.max(first), b.min(last + 1))?);
        }
        Ok(days
            .into_iter()
            .filter(|(d, _)| *d >= first && *d <= last)
            .map(|(_, r)| r)
            .collect())
    }
}

impl Samples {
    /// The rollups the `d` keys of `s` hold for the days of `[from_day, to_day)`.
    fn day_keys(
        &self,
        s: (&str, &str),
        from_day: i64,
        to_day: i64,
    ) -> Result<BTreeMap<i64, Rollup>> {
        let mut days = BTreeMap::new();
        if from_day < to_day {
            let lo = keys::at(Tag::Day, s.0, s.1, from_day);
            let hi = keys::at(Tag::Day, s.0, s.1, to_day);
            for (_, v) in self.tree.range(&lo, &hi)? {
                days.extend(by_day(codec::decode_fixed(&v)?));
            }
        }
        Ok(days)
    }
}

fn by_day(rollups: Vec<Rollup>) -> BTreeMap<i64, Rollup> {
    rollups
        .into_iter()
        .map(|r| (day_of(r.start_ms), r))
        .collect()
}
