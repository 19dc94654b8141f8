//! The path of an operator's (or the guard's) request: admitted (known segment, a reason and
//! actor the log may hold), decided under the segment's hold on the log as it is now, and
//! recorded (flushed) before anything happens. The owner asks for the hold without waiting
//! (`hold_later`) and decides when it is granted (`decide_held`); one-shot callers do both in
//! one call (`request`).

use super::{Command, Engine, EngineError, Step, checks, describe_model, plan_problems};
use crate::hook::HookJob;
use crate::model::log_rules;
use crate::model::{
    Action, Decision, Event, Facts, HookAction, HookSet, NewEvent, Outcome, Phase, decide,
};
use crate::store::StoreError;
use chrono::{DateTime, Utc};

impl Engine {
    /// Decide `cmd`, record what was decided (flushed), and say what remains to be done.
    pub fn request(&mut self, cmd: &Command, now: DateTime<Utc>) -> Result<Step, EngineError> {
        self.request_checked(cmd, now, None)
    }

    /// [`Engine::request`] with the segment's test checks just run (`checks`), which an advance
    /// from test decides on. Without them, each declared check is unknown, which never passes.
    pub fn request_checked(
        &mut self,
        cmd: &Command,
        now: DateTime<Utc>,
        checks: Option<Vec<crate::model::gate::Verdict>>,
    ) -> Result<Step, EngineError> {
        self.admit(cmd)?;
        let fresh = self.store.hold(&cmd.segment, self.last_seq());
        self.decide_held(cmd, now, checks, fresh)
    }

    /// What a request must be before anything is held or recorded: a known segment, and a
    /// reason and actor the log may hold.
    pub fn admit(&self, cmd: &Command) -> Result<(), EngineError> {
        if self.project.segment(&cmd.segment).is_none() {
            return Err(EngineError::UnknownSegment(cmd.segment.clone()));
        }
        if let Some(reason) = &cmd.reason {
            log_rules::reason(reason)?;
        }
        log_rules::actor(&cmd.actor)?;
        Ok(())
    }

    /// Ask for the hold `cmd` is decided under, without waiting for it (the owner's loop waits
    /// on another thread); then [`Engine::decide_held`]. One hold at a time.
    pub fn hold_later(&mut self, cmd: &Command) -> crate::store::HoldTicket {
        self.store.hold_later(&cmd.segment, self.last_seq())
    }

    /// Decide `cmd` once its hold was granted (`fresh`: the log past what this engine held
    /// when it asked), on the segment as the log holds it now, other writers held off until
    /// the outcome is recorded (see `Storage::hold`); the hold ends here.
    pub fn decide_held(
        &mut self,
        cmd: &Command,
        now: DateTime<Utc>,
        checks: Option<Vec<crate::model::gate::Verdict>>,
        fresh: Result<Vec<Event>, StoreError>,
    ) -> Result<Step, EngineError> {
        let fresh = match fresh {
            Ok(fresh) => {
                self.store.hold_granted();
                fresh
            }
            Err(e) => {
                self.store.release();
                return Err(e.into());
            }
        };
        // While the hold was waited for, this engine may have read some of these already:
        // `fold_in` skips what it holds.
        for e in fresh {
            self.fold_in(e);
        }
        let step = self.decide_and_record(cmd, now, checks);
        self.store.release();
        step
    }

    fn decide_and_record(
        &mut self,
        cmd: &Command,
        now: DateTime<Utc>,
        checks: Option<Vec<crate::model::gate::Verdict>>,
    ) -> Result<Step, EngineError> {
        let seg = self
            .project
            .segment(&cmd.segment)
            .cloned()
            .ok_or_else(|| EngineError::UnknownSegment(cmd.segment.clone()))?;
        let state = self.state(&seg.id);
        if let Some(seen) = cmd.expect
            && seen != state.phase
        {
            let reason = self.moved_since(&seg.id, seen, state.phase);
            self.append(NewEvent {
                from: Some(state.phase),
                reason: cmd.reason.clone(),
                outcome: Outcome::Refused,
                detail: Some(reason.clone()),
                ..NewEvent::new(now, &seg.id, cmd.action, &cmd.actor)
            })?;
            return Err(EngineError::Refused {
                segment: seg.id,
                action: cmd.action,
                reason,
            });
        }
        let plan_problems = plan_problems(&seg);
        let migrated_share = self.migrated(&seg)?.map(|(_, _, s)| s);
        let gates = self.gate_verdicts(&seg, now)?;
        // The fitted mix only matters to adopt-fit; the forecast is not worked out otherwise.
        let fitted = match cmd.action {
            Action::AdoptFit => self
                .segment_status(&seg, now)?
                .forecast
                .map(|f| f.fitted_cohorts),
            _ => None,
        };
        // Checks count only for an advance from test, run fresh for it by the owner.
        let checks = if cmd.action == Action::Advance && state.phase == Phase::Test {
            checks.unwrap_or_else(|| checks::not_run_all(&seg))
        } else {
            Vec::new()
        };
        // The gate criteria that read a drift source, by their verdicts.
        let drift: Vec<_> = seg
            .gates
            .iter()
            .zip(&gates)
            .filter(|(c, _)| {
                c.metric()
                    .and_then(|m| seg.source(m))
                    .is_some_and(|s| s.kind() == crate::config::SourceKind::Drift)
            })
            .map(|(_, v)| v.clone())
            .collect();
        let facts = Facts {
            segment: &seg.id,
            state: &state,
            plan_problems: &plan_problems,
            checks: &checks,
            gates: &gates,
            migrated_share,
            goal: seg.goal,
            deadline_passed: seg.deadline.is_some_and(|d| now.date_naive() > d),
            reconciled: seg.moving.as_ref().map(|_| {
                crate::model::criteria::ReconciledSeen::judge(
                    self.latest_reconciled(&seg.id, "real", now).as_ref(),
                    &seg.reconciled_limits(),
                    &seg.id,
                )
            }),
            drift: &drift,
            reason_given: cmd.reason.as_deref().is_some_and(|r| !r.trim().is_empty()),
            fitted: fitted.as_deref(),
            // A big-bang or segment cutover that moves its users has a cutover (the move, then
            // any hook); a slow segment's users move as they log in, and its long tail by
            // `move --remaining`.
            // Either has a rollback (the undo, then any hook). They run as tasks, as hooks do.
            hooks: HookSet {
                cutover: seg.hooks.cutover.is_some()
                    || (seg.moving.is_some() && seg.strategy != crate::config::Strategy::Slow),
                rollback: seg.hooks.rollback.is_some() || seg.moving.is_some(),
                done: seg.hooks.done.is_some(),
            },
        };
        let base = NewEvent {
            from: Some(state.phase),
            reason: cmd.reason.clone(),
            checks: (!checks.is_empty()).then(|| checks.clone()),
            ..NewEvent::new(now, &seg.id, cmd.action, &cmd.actor)
        };
        let decision = match decide(cmd.action, &facts) {
            Ok(d) => d,
            Err(refusal) => {
                self.append(NewEvent {
                    outcome: Outcome::Refused,
                    detail: Some(refusal.0.clone()),
                    ..base
                })?;
                return Err(EngineError::Refused {
                    segment: seg.id,
                    action: cmd.action,
                    reason: refusal.0,
                });
            }
        };
        let (size, migrated) = if decision.target() == Some(Phase::Cutover) {
            self.cutover_marks(&seg.id, now)?
        } else {
            (None, None)
        };
        match decision {
            Decision::Hold | Decision::Resume => {
                Ok(Step::Done(self.append(NewEvent { from: None, ..base })?))
            }
            Decision::Adopt(mix) => {
                let old = self
                    .plan_of(&seg.id)
                    .map_or_else(|| "none".to_string(), |m| describe_model(&m));
                let detail = format!(
                    "plan: {old} → {} (the forecast's fit)",
                    describe_model(&crate::model::LoginModel::Mix(mix.clone()))
                );
                Ok(Step::Done(self.append(NewEvent {
                    from: None,
                    detail: Some(detail),
                    plan: Some(mix),
                    ..base
                })?))
            }
            Decision::Move { from, to, note } => Ok(Step::Done(self.append(NewEvent {
                from: Some(from),
                to: Some(to),
                detail: note,
                size,
                migrated,
                ..base
            })?)),
            Decision::Fire {
                hook,
                from,
                to,
                retry_of,
                note,
            } => {
                let spec = seg.hooks.get(hook).cloned();
                let moves = seg.moving.is_some() && hook != HookAction::Done;
                if spec.is_none() && !moves {
                    return Err(EngineError::Refused {
                        segment: seg.id,
                        action: cmd.action,
                        reason: format!("no {hook} hook is configured"),
                    });
                }
                let what = match (&spec, moves, hook) {
                    (Some(s), false, _) => s.describe(),
                    (Some(s), true, HookAction::Cutover) => {
                        format!("moves the users, then {}", s.describe())
                    }
                    (Some(s), true, _) => {
                        format!("deletes the users the move created, then {}", s.describe())
                    }
                    (None, _, HookAction::Cutover) => "moves the users (no cutover hook)".into(),
                    (None, _, _) => "deletes the users the move created (no rollback hook)".into(),
                };
                let event = self.append(NewEvent {
                    from: Some(from),
                    to: Some(to),
                    outcome: Outcome::Requested,
                    hook: Some(hook),
                    intent: retry_of,
                    detail: Some(note.map_or_else(|| what.clone(), |n| format!("{what}; {n}"))),
                    ..base
                })?;
                let job = HookJob {
                    project: self.project.name.clone(),
                    segment: seg.id.clone(),
                    action: hook,
                    event_id: event.hook_key(),
                    from,
                    to,
                    actor: cmd.actor.clone(),
                    reason: cmd.reason.clone(),
                    requested_at: now,
                    spec,
                    workdir: self.project_dir.clone(),
                };
                Ok(Step::Hook(event, Box::new(job)))
            }
        }
    }
}
