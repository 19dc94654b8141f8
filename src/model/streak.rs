//! The guard's counting rule: a streak counts **fresh readings**, never re-evaluations.
//!
//! A segment in cutover is re-evaluated whenever any of its sources answers, so one bad
//! `failure_rate` reading would be seen again by every `migrated` sample that follows it. If
//! those re-evaluations counted, `failures_before_rollback = 3` would roll back two seconds
//! after a single bad reading. So:
//!
//! * a failing criterion's count goes up only on a new sample of a metric it reads (a
//!   threshold reads its metric; the projection reads `migrated`), and only when that sample
//!   is fresh (no older than its source's `stale_after`);
//! * a criterion that passes resets its count; one that is unknown (stale, missing, not a
//!   number) neither counts nor resets;
//! * the segment's streak is its highest count, so `N` failing readings of a metric polled
//!   every 10 s take at least `(N − 1) × 10 s`;
//! * an alarm (one `guard-failed` event) opens with the first counted failing reading, and
//!   closes after `N` fresh readings in a row, of the metrics that failed, with every
//!   criterion passing.
//!
//! Pure: the engine hands in the verdicts and the reading that caused the evaluation.

use super::criteria::Criterion;
use super::gate::{Status, Verdict};
use std::collections::{BTreeMap, BTreeSet};

/// What caused an evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cause<'a> {
    /// A new, fresh sample of this metric.
    Reading(&'a str),
    /// Anything else: another look at the same data (a tick, a refresh, a stale sample).
    Look,
}

/// One segment's counts.
#[derive(Debug, Clone, Default, PartialEq)]
struct Counts {
    /// Fresh failing readings in a row, by criterion index.
    failing: BTreeMap<usize, u32>,
    /// The open alarm, if any.
    alarm: Option<Alarm>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Alarm {
    /// Metrics behind the criteria that failed during this alarm.
    metrics: BTreeSet<String>,
    /// Fresh readings of those metrics in a row with every criterion passing.
    clear: u32,
}

/// What one evaluation changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// The segment's streak now: the most fresh failing readings in a row of one criterion.
    pub streak: u32,
    /// This evaluation opened an alarm (record one `guard-failed` event).
    pub opened: bool,
}

/// Every guarded segment's counts.
#[derive(Debug, Clone, Default)]
pub struct Streaks {
    segments: BTreeMap<String, Counts>,
}

impl Streaks {
    /// Fold one evaluation of `segment`'s `criteria` (with their `verdicts`, same order) into
    /// its counts. `clear_after` readings with every criterion passing close an alarm.
    pub fn observe(
        &mut self,
        segment: &str,
        criteria: &[Criterion],
        verdicts: &[Verdict],
        cause: Cause<'_>,
        clear_after: u32,
    ) -> Counted {
        let counts = self.segments.entry(segment.to_string()).or_default();
        let fresh = |c: &Criterion| match cause {
            Cause::Reading(m) => c.metrics().contains(&m),
            Cause::Look => false,
        };
        let mut opened = false;
        let mut any_fail = false;
        for (i, (c, v)) in criteria.iter().zip(verdicts).enumerate() {
            match v.status {
                Status::Pass => {
                    counts.failing.remove(&i);
                }
                Status::Unknown => {}
                Status::Fail => {
                    any_fail = true;
                    if fresh(c) {
                        *counts.failing.entry(i).or_insert(0) += 1;
                        let alarm = counts.alarm.get_or_insert_with(|| {
                            opened = true;
                            Alarm::default()
                        });
                        alarm
                            .metrics
                            .extend(c.metrics().iter().map(|m| m.to_string()));
                        alarm.clear = 0;
                    }
                }
            }
        }
        let all_pass = verdicts.iter().all(|v| v.status == Status::Pass);
        if let Some(alarm) = counts.alarm.as_mut() {
            if any_fail {
                alarm.clear = 0;
            } else if all_pass
                && let Cause::Reading(m) = cause
                && alarm.metrics.contains(m)
            {
                alarm.clear += 1;
                if alarm.clear >= clear_after.max(1) {
                    counts.alarm = None;
                }
            }
        }
        let streak = counts.failing.values().copied().max().unwrap_or(0);
        if streak == 0 && counts.alarm.is_none() {
            self.segments.remove(segment);
        }
        Counted { streak, opened }
    }

    /// The segment's streak: the most fresh failing readings in a row of one criterion.
    pub fn streak(&self, segment: &str) -> u32 {
        self.segments
            .get(segment)
            .and_then(|c| c.failing.values().copied().max())
            .unwrap_or(0)
    }

    /// Whether the segment's alarm is open (failing, or not yet clear long enough).
    pub fn alarm_open(&self, segment: &str) -> bool {
        self.segments
            .get(segment)
            .is_some_and(|c| c.alarm.is_some())
    }

    /// Start the failing counts over (after a rollback is asked for); the alarm stays open.
    pub fn restart(&mut self, segment: &str) {
        if let Some(c) = self.segments.get_mut(segment) {
            c.failing.clear();
        }
    }

    /// Forget the segment (it left cutover, or has nothing to guard).
    pub fn forget(&mut self, segment: &str) {
        self.segments.remove(segment);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate_max(max: f64) -> Criterion {
        Criterion::Metric {
            metric: "failure_rate".into(),
            min: None,
            max: Some(max),
            label: None,
        }
    }

    fn verdicts(statuses: &[Status]) -> Vec<Verdict> {
        statuses
            .iter()
            .map(|s| Verdict {
                name: "c".into(),
                status: *s,
                reason: String::new(),
            })
            .collect()
    }

    #[test]
    fn re_evaluations_by_other_sources_never_count() {
        let gates = [rate_max(0.02)];
        let fail = verdicts(&[Status::Fail]);
        let mut s = Streaks::default();
        let first = s.observe("eu", &gates, &fail, Cause::Reading("failure_rate"), 3);
        assert_eq!(
            first,
            Counted {
                streak: 1,
                opened: true
            }
        );
        for _ in 0..10 {
            let again = s.observe("eu", &gates, &fail, Cause::Reading("migrated"), 3);
            assert_eq!(
                again,
                Counted {
                    streak: 1,
                    opened: false
                }
            );
            let look = s.observe("eu", &gates, &fail, Cause::Look, 3);
            assert_eq!(look.streak, 1);
        }
        s.observe("eu", &gates, &fail, Cause::Reading("failure_rate"), 3);
        let third = s.observe("eu", &gates, &fail, Cause::Reading("failure_rate"), 3);
        assert_eq!(third.streak, 3);
    }

    #[test]
    fn unknown_neither_counts_nor_resets_and_a_pass_resets() {
        let gates = [rate_max(0.02)];
        let mut s = Streaks::default();
        s.observe(
            "eu",
            &gates,
            &verdicts(&[Status::Fail]),
            Cause::Reading("failure_rate"),
            3,
        );
        s.observe(
            "eu",
            &gates,
            &verdicts(&[Status::Fail]),
            Cause::Reading("failure_rate"),
            3,
        );
        let stale = s.observe("eu", &gates, &verdicts(&[Status::Unknown]), Cause::Look, 3);
        assert_eq!(stale.streak, 2, "a stale reading neither counts nor resets");
        let pass = s.observe(
            "eu",
            &gates,
            &verdicts(&[Status::Pass]),
            Cause::Reading("failure_rate"),
            3,
        );
        assert_eq!(pass.streak, 0);
        assert!(
            s.alarm_open("eu"),
            "one passing reading does not end the alarm"
        );
    }

    #[test]
    fn the_projection_counts_readings_of_migrated() {
        let gates = [Criterion::Projection {
            tolerance_points: 5.0,
        }];
        let fail = verdicts(&[Status::Fail]);
        let mut s = Streaks::default();
        assert_eq!(
            s.observe("eu", &gates, &fail, Cause::Reading("tickets"), 2)
                .streak,
            0
        );
        assert!(!s.alarm_open("eu"), "no reading behind it failed yet");
        assert_eq!(
            s.observe("eu", &gates, &fail, Cause::Reading("migrated"), 2)
                .streak,
            1
        );
    }

    #[test]
    fn an_alarm_closes_after_fresh_clear_readings_of_what_failed() {
        let gates = [rate_max(0.02)];
        let pass = verdicts(&[Status::Pass]);
        let mut s = Streaks::default();
        s.observe(
            "eu",
            &gates,
            &verdicts(&[Status::Fail]),
            Cause::Reading("failure_rate"),
            2,
        );
        for _ in 0..5 {
            s.observe("eu", &gates, &pass, Cause::Reading("migrated"), 2);
        }
        assert!(
            s.alarm_open("eu"),
            "readings of other metrics do not clear it"
        );
        s.observe("eu", &gates, &pass, Cause::Reading("failure_rate"), 2);
        assert!(s.alarm_open("eu"));
        s.observe("eu", &gates, &pass, Cause::Reading("failure_rate"), 2);
        assert!(!s.alarm_open("eu"));
    }

    #[test]
    fn the_streak_is_per_criterion_not_the_sum() {
        let gates = [
            rate_max(0.02),
            Criterion::Metric {
                metric: "tickets".into(),
                min: None,
                max: Some(10.0),
                label: None,
            },
        ];
        let both = verdicts(&[Status::Fail, Status::Fail]);
        let mut s = Streaks::default();
        s.observe("eu", &gates, &both, Cause::Reading("failure_rate"), 3);
        s.observe("eu", &gates, &both, Cause::Reading("tickets"), 3);
        let c = s.observe("eu", &gates, &both, Cause::Reading("tickets"), 3);
        assert_eq!(c.streak, 2, "two readings of tickets, one of failure_rate");
    }
}
