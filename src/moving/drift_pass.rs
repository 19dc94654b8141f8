//! A drift pass (`cutover move SEGMENT --changed-since-move`): the legacy users created or
//! changed since the segment's last move, read from the live directory or database, moved
//! again. A user the target does not hold is created, exactly as a move creates it; one it
//! holds is updated where the target's API allows ([`super::target::Client::update`]), its
//! password replaced only when a move of this segment created it. Each pass starts where the
//! last one (or the real move) started, so passes chain without a gap, and where a pass starts
//! is where a `drift` source counts from afterwards.
//!
//! Journaled like any move, in its own journal (`move:<segment>:drift`, a run a pass), so the
//! real move's report and undo stay as they were. The changed users are numbered in the order
//! the narrowed read returns them, which a later read does not keep (users change again), so
//! every batch also keeps its users' legacy ids: a resume skips the ids a batch settled, and a
//! rollback deletes the users the passes created by id. A resume reads the changes again:
//! whoever changed since is read with their newest values.
//!
//! The changed users are read at once and held while the pass sends them (drift is the users
//! changed in the days since a move, not the segment), in batches of the move's size, at the
//! move's pace.

use super::journal::{Header, Journal, Outcome, Record, State};
use super::prepare::{self, ByDigest, Outgoing, Rules};
use super::problems::MoveError;
use super::report::Report;
use super::run::{Plan, Progress, Stop, blocking};
use super::target::{Client, Form, Who};
use crate::audit::values::folded_exact;
use std::collections::HashSet;
use std::time::Instant;

/// Users sent together, in the target's import form.
type Batch = Vec<Outgoing<Form>>;

/// Legacy ids as 64-bit digests (a set of a million takes about 16 MB, and no id's text).
type Ids = HashSet<u64, ByDigest>;

/// Move again the users changed on the legacy system since the segment's last move (or last
/// drift pass), resuming an unfinished pass. `modified` names the query's column of each
/// row's last change (`sql:` only).
pub async fn move_changed(
    plan: &Plan,
    modified: Option<String>,
    target: &Client,
    real: &Journal,
    drift: &Journal,
    stop: &Stop,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Report, MoveError> {
    let segment = &plan.segment;
    let moved = match real.header()? {
        Some(h) if h.state == State::Moved => h,
        _ => {
            return Err(MoveError::Setup(format!(
                "--changed-since-move moves again the users changed since '{segment}' moved, and it has no finished move: run `cutover move {segment}` first"
            )));
        }
    };
    if let Some(kind) = target.cannot_update() {
        return Err(MoveError::Setup(format!(
            "--changed-since-move updates users already on the target, which cutover cannot do on {kind}; re-export the changed users and move them with your own tools"
        )));
    }
    let mut header = match drift.header()? {
        Some(h) if h.state == State::Moving && h.started >= moved.started => h,
        Some(h) if h.state == State::Undoing => {
            return Err(MoveError::Setup(format!(
                "the users earlier drift passes of '{segment}' created are being deleted by a rollback; finish it first"
            )));
        }
        old => {
            // Chained: from the last pass's start when it came after the real move.
            let since = match &old {
                Some(h) if h.state == State::Moved && h.started >= moved.started => h.started,
                _ => moved.started,
            };
            Header {
                run: old.as_ref().map_or(1, |h| h.run + 1),
                state: State::Moving,
                export_sha256: String::new(),
                batch: plan.batch,
                started: chrono::Utc::now(),
                seconds: 0.0,
                rows: 0,
                skipped: Default::default(),
                without_password: 0,
                moving: 0,
                kept: 0,
                since: Some(since),
            }
        }
    };
    // Whether the changes can be read at all, before anything is journaled.
    let since = header.since.unwrap_or(moved.started);
    if matches!(plan.export, crate::export::Source::Sql(_)) && modified.is_none() {
        return Err(MoveError::Setup(format!(
            "--changed-since-move on sql: needs the query's column of each user's last change: add a drift source to '{segment}' with modified = \"COLUMN\""
        )));
    }
    let changed = crate::export::drift::changed(&plan.export, modified.as_deref(), since).map_err(
        |source| MoveError::Export {
            path: plan.export.shown(),
            source,
        },
    )?;
    drift.set_header(&header)?;
    drift.flush()?;

    // What this pass settled before an interruption, and who the segment's moves created.
    let settled = settle_in_flight(drift, header.run, target).await?;
    let ours = created_ids(real, moved.run, drift)?;

    let (batches, passed) = {
        let (plan, convert, usernames) = (plan.clone(), target.convert(), target.takes_usernames());
        blocking(move || read(&changed, &plan, convert, usernames, &settled)).await?
    };
    let of = batches.iter().map(|b| b.len() as u64).sum();
    // A resume's batches follow those it settled before.
    let first = drift.records(header.run)?.last().map_or(0, |(n, _)| n + 1);
    let mut done = 0u64;
    let pass = Instant::now();
    for (n, batch) in (first..).zip(batches) {
        if let Some(why) = stop.asked() {
            return Err(MoveError::Stopped(why));
        }
        let started = Instant::now();
        send(header.run, n, &batch, &ours, target, drift).await?;
        // The lead's pace holds here too: no faster than `pace` users a second.
        if let Some(pace) = plan.pace {
            let due = std::time::Duration::from_secs_f64(
                (done + batch.len() as u64) as f64 / pace as f64,
            );
            if let Some(wait) = due.checked_sub(pass.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
        done += batch.len() as u64;
        header.seconds += started.elapsed().as_secs_f64();
        drift.set_header(&header)?;
        drift.flush()?;
        progress(Progress { done, of });
    }
    header.counted(&passed);
    drift.set_header(&header)?;
    drift.flush()?;
    Report::of(segment, &header, drift)
}

/// The changed users, read by the move's rules, in batches; those a batch of this pass has
/// settled already (before an interruption) are left out.
fn read(
    changed: &crate::export::Source,
    plan: &Plan,
    convert: super::target::Convert,
    usernames: bool,
    settled: &Ids,
) -> Result<(Vec<Batch>, prepare::Passed), MoveError> {
    let rules = Rules {
        fields: &plan.fields,
        verdicts: &plan.verdicts,
        convert,
        usernames,
        unverifiable: plan.unverifiable,
        duplicate_emails: plan.duplicate_emails,
        only: None,
        tag: plan.tag.clone(),
    };
    let mut out = Vec::new();
    let passed = prepare::batches(changed, &rules, plan.batch as usize, |_, b| {
        let left: Vec<Outgoing<Form>> = b
            .into_iter()
            .filter(|u| !settled.contains(&folded_exact(&u.id)))
            .collect();
        if !left.is_empty() {
            out.push(left);
        }
        true
    })?;
    Ok((out, passed))
}

/// Send one batch: the users the target does not hold are created, the others updated.
async fn send(
    run: u32,
    n: u64,
    batch: &[Outgoing<Form>],
    ours: &Ids,
    target: &Client,
    journal: &Journal,
) -> Result<(), MoveError> {
    let who: Vec<Who> = batch.iter().map(Who::of).collect();
    let there = target.present(&who).await?;
    let mut record = Record {
        lines: batch.iter().map(|u| u.line).collect(),
        present: batch.iter().map(|u| there.contains(&u.id)).collect(),
        ids: Some(batch.iter().map(|u| u.id.clone()).collect()),
        ..Record::default()
    };
    journal.set_record(run, n, &record)?;
    journal.flush()?;
    let (old, new): (Vec<usize>, Vec<usize>) = (0..batch.len()).partition(|&i| record.present[i]);
    // Nobody counts as created unless the target's answer says so: an undo deletes those.
    let mut outcomes: Vec<Outcome> = record
        .present
        .iter()
        .map(|&there| {
            if there {
                Outcome::AlreadyPresent
            } else {
                Outcome::Created
            }
        })
        .collect();
    let created = target
        .create(&new.iter().map(|&i| &batch[i]).collect::<Vec<_>>())
        .await?;
    let short = |what: &str| {
        MoveError::Setup(format!(
            "the target's {what} answered for fewer users than were sent; run the pass again"
        ))
    };
    if created.len() != new.len() {
        return Err(short("import"));
    }
    for (&i, answer) in new.iter().zip(created) {
        if let Err(code) = answer {
            outcomes[i] = Outcome::Failed(record.code(&code));
        }
    }
    let users: Vec<&Outgoing<Form>> = old.iter().map(|&i| &batch[i]).collect();
    let mine: Vec<bool> = users
        .iter()
        .map(|u| ours.contains(&folded_exact(&u.id)))
        .collect();
    let updated = target.update(&users, &mine).await?;
    if updated.len() != old.len() {
        return Err(short("update"));
    }
    for (&i, answer) in old.iter().zip(updated) {
        outcomes[i] = match answer {
            Ok(()) => Outcome::Updated,
            Err(code) => Outcome::Failed(record.code(&code)),
        };
    }
    record.outcomes = Some(outcomes);
    record.acked_ms = Some(chrono::Utc::now().timestamp_millis());
    journal.set_record(run, n, &record)?;
    journal.flush()?;
    Ok(())
}

/// The ids a resumed pass need not send again. A batch in flight at an interruption keeps
/// only the users it surely created (absent before, there now); its others are read and sent
/// again (an update twice is the same update).
async fn settle_in_flight(journal: &Journal, run: u32, target: &Client) -> Result<Ids, MoveError> {
    let mut settled = Ids::default();
    for (n, mut record) in journal.records(run)? {
        let ids = record.ids.clone().unwrap_or_default();
        if record.outcomes.is_none() {
            let who: Vec<Who> = ids.iter().map(|id| Who { id, email: None }).collect();
            let now = target.present(&who).await?;
            let keep: Vec<usize> = (0..ids.len())
                .filter(|&i| !record.present[i] && now.contains(&ids[i]))
                .collect();
            record = Record {
                lines: keep.iter().map(|&i| record.lines[i]).collect(),
                present: vec![false; keep.len()],
                outcomes: Some(vec![Outcome::Created; keep.len()]),
                ids: Some(keep.iter().map(|&i| ids[i].clone()).collect()),
                acked_ms: Some(chrono::Utc::now().timestamp_millis()),
                ..Record::default()
            };
            journal.set_record(run, n, &record)?;
            journal.flush()?;
        }
        for id in record.ids.iter().flatten() {
            settled.insert(folded_exact(id));
        }
    }
    Ok(settled)
}

/// Whether the user at `i` of `record` was created by its move (or may have been, in flight).
fn created(record: &Record, i: usize) -> bool {
    match &record.outcomes {
        Some(o) => o[i] == Outcome::Created,
        None => !record.present[i],
    }
}

/// The ids the segment's moves created and no undo took back: the real move's run (its
/// batches that keep ids: a live source's) and every drift pass.
fn created_ids(real: &Journal, run: u32, drift: &Journal) -> Result<Ids, MoveError> {
    let mut out = Ids::default();
    let mut add = |records: Vec<(u64, Record)>| {
        for (_, r) in records.into_iter().filter(|(_, r)| !r.undone) {
            for (i, id) in r.ids.iter().flatten().enumerate() {
                if created(&r, i) {
                    out.insert(folded_exact(id));
                }
            }
        }
    };
    add(real.records(run)?);
    if let Some(h) = drift.header()? {
        for run in 1..=h.run {
            add(drift.records(run)?);
        }
    }
    Ok(out)
}

/// Users the drift passes created and no undo took back (what the segment holds beyond its
/// real move).
pub fn created_total(drift: &Journal) -> Result<u64, MoveError> {
    let Some(h) = drift.header()? else {
        return Ok(0);
    };
    let mut n = 0;
    for run in 1..=h.run {
        for (_, r) in drift.records(run)?.into_iter().filter(|(_, r)| !r.undone) {
            n += (0..r.lines.len()).filter(|&i| created(&r, i)).count() as u64;
        }
    }
    Ok(n)
}

/// Delete the users every drift pass of the segment created (a rollback), but those in
/// `keep` (active on the target since they moved); resumable batch by batch. The users it
/// updated stay, with the legacy system's values. Returns the users deleted.
pub async fn undo(
    target: &Client,
    drift: &Journal,
    keep: &HashSet<String>,
) -> Result<u64, MoveError> {
    let Some(mut header) = drift.begin_undo()? else {
        return Ok(0);
    };
    let mut deleted = 0u64;
    for run in 1..=header.run {
        for (n, mut record) in drift.records(run)? {
            if record.undone {
                continue;
            }
            let ids = record.ids.clone().unwrap_or_default();
            let mut gone: Vec<Who> = (0..ids.len())
                .filter(|&i| created(&record, i) && !keep.contains(&ids[i]))
                .map(|i| Who {
                    id: &ids[i],
                    email: None,
                })
                .collect();
            if record.outcomes.is_none() {
                let now = target.present(&gone).await?;
                gone.retain(|w| now.contains(w.id));
            }
            target.delete(&gone).await?;
            deleted += gone.len() as u64;
            record.undone = true;
            drift.set_record(run, n, &record)?;
            drift.flush()?;
        }
    }
    header.state = State::Undone;
    drift.set_header(&header)?;
    drift.flush()?;
    Ok(deleted)
}
