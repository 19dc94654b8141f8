//! The owner's side of a shared state (the team backend): it follows the backend's
//! coordination ([`crate::store::coordination`]), folds in the events other processes
//! append, and starts or stops guarding as this process leads or stands by.

use super::core::Core;
use super::protocol::Tone;
use crate::store::coordination::Lead;
use tokio::sync::{mpsc, watch};

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
                self.notifier = super::outbox::Notifier::new(&self.engine);
                self.alarms = super::conditions::Alarms::new(&self.engine, self.now());
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
