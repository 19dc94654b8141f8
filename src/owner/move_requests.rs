//! The owner's side of moving users. A move runs as a task of its own (minutes or hours; the
//! loop goes on polling and guarding), tells its asker the progress on every tick, and its end
//! is recorded as a `move` event with the counts.
//!
//! - The real move is the first half of a segment's cutover: gate → cutover records the
//!   intent, the move runs, and only then the cutover hook (if any) switches the router. A
//!   move that fails is recorded as the cutover's failure ("move incomplete"); advancing again
//!   (or `cutover move`) resumes it from the journal.
//! - A rollback of a segment with a move deletes what the real move created first, then runs
//!   its rollback hook.
//! - `cutover move` in test rehearses into `[segments.move.rehearsal]`; in gate it advances
//!   (so the move runs as the cutover); in cutover it prints the finished move's report.
//!
//! A segment never has two moves at once.

use super::clients::Waiter;
use super::core::Core;
use super::protocol::{FailureKind, MoveNow, Reply, Update};
use super::running::HookTask;
use super::running::MoveTask;
use crate::config::moves::{FirebaseCredential, Target};
use crate::hook::{HookJob, HookReport};
use crate::model::HookAction;
use crate::model::Phase;
use crate::moving::journal::{Journal, Which};
use crate::moving::run::{self, Plan};
use std::sync::{Arc, Mutex};

impl Core {
    pub(super) fn start_move(
        &mut self,
        segment: String,
        rehearse: bool,
        keep: bool,
        actor: String,
        waiter: Waiter,
    ) {
        if !rehearse && self.engine.state(&segment).phase == Phase::Gate {
            // The real move is the cutover's first half.
            let cmd = crate::engine::Command {
                segment,
                action: crate::model::Action::Advance,
                actor,
                reason: Some("cutover move".into()),
                expect: None,
            };
            return self.act(cmd, waiter);
        }
        let (plan, target, which) = match self.move_plan(&segment, rehearse) {
            Ok(p) => p,
            Err((kind, message)) => return self.clients.fail(waiter, kind, message),
        };
        let journal = Journal::new(self.engine.store().samples().clone(), &segment, which);
        if which == Which::Real {
            // A finished move sends nothing: its report again, and nothing recorded.
            match run::finished(&plan, &journal) {
                Ok(Some(report)) => {
                    return self.clients.reply(
                        waiter,
                        Reply::Moved {
                            report: Box::new(report),
                        },
                    );
                }
                Ok(None) => {}
                Err(e) => return self.clients.fail(waiter, FailureKind::Store, e.to_string()),
            }
        }
        let progress = Arc::new(Mutex::new(None));
        let told = progress.clone();
        let stop = run::Stop::default();
        let task = MoveTask {
            segment,
            actor,
            waiter,
            progress,
            started: std::time::Instant::now(),
            undo: false,
            stop: stop.clone(),
            then: None,
        };
        self.running.moving(task, async move {
            let mut tell = move |p| {
                if let Ok(mut slot) = told.lock() {
                    *slot = Some((p, false));
                }
            };
            let mut report = run::move_users(&plan, &target, &journal, &stop, &mut tell)
                .await
                .map_err(|e| e.to_string())?;
            if which == Which::Rehearsal && !keep {
                report.deleted = run::undo(&plan, &target, &journal, &mut tell)
                    .await
                    .map_err(|e| format!("the rehearsal moved its users, but deleting them failed: {e}; run the rehearsal again to finish"))?;
            }
            Ok(report)
        });
    }

    /// What a move of `segment` needs, or why it may not run now.
    fn move_plan(
        &self,
        segment: &str,
        rehearse: bool,
    ) -> Result<(Plan, crate::moving::firebase::Firebase, Which), (FailureKind, String)> {
        let invalid = |m: String| (FailureKind::Invalid, m);
        let project = self.engine.project();
        let Some(seg) = project.segment(segment) else {
            return Err((
                FailureKind::UnknownSegment,
                format!("unknown segment '{segment}'; `cutover status` lists them"),
            ));
        };
        let Some(mv) = &seg.moving else {
            return Err(invalid(format!(
                "segment '{segment}' has no [segments.move]: name its export and target in cutover.toml"
            )));
        };
        let phase = self.engine.state(segment).phase;
        let (which, target) = if rehearse {
            if phase != Phase::Test {
                return Err(invalid(format!(
                    "a rehearsal runs in test, and '{segment}' is in {phase}"
                )));
            }
            match &mv.rehearsal {
                Some(t) => (Which::Rehearsal, t),
                None => {
                    return Err(invalid(format!(
                        "segment '{segment}' has no [segments.move.rehearsal]: name a test project, tenant or realm to rehearse into"
                    )));
                }
            }
        } else {
            if phase != Phase::Cutover {
                return Err(invalid(format!(
                    "a real move runs as the segment's cutover (from gate), and '{segment}' is in {phase}; rehearse it with --rehearse in test"
                )));
            }
            (Which::Real, &mv.target)
        };
        if self.running.is_moving(segment) {
            return Err(invalid(format!(
                "a move of '{segment}' runs already; wait for its report"
            )));
        }
        self.plan_for(segment, which, target)
    }

    /// The plan and client of a move of `segment` into `target`.
    fn plan_for(
        &self,
        segment: &str,
        which: Which,
        target: &Target,
    ) -> Result<(Plan, crate::moving::firebase::Firebase, Which), (FailureKind, String)> {
        let invalid = |m: String| (FailureKind::Invalid, m);
        let project = self.engine.project();
        let Some(mv) = project.segment(segment).and_then(|s| s.moving.as_ref()) else {
            return Err(invalid(format!(
                "segment '{segment}' has no [segments.move]"
            )));
        };
        let client = match target {
            Target::Firebase {
                project: p,
                credential: FirebaseCredential::Token(token),
                url,
            } => {
                let token = crate::secret::resolve(token).map_err(|e| invalid(e.to_string()))?;
                crate::moving::firebase::Firebase::new(url, p, token)
                    .map_err(|e| invalid(e.to_string()))?
            }
            Target::Firebase { .. } => {
                return Err(invalid(
                    "a Firebase service account is not supported yet: give an OAuth access token with token = \"env:NAME\"".into(),
                ));
            }
            other => {
                return Err(invalid(format!(
                    "cutover cannot move users into {} yet (Firebase only, so far)",
                    other.kind()
                )));
            }
        };
        let table = match &project.audit.compatibility {
            None => crate::audit::compat::Table::built_in(),
            Some(path) => {
                let path = self.engine.project_dir().join(path);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    invalid(format!(
                        "cannot read the compatibility table '{}': {e}",
                        path.display()
                    ))
                })?;
                crate::audit::compat::Table::parse(&text, &path.display().to_string())
                    .map_err(|e| invalid(e.to_string()))?
            }
        };
        let verdicts = table
            .target(target.kind())
            .map_err(|e| invalid(e.to_string()))?
            .clone();
        let plan = Plan {
            segment: segment.to_string(),
            export: self.engine.project_dir().join(&mv.export),
            fields: crate::audit::roles::fields(&project.audit),
            verdicts,
            batch: mv.batch,
            unverifiable: mv.unverifiable,
            duplicate_emails: mv.duplicate_emails,
        };
        Ok((plan, client, which))
    }

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
        if let Some((hook, job)) = self.running.waiting_undo(&segment) {
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
        let now = self.now();
        if report.which == Which::Real.as_str() {
            // The segment's users on the target now: its migrated count, so a big-bang
            // segment shows its share without a source.
            let on_target = match report.state.as_str() {
                "undone" => report.already_present,
                _ => report.created + report.already_present,
            };
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
            Err(e) => self.engine_failed(task.waiter, e),
        }
    }

    /// Whether `job` (a cutover or a rollback) starts with the segment's move or its undo.
    pub(super) fn moves_first(&self, job: &HookJob) -> bool {
        matches!(job.action, HookAction::Cutover | HookAction::Rollback)
            && self
                .engine
                .project()
                .segment(&job.segment)
                .is_some_and(|s| s.moving.is_some())
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
        if undo && self.running.stop_move(&segment, "a rollback undoes it") {
            // The move stops after its batch in flight; then the undo runs.
            return self.running.undo_after_move(hook, job);
        }
        if self.running.is_moving(&segment) {
            let why = format!(
                "{what} incomplete: a move of '{segment}' runs already (a rehearsal?); wait for its report, then advance again"
            );
            return self.on_hook(hook, Ok((*job, failed(why))));
        }
        let journal = Journal::new(self.engine.store().samples().clone(), &segment, Which::Real);
        let progress = Arc::new(Mutex::new(None));
        let told = progress.clone();
        let stop = run::Stop::default();
        let task = MoveTask {
            segment,
            actor: job.actor.clone(),
            waiter: hook.waiter,
            progress,
            started: std::time::Instant::now(),
            undo,
            stop: stop.clone(),
            then: Some((hook, job)),
        };
        self.running.moving(task, async move {
            let mut tell = move |p| {
                if let Ok(mut slot) = told.lock() {
                    *slot = Some((p, false));
                }
            };
            if undo {
                let deleted = run::undo(&plan, &target, &journal, &mut tell)
                    .await
                    .map_err(|e| e.to_string())?;
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
