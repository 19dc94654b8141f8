//! The adoption view of each segment in cutover, kept in the engine and moved forward by each
//! new `migrated` sample, so a poll, a status and a cockpit refresh never reread a segment's
//! history.
//!
//! A view holds the segment's day rollups since its cutover (what the fit and the plateau
//! read) and, once a chart has been asked for, chart buckets: raw samples while the segment
//! is a few hours into cutover, then minute, hour and day rollups, coarsened in memory as the
//! span grows so there are never more than [`MAX_BUCKETS`]. It is built from the store's
//! rollups once (a few hundred keys for months of history) and dropped whenever the segment's
//! log moves (its cutover moment or size may have changed) or samples are imported into it.

use super::view::{SERIES_POINTS, days_between};
use super::{Engine, MIGRATED};
use crate::model::forecast::{Forecast, Forecaster, Target};
use crate::model::rollup::{self, DAY_MS, HOUR_MS, Resolution, Rollup};
use crate::model::series;
use crate::store::StoreError;
use chrono::{DateTime, Utc};

/// Chart buckets kept per segment at most (about 350 KB).
pub const MAX_BUCKETS: usize = 8192;
/// Under this span since cutover a chart reads raw samples.
const RAW_SPAN_MS: i64 = 4 * HOUR_MS;

/// Rollups of one resolution (`None`: raw samples, one per "bucket"), oldest first.
#[derive(Debug, Clone)]
struct Buckets {
    res: Option<Resolution>,
    list: Vec<Rollup>,
}

impl Buckets {
    fn push(&mut self, t: i64, v: f64) {
        let one = match self.res {
            Some(res) => Rollup::of(res, t, v),
            None => Rollup::of(Resolution::Minute, t, v),
        };
        let start = if self.res.is_some() { one.start_ms } else { t };
        let one = Rollup {
            start_ms: start,
            ..one
        };
        match self.list.binary_search_by_key(&start, |r| r.start_ms) {
            Ok(i) if self.res.is_none() => self.list[i] = one,
            Ok(i) => self.list[i].merge(&one),
            Err(i) => self.list.insert(i, one),
        }
        while self.list.len() > MAX_BUCKETS
            && let Some(wider) = self
                .res
                .map_or(Some(Resolution::Minute), Resolution::coarser)
        {
            self.list = rollup::coarsen(&self.list, wider);
            self.res = Some(wider);
        }
    }

    /// (time, value) points to draw.
    fn points(&self) -> Vec<(i64, f64)> {
        match self.res {
            Some(res) => rollup::points(&self.list, res),
            None => self.list.iter().map(|r| (r.start_ms, r.last)).collect(),
        }
    }
}

/// What the engine keeps of one segment's adoption.
#[derive(Debug, Clone)]
pub struct Adoption {
    cutover_ms: i64,
    cutover_at: DateTime<Utc>,
    base: f64,
    daily: Buckets,
    chart: Option<Buckets>,
    /// The forecast, fed each day's newest point.
    forecaster: Forecaster,
    /// Its current answer is the one kept in the state (recalled from it, or written).
    kept: bool,
}

impl Adoption {
    fn share(&self, v: f64) -> f64 {
        (v / self.base).clamp(0.0, 1.0)
    }

    fn to_point(&self, t: i64, v: f64) -> (f64, f64) {
        let at = DateTime::from_timestamp_millis(t).unwrap_or(self.cutover_at);
        (days_between(self.cutover_at, at).max(0.0), self.share(v))
    }

    /// A new `migrated` sample.
    pub fn push(&mut self, t: i64, v: f64) {
        if t < self.cutover_ms {
            return;
        }
        self.daily.push(t, v);
        if let Some(chart) = &mut self.chart {
            chart.push(t, v);
        }
        let day = Resolution::Day.bucket_of(t);
        if let Ok(i) = self.daily.list.binary_search_by_key(&day, |r| r.start_ms) {
            let r = self.daily.list[i];
            let (d, s) = self.to_point(r.last_at_ms, r.last);
            self.forecaster.push(day / DAY_MS, d, s);
            self.kept = false;
        }
    }

    /// The forecast of the segment's goal, and the plateau (users who would remain), if on.
    pub fn assess(&mut self) -> (Option<Forecast>, Option<u64>) {
        self.forecaster.assess()
    }

    /// (days since cutover, share) of each day's last sample: the fit's and plateau's input.
    pub fn daily(&self) -> Vec<(f64, f64)> {
        self.daily
            .list
            .iter()
            .filter(|r| r.last_at_ms >= self.cutover_ms)
            .map(|r| self.to_point(r.last_at_ms, r.last))
            .collect()
    }

    /// The chart a client is sent: at most [`SERIES_POINTS`] (days since cutover, share).
    pub fn client_points(&self) -> Vec<(f64, f64)> {
        let Some(chart) = &self.chart else {
            return Vec::new();
        };
        let points: Vec<(f64, f64)> = chart
            .points()
            .into_iter()
            .map(|(t, v)| self.to_point(t, v))
            .collect();
        if points.len() <= SERIES_POINTS {
            return points;
        }
        let last = points.last().map_or(1.0, |p| p.0);
        series::min_max(&points, 0.0, last, SERIES_POINTS / 2)
    }
}

impl Engine {
    /// Run `f` on the adoption view of a segment (built first if needed; with its chart if
    /// `chart`). `None` before cutover.
    ///
    /// The view is taken out of the map while `f` runs and put back after, so many segments
    /// are built and fitted at once. That is safe because only the owner's loop uses the
    /// engine, and when it spreads work on several threads ([`super::spread`]) each segment
    /// is on one of them: never call this for one segment from two threads at once (a sample
    /// or a forget in between would be undone).
    pub(crate) fn with_adoption<R>(
        &self,
        segment: &str,
        chart: bool,
        now: DateTime<Utc>,
        f: impl FnOnce(&mut Adoption) -> R,
    ) -> Result<Option<R>, StoreError> {
        let lock = || self.adoption.lock().unwrap_or_else(|e| e.into_inner());
        // Worked on outside the lock, and put back after: a status builds and fits many
        // segments' views at once, on several threads (each segment on one of them).
        let taken = lock().remove(segment);
        let mut view = match taken {
            Some(view) => view,
            None => match self.build_adoption(segment)? {
                Some(view) => view,
                None => return Ok(None),
            },
        };
        let charted = if chart && view.chart.is_none() {
            self.chart_buckets(segment, view.cutover_ms, now)
                .map(|buckets| view.chart = Some(buckets))
        } else {
            Ok(())
        };
        let out = charted.is_ok().then(|| f(&mut view));
        lock().insert(segment.to_string(), view);
        charted?;
        Ok(out)
    }

    /// The chart buckets of a view from its cutover to `now` (see [`MAX_BUCKETS`]).
    fn chart_buckets(
        &self,
        segment: &str,
        cutover_ms: i64,
        now: DateTime<Utc>,
    ) -> Result<Buckets, StoreError> {
        let span = now.timestamp_millis() - cutover_ms;
        let res = if span < RAW_SPAN_MS {
            None
        } else {
            [Resolution::Minute, Resolution::Hour]
                .into_iter()
                .find(|r| span / r.millis() <= MAX_BUCKETS as i64)
                .or(Some(Resolution::Day))
        };
        let mut buckets = self.read(segment, res, cutover_ms)?;
        while buckets.list.len() > MAX_BUCKETS
            && let Some(wider) = buckets
                .res
                .map_or(Some(Resolution::Minute), Resolution::coarser)
        {
            buckets.list = rollup::coarsen(&buckets.list, wider);
            buckets.res = Some(wider);
        }
        Ok(buckets)
    }

    /// A segment's view from the store (`None` before cutover).
    fn build_adoption(&self, segment: &str) -> Result<Option<Adoption>, StoreError> {
        let state = self.state(segment);
        let (Some(at), Some(seg)) = (state.cutover_at, self.project().segment(segment)) else {
            return Ok(None);
        };
        let from = at.timestamp_millis();
        let daily = self.read(segment, Some(Resolution::Day), from)?;
        let base = state.size_at_cutover.unwrap_or(seg.size).max(1);
        let mut view = Adoption {
            cutover_ms: from,
            cutover_at: at,
            base: base as f64,
            daily,
            chart: None,
            forecaster: Forecaster::new(
                self.plan_of(segment),
                Target {
                    goal: seg.goal,
                    limit: seg.deadline.and_then(|d| {
                        let end = d.succ_opt()?.and_hms_opt(0, 0, 0)?.and_utc();
                        Some(days_between(at, end))
                    }),
                    size: base,
                },
            )
            .from_share(state.start_share()),
            kept: false,
        };
        for r in view.daily.list.clone() {
            if r.last_at_ms >= from {
                let (d, s) = view.to_point(r.last_at_ms, r.last);
                view.forecaster.push(r.start_ms.div_euclid(DAY_MS), d, s);
            }
        }
        // The answer a process before this one fitted from the same inputs, if kept.
        if let Ok(Some(bytes)) = self.store().notes().forecast(segment) {
            view.kept = view.forecaster.recall(&bytes);
        }
        Ok(Some(view))
    }

    fn read(
        &self,
        segment: &str,
        res: Option<Resolution>,
        from: i64,
    ) -> Result<Buckets, StoreError> {
        let samples = self.store().samples();
        let to = i64::MAX / 4;
        let corrupt = |e| crate::store::sample_error(self.store().dir(), e);
        let list = match res {
            Some(res) => samples
                .rollups(segment, MIGRATED, res, from, to)
                .map_err(corrupt)?,
            None => samples
                .raw(segment, MIGRATED, from, to)
                .map_err(corrupt)?
                .into_iter()
                .map(|(t, v)| Rollup {
                    start_ms: t,
                    ..Rollup::of(Resolution::Minute, t, v)
                })
                .collect(),
        };
        Ok(Buckets { res, list })
    }

    /// Move a segment's view forward with a new sample (if the view is built).
    pub(crate) fn advance_adoption(&self, segment: &str, metric: &str, at: DateTime<Utc>, v: f64) {
        if metric != MIGRATED {
            return;
        }
        let mut views = self.adoption.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(view) = views.get_mut(segment) {
            view.push(at.timestamp_millis(), v);
        }
    }

    /// Keep a segment's freshly fitted forecast in the state, for the next process to recall
    /// instead of fitting (see `model::forecast::remembered`). A failure (a read-only role on
    /// the team backend) only costs the next process a fit.
    pub(crate) fn keep_forecast(&self, segment: &str) {
        // A viewer's role on the team backend may not write: not even tried, per segment.
        if self
            .store()
            .coordination()
            .is_some_and(|c| !c.session().writes)
        {
            return;
        }
        let bytes = {
            let mut views = self.adoption.lock().unwrap_or_else(|e| e.into_inner());
            let Some(view) = views.get_mut(segment).filter(|v| !v.kept) else {
                return;
            };
            let Some(bytes) = view.forecaster.remembered() else {
                return;
            };
            view.kept = true;
            bytes
        };
        if let Err(e) = self.store().notes().set_forecast(segment, &bytes) {
            tracing::debug!("cannot keep the forecast of {segment}: {e}");
        }
    }

    /// Forget a segment's view (its log moved, or samples were imported into it).
    pub(crate) fn forget_adoption(&self, segment: &str) {
        let mut views = self.adoption.lock().unwrap_or_else(|e| e.into_inner());
        views.remove(segment);
    }

    /// (days since cutover, share) per day since cutover, each day's last sample: the fit's
    /// and the plateau's input, and the series a snapshot carries (see [`super::view`]).
    pub fn daily_adoption(
        &self,
        segment: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<(f64, f64)>, StoreError> {
        Ok(self
            .with_adoption(segment, false, now, |a| a.daily())?
            .unwrap_or_default())
    }

    /// The adoption chart a client is sent (at most [`SERIES_POINTS`] points).
    pub fn client_series(
        &self,
        segment: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<(f64, f64)>, StoreError> {
        Ok(self
            .with_adoption(segment, true, now, |a| a.client_points())?
            .unwrap_or_default())
    }
}
