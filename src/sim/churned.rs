//! A churned population: users who log in and leave as the BG/NBD model says real customers do
//! (Fader, Hardie & Lee, 2005). The cohort populations of [`super::population`] log in at a
//! steady daily chance forever; real people stop. This one is what the forecast bench plans and
//! forecasts against when the plan's recency identity breaks, and what shows that a plan from
//! login counts does not.
//!
//! Each user logs in first when the account is created, then at the times of a Poisson process
//! with their own rate `λ ~ Gamma(r, α)` (per day), and after each repeat login leaves for good
//! with their own chance `p ~ Beta(a, b)`. Before cutover that yields the export's facts (the
//! login count, the last login, the creation date); after it, the first login of a user still
//! there is the day that user migrates. Nothing here is personal: ids are opaque and numbered.

use crate::model::bgnbd::Params;
use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};
use std::io::Write;

/// How far after cutover a user's return is followed, in days (10 years).
const HORIZON_DAYS: f64 = 3650.0;

/// One simulated user, as the legacy system knows them at cutover.
#[derive(Debug, Clone, Copy, PartialEq)]
struct User {
    /// Account age at cutover, in days.
    age: f64,
    /// Logins before cutover, the first (at creation) included.
    count: u64,
    /// Days before cutover of the last login.
    last_back: f64,
}

/// A churned population at its cutover moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Churned {
    users: Vec<User>,
    /// Days after cutover of each returning user's first login, sorted.
    returns: Vec<f64>,
}

impl Churned {
    /// Simulate `users` users with the model's parameters in days, their accounts created
    /// between `ages.0` and `ages.1` days before cutover (evenly), from `seed`.
    /// `None` for parameters no population has, or ages that are no span of days.
    pub fn simulate(params: &Params, users: u64, ages: (f64, f64), seed: u64) -> Option<Churned> {
        if !(ages.0.is_finite() && ages.1.is_finite() && 0.0 <= ages.0 && ages.0 <= ages.1) {
            return None;
        }
        let rates = Gamma::new(params.r, 1.0 / params.alpha).ok()?;
        let leave = Beta::new(params.a, params.b).ok()?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let (mut out, mut returns) = (Vec::with_capacity(users as usize), Vec::new());
        for _ in 0..users {
            let age = rng.random_range(ages.0..=ages.1);
            let (lambda, p) = (rates.sample(&mut rng), leave.sample(&mut rng));
            let mut user = User {
                age,
                count: 1,
                last_back: age,
            };
            if let Ok(gap) = Exp::new(lambda) {
                let mut t = 0.0;
                loop {
                    t += gap.sample(&mut rng);
                    if !t.is_finite() || t > age + HORIZON_DAYS {
                        break;
                    }
                    if t > age {
                        returns.push(t - age);
                        break;
                    }
                    user.count += 1;
                    user.last_back = age - t;
                    if rng.random::<f64>() < p {
                        break;
                    }
                }
            }
            out.push(user);
        }
        returns.sort_by(f64::total_cmp);
        Some(Churned {
            users: out,
            returns,
        })
    }

    pub fn users(&self) -> u64 {
        self.users.len() as u64
    }

    /// Users migrated (returned) by `day` days after cutover.
    pub fn migrated(&self, day: f64) -> u64 {
        self.returns.partition_point(|d| *d <= day) as u64
    }

    /// The day (since cutover) the migrated share reaches `share`, or `None` within ten years.
    pub fn days_to(&self, share: f64) -> Option<f64> {
        let need = (share * self.users.len() as f64).ceil().max(1.0) as usize;
        self.returns.get(need - 1).copied()
    }

    /// The share that never returns within ten years.
    pub fn never_share(&self) -> f64 {
        1.0 - self.returns.len() as f64 / self.users.len().max(1) as f64
    }

    /// The export at cutover moment `at`, shaped like Auth0's (NDJSON: `user_id`, `created_at`,
    /// `last_login`, `logins_count`); returns the users written.
    pub fn write_export(&self, at: DateTime<Utc>, out: &mut impl Write) -> std::io::Result<u64> {
        let time = |back: f64| {
            (at - Duration::milliseconds((back * 86_400_000.0) as i64))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        for (n, u) in self.users.iter().enumerate() {
            let line = serde_json::json!({
                "user_id": format!("auth0|churned-{:07}", n + 1),
                "created_at": time(u.age),
                "last_login": time(u.last_back),
                "logins_count": u.count,
            });
            writeln!(out, "{line}")?;
        }
        Ok(self.users.len() as u64)
    }
}

/// The parameters Fader, Hardie & Lee (2005) publish for the CDNOW panel, with time in days
/// (the paper's α is in weeks).
pub fn published() -> Params {
    Params {
        r: 0.243,
        alpha: 4.414 * 7.0,
        a: 0.793,
        b: 2.426,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_churned_population_is_fitted_back_to_its_parameters_and_many_never_return() {
        let truth = published();
        let c = Churned::simulate(&truth, 5_000, (365.0, 1095.0), 11).expect("simulate");
        let histories: Vec<_> = c
            .users
            .iter()
            .filter_map(|u| {
                let x = (u.count - 1) as f64;
                let t_x = if x > 0.0 { u.age - u.last_back } else { 0.0 };
                crate::model::bgnbd::History::checked(x, t_x, u.age)
            })
            .collect();
        assert_eq!(histories.len(), 5_000);
        let fit = crate::model::bgnbd::fit(&histories).expect("fit").params;
        for (name, got, want) in [
            ("r", fit.r, truth.r),
            ("alpha", fit.alpha, truth.alpha),
            ("a", fit.a, truth.a),
            ("b", fit.b, truth.b),
        ] {
            assert!(
                (got / want - 1.0).abs() < 0.35,
                "{name}: fitted {got}, simulated with {want}"
            );
        }
        // Most of a population one to three years old has left: far fewer return than the
        // recency identity would count.
        assert!(c.never_share() > 0.5, "{}", c.never_share());
        assert!(c.migrated(30.0) < c.migrated(365.0));
        assert_eq!(c.days_to(0.0), c.returns.first().copied());
        assert_eq!(Churned::simulate(&truth, 10, (5.0, 1.0), 1), None);
        assert_eq!(Churned::simulate(&truth, 10, (f64::NAN, 1.0), 1), None);
    }
}
