//! The hook half of an action: recording a hook's outcome ([`Engine::finish`]), and
//! [`Engine::apply`], which requests, fires the hook if there is one and records how it went,
//! for callers that wait for the whole of it (the CLI outside an owner, tests, the sample).

use super::{Command, Engine, EngineError, Step};
use crate::hook::{self, HookJob, HookReport};
use crate::model::{Action, Event, HookAction, NewEvent, Outcome, Phase};
use crate::store::StoreError;
use chrono::{DateTime, Utc};

impl Engine {
    /// Record the outcome of a hook started by [`Engine::request`].
    pub fn finish(
        &mut self,
        job: &HookJob,
        report: HookReport,
        now: DateTime<Utc>,
    ) -> Result<Event, StoreError> {
        let (size, migrated) = if job.to == Phase::Cutover && report.ok {
            self.cutover_marks(&job.segment, now)?
        } else {
            (None, None)
        };
        let kind = match job.action {
            HookAction::Rollback => Action::RollBack,
            HookAction::Cutover | HookAction::Done => Action::Advance,
        };
        self.append(NewEvent {
            from: Some(job.from),
            to: Some(job.to),
            reason: job.reason.clone(),
            outcome: if report.ok {
                Outcome::Succeeded
            } else {
                Outcome::Failed
            },
            hook: Some(job.action),
            intent: Some(job.event_id),
            detail: Some(report.detail),
            size,
            migrated,
            ..NewEvent::new(now, &job.segment, kind, &job.actor)
        })
    }

    /// Request, fire the hook if there is one, and record its outcome. `on_request` is told
    /// of each flushed event as it is written (the CLI prints them as acknowledgements).
    pub async fn apply(
        &mut self,
        cmd: &Command,
        clock: impl Fn() -> DateTime<Utc>,
        mut on_event: impl FnMut(&Event),
    ) -> Result<Event, EngineError> {
        match self.request(cmd, clock())? {
            Step::Done(event) => {
                on_event(&event);
                Ok(event)
            }
            Step::Hook(requested, job) => {
                on_event(&requested);
                let report = hook::run(&job, &self.redactor).await;
                let outcome = self.finish(&job, report, clock())?;
                on_event(&outcome);
                if outcome.body.outcome == Outcome::Failed {
                    return Err(EngineError::HookFailed {
                        segment: job.segment,
                        hook: job.action,
                        seq: outcome.seq,
                        detail: outcome.body.detail.unwrap_or_default(),
                    });
                }
                Ok(outcome)
            }
        }
    }
}
