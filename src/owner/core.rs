//! The owner loop itself: every message that changes the state passes here, one at a time.
//! This file holds the loop and how it talks to clients; [`super::requests`] answers requests
//! and [`super::work`] does the work (actions, hooks, polls, refreshes).
//!
//! The loop only decides, records and tells; everything slow runs as a task and comes back as
//! a message: polled samples (one task per source), hook runs, the polls that precede an
//! advance from `gate` (the rule "advance from gate polls the segment's sources first" lives
//! here, for keys and commands alike), and `poll` requests.

use super::Script;
use super::inflight::InFlight;
use super::protocol::{FailureKind, Reply};
use super::shared_view::SharedView;
use super::{Inbox, Outbox, OwnerOptions, StopMode};
use crate::clock::Clock;
use crate::engine::{Command, Engine};
use crate::hook::{HookJob, HookReport};
use crate::model::HookAction;
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
pub(super) const REFRESH_CHUNK: usize = 64;
/// How often every segment is recomputed for subscribers even without samples (ages, soak).
const FULL_REFRESH_EVERY: Duration = Duration::from_secs(10);

pub(super) struct Client {
    pub(super) out: Outbox,
    pub(super) actor: String,
    pub(super) subscribed: bool,
    /// The client's OS user, when known (a `socket_group` member is not the owner's user).
    pub(super) uid: Option<u32>,
    /// Also wants every polled sample (`watch` logs them).
    pub(super) polls: bool,
}

/// A request waiting for an outcome: (client, request id).
pub(super) type Waiter = Option<(u64, u64)>;

/// A poll that was asked for, and what to do when it is back.
pub(super) enum PollJob {
    /// An advance from gate: record the fresh samples, then decide.
    Gate { waiter: Waiter, cmd: Command },
    /// `poll`: record, guard, report each source.
    Now { waiter: Waiter },
}

/// Checks that were asked for, and what to do when they are back.
pub(super) enum CheckJob {
    /// An advance from test: decide on the fresh results.
    Advance { waiter: Waiter, cmd: Command },
    /// A run without advancing: record the results.
    Run {
        waiter: Waiter,
        segment: String,
        actor: String,
    },
}

pub(super) struct Core {
    pub(super) engine: Engine,
    pub(super) clock: Clock,
    pub(super) clients: BTreeMap<u64, Client>,
    /// Running hooks, each with (request event seq, segment, hook); see [`InFlight`]: every
    /// kind of work below answers its waiter whatever happens to its task.
    pub(super) hooks: InFlight<(u64, String, HookAction), (HookJob, HookReport)>,
    /// Who waits for a hook's outcome, by the seq of its request event.
    pub(super) hook_waiters: HashMap<u64, (u64, u64)>,
    pub(super) polls: InFlight<PollJob, Vec<Polled>>,
    pub(super) checks: InFlight<CheckJob, Vec<crate::model::gate::Verdict>>,
    /// Long reads off the loop (verify, backup), each answering its waiter.
    pub(super) jobs: InFlight<Waiter, Reply>,
    /// The action whose segment hold is being waited for (one at a time), and those asked
    /// meanwhile, in order (see [`super::work`]).
    pub(super) holds:
        InFlight<super::work::Asked, Result<Vec<crate::model::Event>, crate::store::StoreError>>,
    pub(super) asked: std::collections::VecDeque<super::work::Asked>,
    /// The periodic flush of samples, run beside the loop (at most one at a time).
    pub(super) flushing: InFlight<(), Result<(), crate::store::StoreError>>,
    pub(super) script: Option<Box<dyn Script>>,
    /// Segments with new samples, to recompute for subscribers.
    pub(super) changed: BTreeSet<String>,
    pub(super) events_published: usize,
    pub(super) unsynced: bool,
    /// Where the pollers send their results, and the pollers once started.
    pub(super) poll_tx: mpsc::Sender<Polled>,
    pub(super) pollers: Option<JoinSet<()>>,
    /// Whether this process may run the pollers and guards: always on sled; on the team
    /// backend only while it holds the project's leadership.
    pub(super) may_guard: bool,
    /// The state database's outage as last told to clients (team backend), and when it was
    /// last asked.
    pub(super) db_down: Option<chrono::DateTime<chrono::Utc>>,
    pub(super) db_asked: Instant,
    /// Hook outcomes the state could not take when their hooks ended (the database away):
    /// (job, report, when it ended), recorded as soon as it answers.
    pub(super) unrecorded: Vec<(HookJob, HookReport, chrono::DateTime<chrono::Utc>)>,
    /// The notifications this owner sends (see [`super::notify`]).
    pub(super) notifier: super::outbox::Notifier,
    /// Whether this owner sends notifications: a `watch`, cockpit or demo, never a one-shot
    /// command (it would end mid-delivery; the next long-lived owner sends what it left).
    pub(super) sends: bool,
    /// Lasting conditions told once per transition (see [`super::alarms`]).
    pub(super) alarms: super::conditions::Alarms,
    /// What this owner is (it says so in its guarding records).
    pub(super) role: super::protocol::Role,
    /// This process, while it guards and has said so in the log (see [`crate::engine::guarding`]).
    pub(super) guardian: Option<crate::engine::guarding::Guardian>,
    /// The snapshot served to every client until the state changes.
    pub(super) view: SharedView,
    /// This turn only answered a read-only request: the shared snapshot still holds.
    pub(super) quiet: bool,
}

pub(super) async fn run(
    engine: Engine,
    mut options: OwnerOptions,
    mut inbox: mpsc::Receiver<Inbox>,
    mut stop: oneshot::Receiver<StopMode>,
) -> Result<()> {
    let (poll_tx, mut polled) = mpsc::channel::<Polled>(1024);
    let mut core = Core {
        poll_tx,
        pollers: None,
        may_guard: true,
        db_down: None,
        db_asked: Instant::now(),
        unrecorded: Vec::new(),
        notifier: super::outbox::Notifier::new(&engine),
        sends: options.poll,
        alarms: super::conditions::Alarms::new(&engine, options.clock.now()),
        events_published: engine.events().len(),
        engine,
        clock: options.clock,
        clients: BTreeMap::new(),
        hooks: InFlight::default(),
        hook_waiters: HashMap::new(),
        polls: InFlight::default(),
        checks: InFlight::default(),
        jobs: InFlight::default(),
        holds: InFlight::default(),
        asked: Default::default(),
        flushing: InFlight::default(),
        script: options.script.take(),
        changed: BTreeSet::new(),
        unsynced: false,
        role: options.role,
        guardian: None,
        view: SharedView::default(),
        quiet: false,
    };
    // On the team backend the pollers and guards run only while this process leads.
    // A one-shot command never competes for it: it would hold the guard without guarding.
    let following = core
        .engine
        .store()
        .coordination()
        .filter(|_| options.poll)
        .map(|c| c.follow(&core.engine.project().name));
    core.may_guard = core.engine.store().coordination().is_none();
    // On sled this process holds the project: a guard the log says is running is gone.
    if core.may_guard && !options.poll && core.engine.guard_recorded_running() {
        core.found_guard_gone();
    }
    let (_following, mut leading, mut news) = match following {
        Some(f) => (Some(f.stop), Some(f.leading), Some(f.news)),
        None => (None, None, None),
    };
    if options.poll && leading.is_none() {
        core.start_polling();
    }
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
            Some((what, done)) = core.hooks.next(), if !core.hooks.is_empty() => core.on_hook(what, done),
            Some((job, done)) = core.polls.next(), if !core.polls.is_empty() => match done {
                Ok(results) => core.on_polls(job, results),
                Err(crashed) => core.on_poll_crashed(job, crashed),
            },
            Some((job, done)) = core.checks.next(), if !core.checks.is_empty() => core.on_checks(job, done),
            Some(done) = core.notifier.tasks.join_next_with_id(), if !core.notifier.tasks.is_empty() => {
                let done = match done {
                    Ok((task, done)) => {
                        core.notifier.finished(task);
                        Some(done)
                    }
                    Err(e) => core.notifier.lost(e.id()),
                };
                if let Some(done) = done {
                    core.on_delivered(done);
                }
            }
            Some((asked, done)) = core.holds.next(), if !core.holds.is_empty() => core.on_hold(asked, done),
            Some(((), done)) = core.flushing.next(), if !core.flushing.is_empty() => core.on_flushed(done),
            Some((waiter, done)) = core.jobs.next(), if !core.jobs.is_empty() => match done {
                Ok(reply) => core.reply(waiter, reply),
                Err(crashed) => core.fail(
                    waiter,
                    FailureKind::Stopped,
                    format!("the owner's task for this request ended without an answer ({}); ask again", crashed.0),
                ),
            },
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
                    core.absorb(&p);
                }
            }
            Some(()) = super::team::recv_news(&mut news) => {
                if let Some(n) = news.as_mut() {
                    while n.try_recv().is_ok() {}
                }
                core.on_news();
            }
            Some(lead) = super::team::lead_changed(&mut leading) => core.on_leading(lead, options.poll),
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
        // Any turn but a read-only request may have changed what a snapshot shows.
        if !std::mem::take(&mut core.quiet) {
            core.view.changed();
        }
        core.publish_events();
        if draining
            && core.hooks.is_empty()
            && core.polls.is_empty()
            && core.checks.is_empty()
            && core.jobs.is_empty()
            && core.flushing.is_empty()
            && core.holds.is_empty()
            && core.notifier.tasks.is_empty()
        {
            break;
        }
    }
    let mut left = Vec::new();
    for (seq, segment, action) in core.hooks.abort_all() {
        tracing::warn!(seq, %segment, %action, "owner stopping: hook left pending");
        left.push(match action {
            HookAction::Rollback => {
                format!("{segment}'s rollback (retry: cutover rollback {segment} --retry, or R)")
            }
            _ => format!("{segment}'s {action} hook (retry: cutover advance {segment})"),
        });
    }
    core.end_guarding(match core.role {
        super::protocol::Role::Cockpit => "the cockpit quit",
        super::protocol::Role::Demo => "the demo quit",
        super::protocol::Role::Watch => "watch stopped (SIGINT or SIGTERM)",
        super::protocol::Role::Command => "the command that held the project ended",
    });
    let synced = core.engine.store().sync();
    let reason = if left.is_empty() {
        "the owner stopped".to_string()
    } else {
        format!("the owner stopped; left pending: {}", left.join("; "))
    };
    core.say_goodbye(&reason);
    if options.serve {
        // Removed while this process still holds the lock: see `Owner::close_socket`.
        let _ = std::fs::remove_file(super::socket_path(core.engine.store().dir()));
    }
    synced?;
    Ok(())
}

impl Core {
    /// Start the pollers and with them the guards, once. A one-shot command's owner does not
    /// poll, until a `watch` or cockpit attaches to it: guards never wait while one is open.
    pub(super) fn start_polling(&mut self) {
        if self.may_guard {
            self.begin_guarding();
        }
        if self.pollers.is_none() && self.may_guard {
            self.pollers = Some(runtime::spawn_pollers(
                self.engine.project().sources(),
                self.engine.project_dir().to_path_buf(),
                self.engine.redactor().clone(),
                self.clock,
                self.poll_tx.clone(),
            ));
        }
    }

    pub(super) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
