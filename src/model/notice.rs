//! What a lead is told, and how loudly: a notification derived from one event of the log.
//!
//! The log is the outbox: every notification comes from exactly one event (its `event_id`),
//! so it is written in the same step as what caused it, survives any kill, and can never be
//! told twice for one event (each sink remembers how far it has delivered).
//!
//! | severity | events |
//! |---|---|
//! | critical | an auto-rollback; a rollback hook that failed |
//! | warn | a guard that started failing; a cutover or done hook that failed; segments in cutover that were unguarded (one message for all, when a guard starts again) |
//! | info | every phase change, with its actor and reason |
//!
//! Change control's requests for approval (warn) and their decisions (info) are in
//! [`approvals`].

mod approvals;

use super::{Action, Event, HookAction, Outcome};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How urgent a notification is. Ordered: `Info < Warn < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warn,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = ();
    fn from_str(s: &str) -> Result<Severity, ()> {
        match s {
            "info" => Ok(Severity::Info),
            "warn" => Ok(Severity::Warn),
            "critical" => Ok(Severity::Critical),
            _ => Err(()),
        }
    }
}

/// The body every sink gets (a webhook as JSON, a command on stdin; Slack gets it as text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub project: String,
    pub segment: String,
    pub severity: Severity,
    /// What happened: `auto-rollback`, `rollback-failed`, `guard-failed`, `hook-failed`,
    /// `phase-change`, `digest`, `test`.
    pub kind: String,
    pub title: String,
    /// What happened, the readings that caused it, and what to do (the command or key).
    pub text: String,
    /// The event it comes from (None: a digest or a test).
    pub event_id: Option<u64>,
    pub at: DateTime<Utc>,
    /// The readings behind it (gate criteria with their values), one per line.
    pub readings: Vec<String>,
}

fn readings_of(text: &str) -> Vec<String> {
    // "error_rate: 0.09 > 0.05; p95: ..." possibly after "auto-rollback after N …: ".
    let tail = text.split_once(": ").map_or(text, |(head, rest)| {
        if head.starts_with("auto-rollback after") {
            rest
        } else {
            text
        }
    });
    let tail = tail.split(" (").next().unwrap_or(tail);
    tail.split("; ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// A message about `event`.
fn about(
    project: &str,
    event: &Event,
    (severity, kind): (Severity, &str),
    title: String,
    text: String,
    readings: Vec<String>,
) -> Message {
    Message {
        project: project.to_string(),
        segment: event.body.segment.clone(),
        severity,
        kind: kind.to_string(),
        title,
        text,
        event_id: Some(event.seq),
        at: event.body.at,
        readings,
    }
}

/// The notification an event calls for, if any.
pub fn from_event(project: &str, event: &Event) -> Option<Message> {
    let e = &event.body;
    let seg = &e.segment;
    let msg = |severity, kind: &str, title: String, text: String, readings| {
        about(project, event, (severity, kind), title, text, readings)
    };
    let reason = e.reason.clone().unwrap_or_default();
    let detail = e.detail.clone().unwrap_or_default();
    if e.kind == Action::Alarm {
        return alarm(project, event);
    }
    // Change control: a request tells the approvers; a decision tells who asked.
    if let Some(body) = e.approval.as_deref() {
        return Some(approvals::message(project, event, body));
    }
    match (e.kind, e.hook, e.outcome) {
        (Action::RollBack, _, Outcome::Ok | Outcome::Requested) if e.actor == "auto" => Some(msg(
            Severity::Critical,
            "auto-rollback",
            format!("{seg} was rolled back automatically"),
            format!(
                "The guard rolled {seg} back: {reason}. Users of {seg} sign in through the legacy system again. Find the cause, then re-plan it: `cutover replan {seg}` (key P). If the rollback hook fails, `cutover rollback {seg} --retry` (key R)."
            ),
            readings_of(&reason),
        )),
        (_, Some(HookAction::Rollback), Outcome::Failed) => Some(msg(
            Severity::Critical,
            "rollback-failed",
            format!("{seg}: the rollback hook failed"),
            format!(
                "{seg} is NOT rolled back: its rollback hook failed ({detail}). Retry it: `cutover rollback {seg} --retry` (key R in the cockpit)."
            ),
            Vec::new(),
        )),
        (_, Some(hook), Outcome::Failed) => Some(msg(
            Severity::Warn,
            "hook-failed",
            format!("{seg}: the {hook} hook failed"),
            format!(
                "{seg} stays where it was: its {hook} hook failed ({detail}). Retry with `cutover advance {seg}` (key a), or roll back."
            ),
            Vec::new(),
        )),
        (Action::Guarding, _, _) if e.reason.as_deref() == Some("gap") => Some(msg(
            Severity::Warn,
            "unguarded",
            "segments in cutover were unguarded".to_string(),
            format!(
                "Nothing guarded them for a while: {detail}. Their guards run again now; keep a `cutover watch` running on a machine that stays up."
            ),
            Vec::new(),
        )),
        (Action::GuardFailed, _, _) => Some(msg(
            Severity::Warn,
            "guard-failed",
            format!("{seg}: its guard is failing"),
            format!(
                "{seg}'s gate criteria fail in cutover: {detail}. Look at the new system; roll back by hand with `cutover rollback {seg} --reason …` (key r) if needed."
            ),
            readings_of(&detail),
        )),
        (_, _, Outcome::Ok | Outcome::Succeeded) => {
            let (from, to) = (e.from?, e.to?);
            let why = e
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            Some(msg(
                Severity::Info,
                "phase-change",
                format!("{seg}: {from} → {to}"),
                format!("{} moved {seg} from {from} to {to}{why}.", e.actor),
                Vec::new(),
            ))
        }
        _ => None,
    }
}

/// The message of an `alarm` event (`reason`: `raised: KEY` or `cleared: KEY`).
fn alarm(project: &str, event: &Event) -> Option<Message> {
    let e = &event.body;
    let seg = &e.segment;
    let (state, key) = e.reason.as_deref()?.split_once(": ")?;
    let raised = state == "raised";
    let detail = e.detail.clone().unwrap_or_default();
    let (severity, kind, title, text) = match (key.split(':').next()?, raised) {
        ("rollback-stuck", true) => (
            Severity::Critical,
            "rollback-stuck",
            format!("{seg}: the rollback is stuck"),
            format!(
                "{seg}'s rollback hook has not finished: {detail}. Users may be half moved back. Retry it: `cutover rollback {seg} --retry` (key R)."
            ),
        ),
        ("rollback-stuck", false) => (
            Severity::Info,
            "rollback-stuck-cleared",
            format!("{seg}: the rollback is no longer stuck"),
            format!("{seg}'s rollback hook finished or was retried: {detail}."),
        ),
        ("source-stale", true) => (
            Severity::Warn,
            "source-failing",
            format!("{seg}: a source has been failing too long"),
            format!(
                "{detail}. Its gates cannot be judged: check the source (`cutover poll` shows each one)."
            ),
        ),
        ("source-stale", false) => (
            Severity::Warn,
            "source-answering",
            format!("{seg}: the source answers again"),
            detail.clone(),
        ),
        ("forecast-late", true) => (
            Severity::Warn,
            "forecast-late",
            format!("{seg} will miss its deadline"),
            format!(
                "{seg}'s forecast slipped past its deadline ({detail}). Adopt the forecast as the plan to see the real date (F in the segment's detail), or move the rest in bulk."
            ),
        ),
        ("forecast-late", false) => (
            Severity::Info,
            "forecast-on-time",
            format!("{seg} is on schedule again"),
            format!("{seg}'s forecast finishes by its deadline again."),
        ),
        ("plateau", true) => (
            Severity::Warn,
            "plateau",
            format!("{seg} has plateaued"),
            format!(
                "{seg}'s migrated share has stopped growing: {detail}. The users left rarely log in: plan a bulk import of them."
            ),
        ),
        ("plateau", false) => (
            Severity::Info,
            "plateau-over",
            format!("{seg} grows again"),
            format!("{seg}'s migrated share grows again."),
        ),
        ("guard", false) => (
            Severity::Warn,
            "guard-cleared",
            format!("{seg}: its guard passes again"),
            format!("{seg}'s gate criteria pass again: {detail}."),
        ),
        _ => return None,
    };
    let readings = if detail.is_empty() {
        Vec::new()
    } else {
        vec![detail]
    };
    Some(about(
        project,
        event,
        (severity, kind),
        title,
        text,
        readings,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NewEvent, Phase};

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T03:00:00Z")
            .expect("time")
            .to_utc()
    }

    #[test]
    fn an_auto_rollback_is_critical_with_its_readings_and_what_to_do() {
        let event = Event {
            seq: 9,
            body: NewEvent {
                from: Some(Phase::Cutover),
                to: Some(Phase::RolledBack),
                reason: Some(
                    "auto-rollback after 3 failing evaluations: error_rate: 0.09 > 0.05; p95_ms: 900 > 800"
                        .into(),
                ),
                ..NewEvent::new(at(), "eu", Action::RollBack, "auto")
            },
        };
        let m = from_event("Acme", &event).expect("a message");
        assert_eq!(m.severity, Severity::Critical);
        assert_eq!(m.kind, "auto-rollback");
        assert_eq!(m.event_id, Some(9));
        assert_eq!(
            m.readings,
            vec!["error_rate: 0.09 > 0.05", "p95_ms: 900 > 800"]
        );
        assert!(m.text.contains("cutover replan eu"), "{}", m.text);
    }

    #[test]
    fn a_refusal_tells_nobody_and_a_phase_change_is_info() {
        let refused = Event {
            seq: 1,
            body: NewEvent {
                outcome: Outcome::Refused,
                ..NewEvent::new(at(), "eu", Action::Advance, "ana")
            },
        };
        assert_eq!(from_event("Acme", &refused), None);
        let moved = Event {
            seq: 2,
            body: NewEvent {
                from: Some(Phase::Plan),
                to: Some(Phase::Test),
                ..NewEvent::new(at(), "eu", Action::Advance, "ana")
            },
        };
        let m = from_event("Acme", &moved).expect("a message");
        assert_eq!(
            (m.severity, m.title.as_str()),
            (Severity::Info, "eu: plan → test")
        );
        assert!(Severity::Info < Severity::Warn && Severity::Warn < Severity::Critical);
    }

    #[test]
    fn alarms_are_told_once_per_transition_with_their_severity() {
        let alarm = |seq, reason: &str, detail: &str| Event {
            seq,
            body: NewEvent {
                reason: Some(reason.into()),
                detail: Some(detail.into()),
                ..NewEvent::new(at(), "eu", Action::Alarm, "auto")
            },
        };
        let late = from_event(
            "Acme",
            &alarm(
                5,
                "raised: forecast-late",
                "forecast finish never, deadline 2027-01-31",
            ),
        )
        .expect("late");
        assert_eq!(
            (late.severity, late.kind.as_str()),
            (Severity::Warn, "forecast-late")
        );
        assert!(late.text.contains("deadline 2027-01-31"), "{}", late.text);
        let stuck = from_event("Acme", &alarm(6, "raised: rollback-stuck:4", "pending 10m"))
            .expect("stuck");
        assert_eq!(stuck.severity, Severity::Critical);
        assert!(
            stuck.text.contains("cutover rollback eu --retry"),
            "{}",
            stuck.text
        );
        let back = from_event(
            "Acme",
            &alarm(7, "cleared: guard", "every criterion passes"),
        )
        .expect("back");
        assert_eq!(
            (back.severity, back.kind.as_str()),
            (Severity::Warn, "guard-cleared")
        );
        assert_eq!(from_event("Acme", &alarm(8, "raised: guard", "")), None);
    }
}
