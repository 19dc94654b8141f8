//! Requests waiting for approval (`[approvals]`), in the cockpit. "Needs you" lists each one:
//! someone else's with `A` to approve it and `X` to reject it, the lead's own with `X` to
//! withdraw it. Each key opens a dialog that takes a reason (required to reject) and sends
//! `approve` or `reject` to the owner, which decides whether this person may: the cockpit only
//! offers, the owner refuses a self-approval or someone who is not an approver, by name.

use super::app::{Model, Screen, Tone};
use super::glance::Need;
use super::keys::UiAction;
use super::update::Effect;
use crate::model::approval::Pending;

/// A decision being typed: approve (or reject) request `request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decide {
    pub request: u64,
    pub approve: bool,
    pub title: String,
    /// The request as the lead must read it before deciding.
    pub lines: Vec<String>,
    pub reason: String,
}

/// Whether `p` is this cockpit's person's own request.
fn own(m: &Model, p: &Pending) -> bool {
    m.person.as_deref() == Some(p.requested_by.as_str())
}

fn asked(p: &Pending) -> String {
    let reason = p
        .reason
        .as_deref()
        .map(|r| format!(" · \"{r}\""))
        .unwrap_or_default();
    let approved = if p.approved_by.is_empty() {
        String::new()
    } else {
        format!(" · approved by {}", p.approved_by.join(", "))
    };
    format!(
        "{} asks to run {}{reason}{approved}",
        p.requested_by, p.action
    )
}

/// One "needs you" item per request waiting for approval, oldest first.
pub(super) fn needs(m: &Model) -> Vec<Need> {
    m.snapshot
        .status
        .approvals
        .iter()
        .filter(|p| p.expires > m.now)
        .map(|p| {
            let mine = own(m, p);
            Need {
                segment: p.segment.clone(),
                key: if mine { "X" } else { "A" },
                does: if mine {
                    "withdraw your request"
                } else {
                    "approve (X rejects)"
                },
                what: format!(
                    "request #{}: {} · expires {}",
                    p.id,
                    asked(p),
                    p.expires.format("%m-%d %H:%M UTC")
                ),
                tone: if mine { Tone::Info } else { Tone::Warn },
                whole: true,
            }
        })
        .collect()
}

/// The request `A` (or `X`) acts on: the selected segment's oldest one to decide (someone
/// else's to approve; any to reject), else, on the overview, the first one listed.
fn chosen(m: &Model, approve: bool) -> Option<Pending> {
    let fits = |p: &&Pending| p.expires > m.now && (!approve || !own(m, p));
    let all = &m.snapshot.status.approvals;
    let selected = m.rows.get(m.selected).map(|r| r.id.as_str());
    all.iter()
        .filter(fits)
        .find(|p| Some(p.segment.as_str()) == selected)
        .or_else(|| {
            all.iter()
                .filter(fits)
                .find(|_| m.screen == Screen::Overview)
        })
        .cloned()
}

/// `A` (approve) or `X` (reject, or withdraw one's own): open the decision's dialog.
pub(super) fn ask(m: &mut Model, approve: bool) -> Vec<Effect> {
    let Some(p) = chosen(m, approve) else {
        let none = if m.snapshot.status.approvals.is_empty() {
            "no request waits for approval"
        } else {
            "no request of someone else waits for approval here (yours are decided by another lead)"
        };
        m.status_line = Some((Tone::Info, none.to_string()));
        return Vec::new();
    };
    let verb = match (approve, own(m, &p)) {
        (true, _) => "Approve",
        (false, true) => "Withdraw",
        (false, false) => "Reject",
    };
    let mut lines = vec![
        format!("{} on {}", asked(&p), p.segment),
        format!(
            "asked {}, expires {}",
            p.at.format("%Y-%m-%d %H:%M UTC"),
            p.expires.format("%Y-%m-%d %H:%M UTC")
        ),
    ];
    if approve {
        lines.push(
            "if yours is the last approval needed, it runs now: its gates are checked now"
                .to_string(),
        );
    }
    m.dialog = Some(super::app::Dialog::Decide(Decide {
        request: p.id,
        approve,
        title: format!("{verb} request #{}?", p.id),
        lines,
        reason: String::new(),
    }));
    Vec::new()
}

/// A key in the decision's dialog; `None` when the dialog open is not one.
pub(super) fn on_dialog(m: &mut Model, action: UiAction) -> Option<Vec<Effect>> {
    let Some(super::app::Dialog::Decide(d)) = &mut m.dialog else {
        return None;
    };
    match action {
        UiAction::Char(c) => d.reason.push(c),
        UiAction::Backspace => {
            d.reason.pop();
        }
        UiAction::Confirm => {
            let reason = Some(d.reason.trim().to_string()).filter(|r| !r.is_empty());
            if !d.approve && reason.is_none() {
                m.status_line = Some((
                    Tone::Warn,
                    "type a reason first (it goes in the audit log)".to_string(),
                ));
                return Some(Vec::new());
            }
            let effect = Effect::Decide {
                request: d.request,
                approve: d.approve,
                reason,
            };
            m.dialog = None;
            return Some(vec![effect]);
        }
        _ => return None,
    }
    Some(Vec::new())
}
