//! The owner's actions: checks or a poll first where the phase asks for them, the segment's
//! hold waited for in order, the decision recorded, and the hook run as a task whose outcome
//! is recorded under its intent.

use super::clients::Waiter;
use super::core::Core;
use super::inflight::Crashed;
use super::protocol::{FailureKind, Reply, Tone, Update};
use super::running::{CheckJob, HookTask, PollJob};
use crate::engine::{Command, EngineError, Step};
use crate::hook::{self, HookJob, HookReport};
use crate::model::{Action, Phase};
use crate::store::{HoldTicket, StoreError};

/// An action waiting for its segment's hold: who asked, and the checks it is decided on.
pub(super) struct Asked {
    cmd: Command,
    waiter: Waiter,
    checks: Option<Vec<crate::model::gate::Verdict>>,
}

impl Core {
    /// An operator's (or the script's) action. An advance from `test` runs the segment's
    /// checks first, and an advance from `gate` polls its sources first, so each is judged
    /// on fresh results.
    pub(super) fn act(&mut self, cmd: Command, waiter: Waiter) {
        self.act_as(cmd, waiter, super::approvals::Asking::default());
    }

    /// [`Core::act`], with how it was asked: change control holds it at the door (a window, a
    /// freeze, an approval) unless it is approved.
    pub(super) fn act_as(
        &mut self,
        cmd: Command,
        waiter: Waiter,
        asking: super::approvals::Asking,
    ) {
        tracing::info!(segment = %cmd.segment, action = %cmd.action, actor = %cmd.actor, "action");
        if self.held(&cmd, asking, waiter) {
            return;
        }
        // Allowed only once the action is let through: a request held for approval leaves
        // the next plain rollback keeping active users.
        if asking.delete_active {
            self.deltas.allow_delete_active(&cmd.segment, &cmd.actor);
        }
        if self.needs_checks(&cmd) {
            let segment = cmd.segment.clone();
            return self.spawn_checks(&segment, CheckJob::Advance { waiter, cmd });
        }
        if cmd.action == Action::Advance
            && self.engine.state(&cmd.segment).phase == Phase::Gate
            && let Some(seg) = self.engine.project().segment(&cmd.segment)
            && !seg.sources.is_empty()
        {
            let specs = seg.sources.clone();
            return self.spawn_poll(specs, PollJob::Gate { waiter, cmd });
        }
        // Done is held by drift as the gate is: its drift sources are counted fresh for it.
        if cmd.action == Action::Advance
            && self.engine.state(&cmd.segment).phase == Phase::Cutover
            && let Some(seg) = self.engine.project().segment(&cmd.segment)
        {
            let specs: Vec<_> = seg
                .sources
                .iter()
                .filter(|s| s.kind() == crate::config::SourceKind::Drift)
                .cloned()
                .collect();
            if !specs.is_empty() {
                return self.spawn_poll(specs, PollJob::Gate { waiter, cmd });
            }
        }
        self.start(cmd, waiter);
    }

    /// Decide and record `cmd`; start its hook as a task if it has one.
    pub(super) fn start(&mut self, cmd: Command, waiter: Waiter) {
        self.start_checked(cmd, waiter, None);
    }

    /// [`Core::start`] with the test checks just run for an advance from test. The segment's
    /// hold is waited for beside the loop (on the team backend another session may hold it for
    /// up to 10 s); actions asked meanwhile wait their turn, in order.
    pub(super) fn start_checked(
        &mut self,
        cmd: Command,
        waiter: Waiter,
        checks: Option<Vec<crate::model::gate::Verdict>>,
    ) {
        if let Err(e) = self.engine.admit(&cmd) {
            return self.engine_failed(waiter, e);
        }
        let asked = Asked {
            cmd,
            waiter,
            checks,
        };
        if let Some(asked) = self.running.take_turn(asked) {
            self.ask_hold(asked);
        }
    }

    fn ask_hold(&mut self, asked: Asked) {
        match self.engine.hold_later(&asked.cmd) {
            HoldTicket::Ready(fresh) => self.decide(asked, fresh),
            ticket => self.running.hold(asked, move || ticket.wait()),
        }
    }

    /// A hold was granted (or failed, or its task crashed): decide, then the next in line.
    pub(super) fn on_hold(
        &mut self,
        asked: Asked,
        done: Result<Result<Vec<crate::model::Event>, StoreError>, Crashed>,
    ) {
        let fresh = done.unwrap_or_else(|crashed| {
            Err(StoreError::Unusable {
                dir: self.engine.store().dir().to_path_buf(),
                cause: format!(
                    "waiting for the segment's hold ended without an answer ({})",
                    crashed.0
                ),
            })
        });
        self.decide(asked, fresh);
        while let Some(next) = self.running.next_in_line() {
            self.ask_hold(next);
        }
    }

    fn decide(&mut self, asked: Asked, fresh: Result<Vec<crate::model::Event>, StoreError>) {
        let Asked {
            cmd,
            waiter,
            checks,
        } = asked;
        match self.engine.decide_held(&cmd, self.now(), checks, fresh) {
            Ok(Step::Done(event)) => {
                if event.body.kind == Action::Pause {
                    // A pause stops the segment's move after its batch in flight.
                    self.running.stop_move(&event.body.segment, "paused");
                }
                self.clients.reply(waiter, Reply::Event { event });
                self.clients.reply(waiter, Reply::Done);
            }
            Ok(Step::Hook(event, job)) => {
                let seq = event.seq;
                self.clients.reply(waiter, Reply::Event { event });
                let update = Update::HookStarted {
                    segment: job.segment.clone(),
                    action: job.action,
                    key: job.event_id,
                };
                let redactor = self.engine.redactor().clone();
                let task = HookTask {
                    seq,
                    segment: job.segment.clone(),
                    action: job.action,
                    waiter,
                };
                if self.moves_first(&job) {
                    self.start_transition_move(task, job);
                    self.publish_events();
                    self.clients.broadcast(update, false);
                    return;
                }
                self.running.hook(task, async move {
                    let report = hook::run(&job, &redactor).await;
                    (*job, report)
                });
                self.publish_events();
                self.clients.broadcast(update, false);
            }
            Err(e) => self.engine_failed(waiter, e),
        }
    }

    pub(super) fn on_hook(&mut self, task: HookTask, done: Result<(HookJob, HookReport), Crashed>) {
        let waiter = task.waiter;
        match done {
            Ok((job, report)) => {
                let (ok, detail) = (report.ok, report.detail.clone());
                match self.engine.finish(&job, report, self.now()) {
                    Ok(event) => {
                        let failed = EngineError::HookFailed {
                            segment: job.segment.clone(),
                            hook: job.action,
                            seq: event.seq,
                            detail: detail.clone(),
                        };
                        self.clients.reply(waiter, Reply::Event { event });
                        if ok {
                            self.clients.reply(waiter, Reply::Done);
                        } else {
                            self.engine_failed(waiter, failed);
                        }
                    }
                    Err(e) => {
                        // The hook ran: its outcome must reach the log. Kept and retried
                        // when the state answers again (team backend outage).
                        let now = self.now();
                        self.upkeep.unrecorded(job.clone(), ok, &detail, now);
                        self.engine_failed(waiter, e.into());
                    }
                }
                self.publish_events();
                self.clients.broadcast(
                    Update::HookFinished {
                        segment: job.segment,
                        action: job.action,
                        key: job.event_id,
                        ok,
                        detail,
                    },
                    false,
                );
            }
            Err(crashed) => {
                let (segment, action) = (task.segment, task.action);
                self.clients.fail(
                    waiter,
                    FailureKind::Stopped,
                    "the hook task ended without an outcome; its intent stays pending (retry it)"
                        .into(),
                );
                self.clients.notice(
                    Tone::Danger,
                    format!(
                        "the {action} hook task of {segment} ended without an outcome ({}); its intent stays pending (retry it)",
                        crashed.0
                    ),
                );
            }
        }
    }
}
