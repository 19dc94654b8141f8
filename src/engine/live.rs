//! Live data in the engine: storing polled samples, source health, gate evaluation on fresh
//! readings and the guard of segments in cutover.

use super::{Command, Engine, EngineError, MIGRATED};
use crate::config::Segment;
use crate::config::SourceKind;
use crate::model::criteria::{self, Context, Reading};
use crate::model::streak::Cause;
use crate::model::{Action, NewEvent, Phase, Status, Verdict};
use crate::source::Polled;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the owner knows of one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceHealth {
    pub segment: String,
    pub metric: String,
    pub kind: SourceKind,
    pub last_value: Option<f64>,
    pub last_ok_at: Option<DateTime<Utc>>,
    /// The last error and when it happened (cleared by a success).
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
}

impl SourceHealth {
    pub fn ok(&self) -> bool {
        self.last_error.is_none() && self.last_ok_at.is_some()
    }
}

/// What the guard concluded after a sample.
#[derive(Debug, Clone, PartialEq)]
pub enum Guard {
    /// Not guarded now (not in cutover, or no criteria).
    Idle,
    /// Every criterion passes.
    Clear,
    /// Failing (or unknown) criteria: an alarm, `streak` fresh failing readings in a row.
    Alarm { streak: u32, readings: String },
    /// Roll back now: this command, as actor `auto`.
    RollBack(Command),
}

fn secs(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_milliseconds() as f64 / 1000.0
}

impl Engine {
    /// The readings gates need, at `now`.
    pub fn context(&self, seg: &Segment, now: DateTime<Utc>) -> Result<Context, StoreError> {
        let state = self.state(&seg.id);
        let mut ctx = Context {
            phase: Some(state.phase),
            secs_in_phase: state.since.map(|s| secs(s, now)),
            segment: seg.id.clone(),
            reconciled: self.latest_reconciled(&seg.id, "real", now),
            ..Context::default()
        };
        for c in &seg.gates {
            if let Some(metric) = c.metric()
                && let Some((at, value)) = self.store().latest(&seg.id, metric)?
            {
                ctx.readings.insert(
                    metric.to_string(),
                    Reading {
                        value,
                        age_secs: secs(at, now),
                        stale_after_secs: seg.source(metric).map(|s| s.stale_after.as_secs_f64()),
                    },
                );
            }
        }
        if let Some((at, _, share)) = self.migrated(seg)? {
            ctx.migrated_share = Some(Reading {
                value: share,
                age_secs: secs(at, now),
                stale_after_secs: seg.source(MIGRATED).map(|s| s.stale_after.as_secs_f64()),
            });
        }
        if state.phase == Phase::Cutover
            && let (Some(at), Some(model)) = (state.cutover_at, self.projection_of(&seg.id))
        {
            ctx.projected_share = Some(model.share(secs(at, now) / 86_400.0));
        }
        Ok(ctx)
    }

    /// Every gate criterion of a segment evaluated now.
    pub fn gate_verdicts(
        &self,
        seg: &Segment,
        now: DateTime<Utc>,
    ) -> Result<Vec<Verdict>, StoreError> {
        let ctx = self.context(seg, now)?;
        Ok(criteria::evaluate_all(&seg.gates, &ctx))
    }

    /// Health of one source, if this process has polled it.
    pub fn source_health(&self, segment: &str, metric: &str) -> Option<&SourceHealth> {
        self.health.get(&(segment.to_string(), metric.to_string()))
    }

    /// Health of every source seen by this process.
    pub fn health(&self) -> impl Iterator<Item = &SourceHealth> {
        self.health.values()
    }

    /// Store a polled result (not flushed; the owner syncs on its tick) and update the
    /// source's health. Samples for segments or metrics no longer in the project are dropped.
    pub fn record_polled(&mut self, p: &Polled) -> Result<(), StoreError> {
        let Some(seg) = self.project().segment(&p.segment) else {
            return Ok(());
        };
        let Some(kind) = seg.source(&p.metric).map(crate::config::SourceSpec::kind) else {
            return Ok(());
        };
        let result = match &p.result {
            Ok(v) => self
                .in_range(&p.segment, &p.metric, *v)
                .map_err(String::from),
            Err(e) => Err(e.message.clone()),
        };
        let key = (p.segment.clone(), p.metric.clone());
        let h = self.health.entry(key).or_insert_with(|| SourceHealth {
            segment: p.segment.clone(),
            metric: p.metric.clone(),
            kind,
            last_value: None,
            last_ok_at: None,
            last_error: None,
            last_error_at: None,
            consecutive_failures: 0,
        });
        match &result {
            Ok(v) => {
                h.last_value = Some(*v);
                h.last_ok_at = Some(p.at);
                h.last_error = None;
                h.last_error_at = None;
                h.consecutive_failures = 0;
                self.store_polled(&p.segment, &p.metric, p.at, *v)?;
            }
            Err(e) => {
                h.last_error = Some(e.clone());
                h.last_error_at = Some(p.at);
                h.consecutive_failures += 1;
            }
        }
        Ok(())
    }

    /// A polled result as it may enter: a reading out of range becomes the source's error.
    pub fn checked(&self, p: &Polled) -> Polled {
        Polled {
            result: p.result.clone().and_then(|v| {
                self.in_range(&p.segment, &p.metric, v).map_err(|b| {
                    crate::source::PollError::new(
                        crate::source::PollFailure::OutOfRange,
                        String::from(b),
                    )
                })
            }),
            ..p.clone()
        }
    }

    /// Whether a reading can be a sample: a number, and for `migrated` a count between 0 and
    /// the segment's size (a count above it would close the segment as done on a wrong
    /// query). Otherwise the reading is the source's error, and criteria over it are unknown.
    pub fn in_range(
        &self,
        segment: &str,
        metric: &str,
        value: f64,
    ) -> Result<f64, crate::model::reading::Broken> {
        crate::model::reading::value(metric, value, self.migrated_base(segment))
    }

    /// What a `migrated` count of a segment is measured against: its size at cutover, else
    /// its configured size (None: not a segment of this project).
    pub(crate) fn migrated_base(&self, segment: &str) -> Option<u64> {
        let seg = self.project().segment(segment)?;
        // Read in place: every imported sample asks, and copying the segment's whole state
        // for it cost an import about a sixth of its time.
        let at_cutover = self.state_ref(segment).and_then(|s| s.size_at_cutover);
        Some(at_cutover.unwrap_or(seg.size))
    }

    /// Re-evaluate the guard of a segment at `now`, after `cause` (see [`crate::model::streak`]
    /// for the counting rule: fresh failing readings, never re-evaluations). Records one
    /// `guard-failed` event when an alarm opens; asks for a rollback as `auto` when the segment
    /// has `auto_rollback` and its streak reaches `failures_before_rollback`. Unknown criteria
    /// neither count nor reset the streak (a metrics outage alone never rolls back).
    pub fn guard(
        &mut self,
        segment: &str,
        now: DateTime<Utc>,
        cause: Cause<'_>,
    ) -> Result<Guard, EngineError> {
        let Some(seg) = self.project().segment(segment).cloned() else {
            return Ok(Guard::Idle);
        };
        let state = self.state(segment);
        if state.phase != Phase::Cutover || seg.gates.is_empty() {
            self.streaks.forget(segment);
            return Ok(Guard::Idle);
        }
        let verdicts = self.gate_verdicts(&seg, now)?;
        let counted = self.streaks.observe(
            segment,
            &seg.gates,
            &verdicts,
            cause,
            seg.failures_before_rollback,
        );
        let streak = counted.streak;
        let failing: Vec<&Verdict> = verdicts
            .iter()
            .filter(|v| v.status == Status::Fail)
            .collect();
        if failing.is_empty() {
            let unknown: Vec<String> = verdicts
                .iter()
                .filter(|v| v.status == Status::Unknown)
                .map(|v| format!("{}: unknown ({})", v.name, v.reason))
                .collect();
            if unknown.is_empty() {
                return Ok(Guard::Clear);
            }
            let readings = unknown.join("; ");
            return Ok(Guard::Alarm { streak, readings });
        }
        let readings = failing
            .iter()
            .map(|v| format!("{}: {}", v.name, v.reason))
            .collect::<Vec<_>>()
            .join("; ");
        // One guard-failed event per alarm: a new one only after the guard has been clear for
        // `failures_before_rollback` fresh readings in a row, so a reading hovering at its
        // bound does not flood the log.
        if counted.opened {
            self.append(NewEvent {
                from: Some(state.phase),
                detail: Some(if seg.auto_rollback {
                    format!(
                        "{readings} (auto-rollback after {} failing readings in a row)",
                        seg.failures_before_rollback
                    )
                } else {
                    format!("{readings} (no auto_rollback: an operator decides)")
                }),
                ..NewEvent::new(now, segment, Action::GuardFailed, "auto")
            })?;
        }
        let busy = state.pending.is_some() || state.rollback_failed.is_some();
        if seg.auto_rollback && streak >= seg.failures_before_rollback && !busy {
            self.streaks.restart(segment);
            return Ok(Guard::RollBack(Command {
                segment: segment.to_string(),
                action: Action::RollBack,
                actor: "auto".to_string(),
                // Refused if another process moved the segment since this guard looked.
                expect: Some(state.phase),
                reason: Some(format!(
                    "auto-rollback after {streak} failing readings in a row: {readings}"
                )),
            }));
        }
        Ok(Guard::Alarm { streak, readings })
    }

    /// Take in one polled result at `now` (the owner's clock): store it, then re-evaluate that
    /// segment's guard. Only a number that is no older than its source's `stale_after` is a
    /// fresh reading the guard may count; an error or a late sample is another look.
    pub fn absorb(&mut self, p: &Polled, now: DateTime<Utc>) -> Result<Guard, EngineError> {
        self.record_polled(p)?;
        let stale_after = self
            .project()
            .segment(&p.segment)
            .and_then(|s| s.source(&p.metric))
            .map(|s| s.stale_after.as_secs_f64());
        let fresh = matches!(&p.result, Ok(v) if self.in_range(&p.segment, &p.metric, *v).is_ok())
            && stale_after.is_none_or(|limit| secs(p.at, now) <= limit);
        let cause = if fresh {
            Cause::Reading(&p.metric)
        } else {
            Cause::Look
        };
        self.guard(&p.segment, now, cause)
    }

    /// The segment's guard streak: the most fresh failing readings in a row of one criterion.
    pub fn guard_streak(&self, segment: &str) -> u32 {
        self.streaks.streak(segment)
    }
}

impl Engine {
    /// The migrated share of a segment: latest `migrated` sample over the size recorded at
    /// cutover (or the configured size before it).
    pub fn migrated(&self, seg: &Segment) -> Result<Option<(DateTime<Utc>, u64, f64)>, StoreError> {
        let state = self.state(&seg.id);
        let base = state.size_at_cutover.unwrap_or(seg.size);
        Ok(self.store.latest(&seg.id, MIGRATED)?.map(|(at, v)| {
            let count = v.max(0.0).round() as u64;
            let share = if base == 0 {
                0.0
            } else {
                (v / base as f64).clamp(0.0, 1.0)
            };
            (at, count, share)
        }))
    }
}

/// What keeps a segment's plan from being complete (plan → test needs a size, and a slow
/// segment a login probability or cohorts).
pub fn plan_problems(seg: &Segment) -> Vec<String> {
    let mut problems = Vec::new();
    if seg.size == 0 {
        problems.push("size is 0: set the segment's user count".to_string());
    }
    if seg.login.is_none() && seg.strategy == crate::config::Strategy::Slow {
        problems.push("no login_probability or cohorts".to_string());
    }
    problems
}
