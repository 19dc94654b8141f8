//! Gate criteria and their evaluation (`docs/live-data.md`): metric thresholds,
//! projection adherence and
//! soak, each to pass / fail / unknown with a reason that names the value and its age.
//! Unknown never passes. Pure: the caller supplies the latest readings and the clock's verdict
//! on ages.

use super::gate::{Status, Verdict};
use super::phase::Phase;
use std::collections::BTreeMap;

/// The metric name of the migrated-user count, which the projection criterion reads.
pub const MIGRATED: &str = "migrated";

/// One criterion as declared under `[[segments.gates]]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Criterion {
    /// The latest value of `metric` must be ≥ `min` and/or ≤ `max`.
    Metric {
        metric: String,
        min: Option<f64>,
        max: Option<f64>,
        label: Option<String>,
    },
    /// Migrated share ≥ projection − `tolerance_points` (from cutover on).
    Projection { tolerance_points: f64 },
    /// At least `hours` in the gate phase before cutover.
    Soak { hours: f64 },
    /// The segment's latest reconciliation (`cutover reconcile`), newer than its latest move,
    /// within these limits.
    Reconciled(super::reconciled::Limits),
    /// The latest reading of a canary source (`metric`, the share of canaries that logged
    /// in) is at least `min`, from cutover on: before it the users, canaries with them, are
    /// not on the target yet.
    Canary { metric: String, min: f64 },
}

pub use super::reconciled::ReconciledSeen;

/// The latest sample of a metric and how old it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub value: f64,
    pub age_secs: f64,
    /// Older than this is unknown (the source's `stale_after`); None: never stale.
    pub stale_after_secs: Option<f64>,
}

impl Reading {
    fn fresh(&self) -> bool {
        self.stale_after_secs
            .is_none_or(|limit| self.age_secs <= limit)
    }
}

/// What evaluation needs to know about a segment now.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub phase: Option<Phase>,
    /// Seconds since the segment entered its phase.
    pub secs_in_phase: Option<f64>,
    /// Latest readings by metric name (`migrated` as a share 0..1 under `migrated_share`).
    pub readings: BTreeMap<String, Reading>,
    /// The migrated share's reading (value in 0..1), if known.
    pub migrated_share: Option<Reading>,
    /// S(D) now, once in cutover.
    pub projected_share: Option<f64>,
    /// The segment's id and its latest reconciliation, for `reconciled`.
    pub segment: String,
    pub reconciled: Option<ReconciledSeen>,
}

/// "14 s", "6 min", "3 h", "2 d".
pub fn age(secs: f64) -> String {
    let s = secs.max(0.0);
    if s < 90.0 {
        format!("{s:.0} s")
    } else if s < 90.0 * 60.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 48.0 * 3600.0 {
        format!("{:.0} h", s / 3600.0)
    } else {
        format!("{:.0} d", s / 86400.0)
    }
}

fn num(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

impl Criterion {
    /// A short name: the label, else `failure_rate ≤ 0.02`, `projection − 5 pts`, `soak 24 h`.
    pub fn name(&self) -> String {
        match self {
            Criterion::Metric { label: Some(l), .. } => l.clone(),
            Criterion::Metric {
                metric, min, max, ..
            } => match (min, max) {
                (Some(lo), Some(hi)) => format!("{} ≤ {metric} ≤ {}", num(*lo), num(*hi)),
                (Some(lo), None) => format!("{metric} ≥ {}", num(*lo)),
                (None, Some(hi)) => format!("{metric} ≤ {}", num(*hi)),
                (None, None) => metric.clone(),
            },
            Criterion::Projection { tolerance_points } => {
                format!("migrated ≥ projection − {} pts", num(*tolerance_points))
            }
            Criterion::Soak { hours } => format!("soak {} h in gate", num(*hours)),
            Criterion::Reconciled(_) => "reconciled".to_string(),
            Criterion::Canary { metric, min } => {
                format!("canaries log in: {metric} ≥ {}", num(*min))
            }
        }
    }

    /// The metric this criterion reads, if any.
    pub fn metric(&self) -> Option<&str> {
        match self {
            Criterion::Metric { metric, .. } | Criterion::Canary { metric, .. } => Some(metric),
            _ => None,
        }
    }

    /// Every metric whose new readings can change this criterion's verdict: a threshold's
    /// metric, the projection's `migrated`, none for a soak.
    pub fn metrics(&self) -> Vec<&str> {
        match self {
            Criterion::Metric { metric, .. } | Criterion::Canary { metric, .. } => {
                vec![metric.as_str()]
            }
            Criterion::Projection { .. } => vec![MIGRATED],
            Criterion::Soak { .. } | Criterion::Reconciled(_) => Vec::new(),
        }
    }

    /// Evaluate now.
    pub fn evaluate(&self, ctx: &Context) -> Verdict {
        let (status, reason) = match self {
            Criterion::Metric {
                metric, min, max, ..
            } => match ctx.readings.get(metric) {
                None => (Status::Unknown, format!("no sample of '{metric}' yet")),
                Some(r) if !r.fresh() => (
                    Status::Unknown,
                    format!(
                        "{} is {} old, stale after {}",
                        num(r.value),
                        age(r.age_secs),
                        age(r.stale_after_secs.unwrap_or_default())
                    ),
                ),
                Some(r)
                    if !r.value.is_finite()
                        || min.is_some_and(|b| !b.is_finite())
                        || max.is_some_and(|b| !b.is_finite()) =>
                {
                    (
                        Status::Unknown,
                        format!("{} is not a number to compare", num(r.value)),
                    )
                }
                Some(r) => {
                    let when = format!("(sample {} old)", age(r.age_secs));
                    if let Some(hi) = max
                        && r.value > *hi
                    {
                        (
                            Status::Fail,
                            format!("{} > max {} {when}", num(r.value), num(*hi)),
                        )
                    } else if let Some(lo) = min
                        && r.value < *lo
                    {
                        (
                            Status::Fail,
                            format!("{} < min {} {when}", num(r.value), num(*lo)),
                        )
                    } else {
                        (Status::Pass, format!("{} {when}", num(r.value)))
                    }
                }
            },
            Criterion::Projection { tolerance_points } => {
                match (ctx.phase, ctx.migrated_share, ctx.projected_share) {
                    (Some(Phase::Cutover), Some(actual), Some(projected))
                        if !actual.value.is_finite() || !projected.is_finite() =>
                    {
                        (
                            Status::Unknown,
                            "the migrated share or its projection is not a number".to_string(),
                        )
                    }
                    (Some(Phase::Cutover), Some(actual), Some(projected)) => {
                        if !actual.fresh() {
                            (
                                Status::Unknown,
                                format!(
                                    "migrated count is {} old, stale after {}",
                                    age(actual.age_secs),
                                    age(actual.stale_after_secs.unwrap_or_default())
                                ),
                            )
                        } else {
                            let gap = (actual.value - projected) * 100.0;
                            let text = format!(
                                "{:.1} % vs projection {:.1} % ({:+.1} pts, sample {} old)",
                                actual.value * 100.0,
                                projected * 100.0,
                                gap,
                                age(actual.age_secs)
                            );
                            if gap >= -tolerance_points {
                                (Status::Pass, text)
                            } else {
                                (Status::Fail, text)
                            }
                        }
                    }
                    (Some(Phase::Cutover), None, _) => {
                        (Status::Unknown, "no migrated count yet".to_string())
                    }
                    (Some(Phase::Cutover), _, None) => {
                        (Status::Pass, "no projection (bulk strategy)".to_string())
                    }
                    _ => (Status::Pass, "applies from cutover on".to_string()),
                }
            }
            Criterion::Canary { metric, min } => match ctx.phase {
                Some(Phase::Cutover | Phase::Done) => {
                    let v = Criterion::Metric {
                        metric: metric.clone(),
                        min: Some(*min),
                        max: None,
                        label: None,
                    }
                    .evaluate(ctx);
                    (v.status, v.reason)
                }
                _ => (
                    Status::Pass,
                    "applies from cutover on (the canaries move with the users)".to_string(),
                ),
            },
            Criterion::Reconciled(limits) => match ctx.phase {
                Some(Phase::Cutover | Phase::Done) => {
                    ReconciledSeen::judge(ctx.reconciled.as_ref(), limits, &ctx.segment)
                }
                _ => (
                    Status::Pass,
                    "applies from cutover on (the move is the cutover)".to_string(),
                ),
            },
            Criterion::Soak { hours } => match (ctx.phase, ctx.secs_in_phase) {
                (Some(Phase::Gate), Some(s)) if s >= hours * 3600.0 => {
                    (Status::Pass, format!("in gate for {}", age(s)))
                }
                (Some(Phase::Gate), Some(s)) => (
                    Status::Fail,
                    format!("in gate for {} of {} h", age(s), num(*hours)),
                ),
                (Some(Phase::Gate), None) => (Status::Fail, "not in gate yet".to_string()),
                (Some(Phase::Cutover | Phase::Done), _) => {
                    (Status::Pass, "soaked before cutover".to_string())
                }
                _ => (Status::Fail, format!("needs {} h in gate", num(*hours))),
            },
        };
        Verdict {
            name: self.name(),
            status,
            reason,
        }
    }
}

/// Evaluate every criterion.
pub fn evaluate_all(criteria: &[Criterion], ctx: &Context) -> Vec<Verdict> {
    criteria.iter().map(|c| c.evaluate(ctx)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx_with(metric: &str, value: f64, age_secs: f64, stale: Option<f64>) -> Context {
        let mut ctx = Context {
            phase: Some(Phase::Gate),
            ..Context::default()
        };
        ctx.readings.insert(
            metric.into(),
            Reading {
                value,
                age_secs,
                stale_after_secs: stale,
            },
        );
        ctx
    }

    #[test]
    fn a_threshold_passes_fails_and_goes_unknown_when_stale() {
        let c = Criterion::Metric {
            metric: "failure_rate".into(),
            min: None,
            max: Some(0.02),
            label: None,
        };
        let v = c.evaluate(&ctx_with("failure_rate", 0.012, 14.0, Some(300.0)));
        assert_eq!(v.status, Status::Pass);
        let v = c.evaluate(&ctx_with("failure_rate", 0.031, 14.0, Some(300.0)));
        assert_eq!(v.status, Status::Fail);
        assert_eq!(v.reason, "0.031 > max 0.02 (sample 14 s old)");
        let v = c.evaluate(&ctx_with("failure_rate", 0.01, 400.0, Some(300.0)));
        assert_eq!(v.status, Status::Unknown);
        assert!(v.reason.contains("stale after 5 min"), "{}", v.reason);
        let v = c.evaluate(&Context::default());
        assert_eq!(v.status, Status::Unknown);
        assert_eq!(c.name(), "failure_rate ≤ 0.02");
    }

    #[test]
    fn projection_adherence_applies_in_cutover() {
        let c = Criterion::Projection {
            tolerance_points: 5.0,
        };
        let mut ctx = Context {
            phase: Some(Phase::Cutover),
            projected_share: Some(0.66),
            ..Context::default()
        };
        ctx.migrated_share = Some(Reading {
            value: 0.62,
            age_secs: 10.0,
            stale_after_secs: Some(300.0),
        });
        assert_eq!(c.evaluate(&ctx).status, Status::Pass);
        ctx.migrated_share = Some(Reading {
            value: 0.58,
            age_secs: 10.0,
            stale_after_secs: Some(300.0),
        });
        let v = c.evaluate(&ctx);
        assert_eq!(v.status, Status::Fail);
        assert!(v.reason.contains("-8.0 pts"), "{}", v.reason);
        ctx.phase = Some(Phase::Gate);
        assert_eq!(c.evaluate(&ctx).status, Status::Pass);
    }

    #[test]
    fn soak_counts_hours_in_gate() {
        let c = Criterion::Soak { hours: 24.0 };
        let ctx = Context {
            phase: Some(Phase::Gate),
            secs_in_phase: Some(3.0 * 3600.0),
            ..Context::default()
        };
        assert_eq!(c.evaluate(&ctx).status, Status::Fail);
        let ctx = Context {
            phase: Some(Phase::Gate),
            secs_in_phase: Some(30.0 * 3600.0),
            ..Context::default()
        };
        assert_eq!(c.evaluate(&ctx).status, Status::Pass);
        let ctx = Context {
            phase: Some(Phase::Cutover),
            secs_in_phase: Some(60.0),
            ..Context::default()
        };
        assert_eq!(
            c.evaluate(&ctx).status,
            Status::Pass,
            "a soak does not guard a cutover"
        );
    }
}
