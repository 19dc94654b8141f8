//! Reading the sample store at the resolution a question needs.

use super::codec::{self, CodecError};
use super::keys::{self, Tag};
use super::{Result, Samples, f64_of};
use crate::model::rollup::{self, DAY_MS, Resolution, Rollup, day_of, roll};
use std::collections::BTreeMap;

/// Count and sum of a series' raw samples: what a schema conversion and a verify compare.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub count: u64,
    pub sum: f64,
}

/// One stored block and its day (or why its key does not decode).
type Block = Result<(i64, Vec<u8>)>;

impl Samples {
    /// A note of the owner's (see `Tag::Note`; typed in `store::notes`).
    pub(crate) fn note(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let mut key = vec![Tag::Note as u8];
        key.extend_from_slice(name.as_bytes());
        Ok(self.tree.get(&key)?)
    }

    /// Write a note of the owner's, atomically. Not flushed.
    pub(crate) fn set_note(&self, name: &str, value: &[u8]) -> Result<()> {
        let mut key = vec![Tag::Note as u8];
        key.extend_from_slice(name.as_bytes());
        let mut batch = super::super::kv::Batch::default();
        batch.insert(key, value);
        Ok(self.tree.apply(batch)?)
    }

    /// The notes whose names start with `prefix`, in name order.
    pub(crate) fn notes_under(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let mut lo = vec![Tag::Note as u8];
        lo.extend_from_slice(prefix.as_bytes());
        let Some(hi) = super::super::kv::prefix_end(&lo) else {
            return Ok(Vec::new());
        };
        Ok(self
            .tree
            .range(&lo, &hi)?
            .into_iter()
            .map(|(k, v)| (String::from_utf8_lossy(&k[1..]).into_owned(), v))
            .collect())
    }

    /// Make every note and sample written so far durable.
    pub(crate) fn flush(&self) -> Result<()> {
        Ok(self.tree.flush()?)
    }

    /// Read ahead, in one round trip where the backend is across a network, what a status
    /// reads: every series' newest sample, and the day rollups of the `series` given (a
    /// snapshot's series are daily too; a full chart is one segment's, read when shown).
    /// Until [`Samples::forget`], reads inside it come from memory.
    pub fn prefetch(&self, series: &[(&str, &str)]) -> Result<()> {
        let latest = vec![Tag::Latest as u8];
        let mut intervals = vec![(
            latest.clone(),
            super::super::kv::prefix_end(&latest).unwrap_or_default(),
        )];
        for &(segment, metric) in series {
            for tag in [Tag::Days, Tag::Day] {
                let lo = keys::prefix(tag, segment, metric);
                if let Some(hi) = super::super::kv::prefix_end(&lo) {
                    intervals.push((lo, hi));
                }
            }
        }
        self.tree.prefetch(&intervals)?;
        Ok(())
    }

    /// Drop what [`Samples::prefetch`] read.
    pub fn forget(&self) {
        self.tree.forget();
    }

    /// The newest sample of a series: one key, whatever the history.
    pub fn latest(&self, segment: &str, metric: &str) -> Result<Option<(i64, f64)>> {
        let Some(v) = self.tree.get(&keys::prefix(Tag::Latest, segment, metric))? else {
            return Ok(None);
        };
        let bad = || CodecError::new("a latest value is not 16 bytes");
        let t: [u8; 8] = v.get(..8).ok_or_else(bad)?.try_into().map_err(|_| bad())?;
        Ok(Some((
            i64::from_be_bytes(t),
            f64_of(v.get(8..).ok_or_else(bad)?)?,
        )))
    }

    /// Every series that holds a sample, as (segment, metric), in key order.
    pub fn series(&self) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        let lo = [Tag::Latest as u8];
        let hi = super::super::kv::prefix_end(&lo).unwrap_or_default();
        for (k, _) in self.tree.range(&lo, &hi)? {
            out.push(
                keys::series_of(&k).ok_or_else(|| CodecError::new("a series name is not UTF-8"))?,
            );
        }
        Ok(out)
    }

    /// The blocks of `tag` for the days of `[from, to)`.
    fn blocks(&self, tag: Tag, s: (&str, &str), from: i64, to: i64) -> Result<Vec<Block>> {
        let lo = keys::at(tag, s.0, s.1, day_of(from));
        let hi = keys::at(tag, s.0, s.1, day_of(to.saturating_sub(1)) + 1);
        Ok(self
            .tree
            .range(&lo, &hi)?
            .into_iter()
            .map(|(k, v)| {
                let day =
                    keys::number(&k).ok_or_else(|| CodecError::new("a block key has no day"))?;
                Ok((day, v))
            })
            .collect())
    }

    /// The rollups of a series at `res` over the buckets that overlap `[from, to)` (ms).
    pub fn rollups(
        &self,
        segment: &str,
        metric: &str,
        res: Resolution,
        from: i64,
        to: i64,
    ) -> Result<Vec<Rollup>> {
        let s = (segment, metric);
        let mut out = Vec::new();
        match res {
            Resolution::Day => out = self.day_rollups(s, from, to)?,
            Resolution::Hour => {
                for block in self.blocks(Tag::Hours, s, from, to)? {
                    out.extend(codec::decode_hours(&block?.1)?);
                }
            }
            Resolution::Minute => {
                let head = self.latest(segment, metric)?.map(|(t, _)| day_of(t));
                // A day's minutes: its minute block where its raw block is gone (or a state
                // written before this layout kept both), else rolled from its raw block.
                let mut days: BTreeMap<i64, Vec<Rollup>> = BTreeMap::new();
                for block in self.blocks(Tag::Raw, s, from, to)? {
                    let (day, v) = block?;
                    if Some(day) != head {
                        days.insert(day, roll(&codec::decode_raw(&v)?, Resolution::Minute));
                    }
                }
                for block in self.blocks(Tag::Minutes, s, from, to)? {
                    let (day, v) = block?;
                    if Some(day) != head {
                        days.insert(day, codec::decode_rollups(&v)?);
                    }
                }
                out.extend(days.into_values().flatten());
                // The head day's minute block may lag its head keys: its minutes come from
                // its raw samples.
                if let Some(day) = head
                    && day >= day_of(from)
                    && day * DAY_MS < to
                {
                    out.extend(roll(&self.day_raw(s, day, head)?, Resolution::Minute));
                }
            }
        }
        let width = res.millis();
        out.retain(|r| r.start_ms + width > from && r.start_ms < to);
        Ok(out)
    }

    /// The raw samples of a series in `[from, to)` still kept (see `raw_retention`).
    pub fn raw(&self, segment: &str, metric: &str, from: i64, to: i64) -> Result<Vec<(i64, f64)>> {
        let mut out = Vec::new();
        self.each_raw_in(segment, metric, from, to, |run| {
            out.extend(run.iter().filter(|(t, _)| *t >= from && *t < to));
        })?;
        Ok(out)
    }

    /// Count and sum of the raw samples of a series, oldest first, one block at a time.
    pub fn totals(&self, segment: &str, metric: &str) -> Result<Totals> {
        let mut totals = Totals::default();
        self.each_raw(segment, metric, |block| {
            for (_, v) in block {
                totals.count += 1;
                totals.sum += v;
            }
        })?;
        Ok(totals)
    }

    /// Call `f` with each run of raw samples of a series, oldest first (a day at a time).
    pub fn each_raw(
        &self,
        segment: &str,
        metric: &str,
        f: impl FnMut(&[(i64, f64)]),
    ) -> Result<()> {
        self.each_raw_in(segment, metric, i64::MIN / 4, i64::MAX / 4, f)
    }

    fn each_raw_in(
        &self,
        segment: &str,
        metric: &str,
        from: i64,
        to: i64,
        mut f: impl FnMut(&[(i64, f64)]),
    ) -> Result<()> {
        let s = (segment, metric);
        let head = self.latest(segment, metric)?.map(|(t, _)| day_of(t));
        for block in self.blocks(Tag::Raw, s, from, to)? {
            let (day, v) = block?;
            if Some(day) != head {
                f(&codec::decode_raw(&v)?);
            }
        }
        if let Some(day) = head
            && day >= day_of(from)
            && day * DAY_MS < to
        {
            f(&self.day_raw(s, day, head)?);
        }
        Ok(())
    }

    /// Points to chart a series over `[from, to)` with about `columns` columns: raw samples
    /// when the span is short, else each bucket's lowest and highest value (spikes survive).
    pub fn chart(
        &self,
        segment: &str,
        metric: &str,
        from: i64,
        to: i64,
        columns: usize,
    ) -> Result<Vec<(i64, f64)>> {
        match Resolution::for_chart(to - from, columns) {
            None => self.raw(segment, metric, from, to),
            Some(res) => Ok(rollup::points(
                &self.rollups(segment, metric, res, from, to)?,
                res,
            )),
        }
    }
}

impl Samples {
    /// Call `f` with the minute rollups of each day whose raw block `raw_retention` removed,
    /// oldest first: what a backup must carry besides the raw samples.
    pub fn each_rollup_only_day(
        &self,
        segment: &str,
        metric: &str,
        mut f: impl FnMut(Vec<Rollup>),
    ) -> Result<()> {
        let s = (segment, metric);
        for block in self.blocks(Tag::Minutes, s, i64::MIN / 4, i64::MAX / 4)? {
            let (day, v) = block?;
            if self
                .tree
                .get(&keys::at(Tag::Raw, segment, metric, day))?
                .is_none()
            {
                f(codec::decode_rollups(&v)?);
            }
        }
        Ok(())
    }

    /// Write the minute rollups of days that have no raw samples (a restored backup's), with
    /// their hour and day rollups, in one batch. A day that holds raw samples already is left
    /// as it is: its raw samples are the better record (a backup taken as a day was sealed
    /// can hold a day both ways).
    pub fn put_minutes(&self, segment: &str, metric: &str, minutes: &[Rollup]) -> Result<()> {
        let mut by_day: std::collections::BTreeMap<i64, Vec<Rollup>> = Default::default();
        for r in minutes {
            by_day.entry(day_of(r.start_ms)).or_default().push(*r);
        }
        self.read_modify_write(|ops| {
            let head = self.latest(segment, metric)?.map(|(t, _)| day_of(t));
            let since = ops.ops.len();
            let written: std::collections::BTreeSet<i64> = by_day.keys().copied().collect();
            for (day, mut list) in by_day {
                let raw = keys::at(Tag::Raw, segment, metric, day);
                if Some(day) == head || self.tree.get(&raw)?.is_some() {
                    continue;
                }
                list.sort_by_key(|r| r.start_ms);
                let hours = rollup::coarsen(&list, Resolution::Hour);
                self.write_rollups(ops, (segment, metric), day, Some(&list), &hours)?;
            }
            let head = head.unwrap_or(i64::MAX);
            self.index_days(ops, (segment, metric), head, &written, since)
        })
    }
}
