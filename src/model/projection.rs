//! The adoption projection of a slow (just-in-time) migration (`docs/projection.md`).
//!
//! A user moves when they next log in. With P the chance that a user logs in on a given day,
//! the share migrated after D days is `S(D) = 1 − (1 − P)^D`. A mix of cohorts (the long tail)
//! is the weighted sum of their curves. All functions are pure and total: out-of-range input
//! gives a defined answer (clamped or `None`), never a panic.

use serde::{Deserialize, Serialize};

/// One cohort of a mix: a share of the segment's users with their own daily login probability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cohort {
    pub share: f64,
    pub p: f64,
}

/// How a segment's users log in: one probability, or a mix of cohorts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginModel {
    Single(f64),
    Mix(Vec<Cohort>),
}

/// A plan as one cutover measures against it: the login model of the users not yet migrated,
/// started from the share `start` already migrated when the segment entered cutover, so the
/// projection is `start + (1 − start) · S(D)`. A first cutover starts from 0; a re-cutover
/// after a rollback starts from what the earlier attempt moved, instead of counting those
/// users as ahead of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub model: LoginModel,
    /// The share already migrated at cutover, 0..1.
    #[serde(default)]
    pub start: f64,
}

impl Plan {
    /// `model` from `start` (clamped to 0..1; not a number: 0).
    pub fn new(model: LoginModel, start: f64) -> Plan {
        let start = if start.is_finite() {
            start.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Plan { model, start }
    }

    /// The projected share after `days` days in cutover.
    pub fn share(&self, days: f64) -> f64 {
        self.start + (1.0 - self.start) * self.model.share(days)
    }

    /// Days in cutover until the share reaches `goal` (0 when it already has).
    pub fn days_to_goal(&self, goal: f64) -> Option<f64> {
        if goal.is_nan() {
            return None;
        }
        if goal <= self.start {
            return Some(0.0);
        }
        self.model
            .days_to_goal((goal - self.start) / (1.0 - self.start))
    }
}

/// The longest horizon, in days, that days-to-goal searches (about 27 years).
pub const HORIZON_DAYS: f64 = 10_000.0;

/// `S(P, D) = 1 − (1 − P)^D`: the share migrated after `days` days at daily login probability `p`.
/// Zero for `days <= 0`; `p` is clamped to [0, 1].
pub fn projected_share(p: f64, days: f64) -> f64 {
    if days.is_nan() || days <= 0.0 || p.is_nan() {
        return 0.0;
    }
    let p = p.clamp(0.0, 1.0);
    (1.0 - (1.0 - p).powf(days)).clamp(0.0, 1.0)
}

/// Days until the share reaches `goal` at probability `p`: `ln(1 − G) / ln(1 − P)`.
/// `None` ("never") when `p` is 0 or the goal is 1 or more with `p < 1`.
pub fn days_to_goal(p: f64, goal: f64) -> Option<f64> {
    if !(p > 0.0 && p <= 1.0) || goal.is_nan() {
        return None;
    }
    if goal <= 0.0 {
        return Some(0.0);
    }
    if p >= 1.0 {
        // Everyone logs in on the first day.
        return (goal <= 1.0).then_some(1.0);
    }
    if goal >= 1.0 {
        return None;
    }
    Some((1.0 - goal).ln() / (1.0 - p).ln())
}

/// The share migrated after `days` days for a cohort mix: `Σ wᵢ (1 − (1 − Pᵢ)^D)`.
pub fn mix_share(cohorts: &[Cohort], days: f64) -> f64 {
    cohorts
        .iter()
        .map(|c| c.share * projected_share(c.p, days))
        .sum::<f64>()
        .clamp(0.0, 1.0)
}

/// Days until a cohort mix reaches `goal`, by bisection. `None` ("never") when the goal is
/// beyond what the mix reaches within [`HORIZON_DAYS`].
pub fn mix_days_to_goal(cohorts: &[Cohort], goal: f64) -> Option<f64> {
    if goal.is_nan() {
        return None;
    }
    if goal <= 0.0 {
        return Some(0.0);
    }
    if mix_share(cohorts, HORIZON_DAYS) < goal {
        return None;
    }
    let (mut lo, mut hi) = (0.0_f64, HORIZON_DAYS);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mix_share(cohorts, mid) >= goal {
            hi = mid;
        } else {
            lo = mid;
        }
        if hi - lo < 1e-9 {
            break;
        }
    }
    Some(hi)
}

impl LoginModel {
    pub fn share(&self, days: f64) -> f64 {
        match self {
            LoginModel::Single(p) => projected_share(*p, days),
            LoginModel::Mix(c) => mix_share(c, days),
        }
    }

    pub fn days_to_goal(&self, goal: f64) -> Option<f64> {
        match self {
            LoginModel::Single(p) => days_to_goal(*p, goal),
            LoginModel::Mix(c) => mix_days_to_goal(c, goal),
        }
    }

    /// The single probability that reaches the same share on day 1 (for display beside an
    /// observed fit): for a mix, `Σ wᵢ Pᵢ`.
    pub fn effective_p(&self) -> f64 {
        match self {
            LoginModel::Single(p) => *p,
            LoginModel::Mix(c) => c.iter().map(|c| c.share * c.p).sum(),
        }
    }
}

/// Fit P to observed `(days, share)` samples by least squares on `ln(1 − S) = D ln(1 − P)`
/// (a line through the origin). Samples with `days <= 0`, a share outside [0, 1) or NaN are
/// skipped, and so are shares within 1e-9 of 1 (1 − S has no significant digits left there); `None` when nothing usable remains or the fit says nobody is migrating.
pub fn fit_p(samples: &[(f64, f64)]) -> Option<f64> {
    let (mut sxy, mut sxx) = (0.0_f64, 0.0_f64);
    for &(d, s) in samples {
        if d.is_nan() || d <= 0.0 || !(0.0..1.0 - 1e-9).contains(&s) {
            continue;
        }
        let y = (1.0 - s).ln();
        sxy += d * y;
        sxx += d * d;
    }
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let p = 1.0 - slope.exp();
    (p > 0.0 && p.is_finite()).then(|| p.min(1.0))
}

/// Actual minus projected share, in percentage points (negative: behind the projection).
pub fn deviation_points(actual: f64, projected: f64) -> f64 {
    (actual - projected) * 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guide_numbers() {
        assert!((projected_share(0.2, 10.0) - 0.892_625_82).abs() < 1e-8);
        let d = days_to_goal(0.2, 0.9).expect("reachable");
        assert!((d - 10.318_851).abs() < 1e-5, "{d}");
    }

    #[test]
    fn edges_are_defined() {
        assert_eq!(projected_share(0.2, 0.0), 0.0);
        assert_eq!(projected_share(0.2, -3.0), 0.0);
        assert_eq!(projected_share(1.0, 0.5), 1.0);
        assert_eq!(days_to_goal(0.0, 0.5), None);
        assert_eq!(days_to_goal(0.3, 1.0), None);
        assert_eq!(days_to_goal(1.0, 0.9), Some(1.0));
        assert_eq!(days_to_goal(0.3, 0.0), Some(0.0));
    }

    #[test]
    fn a_long_tail_mix_can_never_reach_its_goal() {
        let mix = [Cohort { share: 0.7, p: 0.3 }, Cohort { share: 0.3, p: 0.0 }];
        assert_eq!(mix_days_to_goal(&mix, 0.9), None);
        let d = mix_days_to_goal(&mix, 0.6).expect("reachable");
        assert!((mix_share(&mix, d) - 0.6).abs() < 1e-6);
    }

    #[test]
    fn fit_recovers_p_from_exact_samples() {
        let samples: Vec<(f64, f64)> = (1..=30)
            .map(|d| (f64::from(d), projected_share(0.07, f64::from(d))))
            .collect();
        let p = fit_p(&samples).expect("fit");
        assert!((p - 0.07).abs() < 1e-9, "{p}");
        assert_eq!(fit_p(&[]), None);
        assert_eq!(fit_p(&[(0.0, 0.5), (3.0, 1.0)]), None);
    }

    #[test]
    fn deviation_is_in_points() {
        assert!((deviation_points(0.582, 0.63) + 4.8).abs() < 1e-9);
    }
}
