//! The owner's side of moving users: what a move needs and when it may run. A move runs as a
//! task of its own (`owner/move_tasks.rs`: minutes or hours, while the loop goes on polling
//! and guarding).
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
use super::protocol::{FailureKind, Reply};
use super::running::MoveTask;
use crate::config::moves::Target;
use crate::model::Phase;
use crate::moving::journal::{Journal, Which};
use crate::moving::run::{self, Plan};

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
        let (mut plan, target, which) = match self.move_plan(&segment, rehearse) {
            Ok(p) => p,
            Err((kind, message)) => return self.clients.fail(waiter, kind, message),
        };
        let journal = Journal::new(self.engine.store().samples().clone(), &segment, which);
        // An interrupted long tail resumes with its own lines, whichever way it is asked.
        if let (Ok(Some(h)), Ok(Some(lines))) = (journal.header(), journal.only())
            && h.state == crate::moving::journal::State::Moving
            && which == Which::Real
        {
            plan.only = Some(std::sync::Arc::new(lines.into_iter().collect()));
        }
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
        let (task, stop, mut tell) = MoveTask::new(segment, actor, waiter, false, None);
        self.running.moving(task, async move {
            let mut report = run::move_users(&plan, &target, &journal, &stop, &mut tell)
                .await
                .map_err(|e| e.to_string())?;
            if which == Which::Rehearsal && !keep {
                report.deleted = crate::moving::undo::undo(&plan, &target, &journal, &Default::default(), &mut tell)
                    .await
                    .map_err(|e| format!("the rehearsal moved its users, but deleting them failed: {e}; run the rehearsal again to finish"))?;
            }
            Ok(report)
        });
    }

    /// A slow segment's long tail (`move --remaining`): in cutover, a reconciliation taken now
    /// names the export's users not on the target, and the move sends exactly those (the lines
    /// kept in the journal, so a resume sends the same batches). Journaled and undone like
    /// any move.
    pub(super) fn start_long_tail(&mut self, segment: String, actor: String, waiter: Waiter) {
        let slow = self
            .engine
            .project()
            .segment(&segment)
            .is_some_and(|s| s.strategy == crate::config::Strategy::Slow);
        if !slow {
            return self.clients.fail(
                waiter,
                FailureKind::Invalid,
                format!(
                    "--remaining moves a slow segment's long tail, and '{segment}' is not slow"
                ),
            );
        }
        let (mut plan, target, which) = match self.move_plan(&segment, false) {
            Ok(p) => p,
            Err((kind, message)) => return self.clients.fail(waiter, kind, message),
        };
        let journal = Journal::new(self.engine.store().samples().clone(), &segment, which);
        match run::finished(&plan, &journal) {
            Ok(Some(report)) => {
                let report = Box::new(report);
                return self.clients.reply(waiter, Reply::Moved { report });
            }
            Ok(None) => {}
            Err(e) => return self.clients.fail(waiter, FailureKind::Store, e.to_string()),
        }
        let kind = self.target_kind(&segment);
        let (task, stop, mut tell) = MoveTask::new(segment, actor, waiter, false, None);
        self.running.moving(task, async move {
            let resuming = journal
                .header()
                .map_err(|e| e.to_string())?
                .is_some_and(|h| h.state == crate::moving::journal::State::Moving);
            let lines = match journal.only().map_err(|e| e.to_string())? {
                Some(lines) if resuming => lines,
                _ => {
                    let found = crate::reconcile::run(&plan, &target, "real", kind, &mut |_, _| {})
                        .await
                        .map_err(|e| {
                            format!("the reconciliation the long tail starts from failed: {e}")
                        })?;
                    journal
                        .set_only(&found.missing_lines)
                        .map_err(|e| e.to_string())?;
                    journal.flush().map_err(|e| e.to_string())?;
                    found.missing_lines
                }
            };
            plan.only = Some(std::sync::Arc::new(lines.into_iter().collect()));
            run::move_users(&plan, &target, &journal, &stop, &mut tell)
                .await
                .map_err(|e| e.to_string())
        });
    }

    /// A drift pass (`move --changed-since-move`): in cutover, after the real move, the legacy
    /// users created or changed since it (or since the last pass) are moved again: created
    /// where the target lacks them, updated where it holds them. Journaled apart
    /// (`Which::Drift`), recorded as a `move` event, and undone by a rollback.
    pub(super) fn start_drift_pass(&mut self, segment: String, actor: String, waiter: Waiter) {
        let (plan, target, _) = match self.move_plan(&segment, false) {
            Ok(p) => p,
            Err((kind, message)) => return self.clients.fail(waiter, kind, message),
        };
        if plan.export.file().is_some() {
            let message = format!(
                "--changed-since-move reads the legacy users changed since the move, which a file cannot tell: name a live directory (ldap://…) or sql: as '{segment}''s [segments.move] export"
            );
            return self.clients.fail(waiter, FailureKind::Invalid, message);
        }
        // The column of each row's last change, for sql:, from the segment's drift source.
        let modified = self.engine.project().segment(&segment).and_then(|s| {
            s.sources.iter().find_map(|spec| match &spec.request {
                crate::config::SourceRequest::Drift { modified, .. } => modified.clone(),
                _ => None,
            })
        });
        let samples = self.engine.store().samples().clone();
        let real = Journal::new(samples.clone(), &segment, Which::Real);
        let drift = Journal::new(samples, &segment, Which::Drift);
        let (task, stop, mut tell) = MoveTask::new(segment, actor, waiter, false, None);
        self.running.moving(task, async move {
            crate::moving::drift_pass::move_changed(
                &plan, modified, &target, &real, &drift, &stop, &mut tell,
            )
            .await
            .map_err(|e| e.to_string())
        });
    }

    /// The kind of `segment`'s real target (`fusionauth`, ...; empty without a move).
    pub(super) fn target_kind(&self, segment: &str) -> &'static str {
        self.engine
            .project()
            .segment(segment)
            .and_then(|s| s.moving.as_ref())
            .map_or("", |m| m.target.kind())
    }

    /// What a move of `segment` needs, or why it may not run now.
    fn move_plan(
        &self,
        segment: &str,
        rehearse: bool,
    ) -> Result<(Plan, crate::moving::Client, Which), (FailureKind, String)> {
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
    pub(super) fn plan_for(
        &self,
        segment: &str,
        which: Which,
        target: &Target,
    ) -> Result<(Plan, crate::moving::Client, Which), (FailureKind, String)> {
        let (plan, client) = Plan::of(
            self.engine.project(),
            self.engine.project_dir(),
            segment,
            target,
        )
        .map_err(|m| (FailureKind::Invalid, m))?;
        Ok((plan, client, which))
    }
}
