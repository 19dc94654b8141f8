//! Planning a slow migration from the legacy system's last-login data, without guessing P.
//!
//! The recency identity: a user who logs in on any day with probability p last logged in
//! within the D days before cutover with probability `1 − (1 − p)^D`, the same as the chance
//! of logging in (and so migrating) within D days after it. Averaged over any mix of users,
//! the share of a segment whose last login lies within D days before cutover **is** the
//! projected migrated share S(D). It assumes steady behaviour, and accounts older than D days:
//! a young account cannot have a login 90 days back, so when creation dates are known S(D) is
//! measured over the accounts at least D days old only.
//!
//! Pure: the histogram is filled by whoever reads the export (`cutover plan`, the simulator).

use super::forecast::fit_mix;
use super::projection::Cohort;

/// The longest look-back, in days (10 years); older logins count as "not within".
pub const MAX_DAYS: usize = 3650;

/// Last logins of a segment, as whole days before the reference moment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recency {
    /// Users whose last login was this many whole days ago (capped at [`MAX_DAYS`]).
    last: Vec<u64>,
    /// Users with a known creation date, by account age in whole days, all and those who
    /// logged in.
    age_all: Vec<u64>,
    age_logged: Vec<u64>,
    /// Users who never logged in.
    pub never: u64,
    pub users: u64,
}

impl Recency {
    pub fn new() -> Recency {
        Recency {
            last: vec![0; MAX_DAYS + 1],
            age_all: vec![0; MAX_DAYS + 1],
            age_logged: vec![0; MAX_DAYS + 1],
            never: 0,
            users: 0,
        }
    }

    /// One user: days since the last login (`None`: never), and the account's age in days if
    /// known. Both are whole days back from the reference moment, 0 = the last 24 hours.
    pub fn add(&mut self, last_login_days: Option<u64>, age_days: Option<u64>) {
        self.users += 1;
        match last_login_days {
            Some(d) => self.last[(d as usize).min(MAX_DAYS)] += 1,
            None => self.never += 1,
        }
        if let Some(a) = age_days {
            let a = (a as usize).min(MAX_DAYS);
            self.age_all[a] += 1;
            if last_login_days.is_some() {
                self.age_logged[a] += 1;
            }
        }
    }

    /// Users who never logged in and are not known to be younger than `days` days: the ones
    /// S(`days`) counts among its accounts.
    pub fn never_at_least(&self, days: usize) -> u64 {
        let young: u64 = (0..days.min(MAX_DAYS + 1))
            .map(|a| self.age_all[a] - self.age_logged[a])
            .sum();
        self.never.saturating_sub(young)
    }

    /// S(D) for D = 1 ..= `max_days`: the share of accounts at least D days old whose last
    /// login lies within D days. Days with fewer than `min_accounts` such accounts are left out.
    pub fn curve(&self, max_days: usize, min_accounts: u64) -> Vec<(f64, f64)> {
        let max_days = max_days.min(MAX_DAYS);
        let (mut within, mut young_all, mut young_logged) = (0u64, 0u64, 0u64);
        let mut out = Vec::with_capacity(max_days);
        for d in 1..=max_days {
            // Logged in within D days: the last D whole days (0 ..= D − 1).
            within += self.last[d - 1];
            young_all += self.age_all[d - 1];
            young_logged += self.age_logged[d - 1];
            let accounts = self.users.saturating_sub(young_all);
            if accounts >= min_accounts.max(1) {
                let migrated = within.saturating_sub(young_logged);
                out.push((d as f64, migrated as f64 / accounts as f64));
            }
        }
        out
    }

    /// What `cutover plan` reports.
    pub fn plan(&self, goal: f64) -> Plan {
        self.plan_after(goal, 0)
    }

    /// The plan of a segment of which `migrated` users have already moved (an earlier
    /// cutover): they are counted as its most active users (the latest logins), and the rest
    /// are planned. The mix describes the users not yet migrated (the projection of a
    /// re-cutover is `m0 + (1 − m0) · S(D)`); shares and days are of the whole segment.
    pub fn plan_after(&self, goal: f64, migrated: u64) -> Plan {
        let mut rest = self.clone();
        let mut left = migrated.min(self.users);
        for n in rest.last.iter_mut() {
            let take = left.min(*n);
            *n -= take;
            left -= take;
        }
        let moved = migrated.min(self.users) - left;
        let never_moved = left.min(rest.never);
        rest.never -= never_moved;
        rest.users -= moved + never_moved;
        let start = if self.users == 0 {
            0.0
        } else {
            (moved + never_moved) as f64 / self.users as f64
        };
        let whole = |s: f64| start + (1.0 - start) * s;
        let curve = rest.curve(MAX_DAYS, 30);
        let at = |d: usize| curve.iter().find(|p| p.0 as usize == d).map(|p| whole(p.1));
        let days_to_goal = if goal <= start {
            Some(0.0)
        } else {
            curve.iter().find(|p| whole(p.1) >= goal).map(|p| p.0)
        };
        let horizon = curve.last().map_or(0.0, |p| p.0);
        let fit = fit_mix(&curve);
        Plan {
            users: self.users,
            never: self.never,
            migrated: moved + never_moved,
            shares: [7u32, 30, 90, 180, 365]
                .iter()
                .map(|&d| (d, at(d as usize)))
                .collect(),
            days_to_goal,
            horizon_days: horizon,
            cohorts: fit.as_ref().map(|f| f.0.clone()).unwrap_or_default(),
            fit_error: fit.map(|f| f.1),
        }
    }
}

/// A mix as a project file holds it: shares to 4 decimals, p to 5, the shares summing to 1
/// exactly (the largest share takes the rounding's remainder), no share rounded away.
pub fn rounded(cohorts: &[Cohort]) -> Vec<Cohort> {
    let mut out: Vec<Cohort> = cohorts
        .iter()
        .map(|c| Cohort {
            share: (c.share * 1e4).round() / 1e4,
            p: (c.p * 1e5).round() / 1e5,
        })
        .filter(|c| c.share > 0.0)
        .collect();
    let total: f64 = out.iter().map(|c| c.share).sum();
    if let Some(largest) = out.iter_mut().max_by(|a, b| a.share.total_cmp(&b.share)) {
        largest.share = ((largest.share + 1.0 - total) * 1e4).round() / 1e4;
    }
    out
}

/// A plan read from last-login data.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Plan {
    pub users: u64,
    /// Users already migrated, counted as the most active (`--migrated`).
    pub migrated: u64,
    /// Users with no login at all.
    pub never: u64,
    /// (D, S(D)) at 7/30/90/180/365 days (None: too few accounts that old).
    pub shares: Vec<(u32, Option<f64>)>,
    /// Days to the goal on the measured curve; None: never within `horizon_days`.
    pub days_to_goal: Option<f64>,
    pub horizon_days: f64,
    /// The fitted mix (the never-share as p 0), and its RMS error in share.
    pub cohorts: Vec<Cohort>,
    pub fit_error: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_is_the_share_within_d_days_among_old_enough_accounts() {
        let mut r = Recency::new();
        // 50 users who logged in yesterday, 30 a hundred days ago, 20 never.
        (0..50).for_each(|_| r.add(Some(0), None));
        (0..30).for_each(|_| r.add(Some(100), None));
        (0..20).for_each(|_| r.add(None, None));
        let c = r.curve(200, 1);
        assert_eq!(c[0], (1.0, 0.5));
        assert_eq!(c[99], (100.0, 0.5));
        assert_eq!(c[100], (101.0, 0.8));
        // Ten young accounts (5 days old, logged in today) leave the curve beyond day 5.
        (0..10).for_each(|_| r.add(Some(0), Some(5)));
        let c = r.curve(200, 1);
        assert!((c[0].1 - 60.0 / 110.0).abs() < 1e-12);
        assert!((c[9].1 - 0.5).abs() < 1e-12, "{:?}", c[9]);
    }

    #[test]
    fn users_who_never_logged_in_count_from_the_day_their_account_is_old_enough() {
        let mut r = Recency::new();
        // Never logged in: 4 of unknown age, 3 created 10 days ago; 5 who logged in, 2 days old.
        (0..4).for_each(|_| r.add(None, None));
        (0..3).for_each(|_| r.add(None, Some(10)));
        (0..5).for_each(|_| r.add(Some(0), Some(2)));
        assert_eq!(r.never_at_least(1), 7);
        assert_eq!(r.never_at_least(10), 7);
        assert_eq!(r.never_at_least(11), 4, "10 days old is younger than 11");
        assert_eq!(r.never_at_least(MAX_DAYS + 5), 4);
    }

    #[test]
    fn already_migrated_users_are_the_most_active_and_the_plan_starts_from_them() {
        let mut r = Recency::new();
        // 50 users who logged in yesterday, 30 a hundred days ago, 20 never.
        (0..50).for_each(|_| r.add(Some(0), None));
        (0..30).for_each(|_| r.add(Some(100), None));
        (0..20).for_each(|_| r.add(None, None));
        let fresh = r.plan(0.6);
        assert_eq!(fresh.days_to_goal, Some(101.0));
        // 40 moved already: they are 40 of yesterday's 50, so 40 % is where it starts, the
        // other 10 come on day 1 (50 %), and the goal of 60 % still needs the 100-day ones.
        let again = r.plan_after(0.6, 40);
        assert_eq!(again.migrated, 40);
        assert_eq!(again.days_to_goal, Some(101.0));
        let plan_at = |p: &Plan, d: u32| p.shares.iter().find(|s| s.0 == d).and_then(|s| s.1);
        assert!((plan_at(&again, 7).expect("day 7") - 0.5).abs() < 1e-12);
        assert_eq!(
            r.plan_after(0.4, 40).days_to_goal,
            Some(0.0),
            "reached already"
        );
        // More migrated than logged in: the rest come from the never-logged-in.
        assert_eq!(r.plan_after(0.5, 90).migrated, 90);
    }

    #[test]
    fn rounding_keeps_a_valid_plan() {
        let mix = [
            Cohort {
                share: 0.50004,
                p: 0.1,
            },
            Cohort {
                share: 0.49995,
                p: 0.002,
            },
            Cohort {
                share: 0.00001,
                p: 0.0,
            },
        ];
        let r = rounded(&mix);
        assert_eq!(r.len(), 2, "a share rounded to 0 is left out: {r:?}");
        assert!((r.iter().map(|c| c.share).sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(r.iter().all(|c| c.share > 0.0));
    }

    #[test]
    fn a_plan_from_a_mix_finds_the_mix() {
        let mut r = Recency::new();
        // 60 % at p = 0.1 and 40 % at p = 0.005, as expected counts per day back.
        for d in 0..MAX_DAYS as u64 {
            for (share, p) in [(0.6, 0.1_f64), (0.4, 0.005)] {
                let n = (100_000.0 * share * p * (1.0 - p).powi(d as i32)).round() as u64;
                (0..n).for_each(|_| r.add(Some(d), None));
            }
        }
        let plan = r.plan(0.8);
        assert!(plan.fit_error.expect("fit") < 0.01, "{plan:?}");
        let truth = crate::model::projection::mix_days_to_goal(
            &[
                Cohort { share: 0.6, p: 0.1 },
                Cohort {
                    share: 0.4,
                    p: 0.005,
                },
            ],
            0.8,
        )
        .expect("truth");
        let d = plan.days_to_goal.expect("reached");
        assert!((d - truth).abs() / truth < 0.05, "{d} vs {truth}");
    }
}
