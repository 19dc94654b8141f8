//! The owner's upkeep, on every tick of its loop: the scripted operator's actions, the flush
//! of what was polled since the last one, notifications and the alarms behind them, the state
//! database's health, and what waits for it (hook outcomes and samples it could not take).

use super::core::Core;
use super::inflight::Crashed;
use super::outbox::Notifier;
use super::protocol::{Tone, Update};
use super::running::Delivered;
use super::{Script, conditions::Alarms};
use crate::hook::{HookJob, HookReport};
use chrono::{DateTime, Utc};

/// What the owner keeps up on its own.
pub(super) struct Upkeep {
    /// The scripted operator (the demo).
    script: Option<Box<dyn Script>>,
    /// Samples were written since the last flush.
    unsynced: bool,
    /// The notifications this owner sends (see [`super::outbox`]).
    notifier: Notifier,
    /// Whether this owner sends notifications: a `watch`, cockpit or demo, never a one-shot
    /// command (it would end mid-delivery; the next long-lived owner sends what it left).
    sends: bool,
    /// Lasting conditions told once per transition (see [`super::conditions`]).
    alarms: Alarms,
    /// Hook outcomes the state could not take when their hooks ended (the database away):
    /// (job, report, when it ended), recorded as soon as it answers.
    unrecorded: Vec<(HookJob, HookReport, DateTime<Utc>)>,
}

impl Upkeep {
    pub(super) fn new(
        engine: &crate::engine::Engine,
        script: Option<Box<dyn Script>>,
        sends: bool,
        now: DateTime<Utc>,
    ) -> Upkeep {
        Upkeep {
            script,
            unsynced: false,
            notifier: Notifier::new(engine),
            sends,
            alarms: Alarms::new(engine, now),
            unrecorded: Vec::new(),
        }
    }

    /// Samples were written: the next tick flushes them.
    pub(super) fn written(&mut self) {
        self.unsynced = true;
    }

    /// The sinks failing now (for `status`).
    pub(super) fn sinks_failing(&self) -> Vec<crate::engine::status::SinkFailing> {
        self.notifier.failing()
    }

    /// A hook ran but its outcome could not be recorded: kept, and recorded when the state
    /// answers again (team backend outage).
    pub(super) fn unrecorded(&mut self, job: HookJob, ok: bool, detail: &str, at: DateTime<Utc>) {
        let report = HookReport {
            ok,
            detail: detail.to_string(),
        };
        self.unrecorded.push((job, report, at));
    }
}

impl Core {
    pub(super) fn sync(&mut self) {
        if let Err(e) = self.engine.store().sync() {
            self.clients.notice(Tone::Danger, e.to_string());
        }
        self.upkeep.unsynced = false;
    }

    /// A periodic flush ended: a failure is said (the samples stay written, not yet durable;
    /// the flush after the next sample tries again).
    pub(super) fn on_flushed(
        &mut self,
        done: Result<Result<(), crate::store::StoreError>, Crashed>,
    ) {
        let failed = match done {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e.to_string(),
            Err(crashed) => format!(
                "the flush of the state ended without an outcome ({})",
                crashed.0
            ),
        };
        self.clients.notice(Tone::Danger, failed);
    }

    pub(super) fn on_tick(&mut self) {
        self.tell_move_progress();
        self.tell_reset_progress();
        if let Some(mut script) = self.upkeep.script.take() {
            for cmd in script.due(self.now(), &self.engine) {
                self.act(cmd, None);
            }
            for segment in script.rehearsals(self.now(), &self.engine) {
                self.start_move(segment, true, false, "demo".into(), None);
            }
            for segment in script.reconciliations(self.now(), &self.engine) {
                self.start_reconcile(segment, "demo".into());
            }
            self.upkeep.script = Some(script);
        }
        // The samples polled since the last flush are made durable beside the loop: on a
        // slow disk a flush takes its time, and keys and polls do not wait for it.
        if self.upkeep.unsynced && self.running.flush(self.engine.store().flusher()) {
            self.upkeep.unsynced = false;
        }
        self.watch_database();
        // Notifications: sent by the guarding process only (on sled, the owner).
        if self.upkeep.sends && self.team.may_guard() && !self.upkeep.notifier.is_empty() {
            if self.upkeep.alarms.due() {
                let now = self.now();
                for t in self.upkeep.alarms.evaluate(&self.engine, now) {
                    let (segment, key, raised, detail) = t.clone();
                    match self
                        .engine
                        .record_alarm(&segment, &key, raised, detail, now)
                    {
                        Ok(_) => self.upkeep.alarms.recorded(&t),
                        Err(e) => tracing::warn!("cannot record an alarm (retried): {e}"),
                    }
                }
            }
            let project = self.engine.project().name.clone();
            self.upkeep.notifier.turn(
                &project,
                self.engine.events(),
                self.engine.project_dir(),
                self.engine.redactor(),
                self.engine.store(),
                &mut self.running,
            );
        }
        // Held samples (and hook outcomes) wait for the database to answer again.
        if self.engine.unreachable_since().is_none() {
            self.record_unrecorded();
        }
        if self.engine.held_samples().0 > 0
            && self.engine.unreachable_since().is_none()
            && let Ok(n) = self.engine.write_held()
        {
            let dropped = self.engine.held_samples().1;
            let lost = if dropped > 0 {
                format!("; {dropped} older ones were dropped to stay within memory")
            } else {
                String::new()
            };
            self.clients.notice(
                Tone::Ok,
                format!("the state database answers again: wrote {n} samples polled while it was away{lost}"),
            );
            let all: Vec<String> = self
                .engine
                .project()
                .segments
                .iter()
                .map(|s| s.id.clone())
                .collect();
            self.changes.touch(all);
        }
    }

    /// This process now leads: what the previous guard delivered and raised is in the state,
    /// so notifications and alarms start from it.
    pub(super) fn restart_notifications(&mut self) {
        self.upkeep.notifier = Notifier::new(&self.engine);
        self.upkeep.alarms = Alarms::new(&self.engine, self.now());
    }

    /// Record the hook outcomes that could not be recorded when their hooks ended.
    pub(super) fn record_unrecorded(&mut self) {
        let waiting = std::mem::take(&mut self.upkeep.unrecorded);
        for (job, report, at) in waiting {
            match self.engine.finish(&job, report.clone(), at) {
                Ok(event) => self.clients.notice(
                    Tone::Info,
                    format!(
                        "recorded late, the database being back: {}",
                        event.ack_line()
                    ),
                ),
                Err(_) => self.upkeep.unrecorded.push((job, report, at)),
            }
        }
    }

    /// A notification delivery ended (or its task crashed: the sink tries again, with
    /// backoff): tell everyone when a sink starts failing or recovers.
    pub(super) fn on_delivered(&mut self, sink: usize, done: Result<Delivered, Crashed>) {
        let done = done.unwrap_or_else(|crashed| {
            (
                0,
                Err(format!(
                    "the delivery task ended without an answer ({})",
                    crashed.0
                )),
            )
        });
        let Some((sink, change)) = self.upkeep.notifier.done(sink, done, self.engine.store())
        else {
            return;
        };
        match change {
            Some(error) => self.clients.notice(
                Tone::Danger,
                format!("notifications to '{sink}' fail: {error}; retrying with backoff (`cutover notify test {sink}` checks the sink)"),
            ),
            None => self.clients.notice(Tone::Ok, format!("notifications to '{sink}' are delivered again")),
        }
        let failing = self.upkeep.notifier.failing();
        self.clients
            .broadcast(Update::NotifyHealth { failing }, false);
    }
}
