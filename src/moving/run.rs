//! The move and its undo, batch by batch, exactly once.
//!
//! For each batch, in export order: the target is asked which of its ids it holds already
//! (those are "already present", and an undo never touches them); the batch's lines and that
//! answer are written to the journal and flushed; only then is the rest sent; the outcome of
//! each user is written and flushed before the next batch. A batch found in flight on resume
//! (a kill between the send and its outcome) is settled by asking the target again: a user
//! that was absent before and is there now was created by this move; one still absent is sent
//! again. So a resume re-sends at most the batch that was in flight, and the target ends with
//! every user once.
//!
//! The undo walks the same journal ([`super::undo`]).

use super::journal::{Header, Journal, Outcome, Record, State};
use super::prepare::{self, Outgoing, Rules};
use super::problems::MoveError;
use super::report::Report;
use super::target::{Client, Form, Who};
use std::time::Instant;

pub use super::plan::Plan;

/// Users the export's reader hands over at once.
const CHUNK: usize = 10_000;

/// A request to stop a move at the end of its batch in flight (a pause, or a rollback that
/// must undo it), shared by the owner and the move's task.
#[derive(Debug, Clone, Default)]
pub struct Stop(std::sync::Arc<std::sync::Mutex<Option<&'static str>>>);

impl Stop {
    /// Ask the move to stop, saying why.
    pub fn ask(&self, why: &'static str) {
        if let Ok(mut slot) = self.0.lock() {
            slot.get_or_insert(why);
        }
    }

    /// Why the move was asked to stop, if it was.
    pub fn asked(&self) -> Option<&'static str> {
        self.0.lock().ok().and_then(|s| *s)
    }
}

/// How far a move or an undo is: users settled of those to settle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub of: u64,
}

/// The export's digest, and how many emails several rows share when the policy refuses to
/// move any of them: what must be known before the first batch goes.
fn before_sending(plan: &Plan) -> impl FnOnce() -> Result<(prepare::Seal, u64), MoveError> + use<> {
    let (export, fields, policy) = (
        plan.export.clone(),
        plan.fields.clone(),
        plan.duplicate_emails,
    );
    move || {
        let sha = prepare::digest(&export, &fields)?;
        let groups = match policy {
            crate::config::moves::DuplicateEmails::Fail => {
                prepare::duplicate_emails(&export, &fields)?
            }
            crate::config::moves::DuplicateEmails::Skip => 0,
        };
        Ok((sha, groups))
    }
}

pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, MoveError> + Send + 'static,
) -> Result<T, MoveError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| MoveError::Setup(format!("the export reader stopped: {e}")))?
}

/// Move the plan's users into `target`, resuming the journal's move if one is unfinished. A
/// finished move sends nothing and answers its report again.
pub async fn move_users(
    plan: &Plan,
    target: &Client,
    journal: &Journal,
    stop: &Stop,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Report, MoveError> {
    let old = journal.header()?;
    if let Some(h) = &old
        && h.state == State::Moved
    {
        return Report::of(&plan.segment, h, journal);
    }
    let (seal, shared_emails) = blocking(before_sending(plan)).await?;
    if shared_emails > 0 {
        return Err(MoveError::DuplicateEmails {
            groups: shared_emails,
        });
    }
    let resumed = matches!(&old, Some(h) if h.state == State::Moving);
    let mut header = match old {
        Some(h) if h.state == State::Moving => {
            if h.export_sha256 != seal.sha256 {
                return Err(MoveError::Changed {
                    path: plan.export.shown(),
                });
            }
            h
        }
        Some(h) if h.state != State::Undone => {
            return Err(MoveError::Setup(format!(
                "segment '{}' has a move being undone; finish the rollback first",
                plan.segment
            )));
        }
        old => Header {
            run: old.map_or(1, |h| h.run + 1),
            state: State::Moving,
            export_sha256: seal.sha256.clone(),
            batch: plan.batch,
            started: chrono::Utc::now(),
            seconds: 0.0,
            rows: 0,
            skipped: Default::default(),
            without_password: 0,
            moving: 0,
            kept: 0,
            since: None,
        },
    };
    journal.set_header(&header)?;
    journal.flush()?;

    // The users to move: known from an earlier pass of this move, else the segment's size.
    let estimate = if header.moving > 0 {
        header.moving
    } else {
        plan.expected
    };
    // The reader hands over chunks of at most CHUNK users, gathered here into the journal's
    // batches: a reader blocked on a full channel then holds a chunk, not a whole batch (a
    // FusionAuth batch is 100,000 users), so memory stays about one batch.
    let size = header.batch as usize;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Outgoing<Form>>>(1);
    let reader = {
        let rules_plan = (
            plan.export.clone(),
            plan.fields.clone(),
            plan.verdicts.clone(),
            plan.unverifiable,
            plan.duplicate_emails,
            size.min(CHUNK),
        );
        let (convert, usernames) = (target.convert(), target.takes_usernames());
        let (only, tag) = (plan.only.clone(), plan.tag.clone());
        tokio::task::spawn_blocking(move || {
            let (export, fields, verdicts, unverifiable, duplicate_emails, size) = rules_plan;
            let rules = Rules {
                fields: &fields,
                verdicts: &verdicts,
                convert,
                usernames,
                unverifiable,
                duplicate_emails,
                only: only.as_deref(),
                tag,
            };
            prepare::batches(&export, &rules, size, |_, b| tx.blocking_send(b).is_ok())
        })
    };
    let run = header.run;
    // A live source's users are also kept by id: its numbering shifts as users come and go.
    let live = plan.export.file().is_none();
    let of = estimate;
    let mut done = 0u64;
    let mut failure = None;
    let (pass, mut paced) = (Instant::now(), 0u64);
    let (mut pending, mut open, mut n) = (Vec::with_capacity(size), true, 0u64);
    let mut reader = Some(reader);
    let mut passed = None;
    while open || !pending.is_empty() {
        if open && pending.len() < size {
            if let Some(mut chunk) = rx.recv().await {
                pending.append(&mut chunk);
                continue;
            }
            // The reader ended: the last, short batch goes only if it read the whole export
            // (a batch cut short by a read error would differ from the same batch on resume).
            open = false;
            if let Some(r) = reader.take() {
                match r.await {
                    Ok(Ok(p)) => passed = Some(p),
                    Ok(Err(e)) => {
                        failure = Some(e);
                        break;
                    }
                    Err(e) => {
                        failure = Some(MoveError::Setup(format!("the export reader stopped: {e}")));
                        break;
                    }
                }
            }
            if pending.is_empty() {
                break;
            }
        }
        let rest = if pending.len() > size {
            pending.split_off(size)
        } else {
            Vec::with_capacity(size)
        };
        let batch = std::mem::replace(&mut pending, rest);
        let number = n;
        n += 1;
        if let Some(why) = stop.asked() {
            failure = Some(MoveError::Stopped(why));
            break;
        }
        let started = Instant::now();
        match send_batch(run, number, &batch, target, journal, live).await {
            Ok(sent) => {
                // A batch the journal had already (a resume) changes nothing to write.
                if sent {
                    // The lead's pace: no faster than `pace` users a second over this pass.
                    if let Some(pace) = plan.pace {
                        paced += batch.len() as u64;
                        let due = std::time::Duration::from_secs_f64(paced as f64 / pace as f64);
                        if let Some(wait) = due.checked_sub(pass.elapsed()) {
                            tokio::time::sleep(wait).await;
                        }
                    }
                    header.seconds += started.elapsed().as_secs_f64();
                    journal.set_header(&header)?;
                    journal.flush()?;
                }
                done += batch.len() as u64;
                progress(Progress {
                    done,
                    of: of.max(done),
                });
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    drop(rx);
    if let Some(r) = reader {
        // Stopped before the reader ended: it stops at its next chunk.
        let _ = r.await;
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let Some(passed) = passed else {
        return Err(MoveError::Setup(
            "the export reader ended without a count".into(),
        ));
    };
    match &passed.sealed {
        // A file: still the bytes the seal was taken of.
        None => prepare::unchanged(&plan.export, &plan.fields, &seal)?,
        // A live source: the read that handed out the batches is the one the journal's
        // numbers belong to, so it is the seal an undo checks. A resume's earlier batches came
        // from an earlier read, which must have found the same users in the same order.
        Some(sealed) if *sealed != header.export_sha256 => {
            if resumed {
                return Err(MoveError::Changed {
                    path: plan.export.shown(),
                });
            }
            header.export_sha256 = sealed.clone();
        }
        Some(_) => {}
    }
    header.counted(&passed);
    journal.set_header(&header)?;
    journal.flush()?;
    Report::of(&plan.segment, &header, journal)
}

/// Settle one batch; false when the journal had it already (nothing was sent).
async fn send_batch(
    run: u32,
    n: u64,
    batch: &[Outgoing<Form>],
    target: &Client,
    journal: &Journal,
    live: bool,
) -> Result<bool, MoveError> {
    let lines: Vec<u64> = batch.iter().map(|u| u.line).collect();
    let who: Vec<Who> = batch.iter().map(Who::of).collect();
    let (mut record, now) = match journal.record(run, n)? {
        Some(r) if r.outcomes.is_some() && r.lines == lines => return Ok(false),
        Some(r) if r.outcomes.is_some() => {
            return Err(MoveError::Journal {
                segment: String::new(),
                cause: format!("batch {n} holds other lines than the export gives now"),
            });
        }
        // In flight since before a kill: whoever is there now and was not before was created
        // by this move.
        Some(r) => {
            let now = target.present(&who).await?;
            (r, now)
        }
        None => {
            let present = target.present(&who).await?;
            let record = Record {
                lines: lines.clone(),
                present: batch.iter().map(|u| present.contains(&u.id)).collect(),
                ids: live.then(|| batch.iter().map(|u| u.id.clone()).collect()),
                ..Record::default()
            };
            journal.set_record(run, n, &record)?;
            journal.flush()?;
            (record, present)
        }
    };
    if record.lines != lines {
        return Err(MoveError::Journal {
            segment: String::new(),
            cause: format!("batch {n} holds other lines than the export gives now"),
        });
    }
    let mut outcomes = vec![Outcome::Created; batch.len()];
    let mut to_send = Vec::new();
    for (i, u) in batch.iter().enumerate() {
        if record.present[i] {
            outcomes[i] = Outcome::AlreadyPresent;
        } else if !now.contains(&u.id) {
            to_send.push(i);
        }
    }
    let users: Vec<&Outgoing<Form>> = to_send.iter().map(|&i| &batch[i]).collect();
    let answers = target.create(&users).await?;
    for (&i, answer) in to_send.iter().zip(answers) {
        if let Err(code) = answer {
            outcomes[i] = Outcome::Failed(record.code(&code));
        }
    }
    record.outcomes = Some(outcomes);
    record.acked_ms = Some(chrono::Utc::now().timestamp_millis());
    journal.set_record(run, n, &record)?;
    journal.flush()?;
    Ok(true)
}

/// The report of the journal's move as it stands (an empty one when there is none).
pub fn report(plan: &Plan, journal: &Journal) -> Result<Report, MoveError> {
    match journal.header()? {
        Some(h) => Report::of(&plan.segment, &h, journal),
        None => Ok(Report {
            segment: plan.segment.clone(),
            which: journal.which().as_str().to_string(),
            total: 0,
            created: 0,
            already_present: 0,
            updated: 0,
            skipped: Default::default(),
            failed: Default::default(),
            without_password: 0,
            seconds: 0.0,
            rate: 0.0,
            state: "none".into(),
            deleted: 0,
            kept: 0,
            started: None,
        }),
    }
}

/// The report of a finished move (`None` while it is unfinished or there is none).
pub fn finished(plan: &Plan, journal: &Journal) -> Result<Option<Report>, MoveError> {
    match journal.header()? {
        Some(h) if h.state == State::Moved => Report::of(&plan.segment, &h, journal).map(Some),
        _ => Ok(None),
    }
}
