//! The owner loop itself: every message that changes the state passes here, one at a time.
//!
//! The loop only decides, records and tells; everything slow runs as a task and comes back as
//! a message: polled samples (one task per source), hook runs, the polls that precede an
//! advance from `gate` (the rule "advance from gate polls the segment's sources first" lives
//! here, for keys and commands alike), and `poll` requests.

use super::Script;
use super::protocol::{FailureKind, Reply, Request, SegmentView, ServerMsg, Tone, Update};
use super::{Identity, Inbox, Outbox, OwnerOptions, StopMode};
use crate::clock::Clock;
use crate::engine::live::Guard;
use crate::engine::{Command, Engine, EngineError, Step};
use crate::hook::{self, HookJob, HookReport};
use crate::model::{Action, HookAction, Phase};
use crate::runtime;
use crate::source::Polled;
use anyhow::Result;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

/// How often queued samples are folded into clients' views, at most.
const REFRESH_EVERY: Duration = Duration::from_millis(200);
/// Segments recomputed per refresh turn, so a large project never stalls the loop.
const REFRESH_CHUNK: usize = 64;
/// How often every segment is recomputed for subscribers even without samples (ages, soak).
const FULL_REFRESH_EVERY: Duration = Duration::from_secs(10);

struct Client {
    out: Outbox,
    actor: String,
    subscribed: bool,
    /// Also wants every polled sample (`watch` logs them).
    polls: bool,
}

/// A request waiting for an outcome: (client, request id).
type Waiter = Option<(u64, u64)>;

/// A poll that was asked for, and what to do when it is back.
enum PollJob {
    /// An advance from gate: record the fresh samples, then decide.
    Gate { waiter: Waiter, cmd: Command },
    /// `poll`: record, guard, report each source.
    Now { waiter: Waiter },
}

struct Core {
    engine: Engine,
    clock: Clock,
    clients: BTreeMap<u64, Client>,
    hooks: JoinSet<(u64, HookJob, HookReport)>,
    /// Running hook tasks: task id → (request event seq, segment, hook).
    hook_tasks: HashMap<tokio::task::Id, (u64, String, HookAction)>,
    /// Who waits for a hook's outcome, by the seq of its request event.
    hook_waiters: HashMap<u64, (u64, u64)>,
    polls: JoinSet<(PollJob, Vec<Polled>)>,
    script: Option<Box<dyn Script>>,
    /// Segments with new samples, to recompute for subscribers.
    changed: BTreeSet<String>,
    events_published: usize,
    unsynced: bool,
}

pub(super) async fn run(
    engine: Engine,
    mut options: OwnerOptions,
    _identity: Identity,
    mut inbox: mpsc::Receiver<Inbox>,
    mut stop: oneshot::Receiver<StopMode>,
) -> Result<()> {
    let (poll_tx, mut polled) = mpsc::channel::<Polled>(1024);
    let _pollers = options.poll.then(|| {
        runtime::spawn_pollers(
            engine.project().sources(),
            engine.project_dir().to_path_buf(),
            engine.redactor().clone(),
            options.clock,
            poll_tx,
        )
    });
    let mut core = Core {
        events_published: engine.events().len(),
        engine,
        clock: options.clock,
        clients: BTreeMap::new(),
        hooks: JoinSet::new(),
        hook_tasks: HashMap::new(),
        hook_waiters: HashMap::new(),
        polls: JoinSet::new(),
        script: options.script.take(),
        changed: BTreeSet::new(),
        unsynced: false,
    };
    // The script's and flushing's pace: every 250 ms, or every 0.05 simulated day on a fast
    // clock (a demo at 0.05 s a day must not skip days between two ticks).
    let twentieth_day = Duration::from_secs_f64(4_320.0 / options.clock.factor().max(1e-9));
    let mut tick = tokio::time::interval(
        twentieth_day.clamp(Duration::from_millis(10), Duration::from_millis(250)),
    );
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut refresh = tokio::time::interval(REFRESH_EVERY);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_full = Instant::now();
    let mut draining = false;
    loop {
        tokio::select! {
            biased;
            mode = &mut stop, if !draining => {
                match mode.unwrap_or(StopMode::Now) {
                    StopMode::Now => break,
                    StopMode::Drain => draining = true,
                }
            }
            Some(msg) = inbox.recv() => core.on_inbox(msg),
            Some(done) = core.hooks.join_next_with_id(), if !core.hooks.is_empty() => core.on_hook(done),
            Some(done) = core.polls.join_next(), if !core.polls.is_empty() => {
                if let Ok((job, results)) = done {
                    core.on_polls(job, results);
                }
            }
            Some(p) = polled.recv() => {
                // Take what is queued too, so a burst of samples costs one turn.
                let mut batch = vec![p];
                while batch.len() < 256 {
                    match polled.try_recv() {
                        Ok(p) => batch.push(p),
                        Err(_) => break,
                    }
                }
                for p in batch {
                    core.absorb(&p, None);
                }
            }
            _ = tick.tick() => core.on_tick(),
            _ = refresh.tick() => {
                if last_full.elapsed() >= FULL_REFRESH_EVERY && core.clients.values().any(|c| c.subscribed) {
                    last_full = Instant::now();
                    let all: Vec<String> = core.engine.project().segments.iter().map(|s| s.id.clone()).collect();
                    core.changed.extend(all);
                }
                core.refresh_changed();
            }
        }
        core.publish_events();
        if draining && core.hooks.is_empty() && core.polls.is_empty() {
            break;
        }
    }
    core.hooks.abort_all();
    for (_, (seq, segment, action)) in core.hook_tasks.drain() {
        tracing::warn!(seq, %segment, %action, "owner stopping: hook left pending");
    }
    let synced = core.engine.store().sync();
    core.say_goodbye("the owner stopped");
    if options.serve {
        // Removed while this process still holds the lock: see `Owner::close_socket`.
        let _ = std::fs::remove_file(super::socket_path(core.engine.store().dir()));
    }
    synced?;
    Ok(())
}

impl Core {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    fn send(&mut self, client: u64, msg: ServerMsg) {
        let Some(c) = self.clients.get(&client) else {
            return;
        };
        let gone = match &c.out {
            Outbox::Local(tx) => tx.send(msg).is_err(),
            Outbox::Remote(tx) => match serde_json::to_vec(&msg) {
                Ok(bytes) => tx.try_send(bytes.into()).is_err(),
                Err(_) => false,
            },
        };
        if gone {
            tracing::info!(client, "client dropped: gone, or not reading");
            self.clients.remove(&client);
        }
    }

    fn reply(&mut self, waiter: Waiter, reply: Reply) {
        if let Some((client, id)) = waiter {
            self.send(client, ServerMsg::Reply { id, reply });
        }
    }

    fn fail(&mut self, waiter: Waiter, kind: FailureKind, message: String) {
        self.reply(waiter, Reply::Failed { kind, message });
    }

    /// Tell every subscriber (serialized once for all socket clients).
    fn broadcast(&mut self, update: Update, only_polls: bool) {
        let msg = ServerMsg::Update { update };
        let mut bytes: Option<bytes::Bytes> = None;
        let mut gone = Vec::new();
        for (id, c) in &self.clients {
            if !c.subscribed || (only_polls && !c.polls) {
                continue;
            }
            let ok = match &c.out {
                Outbox::Local(tx) => tx.send(msg.clone()).is_ok(),
                Outbox::Remote(tx) => {
                    if bytes.is_none() {
                        bytes = serde_json::to_vec(&msg).ok().map(Into::into);
                    }
                    bytes.clone().is_some_and(|b| tx.try_send(b).is_ok())
                }
            };
            if !ok {
                gone.push(*id);
            }
        }
        for id in gone {
            tracing::info!(client = id, "client dropped: gone, or not reading");
            self.clients.remove(&id);
        }
    }

    fn notice(&mut self, tone: Tone, text: String) {
        tracing::warn!("{text}");
        self.broadcast(Update::Notice { tone, text }, false);
    }

    fn say_goodbye(&mut self, reason: &str) {
        let ids: Vec<u64> = self.clients.keys().copied().collect();
        for id in ids {
            self.send(
                id,
                ServerMsg::Goodbye {
                    reason: reason.to_string(),
                },
            );
        }
        self.clients.clear();
    }

    fn on_inbox(&mut self, msg: Inbox) {
        match msg {
            Inbox::Join { client, out, actor } => {
                self.clients.insert(
                    client,
                    Client {
                        out,
                        actor,
                        subscribed: false,
                        polls: false,
                    },
                );
            }
            Inbox::Leave { client, reason } => {
                if let Some(reason) = reason {
                    self.send(client, ServerMsg::Goodbye { reason });
                }
                self.clients.remove(&client);
            }
            Inbox::Request {
                client,
                id,
                request,
            } => self.on_request(client, id, request),
        }
    }

    fn on_request(&mut self, client: u64, id: u64, request: Request) {
        let waiter = Some((client, id));
        let now = self.engine.reading_time(self.now());
        match request {
            Request::Act {
                segment,
                action,
                reason,
            } => {
                let actor = self
                    .clients
                    .get(&client)
                    .map_or_else(|| "unknown".to_string(), |c| c.actor.clone());
                self.act(
                    Command {
                        segment,
                        action,
                        actor,
                        reason,
                    },
                    waiter,
                );
            }
            Request::Record {
                segment,
                metric,
                value,
            } => {
                if !value.is_finite() {
                    return self.fail(
                        waiter,
                        FailureKind::Invalid,
                        format!("value '{value}' is not a number"),
                    );
                }
                let at = self.now();
                match self.engine.record_sample(&segment, &metric, at, value) {
                    Ok(()) => {
                        self.changed.insert(segment);
                        self.reply(waiter, Reply::Done);
                    }
                    Err(e) => self.engine_failed(waiter, e),
                }
            }
            Request::PollNow { segment } => {
                let specs: Vec<_> = match &segment {
                    Some(s) => match self.engine.project().segment(s) {
                        Some(seg) => seg.sources.clone(),
                        None => {
                            return self
                                .engine_failed(waiter, EngineError::UnknownSegment(s.clone()));
                        }
                    },
                    None => self.engine.project().sources(),
                };
                self.spawn_poll(specs, PollJob::Now { waiter });
            }
            Request::Status => match self.engine.status(now) {
                Ok(status) => self.reply(
                    waiter,
                    Reply::Status {
                        status: Box::new(status),
                    },
                ),
                Err(e) => self.engine_failed(waiter, e.into()),
            },
            Request::Log { segment } => {
                if let Some(s) = &segment
                    && self.engine.project().segment(s).is_none()
                    && !self.engine.events().iter().any(|e| &e.body.segment == s)
                {
                    return self.engine_failed(waiter, EngineError::UnknownSegment(s.clone()));
                }
                let events = self
                    .engine
                    .events()
                    .iter()
                    .filter(|e| segment.as_ref().is_none_or(|s| &e.body.segment == s))
                    .cloned()
                    .collect();
                self.reply(waiter, Reply::Log { events });
            }
            Request::Snapshot | Request::Subscribe { .. } => {
                let subscribe = match &request {
                    Request::Subscribe { polls } => Some(*polls),
                    _ => None,
                };
                match self.engine.snapshot(now) {
                    Ok(mut snapshot) => {
                        snapshot.running = self
                            .hook_tasks
                            .values()
                            .map(|(_, segment, action)| (segment.clone(), *action))
                            .collect();
                        self.reply(
                            waiter,
                            Reply::Snapshot {
                                snapshot: Box::new(snapshot),
                            },
                        );
                        if let (Some(polls), Some(c)) = (subscribe, self.clients.get_mut(&client)) {
                            c.subscribed = true;
                            c.polls = polls;
                        }
                    }
                    Err(e) => self.engine_failed(waiter, e.into()),
                }
            }
            Request::Report { out, at } => {
                let at = at.unwrap_or(now);
                match crate::report::write(&self.engine, &out, at) {
                    Ok(files) => self.reply(waiter, Reply::Written { files }),
                    Err(e) => self.fail(waiter, FailureKind::Invalid, e),
                }
            }
        }
    }

    fn engine_failed(&mut self, waiter: Waiter, e: EngineError) {
        let kind = match &e {
            EngineError::UnknownSegment(_) => FailureKind::UnknownSegment,
            EngineError::Refused { .. } => FailureKind::Refused,
            EngineError::HookFailed { .. } => FailureKind::HookFailed,
            EngineError::Store(_) => FailureKind::Store,
        };
        if kind == FailureKind::Store {
            self.notice(Tone::Danger, e.to_string());
        }
        self.fail(waiter, kind, e.to_string());
    }

    /// An operator's (or the script's) action. An advance from `gate` polls the segment's
    /// sources first, so its criteria are judged on fresh readings.
    fn act(&mut self, cmd: Command, waiter: Waiter) {
        tracing::info!(segment = %cmd.segment, action = %cmd.action, actor = %cmd.actor, "action");
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

    fn spawn_poll(&mut self, specs: Vec<crate::config::SourceSpec>, job: PollJob) {
        let workdir = self.engine.project_dir().to_path_buf();
        let redactor = self.engine.redactor().clone();
        let clock = self.clock;
        self.polls.spawn(async move {
            let results = runtime::poll_once(&specs, workdir, &redactor, clock).await;
            (job, results)
        });
    }

    /// Decide and record `cmd`; start its hook as a task if it has one.
    fn start(&mut self, cmd: Command, waiter: Waiter) {
        match self.engine.request(&cmd, self.now()) {
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
                let (segment, action) = (job.segment.clone(), job.action);
                let task = self.hooks.spawn(async move {
                    let report = hook::run(&job, &redactor).await;
                    (seq, *job, report)
                });
                self.hook_tasks.insert(task.id(), (seq, segment, action));
                self.publish_events();
                self.broadcast(update, false);
            }
            Err(e) => self.engine_failed(waiter, e),
        }
    }

    fn on_hook(
        &mut self,
        done: Result<(tokio::task::Id, (u64, HookJob, HookReport)), tokio::task::JoinError>,
    ) {
        match done {
            Ok((task, (seq, job, report))) => {
                self.hook_tasks.remove(&task);
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
                    Err(e) => self.engine_failed(waiter, e.into()),
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
            Err(e) => {
                let what = self.hook_tasks.remove(&e.id());
                if let Some((seq, _, _)) = &what {
                    let waiter = self.hook_waiters.remove(seq);
                    self.fail(
                        waiter,
                        FailureKind::Stopped,
                        "the hook task ended without an outcome; its intent stays pending (retry it)"
                            .into(),
                    );
                }
                let name = what.map_or_else(String::new, |(_, s, a)| format!(" ({s}: {a})"));
                self.notice(
                    Tone::Danger,
                    format!("a hook task{name} panicked; its intent stays pending (retry it)"),
                );
            }
        }
    }

    fn on_polls(&mut self, job: PollJob, results: Vec<Polled>) {
        match job {
            PollJob::Gate { waiter, cmd } => {
                for p in &results {
                    self.reply(waiter, Reply::Polled { polled: p.clone() });
                    self.absorb(p, None);
                }
                self.sync();
                self.start(cmd, waiter);
            }
            PollJob::Now { waiter } => {
                let before = self.engine.events().len();
                for p in &results {
                    self.reply(waiter, Reply::Polled { polled: p.clone() });
                    self.absorb(p, waiter);
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
    fn absorb(&mut self, p: &Polled, _waiter: Waiter) {
        let was_ok = self
            .engine
            .source_health(&p.segment, &p.metric)
            .map(|h| h.ok());
        let guard = self.engine.absorb(p);
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

    fn sync(&mut self) {
        if let Err(e) = self.engine.store().sync() {
            self.notice(Tone::Danger, e.to_string());
        }
        self.unsynced = false;
    }

    fn on_tick(&mut self) {
        if let Some(mut script) = self.script.take() {
            for cmd in script.due(self.now(), &self.engine) {
                self.act(cmd, None);
            }
            self.script = Some(script);
        }
        if self.unsynced {
            self.sync();
        }
    }

    /// Tell subscribers of every event appended since the last call, and recompute the
    /// segments they touched at once (an action shows in every cockpit within a frame).
    fn publish_events(&mut self) {
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
    fn refresh_changed(&mut self) {
        if self.changed.is_empty() {
            return;
        }
        let chunk: BTreeSet<String> = self.changed.iter().take(REFRESH_CHUNK).cloned().collect();
        for id in &chunk {
            self.changed.remove(id);
        }
        self.send_segments(chunk);
    }

    fn send_segments(&mut self, ids: BTreeSet<String>) {
        if !self.clients.values().any(|c| c.subscribed) || ids.is_empty() {
            return;
        }
        let now = self.now();
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
            match view {
                Ok(v) => segments.push(v),
                Err(e) => return self.notice(Tone::Danger, e.to_string()),
            }
        }
        self.broadcast(Update::SegmentsChanged { segments }, false);
    }
}
