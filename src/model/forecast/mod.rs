//! The live forecast of a slow segment: when will it reach its goal, and how sure is that?
//!
//! **The model.** Real user bases are mixtures: an active core, a slower crowd, and people who
//! will never log in again. The forecast fits `S(D) = w₁(1 − (1 − p₁)^D) + w₂(1 − (1 − p₂)^D)`
//! with weights `w₁, w₂ ≥ 0`, `w₁ + w₂ ≤ 1`; the rest, `1 − w₁ − w₂`, is a share that never logs
//! in. We chose this two-cohort mixture with a free never-share over a gamma-Poisson curve
//! because it holds every population the migration guides describe exactly (one P; an active
//! core plus a dormant tail; a share that never returns), it is the shape `cutover plan`
//! writes from last-login data (so plan and forecast speak the same language), and for fixed
//! `p₁, p₂` the best weights are a small constrained least-squares problem with a closed form.
//! So the fit is exhaustive over a grid of `(p₁, p₂)` pairs (60 log-spaced values from 0.0005
//! to 0.9): no starting point, no local minimum, and each pair keeps running sums, so a new
//! sample costs a pass over the pairs, not over the history.
//!
//! **The range.** Early on, very different mixtures fit the same few days (a tail at 0.002 looks
//! like a smaller tail at 0.004 plus people who never come). Every pair and weighting whose
//! squared error exceeds the best by at most [`RANGE_Q`] times the larger of the best's own
//! error and the points' binomial noise (0.25/size each, summed: daily shares are cumulative,
//! so their errors move together) is kept as consistent with the data; the range is the
//! earliest and latest finish among them, "never within the horizon" included. A confident
//! date is only shown when the data pins it.
//!
//! **The plan as prior.** When the segment has a plan, its curve beyond the observed days is
//! added as pseudo-observations (weight [`PRIOR_WEIGHT`] each): among the mixtures that fit the
//! data, the central forecast prefers the one whose future agrees with the plan. But the plan
//! may not outweigh what the data can tell: where the joint fit errs on the data by more than
//! [`CENTRAL_Q`] times the range's margin beyond the data's best fit, the data is weighed four
//! times more, and again (at most ten times), until it does not (where users churn, a recency plan's future would
//! otherwise hold the central date while the data shows the plan optimistic). The range
//! ignores the prior: a wrong plan cannot narrow it.
//!
//! **Users who leave.** The fit's never-share is what the data implies never returns; [`churn`]
//! sets it beside the plan's, and says why the prior is not thinned by it.

pub mod churn;
mod grid;
mod plateau;
mod remembered;
#[cfg(test)]
mod tests;

pub use grid::fit_mix;

use super::projection::{Cohort, LoginModel};
use grid::{P_STEPS, Quad, Sums, boundary, cohorts_of, finish_day, grid};

/// The longest horizon the forecast looks at, in days (10 years): "never" means not within it.
pub const HORIZON: usize = 3650;
/// Pseudo-observations per prior day.
pub const PRIOR_WEIGHT: f64 = 2.0;
/// The error margin (in units of σ²) within which a fit counts as consistent with the data.
pub const RANGE_Q: f64 = 2.0;
/// How many such margins the central fit may stray from the data toward the plan.
pub const CENTRAL_Q: f64 = 4.0;

/// One pair's fit to the data: the pair, its quadratic, its best weights and their error.
type PairFit = ((usize, usize), Quad, (f64, f64), f64);

/// What the forecast says, in days since cutover.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// The central finish (`None`: never within [`HORIZON`]).
    pub finish: Option<f64>,
    /// The earliest and latest finish consistent with the data (`None`: never).
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Whether the goal is reached within the horizon: known true, known false, or open.
    pub reachable: Option<bool>,
    /// The central fit: its cohorts, the never-share as a cohort with p 0.
    pub cohorts: Vec<Cohort>,
    /// The lowest and highest share consistent with the data at a few days ahead:
    /// (day, low, high), for the chart's band.
    pub band: Vec<(f64, f64, f64)>,
    /// The share already migrated at cutover: the cohorts describe the users not migrated
    /// then, and every share here counts from it.
    pub start: f64,
    /// The share that the best fit to the data alone (no plan) says never comes within the
    /// horizon, of the whole segment: what the data implies, beside what the plan expects.
    pub data_never: f64,
}

impl Forecast {
    /// The central curve: the share at `days` since cutover.
    pub fn share(&self, days: f64) -> f64 {
        self.start + (1.0 - self.start) * LoginModel::Mix(self.cohorts.clone()).share(days)
    }
}

/// What a segment's forecast is for: its goal, its deadline and its size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub goal: f64,
    /// The deadline in days since cutover, if any.
    pub limit: Option<f64>,
    pub size: u64,
}

/// The forecast of one segment, moved forward one daily point at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecaster {
    /// One point per day: (day key, days since cutover, share), oldest first.
    points: Vec<(i64, f64, f64)>,
    /// Sums over every point but the newest (which may still change), built at the first fit
    /// and then moved forward point by point: a forecaster whose answer is recalled
    /// ([`remembered`]) never builds them (14 KB and a pass over the days, per segment).
    done: std::cell::OnceCell<Sums>,
    plan: Option<LoginModel>,
    target: Target,
    /// Binomial noise of one share reading: 0.5 / √size.
    noise: f64,
    /// Central finishes of the forecasts from the first `end` points, for sealed prefixes
    /// (they never change): what the plateau's hysteresis replays.
    finishes: Vec<(usize, Option<f64>)>,
    /// The share already migrated at cutover (see [`Forecaster::from_share`]).
    start: f64,
    /// Bumped by every accepted point: what [`Forecaster::assess`] last answered holds until
    /// it moves (a status asked a hundred times a second fits once).
    version: u64,
    assessed: Option<(u64, Assessed)>,
    /// Whether that answer was worked out from scratch (every plateau replay at the current
    /// points): only such an answer is kept between processes ([`remembered`]).
    assessed_fresh: bool,
}

/// What [`Forecaster::assess`] answers: the forecast and the plateau.
type Assessed = (Option<Forecast>, Option<u64>);

impl Forecaster {
    pub fn new(plan: Option<LoginModel>, target: Target) -> Forecaster {
        Forecaster {
            points: Vec::new(),
            done: std::cell::OnceCell::new(),
            plan,
            target,
            noise: 0.5 / (target.size.max(1) as f64).sqrt(),
            finishes: Vec::new(),
            start: 0.0,
            version: 0,
            assessed: None,
            assessed_fresh: false,
        }
    }

    /// Forecast a cutover that started with `start` of the segment already migrated (a
    /// re-cutover): the fit and the plan describe the users not migrated then, so points are
    /// taken as the share of those users, and every answer is given back in shares of the
    /// whole segment. Call before the first point.
    pub fn from_share(mut self, start: f64) -> Forecaster {
        self.start = if start.is_finite() {
            start.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.assessed = None;
        self
    }

    /// A share of the whole segment as a share of the users not migrated at cutover.
    fn of_rest(&self, share: f64) -> f64 {
        if self.start >= 1.0 {
            return 1.0;
        }
        ((share - self.start) / (1.0 - self.start)).clamp(0.0, 1.0)
    }

    /// A share of the users not migrated at cutover as a share of the whole segment.
    fn of_whole(&self, share: f64) -> f64 {
        self.start + (1.0 - self.start) * share
    }

    /// The newest point of day `key` (days since cutover `d`, share `s`): it replaces an
    /// earlier point of the same day; a point of a later day seals the previous one.
    pub fn push(&mut self, key: i64, d: f64, s: f64) {
        if !(d.is_finite() && s.is_finite()) || d <= 0.0 {
            return;
        }
        let s = self.of_rest(s);
        self.version += 1;
        match self.points.last() {
            Some(last) if last.0 == key => {
                if let Some(last) = self.points.last_mut() {
                    *last = (key, d, s);
                }
            }
            Some(&(k, ld, ls)) if k < key => {
                if let Some(done) = self.done.get_mut() {
                    done.add(ld, ls, 1.0);
                }
                self.points.push((key, d, s));
            }
            None => self.points.push((key, d, s)),
            Some(_) => {
                // An older day changed: rebuild the sums.
                match self.points.binary_search_by_key(&key, |p| p.0) {
                    Ok(i) => self.points[i] = (key, d, s),
                    Err(i) => self.points.insert(i, (key, d, s)),
                }
                self.done = std::cell::OnceCell::new();
                self.finishes.clear();
            }
        }
    }

    /// The sums of the first `end` points.
    fn sums_upto(&self, end: usize) -> Option<Sums> {
        let n = self.points.len();
        if end < 2 || end > n {
            return None;
        }
        // Built in the points' order, as moving forward adds them: the same sums to the bit.
        let mut data = self
            .done
            .get_or_init(|| {
                let mut sums = Sums::new();
                for &(_, d, s) in &self.points[..n - 1] {
                    sums.add(d, s, 1.0);
                }
                sums
            })
            .clone();
        if end == n {
            let (_, d, s) = self.points[n - 1];
            data.add(d, s, 1.0);
        } else {
            for &(_, d, s) in &self.points[end..n - 1] {
                data.add(d, s, -1.0);
            }
        }
        Some(data)
    }

    /// Reached means within half a user of the goal.
    fn reach(&self) -> f64 {
        self.of_rest(self.target.goal - 0.5 / self.target.size.max(1) as f64)
    }

    /// Forecast from the first `end` points only.
    fn forecast_upto(&self, end: usize) -> Option<Forecast> {
        let data = self.sums_upto(end)?;
        self.fit(&data, end, self.reach())
    }

    /// Only the central finish from the first `end` points (what the plateau replays).
    fn finish_upto(&self, end: usize) -> Option<Option<f64>> {
        let data = self.sums_upto(end)?;
        let best = data.best_pair()?.3;
        let (i, j, w) = self.central(&data, end, best)?;
        Some(finish_day(i, j, w, self.reach()))
    }

    /// The margin of a fit consistent with the data, whose best fit errs by `best`. Daily
    /// shares are cumulative, so their errors move together: a curve off by one reading's
    /// noise at every point is as likely as the best. The margin grows with the points, and
    /// with the best fit's own error when the model cannot follow the data.
    fn threshold(&self, data: &Sums, best: f64) -> f64 {
        RANGE_Q * best.max(data.n * self.noise * self.noise)
    }

    /// The central fit from the first `end` points, whose best fit to the data alone errs by
    /// `best`: the pair and weights that fit the data and the plan (beyond the data) together
    /// best, the data weighing four times more (at most ten times over) until the fit errs by
    /// no more than [`CENTRAL_Q`] range margins beyond `best`.
    fn central(&self, data: &Sums, end: usize, best: f64) -> Option<(usize, usize, (f64, f64))> {
        let within = self.threshold(data, best) * CENTRAL_Q;
        let last_d = self.points.get(end.checked_sub(1)?)?.1;
        let mut prior = Sums::new();
        if let Some(plan) = &self.plan {
            for k in 1..=6 {
                let d = (last_d * f64::from(1 << k)).min(HORIZON as f64);
                prior.add(d, plan.share(d), PRIOR_WEIGHT);
            }
        }
        let mut weight = 1.0;
        for _ in 0..=10 {
            let (i, j, w, _) = data.scaled_plus(weight, &prior).best_pair()?;
            if prior.n == 0.0 || data.quad(i, j).at(w) <= best + within {
                return Some((i, j, w));
            }
            weight *= 4.0;
        }
        data.best_pair().map(|(i, j, w, _)| (i, j, w))
    }

    fn fit(&self, data: &Sums, end: usize, goal: f64) -> Option<Forecast> {
        if data.n < 2.0 - 1e-9 {
            return None;
        }
        let last_d = self.points[end - 1].1;
        let pairs = (0..P_STEPS).flat_map(|i| (i + 1..P_STEPS).map(move |j| (i, j)));
        let fits: Vec<PairFit> = pairs
            .map(|(i, j)| {
                let q = data.quad(i, j);
                let w = q.best();
                ((i, j), q, w, q.at(w).max(0.0))
            })
            .collect();
        let best = fits.iter().map(|f| f.3).fold(f64::MAX, f64::min);
        let data_never = fits
            .iter()
            .find(|f| f.3 <= best)
            .map_or(0.0, |&((i, j), _, w, _)| {
                let t = &grid().table;
                (1.0 - w.0 * t[i][HORIZON] - w.1 * t[j][HORIZON]).clamp(0.0, 1.0)
            });
        let margin = self.threshold(data, best);
        let threshold = best + margin;
        let (ci, cj, cw) = self.central(data, end, best)?;
        let finish = finish_day(ci, cj, cw, goal);
        let (mut low, mut high) = (finish, finish);
        let (mut low_curve, mut high_curve) = ((ci, cj, cw), (ci, cj, cw));
        let later = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(x), Some(y)) => x > y,
        };
        for &((i, j), q, w, err) in &fits {
            if err > threshold {
                continue;
            }
            for w in boundary(&q, w, threshold) {
                let f = finish_day(i, j, w, goal);
                if later(low, f) {
                    low = f;
                    low_curve = (i, j, w);
                }
                if later(f, high) {
                    high = f;
                    high_curve = (i, j, w);
                }
            }
        }
        let p = &grid().p;
        let at = |c: (usize, usize, (f64, f64)), d: f64| {
            c.2.0 * (1.0 - (1.0 - p[c.0]).powf(d)) + c.2.1 * (1.0 - (1.0 - p[c.1]).powf(d))
        };
        let band = (0..=96)
            .map(|k| {
                let d = (last_d.max(1.0) * 4.0).min(HORIZON as f64) * f64::from(k) / 96.0;
                let (a, b, c) = (at(low_curve, d), at(high_curve, d), at((ci, cj, cw), d));
                let (lo, hi) = (a.min(b).min(c), a.max(b).max(c));
                // Rounded to what any chart can show (a minute and a millionth of the
                // segment), which keeps a thousand segments' bands from being megabytes of
                // digits in every status and snapshot; never below the share at cutover.
                let share = |s: f64| ((s * 1e6).round() / 1e6).max(self.start);
                (
                    (d * 1e3).round() / 1e3,
                    share(self.of_whole(lo)),
                    share(self.of_whole(hi)),
                )
            })
            .collect();
        let cohorts = cohorts_of(ci, cj, cw);
        Some(Forecast {
            finish,
            low,
            high,
            reachable: match (low, high) {
                (_, Some(_)) => Some(true),
                (None, None) => Some(false),
                _ => None,
            },
            cohorts,
            band,
            start: self.start,
            data_never: (1.0 - self.start) * data_never,
        })
    }
}
