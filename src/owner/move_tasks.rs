//! A move of users as the owner's task: started as a cutover's first half or a rollback's
//! undo (or by `cutover move`), told to its asker and to every cockpit on each tick, stopped at
//! a batch's end for a pause or a rollback, and recorded as a `move` event when it ends; then
//! the cutover or rollback hook it precedes runs.

use super::clients::Waiter;
use super::core::Core;
use super::protocol::{FailureKind, MoveNow, Reply, Update};
use super::running::{HookTask, MoveTask};
use crate::hook::{HookJob, HookReport};
use crate::model::HookAction;
use crate::moving::journal::{Journal, Which};
use crate::moving::run;

impl Core {
    /// A move ended: record it, answer whoever waits, and start the undo of a rollback that
    /// waited for it to stop.
    pub(super) fn on_moved(
        &mut self,
        task: MoveTask,
        done: Result<super::running::Moved, super::inflight::Crashed>,
    ) {
        let segment = task.segment.clone();
        self.clients.broadcast(
            Update::MoveProgress {
                segment: segment.clone(),
                progress: None,
            },
            false,
        );
        self.settle_move(task, done);
        if let Some((hook, job)) = self.running.waiting_for(&segment) {
            self.start_transition_move(hook, job);
        }
    }

    fn settle_move(
        &mut self,
        task: MoveTask,
        done: Result<super::running::Moved, super::inflight::Crashed>,
    ) {
        let what = match &task.then {
            Some((_, job)) if job.action == HookAction::Rollback => "undo",
            _ => "move",
        };
        let report = match done {
            Ok(Ok(report)) => report,
            Ok(Err(why)) => {
                let why = format!("{what} incomplete: {why}");
                return match task.then {
                    Some((hook, job)) => self.on_hook(hook, Ok((*job, failed(why)))),
                    None => self.clients.fail(
                        task.waiter,
                        FailureKind::Invalid,
                        format!("the move of '{}': {why}", task.segment),
                    ),
                };
            }
            Err(crashed) => {
                let why = format!(
                    "{what} incomplete: the task of '{}' ended without a report ({}); run it again to resume from its journal",
                    task.segment, crashed.0
                );
                return match task.then {
                    Some((hook, job)) => self.on_hook(hook, Ok((*job, failed(why)))),
                    None => self.clients.fail(task.waiter, FailureKind::Stopped, why),
                };
            }
        };
        // A rollback of a segment whose move never started has nothing to record.
        if report.state != "none" {
            self.record_moved(&task, &report);
        }
        match task.then {
            // The users are there (or gone): now the hook.
            Some((hook, job)) => {
                let redactor = self.engine.redactor().clone();
                self.running.hook(hook, async move {
                    let report = crate::hook::run(&job, &redactor).await;
                    (*job, report)
                });
            }
            None => self.clients.reply(
                task.waiter,
                Reply::Moved {
                    report: Box::new(report),
                },
            ),
        }
    }

    /// Record a move's end: the segment's users on the target as its migrated count (a
    /// big-bang segment then shows its share without a source), and a `move` event with the
    /// counts, told to the asker and every client.
    fn record_moved(&mut self, task: &MoveTask, report: &crate::model::moved::MoveReport) {
        let now = self.now();
        let on_target = if report.which == Which::Real.as_str() {
            let real = match report.state.as_str() {
                "undone" => report.already_present,
                _ => report.created + report.already_present,
            };
            // The users drift passes created since are on the target too (an undo has
            // deleted them with the real move's).
            Some(real + self.drift_created(&task.segment))
        } else if report.which == Which::Drift.as_str() {
            let real = Journal::new(
                self.engine.store().samples().clone(),
                &task.segment,
                Which::Real,
            );
            match real.header() {
                Ok(Some(h)) => crate::moving::Report::of(&task.segment, &h, &real)
                    .ok()
                    .map(|r| r.created + r.already_present + self.drift_created(&task.segment)),
                _ => None,
            }
        } else {
            None
        };
        if let Some(on_target) = on_target {
            match self.engine.record_sample_live(
                &task.segment,
                "migrated",
                now,
                on_target as f64,
                Some(now),
            ) {
                Ok(()) => self.changes.touch([task.segment.clone()]),
                Err(e) => {
                    tracing::warn!(segment = %task.segment, "cannot record the moved count: {e}")
                }
            }
        }
        match self
            .engine
            .record_move(&task.segment, report.clone(), &task.actor, now)
        {
            Ok(event) => {
                self.sync();
                self.clients.reply(task.waiter, Reply::Event { event });
                self.publish_events();
            }
            // The users moved, and the journal says so; only the log line is missing.
            Err(e) => {
                tracing::warn!(segment = %task.segment, "cannot record the move's end: {e}");
                self.clients.notice(
                    super::protocol::Tone::Warn,
                    format!(
                        "{}: the move ended but its event could not be recorded ({e}); `cutover move {}` prints its report",
                        task.segment, task.segment
                    ),
                );
            }
        }
    }

    /// Users the drift passes of `segment` created and no undo took back (0 when it cannot
    /// be read: the count is then what the real move left).
    fn drift_created(&self, segment: &str) -> u64 {
        let drift = Journal::new(self.engine.store().samples().clone(), segment, Which::Drift);
        crate::moving::drift_pass::created_total(&drift).unwrap_or(0)
    }

    /// Whether `job` (a cutover or a rollback) starts with the segment's move or its undo.
    pub(super) fn moves_first(&self, job: &HookJob) -> bool {
        let Some(seg) = self.engine.project().segment(&job.segment) else {
            return false;
        };
        seg.moving.is_some()
            && match job.action {
                // A slow segment's users move as they log in: its cutover moves no one.
                HookAction::Cutover => seg.strategy != crate::config::Strategy::Slow,
                HookAction::Rollback => true,
                HookAction::Done => false,
            }
    }

    /// Run the real move (a cutover) or its undo (a rollback), then `job`'s hook.
    pub(super) fn start_transition_move(&mut self, hook: HookTask, job: Box<HookJob>) {
        let segment = job.segment.clone();
        let target = self
            .engine
            .project()
            .segment(&segment)
            .and_then(|s| s.moving.as_ref())
            .map(|m| m.target.clone());
        let planned = target
            .ok_or_else(|| (FailureKind::Invalid, "no [segments.move]".to_string()))
            .and_then(|t| self.plan_for(&segment, Which::Real, &t));
        let undo = job.action == HookAction::Rollback;
        let what = if undo { "undo" } else { "move" };
        let (plan, target, _) = match planned {
            Ok(p) => p,
            Err((_, why)) => {
                return self.on_hook(
                    hook,
                    Ok((*job, failed(format!("{what} incomplete: {why}")))),
                );
            }
        };
        if undo {
            // No reset message goes to users the rollback takes back.
            self.running
                .stop_resets(&segment, "a rollback undoes the move");
        }
        if undo && self.running.stop_move(&segment, "a rollback undoes it") {
            // The move stops after its batch in flight; then the undo runs.
            return self.running.after_move(hook, job);
        }
        if self.running.is_stopping(&segment) {
            // Paused a moment ago and advanced again: the move goes on once it has stopped.
            return self.running.after_move(hook, job);
        }
        if self.running.is_moving(&segment) {
            let why = format!(
                "{what} incomplete: a move of '{segment}' runs already (a rehearsal?); wait for its report, then advance again"
            );
            return self.on_hook(hook, Ok((*job, failed(why))));
        }
        let journal = Journal::new(self.engine.store().samples().clone(), &segment, Which::Real);
        let drift = Journal::new(
            self.engine.store().samples().clone(),
            &segment,
            Which::Drift,
        );
        let delete_active = undo && self.deltas.take_delete_active(&segment, &job.actor);
        let kind = self.target_kind(&segment);
        let (task, stop, mut tell) = MoveTask::new(
            segment,
            job.actor.clone(),
            hook.waiter,
            undo,
            Some((hook, job)),
        );
        self.running.moving(task, async move {
            if undo {
                // Users active on the target since they moved are kept, unless the lead
                // asked to delete them too: read right before the undo.
                let (keep, keep_drift) = if delete_active {
                    Default::default()
                } else {
                    let active = crate::reconcile::delta::active(&plan, &target, &journal, kind)
                        .await
                        .map_err(|e| format!("the undo did not start: reading who is active since the move failed: {e}"))?;
                    (active.lines, active.drift_ids)
                };
                let mut deleted = crate::moving::undo::undo(&plan, &target, &journal, &keep, &mut tell)
                    .await
                    .map_err(|e| e.to_string())?;
                // Then the users the drift passes created after it.
                deleted += crate::moving::drift_pass::undo(&target, &drift, &keep_drift)
                    .await
                    .map_err(|e| format!("the undo of the drift passes: {e}"))?;
                let mut report = run::report(&plan, &journal).map_err(|e| e.to_string())?;
                report.deleted = deleted;
                Ok(report)
            } else {
                run::move_users(&plan, &target, &journal, &stop, &mut tell)
                    .await
                    .map_err(|e| e.to_string())
            }
        });
    }

    /// Tell each move's asker how far it got since the last tick, and every cockpit where
    /// each running move stands.
    pub(super) fn tell_move_progress(&mut self) {
        let mut news: Vec<(Waiter, run::Progress)> = Vec::new();
        let mut shown: Vec<(String, MoveNow)> = Vec::new();
        for t in self.running.moves() {
            let Ok(mut slot) = t.progress.lock() else {
                continue;
            };
            let Some((p, told)) = slot.as_mut() else {
                continue;
            };
            if !*told {
                *told = true;
                news.push((t.waiter, *p));
            }
            let seconds = t.started.elapsed().as_secs_f64();
            let rate = if seconds > 0.0 {
                p.done as f64 / seconds
            } else {
                0.0
            };
            shown.push((
                t.segment.clone(),
                MoveNow {
                    done: p.done,
                    of: p.of,
                    rate,
                    left_seconds: (rate > 0.0).then(|| p.of.saturating_sub(p.done) as f64 / rate),
                    undo: t.undo,
                    reset: false,
                },
            ));
        }
        for (waiter, p) in news {
            self.clients.reply(
                waiter,
                Reply::MoveProgress {
                    done: p.done,
                    of: p.of,
                },
            );
        }
        for (segment, now) in shown {
            self.clients.broadcast(
                Update::MoveProgress {
                    segment,
                    progress: Some(now),
                },
                false,
            );
        }
    }
}

/// A hook outcome that says why the move before it did not finish.
fn failed(detail: String) -> HookReport {
    HookReport { ok: false, detail }
}
