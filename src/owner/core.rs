//! The owner loop itself: every message that changes the state passes here, one at a time.
//! This file holds the loop and the owner's state, [`Core`]: the engine and a few owned parts.
//! [`super::requests`] answers requests, [`super::work`] decides actions and runs hooks, and
//! [`super::polling`] takes in samples.
//!
//! The loop only decides, records and tells; everything slow runs as a task and comes back as
//! a message ([`super::running`]): polled samples (one task per source), hook runs, the polls
//! that precede an advance from `gate` (the rule "advance from gate polls the segment's sources
//! first" lives in [`super::work`], for keys and commands alike), `poll` requests, holds,
//! flushes and deliveries.

use super::changes::Changes;
use super::clients::Clients;
use super::periodic::Upkeep;
use super::protocol::{FailureKind, Reply};
use super::running::{Done, Running};
use super::team::Team;
use super::{Inbox, OwnerOptions, StopMode};
use crate::clock::Clock;
use crate::engine::Engine;
use crate::model::HookAction;
use crate::source::Polled;
use anyhow::Result;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// How often queued samples are folded into clients' views, at most.
const REFRESH_EVERY: Duration = Duration::from_millis(200);
/// How often every segment is recomputed for subscribers even without samples (ages, soak).
const FULL_REFRESH_EVERY: Duration = Duration::from_secs(10);

/// The owner's state: the engine, and a few parts that each own theirs, changed only by the
/// file that defines them (through their methods elsewhere).
pub(super) struct Core {
    pub(super) engine: Engine,
    pub(super) clock: Clock,
    /// Who is joined, and how each is told ([`super::clients`]).
    pub(super) clients: Clients,
    /// Every task in flight, each answering for itself ([`super::running`]).
    pub(super) running: Running,
    /// Who guards: pollers, guarding records, leadership on a shared state ([`super::team`]).
    pub(super) team: Team,
    /// What clients have not been told yet, and the shared snapshot ([`super::changes`]).
    pub(super) changes: Changes,
    /// The script, the flush, notifications, and what waits for the database
    /// ([`super::periodic`]).
    pub(super) upkeep: Upkeep,
    /// What rollbacks would lose, as last read, and the undos allowed to delete active users
    /// ([`super::rollback_delta`]).
    pub(super) deltas: super::rollback_delta::Deltas,
}

pub(super) async fn run(
    engine: Engine,
    mut options: OwnerOptions,
    mut inbox: mpsc::Receiver<Inbox>,
    mut stop: oneshot::Receiver<StopMode>,
    leads: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Result<()> {
    let (poll_tx, mut polled) = mpsc::channel::<Polled>(1024);
    let may_guard = engine.store().coordination().is_none();
    let mut core = Core {
        team: Team::new(options.role, may_guard, poll_tx, leads),
        upkeep: Upkeep::new(
            &engine,
            options.script.take(),
            options.poll,
            options.clock.now(),
        ),
        changes: Changes::new(&engine),
        engine,
        clock: options.clock,
        clients: Clients::default(),
        running: Running::default(),
        deltas: Default::default(),
    };
    // On the team backend the pollers and guards run only while this process leads.
    // A one-shot command never competes for it: it would hold the guard without guarding.
    let following = core
        .engine
        .store()
        .coordination()
        .filter(|_| options.poll)
        .map(|c| c.follow(&core.engine.project().name));
    // On sled this process holds the project: a guard the log says is running is gone.
    if core.team.may_guard() && !options.poll && core.engine.guard_recorded_running() {
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
            done = core.running.next() => core.on_done(done),
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
                if last_full.elapsed() >= FULL_REFRESH_EVERY && core.clients.any_subscribed() {
                    last_full = Instant::now();
                    let all: Vec<String> = core.engine.project().segments.iter().map(|s| s.id.clone()).collect();
                    core.changes.touch(all);
                }
                core.refresh_changed();
            }
        }
        core.changes.turn_ended();
        core.publish_events();
        if draining && core.running.is_idle() {
            break;
        }
    }
    let mut left = Vec::new();
    for hook in core.running.abort_hooks() {
        let (seq, segment, action) = (hook.seq, hook.segment, hook.action);
        tracing::warn!(seq, %segment, %action, "owner stopping: hook left pending");
        left.push(match action {
            HookAction::Rollback => {
                format!("{segment}'s rollback (retry: cutover rollback {segment} --retry, or R)")
            }
            _ => format!("{segment}'s {action} hook (retry: cutover advance {segment})"),
        });
    }
    core.end_guarding(match core.team.role() {
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
    core.clients.say_goodbye(&reason);
    if options.serve {
        // Removed while this process still holds the lock: see `Owner::close_socket`.
        let _ = std::fs::remove_file(super::socket_path(core.engine.store().dir()));
    }
    synced?;
    Ok(())
}

impl Core {
    /// A task ended: each kind goes to the part of the owner that asked for it.
    fn on_done(&mut self, done: Done) {
        match done {
            Done::Hook(task, done) => self.on_hook(task, done),
            Done::Poll(job, Ok(results)) => self.on_polls(job, results),
            Done::Poll(job, Err(crashed)) => self.on_poll_crashed(job, crashed),
            Done::Checks(job, done) => self.on_checks(job, done),
            Done::Delivery(sink, done) => self.on_delivered(sink, done),
            Done::Hold(asked, done) => self.on_hold(asked, done),
            Done::Flush(done) => self.on_flushed(done),
            Done::Job(waiter, Ok(reply)) => {
                if let Reply::RollbackDelta { delta } = &reply {
                    self.deltas.keep((**delta).clone());
                }
                self.clients.reply(waiter, reply)
            }
            Done::Move(task, done) => self.on_moved(task, done),
            Done::Reset(task, done) => self.on_reset(task, done),
            Done::Reconcile(who, done) => self.on_reconciled(who, done),
            Done::Job(waiter, Err(crashed)) => self.clients.fail(
                waiter,
                FailureKind::Stopped,
                format!(
                    "the owner's task for this request ended without an answer ({}); ask again",
                    crashed.0
                ),
            ),
        }
    }

    pub(super) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
