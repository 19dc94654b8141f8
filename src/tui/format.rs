//! Text formats the cockpit shows: grouped counts, percentages, sparklines, ages and one-line
//! event summaries. Pure functions of their arguments.

use crate::model::{Action, Event, Outcome};
use chrono::{DateTime, Utc};

const SPARK: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// "410 000": thin grouping, as the sketch shows (the commands write "410,000").
pub fn group_digits(n: u64) -> String {
    crate::engine::move_status::grouped(n).replace(',', " ")
}

pub(super) fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), |s| format!("{:.1} %", s * 100.0))
}

pub(super) fn spark(series: Option<&Vec<(f64, f64)>>) -> String {
    let Some(points) = series else {
        return String::new();
    };
    let tail = &points[points.len().saturating_sub(10)..];
    tail.iter()
        .map(|(_, s)| SPARK[((s.clamp(0.0, 1.0) * 7.0).round() as usize).min(7)])
        .collect()
}

/// One compact line for an event: `11-02 09:12 ana advance gate→cutover ✓`.
pub(super) fn event_line(e: &Event) -> String {
    format!(
        "{} {} {}",
        e.body.at.format("%m-%d %H:%M"),
        e.body.actor,
        event_what(e)
    )
}

/// What an event did: `advance gate→cutover ✓`.
pub(super) fn event_what(e: &Event) -> String {
    let b = &e.body;
    let what = match (b.from, b.to) {
        (Some(f), Some(t)) => format!("{} {f}→{t}", b.kind),
        // "guarding started", "guarding stopped", "guarding gap".
        _ if b.kind == Action::Guarding => {
            format!("{} {}", b.kind, b.reason.as_deref().unwrap_or_default())
        }
        _ => b.kind.to_string(),
    };
    // A check run is recorded as done (ok) whatever it found: show what it found.
    let checks_fail = b
        .checks
        .as_ref()
        .is_some_and(|c| !c.iter().all(crate::model::gate::Verdict::passes));
    let outcome = match b.outcome {
        Outcome::Ok if b.kind == Action::RunChecks && checks_fail => "✗ checks fail",
        // The guard recording a failure, or an alarm raised, is a warning, not a success.
        Outcome::Ok if b.kind == Action::GuardFailed || raised(e) => "⚠",
        Outcome::Ok | Outcome::Succeeded => "✓",
        Outcome::Requested => "…",
        Outcome::Failed => "✗ failed",
        Outcome::Refused => "refused",
    };
    format!("{what} {outcome}")
}

/// An alarm event that raises (rather than clears) its alarm.
fn raised(e: &Event) -> bool {
    let reason = e.body.reason.as_deref();
    (e.body.kind == Action::Alarm && reason.is_some_and(|r| r.starts_with("raised")))
        || (e.body.kind == Action::Guarding && matches!(reason, Some("stopped" | "gap")))
}

/// The colour of an event's line: failed and guard failures red, refused and raised alarms
/// amber, succeeded green.
pub(super) fn event_tone(e: &Event) -> super::app::Tone {
    use super::app::Tone;
    if e.body.kind == Action::GuardFailed && e.body.outcome == Outcome::Ok {
        return Tone::Danger;
    }
    if raised(e) && e.body.outcome == Outcome::Ok {
        return Tone::Warn;
    }
    match e.body.outcome {
        Outcome::Failed => Tone::Danger,
        Outcome::Refused => Tone::Warn,
        Outcome::Succeeded => Tone::Ok,
        Outcome::Requested | Outcome::Ok => Tone::Info,
    }
}

pub(super) fn age(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    crate::model::criteria::age((now - at).num_milliseconds() as f64 / 1000.0)
}

pub(super) fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        group_digits(v.abs() as u64)
    } else {
        format!("{v:.4}").trim_end_matches('0').to_string()
    }
}

/// "1 check", "3 checks": a count with its noun, singular or plural.
pub(super) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
