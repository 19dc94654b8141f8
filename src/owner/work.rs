//! The owner's work: deciding and recording actions, running hooks and polls as tasks and
//! taking in what they bring back, guarding every sample, and telling subscribers what changed.

use super::core::{Core, PollJob, REFRESH_CHUNK, Waiter};
use super::inflight::Crashed;
use super::protocol::{FailureKind, Reply, SegmentView, Tone, Update};
use crate::engine::live::Guard;
use crate::engine::{Command, EngineError, Step};
use crate::hook::{self, HookJob, HookReport};
use crate::model::{Action, HookAction, Phase};
use crate::runtime;
use crate::source::Polled;
use std::collections::BTreeSet;

impl Core {
    /// An operator's (or the script's) action. An advance from `test` runs the segment's
    /// checks first, and an advance from `gate` polls its sources first, so each is judged
    /// on fresh results.
    pub(super) fn act(&mut self, cmd: Command, waiter: Waiter) {
        tracing::info!(segment = %cmd.segment, action = %cmd.action, actor = %cmd.actor, "action");
        if self.needs_checks(&cmd) {
            let segment = cmd.segment.clone();
            return self.spawn_checks(&segment, super::core::CheckJob::Advance { waiter, cmd });
        }
        if cmd.action == Action::Advance
            && self.engine.state(&cmd.segment).phase == Phase::Gate
            && let Some(seg) = self.engine.project().segment(&cmd.segment)
            && !seg.sources.is_empty()
        {
            let specs = seg.sources.clone();
            return self.spawn_poll(specs, PollJob::Gate { waiter, cmd });
        }
        self.start(cmd, waiter);
    }

    pub(super) fn spawn_poll(&mut self, specs: Vec<crate::config::SourceSpec>, job: PollJob) {
        let workdir = self.engine.project_dir().to_path_buf();
        let redactor = self.engine.redactor().clone();
        let clock = self.clock;
        self.polls.spawn(job, async move {
            runtime::poll_once(&specs, workdir, &redactor, clock).await
        });
    }

    /// Decide and record `cmd`; start its hook as a task if it has one.
    pub(super) fn start(&mut self, cmd: Command, waiter: Waiter) {
        self.start_checked(cmd, waiter, None);
    }

    /// [`Core::start`] with the test checks just run for an advance from test.
    pub(super) fn start_checked(
        &mut self,
        cmd: Command,
        waiter: Waiter,
        checks: Option<Vec<crate::model::gate::Verdict>>,
    ) {
        match self.engine.request_checked(&cmd, self.now(), checks) {
            Ok(Step::Done(event)) => {
                self.reply(waiter, Reply::Event { event });
                self.reply(waiter, Reply::Done);
            }
            Ok(Step::Hook(event, job)) => {
                let seq = event.seq;
                self.reply(waiter, Reply::Event { event });
                if let Some(w) = waiter {
                    self.hook_waiters.insert(seq, w);
                }
                let update = Update::HookStarted {
                    segment: job.segment.clone(),
                    action: job.action,
                    key: job.event_id,
                };
                let redactor = self.engine.redactor().clone();
                let what = (seq, job.segment.clone(), job.action);
                self.hooks.spawn(what, async move {
                    let report = hook::run(&job, &redactor).await;
                    (*job, report)
                });
                self.publish_events();
                self.broadcast(update, false);
            }
            Err(e) => self.engine_failed(waiter, e),
        }
    }

    pub(super) fn on_hook(
        &mut self,
        (seq, segment, action): (u64, String, HookAction),
        done: Result<(HookJob, HookReport), Crashed>,
    ) {
        match done {
            Ok((job, report)) => {
                let waiter = self.hook_waiters.remove(&seq);
                let (ok, detail) = (report.ok, report.detail.clone());
                match self.engine.finish(&job, report, self.now()) {
                    Ok(event) => {
                        let failed = EngineError::HookFailed {
                            segment: job.segment.clone(),
                            hook: job.action,
                            seq: event.seq,
                            detail: detail.clone(),
                        };
                        self.reply(waiter, Reply::Event { event });
                        if ok {
                            self.reply(waiter, Reply::Done);
                        } else {
                            self.engine_failed(waiter, failed);
                        }
                    }
                    Err(e) => {
                        // The hook ran: its outcome must reach the log. Kept and retried
                        // when the state answers again (team backend outage).
                        self.unrecorded.push((
                            job.clone(),
                            super::upkeep::report_again(ok, &detail),
                            self.now(),
                        ));
                        self.engine_failed(waiter, e.into());
                    }
                }
                self.publish_events();
                self.broadcast(
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
                let waiter = self.hook_waiters.remove(&seq);
                self.fail(
                    waiter,
                    FailureKind::Stopped,
                    "the hook task ended without an outcome; its intent stays pending (retry it)"
                        .into(),
                );
                self.notice(
                    Tone::Danger,
                    format!(
                        "the {action} hook task of {segment} ended without an outcome ({}); its intent stays pending (retry it)",
                        crashed.0
                    ),
                );
            }
        }
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
        self.notice(Tone::Danger, what.clone());
        self.fail(waiter, FailureKind::Stopped, what);
    }

    pub(super) fn on_polls(&mut self, job: PollJob, results: Vec<Polled>) {
        match job {
            PollJob::Gate { waiter, cmd } => {
                let results: Vec<Polled> = results.iter().map(|p| self.engine.checked(p)).collect();
                for p in &results {
                    self.reply(waiter, Reply::Polled { polled: p.clone() });
                    self.absorb(p);
                }
                self.sync();
                self.start(cmd, waiter);
            }
            PollJob::Now { waiter } => {
                let results: Vec<Polled> = results.iter().map(|p| self.engine.checked(p)).collect();
                let before = self.engine.events().len();
                for p in &results {
                    self.reply(waiter, Reply::Polled { polled: p.clone() });
                    self.absorb(p);
                }
                self.sync();
                let new: Vec<_> = self.engine.events()[before..].to_vec();
                for event in new {
                    if event.body.actor == "auto" {
                        self.reply(waiter, Reply::Event { event });
                    }
                }
                let failed = results.iter().filter(|p| p.result.is_err()).count();
                if failed > 0 {
                    self.fail(
                        waiter,
                        FailureKind::SourcesFailed,
                        format!("{failed} of {} source(s) failed (see above)", results.len()),
                    );
                } else {
                    self.reply(waiter, Reply::Done);
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
        let guard = if self.may_guard {
            self.engine.absorb(p, self.arrived(p))
        } else {
            self.engine
                .record_polled(p)
                .map(|()| crate::engine::live::Guard::Idle)
                .map_err(Into::into)
        };
        self.unsynced = true;
        self.changed.insert(p.segment.clone());
        self.broadcast(Update::Polled { polled: p.clone() }, true);
        if let Some(h) = self.engine.source_health(&p.segment, &p.metric)
            && was_ok != Some(h.ok())
        {
            let health = h.clone();
            self.broadcast(Update::SourceHealth { health }, false);
        }
        match guard {
            Ok(Guard::RollBack(cmd)) => self.start(cmd, None),
            Ok(_) => {}
            Err(e) => self.notice(Tone::Danger, e.to_string()),
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

    pub(super) fn sync(&mut self) {
        if let Err(e) = self.engine.store().sync() {
            self.notice(Tone::Danger, e.to_string());
        }
        self.unsynced = false;
    }

    pub(super) fn on_tick(&mut self) {
        if let Some(mut script) = self.script.take() {
            for cmd in script.due(self.now(), &self.engine) {
                self.act(cmd, None);
            }
            self.script = Some(script);
        }
        if self.unsynced {
            self.sync();
        }
        self.watch_database();
        // Notifications: sent by the guarding process only (on sled, the owner).
        if self.sends && self.may_guard && !self.notifier.is_empty() {
            if self.alarms.due() {
                let now = self.now();
                for t in self.alarms.evaluate(&self.engine, now) {
                    let (segment, key, raised, detail) = t.clone();
                    match self
                        .engine
                        .record_alarm(&segment, &key, raised, detail, now)
                    {
                        Ok(_) => self.alarms.recorded(&t),
                        Err(e) => tracing::warn!("cannot record an alarm (retried): {e}"),
                    }
                }
            }
            let project = self.engine.project().name.clone();
            self.notifier.turn(
                &project,
                self.engine.events(),
                self.engine.project_dir(),
                self.engine.redactor(),
                self.engine.store(),
            );
        }
        // Held samples (and hook outcomes) wait for the database to answer again.
        if self.engine.store().unreachable_since().is_none() {
            self.record_unrecorded();
        }
        if self.engine.held_samples().0 > 0
            && self.engine.store().unreachable_since().is_none()
            && let Ok(n) = self.engine.write_held()
        {
            let dropped = self.engine.held_samples().1;
            let lost = if dropped > 0 {
                format!("; {dropped} older ones were dropped to stay within memory")
            } else {
                String::new()
            };
            self.notice(
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
            self.changed.extend(all);
        }
    }

    /// Tell subscribers of every event appended since the last call, and recompute the
    /// segments they touched at once (an action shows in every cockpit within a frame).
    pub(super) fn publish_events(&mut self) {
        let events = self.engine.events();
        if events.len() == self.events_published {
            return;
        }
        let new: Vec<_> = events[self.events_published..].to_vec();
        self.events_published = events.len();
        let mut touched = BTreeSet::new();
        for event in new {
            touched.insert(event.body.segment.clone());
            self.broadcast(Update::EventAppended { event }, false);
        }
        for s in &touched {
            self.changed.remove(s);
        }
        self.send_segments(touched);
    }

    /// Recompute a chunk of the segments whose samples changed.
    pub(super) fn refresh_changed(&mut self) {
        if self.changed.is_empty() {
            return;
        }
        let chunk: BTreeSet<String> = self.changed.iter().take(REFRESH_CHUNK).cloned().collect();
        for id in &chunk {
            self.changed.remove(id);
        }
        self.send_segments(chunk);
    }

    pub(super) fn send_segments(&mut self, ids: BTreeSet<String>) {
        if !self.clients.values().any(|c| c.subscribed) || ids.is_empty() {
            return;
        }
        let now = self.now();
        let mut segments = Vec::new();
        let ahead = self.engine.read_ahead(ids.iter().map(String::as_str), true);
        if let Err(e) = ahead {
            if self.engine.store().unreachable_since().is_none() {
                self.notice(Tone::Danger, e.to_string());
            }
            return;
        }
        let view = self.segment_views(ids, now);
        self.engine.store().samples().forget();
        match view {
            Ok(v) => segments.extend(v),
            // An outage of the state database is told once (`StateDatabase`), not per
            // refresh.
            Err(_) if self.engine.store().unreachable_since().is_some() => return,
            Err(e) => return self.notice(Tone::Danger, e.to_string()),
        }
        self.broadcast(Update::SegmentsChanged { segments }, false);
    }

    fn segment_views(
        &self,
        ids: BTreeSet<String>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<SegmentView>, crate::store::StoreError> {
        let mut segments = Vec::new();
        for id in ids {
            let Some(seg) = self.engine.project().segment(&id) else {
                continue;
            };
            let view = self.engine.segment_status(seg, now).and_then(|status| {
                let series = match status.cutover_at {
                    Some(_) => Some(self.engine.client_series(&id, now)?),
                    None => None,
                };
                Ok(SegmentView { status, series })
            });
            segments.push(view?);
        }
        Ok(segments)
    }
}
