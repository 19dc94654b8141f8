//! The owner's upkeep while the outside world is away or slow: asking the state database
//! whether it answers (and telling clients), recording hook outcomes the database could not
//! take when their hooks ended, and taking the outcome of each notification delivery.

use super::core::Core;
use super::protocol::{Tone, Update};
use crate::hook::HookReport;

impl Core {
    /// On the team backend, ask the database every 2 s whether it answers, and tell every
    /// client when that changes (the cockpit's header, `watch`'s output).
    pub(super) fn watch_database(&mut self) {
        let Some(shared) = self.engine.store().coordination() else {
            return;
        };
        if self.db_asked.elapsed() < std::time::Duration::from_secs(2) {
            return;
        }
        self.db_asked = std::time::Instant::now();
        shared.probe();
        let down = shared.unreachable_since();
        if down != self.db_down {
            self.db_down = down;
            self.broadcast(
                Update::StateDatabase {
                    unreachable_since: down,
                },
                false,
            );
        }
    }

    /// Record the hook outcomes that could not be recorded when their hooks ended.
    pub(super) fn record_unrecorded(&mut self) {
        let waiting = std::mem::take(&mut self.unrecorded);
        for (job, report, at) in waiting {
            match self.engine.finish(&job, report.clone(), at) {
                Ok(event) => self.notice(
                    Tone::Info,
                    format!(
                        "recorded late, the database being back: {}",
                        event.ack_line()
                    ),
                ),
                Err(_) => self.unrecorded.push((job, report, at)),
            }
        }
    }

    /// A notification delivery ended: tell everyone when a sink starts failing or recovers.
    pub(super) fn on_delivered(&mut self, done: super::outbox::Delivered) {
        let Some((sink, change)) = self.notifier.done(done, self.engine.store()) else {
            return;
        };
        match change {
            Some(error) => self.notice(
                Tone::Danger,
                format!("notifications to '{sink}' fail: {error}; retrying with backoff (`cutover notify test {sink}` checks the sink)"),
            ),
            None => self.notice(Tone::Ok, format!("notifications to '{sink}' are delivered again")),
        }
        let failing = self.notifier.failing();
        self.broadcast(Update::NotifyHealth { failing }, false);
    }
}

/// A hook's report again, for an outcome recorded later.
pub(super) fn report_again(ok: bool, detail: &str) -> HookReport {
    HookReport {
        ok,
        detail: detail.to_string(),
    }
}
