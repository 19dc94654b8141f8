//! Everything the owner has in flight, in one owned part: hooks, test checks, polls asked for,
//! long reads (verify, backup, reports), the wait for a segment's hold, the periodic flush and
//! notification deliveries. Each kind is an [`InFlight`] set, so each task comes back with
//! what the loop needs to answer for it, whether it finished or panicked; the loop waits on
//! [`Running::next`] alone and gets one [`Done`] at a time.

use super::clients::Waiter;
use super::inflight::{Crashed, InFlight};
use super::protocol::Reply;
use super::work::Asked;
use crate::engine::Command;
use crate::hook::{HookJob, HookReport};
use crate::model::gate::Verdict;
use crate::model::{Event, HookAction};
use crate::source::Polled;
use crate::store::StoreError;
use std::collections::VecDeque;
use std::future::Future;

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

/// A running hook: the seq of its request event, its segment and hook, and who waits.
pub(super) struct HookTask {
    pub seq: u64,
    pub segment: String,
    pub action: HookAction,
    pub waiter: Waiter,
}

/// A move of users running for a segment, and who waits for its report.
pub(super) struct MoveTask {
    pub segment: String,
    pub actor: String,
    pub waiter: Waiter,
    /// The latest progress the task reported, and whether its asker was told it.
    pub progress: std::sync::Arc<std::sync::Mutex<Option<(crate::moving::run::Progress, bool)>>>,
    /// When the task started (this run), for its rate.
    pub started: std::time::Instant,
    /// An undo (a rollback's), not a move.
    pub undo: bool,
    /// Asks the move to stop at the end of its batch (a pause, or a rollback).
    pub stop: crate::moving::run::Stop,
    /// The cutover or rollback this move (or undo) is the first half of: its hook runs once
    /// the users are there (or gone), and its outcome is recorded under the intent's key.
    pub then: Option<(HookTask, Box<HookJob>)>,
}

impl MoveTask {
    /// A task for a move (or an undo, `undo`) of `segment`, with what its work uses: the stop
    /// it checks between batches and where it tells its progress.
    pub fn new(
        segment: String,
        actor: String,
        waiter: Waiter,
        undo: bool,
        then: Option<(HookTask, Box<HookJob>)>,
    ) -> (
        MoveTask,
        crate::moving::run::Stop,
        impl FnMut(crate::moving::run::Progress) + Send + 'static,
    ) {
        let progress = std::sync::Arc::new(std::sync::Mutex::new(None));
        let told = progress.clone();
        let stop = crate::moving::run::Stop::default();
        let task = MoveTask {
            segment,
            actor,
            waiter,
            progress,
            started: std::time::Instant::now(),
            undo,
            stop: stop.clone(),
            then,
        };
        let tell = move |p| {
            if let Ok(mut slot) = told.lock() {
                *slot = Some((p, false));
            }
        };
        (task, stop, tell)
    }
}

/// Reset waves running for a segment, and who waits for their report.
pub(super) struct ResetTask {
    pub segment: String,
    pub waiter: Waiter,
    /// The latest report the task told, and whether its asker was told it.
    pub progress: std::sync::Arc<std::sync::Mutex<Option<(crate::reset::ResetReport, bool)>>>,
    /// When the task started, and how many users were settled then (for its rate).
    pub started: (std::time::Instant, std::sync::OnceLock<u64>),
    pub stop: crate::moving::run::Stop,
}

/// Reset waves' end: where they stand, or why they stopped.
pub(super) type ResetDone = Result<crate::reset::ResetReport, String>;

/// A move's end: its report, or why it stopped (the journal keeps what was done).
pub(super) type Moved = Result<crate::model::moved::MoveReport, String>;

/// A reconciliation's end: its counts, or why it failed.
pub(super) type Reconciled = Result<crate::model::reconciled::Reconciliation, String>;

/// What a delivery brings back: the last event it covers, and the sink's answer.
pub(super) type Delivered = (u64, Result<String, String>);

/// One task's end, with what it was started with.
pub(super) enum Done {
    Hook(HookTask, Result<(HookJob, HookReport), Crashed>),
    Poll(PollJob, Result<Vec<Polled>, Crashed>),
    Checks(CheckJob, Result<Vec<Verdict>, Crashed>),
    /// A sink's delivery (by the sink's index in the notifier).
    Delivery(usize, Result<Delivered, Crashed>),
    Hold(Asked, Result<Result<Vec<Event>, StoreError>, Crashed>),
    Flush(Result<Result<(), StoreError>, Crashed>),
    Job(Waiter, Result<Reply, Crashed>),
    Move(MoveTask, Result<Moved, Crashed>),
    /// A reconciliation the owner ran, by (segment, actor).
    Reconcile((String, String), Result<Reconciled, Crashed>),
    Reset(ResetTask, Result<ResetDone, Crashed>),
}

#[derive(Default)]
pub(super) struct Running {
    hooks: InFlight<HookTask, (HookJob, HookReport)>,
    polls: InFlight<PollJob, Vec<Polled>>,
    checks: InFlight<CheckJob, Vec<Verdict>>,
    deliveries: InFlight<usize, Delivered>,
    /// The action whose segment hold is waited for (one at a time), and those asked
    /// meanwhile, in order.
    holds: InFlight<Asked, Result<Vec<Event>, StoreError>>,
    in_line: VecDeque<Asked>,
    /// The periodic flush of samples (at most one at a time).
    flushing: InFlight<(), Result<(), StoreError>>,
    /// Long reads off the loop (verify, backup, a report's drawing), each answering its waiter.
    jobs: InFlight<Waiter, Reply>,
    /// Moves of users (at most one a segment).
    moves: InFlight<MoveTask, Moved>,
    /// Reconciliations the owner runs (at most one a segment), by (segment, actor).
    reconciles: InFlight<(String, String), Reconciled>,
    /// Reset waves (at most one a segment).
    resets: InFlight<ResetTask, ResetDone>,
    /// Cutovers and rollbacks whose move or undo waits for the segment's running move to
    /// stop (asked to, by a pause or a rollback).
    after_move: Vec<(HookTask, Box<HookJob>)>,
}

impl Running {
    pub fn hook(
        &mut self,
        task: HookTask,
        work: impl Future<Output = (HookJob, HookReport)> + Send + 'static,
    ) {
        self.hooks.spawn(task, work);
    }

    pub fn poll(&mut self, job: PollJob, work: impl Future<Output = Vec<Polled>> + Send + 'static) {
        self.polls.spawn(job, work);
    }

    pub fn checks(
        &mut self,
        job: CheckJob,
        work: impl Future<Output = Vec<Verdict>> + Send + 'static,
    ) {
        self.checks.spawn(job, work);
    }

    pub fn delivery(
        &mut self,
        sink: usize,
        work: impl Future<Output = Delivered> + Send + 'static,
    ) {
        self.deliveries.spawn(sink, work);
    }

    pub fn job(&mut self, waiter: Waiter, work: impl Future<Output = Reply> + Send + 'static) {
        self.jobs.spawn(waiter, work);
    }

    pub fn blocking_job(&mut self, waiter: Waiter, work: impl FnOnce() -> Reply + Send + 'static) {
        self.jobs.spawn_blocking(waiter, work);
    }

    pub fn moving(&mut self, task: MoveTask, work: impl Future<Output = Moved> + Send + 'static) {
        self.moves.spawn(task, work);
    }

    pub fn reconciling(
        &mut self,
        segment: String,
        actor: String,
        work: impl Future<Output = Reconciled> + Send + 'static,
    ) {
        self.reconciles.spawn((segment, actor), work);
    }

    pub fn resetting(
        &mut self,
        task: ResetTask,
        work: impl Future<Output = ResetDone> + Send + 'static,
    ) {
        self.resets.spawn(task, work);
    }

    /// Ask `segment`'s reset waves to stop before their next send.
    pub fn stop_resets(&mut self, segment: &str, why: &'static str) {
        for t in self.resets.running().filter(|t| t.segment == segment) {
            t.stop.ask(why);
        }
    }

    /// The reset waves running now.
    pub fn resets(&self) -> impl Iterator<Item = &ResetTask> {
        self.resets.running()
    }

    /// Whether a reconciliation of `segment` runs now.
    pub fn is_reconciling(&self, segment: &str) -> bool {
        self.reconciles.running().any(|(s, _)| s == segment)
    }

    /// The moves running now.
    pub fn moves(&self) -> impl Iterator<Item = &MoveTask> {
        self.moves.running()
    }

    /// Ask `segment`'s running move to stop after its batch; whether one runs.
    pub fn stop_move(&mut self, segment: &str, why: &'static str) -> bool {
        let mut found = false;
        for t in self.moves.running().filter(|t| t.segment == segment) {
            t.stop.ask(why);
            found = true;
        }
        found
    }

    /// Start `job`'s move or undo once its segment's running move has stopped.
    pub fn after_move(&mut self, hook: HookTask, job: Box<HookJob>) {
        self.after_move.push((hook, job));
    }

    /// A cutover or rollback that waited for `segment`'s move to stop, now that it has.
    pub fn waiting_for(&mut self, segment: &str) -> Option<(HookTask, Box<HookJob>)> {
        let i = self
            .after_move
            .iter()
            .position(|(h, _)| h.segment == segment)?;
        Some(self.after_move.remove(i))
    }

    /// Whether `segment`'s running move was asked to stop (it ends after its batch).
    pub fn is_stopping(&self, segment: &str) -> bool {
        self.moves
            .running()
            .any(|t| t.segment == segment && t.stop.asked().is_some())
    }

    /// Whether a move of `segment`'s users runs now.
    pub fn is_moving(&self, segment: &str) -> bool {
        self.moves.running().any(|t| t.segment == segment)
    }

    /// `asked` may ask for its hold now (returned) or waits behind the one asking (queued).
    pub fn take_turn(&mut self, asked: Asked) -> Option<Asked> {
        if self.holds.is_empty() && self.in_line.is_empty() {
            return Some(asked);
        }
        self.in_line.push_back(asked);
        None
    }

    /// Wait for `asked`'s hold on a thread of its own.
    pub fn hold(
        &mut self,
        asked: Asked,
        wait: impl FnOnce() -> Result<Vec<Event>, StoreError> + Send + 'static,
    ) {
        self.holds.spawn_blocking(asked, wait);
    }

    /// The next action in line, once no hold is being waited for.
    pub fn next_in_line(&mut self) -> Option<Asked> {
        if !self.holds.is_empty() {
            return None;
        }
        self.in_line.pop_front()
    }

    /// Start a flush unless one runs; whether it started.
    pub fn flush(
        &mut self,
        work: impl FnOnce() -> Result<(), StoreError> + Send + 'static,
    ) -> bool {
        if !self.flushing.is_empty() {
            return false;
        }
        self.flushing.spawn_blocking((), work);
        true
    }

    /// The hooks running now.
    pub fn hooks(&self) -> impl Iterator<Item = &HookTask> {
        self.hooks.running()
    }

    /// Stop every hook (the owner stops now); what they were, for the record.
    pub fn abort_hooks(&mut self) -> Vec<HookTask> {
        self.hooks.abort_all()
    }

    /// Whether nothing runs and nothing waits in line (a draining owner may stop).
    pub fn is_idle(&self) -> bool {
        self.hooks.is_empty()
            && self.polls.is_empty()
            && self.checks.is_empty()
            && self.deliveries.is_empty()
            && self.holds.is_empty()
            && self.in_line.is_empty()
            && self.flushing.is_empty()
            && self.jobs.is_empty()
            && self.moves.is_empty()
            && self.reconciles.is_empty()
            && self.resets.is_empty()
            && self.after_move.is_empty()
    }

    /// The next task to end, of any kind; pending forever while nothing runs. Hooks first:
    /// an operator waits on them.
    pub async fn next(&mut self) -> Done {
        tokio::select! {
            biased;
            Some((t, r)) = self.hooks.next(), if !self.hooks.is_empty() => Done::Hook(t, r),
            Some((j, r)) = self.polls.next(), if !self.polls.is_empty() => Done::Poll(j, r),
            Some((j, r)) = self.checks.next(), if !self.checks.is_empty() => Done::Checks(j, r),
            Some((s, r)) = self.deliveries.next(), if !self.deliveries.is_empty() => Done::Delivery(s, r),
            Some((a, r)) = self.holds.next(), if !self.holds.is_empty() => Done::Hold(a, r),
            Some(((), r)) = self.flushing.next(), if !self.flushing.is_empty() => Done::Flush(r),
            Some((w, r)) = self.jobs.next(), if !self.jobs.is_empty() => Done::Job(w, r),
            Some((t, r)) = self.moves.next(), if !self.moves.is_empty() => Done::Move(t, r),
            Some((k, r)) = self.reconciles.next(), if !self.reconciles.is_empty() => Done::Reconcile(k, r),
            Some((t, r)) = self.resets.next(), if !self.resets.is_empty() => Done::Reset(t, r),
            else => std::future::pending().await,
        }
    }
}
