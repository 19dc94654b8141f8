//! When a segment reaches its goal, as every FINISH column says it: one rule for the cockpit,
//! `status` and the report.
//!
//! Only a login model can say "never": a bulk strategy (`big-bang`, `segment`) has none, so
//! before its goal it says "—", and at its goal "reached", like any other segment.

use super::status::SegmentStatus;
use crate::config::Strategy;
use crate::model::PhaseShown;
use chrono::{DateTime, Utc};
use std::fmt;

/// A segment's finish, ready to print.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Finish {
    /// At or past the goal (done, or in cutover with the goal's share migrated).
    Reached,
    /// In cutover: the date the goal is reached.
    On(DateTime<Utc>),
    /// Before cutover: days from cutover to the goal at the planned P.
    InDays(f64),
    /// In cutover: the login model says the goal is never reached.
    Never,
    /// Nothing to say (a bulk strategy before its goal, a rolled-back segment).
    Unknown,
}

impl fmt::Display for Finish {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finish::Reached => f.write_str("reached"),
            Finish::On(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Finish::InDays(d) => write!(f, "~{d:.0} days"),
            Finish::Never => f.write_str("never"),
            Finish::Unknown => f.write_str("—"),
        }
    }
}

impl SegmentStatus {
    /// The finish the cockpit shows: in cutover the forecast's central date once there is
    /// one, the plan's before.
    pub fn finish(&self) -> Finish {
        let date = match &self.forecast {
            Some(f) => f.finish,
            None => self.projected_finish,
        };
        self.finish_with(date)
    }

    /// The finish at the planned P only (what `status` and the report's planned column show).
    pub fn planned_finish(&self) -> Finish {
        self.finish_with(self.projected_finish)
    }

    fn finish_with(&self, date: Option<DateTime<Utc>>) -> Finish {
        match self.phase {
            PhaseShown::Done => Finish::Reached,
            PhaseShown::Cutover if self.migrated_share.is_some_and(|s| s >= self.goal) => {
                Finish::Reached
            }
            PhaseShown::Cutover => match date {
                Some(d) => Finish::On(d),
                None if self.strategy == Strategy::Slow => Finish::Never,
                None => Finish::Unknown,
            },
            PhaseShown::Plan | PhaseShown::Test | PhaseShown::Gate => {
                self.days_to_goal.map_or(Finish::Unknown, Finish::InDays)
            }
            PhaseShown::RolledBack | PhaseShown::RollbackFailed => Finish::Unknown,
        }
    }
}
