//! The owner's side of the team backend (state on PostgreSQL): who guards, and news from the
//! other processes.
//!
//! * **Leadership.** Exactly one process runs a project's pollers and guards: the one holding
//!   the project's session-level advisory lock ([`Leadership`]). Every owner asks for it once
//!   a second; the holder checks once a second that its connection still answers, and stops
//!   guarding at once when it does not (another process may be guarding by then). When the
//!   leader's process dies the server frees the lock with its session, so a standby takes
//!   over within about a second (a vanished machine: within its keepalives, about 6 s).
//! * **News.** A listener connection LISTENs on the log's channel: every append by any
//!   process wakes this owner, which folds in the new events and tells its clients. Nothing
//!   polls the tables; after a reconnect it catches up once.
//!
//! Both run on threads of their own: the client is blocking (see `crate::store::pg`).

use super::core::Core;
use super::protocol::Tone;
use crate::store::pg::CHANNEL;
use crate::store::pg_leader::Leadership;
use postgres::fallible_iterator::FallibleIterator;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How often a standby asks for the leadership, and the leader checks it still holds it.
const EVERY: Duration = Duration::from_secs(1);

/// The threads' stop switch (set on drop).
pub(super) struct Team {
    stop: Arc<AtomicBool>,
}

/// Where this process stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lead {
    /// It holds the leadership: it polls and guards.
    Leading,
    /// It held it and its connection failed: it must not act (another process may lead by
    /// now), but may go on polling, holding the samples until the database answers.
    Lost,
    /// Another process leads: no polling, no guarding.
    Standby,
}

/// Whether this process leads (runs the pollers and guards).
pub(super) type Leading = watch::Receiver<Lead>;
/// One message per wake-up: other processes appended events (or a reconnect).
pub(super) type News = mpsc::UnboundedReceiver<()>;

impl Drop for Team {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

pub(super) fn start(url: String, project: String) -> (Team, Leading, News) {
    let stop = Arc::new(AtomicBool::new(false));
    let (lead_tx, leading) = watch::channel(Lead::Standby);
    let (news_tx, news) = mpsc::unbounded_channel();
    let (s1, s2, url2) = (stop.clone(), stop.clone(), url.clone());
    let _ = std::thread::Builder::new()
        .name("cutover-leader".into())
        .spawn(move || lead(&url, &project, &lead_tx, &s1));
    let _ = std::thread::Builder::new()
        .name("cutover-listen".into())
        .spawn(move || listen(&url2, &news_tx, &s2));
    (Team { stop }, leading, news)
}

fn lead(url: &str, project: &str, tx: &watch::Sender<Lead>, stop: &AtomicBool) {
    let mut held: Option<Leadership> = None;
    while !stop.load(Ordering::Relaxed) && !tx.is_closed() {
        match held.as_mut() {
            None => match Leadership::try_take(url, project) {
                Ok(Some(l)) => {
                    tracing::info!("this process now guards the project (leader)");
                    held = Some(l);
                    let _ = tx.send(Lead::Leading);
                }
                // The database answers and another process leads.
                Ok(None) => {
                    tx.send_if_modified(|l| std::mem::replace(l, Lead::Standby) != Lead::Standby);
                }
                // Unreachable: stay as it is (Lost stays Lost: polling goes on, held).
                Err(_) => {}
            },
            Some(l) => {
                if !l.still_held() {
                    tracing::warn!(
                        "lost the project's leadership (the database connection failed); guards stopped"
                    );
                    held = None;
                    let _ = tx.send(Lead::Lost);
                }
            }
        }
        std::thread::sleep(EVERY);
    }
}

fn listen(url: &str, tx: &mpsc::UnboundedSender<()>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) && !tx.is_closed() {
        let Ok(mut client) = crate::store::pg::connect(url) else {
            std::thread::sleep(EVERY);
            continue;
        };
        if client.batch_execute(&format!("LISTEN {CHANNEL}")).is_err() {
            std::thread::sleep(EVERY);
            continue;
        }
        // Caught up once after every (re)connect: appends while it was away are not lost.
        let _ = tx.send(());
        loop {
            if stop.load(Ordering::Relaxed) || tx.is_closed() {
                return;
            }
            let next = client
                .notifications()
                .timeout_iter(Duration::from_millis(500))
                .next();
            match next {
                Ok(Some(_)) => {
                    let _ = tx.send(());
                }
                Ok(None) if !client.is_closed() => {}
                _ => break,
            }
        }
        std::thread::sleep(EVERY);
    }
}

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
                self.changed.extend(touched);
            }
            Err(e) => tracing::warn!("cannot read the team state's news: {e}"),
        }
    }

    /// This process became the project's guard, lost it, or another process guards.
    pub(super) fn on_leading(&mut self, lead: Lead, poll: bool) {
        self.may_guard = lead == Lead::Leading;
        match lead {
            Lead::Leading => {
                self.on_news();
                // What the previous guard delivered and raised is in the state: start from it.
                self.notifier = super::notify::Notifier::new(&self.engine);
                self.alarms = super::alarms::Alarms::new(&self.engine, self.now());
                if poll {
                    self.start_polling();
                }
                self.notice(
                    Tone::Info,
                    "this process now runs the pollers and guards".into(),
                );
            }
            // Polling goes on (its samples are held until the database answers); guarding
            // stops: another process may be guarding by now. The stop cannot be recorded (the
            // database is away): the next leader records it, as found.
            Lead::Lost => {
                self.guardian = None;
                self.notice(
                Tone::Warn,
                "guards stopped: the state database stopped answering; polled samples are held in memory"
                    .into(),
            )
            }
            Lead::Standby => {
                self.end_guarding("another process leads the project now");
                if let Some(mut pollers) = self.pollers.take() {
                    pollers.abort_all();
                    self.notice(
                        Tone::Info,
                        "another process guards the project now; this one stands by".into(),
                    );
                }
            }
        }
    }
}
