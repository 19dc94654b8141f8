//! The overview's morning questions, derived from the snapshot: what needs the lead now (each
//! item with the key that acts on it) and what happened since this user last looked.
//!
//! "Needs you" lists, most urgent first: a failed rollback (`R`), a hook left pending (`R` for
//! a rollback, `a` for the others), a failing guard (`r`), an action the guard tried and was
//! refused (`r`), a failing or stale source (`⏎` opens the segment), a paused segment whose
//! reason names a date that has passed (`p`), and a request waiting for approval (`A`
//! approves someone else's, `X` withdraws one's own: [`super::approvals`]). Pure: the model's `now` is the time.

use super::app::{Model, Tone};
use super::format::age;
use crate::engine::status::SegmentStatus;
use crate::model::{Event, HookAction, Outcome, PhaseShown};
use chrono::NaiveDate;
use std::collections::HashMap;

/// One thing that needs the lead, with the key that acts on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    pub segment: String,
    /// The key, as the footer writes it ("R", "r", "a", "p", "⏎").
    pub key: &'static str,
    /// What the key does ("retry the rollback").
    pub does: &'static str,
    /// What is wrong, in a few words with the readings.
    pub what: String,
    pub tone: Tone,
    /// Kept whole: the item wraps instead of being cut at the panel's edge (a refusal's
    /// reason is what the lead must act on).
    pub whole: bool,
}

/// The panels below the overview's table, ready to draw.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Glance {
    pub needs: Vec<Need>,
    /// " Since you last looked (Mon 18:03) · 14 events ".
    pub since_title: String,
    /// Newest first.
    pub since: Vec<(Tone, String)>,
    /// The project chart, when the overview has room for it.
    pub chart: Option<super::project_chart::ProjectChart>,
}

/// Recompute the panels (the chart only when `with_chart`: it is the costly part).
pub fn derive(m: &Model, with_chart: bool) -> Glance {
    let (since_title, since) = super::since::derive(m);
    Glance {
        needs: needs(m),
        since_title,
        since,
        chart: with_chart
            .then(|| super::project_chart::derive(m))
            .flatten(),
    }
}

fn needs(m: &Model) -> Vec<Need> {
    let mut out: Vec<Need> = Vec::new();
    let refused = guard_refused(&m.snapshot.events);
    for s in &m.snapshot.status.segments {
        let running = m.running.contains_key(&s.id);
        let mut need = |key, does, what: String, tone, whole| {
            out.push(Need {
                segment: s.id.clone(),
                key,
                does,
                what,
                tone,
                whole,
            })
        };
        if s.phase == PhaseShown::RollbackFailed && !running {
            let why = s.last_failure.as_deref().unwrap_or("its hook failed");
            need(
                "R",
                "retry the rollback",
                format!("rollback failed: {why}"),
                Tone::Danger,
                false,
            );
        } else if let Some(h) = s.pending_hook.filter(|_| !running) {
            let (key, does) = if h == HookAction::Rollback {
                ("R", "re-fire the rollback hook")
            } else {
                ("a", "finish the hook")
            };
            need(
                key,
                does,
                format!("{h} hook pending: its outcome is not recorded"),
                Tone::Warn,
                false,
            );
        }
        // A reconciliation failing (or not run yet) is not a reason to roll back: it says
        // what to look at.
        let only_reconciled = s
            .criteria
            .iter()
            .filter(|v| v.status != crate::model::gate::Status::Pass)
            .all(|v| v.name == "reconciled");
        if s.phase == PhaseShown::Cutover && !s.gates_ok && only_reconciled {
            need(
                "⏎",
                "look at the segment",
                format!(
                    "not reconciled: {} (`cutover reconcile {}`)",
                    super::derive::failing_criteria(s),
                    s.id
                ),
                Tone::Warn,
                false,
            );
        } else if s.phase == PhaseShown::Cutover && !s.gates_ok {
            let streak = if s.guard_streak > 0 {
                format!(" ×{}", s.guard_streak)
            } else {
                String::new()
            };
            need(
                "r",
                "roll back",
                format!(
                    "guard failing{streak}: {}",
                    super::derive::failing_criteria(s)
                ),
                Tone::Danger,
                false,
            );
        }
        if let Some(refused) = refused.get(s.id.as_str()) {
            let why = refused
                .body
                .detail
                .as_deref()
                .or(refused.body.reason.as_deref())
                .unwrap_or("refused");
            need(
                "r",
                "roll back by hand",
                format!("the guard's {} was refused: {why}", refused.body.kind),
                Tone::Danger,
                true,
            );
        }
        if s.phase == PhaseShown::Gate
            && let Some(why) = s
                .last_failure
                .as_deref()
                .filter(|f| f.contains("move incomplete"))
        {
            need("a", "resume the move", why.to_string(), Tone::Warn, false);
        }
        if let Some(offer) = super::moving::long_tail(s) {
            need("⏎", "look at the segment", offer, Tone::Warn, false);
        }
        if let Some(since) = s.unguarded_since {
            need(
                "⏎",
                "look at the segment",
                format!(
                    "unguarded since {}: nothing polls or guards it; run `cutover watch` on a machine that stays up",
                    super::since::when(since, m.now)
                ),
                Tone::Danger,
                true,
            );
        }
        // A done segment's sources no longer matter.
        for src in s.sources.iter().filter(|_| s.phase != PhaseShown::Done) {
            if let Some(error) = &src.error {
                let since = src
                    .error_at
                    .map(|t| format!(" for {}", age(m.now, t)))
                    .unwrap_or_default();
                need(
                    "⏎",
                    "look at the segment",
                    format!("source {} failing{since}: {error}", src.metric),
                    Tone::Warn,
                    false,
                );
            } else if let (Some(at), Some(limit)) = (src.at, src.stale_after_secs)
                && (m.now - at).num_milliseconds() as f64 / 1000.0 > limit
            {
                need(
                    "⏎",
                    "look at the segment",
                    format!(
                        "source {} stale: its newest sample is {} old (stale after {})",
                        src.metric,
                        age(m.now, at),
                        crate::model::criteria::age(limit)
                    ),
                    Tone::Warn,
                    false,
                );
            }
        }
        if let Some(date) = s.hold.as_deref().and_then(first_date)
            && date < m.now.date_naive()
        {
            need(
                "p",
                "resume",
                format!(
                    "paused past {date}: {}",
                    s.hold.as_deref().unwrap_or_default()
                ),
                Tone::Warn,
                false,
            );
        }
    }
    out.extend(super::approvals::needs(m));
    // Danger before warnings, the project file's order within each (requests waiting for
    // approval after the segments' own items, oldest first).
    out.sort_by_key(|n| n.tone != Tone::Danger);
    out
}

/// Per segment, the newest action the guard (actor `auto`) tried and was refused, while
/// nothing has moved the segment since. One pass over the log, newest first.
fn guard_refused(events: &[Event]) -> HashMap<&str, &Event> {
    let mut decided: HashMap<&str, Option<&Event>> = HashMap::new();
    for e in events.iter().rev() {
        let b = &e.body;
        if decided.contains_key(b.segment.as_str()) {
            continue;
        }
        if b.actor == "auto" && b.outcome == Outcome::Refused {
            decided.insert(&b.segment, Some(e));
        } else if b.to.is_some() && b.outcome != Outcome::Refused {
            decided.insert(&b.segment, None);
        }
    }
    decided
        .into_iter()
        .filter_map(|(s, e)| Some((s, e?)))
        .collect()
}

/// The first `YYYY-MM-DD` in a text ("until 2026-12-01, legal review").
fn first_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let w = text.get(i..i + 10)?;
        let shaped = w.bytes().enumerate().all(|(j, c)| {
            if j == 4 || j == 7 {
                c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
        let edge = i == 0 || !b[i - 1].is_ascii_digit();
        (shaped && edge)
            .then(|| NaiveDate::parse_from_str(w, "%Y-%m-%d").ok())
            .flatten()
    })
}

/// `n`: select the segment of the next item "needs you" lists (after the selected segment's
/// own, cycling), and say in the status line what it needs and which key acts.
pub fn select_next_need(m: &mut Model) {
    let needs = &m.glance.needs;
    if needs.is_empty() {
        m.status_line = Some((Tone::Ok, "nothing needs you".to_string()));
        return;
    }
    // On from the item last selected while its segment is still the selection (a segment
    // with two items gets both), else from the top.
    let current = m.rows.get(m.selected).map(|r| r.id.as_str());
    let next = match m.need_cursor {
        Some(i)
            if needs
                .get(i)
                .is_some_and(|n| Some(n.segment.as_str()) == current) =>
        {
            (i + 1) % needs.len()
        }
        _ => 0,
    };
    let need = needs[next].clone();
    m.need_cursor = Some(next);
    match m.rows.iter().position(|r| r.id == need.segment) {
        Some(row) => m.selected = row,
        None => {
            m.status_line = Some((
                Tone::Info,
                format!(
                    "{} needs you but is filtered out (Esc clears the filter)",
                    need.segment
                ),
            ));
            return;
        }
    }
    m.status_line = Some((
        need.tone,
        format!(
            "needs you {}/{}: {} · {} {} · {}",
            next + 1,
            needs.len(),
            need.segment,
            need.key,
            need.does,
            need.what
        ),
    ));
}

/// The statuses the needs list names, for the keys that act on its first item.
pub fn first_need_with<'a>(m: &'a Model, key: &str) -> Option<&'a SegmentStatus> {
    let need = m.glance.needs.iter().find(|n| n.key == key)?;
    m.snapshot
        .status
        .segments
        .iter()
        .find(|s| s.id == need.segment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_found_in_a_pause_reason_and_nothing_else_is_taken_for_one() {
        assert_eq!(
            first_date("until 2026-12-01, legal review (by ana)"),
            NaiveDate::from_ymd_opt(2026, 12, 1)
        );
        assert_eq!(first_date("ticket 12026-12-01x"), None);
        assert_eq!(first_date("until 2026-13-01"), None);
        assert_eq!(first_date("no date"), None);
        assert_eq!(first_date(""), None);
    }
}

#[cfg(test)]
mod refusal_tests {
    use super::*;
    use crate::model::{Action, NewEvent, Phase};

    fn event(seq: u64, segment: &str, actor: &str, outcome: Outcome, to: Option<Phase>) -> Event {
        let mut body = NewEvent::new(chrono::Utc::now(), segment, Action::RollBack, actor);
        body.outcome = outcome;
        body.to = to;
        Event { seq, body }
    }

    #[test]
    fn a_guard_refusal_needs_you_until_the_segment_moves() {
        let refused = event(2, "eu", "auto", Outcome::Refused, Some(Phase::RolledBack));
        let mut events = vec![
            event(1, "eu", "ana", Outcome::Ok, Some(Phase::Cutover)),
            refused.clone(),
            event(3, "us", "auto", Outcome::Refused, Some(Phase::RolledBack)),
        ];
        let found = guard_refused(&events);
        assert_eq!(found.get("eu").map(|e| e.seq), Some(2));
        assert_eq!(found.get("us").map(|e| e.seq), Some(3));
        // A lead's refused attempt does not hide it; a move does.
        events.push(event(
            4,
            "eu",
            "ana",
            Outcome::Refused,
            Some(Phase::RolledBack),
        ));
        assert_eq!(guard_refused(&events).get("eu").map(|e| e.seq), Some(2));
        events.push(event(
            5,
            "eu",
            "ana",
            Outcome::Succeeded,
            Some(Phase::RolledBack),
        ));
        assert!(!guard_refused(&events).contains_key("eu"));
    }
}
