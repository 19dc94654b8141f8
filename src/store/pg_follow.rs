//! The team backend's coordination ([`super::coordination`]) on PostgreSQL: who guards, and
//! news from the other processes.
//!
//! * **Leadership.** Exactly one process runs a project's pollers and guards: the one holding
//!   the project's session-level advisory lock ([`Leadership`]). Every owner asks for it once
//!   a second; the holder checks once a second that its connection still answers, and stops
//!   guarding at once when it does not (another process may be guarding by then). When the
//!   leader's process dies the server frees the lock with its session, so a standby takes
//!   over within about a second (a vanished machine: within its keepalives, about 6 s).
//! * **News.** A listener connection LISTENs on the log's channel: every append by any
//!   process wakes the owner, which folds in the new events and tells its clients. Nothing
//!   polls the tables; after a reconnect it catches up once.
//!
//! Both run on threads of their own: the client is blocking (see [`super::pg`]).

use super::coordination::{Following, Lead};
use super::pg::CHANNEL;
use super::pg_leader::Leadership;
use postgres::fallible_iterator::FallibleIterator;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How often a standby asks for the leadership, and the leader checks it still holds it.
const EVERY: Duration = Duration::from_secs(1);

/// The threads' stop switch (set on drop).
struct Stop(Arc<AtomicBool>);

impl Drop for Stop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Follow the project's state on the database at `url` (see [`super::coordination`]).
/// A process that may not lead (`may_lead` false: a viewer's role) only listens.
pub(super) fn follow(url: &str, project: &str, may_lead: bool) -> Following {
    let (url, project) = (url.to_string(), project.to_string());
    let stop = Arc::new(AtomicBool::new(false));
    let (lead_tx, leading) = watch::channel(Lead::Standby);
    let (news_tx, news) = mpsc::unbounded_channel();
    let (s1, s2, url2) = (stop.clone(), stop.clone(), url.clone());
    // A process that may not lead keeps the sender beside the stop switch, so `leading`
    // stays open (Standby) for as long as the following lasts.
    let kept = if may_lead {
        let _ = std::thread::Builder::new()
            .name("cutover-leader".into())
            .spawn(move || lead(&url, &project, &lead_tx, &s1));
        None
    } else {
        Some(lead_tx)
    };
    let _ = std::thread::Builder::new()
        .name("cutover-listen".into())
        .spawn(move || listen(&url2, &news_tx, &s2));
    Following {
        leading,
        news,
        stop: Box::new((Stop(stop), kept)),
    }
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
