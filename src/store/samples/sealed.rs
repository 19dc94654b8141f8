//! Sealed days: how a day becomes one compressed block of raw samples with its rollups
//! (when the head moves on, or when an import or a restore writes a whole day at once), and how
//! `raw_retention` drops old blocks while keeping their minute rollups.

use super::codec::{self, CodecError};
use super::keys::{self, Tag};
use super::{Result, Samples, merge_raw};
use crate::model::rollup::{self, Resolution, Rollup, roll};
use crate::store::kv::Batch;

impl Samples {
    /// Turn the head day into a sealed day (with `extra` samples of that day merged in).
    pub(super) fn seal(
        &self,
        ops: &mut Batch,
        s: (&str, &str),
        day: i64,
        head: i64,
        extra: &[(i64, f64)],
    ) -> Result<()> {
        let head_keys = self.head(s.0, s.1, day)?;
        if head_keys.is_empty() && extra.is_empty() {
            // Written as a block already (an import): sealed as it is.
            return Ok(());
        }
        for &(t, _) in &head_keys {
            ops.remove(keys::at(Tag::Head, s.0, s.1, t));
        }
        let raw = merge_raw(self.day_raw(s, day, Some(day))?, extra);
        self.write_day(ops, s, day, head, &raw)
    }

    /// Add samples to a day as a block: a day older than the head, or many samples at once
    /// (an import) into the head day, whose head keys then move into the block.
    pub(super) fn write_sealed(
        &self,
        ops: &mut Batch,
        s: (&str, &str),
        day: i64,
        head: i64,
        list: &[(i64, f64)],
    ) -> Result<()> {
        if day == head {
            return self.seal(ops, s, day, head, list);
        }
        if let Some(block) = self.tree.get(&keys::at(Tag::Raw, s.0, s.1, day))? {
            let raw = merge_raw(codec::decode_raw(&block)?, list);
            return self.write_day(ops, s, day, head, &raw);
        }
        if self.tree.get(&keys::at(Tag::Day, s.0, s.1, day))?.is_none() {
            return self.write_day(ops, s, day, head, list);
        }
        // The day's raw block is gone (raw_retention): only its rollups can take the samples.
        let minutes = match self.tree.get(&keys::at(Tag::Minutes, s.0, s.1, day))? {
            Some(block) => codec::decode_rollups(&block)?,
            None => Vec::new(),
        };
        let minutes = rollup::merge_lists(&minutes, &roll(list, Resolution::Minute));
        let hours = rollup::merge_lists(&self.hours(s, day)?, &roll(list, Resolution::Hour));
        self.write_rollups(ops, s, day, Some(&minutes), &hours)
    }

    /// Write a whole day from its raw samples.
    fn write_day(
        &self,
        ops: &mut Batch,
        s: (&str, &str),
        day: i64,
        head: i64,
        raw: &[(i64, f64)],
    ) -> Result<()> {
        let key = keys::at(Tag::Raw, s.0, s.1, day);
        let minutes = roll(raw, Resolution::Minute);
        let hours = rollup::coarsen(&minutes, Resolution::Hour);
        if self
            .raw_retention_days
            .is_none_or(|keep| day >= head - keep)
        {
            ops.insert(key, codec::encode_raw(raw)?);
            self.write_rollups(ops, s, day, None, &hours)
        } else {
            ops.remove(key);
            self.write_rollups(ops, s, day, Some(&minutes), &hours)
        }
    }

    /// Write a day's rollups: its minutes only for a day without raw samples (`None` removes
    /// the minute block a state written before this layout keeps beside its raw block).
    pub(super) fn write_rollups(
        &self,
        ops: &mut Batch,
        s: (&str, &str),
        day: i64,
        minutes: Option<&[Rollup]>,
        hours: &[Rollup],
    ) -> Result<()> {
        let (segment, metric) = s;
        let minutes_key = keys::at(Tag::Minutes, segment, metric, day);
        match minutes {
            Some(minutes) => ops.insert(minutes_key, codec::encode_rollups(minutes)?),
            None => ops.remove(minutes_key),
        }
        ops.insert(
            keys::at(Tag::Hours, segment, metric, day),
            codec::encode_rollups(hours)?,
        );
        let days = rollup::coarsen(hours, Resolution::Day);
        ops.insert(
            keys::at(Tag::Day, segment, metric, day),
            codec::encode_fixed(&days),
        );
        Ok(())
    }

    /// Delete raw blocks older than the retention behind `head`, keeping each day's minute
    /// rollups in its place (a state written before this layout has them already).
    pub(super) fn drop_old_raw(&self, ops: &mut Batch, s: (&str, &str), head: i64) -> Result<()> {
        let Some(keep) = self.raw_retention_days else {
            return Ok(());
        };
        let lo = keys::prefix(Tag::Raw, s.0, s.1);
        let hi = keys::at(Tag::Raw, s.0, s.1, head - keep);
        for (k, v) in self.tree.range(&lo, &hi)? {
            let day = keys::number(&k).ok_or_else(|| CodecError::new("a block key has no day"))?;
            let minutes = keys::at(Tag::Minutes, s.0, s.1, day);
            if self.tree.get(&minutes)?.is_none() {
                let rolled = roll(&codec::decode_raw(&v)?, Resolution::Minute);
                ops.insert(minutes, codec::encode_rollups(&rolled)?);
            }
            ops.remove(k);
        }
        Ok(())
    }
}
