//! One event of the audit log opened whole (`Enter` in the event log): everything the log's
//! one line cuts at the screen's edge, labelled in the lead's words: the reason typed, the
//! readings the guard or the checks saw, the hook's output, and the idempotency key the hook
//! received; and the keys that scroll it or close it. Pure, like the rest of `update`.

use super::app::Model;
use super::format::event_what;
use super::keys::UiAction;
use super::update::{Effect, quit};
use crate::model::gate::Status;
use crate::model::{Action, Event, Outcome};

/// An event ready to draw over the screen, scrolled by `scroll` lines.
#[derive(Debug, Clone, PartialEq)]
pub struct EventView {
    pub seq: u64,
    pub title: String,
    /// (label, text) pairs, in the order shown; the text wraps.
    pub fields: Vec<(&'static str, String)>,
    pub scroll: u16,
}

/// What an event's `detail` holds, by the kind of event.
fn detail_label(e: &Event) -> &'static str {
    let b = &e.body;
    match (b.kind, b.outcome, b.hook) {
        (_, Outcome::Refused, _) => "refused because",
        (Action::GuardFailed | Action::Alarm, _, _) => "readings",
        (_, Outcome::Requested, Some(_)) => "hook",
        (_, Outcome::Succeeded | Outcome::Failed, Some(_)) => "hook output",
        (Action::RunChecks | Action::Audit | Action::Move | Action::Reconcile, _, _) => "found",
        _ => "detail",
    }
}

/// Open `e` whole.
pub fn open(e: &Event) -> EventView {
    let b = &e.body;
    let mut fields = vec![
        ("when", b.at.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
        ("segment", b.segment.clone()),
        ("who", b.actor.clone()),
        ("what", event_what(e)),
        ("outcome", b.outcome.as_str().to_string()),
    ];
    if let Some(r) = &b.reason {
        fields.push(("reason", r.clone()));
    }
    if let Some(d) = &b.detail {
        fields.push((detail_label(e), d.clone()));
    }
    for v in b.checks.iter().flatten() {
        let mark = match v.status {
            Status::Pass => "✓",
            Status::Fail => "✗",
            Status::Unknown => "?",
        };
        fields.push(("reading", format!("{mark} {}: {}", v.name, v.reason)));
    }
    if let Some(plan) = &b.plan {
        fields.push((
            "plan adopted",
            crate::engine::describe_model(&crate::model::LoginModel::Mix(plan.clone())),
        ));
    }
    if let Some(size) = b.size {
        fields.push(("size at cutover", super::format::group_digits(size)));
    }
    if let Some(hook) = b.hook {
        fields.push(("hook", format!("{hook}")));
    }
    if b.hook.is_some() || b.intent.is_some() {
        fields.push((
            "idempotency key",
            format!(
                "{} (the hook's Idempotency-Key header and CUTOVER_EVENT_ID)",
                e.hook_key()
            ),
        ));
    }
    EventView {
        seq: e.seq,
        title: format!(" Event {} · {} · {} ", e.seq, b.segment, b.kind),
        fields,
        scroll: 0,
    }
}

/// Keys while an event is open whole: scroll it, or close it.
pub(super) fn on_action(m: &mut Model, action: UiAction) -> Vec<Effect> {
    let page = m.height.saturating_sub(8).max(1);
    let Some(view) = &mut m.event_view else {
        return Vec::new();
    };
    match action {
        UiAction::Up => view.scroll = view.scroll.saturating_sub(1),
        UiAction::Down => view.scroll = view.scroll.saturating_add(1),
        UiAction::PageUp => view.scroll = view.scroll.saturating_sub(page),
        UiAction::PageDown => view.scroll = view.scroll.saturating_add(page),
        UiAction::Top => view.scroll = 0,
        UiAction::Back => m.event_view = None,
        UiAction::Quit => return quit(m),
        _ => {}
    }
    Vec::new()
}
