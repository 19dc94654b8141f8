//! The owner's work: deciding and recording actions, running hooks and polls as tasks and
//! taking in what they bring back, guarding every sample, and telling subscribers what changed.

use super::core::{Core, PollJob, REFRESH_CHUNK, Waiter};
use super::inflight::Crashed;
use super::protocol::{FailureKind, Reply, SegmentView, Tone, Update};
use crate::engine::{Command, EngineError, Step};
use crate::hook::{self, HookJob, HookReport};
use crate::model::{Action, HookAction, Phase};
use crate::store::{HoldTicket, StoreError};
use std::collections::BTreeSet;

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
        if self.holds.is_empty() && self.asked.is_empty() {
            self.ask_hold(asked);
        } else {
            self.asked.push_back(asked);
        }
    }

    fn ask_hold(&mut self, asked: Asked) {
        match self.engine.hold_later(&asked.cmd) {
            HoldTicket::Ready(fresh) => self.decide(asked, fresh),
            ticket => self.holds.spawn_blocking(asked, move || ticket.wait()),
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
        while self.holds.is_empty()
            && let Some(next) = self.asked.pop_front()
        {
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
                            super::recovery::report_again(ok, &detail),
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

    pub(super) fn sync(&mut self) {
        if let Err(e) = self.engine.store().sync() {
            self.notice(Tone::Danger, e.to_string());
        }
        self.unsynced = false;
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
        self.notice(Tone::Danger, failed);
    }

    pub(super) fn on_tick(&mut self) {
        if let Some(mut script) = self.script.take() {
            for cmd in script.due(self.now(), &self.engine) {
                self.act(cmd, None);
            }
            self.script = Some(script);
        }
        // The samples polled since the last flush are made durable beside the loop: on a
        // slow disk a flush takes its time, and keys and polls do not wait for it.
        if self.unsynced && self.flushing.is_empty() {
            self.unsynced = false;
            self.flushing
                .spawn_blocking((), self.engine.store().flusher());
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
            if self.engine.unreachable_since().is_none() {
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
            Err(_) if self.engine.unreachable_since().is_some() => return,
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
