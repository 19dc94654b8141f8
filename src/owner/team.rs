//! Who guards: this owner's pollers and its guarding, said in the log when it starts and stops
//! (see [`crate::engine::guarding`]), and on a shared state (the team backend) the backend's
//! coordination ([`crate::store::coordination`]): the events other processes append are
//! folded in, guarding starts or stops as this process leads or stands by, and clients are
//! told when the state database stops or starts answering.

use super::core::Core;
use super::protocol::{Role, Tone, Update};
use crate::engine::guarding::Guardian;
use crate::source::Polled;
use crate::store::coordination::Lead;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

/// Why a guard the log says is running is recorded as stopped by the next owner.
const GUARD_GONE: &str =
    "the guard before this one ended without a word (killed, or its machine or lead went away)";

/// This owner's part in guarding the project.
pub(super) struct Team {
    /// What this owner is (it says so in its guarding records).
    role: Role,
    /// Whether this process may run the pollers and guards: always on sled; on the team
    /// backend only while it holds the project's leadership.
    may_guard: bool,
    /// Where the pollers send their results, and the pollers once started.
    poll_tx: mpsc::Sender<Polled>,
    pollers: Option<JoinSet<()>>,
    /// This process, while it guards and has said so in the log.
    guardian: Option<Guardian>,
    /// The state database's outage as last told to clients (team backend), and when it was
    /// last asked.
    db_down: Option<chrono::DateTime<chrono::Utc>>,
    db_asked: Instant,
    /// `may_guard`, for the metrics exporter: only a leader exports the project's segments.
    leads: Arc<AtomicBool>,
}

impl Team {
    pub(super) fn new(
        role: Role,
        may_guard: bool,
        poll_tx: mpsc::Sender<Polled>,
        leads: Arc<AtomicBool>,
    ) -> Team {
        leads.store(may_guard, Ordering::Relaxed);
        Team {
            leads,
            role,
            may_guard,
            poll_tx,
            pollers: None,
            guardian: None,
            db_down: None,
            db_asked: Instant::now(),
        }
    }

    pub(super) fn may_guard(&self) -> bool {
        self.may_guard
    }

    pub(super) fn role(&self) -> Role {
        self.role
    }
}

/// Whether this process leads (runs the pollers and guards).
pub(super) type Leading = watch::Receiver<Lead>;
/// One message per wake-up: other processes appended events (or a reconnect).
pub(super) type News = mpsc::UnboundedReceiver<()>;

pub(super) async fn recv_news(news: &mut Option<News>) -> Option<()> {
    match news {
        Some(n) => n.recv().await,
        None => std::future::pending().await,
    }
}

pub(super) async fn lead_changed(
    leading: &mut Option<super::team::Leading>,
) -> Option<super::team::Lead> {
    match leading {
        Some(l) => {
            l.changed().await.ok()?;
            let now = *l.borrow();
            Some(now)
        }
        None => std::future::pending().await,
    }
}

impl Core {
    /// Other processes wrote to the team state: fold their events in; the loop then tells
    /// every client, as it does for this process's own.
    pub(super) fn on_news(&mut self) {
        let before = self.engine.events().len();
        match self.engine.refresh() {
            Ok(0) => {}
            Ok(_) => {
                let touched: Vec<String> = self.engine.events()[before..]
                    .iter()
                    .map(|e| e.body.segment.clone())
                    .collect();
                self.changes.touch(touched);
            }
            Err(e) => tracing::warn!("cannot read the team state's news: {e}"),
        }
    }

    /// This process became the project's guard, lost it, or another process guards.
    pub(super) fn on_leading(&mut self, lead: Lead, poll: bool) {
        self.team.may_guard = lead == Lead::Leading;
        self.team
            .leads
            .store(self.team.may_guard, Ordering::Relaxed);
        match lead {
            Lead::Leading => {
                self.on_news();
                // What the previous guard delivered and raised is in the state: start from it.
                self.restart_notifications();
                if poll {
                    self.start_polling();
                }
                self.clients.notice(
                    Tone::Info,
                    "this process now runs the pollers and guards".into(),
                );
            }
            // Polling goes on (its samples are held until the database answers); guarding
            // stops: another process may be guarding by now. The stop cannot be recorded (the
            // database is away): the next leader records it, as found.
            Lead::Lost => {
                self.team.guardian = None;
                self.clients.notice(
                Tone::Warn,
                "guards stopped: the state database stopped answering; polled samples are held in memory"
                    .into(),
            )
            }
            Lead::Standby => {
                self.end_guarding("another process leads the project now");
                if let Some(mut pollers) = self.team.pollers.take() {
                    pollers.abort_all();
                    self.clients.notice(
                        Tone::Info,
                        "another process guards the project now; this one stands by".into(),
                    );
                }
            }
        }
    }

    /// Start the pollers and with them the guards, once. A one-shot command's owner does not
    /// poll, until a `watch` or cockpit attaches to it: guards never wait while one is open.
    pub(super) fn start_polling(&mut self) {
        if !self.team.may_guard {
            return;
        }
        self.begin_guarding();
        if self.team.pollers.is_none() {
            self.team.pollers = Some(crate::runtime::spawn_pollers(
                self.engine.project().sources(),
                self.engine.project_dir().to_path_buf(),
                self.engine.redactor().clone(),
                self.clock,
                self.team.poll_tx.clone(),
            ));
        }
    }

    /// On the team backend, ask the database every 2 s whether it answers, and tell every
    /// client when that changes (the cockpit's header, `watch`'s output).
    pub(super) fn watch_database(&mut self) {
        let Some(shared) = self.engine.store().coordination() else {
            return;
        };
        if self.team.db_asked.elapsed() < Duration::from_secs(2) {
            return;
        }
        self.team.db_asked = Instant::now();
        shared.probe();
        let down = shared.unreachable_since();
        if down != self.team.db_down {
            self.team.db_down = down;
            self.clients.broadcast(
                Update::StateDatabase {
                    unreachable_since: down,
                },
                false,
            );
        }
    }

    /// Say in the log that this process guards from now on (once), after recording a guard
    /// the log thought running as gone, and the gaps this start ends.
    pub(super) fn begin_guarding(&mut self) {
        if self.team.guardian.is_some() {
            return;
        }
        let who = Guardian::this_process(&crate::os::actor(None), self.team.role.as_str());
        let now = self.now();
        match self.engine.start_guarding(&who, Some(GUARD_GONE), now) {
            Ok(gap) => {
                self.team.guardian = Some(who);
                if let Some(detail) = gap.and_then(|e| e.body.detail) {
                    self.clients.notice(Tone::Warn, detail);
                }
            }
            Err(e) => tracing::warn!("cannot record that guarding started: {e}"),
        }
    }

    /// Say in the log that this process stops guarding, and why (if it said it started).
    pub(super) fn end_guarding(&mut self, why: &str) {
        if let Some(who) = self.team.guardian.take() {
            let now = self.now();
            if let Err(e) = self.engine.record_guarding(false, &who, why, now) {
                tracing::warn!("cannot record that guarding stopped: {e}");
            }
        }
    }

    /// The log says a guard runs, but this process holds the project and does not guard.
    pub(super) fn found_guard_gone(&mut self) {
        let who = Guardian::this_process("auto", self.team.role.as_str());
        let now = self.now();
        if let Err(e) = self.engine.record_guarding(false, &who, GUARD_GONE, now) {
            tracing::warn!("cannot record that the guard is gone: {e}");
        }
    }
}
