//! The log screen's lines, derived from the snapshot's events and the screen's filter: one
//! line an event, its tone, and the selection kept on the same event as new ones arrive.
//!
//! A snapshot carries the newest [`LOG_PAGE`] events, not the whole log: the lead who moves
//! past the oldest line held asks the owner for the page before it, which joins the lines
//! above, the selection staying on its event; a later snapshot keeps the pages read so far.

use super::app::{LogLine, Model};
use super::format::{event_tone, event_what};
use super::update::Effect;
use crate::engine::view::{LOG_PAGE, Snapshot};
use crate::model::Event;

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

/// How many events the log holds in all (it is numbered from 1 without gaps), and how many of
/// them the cockpit has.
pub(super) fn held_of_all(m: &Model) -> (usize, u64) {
    let all = m.snapshot.events.last().map_or(0, |e| e.seq);
    (m.snapshot.events.len(), all)
}

/// The lead moved on the log screen: at its oldest line, with older events on the owner,
/// ask for the page before it (once at a time).
pub(super) fn older_wanted(m: &mut Model) -> Vec<Effect> {
    let at_top = m.log_selected_from_bottom + 1 >= m.log_lines.len();
    let first = m.snapshot.events.first().map_or(1, |e| e.seq);
    if !at_top || first <= 1 || m.older_asked {
        return Vec::new();
    }
    m.older_asked = true;
    m.status_line = Some((
        super::app::Tone::Info,
        format!(
            "reading the {} events before {first}…",
            LOG_PAGE.min(first as usize - 1)
        ),
    ));
    vec![Effect::OlderLog { before: first }]
}

/// A page of older events came: they join the log above what it held.
pub(super) fn take_older(m: &mut Model, page: Vec<Event>) {
    m.older_asked = false;
    let first = m.snapshot.events.first().map_or(u64::MAX, |e| e.seq);
    let mut older: Vec<Event> = page.into_iter().filter(|e| e.seq < first).collect();
    let n = older.len();
    older.append(&mut m.snapshot.events);
    m.snapshot.events = older;
    m.status_line = Some((super::app::Tone::Info, format!("{n} older events read")));
    derive(m);
}

/// A new snapshot replaces the events: the older pages read so far stay above it.
pub(super) fn keep_older(held: Vec<Event>, snapshot: &mut Snapshot) {
    let first = snapshot.events.first().map_or(u64::MAX, |e| e.seq);
    let mut older: Vec<Event> = held.into_iter().take_while(|e| e.seq < first).collect();
    if !older.is_empty() {
        older.append(&mut snapshot.events);
        snapshot.events = older;
    }
}
