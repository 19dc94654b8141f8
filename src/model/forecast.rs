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
//! So the fit is exhaustive over a grid of `(p₁, p₂)` pairs (36 log-spaced values from 0.0005
//! to 0.9): no starting point, no local minimum, and each pair keeps running sums, so a new
//! sample costs a pass over the pairs, not over the history.
//!
//! **The range.** Early on, very different mixtures fit the same few days (a tail at 0.002 looks
//! like a smaller tail at 0.004 plus people who never come). Every pair and weighting whose
//! error is within `RANGE_Q · σ²` of the best is kept as consistent with the data (σ² is the
//! best fit's error per point, or binomial noise, whichever is larger); the range is the
//! earliest and latest finish among them, "never within the horizon" included. A confident
//! date is only shown when the data pins it.
//!
//! **The plan as prior.** When the segment has a plan, its curve beyond the observed days is
//! added as pseudo-observations (weight [`PRIOR_WEIGHT`] each): among the mixtures that fit the
//! data, the central forecast prefers the one whose future agrees with the plan. The range
//! ignores the prior: a wrong plan cannot narrow it.

use super::projection::{Cohort, LoginModel};
use std::sync::OnceLock;

/// The longest horizon the forecast looks at, in days (10 years): "never" means not within it.
pub const HORIZON: usize = 3650;
/// Pseudo-observations per prior day.
pub const PRIOR_WEIGHT: f64 = 2.0;
/// The error margin (in units of σ²) within which a fit counts as consistent with the data.
pub const RANGE_Q: f64 = 6.0;
const P_STEPS: usize = 36;
const P_MIN: f64 = 0.0005;
const P_MAX: f64 = 0.9;
/// Points on the boundary of each pair's consistent weights that the range tries.
const ANGLES: usize = 16;

struct Grid {
    p: Vec<f64>,
    /// `1 − (1 − p)^D` for each p and each whole day D in 0..=HORIZON.
    table: Vec<Vec<f64>>,
}

fn grid() -> &'static Grid {
    static GRID: OnceLock<Grid> = OnceLock::new();
    GRID.get_or_init(|| {
        let ratio = (P_MAX / P_MIN).powf(1.0 / (P_STEPS - 1) as f64);
        let p: Vec<f64> = (0..P_STEPS).map(|i| P_MIN * ratio.powi(i as i32)).collect();
        let table = p
            .iter()
            .map(|&p| (0..=HORIZON).map(|d| 1.0 - (1.0 - p).powi(d as i32)).collect())
            .collect();
        Grid { p, table }
    })
}

fn curve(p: f64, d: f64) -> f64 {
    if d <= 0.0 { 0.0 } else { 1.0 - (1.0 - p).powf(d) }
}

/// Running sums of a least-squares fit, per p (`sg`) and per pair (`gg`, upper triangle).
#[derive(Debug, Clone, PartialEq)]
struct Sums {
    n: f64,
    ss: f64,
    sg: Vec<f64>,
    gg: Vec<f64>,
}

fn pair_index(i: usize, j: usize) -> usize {
    // Row-major upper triangle including the diagonal.
    i * P_STEPS - i * (i + 1) / 2 + j
}

impl Sums {
    fn new() -> Sums {
        Sums {
            n: 0.0,
            ss: 0.0,
            sg: vec![0.0; P_STEPS],
            gg: vec![0.0; P_STEPS * (P_STEPS + 1) / 2],
        }
    }

    /// Add a point (days, share) with weight `w`.
    fn add(&mut self, d: f64, s: f64, w: f64) {
        let g: Vec<f64> = grid().p.iter().map(|&p| curve(p, d)).collect();
        self.n += w;
        self.ss += w * s * s;
        for i in 0..P_STEPS {
            self.sg[i] += w * s * g[i];
            for j in i..P_STEPS {
                self.gg[pair_index(i, j)] += w * g[i] * g[j];
            }
        }
    }

    fn plus(&self, other: &Sums) -> Sums {
        let zip = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x + y).collect();
        Sums {
            n: self.n + other.n,
            ss: self.ss + other.ss,
            sg: zip(&self.sg, &other.sg),
            gg: zip(&self.gg, &other.gg),
        }
    }

    /// The quadratic of pair (i, j): (A, b, c) of `c − 2bᵀw + wᵀAw`.
    fn quad(&self, i: usize, j: usize) -> Quad {
        Quad {
            a11: self.gg[pair_index(i, i)],
            a12: self.gg[pair_index(i, j)],
            a22: self.gg[pair_index(j, j)],
            b1: self.sg[i],
            b2: self.sg[j],
            c: self.ss,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Quad {
    a11: f64,
    a12: f64,
    a22: f64,
    b1: f64,
    b2: f64,
    c: f64,
}

impl Quad {
    fn at(&self, w: (f64, f64)) -> f64 {
        self.c - 2.0 * (self.b1 * w.0 + self.b2 * w.1)
            + self.a11 * w.0 * w.0
            + 2.0 * self.a12 * w.0 * w.1
            + self.a22 * w.1 * w.1
    }

    /// The weights in the triangle w ≥ 0, w₁ + w₂ ≤ 1 that minimise the error.
    fn best(&self) -> (f64, f64) {
        let mut candidates = vec![
            ((self.b1 / self.a11.max(1e-300)).clamp(0.0, 1.0), 0.0),
            (0.0, (self.b2 / self.a22.max(1e-300)).clamp(0.0, 1.0)),
        ];
        let curv = self.a11 - 2.0 * self.a12 + self.a22;
        if curv > 1e-300 {
            let t = ((self.b1 - self.b2 - self.a12 + self.a22) / curv).clamp(0.0, 1.0);
            candidates.push((t, 1.0 - t));
        }
        let det = self.a11 * self.a22 - self.a12 * self.a12;
        if det > 1e-12 * self.a11 * self.a22 {
            let w = (
                (self.a22 * self.b1 - self.a12 * self.b2) / det,
                (self.a11 * self.b2 - self.a12 * self.b1) / det,
            );
            if w.0 >= 0.0 && w.1 >= 0.0 && w.0 + w.1 <= 1.0 {
                candidates.push(w);
            }
        }
        candidates
            .into_iter()
            .min_by(|x, y| self.at(*x).total_cmp(&self.at(*y)))
            .unwrap_or((0.0, 0.0))
    }
}

/// The first whole day on which `w₁g₁ + w₂g₂` reaches `goal`, or `None` within the horizon.
fn finish_day(i: usize, j: usize, w: (f64, f64), goal: f64) -> Option<f64> {
    let t = &grid().table;
    let s = |d: usize| w.0 * t[i][d] + w.1 * t[j][d];
    if s(HORIZON) < goal {
        return None;
    }
    let (mut lo, mut hi) = (0usize, HORIZON);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if s(mid) >= goal { hi = mid } else { lo = mid + 1 }
    }
    Some(lo as f64)
}

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
}

impl Forecast {
    /// The central curve: the share at `days` since cutover.
    pub fn share(&self, days: f64) -> f64 {
        LoginModel::Mix(self.cohorts.clone()).share(days)
    }
}

/// The forecast of one segment, moved forward one daily point at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecaster {
    /// One point per day: (day key, days since cutover, share), oldest first.
    points: Vec<(i64, f64, f64)>,
    /// Sums over every point but the newest (which may still change).
    done: Sums,
    plan: Option<LoginModel>,
    /// Binomial noise of one share reading: 0.5 / √size.
    noise: f64,
}

/// Daily points needed before the plateau may speak.
const PLATEAU_MIN_DAYS: usize = 5;
/// Daily forecasts the plateau's hysteresis replays.
const PLATEAU_WINDOW: usize = 7;

impl Forecaster {
    pub fn new(plan: Option<LoginModel>, size: u64) -> Forecaster {
        Forecaster {
            points: Vec::new(),
            done: Sums::new(),
            plan,
            noise: 0.5 / (size.max(1) as f64).sqrt(),
        }
    }

    /// The newest point of day `key` (days since cutover `d`, share `s`): it replaces an
    /// earlier point of the same day; a point of a later day seals the previous one.
    pub fn push(&mut self, key: i64, d: f64, s: f64) {
        if !(d.is_finite() && s.is_finite()) || d <= 0.0 {
            return;
        }
        match self.points.last() {
            Some(last) if last.0 == key => {
                if let Some(last) = self.points.last_mut() {
                    *last = (key, d, s);
                }
            }
            Some(&(k, ld, ls)) if k < key => {
                self.done.add(ld, ls, 1.0);
                self.points.push((key, d, s));
            }
            None => self.points.push((key, d, s)),
            Some(_) => {
                // An older day changed: rebuild the sums.
                match self.points.binary_search_by_key(&key, |p| p.0) {
                    Ok(i) => self.points[i] = (key, d, s),
                    Err(i) => self.points.insert(i, (key, d, s)),
                }
                self.done = Sums::new();
                for &(_, d, s) in &self.points[..self.points.len() - 1] {
                    self.done.add(d, s, 1.0);
                }
            }
        }
    }

    /// Forecast `goal` from every point; `None` until two days of data.
    pub fn forecast(&self, goal: f64) -> Option<Forecast> {
        self.forecast_upto(self.points.len(), goal)
    }

    /// Forecast from the first `end` points only.
    fn forecast_upto(&self, end: usize, goal: f64) -> Option<Forecast> {
        let n = self.points.len();
        if end < 2 || end > n {
            return None;
        }
        let mut data = self.done.clone();
        if end == n {
            let (_, d, s) = self.points[n - 1];
            data.add(d, s, 1.0);
        } else {
            for &(_, d, s) in &self.points[end..n - 1] {
                data.add(d, s, -1.0);
            }
        }
        self.fit(&data, self.points[end - 1].1, goal)
    }

    /// The plateau: at the current pace the goal is not reached by `limit` days since cutover
    /// (the deadline), or never within the horizon when there is no deadline. Returns the
    /// users who would remain. Hysteresis: it turns on after two daily forecasts in a row say
    /// so, and off after two in a row finish at least 3 days before the limit; the last
    /// [`PLATEAU_WINDOW`] days are replayed, so the answer is the same however often asked.
    pub fn plateau(&self, goal: f64, limit: Option<f64>, size: u64) -> Option<u64> {
        let n = self.points.len();
        if n < PLATEAU_MIN_DAYS {
            return None;
        }
        let first = (n + 1).saturating_sub(PLATEAU_WINDOW).max(PLATEAU_MIN_DAYS);
        let (mut on, mut streak, mut last) = (false, 0, None);
        for end in first..=n {
            let f = self.forecast_upto(end, goal)?;
            let (short, clear) = match limit {
                Some(l) => (
                    f.finish.is_none_or(|x| x > l),
                    f.finish.is_some_and(|x| x <= l - 3.0),
                ),
                None => (f.finish.is_none(), f.finish.is_some()),
            };
            streak = if (!on && short) || (on && clear) { streak + 1 } else { 0 };
            if streak >= 2 {
                on = !on;
                streak = 0;
            }
            last = Some(f);
        }
        let f = last?;
        let at = limit.unwrap_or(HORIZON as f64);
        on.then(|| ((1.0 - f.share(at)).max(0.0) * size as f64).round() as u64)
    }

    fn fit(&self, data: &Sums, last_d: f64, goal: f64) -> Option<Forecast> {
        if data.n < 2.0 - 1e-9 {
            return None;
        }
        let mut prior = Sums::new();
        if let Some(plan) = &self.plan {
            for k in 1..=6 {
                let d = (last_d * f64::from(1 << k)).min(HORIZON as f64);
                prior.add(d, plan.share(d), PRIOR_WEIGHT);
            }
        }
        let guided = data.plus(&prior);
        let pairs = (0..P_STEPS).flat_map(|i| (i + 1..P_STEPS).map(move |j| (i, j)));
        let fits: Vec<((usize, usize), Quad, (f64, f64), f64)> = pairs
            .map(|(i, j)| {
                let q = data.quad(i, j);
                let w = q.best();
                ((i, j), q, w, q.at(w).max(0.0))
            })
            .collect();
        let best = fits.iter().map(|f| f.3).fold(f64::MAX, f64::min);
        let sigma2 = (best / (data.n - 3.0).max(1.0)).max(self.noise * self.noise);
        let threshold = best + RANGE_Q * sigma2;
        // Central: the pair that fits data and plan together best.
        let ((ci, cj), cw) = (0..P_STEPS)
            .flat_map(|i| (i + 1..P_STEPS).map(move |j| (i, j)))
            .map(|(i, j)| {
                let q = guided.quad(i, j);
                let w = q.best();
                ((i, j), w, q.at(w))
            })
            .min_by(|a, b| a.2.total_cmp(&b.2))
            .map(|(p, w, _)| (p, w))?;
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
        let t = &grid().table;
        let at = |c: (usize, usize, (f64, f64)), d: usize| c.2.0 * t[c.0][d] + c.2.1 * t[c.1][d];
        let band = (0..=48)
            .map(|k| {
                let d = ((last_d.max(1.0) * 4.0).min(HORIZON as f64) * f64::from(k) / 48.0) as usize;
                let (a, b) = (at(low_curve, d), at(high_curve, d));
                (d as f64, a.min(b).min(at((ci, cj, cw), d)), a.max(b).max(at((ci, cj, cw), d)))
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
        })
    }
}

/// The two-cohort mix with a never-share that best fits a whole curve `(D, S(D))` (e.g. the
/// recency curve of a last-login export), and its root-mean-square error in share points.
/// Cohorts with a negligible share are left out; the never-share is a cohort with p 0.
pub fn fit_mix(points: &[(f64, f64)]) -> Option<(Vec<Cohort>, f64)> {
    let mut sums = Sums::new();
    for &(d, s) in points {
        if d > 0.0 && d.is_finite() && s.is_finite() {
            sums.add(d, s, 1.0);
        }
    }
    if sums.n < 1.0 {
        return None;
    }
    let ((i, j), w, err) = (0..P_STEPS)
        .flat_map(|i| (i + 1..P_STEPS).map(move |j| (i, j)))
        .map(|(i, j)| {
            let q = sums.quad(i, j);
            let w = q.best();
            ((i, j), w, q.at(w).max(0.0))
        })
        .min_by(|a, b| a.2.total_cmp(&b.2))?;
    Some((cohorts_of(i, j, w), (err / sums.n).sqrt()))
}

fn cohorts_of(i: usize, j: usize, w: (f64, f64)) -> Vec<Cohort> {
    let p = &grid().p;
    let mut cohorts = vec![Cohort { share: w.0, p: p[i] }, Cohort { share: w.1, p: p[j] }];
    cohorts.retain(|c| c.share > 1e-4);
    let never = 1.0 - w.0 - w.1;
    if never > 1e-4 {
        cohorts.push(Cohort { share: never, p: 0.0 });
    }
    // Shares that sum to 1 exactly, as a plan must.
    let total: f64 = cohorts.iter().map(|c| c.share).sum();
    for c in &mut cohorts {
        c.share /= total;
    }
    cohorts
}

/// Weights on the edge of what the data allows for one pair (`err ≤ threshold`), clipped to
/// the triangle, and the best weights themselves.
fn boundary(q: &Quad, best: (f64, f64), threshold: f64) -> Vec<(f64, f64)> {
    let mut out = vec![best];
    let det = q.a11 * q.a22 - q.a12 * q.a12;
    let slack = threshold - q.at(best);
    if det <= 1e-12 * q.a11 * q.a22 || slack <= 0.0 {
        return out;
    }
    // (w − best)ᵀA(w − best) = slack; A = LLᵀ, so w = best + √slack · L⁻ᵀu.
    let l11 = q.a11.sqrt();
    let l21 = q.a12 / l11;
    let l22 = (q.a22 - l21 * l21).max(1e-300).sqrt();
    for k in 0..ANGLES {
        let a = std::f64::consts::TAU * k as f64 / ANGLES as f64;
        let (u1, u2) = (a.cos() * slack.sqrt(), a.sin() * slack.sqrt());
        // Solve Lᵀ v = u.
        let v2 = u2 / l22;
        let v1 = (u1 - l21 * v2) / l11;
        // Walk from the best weights towards the boundary, stopping at the triangle's edge:
        // every point on the way fits (the consistent set is convex).
        let mut t: f64 = 1.0;
        if v1 < 0.0 {
            t = t.min(best.0 / -v1);
        }
        if v2 < 0.0 {
            t = t.min(best.1 / -v2);
        }
        if v1 + v2 > 0.0 {
            t = t.min((1.0 - best.0 - best.1).max(0.0) / (v1 + v2));
        }
        let t = t.max(0.0);
        out.push(((best.0 + t * v1).max(0.0), (best.1 + t * v2).max(0.0)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::projection::mix_share;

    fn run(cohorts: &[Cohort], days: usize, goal: f64, plan: Option<LoginModel>) -> Forecast {
        let mut f = Forecaster::new(plan, 100_000);
        for d in 1..=days {
            f.push(d as i64, d as f64, mix_share(cohorts, d as f64));
        }
        f.forecast(goal).expect("a forecast")
    }

    #[test]
    fn one_p_is_pinned_down() {
        let f = run(&[Cohort { share: 1.0, p: 0.05 }], 14, 0.9, None);
        let (lo, hi) = (f.low.expect("low"), f.high.expect("high"));
        assert!((40.0..=50.0).contains(&f.finish.expect("finish")), "{f:?}");
        assert!(lo >= 38.0 && hi <= 55.0, "{lo} {hi}");
        assert_eq!(f.reachable, Some(true));
    }

    #[test]
    fn a_share_that_never_logs_in_is_never_a_confident_date() {
        let mix = [Cohort { share: 0.8, p: 0.05 }, Cohort { share: 0.2, p: 0.0 }];
        let f = run(&mix, 30, 0.9, None);
        assert_eq!(f.high, None, "{f:?}");
        assert_ne!(f.reachable, Some(true));
    }

    #[test]
    fn an_early_tail_gives_a_wide_range() {
        let mix = [Cohort { share: 0.5, p: 0.1 }, Cohort { share: 0.5, p: 0.002 }];
        let truth = crate::model::projection::mix_days_to_goal(&mix, 0.8).expect("truth");
        let f = run(&mix, 14, 0.8, None);
        let lo = f.low.expect("low");
        assert!(lo <= truth && f.high.is_none_or(|h| h >= truth), "{truth} not in {f:?}");
    }

    #[test]
    fn the_plateau_is_silent_on_a_curve_that_makes_it_and_speaks_on_one_that_cannot() {
        let feed = |cohorts: &[Cohort], days: usize| {
            let mut f = Forecaster::new(None, 100_000);
            let mut states = Vec::new();
            for d in 1..=days {
                f.push(d as i64, d as f64, mix_share(cohorts, d as f64));
                states.push(f.plateau(0.9, Some(60.0), 100_000));
            }
            states
        };
        let healthy = feed(&[Cohort { share: 1.0, p: 0.05 }], 60);
        assert!(healthy.iter().all(Option::is_none), "{healthy:?}");
        let mix = [Cohort { share: 0.8, p: 0.05 }, Cohort { share: 0.2, p: 0.0 }];
        let tail = feed(&mix, 40);
        let first = tail.iter().position(Option::is_some).expect("fires");
        assert!(first < 20, "fired on day {}", first + 1);
        let flips = tail.windows(2).filter(|w| w[0].is_some() != w[1].is_some()).count();
        assert_eq!(flips, 1, "{tail:?}");
        let left = tail[39].expect("on");
        assert!((8_000..=25_000).contains(&left), "{left}");
    }

    #[test]
    fn no_forecast_without_two_days() {
        let mut f = Forecaster::new(None, 1000);
        assert_eq!(f.forecast(0.9), None);
        f.push(0, 0.5, 0.1);
        f.push(0, 0.7, 0.12);
        assert_eq!(f.forecast(0.9), None);
        f.push(1, 1.5, 0.2);
        assert!(f.forecast(0.9).is_some());
    }
}
