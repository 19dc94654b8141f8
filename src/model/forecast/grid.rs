//! The fitting machinery of the forecast: the grid of daily login probabilities, running
//! least-squares sums per pair of them, the closed-form best weights of a pair, and the finish
//! day of a fitted curve. Pure arithmetic, no state beyond the sums.

use super::HORIZON;
use crate::model::projection::Cohort;
use std::sync::OnceLock;

pub(super) const P_STEPS: usize = 60;
const P_MIN: f64 = 0.0005;
const P_MAX: f64 = 0.9;
/// Points on the boundary of each pair's consistent weights that the range tries.
const ANGLES: usize = 16;

pub(super) struct Grid {
    pub(super) p: Vec<f64>,
    /// ln(1 − p) for each p.
    ln_q: Vec<f64>,
    /// `1 − (1 − p)^D` for each p and each whole day D in 0..=HORIZON.
    pub(super) table: Vec<Vec<f64>>,
}

pub(super) fn grid() -> &'static Grid {
    static GRID: OnceLock<Grid> = OnceLock::new();
    GRID.get_or_init(|| {
        let ratio = (P_MAX / P_MIN).powf(1.0 / (P_STEPS - 1) as f64);
        let p: Vec<f64> = (0..P_STEPS).map(|i| P_MIN * ratio.powi(i as i32)).collect();
        let ln_q = p.iter().map(|p| (-p).ln_1p()).collect();
        let table = p
            .iter()
            .map(|&p| {
                let mut q = 1.0;
                (0..=HORIZON)
                    .map(|_| {
                        let s = 1.0 - q;
                        q *= 1.0 - p;
                        s
                    })
                    .collect()
            })
            .collect();
        Grid { p, ln_q, table }
    })
}

/// Running sums of a least-squares fit, per p (`sg`) and per pair (`gg`, upper triangle).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Sums {
    pub(super) n: f64,
    ss: f64,
    sg: Vec<f64>,
    gg: Vec<f64>,
}

pub(super) fn pair_index(i: usize, j: usize) -> usize {
    // Row-major upper triangle including the diagonal.
    i * P_STEPS - i * (i + 1) / 2 + j
}

impl Sums {
    pub(super) fn new() -> Sums {
        Sums {
            n: 0.0,
            ss: 0.0,
            sg: vec![0.0; P_STEPS],
            gg: vec![0.0; P_STEPS * (P_STEPS + 1) / 2],
        }
    }

    /// Add a point (days, share) with weight `w`.
    pub(super) fn add(&mut self, d: f64, s: f64, w: f64) {
        let mut g = [0.0; P_STEPS];
        if d > 0.0 {
            for (g, ln_q) in g.iter_mut().zip(&grid().ln_q) {
                *g = -(d * ln_q).exp_m1();
            }
        }
        self.n += w;
        self.ss += w * s * s;
        let mut k = 0;
        for i in 0..P_STEPS {
            self.sg[i] += w * s * g[i];
            let wg = w * g[i];
            for gj in &g[i..] {
                self.gg[k] += wg * gj;
                k += 1;
            }
        }
    }

    /// `k` times these sums plus `other`: every point of these weighing `k` times as much.
    pub(super) fn scaled_plus(&self, k: f64, other: &Sums) -> Sums {
        let zip = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| k * x + y).collect();
        Sums {
            n: k * self.n + other.n,
            ss: k * self.ss + other.ss,
            sg: zip(&self.sg, &other.sg),
            gg: zip(&self.gg, &other.gg),
        }
    }

    /// The pair and weights with the least error, and that error.
    pub(super) fn best_pair(&self) -> Option<(usize, usize, (f64, f64), f64)> {
        (0..P_STEPS)
            .flat_map(|i| (i + 1..P_STEPS).map(move |j| (i, j)))
            .map(|(i, j)| {
                let q = self.quad(i, j);
                let w = q.best();
                (i, j, w, q.at(w).max(0.0))
            })
            .min_by(|a, b| a.3.total_cmp(&b.3))
    }

    /// The quadratic of pair (i, j): (A, b, c) of `c − 2bᵀw + wᵀAw`.
    pub(super) fn quad(&self, i: usize, j: usize) -> Quad {
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
pub(super) struct Quad {
    a11: f64,
    a12: f64,
    a22: f64,
    b1: f64,
    b2: f64,
    c: f64,
}

impl Quad {
    pub(super) fn at(&self, w: (f64, f64)) -> f64 {
        self.c - 2.0 * (self.b1 * w.0 + self.b2 * w.1)
            + self.a11 * w.0 * w.0
            + 2.0 * self.a12 * w.0 * w.1
            + self.a22 * w.1 * w.1
    }

    /// The weights in the triangle w ≥ 0, w₁ + w₂ ≤ 1 that minimise the error.
    pub(super) fn best(&self) -> (f64, f64) {
        // The error is convex: an unconstrained minimum inside the triangle is the answer;
        // otherwise the answer lies on an edge, each edge's minimum in closed form.
        let det = self.a11 * self.a22 - self.a12 * self.a12;
        if det > 1e-12 * self.a11 * self.a22 {
            let w = (
                (self.a22 * self.b1 - self.a12 * self.b2) / det,
                (self.a11 * self.b2 - self.a12 * self.b1) / det,
            );
            if w.0 >= 0.0 && w.1 >= 0.0 && w.0 + w.1 <= 1.0 {
                return w;
            }
        }
        let mut best = ((self.b1 / self.a11.max(1e-300)).clamp(0.0, 1.0), 0.0);
        let mut least = self.at(best);
        let mut consider = |w: (f64, f64)| {
            let e = self.at(w);
            if e < least {
                (best, least) = (w, e);
            }
        };
        consider((0.0, (self.b2 / self.a22.max(1e-300)).clamp(0.0, 1.0)));
        let curv = self.a11 - 2.0 * self.a12 + self.a22;
        if curv > 1e-300 {
            let t = ((self.b1 - self.b2 - self.a12 + self.a22) / curv).clamp(0.0, 1.0);
            consider((t, 1.0 - t));
        }
        best
    }
}

/// When `w₁g₁ + w₂g₂` reaches `goal`, in days (interpolated within the day), or `None`
/// within the horizon.
pub(super) fn finish_day(i: usize, j: usize, w: (f64, f64), goal: f64) -> Option<f64> {
    let t = &grid().table;
    let s = |d: usize| w.0 * t[i][d] + w.1 * t[j][d];
    if s(HORIZON) < goal {
        return None;
    }
    let (mut lo, mut hi) = (0usize, HORIZON);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if s(mid) >= goal {
            hi = mid
        } else {
            lo = mid + 1
        }
    }
    if lo == 0 {
        return Some(0.0);
    }
    // Within the day: linear between the day before and the day it is reached.
    let (a, b) = (s(lo - 1), s(lo));
    Some(lo as f64 - 1.0 + ((goal - a) / (b - a).max(1e-300)).clamp(0.0, 1.0))
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
    let (i, j, w, err) = sums.best_pair()?;
    Some((cohorts_of(i, j, w), (err / sums.n).sqrt()))
}

pub(super) fn cohorts_of(i: usize, j: usize, w: (f64, f64)) -> Vec<Cohort> {
    let p = &grid().p;
    let mut cohorts = vec![
        Cohort {
            share: w.0,
            p: p[i],
        },
        Cohort {
            share: w.1,
            p: p[j],
        },
    ];
    cohorts.retain(|c| c.share > 1e-4);
    let never = 1.0 - w.0 - w.1;
    if never > 1e-4 {
        cohorts.push(Cohort {
            share: never,
            p: 0.0,
        });
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
pub(super) fn boundary(q: &Quad, best: (f64, f64), threshold: f64) -> Vec<(f64, f64)> {
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
    // Along the triangle's edges (no never-share; one cohort alone) the consistent stretch
    // ends where the error reaches the threshold: its ends are candidates too (a walk from
    // the best weights that hits an edge stops there and would miss them).
    for (from, dir) in [
        ((0.0, 0.0), (1.0, 0.0)),
        ((0.0, 0.0), (0.0, 1.0)),
        ((1.0, 0.0), (-1.0, 1.0)),
    ] {
        out.extend(edge_ends(q, from, dir, threshold));
    }
    out
}

/// The ends of the stretch of the segment `from + t·dir`, t in [0, 1], where the error is
/// within `threshold`.
fn edge_ends(q: &Quad, from: (f64, f64), dir: (f64, f64), threshold: f64) -> Vec<(f64, f64)> {
    let ad = (q.a11 * dir.0 + q.a12 * dir.1, q.a12 * dir.0 + q.a22 * dir.1);
    let a = dir.0 * ad.0 + dir.1 * ad.1;
    let b = 2.0 * (from.0 * ad.0 + from.1 * ad.1) - 2.0 * (q.b1 * dir.0 + q.b2 * dir.1);
    let c = q.at(from) - threshold;
    let disc = b * b - 4.0 * a * c;
    if a <= 1e-300 || disc < 0.0 {
        return Vec::new();
    }
    let root = disc.sqrt();
    let (t0, t1) = ((-b - root) / (2.0 * a), (-b + root) / (2.0 * a));
    let (t0, t1) = (t0.max(0.0), t1.min(1.0));
    if t0 > t1 {
        return Vec::new();
    }
    [t0, t1]
        .iter()
        .map(|t| (from.0 + t * dir.0, from.1 + t * dir.1))
        .collect()
}
