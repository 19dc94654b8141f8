//! The owner's side of test checks and audits: an advance from test runs the segment's checks
//! first (like an advance from gate polls first) and decides on what they found; a run without
//! advancing records its results; an audit sent by `cutover audit` is recorded.
//!
//! Checks run as tasks off the loop, which goes on polling and guarding meanwhile.

use super::clients::Waiter;
use super::core::Core;
use super::inflight::Crashed;
use super::protocol::Reply;
use super::running::CheckJob;
use crate::engine::{Command, EngineError};
use crate::model::Phase;
use crate::model::gate::Verdict;

impl Core {
    /// Start the checks of `segment` as a task; `job` says what to do with their results.
    pub(super) fn spawn_checks(&mut self, segment: &str, job: CheckJob) {
        let Some(seg) = self.engine.project().segment(segment) else {
            let waiter = match &job {
                CheckJob::Advance { waiter, .. } | CheckJob::Run { waiter, .. } => *waiter,
            };
            return self.engine_failed(waiter, EngineError::UnknownSegment(segment.into()));
        };
        let checks = seg.checks.clone();
        let workdir = self.engine.project_dir().to_path_buf();
        let redactor = self.engine.redactor().clone();
        let now = self.engine.reading_time(self.now());
        let reconciled = ["real", "rehearsal"]
            .iter()
            .filter_map(|w| self.engine.latest_reconciled(segment, w, now))
            .min_by(|a, b| a.age_secs.total_cmp(&b.age_secs));
        let recorded = crate::check_run::Recorded {
            segment: segment.to_string(),
            audit: self.engine.latest_audit(segment),
            rehearsal: self.engine.move_status(segment).and_then(|m| m.rehearsal),
            reconciled,
        };
        self.running.checks(job, async move {
            crate::check_run::run(checks, workdir, redactor, recorded, now).await
        });
    }

    /// `c` in the cockpit, `cutover checks SEGMENT`.
    pub(super) fn run_checks(&mut self, segment: String, actor: String, waiter: Waiter) {
        if self
            .engine
            .project()
            .segment(&segment)
            .is_some_and(|s| s.checks.is_empty())
        {
            return self.clients.fail(
                waiter,
                super::protocol::FailureKind::Invalid,
                format!("{segment} declares no checks: add [[segments.checks]] to cutover.toml"),
            );
        }
        self.spawn_checks(
            &segment.clone(),
            CheckJob::Run {
                waiter,
                segment,
                actor,
            },
        );
    }

    pub(super) fn on_checks(&mut self, job: CheckJob, done: Result<Vec<Verdict>, Crashed>) {
        let verdicts = match done {
            Ok(verdicts) => verdicts,
            Err(crashed) => {
                let waiter = match &job {
                    CheckJob::Advance { waiter, .. } | CheckJob::Run { waiter, .. } => *waiter,
                };
                let text = format!(
                    "the checks task ended without results ({}); run the checks again",
                    crashed.0
                );
                self.clients
                    .notice(super::protocol::Tone::Danger, text.clone());
                return self
                    .clients
                    .fail(waiter, super::protocol::FailureKind::Stopped, text);
            }
        };
        match job {
            CheckJob::Advance { waiter, cmd } => {
                // Another action moved the segment while its checks ran: this advance was
                // meant for test → gate, and is refused rather than applied to a new phase.
                let phase = self.engine.state(&cmd.segment).phase;
                if phase != Phase::Test {
                    let reason = format!(
                        "{} left test while its checks ran (it is in {phase} now); advance again if you mean {phase} → next",
                        cmd.segment
                    );
                    let e = self.engine.record_refusal(&cmd, self.now(), reason);
                    return self.engine_failed(waiter, e);
                }
                self.start_checked(cmd, waiter, Some(verdicts));
            }
            CheckJob::Run {
                waiter,
                segment,
                actor,
            } => {
                let now = self.now();
                match self
                    .engine
                    .record_check_run(&segment, verdicts, &actor, now)
                {
                    Ok(event) => {
                        self.sync();
                        self.clients.reply(waiter, Reply::Event { event });
                        self.clients.reply(waiter, Reply::Done);
                    }
                    Err(e) => self.engine_failed(waiter, e),
                }
            }
        }
    }

    /// Record an audit sent by a client (flushed before the answer).
    pub(super) fn record_audit(
        &mut self,
        segment: Option<String>,
        audit: crate::model::audit::Audit,
        actor: String,
        waiter: Waiter,
    ) {
        let now = self.now();
        match self
            .engine
            .record_audit(segment.as_deref(), audit, &actor, now)
        {
            Ok(event) => {
                self.sync();
                self.clients.reply(waiter, Reply::Event { event });
                self.clients.reply(waiter, Reply::Done);
            }
            Err(e) => self.engine_failed(waiter, e),
        }
    }

    /// Whether an advance of `cmd` must run checks first (a segment in test with checks).
    pub(super) fn needs_checks(&self, cmd: &Command) -> bool {
        cmd.action == crate::model::Action::Advance
            && self.engine.state(&cmd.segment).phase == Phase::Test
            && self
                .engine
                .project()
                .segment(&cmd.segment)
                .is_some_and(|s| !s.checks.is_empty())
    }
}
