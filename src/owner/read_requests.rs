//! The requests the owner answers at once, on its loop: the status (as values, or as the JSON
//! it writes for a client that only prints it), pages of the audit log, and one segment's full
//! adoption chart (read from the store the first time, then kept up to date in its view).

use super::clients::Waiter;
use super::core::Core;
use super::protocol::{FailureKind, Reply, StatusJson};
use crate::engine::EngineError;
use chrono::{DateTime, Utc};

impl Core {
    /// `status` (`as_json` false) or `status-json`: every segment at `now`, without the
    /// forecasts' chart bands (see `ProjectStatus::without_bands`).
    pub(super) fn answer_status(&mut self, waiter: Waiter, now: DateTime<Utc>, as_json: bool) {
        let status = match self.engine.status(now) {
            Ok(mut s) => {
                s.notify_failing = self.upkeep.sinks_failing();
                s.without_bands()
            }
            Err(e) => return self.engine_failed(waiter, e.into()),
        };
        let reply = if !as_json {
            Reply::Status {
                status: Box::new(status),
            }
        } else {
            match StatusJson::of(&status) {
                Ok(status) => Reply::StatusJson { status },
                Err(e) => Reply::Failed {
                    kind: FailureKind::Store,
                    message: format!("the status does not serialize: {e}"),
                },
            }
        };
        self.clients.reply(waiter, reply);
    }

    /// `chart`: one segment's adoption chart at full resolution (none before cutover).
    pub(super) fn answer_chart(&mut self, waiter: Waiter, segment: String, now: DateTime<Utc>) {
        if self.engine.project().segment(&segment).is_none() {
            return self.engine_failed(waiter, EngineError::UnknownSegment(segment));
        }
        match self.engine.client_series(&segment, now) {
            Ok(points) => self.clients.reply(waiter, Reply::Chart { segment, points }),
            Err(e) => self.engine_failed(waiter, e.into()),
        }
    }

    /// `log`: the audit log (of one segment), oldest first; with `before` only events
    /// numbered below it, with `limit` only the newest of them (one page).
    pub(super) fn answer_log(
        &mut self,
        waiter: Waiter,
        segment: Option<String>,
        before: Option<u64>,
        limit: Option<u32>,
    ) {
        if let Some(s) = &segment
            && self.engine.project().segment(s).is_none()
            && !self.engine.events().iter().any(|e| &e.body.segment == s)
        {
            return self.engine_failed(waiter, EngineError::UnknownSegment(s.clone()));
        }
        // Numbered from 1 without gaps: `before` cuts the log by position.
        let all = self.engine.events();
        let end = before.map_or(all.len(), |b| (b.saturating_sub(1) as usize).min(all.len()));
        let limit = limit.map(|l| (l as usize).min(crate::engine::view::LOG_PAGE));
        let mut events: Vec<_> = all[..end]
            .iter()
            .rev()
            .filter(|e| segment.as_ref().is_none_or(|s| &e.body.segment == s))
            .take(limit.unwrap_or(usize::MAX))
            .cloned()
            .collect();
        events.reverse();
        self.clients.reply(waiter, Reply::Log { events });
    }
}
