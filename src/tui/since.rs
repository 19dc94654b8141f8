//! "Since you last looked": the events after this user's marker, newest first, with the
//! panel's title saying since when and how many, derived from the snapshot for the overview.

use super::app::{Model, Tone};
use super::format::{event_line, event_tone};
use crate::model::{Event, Outcome};
use chrono::{DateTime, Utc};

/// Lines of "since you last looked" kept, newest first (the log screen has them all).
const SINCE_LINES: usize = 200;

pub(super) fn derive(m: &Model) -> (String, Vec<(Tone, String)>) {
    // A refusal keeps its reason: the line wraps on screen rather than lose it.
    let line = |e: &Event| {
        let mut text = format!("{:<14} {}", e.body.segment, event_line(e));
        if e.body.outcome == Outcome::Refused
            && let Some(why) = e.body.detail.as_deref().or(e.body.reason.as_deref())
        {
            text.push_str(": ");
            text.push_str(why);
        }
        (event_tone(e), text)
    };
    // Guards starting and stopping are routine (every cockpit opened and closed records them):
    // the gap a start ends is what a lead needs, and the header says when nothing guards now.
    let told = |e: &&Event| !crate::engine::guarding::is_routine(e);
    let events: Vec<&Event> = m.snapshot.events.iter().filter(told).collect();
    let line = |e: &&Event| line(e);
    let Some(user) = m.user.as_deref() else {
        // The memory could not be read: say nothing about when this user looked.
        return (
            " Latest events ".to_string(),
            events.iter().rev().take(SINCE_LINES).map(line).collect(),
        );
    };
    let who = format!(" ({user})");
    match m.last_looked {
        Some((seq, at)) => {
            let new: Vec<(Tone, String)> = events
                .iter()
                .rev()
                .take_while(|e| e.seq > seq)
                .take(SINCE_LINES)
                .map(line)
                .collect();
            let count = events.iter().rev().take_while(|e| e.seq > seq).count();
            let when = at.map_or_else(String::new, |t| format!(" on {}", when(t, m.now)));
            let title = match count {
                0 => format!(" Since you{who} last looked{when} · nothing new "),
                1 => format!(" Since you{who} last looked{when} · 1 event "),
                n => format!(" Since you{who} last looked{when} · {n} events "),
            };
            (title, new)
        }
        None => (
            format!(" Latest events · the first time you{who} look "),
            events.iter().rev().take(SINCE_LINES).map(line).collect(),
        ),
    }
}

/// "Mon 18:03" within a week, else "2026-11-02 18:03".
pub(super) fn when(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if (now - t).num_days() < 6 {
        t.format("%a %H:%M").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M").to_string()
    }
}
