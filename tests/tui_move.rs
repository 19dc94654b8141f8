//! A move of users in the cockpit: the running move's badge in its segment's row, from the
//! owner's progress updates, gone when the move ends.

#[path = "common/cockpit.rs"]
mod cockpit;

use cockpit::model;
use cutover::tui::update::{Input, update};

#[test]
fn a_running_move_shows_in_its_row_and_goes_when_it_ends() {
    let mut m = model(160, 48);
    update(
        &mut m,
        Input::MoveProgress {
            segment: "eu-customers".into(),
            progress: Some(cutover::owner::protocol::MoveNow {
                done: 41_000,
                of: 100_000,
                rate: 9_400.0,
                left_seconds: Some(150.0),
                undo: false,
                reset: false,
            }),
        },
    );
    let badge = |m: &cutover::tui::app::Model| {
        m.rows
            .iter()
            .find(|r| r.id == "eu-customers")
            .and_then(|r| r.badge.clone())
            .map(|(b, _)| b)
            .unwrap_or_default()
    };
    assert!(
        badge(&m).contains("moving 41% · 9 400/s · 2 min left"),
        "{}",
        badge(&m)
    );
    update(
        &mut m,
        Input::MoveProgress {
            segment: "eu-customers".into(),
            progress: None,
        },
    );
    assert!(!badge(&m).contains("moving"), "{}", badge(&m));

    // Reset waves show in the same place, at their hourly pace.
    update(
        &mut m,
        Input::MoveProgress {
            segment: "eu-customers".into(),
            progress: Some(cutover::owner::protocol::MoveNow {
                done: 1_200,
                of: 4_000,
                rate: 500.0 / 3600.0,
                left_seconds: Some(5.6 * 3600.0),
                undo: false,
                reset: true,
            }),
        },
    );
    assert!(
        badge(&m).contains("resetting 30% · 500/h · 5.6 h left"),
        "{}",
        badge(&m)
    );
}
