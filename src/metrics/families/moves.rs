//! The series of moving users: a move (undo, reset) running now, from its progress updates,
//! and each segment's latest recorded real move and rehearsal, by outcome and code.

use crate::engine::status::SegmentStatus;
use crate::metrics::board::Board;
use crate::metrics::exposition::{Exposition, Kind};
use crate::model::moved::MoveReport;
use crate::owner::protocol::MoveNow;

/// A move running now, from the owner's progress updates.
pub(super) fn running(e: &mut Exposition, board: &Board) {
    e.family(
        "cutover_move_running",
        Kind::Gauge,
        "1 while users are being moved (kind move), taken back (undo) or sent reset messages (reset).",
    );
    for (segment, m) in &board.moves {
        let kind = if m.reset {
            "reset"
        } else if m.undo {
            "undo"
        } else {
            "move"
        };
        e.sample(&[("segment", segment), ("kind", kind)], 1.0);
    }
    let live =
        |e: &mut Exposition, name: &str, help: &str, value: &dyn Fn(&MoveNow) -> Option<f64>| {
            let samples = board
                .moves
                .iter()
                .map(|(segment, m)| ([("segment", segment.as_str())], value(m)));
            super::gauge(e, name, help, samples);
        };
    live(
        e,
        "cutover_move_settled_users",
        "Users the running move has settled so far (a stalled move stops growing).",
        &|m| Some(m.done as f64),
    );
    live(
        e,
        "cutover_move_planned_users",
        "Users the running move will settle, about.",
        &|m| Some(m.of as f64),
    );
    live(
        e,
        "cutover_move_users_per_second",
        "The running move's rate since it started.",
        &|m| Some(m.rate),
    );
    live(
        e,
        "cutover_move_remaining_seconds",
        "Seconds the running move needs at its rate.",
        &|m| m.left_seconds,
    );
}

/// Each segment's latest recorded real move and rehearsal.
pub(super) fn recorded(e: &mut Exposition, segs: &[SegmentStatus]) {
    let recorded: Vec<(&str, &str, &MoveReport)> = segs
        .iter()
        .flat_map(|s| {
            reports(s)
                .into_iter()
                .map(|(which, r)| (s.id.as_str(), which, r))
        })
        .collect();
    e.family(
        "cutover_move_users",
        Kind::Gauge,
        "Users of the segment's latest recorded move (which: real or rehearsal), by outcome.",
    );
    for &(segment, which, r) in &recorded {
        let skipped: u64 = r.skipped.values().sum();
        let failed: u64 = r.failed.values().sum();
        for (outcome, n) in [
            ("created", r.created),
            ("already_present", r.already_present),
            ("updated", r.updated),
            ("skipped", skipped),
            ("failed", failed),
            ("deleted", r.deleted),
            ("kept", r.kept),
        ] {
            e.sample(
                &[("segment", segment), ("which", which), ("outcome", outcome)],
                n as f64,
            );
        }
    }
    e.family(
        "cutover_move_refused_users",
        Kind::Gauge,
        "Users the latest recorded move skipped or the target refused, by code (codes only, never the target's text).",
    );
    for &(segment, which, r) in &recorded {
        for (outcome, codes) in [("skipped", &r.skipped), ("failed", &r.failed)] {
            for (code, n) in codes {
                e.sample(
                    &[
                        ("segment", segment),
                        ("which", which),
                        ("outcome", outcome),
                        ("code", code),
                    ],
                    *n as f64,
                );
            }
        }
    }
    e.family(
        "cutover_move_state",
        Kind::Gauge,
        "1 for the state of the segment's latest recorded move: moving, moved, undoing or undone.",
    );
    for &(segment, which, r) in &recorded {
        e.sample(
            &[("segment", segment), ("which", which), ("state", &r.state)],
            1.0,
        );
    }
}

/// A segment's latest recorded moves: (`real` or `rehearsal`, its report).
fn reports(s: &SegmentStatus) -> Vec<(&'static str, &MoveReport)> {
    let Some(m) = &s.moving else {
        return Vec::new();
    };
    [
        ("real", m.real.as_ref()),
        ("rehearsal", m.rehearsal.as_ref()),
    ]
    .into_iter()
    .filter_map(|(w, r)| Some((w, r?)))
    .collect()
}
