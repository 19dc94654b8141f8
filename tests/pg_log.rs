//! The event log on a real PostgreSQL (started by the test on 127.0.0.1 with a free port):
//! sequence numbers stay gap-free and ordered under two racing writers, the log refuses
//! updates and deletes, a database written by a newer cutover is refused, every append is
//! notified on LISTEN/NOTIFY, and an unreachable server is a clear error.

mod common;

use chrono::{TimeZone, Utc};
use common::pg_server::Postgres;
use cutover::model::{Action, NewEvent};
use cutover::store::pg::{CHANNEL, Decided, PgError, PgLog};
use std::time::Duration;

fn event(segment: &str, n: u32) -> NewEvent {
    let at = Utc.timestamp_opt(1_790_000_000 + i64::from(n), 0).unwrap();
    NewEvent {
        reason: Some(format!("note {n}")),
        ..NewEvent::new(at, segment, Action::Pause, &format!("writer-{segment}"))
    }
}

#[test]
fn two_racing_writers_leave_a_gap_free_ordered_log() {
    let pg = Postgres::start();
    let url = pg.url();
    let writers: Vec<_> = ["eu", "us"]
        .into_iter()
        .map(|segment| {
            let url = url.clone();
            std::thread::spawn(move || {
                let log = PgLog::open(&url).expect("open");
                (0..200)
                    .map(|n| log.append(event(segment, n)).expect("append"))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut acknowledged: Vec<_> = writers
        .into_iter()
        .flat_map(|w| w.join().expect("writer"))
        .collect();
    acknowledged.sort_by_key(|e| e.seq);
    let log = PgLog::open(&url).expect("reopen: migrations run once");
    let stored = log.events().expect("events");
    let seqs: Vec<u64> = stored.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=400).collect::<Vec<u64>>(),
        "gap-free and ordered"
    );
    assert_eq!(
        stored, acknowledged,
        "every acknowledged event, as acknowledged"
    );
    // Each writer's own events keep their order.
    for segment in ["eu", "us"] {
        let notes: Vec<_> = stored
            .iter()
            .filter(|e| e.body.segment == segment)
            .map(|e| e.body.reason.clone().unwrap_or_default())
            .collect();
        let expected: Vec<_> = (0..200).map(|n| format!("note {n}")).collect();
        assert_eq!(notes, expected);
    }
}

#[test]
fn the_log_is_append_only_and_a_newer_schema_is_refused() {
    let pg = Postgres::start();
    let log = PgLog::open(&pg.url()).expect("open");
    log.append(event("eu", 1)).expect("append");
    let mut raw = ::postgres::Client::connect(&pg.url(), ::postgres::NoTls).expect("connect");
    for sql in [
        "UPDATE cutover_events SET segment = 'x'",
        "DELETE FROM cutover_events",
    ] {
        let err = raw.execute(sql, &[]).expect_err("refused");
        let message = err.as_db_error().map(|d| d.message().to_string());
        assert_eq!(
            message.as_deref(),
            Some("the cutover event log is append-only"),
            "{sql}"
        );
    }
    assert_eq!(log.events().expect("events").len(), 1);
    drop(log);
    raw.execute(
        "UPDATE cutover_meta SET value = '99' WHERE key = 'schema_version'",
        &[],
    )
    .expect("bump");
    let err = PgLog::open(&pg.url())
        .err()
        .expect("a newer schema is refused");
    assert_eq!(
        err,
        PgError::NewerSchema {
            found: 99,
            supported: 1
        }
    );
    assert!(err.to_string().contains("newer cutover"), "{err}");
}

#[test]
fn every_append_is_notified_to_listeners() {
    let pg = Postgres::start();
    let log = PgLog::open(&pg.url()).expect("open");
    let mut listener = ::postgres::Client::connect(&pg.url(), ::postgres::NoTls).expect("connect");
    listener
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .expect("listen");
    let appended = log.append(event("eu", 7)).expect("append");
    let mut notifications = listener.notifications();
    let mut it = notifications.timeout_iter(Duration::from_secs(5));
    use ::postgres::fallible_iterator::FallibleIterator;
    let n = it
        .next()
        .expect("delivered")
        .expect("a notification within 5 s");
    assert_eq!(n.channel(), CHANNEL);
    assert_eq!(n.payload(), appended.seq.to_string());
}

#[test]
fn an_unreachable_server_is_a_clear_error() {
    let pg = Postgres::start();
    let url = pg.url();
    pg.stop();
    let err = PgLog::open(&url).err().expect("unreachable");
    assert!(matches!(err, PgError::Unreachable(_)), "{err:?}");
    assert!(
        err.to_string().contains("cannot reach the state database"),
        "{err}"
    );
}

/// The phase a lead sees, and what they ask of it.
fn action_for(phase: cutover::model::Phase) -> Action {
    use cutover::model::Phase::*;
    match phase {
        Plan | Test | Gate => Action::Advance,
        Cutover | Done => Action::RollBack,
        RolledBack => Action::Replan,
    }
}

/// One lead's action on `eu` as the team backend decides it: on the segment's fresh events,
/// refused when they moved since the lead read them (naming the event that did), else by the
/// phase machine.
fn act(log: &PgLog, actor: &str, seen: cutover::model::Phase) -> Result<u64, String> {
    use cutover::model::{Decision, Facts, HookSet, decide, event::fold};
    let actor = actor.to_string();
    let action = action_for(seen);
    let outcome = log
        .act("eu", move |events| {
            let state = fold(events).remove("eu").unwrap_or_default();
            if state.phase != seen {
                let last = events.last().expect("a change has an event");
                return Decided::Refuse(format!(
                    "eu changed since it was read: event {} ({} by {}) moved it to {}",
                    last.seq, last.body.kind, last.body.actor, state.phase
                ));
            }
            let facts = Facts {
                segment: "eu",
                state: &state,
                plan_problems: &[],
                checks: &[],
                gates: &[],
                migrated_share: Some(0.5),
                goal: 0.9,
                deadline_passed: false,
                fitted: None,
                hooks: HookSet::default(),
            };
            match decide(action, &facts) {
                Ok(Decision::Move { from, to, note }) => Decided::Append(NewEvent {
                    kind: action,
                    from: Some(from),
                    to: Some(to),
                    detail: note,
                    size: (to == cutover::model::Phase::Cutover).then_some(100),
                    ..event("eu", 0)
                }),
                Ok(other) => Decided::Refuse(format!("unexpected decision {other:?}")),
                Err(refusal) => Decided::Refuse(refusal.0),
            }
            .with_actor(&actor)
        })
        .expect("the database answers");
    outcome.map(|e| e.seq)
}

trait WithActor {
    fn with_actor(self, actor: &str) -> Self;
}

impl WithActor for Decided {
    fn with_actor(self, actor: &str) -> Decided {
        match self {
            Decided::Append(mut e) => {
                e.actor = actor.to_string();
                Decided::Append(e)
            }
            refused => refused,
        }
    }
}

#[test]
fn two_leads_racing_on_one_segment_never_make_an_impossible_transition() {
    use cutover::model::event::fold;
    let pg = Postgres::start();
    let url = pg.url();
    let leads: Vec<_> = ["ana", "bo"]
        .into_iter()
        .map(|actor| {
            let url = url.clone();
            std::thread::spawn(move || {
                let log = PgLog::open(&url).expect("open");
                let mut refusals = Vec::new();
                for _ in 0..200 {
                    // What the lead sees: the segment as folded from the log now.
                    let seen = fold(&log.events().expect("events"))
                        .remove("eu")
                        .unwrap_or_default()
                        .phase;
                    if let Err(reason) = act(&log, actor, seen) {
                        refusals.push(reason);
                    }
                }
                refusals
            })
        })
        .collect();
    let refusals: Vec<String> = leads
        .into_iter()
        .flat_map(|l| l.join().expect("lead"))
        .collect();
    let log = PgLog::open(&url).expect("open");
    let events = log.events().expect("events");
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=events.len() as u64).collect::<Vec<_>>());
    assert!(events.len() >= 200, "{} transitions", events.len());
    // Replayed in order, every transition starts from the phase the segment was in.
    let mut state = cutover::model::SegmentState::default();
    for e in &events {
        assert_eq!(
            e.body.from,
            Some(state.phase),
            "event {} from the wrong phase",
            e.seq
        );
        state.apply(e);
        assert_eq!(Some(state.phase), e.body.to, "event {}", e.seq);
    }
    // A lead who lost a race is told which event won, and it is in the log.
    for reason in &refusals {
        let seq: u64 = reason
            .split("event ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no winning event named: {reason}"));
        // When the lead was refused, the named event was the segment's latest, and the
        // segment was in the phase it moved to.
        let winner = &events[seq as usize - 1];
        let to = winner.body.to.expect("a move");
        assert!(reason.ends_with(&format!("moved it to {to}")), "{reason}");
        assert!(
            reason.contains(&format!("by {}", winner.body.actor)),
            "{reason}"
        );
    }
    eprintln!(
        "{} transitions, {} refusals of a lead who lost a race",
        events.len(),
        refusals.len()
    );
}
