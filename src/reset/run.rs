//! Sending the reset waves: every user who needs a reset and has no mark in the journal gets
//! the target's reset message, one at a time, when the pace allows, each marked before it goes
//! and after it is answered. It stops between two sends when asked, and resumes from the
//! journal when started again.

use super::journal::{Header, Mark, ResetJournal};
use super::pace::Pacer;
use super::{ResetReport, Who};
use crate::clock::Clock;
use crate::config::canaries::LoginKeys;
use crate::moving::MoveError;
use crate::moving::reset_calls::{Resettee, Sent};
use crate::moving::run::Stop;
use crate::moving::target::Client;
use std::collections::HashMap;
use std::time::Duration;

/// What the waves need besides who they go to.
pub struct Waves<'a> {
    pub segment: &'a str,
    pub client: &'a Client,
    pub login: Option<&'a LoginKeys>,
    pub journal: &'a ResetJournal,
    pub per_hour: u64,
    /// The owner's clock: its milliseconds pace the waves (a simulated clock runs fast).
    pub clock: Clock,
    pub stop: Stop,
}

/// The journal's header for `who`: the one under way, or a new run when none is, or when the
/// move these users came with is a newer one.
fn header(w: &Waves<'_>, who: &Who) -> Result<Header, MoveError> {
    let old = w.journal.header()?;
    let mut header = match old {
        Some(h) if h.move_run == who.move_run => h,
        old => Header {
            run: old.map_or(1, |h| h.run + 1),
            move_run: who.move_run,
            started_ms: w.clock.now().timestamp_millis(),
            per_hour: w.per_hour,
            users: 0,
            not_on_target: 0,
            done: false,
        },
    };
    header.per_hour = w.per_hour;
    header.users = who.people.len() as u64;
    header.not_on_target = who.not_on_target;
    w.journal.set_header(&header)?;
    w.journal.flush()?;
    Ok(header)
}

/// The report of a run from its marks.
fn tally(segment: &str, header: &Header, marks: &HashMap<u64, Mark>) -> ResetReport {
    let mut r = ResetReport {
        segment: segment.to_string(),
        state: if header.done { "done" } else { "sending" }.to_string(),
        per_hour: header.per_hour,
        users: header.users,
        not_on_target: header.not_on_target,
        ..ResetReport::default()
    };
    for mark in marks.values() {
        match mark {
            Mark::Pending(_) => r.uncertain += 1,
            Mark::Sent(_) => r.sent += 1,
            Mark::Refused(_, code) => *r.refused.entry(code.clone()).or_default() += 1,
            Mark::Unsent(_) => {}
        }
    }
    r
}

/// Wait until `at` on the clock, or until asked to stop (checked every quarter second):
/// whether to go on.
async fn wait_until(clock: &Clock, at: i64, stop: &Stop) -> bool {
    loop {
        if stop.asked().is_some() {
            return false;
        }
        let now = clock.now().timestamp_millis();
        if now >= at {
            return true;
        }
        let real_ms = (at - now) as f64 / clock.factor().max(1e-9);
        tokio::time::sleep(Duration::from_secs_f64(
            (real_ms / 1000.0).clamp(0.001, 0.25),
        ))
        .await;
    }
}

/// Send the waves to `who`, telling `tell` after each send; the report when every user is
/// settled, or when asked to stop (`state` "sending").
pub async fn send_waves(
    w: Waves<'_>,
    who: Who,
    tell: &mut (dyn FnMut(&ResetReport) + Send),
) -> Result<ResetReport, MoveError> {
    let mut header = header(&w, &who)?;
    let mut marks: HashMap<u64, Mark> = w.journal.marks(header.run)?.into_iter().collect();
    let mut report = tally(w.segment, &header, &marks);
    tell(&report);
    // The pace counts every message of the last hour, a previous run's too (a move undone
    // and made again starts a new run, not a new hour).
    let hour_ago = w.clock.now().timestamp_millis() - super::pace::HOUR_MS;
    let mut went: Vec<i64> = Vec::new();
    if header.run > 1 {
        went.extend(
            w.journal
                .marks(header.run - 1)?
                .into_iter()
                .map(|(_, m)| m)
                .filter(|m| !matches!(m, Mark::Refused(..)) && m.at() > hour_ago)
                .map(|m| m.at()),
        );
    }
    went.extend(
        marks
            .values()
            .filter(|m| !matches!(m, Mark::Refused(..)))
            .map(Mark::at),
    );
    let mut pacer = Pacer::replay(w.per_hour, went);
    for person in &who.people {
        if marks.contains_key(&person.line) {
            continue;
        }
        let at = loop {
            let now = w.clock.now().timestamp_millis();
            let next = pacer.next_at(now);
            if next <= now {
                break now;
            }
            if !wait_until(&w.clock, next, &w.stop).await {
                return Ok(report);
            }
        };
        if w.stop.asked().is_some() {
            return Ok(report);
        }
        w.journal
            .mark(header.run, person.line, &Mark::Pending(at))?;
        let who = Resettee {
            legacy: &person.legacy,
            email: person.email.as_deref(),
        };
        let mark = match w.client.send_reset(&who, w.login).await {
            Ok(Sent::Sent) => {
                pacer.sent(at);
                report.sent += 1;
                Mark::Sent(at)
            }
            Ok(Sent::Refused(code)) => {
                *report.refused.entry(code.clone()).or_default() += 1;
                Mark::Refused(at, code)
            }
            // Nothing went out: the next run sends this user. Else it stays pending, and
            // uncertain: never sent again.
            Err(unsent) => {
                if !unsent.maybe_sent {
                    w.journal.mark(header.run, person.line, &Mark::Unsent(at))?;
                }
                return Err(unsent.error);
            }
        };
        w.journal.mark(header.run, person.line, &mark)?;
        marks.insert(person.line, mark);
        tell(&report);
    }
    header.done = true;
    w.journal.set_header(&header)?;
    w.journal.flush()?;
    report.state = "done".into();
    tell(&report);
    Ok(report)
}

/// Where a segment's resets stand, from the journal alone (nothing sent): `None` before any.
pub fn stands(segment: &str, journal: &ResetJournal) -> Result<Option<ResetReport>, MoveError> {
    let Some(header) = journal.header()? else {
        return Ok(None);
    };
    let marks: HashMap<u64, Mark> = journal.marks(header.run)?.into_iter().collect();
    Ok(Some(tally(segment, &header, &marks)))
}
