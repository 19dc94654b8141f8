//! The log screen's lines, derived from the snapshot's events and the screen's filter: one
//! line an event, its tone, and the selection kept on the same event as new ones arrive.

use super::app::{LogLine, Model};
use super::format::{event_tone, event_what};

/// The log screen's lines, filtered, keeping the selection on its event.
pub(super) fn derive(m: &mut Model) {
    // An older line stays selected as new events arrive below it.
    let keep = (m.log_selected_from_bottom > 0)
        .then(|| selected_log_seq(m))
        .flatten();
    let filter = m.event_filter.active().to_string();
    m.log_lines = m
        .snapshot
        .events
        .iter()
        .filter(|e| {
            super::derive::matches_filter(
                &filter,
                &[
                    &e.body.segment,
                    &e.body.actor,
                    e.body.kind.as_str(),
                    e.body.reason.as_deref().unwrap_or(""),
                ],
            )
        })
        .map(|e| {
            let mut text = format!(
                "{:>5} {} {:<14} {:<8} {}",
                e.seq,
                e.body.at.format("%Y-%m-%d %H:%M:%S"),
                e.body.segment,
                e.body.actor,
                event_what(e)
            );
            if let Some(r) = &e.body.reason {
                text.push_str(&format!(" · “{r}”"));
            }
            if let Some(d) = &e.body.detail {
                text.push_str(&format!(" — {d}"));
            }
            LogLine {
                seq: e.seq,
                tone: event_tone(e),
                text,
            }
        })
        .collect();
    let at = keep.and_then(|seq| m.log_lines.iter().rposition(|l| l.seq == seq));
    m.log_selected_from_bottom = match at {
        Some(i) => m.log_lines.len() - 1 - i,
        None => m
            .log_selected_from_bottom
            .min(m.log_lines.len().saturating_sub(1)),
    };
}

/// The log line selected now, if any.
pub(super) fn selected_log_seq(m: &Model) -> Option<u64> {
    let i = m
        .log_lines
        .len()
        .checked_sub(1 + m.log_selected_from_bottom)?;
    m.log_lines.get(i).map(|l| l.seq)
}
