//! Change control in the cockpit, without a terminal: a request waiting for someone else's
//! approval is in "needs you" with `A`, and `A` sends the approval with its reason; the lead's
//! own request offers `X` to withdraw it (a reason required); a viewer's `A` is refused; the
//! header shows the current window and its next change, and asks for a fresh snapshot once
//! that change has passed.

#[path = "common/cockpit.rs"]
mod cockpit;

use chrono::Duration;
use cockpit::{key, keys, model, render, snapshot, text};
use crossterm::event::KeyCode;
use cutover::model::approval::Pending;
use cutover::model::change_window::WindowNow;
use cutover::tui::app::{Dialog, Model, Tone};
use cutover::tui::update::{Effect, Input, update};

fn with_request(person: &str) -> Model {
    let mut m = model(160, 48);
    m.person = Some(person.to_string());
    let mut snap = snapshot();
    let at = cutover::sample_project::now() - Duration::hours(1);
    snap.status.approvals = vec![Pending {
        id: 57,
        segment: "eu-customers".into(),
        action: "cutover".into(),
        requested_by: "alice".into(),
        at,
        reason: Some("eu wave 1".into()),
        approved_by: Vec::new(),
        expires: at + Duration::hours(24),
    }];
    update(&mut m, Input::Refreshed(Box::new(snap)));
    m
}

/// The "needs you" item of request #57, if listed.
fn request_57(m: &Model) -> Option<cutover::tui::glance::Need> {
    m.glance
        .needs
        .iter()
        .find(|n| n.what.contains("request #57"))
        .cloned()
}

#[test]
fn someone_else_s_request_needs_you_and_a_approves_it_with_a_reason() {
    let mut m = with_request("bob");
    let need = request_57(&m).expect("the request in needs you");
    assert_eq!(need.key, "A");
    assert_eq!(need.segment, "eu-customers");
    assert!(
        need.what
            .contains("alice asks to run cutover · \"eu wave 1\""),
        "{need:?}"
    );
    let screen = text(&render(&m));
    assert!(
        screen.contains("A eu-customers   approve (X rejects) · request #57: alice"),
        "{screen}"
    );

    // `A` on the overview decides the request listed, whichever row is selected.
    assert!(key(&mut m, KeyCode::Char('A')).is_empty());
    match &m.dialog {
        Some(Dialog::Decide(d)) => {
            assert_eq!((d.request, d.approve), (57, true));
            assert_eq!(d.title, "Approve request #57?");
            assert!(d.lines[0].contains("alice asks to run cutover"), "{d:?}");
            assert!(
                d.lines
                    .iter()
                    .any(|l| l.contains("its gates are checked now"))
            );
        }
        other => panic!("{other:?}"),
    }
    let drawn = text(&render(&m));
    assert!(drawn.contains("Approve request #57?"), "{drawn}");
    // Letters are the reason here, not keys.
    assert!(keys(&mut m, "looks fine").is_empty());
    assert_eq!(
        key(&mut m, KeyCode::Enter),
        vec![Effect::Decide {
            request: 57,
            approve: true,
            reason: Some("looks fine".into()),
        }]
    );
    assert!(m.dialog.is_none());
}

#[test]
fn one_s_own_request_offers_only_a_withdrawal_which_needs_a_reason() {
    let mut m = with_request("alice");
    let need = request_57(&m).expect("the request in needs you");
    assert_eq!((need.key, need.does), ("X", "withdraw your request"));
    assert_eq!(need.tone, Tone::Info);
    // Nothing of someone else's to approve.
    assert!(key(&mut m, KeyCode::Char('A')).is_empty());
    assert!(m.dialog.is_none());
    assert!(
        m.status_line
            .as_ref()
            .is_some_and(|(_, s)| s.contains("yours are decided by another lead")),
        "{:?}",
        m.status_line
    );
    key(&mut m, KeyCode::Char('X'));
    assert!(
        matches!(&m.dialog, Some(Dialog::Decide(d)) if d.title == "Withdraw request #57?" && !d.approve)
    );
    assert!(key(&mut m, KeyCode::Enter).is_empty(), "a reason first");
    assert!(m.dialog.is_some());
    keys(&mut m, "not tonight");
    assert_eq!(
        key(&mut m, KeyCode::Enter),
        vec![Effect::Decide {
            request: 57,
            approve: false,
            reason: Some("not tonight".into()),
        }]
    );
}

#[test]
fn a_viewer_s_a_is_refused_and_opens_nothing() {
    let mut m = with_request("carol");
    m.viewer = true;
    assert!(key(&mut m, KeyCode::Char('A')).is_empty());
    assert!(m.dialog.is_none());
    assert!(
        m.status_line
            .as_ref()
            .is_some_and(|(_, s)| s.contains("you are a viewer")),
        "{:?}",
        m.status_line
    );
}

#[test]
fn the_header_shows_the_window_and_asks_afresh_once_its_change_has_passed() {
    let mut m = model(160, 48);
    let header = |m: &Model| {
        text(&render(m))
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert!(!header(&m).contains("cutover open"), "no window, no words");
    let now = cutover::sample_project::now();
    let change = now + Duration::minutes(90);
    let mut snap = snapshot();
    snap.status.windows = vec![WindowNow {
        action: "cutover".into(),
        open: false,
        frozen: false,
        next_change: Some(change),
        zone: "UTC".into(),
    }];
    update(&mut m, Input::Refreshed(Box::new(snap)));
    let expected = format!(
        "cutover closed · opens {}",
        change.format("%a %-d %b %H:%M UTC")
    );
    assert!(header(&m).contains(&expected), "{}", header(&m));
    // Before the change: nothing asked. After it: one fresh snapshot, once.
    assert!(update(&mut m, Input::Tick(now + Duration::minutes(30))).is_empty());
    let after = change + Duration::minutes(1);
    assert_eq!(update(&mut m, Input::Tick(after)), vec![Effect::Refresh]);
    assert!(update(&mut m, Input::Tick(after + Duration::minutes(1))).is_empty());
}

#[test]
fn a_request_asked_or_decided_elsewhere_asks_for_the_list_afresh_and_an_expired_one_goes() {
    let mut m = with_request("bob");
    // Another lead's approval arrives in the log: the cockpit asks for the pending list anew.
    let mut body = cutover::model::NewEvent::new(
        cutover::sample_project::now(),
        "eu-customers",
        cutover::model::Action::Approval,
        "carol",
    );
    body.approval = Some(Box::new(cutover::model::approval::ApprovalBody::Approve {
        request: 57,
    }));
    let event = cutover::model::Event { seq: 9_999, body };
    assert_eq!(
        update(&mut m, Input::EventAppended(Box::new(event))),
        vec![Effect::Refresh]
    );
    // Past its expiry the request is neither listed nor decided.
    update(
        &mut m,
        Input::Tick(cutover::sample_project::now() + Duration::hours(30)),
    );
    update(&mut m, Input::Resize(160, 48));
    assert!(request_57(&m).is_none(), "{:?}", m.glance.needs);
    key(&mut m, KeyCode::Char('A'));
    assert!(m.dialog.is_none());
}
