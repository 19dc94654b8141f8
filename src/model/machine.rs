//! The phase machine (the table in `docs/phases-and-hooks.md`) as one pure function: given what is known about a segment and
//! what someone asks of it, either a decision (what to record, which hook to fire) or a refusal
//! with a reason an operator can act on.
//!
//! No I/O, no clock, no storage: the engine gathers [`Facts`], calls [`decide`], and carries
//! out the [`Decision`].

mod closing;

use super::event::SegmentState;
use super::gate::{self, Verdict};
use super::phase::{Action, HookAction, Phase};
use closing::{done, reconciled_first};
use std::fmt;

/// What the machine needs to know to decide. Gathered by the engine; plain data.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub segment: &'a str,
    pub state: &'a SegmentState,
    /// Problems that keep the plan from being complete (empty: complete).
    pub plan_problems: &'a [String],
    /// Test checks, evaluated (empty: none declared, which passes).
    pub checks: &'a [Verdict],
    /// Gate criteria, evaluated on fresh data (empty: none declared, which passes).
    pub gates: &'a [Verdict],
    /// Migrated share of the size recorded at cutover, if a sample is known.
    pub migrated_share: Option<f64>,
    pub goal: f64,
    pub deadline_passed: bool,
    /// For a segment that moves its users (`[segments.move]`): its latest reconciliation
    /// judged (see [`crate::model::criteria::ReconciledSeen::judge`]); `None` otherwise.
    pub reconciled: Option<(super::gate::Status, String)>,
    /// The gate criteria on the segment's drift sources (legacy users changed since its
    /// move), evaluated on fresh data: they hold `done` as they hold the gate.
    pub drift: &'a [Verdict],
    /// The request came with a reason (`--reason`).
    pub reason_given: bool,
    /// The forecast's fitted mix, when there is a forecast (a slow segment in cutover).
    pub fitted: Option<&'a [crate::model::Cohort]>,
    /// Which hook points have a hook configured.
    pub hooks: HookSet,
}

/// Which of a segment's hook points are configured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HookSet {
    pub cutover: bool,
    pub rollback: bool,
    pub done: bool,
}

impl HookSet {
    pub fn has(self, action: HookAction) -> bool {
        match action {
            HookAction::Cutover => self.cutover,
            HookAction::Rollback => self.rollback,
            HookAction::Done => self.done,
        }
    }
}

/// What to do about an allowed action.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Change phase now, with no hook (none is configured for this transition).
    Move {
        from: Phase,
        to: Phase,
        note: Option<String>,
    },
    /// Record the intent, fire the hook, and change phase only if it succeeds.
    Fire {
        hook: HookAction,
        from: Phase,
        to: Phase,
        /// Re-fire of an earlier request: reuse its idempotency key.
        retry_of: Option<u64>,
        note: Option<String>,
    },
    /// Put the segment on hold.
    Hold,
    /// Lift the hold.
    Resume,
    /// Record this mix as the segment's plan.
    Adopt(Vec<crate::model::Cohort>),
}

impl Decision {
    /// The phase the segment will be in once this decision takes effect.
    pub fn target(&self) -> Option<Phase> {
        match self {
            Decision::Move { to, .. } | Decision::Fire { to, .. } => Some(*to),
            Decision::Hold | Decision::Resume | Decision::Adopt(_) => None,
        }
    }
}

/// Why an action was refused, worded for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn refuse<T>(reason: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(reason.into()))
}

fn transition(
    facts: &Facts<'_>,
    hook: HookAction,
    from: Phase,
    to: Phase,
    note: Option<String>,
) -> Decision {
    if facts.hooks.has(hook) {
        Decision::Fire {
            hook,
            from,
            to,
            retry_of: None,
            note,
        }
    } else {
        Decision::Move { from, to, note }
    }
}

fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// Decide what `action` does to the segment described by `facts`.
pub fn decide(action: Action, facts: &Facts<'_>) -> Result<Decision, Refusal> {
    let seg = facts.segment;
    let state = facts.state;
    let phase = state.phase;
    match action {
        Action::Pause => match &state.hold {
            Some(h) => refuse(format!(
                "{seg} is already paused by {} since {}: {}",
                h.actor,
                h.since.format("%Y-%m-%d %H:%M"),
                h.reason
            )),
            None => Ok(Decision::Hold),
        },
        Action::AdoptFit => match facts.fitted {
            Some(mix) if !mix.is_empty() => Ok(Decision::Adopt(mix.to_vec())),
            _ => refuse(format!(
                "{seg} has no forecast to adopt: a slow segment needs two days of data in cutover"
            )),
        },
        Action::Resume => match state.hold {
            Some(_) => Ok(Decision::Resume),
            None => refuse(format!("{seg} is not paused: nothing to resume")),
        },
        Action::RetryRollBack => {
            let open = state
                .pending
                .filter(|p| p.action == HookAction::Rollback)
                .or(state.rollback_failed);
            match open {
                Some(p) if facts.hooks.rollback => Ok(Decision::Fire {
                    hook: HookAction::Rollback,
                    from: p.from,
                    to: Phase::RolledBack,
                    retry_of: Some(p.key),
                    note: None,
                }),
                Some(p) => Ok(Decision::Move {
                    from: p.from,
                    to: Phase::RolledBack,
                    note: Some(format!(
                        "no rollback hook is configured any more; event {} closed without one",
                        p.key
                    )),
                }),
                None => refuse(format!(
                    "nothing to retry: no rollback of {seg} failed or was left unfinished"
                )),
            }
        }
        Action::RollBack => {
            if let Some(p) = state.pending.filter(|p| p.action == HookAction::Rollback) {
                return refuse(format!(
                    "the rollback hook of event {} has no recorded outcome (interrupted?); re-fire it with the same idempotency key: cutover rollback {seg} --retry",
                    p.key
                ));
            }
            if let Some(f) = state.rollback_failed {
                return refuse(format!(
                    "the rollback of event {} failed and {seg} is still in {}; retry it with: cutover rollback {seg} --retry",
                    f.key, f.from
                ));
            }
            match phase {
                Phase::Plan => refuse(format!("{seg} is in plan: nothing to roll back")),
                Phase::RolledBack => refuse(format!("{seg} is already rolled back")),
                from => Ok(transition(
                    facts,
                    HookAction::Rollback,
                    from,
                    Phase::RolledBack,
                    None,
                )),
            }
        }
        Action::Replan => match phase {
            Phase::RolledBack => Ok(Decision::Move {
                from: phase,
                to: Phase::Plan,
                note: None,
            }),
            other => refuse(format!(
                "only a rolled-back segment can be re-planned; {seg} is in {other}"
            )),
        },
        Action::Retest => match phase {
            Phase::Gate => Ok(Decision::Move {
                from: phase,
                to: Phase::Test,
                note: None,
            }),
            other => refuse(format!(
                "only a segment in gate can be sent back to test; {seg} is in {other}"
            )),
        },
        Action::Advance => advance(facts),
        Action::GuardFailed => refuse("guard-failed: recorded by the guard, never requested"),
        Action::Alarm => refuse("alarm: recorded by the guarding owner, never requested"),
        Action::Guarding => refuse("guarding: recorded by long-lived owners, never requested"),
        Action::Approval => refuse(
            "approval: recorded by change control (cutover approve, cutover reject), never decided by the phase machine",
        ),
        Action::RunChecks | Action::Audit | Action::Move | Action::Reconcile => refuse(format!(
            "{seg}: run-checks, audit and move are recorded with their results, never decided by the phase machine"
        )),
    }
}

fn advance(facts: &Facts<'_>) -> Result<Decision, Refusal> {
    let seg = facts.segment;
    let state = facts.state;
    if let Some(h) = &state.hold {
        return refuse(format!(
            "{seg} is paused by {} since {} ({}); resume it first: cutover resume {seg}",
            h.actor,
            h.since.format("%Y-%m-%d %H:%M"),
            h.reason
        ));
    }
    if let Some(f) = state.rollback_failed {
        return refuse(format!(
            "the rollback of event {} failed; finish it before moving on: cutover rollback {seg} --retry",
            f.key
        ));
    }
    if let Some(p) = state.pending {
        if p.action == HookAction::Rollback {
            return refuse(format!(
                "a rollback of {seg} (event {}) has no recorded outcome; finish it: cutover rollback {seg} --retry",
                p.key
            ));
        }
        if p.from == state.phase {
            // An interrupted cutover/done hook: advancing again re-fires it with the same key.
            return Ok(Decision::Fire {
                hook: p.action,
                from: p.from,
                to: p.to,
                retry_of: Some(p.key),
                note: Some(format!(
                    "re-fires the interrupted {} hook of event {}",
                    p.action, p.key
                )),
            });
        }
    }
    match state.phase {
        Phase::Plan => {
            if facts.plan_problems.is_empty() {
                Ok(Decision::Move {
                    from: Phase::Plan,
                    to: Phase::Test,
                    note: None,
                })
            } else {
                refuse(format!(
                    "plan of {seg} is incomplete: {}",
                    facts.plan_problems.join("; ")
                ))
            }
        }
        Phase::Test => match gate::blockers(facts.checks) {
            Some(why) => refuse(format!("test: {why}")),
            None => Ok(Decision::Move {
                from: Phase::Test,
                to: Phase::Gate,
                note: Some(if facts.checks.is_empty() {
                    "no checks".to_string()
                } else {
                    format!("checks {}", gate::summary(facts.checks))
                }),
            }),
        },
        Phase::Gate => match gate::blockers(facts.gates) {
            Some(why) => refuse(format!("gate: {why}")),
            None => Ok(transition(
                facts,
                HookAction::Cutover,
                Phase::Gate,
                Phase::Cutover,
                facts.gates.is_empty().then(|| "no criteria".to_string()),
            )),
        },
        Phase::Cutover => done(facts)
            .and_then(|d| closing::undrifted(facts, d))
            .and_then(|d| reconciled_first(facts, d)),
        Phase::Done => refuse(format!("{seg} is done: there is no next phase")),
        Phase::RolledBack => refuse(format!(
            "{seg} is rolled back; re-plan it first: cutover replan {seg} (key P in the cockpit)"
        )),
    }
}
