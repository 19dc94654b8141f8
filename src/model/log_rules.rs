//! A log the phase machine could have written. `state verify` and `state restore` hold a log
//! to the rules the live engine follows when it writes one, so a backup restores only if the
//! live path could have produced it, and verify rejects exactly what restore refuses:
//!
//! * sequence numbers run 1, 2, 3 … without a gap;
//! * every segment id follows the project file's rule (`*`, the whole project, only for
//!   `guarding`, `audit` and `alarm` events), every time is in the years 1970 to 9999;
//! * the texts an operator gives are bounded: an actor 1 to [`ACTOR_MAX`] characters, a
//!   reason at most [`REASON_MAX`], a detail at most [`DETAIL_MAX`] bytes; no control
//!   characters but a reason's line breaks and tabs;
//! * every phase change is a transition of the machine ([`edge`]): an action that moves a
//!   segment at once moves it from the phase it is in, and a hook's request and outcome name
//!   the same transition;
//! * every hook outcome (and re-fire) answers an earlier request of the same segment and hook;
//! * a cutover's migrated count is within its size, a plan's shares and chances within 0..1.
//!
//! The live doors apply the same text rules ([`reason`], [`actor`]) before anything is
//! recorded.

use super::event::{Event, Outcome, SegmentState};
use super::phase::{Action, Phase};
use super::reading::Broken;
use std::collections::BTreeMap;

/// Longest reason an operator may give, in characters.
pub const REASON_MAX: usize = 1_000;
/// Longest actor name, in characters.
pub const ACTOR_MAX: usize = 200;
/// Longest detail (hook output, refusal) an event may hold, in bytes.
pub const DETAIL_MAX: usize = 16 * 1024;

/// Whether the phase machine ever moves a segment from `from` to `to`.
pub fn edge(from: Phase, to: Phase) -> bool {
    from.next() == Some(to)
        || (from == Phase::Gate && to == Phase::Test)
        || (from == Phase::RolledBack && to == Phase::Plan)
        || (to == Phase::RolledBack && from.can_roll_back())
}

/// The reason rule: at most [`REASON_MAX`] characters, no control character but `\n` and `\t`.
pub fn reason(text: &str) -> Result<(), Broken> {
    let n = text.chars().count();
    if n > REASON_MAX {
        return Err(Broken(format!(
            "the reason is {n} characters; keep it to {REASON_MAX} (link to a ticket for more)"
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Broken(format!(
            "the reason '{}' holds a control character; write it as plain text",
            super::reading::shown(text)
        )));
    }
    Ok(())
}

/// The actor rule: 1 to [`ACTOR_MAX`] characters, no control character.
pub fn actor(text: &str) -> Result<(), Broken> {
    let n = text.chars().count();
    if n == 0 || n > ACTOR_MAX || text.chars().any(char::is_control) {
        return Err(Broken(format!(
            "'{}' is not an actor name: use 1 to {ACTOR_MAX} printable characters",
            super::reading::shown(text)
        )));
    }
    Ok(())
}

/// The first event of `events` (whole log, oldest first) the live engine could not have
/// written: its index in `events` and what is wrong with it.
pub fn check(events: &[Event]) -> Result<(), (usize, String)> {
    let mut states: BTreeMap<&str, SegmentState> = BTreeMap::new();
    for (i, event) in events.iter().enumerate() {
        let state = states.entry(event.body.segment.as_str()).or_default();
        one(event, i, events, state).map_err(|why| (i, format!("event {}: {why}", event.seq)))?;
        state.apply(event);
    }
    Ok(())
}

fn one(event: &Event, i: usize, events: &[Event], state: &SegmentState) -> Result<(), Broken> {
    let e = &event.body;
    if event.seq != i as u64 + 1 {
        return Err(Broken(format!("found where event {} belongs", i + 1)));
    }
    let project_wide = matches!(e.kind, Action::Guarding | Action::Audit | Action::Alarm);
    if !(e.segment == "*" && project_wide) {
        super::reading::segment_id(&e.segment)?;
    }
    super::reading::in_calendar(e.at)?;
    actor(&e.actor)?;
    if let Some(r) = &e.reason {
        reason(r)?;
    }
    if e.detail.as_ref().is_some_and(|d| d.len() > DETAIL_MAX) {
        return Err(Broken(format!(
            "its detail is longer than {DETAIL_MAX} bytes"
        )));
    }
    if let (Some(size), Some(migrated)) = (e.size, e.migrated)
        && migrated > size
    {
        return Err(Broken(format!(
            "{migrated} users migrated at cutover, more than its size {size}"
        )));
    }
    let unit = |x: f64| x.is_finite() && (0.0..=1.0).contains(&x);
    if e.plan
        .as_ref()
        .is_some_and(|p| p.iter().any(|c| !unit(c.share) || !unit(c.p)))
    {
        return Err("a plan's shares and chances are numbers from 0 to 1".into());
    }
    if let Some(key) = e.intent {
        answers(event, key, events)?;
    } else if matches!(e.outcome, Outcome::Succeeded | Outcome::Failed) {
        return Err("a hook outcome that answers no request".into());
    }
    let moves = match e.outcome {
        Outcome::Ok => !matches!(e.kind, Action::Pause | Action::Resume | Action::AdoptFit),
        Outcome::Requested | Outcome::Succeeded => true,
        Outcome::Failed | Outcome::Refused => false,
    };
    if let (true, Some(to)) = (moves, e.to) {
        let Some(from) = e.from else {
            return Err(Broken(format!("enters {to} without saying from where")));
        };
        if !edge(from, to) {
            return Err(Broken(format!(
                "{from} → {to} is not a transition of the phase machine"
            )));
        }
        if e.outcome == Outcome::Ok && from != state.phase {
            return Err(Broken(format!(
                "moves {} from {from}, but it is in {}",
                e.segment, state.phase
            )));
        }
    }
    Ok(())
}

/// A hook outcome or re-fire answers an earlier request of the same segment, hook and
/// transition.
fn answers(event: &Event, key: u64, events: &[Event]) -> Result<(), Broken> {
    let e = &event.body;
    let asked = (key >= 1 && key < event.seq)
        .then(|| events.get(key as usize - 1))
        .flatten()
        .filter(|r| {
            r.body.outcome == Outcome::Requested
                && r.body.intent.is_none()
                && r.body.segment == e.segment
                && r.body.hook == e.hook
                && (r.body.from, r.body.to) == (e.from, e.to)
        });
    match asked {
        Some(_) => Ok(()),
        None => Err(Broken(format!(
            "answers intent {key}, which is not an earlier request of the same hook on {}",
            super::reading::shown(&e.segment)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HookAction, NewEvent};
    use chrono::{TimeZone, Utc};

    fn ev(seq: u64, kind: Action, from: Phase, to: Phase, outcome: Outcome) -> Event {
        let at = Utc
            .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
            .single()
            .expect("time");
        Event {
            seq,
            body: NewEvent {
                from: Some(from),
                to: Some(to),
                outcome,
                ..NewEvent::new(at, "eu", kind, "lead")
            },
        }
    }

    #[test]
    fn the_machine_s_own_log_passes_and_a_jump_does_not() {
        let mut log = vec![
            ev(1, Action::Advance, Phase::Plan, Phase::Test, Outcome::Ok),
            ev(2, Action::Advance, Phase::Test, Phase::Gate, Outcome::Ok),
            ev(
                3,
                Action::Advance,
                Phase::Gate,
                Phase::Cutover,
                Outcome::Requested,
            ),
            ev(
                4,
                Action::Advance,
                Phase::Gate,
                Phase::Cutover,
                Outcome::Succeeded,
            ),
        ];
        log[2].body.hook = Some(HookAction::Cutover);
        log[3].body.hook = Some(HookAction::Cutover);
        log[3].body.intent = Some(3);
        assert_eq!(check(&log), Ok(()));
        let jump = vec![ev(
            1,
            Action::Advance,
            Phase::Plan,
            Phase::Cutover,
            Outcome::Ok,
        )];
        assert!(
            check(&jump)
                .expect_err("refused")
                .1
                .contains("not a transition")
        );
        let skip = vec![ev(
            1,
            Action::Advance,
            Phase::Test,
            Phase::Gate,
            Outcome::Ok,
        )];
        assert!(
            check(&skip)
                .expect_err("refused")
                .1
                .contains("it is in plan")
        );
        log[3].body.intent = Some(999_999);
        assert_eq!(check(&log).expect_err("refused").0, 3);
    }

    #[test]
    fn project_wide_records_pass_and_a_project_wide_move_does_not() {
        let at = Utc
            .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
            .single()
            .expect("time");
        let audit = Event {
            seq: 1,
            body: NewEvent::new(at, "*", Action::Audit, "lead"),
        };
        let guarding = Event {
            seq: 2,
            body: NewEvent::new(at, "*", Action::Guarding, "lead"),
        };
        assert_eq!(check(&[audit, guarding]), Ok(()));
        let mut moved = ev(1, Action::Advance, Phase::Plan, Phase::Test, Outcome::Ok);
        moved.body.segment = "*".into();
        assert!(check(&[moved]).is_err());
    }

    #[test]
    fn texts_are_bounded() {
        assert!(reason("rolled back: INC-4411\nsee the ticket").is_ok());
        assert!(reason(&"x".repeat(1_000_000)).is_err());
        assert!(reason("a\u{0}b").is_err());
        assert!(actor("").is_err());
        assert!(actor("maria").is_ok());
    }
}
