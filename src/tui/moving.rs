//! A move of users in the cockpit: the row's badge while it runs ("moving 41% · 9,400/s · 2
//! min left") and the detail screen's lines (how far it is, the counts of the last move by
//! outcome, skip reason and error code, and the rehearsal's prediction), and what a rollback
//! would lose (users active on the target since they moved), in the rollback dialog and the
//! detail screen, asked of the owner when the dialog opens and every few minutes on the
//! detail screen.

use super::app::{Dialog, Model};
use super::format::group_digits;
use super::update::Effect;
use crate::engine::move_status::about;
use crate::engine::status::SegmentStatus;
use crate::model::moved::RollbackDelta;
use crate::owner::protocol::MoveNow;
use crate::owner::protocol::Tone;

/// A running move (or undo, or reset waves) in a row's badge: how far, how fast (users a
/// second; reset messages an hour), and how long is left.
pub fn badge(p: &MoveNow) -> String {
    let share = if p.of > 0 {
        format!("{:.0}%", (p.done as f64 / p.of as f64 * 100.0).min(100.0))
    } else {
        group_digits(p.done)
    };
    let left = p
        .left_seconds
        .map(|s| format!(" · {} left", about(s)))
        .unwrap_or_default();
    let (verb, pace) = match (p.reset, p.undo) {
        (true, _) => (
            "resetting",
            format!("{}/h", group_digits((p.rate * 3600.0) as u64)),
        ),
        (false, true) => ("undoing", format!("{}/s", group_digits(p.rate as u64))),
        (false, false) => ("moving", format!("{}/s", group_digits(p.rate as u64))),
    };
    format!("{verb} {share} · {pace}{left}")
}

/// The detail screen's lines about the segment's move.
pub fn detail_lines(seg: &SegmentStatus, live: Option<&MoveNow>) -> Vec<(Tone, String)> {
    let mut out = Vec::new();
    if let Some(p) = live {
        out.push((
            Tone::Warn,
            format!(
                "⇢ {} of {} users · {}",
                group_digits(p.done),
                group_digits(p.of),
                badge(p)
            ),
        ));
    }
    let Some(m) = &seg.moving else {
        return out;
    };
    if let Some(r) = &m.real {
        out.push((
            Tone::Ok,
            format!(
                "⇢ move {}: {} created, {} already there, {:.0} s",
                r.state,
                group_digits(r.created),
                group_digits(r.already_present),
                r.seconds
            ),
        ));
        let by = |m: &std::collections::BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, v)| format!("{k} {}", group_digits(*v)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !r.skipped.is_empty() {
            out.push((Tone::Warn, format!("  skipped: {}", by(&r.skipped))));
        }
        if !r.failed.is_empty() {
            out.push((Tone::Danger, format!("  failed: {}", by(&r.failed))));
        }
    }
    if let Some(p) = &m.prediction {
        out.push((Tone::Ok, format!("⇢ predicted from the rehearsal: {p}")));
    }
    out
}

/// "needs you" for a slow segment that plateaued and moves users ([segments.move]): the long
/// tail, with its count and how long a move of it takes at the rehearsal's rate (else the
/// last move's).
pub fn long_tail(s: &SegmentStatus) -> Option<String> {
    s.plateau.as_ref()?;
    let mv = s.moving.as_ref()?;
    if s.phase != crate::model::PhaseShown::Cutover {
        return None;
    }
    let left = s.size.saturating_sub(s.migrated.unwrap_or(0));
    let rate = [&mv.rehearsal, &mv.real]
        .into_iter()
        .flatten()
        .map(|r| r.rate)
        .find(|r| *r > 0.0);
    let how_long = rate.map_or_else(
        || "rehearse it to know how long".to_string(),
        |r| format!("about {}", about(left as f64 / r)),
    );
    Some(format!(
        "plateaued: move the remaining {}: {how_long} (`cutover move {} --remaining`)",
        group_digits(left),
        s.id
    ))
}

/// The rollback dialog's line until the owner has read the target.
pub const READING: &str = "reading who is active on the target since they moved…";

/// How often the detail screen asks again.
const DELTA_EVERY: chrono::Duration = chrono::Duration::minutes(3);

/// Ask what a rollback of `segment` would lose.
pub fn ask_delta(m: &mut Model, segment: &str) -> Vec<Effect> {
    m.delta_asked.insert(segment.to_string(), m.now);
    vec![Effect::AskDelta {
        segment: segment.to_string(),
    }]
}

/// On the detail screen of a segment whose move created users: ask again when the last ask
/// is older than a few minutes.
pub fn delta_due(m: &mut Model) -> Vec<Effect> {
    let Some(seg) = m.selected_status() else {
        return Vec::new();
    };
    let moved = seg.moving.as_ref().is_some_and(|mv| mv.undo_deletes() > 0);
    let id = seg.id.clone();
    let due = m
        .delta_asked
        .get(&id)
        .is_none_or(|t| m.now - *t >= DELTA_EVERY);
    if moved && due {
        return ask_delta(m, &id);
    }
    Vec::new()
}

/// The owner's answer: kept, shown in the open rollback dialog, and on the detail screen.
pub fn delta_came(m: &mut Model, delta: RollbackDelta) {
    if let Some(Dialog::Confirm { segment, lines, .. }) = &mut m.dialog
        && *segment == delta.segment
    {
        lines.retain(|l| l != READING && !l.starts_with("first, the undo deletes"));
        lines.push(format!("would lose: {}", delta.sentence()));
        lines.push(format!("then {}", delta.policy()));
    }
    m.deltas.insert(delta.segment.clone(), delta);
    super::derive::derive(m);
}

/// The detail screen's line on what a rollback would lose, as last read.
pub fn delta_line(delta: Option<&RollbackDelta>) -> Option<(Tone, String)> {
    let d = delta?;
    let tone = if d.keep > 0 { Tone::Warn } else { Tone::Info };
    Some((
        tone,
        format!(
            "a rollback would lose: {} (read {})",
            d.sentence(),
            d.at.format("%H:%M")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_move_reads_as_share_rate_and_time_left() {
        let p = MoveNow {
            done: 41_000,
            of: 100_000,
            rate: 9_400.4,
            left_seconds: Some(150.0),
            undo: false,
            reset: false,
        };
        assert_eq!(badge(&p), "moving 41% · 9 400/s · 2 min left");
        let undo = MoveNow {
            undo: true,
            left_seconds: None,
            ..p
        };
        assert_eq!(badge(&undo), "undoing 41% · 9 400/s");
        let reset = MoveNow {
            reset: true,
            rate: 500.0 / 3600.0,
            left_seconds: Some(7_200.0),
            ..p
        };
        assert_eq!(badge(&reset), "resetting 41% · 500/h · 2.0 h left");
    }
}
