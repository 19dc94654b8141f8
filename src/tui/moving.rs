//! A move of users in the cockpit: the row's badge while it runs ("moving 41% · 9,400/s · 2
//! min left") and the detail screen's lines (how far it is, the counts of the last move by
//! outcome, skip reason and error code, and the rehearsal's prediction).

use super::format::group_digits;
use crate::engine::move_status::about;
use crate::engine::status::SegmentStatus;
use crate::owner::protocol::MoveNow;
use crate::owner::protocol::Tone;

/// A running move in a row's badge.
pub fn badge(p: &MoveNow) -> String {
    let verb = if p.undo { "undoing" } else { "moving" };
    let share = if p.of > 0 {
        format!("{:.0}%", (p.done as f64 / p.of as f64 * 100.0).min(100.0))
    } else {
        group_digits(p.done)
    };
    let left = p
        .left_seconds
        .map(|s| format!(" · {} left", about(s)))
        .unwrap_or_default();
    format!("{verb} {share} · {}/s{left}", group_digits(p.rate as u64))
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
        };
        assert_eq!(badge(&p), "moving 41% · 9 400/s · 2 min left");
        let undo = MoveNow {
            undo: true,
            left_seconds: None,
            ..p
        };
        assert_eq!(badge(&undo), "undoing 41% · 9 400/s");
    }
}
