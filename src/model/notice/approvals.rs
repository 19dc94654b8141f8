//! What change control tells (`[approvals]`): a request for approval warns the approvers with
//! who asks for what and the command that decides it; an approval or a rejection is told to
//! everyone as info.

use super::{Message, Severity, about};
use crate::model::approval::ApprovalBody;
use crate::model::event::Event;

/// The message of an `approval` event.
pub(super) fn message(project: &str, event: &Event, body: &ApprovalBody) -> Message {
    let e = &event.body;
    let (seg, who, n) = (&e.segment, &e.actor, event.seq);
    let reason = e.reason.clone().unwrap_or_default();
    let msg = |severity, kind: &str, title: String, text: String| {
        about(project, event, (severity, kind), title, text, Vec::new())
    };
    match body {
        ApprovalBody::Request(asked) => msg(
            Severity::Warn,
            "approval-requested",
            format!("{seg}: {who} asks to run {} (request #{n})", asked.name),
            format!(
                "{who} asks to run {} on {seg}{}: {reason}. An approver other than {who} decides: `cutover approve {n}` or `cutover reject {n} --reason …`. It runs when approved, its gates checked then.",
                asked.name,
                if asked.override_window {
                    " outside its window"
                } else {
                    ""
                }
            ),
        ),
        ApprovalBody::Approve { request } => msg(
            Severity::Info,
            "approved",
            format!("{seg}: {who} approved request #{request}"),
            format!("{who} approved request #{request} on {seg}. {reason}"),
        ),
        ApprovalBody::Reject { request } => msg(
            Severity::Info,
            "rejected",
            format!("{seg}: {who} rejected request #{request}"),
            format!("{who} rejected request #{request} on {seg}: {reason}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::from_event;
    use super::*;
    use crate::model::{Action, NewEvent};

    fn at() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-11-24T03:00:00Z")
            .expect("time")
            .to_utc()
    }

    #[test]
    fn a_request_for_approval_tells_the_approvers_how_to_decide_it() {
        let event = Event {
            seq: 57,
            body: NewEvent {
                reason: Some("eu wave 1".into()),
                approval: Some(Box::new(crate::model::approval::ApprovalBody::Request(
                    crate::model::approval::Asked {
                        name: "cutover".into(),
                        action: Action::Advance,
                        expect: None,
                        delete_active: false,
                        override_window: false,
                    },
                ))),
                ..NewEvent::new(at(), "eu", Action::Approval, "alice")
            },
        };
        let m = from_event("Acme", &event).expect("a message");
        assert_eq!(m.kind, "approval-requested");
        assert_eq!(m.severity, Severity::Warn);
        assert!(
            m.title.contains("alice asks to run cutover (request #57)"),
            "{}",
            m.title
        );
        assert!(m.text.contains("cutover approve 57"), "{}", m.text);
    }
}
