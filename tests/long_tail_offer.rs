//! "Needs you" offers a slow segment that plateaued, and whose users cutover can move, its
//! long tail: how many users are left and how long their move takes at the rehearsal's rate,
//! with the command that moves them. Drawn over the sample project at its fixed moment.

#[path = "common/cockpit.rs"]
mod cockpit;

use cockpit::{key, model, render, text};
use crossterm::event::KeyCode;

#[test]
fn a_plateaued_moving_segment_is_offered_its_long_tail_with_count_and_duration() {
    let mut m = model(160, 48);
    let seg = m
        .snapshot
        .status
        .segments
        .iter_mut()
        .find(|s| s.phase == cutover::model::PhaseShown::Cutover)
        .expect("a segment in cutover");
    let id = seg.id.clone();
    let left = seg.size - seg.migrated.unwrap_or(0);
    seg.plateau = Some("the goal is missed by the deadline".into());
    seg.moving = Some(cutover::engine::move_status::MoveStatus {
        real: None,
        rehearsal: Some(cutover::model::moved::MoveReport {
            segment: id.clone(),
            which: "rehearsal".into(),
            total: 1000,
            created: 1000,
            already_present: 0,
            updated: 0,
            skipped: Default::default(),
            failed: Default::default(),
            without_password: 0,
            seconds: 10.0,
            rate: 100.0,
            state: "undone".into(),
            deleted: 1000,
            kept: 0,
            started: None,
        }),
        predicted_seconds: None,
        prediction: None,
        drift_created: 0,
    });
    cutover::tui::update::derive(&mut m);
    assert!(text(&render(&m)).contains("plateaued: move the re"));
    // `n` walks "needs you"; the status line says the whole item.
    let mut said = String::new();
    for _ in 0..6 {
        key(&mut m, KeyCode::Char('n'));
        said = m.status_line.clone().map(|(_, t)| t).unwrap_or_default();
        if said.contains("plateaued") {
            break;
        }
    }
    // Digits grouped by thin spaces, as the cockpit writes counts.
    let digits = left.to_string();
    let count: String = digits
        .chars()
        .enumerate()
        .flat_map(|(i, c)| {
            let gap = i > 0 && (digits.len() - i) % 3 == 0;
            gap.then_some(' ').into_iter().chain(std::iter::once(c))
        })
        .collect();
    let how_long = cutover::engine::move_status::about(left as f64 / 100.0);
    assert!(
        said.contains(&format!(
            "plateaued: move the remaining {count}: about {how_long} (`cutover move {id} --remaining`)"
        )),
        "{said}"
    );
}
