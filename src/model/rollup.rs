//! Summaries of a series over fixed time buckets (a minute, an hour, a day): what a chart, a
//! fit and a status read instead of every sample of a months-long series.
//!
//! Pure code: the store keeps rollups and the engine reads them. A rollup keeps the lowest,
//! highest and last value of its bucket and how many samples it summarises, so two rollups of
//! one bucket merge exactly, and a coarser bucket is the merge of its finer ones. Buckets are
//! aligned on UTC (a day bucket is a UTC calendar day).

use serde::{Deserialize, Serialize};

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 86_400_000;

/// The width of a rollup bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resolution {
    Minute,
    Hour,
    Day,
}

impl Resolution {
    pub const ALL: [Resolution; 3] = [Resolution::Minute, Resolution::Hour, Resolution::Day];

    pub fn millis(self) -> i64 {
        match self {
            Resolution::Minute => MINUTE_MS,
            Resolution::Hour => HOUR_MS,
            Resolution::Day => DAY_MS,
        }
    }

    /// The start of the bucket that holds `t_ms`.
    pub fn bucket_of(self, t_ms: i64) -> i64 {
        t_ms.div_euclid(self.millis()) * self.millis()
    }

    /// The next wider resolution, if any.
    pub fn coarser(self) -> Option<Resolution> {
        match self {
            Resolution::Minute => Some(Resolution::Hour),
            Resolution::Hour => Some(Resolution::Day),
            Resolution::Day => None,
        }
    }

    /// The resolution a chart of `span_ms` over `columns` columns reads: the widest whose
    /// bucket still fits in one column (so the chart gets at least a point per column), or
    /// `None` when even a minute is wider than a column and raw samples are needed.
    pub fn for_chart(span_ms: i64, columns: usize) -> Option<Resolution> {
        let column_ms = span_ms / columns.max(1) as i64;
        Resolution::ALL
            .iter()
            .rev()
            .copied()
            .find(|r| r.millis() <= column_ms)
    }
}

/// The UTC day number (days since 1970-01-01) of a time in ms.
pub fn day_of(t_ms: i64) -> i64 {
    t_ms.div_euclid(DAY_MS)
}

/// One bucket of a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rollup {
    /// Start of the bucket, ms since the epoch.
    pub start_ms: i64,
    pub min: f64,
    pub max: f64,
    /// The value of the newest sample in the bucket, and its time.
    pub last: f64,
    pub last_at_ms: i64,
    /// Samples summarised.
    pub count: u32,
}

impl Rollup {
    /// The rollup of one sample.
    pub fn of(res: Resolution, t_ms: i64, value: f64) -> Rollup {
        Rollup {
            start_ms: res.bucket_of(t_ms),
            min: value,
            max: value,
            last: value,
            last_at_ms: t_ms,
            count: 1,
        }
    }

    /// Fold another rollup of the same bucket (or of a finer bucket inside it) into this one.
    /// On equal times the other's last value wins, as a rewritten sample does.
    pub fn merge(&mut self, other: &Rollup) {
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        if other.last_at_ms >= self.last_at_ms {
            self.last = other.last;
            self.last_at_ms = other.last_at_ms;
        }
        self.count = self.count.saturating_add(other.count);
    }
}

/// Roll time-ordered samples `(t_ms, value)` up into buckets of `res`, oldest first.
pub fn roll(samples: &[(i64, f64)], res: Resolution) -> Vec<Rollup> {
    let mut out: Vec<Rollup> = Vec::new();
    for &(t, v) in samples {
        let r = Rollup::of(res, t, v);
        match out.last_mut() {
            Some(last) if last.start_ms == r.start_ms => last.merge(&r),
            _ => out.push(r),
        }
    }
    out
}

/// Merge time-ordered rollups into buckets of a wider `res`.
pub fn coarsen(rollups: &[Rollup], res: Resolution) -> Vec<Rollup> {
    let mut out: Vec<Rollup> = Vec::new();
    for r in rollups {
        let start = res.bucket_of(r.start_ms);
        match out.last_mut() {
            Some(last) if last.start_ms == start => last.merge(r),
            _ => out.push(Rollup {
                start_ms: start,
                ..*r
            }),
        }
    }
    out
}

/// Merge two time-ordered rollup lists of one resolution into one, bucket by bucket.
pub fn merge_lists(a: &[Rollup], b: &[Rollup]) -> Vec<Rollup> {
    let mut out: Vec<Rollup> = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let next = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.start_ms <= y.start_ms => {
                i += 1;
                x
            }
            (Some(x), None) => {
                i += 1;
                x
            }
            (_, Some(y)) => {
                j += 1;
                y
            }
            (None, None) => break,
        };
        match out.last_mut() {
            Some(last) if last.start_ms == next.start_ms => last.merge(next),
            _ => out.push(*next),
        }
    }
    out
}

/// Points to draw rollups of `res`: each bucket's lowest and highest value (one point when
/// they are equal), at the bucket's middle or its newest sample, whichever is earlier; the
/// one the bucket ends nearer comes second, so a rising series rises.
pub fn points(rollups: &[Rollup], res: Resolution) -> Vec<(i64, f64)> {
    let mut out = Vec::with_capacity(rollups.len() * 2);
    for r in rollups {
        let x = (r.start_ms + res.millis() / 2).min(r.last_at_ms);
        if r.min == r.max {
            out.push((x, r.min));
        } else if (r.last - r.min).abs() >= (r.max - r.last).abs() {
            out.extend([(x, r.min), (x, r.max)]);
        } else {
            out.extend([(x, r.max), (x, r.min)]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_align_on_utc_and_before_the_epoch() {
        assert_eq!(Resolution::Hour.bucket_of(HOUR_MS + 5), HOUR_MS);
        assert_eq!(Resolution::Day.bucket_of(-1), -DAY_MS);
        assert_eq!(day_of(-1), -1);
        assert_eq!(day_of(DAY_MS), 1);
    }

    #[test]
    fn coarsening_minutes_equals_rolling_raw_into_hours() {
        let samples: Vec<(i64, f64)> = (0..500)
            .map(|i| (i * 30_000, ((i * 7919) % 101) as f64))
            .collect();
        let minutes = roll(&samples, Resolution::Minute);
        assert_eq!(minutes.len(), 250);
        assert_eq!(
            coarsen(&minutes, Resolution::Hour),
            roll(&samples, Resolution::Hour)
        );
        let hours = roll(&samples, Resolution::Hour);
        assert_eq!(hours.iter().map(|r| r.count).sum::<u32>(), 500);
        assert_eq!(hours[0].last, samples[119].1);
    }

    #[test]
    fn merging_lists_combines_shared_buckets() {
        let a = roll(&[(0, 1.0), (HOUR_MS, 5.0)], Resolution::Hour);
        let b = roll(&[(10, -2.0), (2 * HOUR_MS, 3.0)], Resolution::Hour);
        let m = merge_lists(&a, &b);
        assert_eq!(m.len(), 3);
        assert_eq!(
            (m[0].min, m[0].max, m[0].last, m[0].count),
            (-2.0, 1.0, -2.0, 2)
        );
    }

    #[test]
    fn a_chart_reads_the_widest_bucket_that_fits_a_column() {
        assert_eq!(
            Resolution::for_chart(180 * DAY_MS, 512),
            Some(Resolution::Hour)
        );
        assert_eq!(
            Resolution::for_chart(5 * DAY_MS, 512),
            Some(Resolution::Minute)
        );
        assert_eq!(Resolution::for_chart(HOUR_MS, 512), None);
        assert_eq!(
            Resolution::for_chart(3000 * DAY_MS, 512),
            Some(Resolution::Day)
        );
    }
}
