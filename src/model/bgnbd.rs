//! BG/NBD: users who log in at their own rate and may stop for good after any login (Fader,
//! Hardie & Lee, 2005, "Counting Your Customers the Easy Way"). The recency plan counts
//! everyone who logged in lately as someone who will log in again; churn breaks that, and this
//! model gives churn a number, fitted by maximum likelihood from three numbers per user:
//! - `x`, the repeat logins (a login count minus the first login);
//! - `t_x`, the age of the account at the last login;
//! - `t`, the age of the account now.
//!
//! Times are in any one unit (days here; the paper's weeks in its table). Each user's login
//! rate is Gamma(r, α) distributed, and its chance to stop after a login is Beta(a, b). The fit
//! maximises the summed log-likelihood over ln(r, α, a, b) with Nelder–Mead (argmin), from
//! several starts, keeping the best.

use super::recency::Recency;
use argmin::core::{CostFunction, Error as ArgminError, Executor, State};
use argmin::solver::neldermead::NelderMead;

/// The four parameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Params {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// One user's login history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct History {
    /// Repeat logins (the count minus the first).
    pub x: f64,
    /// Account age at the last login (0 without a repeat login).
    pub t_x: f64,
    /// Account age now.
    pub t: f64,
}

impl History {
    /// A history whose numbers can be one: finite, `x ≥ 0`, `0 ≤ t_x ≤ t`, `t > 0`.
    pub fn checked(x: f64, t_x: f64, t: f64) -> Option<History> {
        let ok = [x, t_x, t].iter().all(|v| v.is_finite())
            && x >= 0.0
            && t > 0.0
            && (0.0..=t).contains(&t_x);
        ok.then_some(History { x, t_x, t })
    }
}

fn ln_gamma(v: f64) -> f64 {
    libm::lgamma(v)
}

/// One user's log-likelihood under `p` (the paper's equation 6, on the log scale).
pub fn log_likelihood(p: &Params, h: &History) -> f64 {
    let Params { r, alpha, a, b } = *p;
    let x = h.x;
    let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
    let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
    let a3 = -(r + x) * (alpha + h.t).ln();
    if x > 0.0 {
        let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + h.t_x).ln();
        let top = a3.max(a4);
        a1 + a2 + top + ((a3 - top).exp() + (a4 - top).exp()).ln()
    } else {
        a1 + a2 + a3
    }
}

/// The chance a user with this history has not stopped.
pub fn p_alive(p: &Params, h: &History) -> f64 {
    if h.x <= 0.0 {
        return 1.0;
    }
    let odds = (p.a / (p.b + h.x - 1.0)) * ((p.alpha + h.t) / (p.alpha + h.t_x)).powf(p.r + h.x);
    1.0 / (1.0 + odds)
}

/// The chance a user with this history logs in within `d` more time units: alive, and at least
/// one login at its posterior rate.
pub fn returns_within(p: &Params, h: &History, d: f64) -> f64 {
    let none = ((p.alpha + h.t) / (p.alpha + h.t + d)).powf(p.r + h.x);
    p_alive(p, h) * (1.0 - none)
}

/// What a fit found.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub params: Params,
    /// The summed log-likelihood at the parameters.
    pub log_likelihood: f64,
}

/// Why no fit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error(
        "no login history to fit (every row lacks a login count, a last login or a creation date)"
    )]
    Empty,
    #[error("the fit did not converge to finite parameters ({0})")]
    Diverged(String),
}

struct Problem<'a>(&'a [History]);

/// The cost of parameters whose likelihood is not a number.
const CLIFF: f64 = f64::MAX / 4.0;

impl CostFunction for Problem<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, ln: &Vec<f64>) -> Result<f64, ArgminError> {
        let p = Params {
            r: ln[0].exp(),
            alpha: ln[1].exp(),
            a: ln[2].exp(),
            b: ln[3].exp(),
        };
        let ll: f64 = self.0.iter().map(|h| log_likelihood(&p, h)).sum();
        // A region the numbers cannot reach is a cliff, never a NaN the simplex would trust.
        Ok(if ll.is_finite() { -ll } else { CLIFF })
    }
}

/// Fit the four parameters to `users` by maximum likelihood.
pub fn fit(users: &[History]) -> Result<Fit, FitError> {
    if users.is_empty() {
        return Err(FitError::Empty);
    }
    let mut best: Option<(f64, Vec<f64>)> = None;
    // Starts on either side of the usual values: a login rate a tenth to ten times the mean,
    // dropout odds from even to long.
    for start in [
        [0.0, 0.0, 0.0, 0.0],
        [-1.0, 1.5, -0.5, 1.0],
        [1.0, 3.0, 1.0, 2.0],
    ] {
        let mut simplex = vec![start.to_vec()];
        for i in 0..4 {
            let mut v = start.to_vec();
            v[i] += 0.5;
            simplex.push(v);
        }
        let solver = NelderMead::new(simplex)
            .with_sd_tolerance(1e-12)
            .map_err(|e| FitError::Diverged(e.to_string()))?;
        let run = Executor::new(Problem(users), solver)
            .configure(|s| s.max_iters(1_000))
            .run()
            .map_err(|e| FitError::Diverged(e.to_string()))?;
        let state = run.state();
        if let Some(p) = state.get_best_param() {
            let cost = state.get_best_cost();
            if cost < CLIFF && best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, p.clone()));
            }
        }
    }
    let (cost, ln) = best.ok_or_else(|| FitError::Diverged("no start converged".into()))?;
    let params = Params {
        r: ln[0].exp(),
        alpha: ln[1].exp(),
        a: ln[2].exp(),
        b: ln[3].exp(),
    };
    // `a` may run to 0 (no dropout at all): a limit, not a failure.
    if ![params.r, params.alpha, params.a, params.b]
        .iter()
        .all(|v| v.is_finite() && *v >= 0.0)
        || params.r <= 0.0
        || params.alpha <= 0.0
    {
        return Err(FitError::Diverged(format!("{params:?}")));
    }
    Ok(Fit {
        params,
        log_likelihood: -cost,
    })
}

/// The fewest histories a churn-aware plan is fitted from: below it the four parameters are
/// guesses.
pub const MIN_USERS: usize = 30;

/// A churn-aware plan: the fit, the share it expects never to return, and the projected share
/// at each day of the users it speaks for: those with a history, and those who never logged in
/// (not returning, as the recency plan counts them). Users who logged in but have no history
/// (no count, no creation date) are left out of it, not counted as leaving.
///
/// Accounts younger than D days are handled as the recency plan handles them: the share at D is
/// the mean over the accounts at least D days old (and those of unknown age), taken to hold for
/// every account. A day with fewer than [`MIN_USERS`] such accounts has no share, and the mix
/// is fitted to the days that have one.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChurnPlan {
    pub params: Params,
    /// Users with a history (the fit read an even sample of at most [`FIT_SAMPLE`]).
    pub fitted: usize,
    /// The share of those it expects never to log in again (1 − P(alive), averaged).
    pub never_returning: f64,
    /// (D, share of all users logging in within D days; `None`: too few accounts that old).
    pub shares: Vec<(u32, Option<f64>)>,
    /// A mix of two cohorts and a never-share fitted to the churn-aware curve over two years
    /// (what `--write` stores, and the forecast takes as its prior), and its RMS error.
    pub cohorts: Vec<super::projection::Cohort>,
    pub fit_error: Option<f64>,
}

/// Days of the curve the mix is fitted to.
const CURVE_DAYS: u32 = 730;

/// The most histories a fit reads: a larger export is sampled evenly (every k-th user), which
/// keeps a million-user plan to seconds while four parameters stay well determined.
pub const FIT_SAMPLE: usize = 2_500;

/// The share at day `d` among `histories` (each standing for `weight` users) at least `d` days
/// old and the `never` users who never logged in: `None` below [`MIN_USERS`] accounts.
fn share_at(p: &Params, histories: &[History], weight: f64, never: u64, d: u32) -> Option<f64> {
    let d = f64::from(d);
    let (mut back, mut old) = (0.0, 0.0);
    for h in histories.iter().filter(|h| h.t >= d) {
        back += returns_within(p, h, d);
        old += 1.0;
    }
    let accounts = old * weight + never as f64;
    (accounts >= MIN_USERS as f64).then(|| back * weight / accounts)
}

/// Fit `histories` (an even sample of at most [`FIT_SAMPLE`]) and project each of `days` over
/// them and the users of `recency` who never logged in, accounts younger than each day left
/// out as the recency plan leaves them out.
pub fn plan(histories: &[History], recency: &Recency, days: &[u32]) -> Result<ChurnPlan, FitError> {
    if histories.len() < MIN_USERS {
        return Err(FitError::Empty);
    }
    let step = histories.len().div_ceil(FIT_SAMPLE).max(1);
    let sample: Vec<History> = histories.iter().step_by(step).copied().collect();
    let fit = fit(&sample)?;
    let p = fit.params;
    let n = histories.len() as f64;
    let never_returning = histories.iter().map(|h| 1.0 - p_alive(&p, h)).sum::<f64>() / n;
    let never = |d: u32| recency.never_at_least(d as usize);
    let shares = days
        .iter()
        .map(|&d| (d, share_at(&p, histories, 1.0, never(d), d)))
        .collect();
    // The curve from the sample, each sampled user standing for its share of every user: the
    // mix needs the curve's shape, not each user's term.
    let weight = n / sample.len() as f64;
    let curve: Vec<(f64, f64)> = (1..=CURVE_DAYS)
        .filter_map(|d| Some((f64::from(d), share_at(&p, &sample, weight, never(d), d)?)))
        .collect();
    let mix = super::forecast::fit_mix(&curve);
    Ok(ChurnPlan {
        params: p,
        fitted: histories.len(),
        never_returning,
        shares,
        cohorts: mix.as_ref().map(|m| m.0.clone()).unwrap_or_default(),
        fit_error: mix.map(|m| m.1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_without_repeat_logins_is_alive_and_one_long_gone_is_likely_not() {
        let p = Params {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        let new = History::checked(0.0, 0.0, 38.0).expect("history");
        assert_eq!(p_alive(&p, &new), 1.0);
        let gone = History::checked(5.0, 2.0, 38.0).expect("history");
        let lately = History::checked(5.0, 37.0, 38.0).expect("history");
        assert!(p_alive(&p, &gone) < 0.2, "{}", p_alive(&p, &gone));
        assert!(p_alive(&p, &lately) > 0.85, "{}", p_alive(&p, &lately));
        assert!(returns_within(&p, &lately, 30.0) > returns_within(&p, &gone, 30.0));
        assert!(log_likelihood(&p, &lately).is_finite());
        assert_eq!(
            History::checked(1.0, 5.0, 4.0),
            None,
            "a last login after now"
        );
        assert_eq!(History::checked(f64::NAN, 0.0, 4.0), None);
        assert_eq!(fit(&[]), Err(FitError::Empty));
    }
}
