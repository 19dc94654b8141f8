//! The engine's side of approvals: recording a request, an approval or a rejection as an
//! `approval` event, and folding the pending ones for `status` (see
//! [`crate::model::approval`]).

use super::{Engine, EngineError};
use crate::model::Action;
use crate::model::approval::{ApprovalBody, Pending};
use crate::model::event::{Event, NewEvent};
use chrono::{DateTime, Utc};

impl Engine {
    /// Record `body` on `segment` by `actor`, with its reason.
    pub fn record_approval(
        &mut self,
        segment: &str,
        body: ApprovalBody,
        actor: &str,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Event, EngineError> {
        if self.project().segment(segment).is_none() {
            return Err(EngineError::UnknownSegment(segment.to_string()));
        }
        let detail = match &body {
            ApprovalBody::Request(asked) if asked.override_window => {
                format!("{} asks to run {} outside its window", actor, asked.name)
            }
            ApprovalBody::Request(asked) => format!("{} asks to run {}", actor, asked.name),
            ApprovalBody::Approve { request } => format!("{actor} approves request #{request}"),
            ApprovalBody::Reject { request } => format!("{actor} rejects request #{request}"),
        };
        Ok(self.append(NewEvent {
            reason,
            detail: Some(detail),
            approval: Some(Box::new(body)),
            ..NewEvent::new(now, segment, Action::Approval, actor)
        })?)
    }

    /// The requests waiting for approval at `now` (none without `[approvals]`).
    pub fn approvals_pending(&self, now: DateTime<Utc>) -> Vec<Pending> {
        match &self.project().change.approvals {
            None => Vec::new(),
            Some(a) => {
                crate::model::approval::pending(self.events(), a.required, expires(a.expires), now)
            }
        }
    }
}

/// A request's life as a chrono duration (a day when out of range).
pub fn expires(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::days(1))
}
