//! The day index: the day rollups of a series' days before its head, kept together as one
//! compressed block under one key. A status fits each forecast on a series' day rollups; a
//! year of them was 365 keys a series to walk (a year behind 100 segments: 73,000 keys, half
//! of a status), and is now one key and the head's.
//!
//! The index is a copy: every day keeps its own `d` key, which stays the record. The index is
//! rewritten in the batch that writes any day before the head, or that moves the head on
//! (the old head's day then joins it). A series written before the index existed gets its
//! index from its `d` keys at its next such write; until then it is read as before.

use super::codec;
use super::keys::{self, Tag};
use super::{Result, Samples};
use crate::model::rollup::{DAY_MS, Rollup, day_of};
use crate::store::kv::Batch;
use std::collections::{BTreeMap, BTreeSet};

impl Samples {
    /// Bring the day index of `s` up to date with the days in `written` that lie before
    /// `head`: their `d` keys as `ops` from its entry `since` on leaves them, else as stored.
    pub(super) fn index_days(
        &self,
        ops: &mut Batch,
        s: (&str, &str),
        head: i64,
        written: &BTreeSet<i64>,
        since: usize,
    ) -> Result<()> {
        let days: Vec<i64> = written.iter().copied().filter(|&d| d < head).collect();
        if days.is_empty() {
            return Ok(());
        }
        let key = keys::prefix(Tag::Days, s.0, s.1);
        let mut index: BTreeMap<i64, Rollup> = match self.tree.get(&key)? {
            Some(block) => by_day(codec::decode_rollups(&block)?),
            None => {
                // The first index of this series: every day stored before the head.
                let lo = keys::prefix(Tag::Day, s.0, s.1);
                let hi = keys::at(Tag::Day, s.0, s.1, head);
                let mut all = Vec::new();
                for (_, v) in self.tree.range(&lo, &hi)? {
                    all.extend(codec::decode_fixed(&v)?);
                }
                by_day(all)
            }
        };
        let pending: BTreeMap<&[u8], Option<&Vec<u8>>> = ops.ops[since.min(ops.ops.len())..]
            .iter()
            .filter(|(k, _)| k.first() == Some(&(Tag::Day as u8)))
            .map(|(k, v)| (k.as_slice(), v.as_ref()))
            .collect();
        let mut values = Vec::with_capacity(days.len());
        for day in days {
            let k = keys::at(Tag::Day, s.0, s.1, day);
            let value = match pending.get(k.as_slice()) {
                Some(v) => v.cloned(),
                None => self.tree.get(&k)?,
            };
            values.push((day, value));
        }
        for (day, value) in values {
            index.remove(&day);
            if let Some(v) = value {
                index.extend(by_day(codec::decode_fixed(&v)?));
            }
        }
        let all: Vec<Rollup> = index.into_values().collect();
        ops.insert(key, codec::encode_rollups(&all)?);
        Ok(())
    }

    /// The day rollups of `s` for the days of `[from, to)`: the index for the days before
    /// its last one, and the `d` keys from there on (the head's, and any a write made since).
    pub(super) fn day_rollups(&self, s: (&str, &str), from: i64, to: i64) -> Result<Vec<Rollup>> {
        let mut days = BTreeMap::new();
        let mut scan_from = from;
        if let Some(block) = self.tree.get(&keys::prefix(Tag::Days, s.0, s.1))? {
            let index = by_day(codec::decode_rollups(&block)?);
            if let Some(&last) = index.keys().next_back() {
                scan_from = from.max(last * DAY_MS);
            }
            days.extend(
                index
                    .into_iter()
                    .filter(|(d, _)| (d + 1) * DAY_MS > from && d * DAY_MS < scan_from),
            );
        }
        let lo = keys::at(Tag::Day, s.0, s.1, day_of(scan_from));
        let hi = keys::at(Tag::Day, s.0, s.1, day_of(to.saturating_sub(1)) + 1);
        if lo < hi {
            for (_, v) in self.tree.range(&lo, &hi)? {
                days.extend(by_day(codec::decode_fixed(&v)?));
            }
        }
        Ok(days.into_values().collect())
    }
}

fn by_day(rollups: Vec<Rollup>) -> BTreeMap<i64, Rollup> {
    rollups
        .into_iter()
        .map(|r| (day_of(r.start_ms), r))
        .collect()
}
