//! Approvals: a second pair of eyes on the actions `[approvals]` names. A request, each
//! approval and each rejection is an `approval` event in the log, so everything is there with
//! who, when and why, survives a crash, and is seen from every machine of a team. What is
//! pending is folded from those events ([`pending`]); nothing else is kept.
//!
//! A request is pending until enough approvers (never its requester) approve it, one rejects
//! it, or it expires. When the last approval needed is recorded, the action runs through the
//! normal path at once, so its gates are checked then, not when it was asked.

use super::event::Event;
use super::{Action, Phase};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What an `approval` event records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum ApprovalBody {
    /// An action asked for, waiting for approval.
    Request(Asked),
    /// An approval of the request with event number `request`.
    Approve { request: u64 },
    /// A rejection (or, by its requester, a withdrawal) of the request `request`.
    Reject { request: u64 },
}

/// The action a request asks for, as it will run once approved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Asked {
    /// Its change-control name (`cutover`, `done`, `adopt`, `delete-active`, ...).
    pub name: String,
    pub action: Action,
    /// The phase its requester saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Phase>,
    /// A rollback that deletes users active on the target since they moved.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete_active: bool,
    /// Run outside the action's window (an override).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub override_window: bool,
}

/// A request still waiting, as `status --json` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    /// The request's event number: what `cutover approve ID` names.
    pub id: u64,
    pub segment: String,
    /// Its change-control name (`cutover`, ...; an override says `cutover (override)`).
    pub action: String,
    pub requested_by: String,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
    /// Who approved it so far.
    pub approved_by: Vec<String>,
    pub expires: DateTime<Utc>,
}

/// What became of a request, folded from the log.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    Pending,
    /// Enough approvals: it ran (or was tried) when the last one came.
    Approved,
    Rejected {
        by: String,
    },
    Expired,
}

/// A request's event and what became of it at `now`, given `required` approvals and
/// requests living `expires`.
pub fn fate(
    events: &[Event],
    id: u64,
    required: u32,
    expires: chrono::Duration,
    now: DateTime<Utc>,
) -> Option<(Event, Asked, Vec<String>, Fate)> {
    let asking = events.iter().find(|e| e.seq == id)?;
    let Some(ApprovalBody::Request(asked)) = asking.body.approval.as_deref() else {
        return None;
    };
    let mut approved_by: Vec<String> = Vec::new();
    for e in events.iter().filter(|e| e.seq > id) {
        match e.body.approval.as_deref() {
            Some(ApprovalBody::Approve { request })
                if *request == id && !approved_by.contains(&e.body.actor) =>
            {
                approved_by.push(e.body.actor.clone());
            }
            Some(ApprovalBody::Reject { request }) if *request == id => {
                let by = e.body.actor.clone();
                return Some((
                    asking.clone(),
                    asked.clone(),
                    approved_by,
                    Fate::Rejected { by },
                ));
            }
            _ => {}
        }
    }
    let fate = if approved_by.len() as u32 >= required {
        Fate::Approved
    } else if now >= asking.body.at + expires {
        Fate::Expired
    } else {
        Fate::Pending
    };
    Some((asking.clone(), asked.clone(), approved_by, fate))
}

/// Every request still pending at `now`, oldest first.
pub fn pending(
    events: &[Event],
    required: u32,
    expires: chrono::Duration,
    now: DateTime<Utc>,
) -> Vec<Pending> {
    events
        .iter()
        .filter(|e| matches!(e.body.approval.as_deref(), Some(ApprovalBody::Request(_))))
        .filter_map(|e| fate(events, e.seq, required, expires, now))
        .filter(|(_, _, _, f)| *f == Fate::Pending)
        .map(|(e, asked, approved_by, _)| Pending {
            id: e.seq,
            segment: e.body.segment.clone(),
            action: if asked.override_window {
                format!("{} (override)", asked.name)
            } else {
                asked.name.clone()
            },
            requested_by: e.body.actor.clone(),
            at: e.body.at,
            reason: e.body.reason.clone(),
            approved_by,
            expires: e.body.at + expires,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::NewEvent;

    fn event(seq: u64, at: DateTime<Utc>, actor: &str, body: ApprovalBody) -> Event {
        Event {
            seq,
            body: NewEvent {
                approval: Some(Box::new(body)),
                ..NewEvent::new(at, "eu", Action::Approval, actor)
            },
        }
    }

    #[test]
    fn a_request_is_pending_until_enough_approve_one_rejects_or_it_expires() {
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let day = chrono::Duration::days(1);
        let asked = ApprovalBody::Request(Asked {
            name: "cutover".into(),
            action: Action::Advance,
            expect: None,
            delete_active: false,
            override_window: false,
        });
        let mut log = vec![event(1, t, "alice", asked)];
        let at = |h: i64| t + chrono::Duration::hours(h);
        assert_eq!(pending(&log, 2, day, at(1)).len(), 1);
        assert_eq!(pending(&log, 2, day, at(1))[0].expires, t + day);
        // Expired after a day, untouched.
        assert!(pending(&log, 2, day, at(25)).is_empty());
        assert_eq!(
            fate(&log, 1, 2, day, at(25)).map(|f| f.3),
            Some(Fate::Expired)
        );
        // One approval of two, twice by the same person: still pending.
        log.push(event(2, at(1), "bob", ApprovalBody::Approve { request: 1 }));
        log.push(event(3, at(2), "bob", ApprovalBody::Approve { request: 1 }));
        let p = pending(&log, 2, day, at(3));
        assert_eq!(p[0].approved_by, vec!["bob".to_string()]);
        // A second approver: approved, no longer pending.
        log.push(event(
            4,
            at(3),
            "carol",
            ApprovalBody::Approve { request: 1 },
        ));
        assert_eq!(
            fate(&log, 1, 2, day, at(4)).map(|f| f.3),
            Some(Fate::Approved)
        );
        assert!(pending(&log, 2, day, at(4)).is_empty());
        // A rejection ends another request.
        log.push(event(
            5,
            at(5),
            "alice",
            ApprovalBody::Request(Asked {
                name: "done".into(),
                action: Action::Advance,
                expect: None,
                delete_active: false,
                override_window: true,
            }),
        ));
        assert_eq!(pending(&log, 1, day, at(5))[0].action, "done (override)");
        log.push(event(6, at(6), "bob", ApprovalBody::Reject { request: 5 }));
        assert_eq!(
            fate(&log, 5, 1, day, at(6)).map(|f| f.3),
            Some(Fate::Rejected { by: "bob".into() })
        );
        assert!(fate(&log, 2, 1, day, at(6)).is_none(), "not a request");
    }
}
