//! The owner's side of polling: a poll asked for (before an advance from gate, or `poll`)
//! runs as a task and comes back here, and every sample, polled continuously or on request,
//! is absorbed here: recorded, then guarded.

use super::core::Core;
use super::inflight::Crashed;
use super::protocol::{FailureKind, Reply, Tone, Update};
use super::running::PollJob;
use crate::engine::live::Guard;
use crate::runtime;
use crate::source::Polled;

impl Core {
    pub(super) fn spawn_poll(&mut self, specs: Vec<crate::config::SourceSpec>, job: PollJob) {
        let workdir = self.engine.project_dir().to_path_buf();
        let redactor = self.engine.redactor().clone();
        let clock = self.clock;
        #[cfg(test)]
        let fault = super::faults::take(&self.engine.project().name, "poll");
        self.running.poll(job, async move {
            #[cfg(test)]
            assert!(!fault, "a fault planted by a test");
            runtime::poll_once(&specs, workdir, &redactor, clock).await
        });
    }

    /// A poll task that ended without results: its waiter is told, and the owner goes on.
    pub(super) fn on_poll_crashed(&mut self, job: PollJob, crashed: Crashed) {
        let (waiter, what) = match job {
            PollJob::Gate { waiter, cmd } => (
                waiter,
                format!(
                    "the poll before advancing {} ended without results ({}); advance again",
                    cmd.segment, crashed.0
                ),
            ),
            PollJob::Now { waiter } => (
                waiter,
                format!("the poll ended without results ({}); poll again", crashed.0),
            ),
        };
        self.clients.notice(Tone::Danger, what.clone());
        self.clients.fail(waiter, FailureKind::Stopped, what);
    }

    pub(super) fn on_polls(&mut self, job: PollJob, results: Vec<Polled>) {
        match job {
            PollJob::Gate { waiter, cmd } => {
                let results: Vec<Polled> = results.iter().map(|p| self.engine.checked(p)).collect();
                for p in &results {
                    self.clients
                        .reply(waiter, Reply::Polled { polled: p.clone() });
                    self.absorb(p);
                }
                self.sync();
                self.start(cmd, waiter);
            }
            PollJob::Now { waiter } => {
                let results: Vec<Polled> = results.iter().map(|p| self.engine.checked(p)).collect();
                let before = self.engine.events().len();
                for p in &results {
                    self.clients
                        .reply(waiter, Reply::Polled { polled: p.clone() });
                    self.absorb(p);
                }
                self.sync();
                let new: Vec<_> = self.engine.events()[before..].to_vec();
                for event in new {
                    if event.body.actor == "auto" {
                        self.clients.reply(waiter, Reply::Event { event });
                    }
                }
                let failed = results.iter().filter(|p| p.result.is_err()).count();
                if failed > 0 {
                    self.clients.fail(
                        waiter,
                        FailureKind::SourcesFailed,
                        format!("{failed} of {} source(s) failed (see above)", results.len()),
                    );
                } else {
                    self.clients.reply(waiter, Reply::Done);
                }
            }
        }
    }

    /// Take in one polled result: store it, tell who listens, run the segment's guard.
    pub(super) fn absorb(&mut self, p: &Polled) {
        let was_ok = self
            .engine
            .source_health(&p.segment, &p.metric)
            .map(|h| h.ok());
        let p = &self.engine.checked(p);
        // A process that lost the leadership stores what it polls but never acts on it.
        let guard = if self.team.may_guard() {
            self.engine.absorb(p, self.arrived(p))
        } else {
            self.engine
                .record_polled(p)
                .map(|()| crate::engine::live::Guard::Idle)
                .map_err(Into::into)
        };
        self.upkeep.written();
        self.changes.touch([p.segment.clone()]);
        self.clients
            .broadcast(Update::Polled { polled: p.clone() }, true);
        if let Some(h) = self.engine.source_health(&p.segment, &p.metric)
            && was_ok != Some(h.ok())
        {
            let health = h.clone();
            self.clients
                .broadcast(Update::SourceHealth { health }, false);
        }
        match guard {
            Ok(Guard::RollBack(cmd)) => self.start(cmd, None),
            Ok(_) => {}
            Err(e) => self.clients.notice(Tone::Danger, e.to_string()),
        }
    }

    /// When a polled reading reached the guard, on the reading's clock: its stamp plus the
    /// real time it waited (a simulated clock, a day every few seconds, would otherwise turn
    /// a millisecond in a queue into minutes and every reading stale).
    fn arrived(&self, p: &crate::source::Polled) -> chrono::DateTime<chrono::Utc> {
        let waited_ms = (self.now() - p.at).num_milliseconds().max(0) as f64;
        let real_ms = waited_ms / self.clock.factor().max(1.0);
        p.at + chrono::Duration::milliseconds(real_ms as i64)
    }
}
