//! The plan against the data on who will not return, in the lead's words: "the plan expected
//! 12 % never to return; the data implies 31 %" and "the plan assumed 27 % by day 180; the
//! data says 23 %".
//!
//! "Never" means what it means everywhere in the forecast: not within its ten-year horizon. So
//! the plan's never-returning share is the share its curve has not reached by then, and the
//! data's is the same of the best fit to the data alone, without the plan: what the data
//! implies. The shares by the day are the plan's curve and the forecast's central curve (the
//! data and the plan together: what the forecast says). All are of the whole segment (a
//! re-cutover's head start included). Early on the data cannot tell a share that never comes
//! from one that comes very slowly; the forecast's range says so.
//!
//! **Why the forecast's prior is not thinned.** A plan from last logins counts everyone who
//! logged in within D days before cutover as someone who logs in within D days after, so where
//! users churn it is optimistic. We tried to let the data thin the plan before it serves as the
//! prior, two ways, on the forecast benchmark (`cargo bench --bench forecast`):
//! - by a share of its users that will not return, fitted by least squares to the observed
//!   days: the early data cannot tell "fewer users" from "slower users", so a segment whose
//!   users merely log in less often than planned was read as losing users, and its forecast
//!   turned to "never": 50 % @ 0.25 + 50 % @ 0.02 planned with the average P said "never" from
//!   day 7 to day 30 where the truth is day 80, and the sample project's eu-customers (58.5 %
//!   against a plan of 66.2 % on day 21) went from 2026-12-26 to "never";
//! - by a leaving rate (a user the plan expects back on day u is gone with chance
//!   `1 − e^(−c·u)`): fitted to a plan's two-cohort mix in the first weeks, it read the mix's own
//!   error as churn: 50 % @ 0.1 + 50 % @ 0.002 planned from its own export said "never" on days
//!   7 and 14 where the truth is day 458, and a cold forecast cost 4.5 ms instead of 0.5.
//!
//! In the simulated BG/NBD populations (accounts one to three years old) the data runs at 99 %
//! of the recency plan on day 30 and 95 % on day 60, and at 75 % by the day it reaches 20 %
//! (day 389, which the plan put at 249): churn shows only later, so no thinning from the first
//! weeks could correct the plan without misreading populations that do not churn. What the
//! forecast does instead is keep its central fit close to the data wherever the data can tell
//! (the module above); and the remedy for the plan is one that knows who left: `cutover plan`
//! from login counts (`crate::model::bgnbd`).

use super::{Forecast, HORIZON};
use crate::model::projection::Plan;
use serde::{Deserialize, Serialize};

/// Days of cutover before the data's word on the plan is given.
const FIRST_WEEK: f64 = 7.0;

/// The plan against what the data now says, in shares of the whole segment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChurnSeen {
    /// The share the plan expects never to log in (not within ten years).
    pub plan_never: f64,
    /// The share the data implies never returns: the same of the best fit to the data alone.
    pub data_never: f64,
    /// The day since cutover both curves are read at: 180, or once that is past, the next of
    /// 365, 730 and 3650 (ten years: past it, nothing is said).
    pub day: u32,
    /// The plan's share by `day`, and the forecast's central share.
    pub plan_share: f64,
    pub data_share: f64,
}

impl ChurnSeen {
    /// Compare `plan` with `forecast` on day `days_in` of cutover: `None` in the first week
    /// (a few days of data imply anything) and past ten years.
    pub fn of(plan: &Plan, forecast: &Forecast, days_in: f64) -> Option<ChurnSeen> {
        if days_in.is_nan() || days_in < FIRST_WEEK {
            return None;
        }
        let day = [180u32, 365, 730, 3650]
            .into_iter()
            .find(|d| f64::from(*d) > days_in)?;
        let horizon = HORIZON as f64;
        Some(ChurnSeen {
            plan_never: 1.0 - plan.share(horizon),
            data_never: forecast.data_never,
            day,
            plan_share: plan.share(f64::from(day)),
            data_share: forecast.share(f64::from(day)),
        })
    }

    /// "the plan expected 12 % never to return; the data implies 31 %".
    pub fn never_line(&self) -> String {
        format!(
            "the plan expected {} never to return; the data implies {}",
            pct(self.plan_never),
            pct(self.data_never)
        )
    }

    /// "never to return: plan 12 %, data 31 %" (where a line is short of room).
    pub fn never_short(&self) -> String {
        format!(
            "never to return: plan {}, data {}",
            pct(self.plan_never),
            pct(self.data_never)
        )
    }

    /// "the plan assumed 27 % by day 180; the data says 23 %".
    pub fn day_line(&self) -> String {
        format!(
            "the plan assumed {} by day {}; the data says {}",
            pct(self.plan_share),
            self.day,
            pct(self.data_share)
        )
    }

    /// Whether there is something to say: the plan or the data expects half a percent or more
    /// never to return, or the data runs a point or more behind the plan.
    pub fn speaks(&self) -> bool {
        self.plan_never >= 0.005 || self.data_never >= 0.005 || self.behind(1.0)
    }

    /// Whether the data says fewer users come by the day than the plan assumed, by more than
    /// `points` percentage points.
    pub fn behind(&self, points: f64) -> bool {
        (self.plan_share - self.data_share) * 100.0 > points
    }
}

/// A share as the lead reads it: "27 %", "4.5 %" below ten.
fn pct(share: f64) -> String {
    let p = share * 100.0;
    if p.abs() < 10.0 {
        format!("{p:.1} %")
    } else {
        format!("{p:.0} %")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::forecast::{Forecaster, Target};
    use crate::model::projection::{Cohort, LoginModel};

    fn forecast(plan: &LoginModel, truth: &LoginModel, days: i64) -> Forecast {
        let mut f = Forecaster::new(
            Some(plan.clone()),
            Target {
                goal: 0.5,
                limit: None,
                size: 100_000,
            },
        );
        for d in 1..=days {
            f.push(d, d as f64, truth.share(d as f64));
        }
        f.assess().0.expect("a forecast")
    }

    #[test]
    fn a_segment_where_three_in_ten_never_come_says_so_beside_the_plan() {
        let plan = LoginModel::Single(0.05);
        let truth = LoginModel::Mix(vec![
            Cohort {
                share: 0.7,
                p: 0.05,
            },
            Cohort { share: 0.3, p: 0.0 },
        ]);
        let f = forecast(&plan, &truth, 150);
        let seen = ChurnSeen::of(&Plan::new(plan.clone(), 0.0), &f, 150.0).expect("seen");
        assert_eq!(seen.day, 180);
        assert_eq!(seen.plan_never, 0.0);
        assert!((seen.data_never - 0.3).abs() < 0.03, "{seen:?}");
        assert!((seen.plan_share - plan.share(180.0)).abs() < 1e-12);
        // The forecast's central curve, between the data's plateau and the plan it leans on.
        let plateau = truth.share(180.0);
        assert!(
            seen.data_share > plateau - 0.01 && seen.data_share < plateau + 0.1,
            "{} against {plateau}",
            seen.data_share
        );
        assert!(seen.behind(5.0));
        assert!(
            seen.never_line()
                .starts_with("the plan expected 0.0 % never to return; the data implies ")
        );
        assert_eq!(
            seen.day_line(),
            format!(
                "the plan assumed 100 % by day 180; the data says {:.0} %",
                seen.data_share * 100.0
            )
        );
    }

    #[test]
    fn data_on_the_plan_agrees_with_it_and_past_day_180_the_next_day_is_read() {
        let plan = LoginModel::Mix(vec![
            Cohort {
                share: 0.6,
                p: 0.01,
            },
            Cohort { share: 0.4, p: 0.0 },
        ]);
        let f = forecast(&plan, &plan, 200);
        let plan = Plan::new(plan, 0.0);
        assert_eq!(
            ChurnSeen::of(&plan, &f, 3.0),
            None,
            "the first week says nothing"
        );
        let seen = ChurnSeen::of(&plan, &f, 200.0).expect("seen");
        assert_eq!(seen.day, 365);
        assert!((seen.plan_never - 0.4).abs() < 1e-12);
        assert!((seen.data_never - 0.4).abs() < 0.01, "{seen:?}");
        assert!(!seen.behind(1.0));
        assert_eq!(
            seen.never_short(),
            format!(
                "never to return: plan 40 %, data {:.0} %",
                seen.data_never * 100.0
            )
        );
    }
}
