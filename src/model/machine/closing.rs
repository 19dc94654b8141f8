//! Closing a segment: cutover → done when its goal is reached or its deadline has passed, and,
//! for a segment that moved its users, only once its latest reconciliation passes (past the
//! deadline, without one only with a reason). Part of the phase machine ([`super`]).

use super::{Decision, Facts, Refusal, percent, refuse, transition};
use crate::model::phase::{HookAction, Phase};

/// cutover → done: the goal reached, or the deadline passed.
pub(super) fn done(facts: &Facts<'_>) -> Result<Decision, Refusal> {
    let seg = facts.segment;
    match facts.migrated_share {
        Some(share) if share >= facts.goal => Ok(transition(
            facts,
            HookAction::Done,
            Phase::Cutover,
            Phase::Done,
            Some(format!(
                "goal {} reached: {} migrated",
                percent(facts.goal),
                percent(share)
            )),
        )),
        share if facts.deadline_passed => Ok(transition(
            facts,
            HookAction::Done,
            Phase::Cutover,
            Phase::Done,
            Some(match share {
                Some(s) => format!(
                    "closed after the deadline at {} migrated, {} short of the goal",
                    percent(s),
                    percent(facts.goal - s)
                ),
                None => "closed after the deadline with the migrated share unknown".to_string(),
            }),
        )),
        Some(share) => refuse(format!(
            "cutover: {} migrated, goal {}; done when the goal is reached, or closed after the deadline",
            percent(share),
            percent(facts.goal)
        )),
        None => refuse(format!(
            "cutover: the migrated share of {seg} is unknown (no sample yet); poll its source or record one"
        )),
    }
}

/// A segment whose legacy users changed since its move goes done only once they are moved
/// too: its drift gates hold `done` as they hold the gate (an unknown count holds it too).
pub(super) fn undrifted(facts: &Facts<'_>, decision: Decision) -> Result<Decision, Refusal> {
    match super::gate::blockers(facts.drift) {
        None => Ok(decision),
        Some(why) => refuse(format!(
            "{} has legacy users changed since its move ({why}): they are not on the target as they are now; move them again, or raise the gate's max_drift if they may stay behind",
            facts.segment
        )),
    }
}

/// A segment that moves its users goes done only once its latest reconciliation passes; past
/// its deadline it may close without one, but only with a reason, which the note keeps.
pub(super) fn reconciled_first(facts: &Facts<'_>, decision: Decision) -> Result<Decision, Refusal> {
    let seg = facts.segment;
    let Some((status, why)) = &facts.reconciled else {
        return Ok(decision);
    };
    if *status == super::gate::Status::Pass {
        return Ok(decision);
    }
    if !facts.deadline_passed {
        return refuse(format!(
            "{seg} moved its users, and done needs proof that every one arrived: {why}"
        ));
    }
    if !facts.reason_given {
        return refuse(format!(
            "{seg} is past its deadline but not reconciled ({why}); to close it anyway, say why: cutover advance {seg} --reason \"…\""
        ));
    }
    let unreconciled = format!("closed without a passing reconciliation ({why})");
    Ok(match decision {
        Decision::Fire {
            hook,
            from,
            to,
            retry_of,
            note,
        } => Decision::Fire {
            hook,
            from,
            to,
            retry_of,
            note: Some(note.map_or(unreconciled.clone(), |n| format!("{n}; {unreconciled}"))),
        },
        Decision::Move { from, to, note } => Decision::Move {
            from,
            to,
            note: Some(note.map_or(unreconciled.clone(), |n| format!("{n}; {unreconciled}"))),
        },
        other => other,
    })
}
