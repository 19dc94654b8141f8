//! Reset waves as the owner's task (`cutover reset`, see [`crate::reset`]): started once a
//! segment (a second request while they run answers where they stand), told to the asker and
//! to every cockpit on each tick as a badge beside the segment ("resetting 41% · 500/h · 3 h
//! left"), stopped between two sends when the owner stops, and resumed from their journal by
//! the next `cutover reset`. The owner's clock paces them, so a simulated clock runs them fast.

use super::clients::Waiter;
use super::core::Core;
use super::inflight::Crashed;
use super::protocol::{FailureKind, MoveNow, Reply, Tone, Update};
use super::running::{ResetDone, ResetTask};
use crate::moving::journal::{Journal, Which};
use crate::reset::journal::ResetJournal;
use crate::reset::run::{Waves, send_waves};

impl Core {
    /// Start (or resume) `segment`'s reset waves; already running, answer where they stand.
    pub(super) fn start_reset(&mut self, segment: String, waiter: Waiter) {
        if let Some(t) = self.running.resets().find(|t| t.segment == segment) {
            let now = t
                .progress
                .lock()
                .ok()
                .and_then(|p| p.as_ref().map(|p| p.0.clone()));
            return match now {
                Some(report) => self.clients.reply(
                    waiter,
                    Reply::Reset {
                        report: Box::new(report),
                    },
                ),
                None => self.clients.fail(
                    waiter,
                    FailureKind::Invalid,
                    format!("{segment}: the reset waves are starting; ask again in a moment"),
                ),
            };
        }
        let project = self.engine.project();
        let Some(seg) = project.segment(&segment) else {
            return self.clients.fail(
                waiter,
                FailureKind::UnknownSegment,
                format!("no segment '{segment}' in the project"),
            );
        };
        let (Some(pace), Some(mv)) = (seg.reset, seg.moving.as_ref()) else {
            return self.clients.fail(
                waiter,
                FailureKind::Invalid,
                format!(
                    "{segment} has no [segments.reset]: add per_hour = N, the most reset messages your mail infrastructure takes in an hour (it needs [segments.move] too)"
                ),
            );
        };
        // The users are the target's from cutover on, and no longer once a rollback takes
        // them back: resets go only between the two.
        let state = self.engine.state(&segment);
        let phase = state.phase;
        let busy = state.pending.is_some() || self.running.is_moving(&segment);
        if busy
            || !matches!(
                phase,
                crate::model::Phase::Cutover | crate::model::Phase::Done
            )
        {
            return self.clients.fail(
                waiter,
                FailureKind::Refused,
                format!(
                    "{segment} is in {}{}: reset messages go to moved users once the move is done, in cutover or done, and not while a move, an undo or a hook runs",
                    phase.as_str(),
                    if busy { " with a move or a hook running" } else { "" }
                ),
            );
        }
        let (login, target) = (mv.login.clone(), mv.target.clone());
        let (plan, client) = match self.plan_for(&segment, Which::Real, &target) {
            Ok((plan, client, _)) => (plan, client),
            Err((_, e)) => {
                return self.clients.fail(
                    waiter,
                    FailureKind::Invalid,
                    format!("{segment}: cannot send resets: {e}"),
                );
            }
        };
        let samples = self.engine.store().samples().clone();
        let journal = ResetJournal::new(samples.clone(), &segment);
        let moved = Journal::new(samples, &segment, Which::Real);
        let progress = std::sync::Arc::new(std::sync::Mutex::new(None));
        let told = progress.clone();
        let stop = crate::moving::run::Stop::default();
        let task = ResetTask {
            segment: segment.clone(),
            waiter,
            progress,
            started: (std::time::Instant::now(), std::sync::OnceLock::new()),
            stop: stop.clone(),
        };
        let clock = self.clock;
        self.running.resetting(task, async move {
            let convert = client.convert();
            let who =
                tokio::task::spawn_blocking(move || crate::reset::who(&plan, convert, &moved))
                    .await
                    .map_err(|e| format!("reading the export failed: {e}"))?
                    .map_err(|e| e.to_string())?;
            let mut tell = move |r: &crate::reset::ResetReport| {
                if let Ok(mut slot) = told.lock() {
                    *slot = Some((r.clone(), false));
                }
            };
            let waves = Waves {
                segment: &segment,
                client: &client,
                login: login.as_ref(),
                journal: &journal,
                per_hour: pace.per_hour,
                clock,
                stop,
            };
            send_waves(waves, who, &mut tell)
                .await
                .map_err(|e| e.to_string())
        });
    }

    /// Reset waves ended (every user settled, stopped, or failed): say so.
    pub(super) fn on_reset(&mut self, task: ResetTask, done: Result<ResetDone, Crashed>) {
        self.clients.broadcast(
            Update::MoveProgress {
                segment: task.segment.clone(),
                progress: None,
            },
            false,
        );
        let segment = &task.segment;
        let why = match done {
            Ok(Ok(report)) => {
                if report.state == "done" {
                    self.clients
                        .notice(Tone::Ok, report.text().trim_end().to_string());
                }
                return self.clients.reply(
                    task.waiter,
                    Reply::Reset {
                        report: Box::new(report),
                    },
                );
            }
            Ok(Err(why)) => why,
            Err(crashed) => format!("the task ended without a report ({})", crashed.0),
        };
        let what = format!(
            "{segment}: the reset waves stopped: {why}; `cutover reset {segment}` resumes them from their journal"
        );
        self.clients.notice(Tone::Danger, what.clone());
        self.clients.fail(task.waiter, FailureKind::Stopped, what);
    }

    /// Tell each running reset's asker and every cockpit how far it is.
    pub(super) fn tell_reset_progress(&mut self) {
        let mut news = Vec::new();
        let mut shown = Vec::new();
        for t in self.running.resets() {
            let Ok(mut slot) = t.progress.lock() else {
                continue;
            };
            let Some((report, told)) = slot.as_mut() else {
                continue;
            };
            let settled = report.users - report.left();
            if !*told {
                *told = true;
                news.push((t.waiter, settled, report.users));
            }
            let first = *t.started.1.get_or_init(|| settled);
            let seconds = t.started.0.elapsed().as_secs_f64() * self.clock.factor().max(1e-9);
            let rate = if seconds > 0.0 {
                settled.saturating_sub(first) as f64 / seconds
            } else {
                0.0
            };
            shown.push((
                t.segment.clone(),
                MoveNow {
                    done: settled,
                    of: report.users,
                    rate,
                    left_seconds: Some(
                        report.left() as f64 / report.per_hour.max(1) as f64 * 3600.0,
                    ),
                    undo: false,
                    reset: true,
                },
            ));
        }
        for (waiter, done, of) in news {
            self.clients.reply(waiter, Reply::MoveProgress { done, of });
        }
        for (segment, progress) in shown {
            self.clients.broadcast(
                Update::MoveProgress {
                    segment,
                    progress: Some(progress),
                },
                false,
            );
        }
    }
}
