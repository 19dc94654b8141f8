//! The phases a segment moves through and the actions an operator (or the guard) can take.
//!
//! Plain enums with their user-facing names; no I/O and no knowledge of storage.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a segment stands in its migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Plan,
    Test,
    Gate,
    Cutover,
    Done,
    RolledBack,
}

impl Phase {
    pub const ALL: [Phase; 6] = [
        Phase::Plan,
        Phase::Test,
        Phase::Gate,
        Phase::Cutover,
        Phase::Done,
        Phase::RolledBack,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Plan => "plan",
            Phase::Test => "test",
            Phase::Gate => "gate",
            Phase::Cutover => "cutover",
            Phase::Done => "done",
            Phase::RolledBack => "rolled-back",
        }
    }

    /// The phase `advance` leads to, if any.
    pub fn next(self) -> Option<Phase> {
        match self {
            Phase::Plan => Some(Phase::Test),
            Phase::Test => Some(Phase::Gate),
            Phase::Gate => Some(Phase::Cutover),
            Phase::Cutover => Some(Phase::Done),
            Phase::Done | Phase::RolledBack => None,
        }
    }

    /// Phases a rollback may start from.
    pub fn can_roll_back(self) -> bool {
        matches!(
            self,
            Phase::Test | Phase::Gate | Phase::Cutover | Phase::Done
        )
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The phase as an operator reads it: the machine phase, or `rollback-failed` when a rollback
/// hook failed and the segment is still, visibly, in its old phase. This is what `status`,
/// the cockpit and the protocol carry; it serializes as the same kebab-case names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseShown {
    Plan,
    Test,
    Gate,
    Cutover,
    Done,
    RolledBack,
    RollbackFailed,
}

impl PhaseShown {
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseShown::RollbackFailed => "rollback-failed",
            other => other.phase().map_or("rollback-failed", Phase::as_str),
        }
    }

    /// The machine phase, if this is one (`rollback-failed` is not).
    pub fn phase(self) -> Option<Phase> {
        Some(match self {
            PhaseShown::Plan => Phase::Plan,
            PhaseShown::Test => Phase::Test,
            PhaseShown::Gate => Phase::Gate,
            PhaseShown::Cutover => Phase::Cutover,
            PhaseShown::Done => Phase::Done,
            PhaseShown::RolledBack => Phase::RolledBack,
            PhaseShown::RollbackFailed => return None,
        })
    }
}

impl From<Phase> for PhaseShown {
    fn from(p: Phase) -> PhaseShown {
        match p {
            Phase::Plan => PhaseShown::Plan,
            Phase::Test => PhaseShown::Test,
            Phase::Gate => PhaseShown::Gate,
            Phase::Cutover => PhaseShown::Cutover,
            Phase::Done => PhaseShown::Done,
            Phase::RolledBack => PhaseShown::RolledBack,
        }
    }
}

impl fmt::Display for PhaseShown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A hook point: the transitions that talk to the outside world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HookAction {
    /// gate → cutover: route the segment's users to the new system.
    Cutover,
    /// → rolled-back: route them back to the legacy system.
    Rollback,
    /// cutover → done: the segment reached its goal (or was closed).
    Done,
}

impl HookAction {
    pub fn as_str(self) -> &'static str {
        match self {
            HookAction::Cutover => "cutover",
            HookAction::Rollback => "rollback",
            HookAction::Done => "done",
        }
    }
}

impl fmt::Display for HookAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What an operator (or the automatic guard) asks of one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Move to the next phase (plan → test → gate → cutover → done).
    Advance,
    /// Send a segment in `gate` back to `test`.
    Retest,
    /// Roll the segment back (fires the rollback hook).
    RollBack,
    /// Re-fire a failed or unfinished rollback hook with the same idempotency key.
    RetryRollBack,
    /// rolled-back → plan.
    Replan,
    /// Freeze the segment: no advance until resumed.
    Pause,
    /// Lift a hold.
    Resume,
    /// Make the forecast's fitted mix the segment's plan (recorded with old and new).
    AdoptFit,
    /// Recorded by the guard when a segment in cutover starts failing its criteria; not
    /// something anyone can request.
    GuardFailed,
    /// Test checks run without advancing (the cockpit's `c`, `cutover checks`): the results
    /// are in the event's `checks`.
    RunChecks,
    /// `cutover audit` of a user export: the counts are in the event's `audit`.
    Audit,
    /// A move of users ended (done, failed or undone): its counts are in the event's `moved`.
    Move,
    /// `cutover reconcile`: its counts are in the event's `reconciled`.
    Reconcile,
    /// Recorded by the guarding owner when a lasting condition starts or ends (a rollback
    /// stuck pending, a source failing past its `stale_after`, a guard passing again), so the
    /// log, and the notifications it drives, say it once per transition. Its `reason` is
    /// `raised: KEY` or `cleared: KEY`.
    Alarm,
    /// Recorded by long-lived owners (project-wide, segment `*`): guarding `started` or
    /// `stopped` (who, pid, host and why in the detail), or the `gap` a new guard ended.
    Guarding,
    /// Change control: an action requested for approval, an approval or a rejection (in the
    /// event's `approval`).
    Approval,
}

impl Action {
    /// The name recorded as the event kind in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Advance => "advance",
            Action::Retest => "retest",
            Action::RollBack | Action::RetryRollBack => "rollback",
            Action::Replan => "replan",
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::AdoptFit => "adopt-fit",
            Action::GuardFailed => "guard-failed",
            Action::RunChecks => "run-checks",
            Action::Audit => "audit",
            Action::Move => "move",
            Action::Reconcile => "reconcile",
            Action::Alarm => "alarm",
            Action::Guarding => "guarding",
            Action::Approval => "approval",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}
