//! The rollback delta: what rolling a segment back would lose. Every user its move created and
//! no undo has deleted is read back on the target (one listing, as a reconciliation lists), and
//! counted as active when it logged in, changed its password or enrolled a second factor after
//! its own move: the moment the target acknowledged its batch, which the journal keeps. An
//! import's own timestamps (Firebase sets `passwordUpdatedAt` at upload) are no change: they
//! come before that moment, and a password change counts only when later than the user's
//! creation on the target (a target clock ahead of cutover's does not turn imports into
//! changes). A move enrols no second factor, so any is the user's own.
//!
//! The users drift passes created since (`cutover move --changed-since-move`) count with the
//! move's, each from its own pass's answer.
//!
//! The undo keeps active users unless the lead asks otherwise ([`Active::lines`] and
//! [`Active::drift_ids`] are what it leaves alone).

use crate::model::moved::RollbackDelta;
use crate::moving::MoveError;
use crate::moving::journal::{Journal, Outcome, State};
use crate::moving::plan::Plan;
use crate::moving::prepare::ByDigest;
use crate::moving::target::Client;
use std::collections::{HashMap, HashSet};

/// The delta, and the export lines of the active users (those the default undo keeps).
#[derive(Debug, Clone)]
pub struct Active {
    pub delta: RollbackDelta,
    pub lines: HashSet<u64>,
    /// The legacy ids of active users a drift pass created (kept by the default undo too).
    pub drift_ids: HashSet<String>,
}

/// A user the undo would delete: by its line in the real move, or its place among the users
/// drift passes created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Mover {
    Line(u64),
    Drift(usize),
}

/// The users drift passes created and no undo deleted, with when their batch was answered.
fn drift_created(journal: &Journal) -> Result<Vec<(String, i64)>, MoveError> {
    let drift = journal.sibling(crate::moving::journal::Which::Drift);
    let Some(h) = drift.header()? else {
        return Ok(Vec::new());
    };
    let started = h.started.timestamp_millis();
    let mut out = Vec::new();
    for run in 1..=h.run {
        for (_, r) in drift.records(run)?.into_iter().filter(|(_, r)| !r.undone) {
            let acked = r.acked_ms.unwrap_or(started);
            for (i, id) in r.ids.iter().flatten().enumerate() {
                let created = match &r.outcomes {
                    Some(o) => o[i] == Outcome::Created,
                    None => !r.present[i],
                };
                if created {
                    out.push((id.clone(), acked));
                }
            }
        }
    }
    Ok(out)
}

/// Read what a rollback of `plan`'s segment would lose on `target`.
pub async fn active(
    plan: &Plan,
    target: &Client,
    journal: &Journal,
    kind: &str,
) -> Result<Active, MoveError> {
    let at = chrono::Utc::now();
    let mut delta = RollbackDelta {
        segment: plan.segment.clone(),
        target: kind.to_string(),
        moved: 0,
        delete: 0,
        keep: 0,
        logged_in_since: None,
        password_changed_since: None,
        mfa_enrolled_since: None,
        at,
    };
    let drift = drift_created(journal)?;
    let header = journal.header()?;
    let header = match header {
        Some(h) if h.state != State::Undone || !drift.is_empty() => h,
        _ => {
            return Ok(Active {
                delta,
                lines: HashSet::new(),
                drift_ids: HashSet::new(),
            });
        }
    };
    // Each created user's line, and when its batch was answered.
    let started = header.started.timestamp_millis();
    let mut since: HashMap<u64, i64> = HashMap::new();
    let records = match header.state {
        State::Undone => Vec::new(),
        _ => journal.records(header.run)?,
    };
    // Users of a batch that keeps ids (a live source's) need no read of the export.
    let mut named: Vec<(u64, String, i64)> = Vec::new();
    for (_, r) in records {
        if r.undone {
            continue;
        }
        let acked = r.acked_ms.unwrap_or(started);
        for (i, &line) in r.lines.iter().enumerate() {
            let created = match &r.outcomes {
                Some(o) => o[i] == Outcome::Created,
                None => !r.present[i],
            };
            match (created, &r.ids) {
                (false, _) => {}
                (true, Some(ids)) => named.push((line, ids[i].clone(), acked)),
                (true, None) => {
                    since.insert(line, acked);
                }
            }
        }
    }
    delta.moved = (since.len() + named.len() + drift.len()) as u64;
    if !target.tells_activity().await? {
        // Nothing to read (a Keycloak realm that saves no events): every moved user is deleted.
        delta.delete = delta.moved;
        return Ok(Active {
            delta,
            lines: HashSet::new(),
            drift_ids: HashSet::new(),
        });
    }
    let ids = if since.is_empty() {
        // Only drift passes' users are left: their ids are in their journal.
        HashMap::new()
    } else {
        let (export, fields, wanted, sha) = (
            plan.export.clone(),
            plan.fields.clone(),
            since.keys().copied().collect::<HashSet<u64>>(),
            header.export_sha256.clone(),
        );
        crate::moving::run::blocking(move || {
            crate::moving::undo::read_ids(&export, &fields, &wanted, &sha)
        })
        .await?
    };
    // One id can be behind more than one created user: the move's, deleted on the target
    // since, and a drift pass's that created it again. Each is judged.
    let mut by_id: HashMap<u64, Vec<(Mover, i64)>, ByDigest> = HashMap::default();
    let mut add = |id: &str, who: Mover, acked: i64| {
        by_id
            .entry(crate::audit::values::folded_exact(id))
            .or_default()
            .push((who, acked));
    };
    for (line, (id, _)) in &ids {
        if let Some(&acked) = since.get(line) {
            add(id, Mover::Line(*line), acked);
        }
    }
    drop(ids);
    for (line, id, acked) in named {
        add(&id, Mover::Line(line), acked);
    }
    for (k, (id, acked)) in drift.iter().enumerate() {
        add(id, Mover::Drift(k), *acked);
    }
    let (mut logged_in, mut password, mut mfa) = (HashSet::new(), HashSet::new(), HashSet::new());
    target
        .list(&mut |page, _| {
            for h in page {
                let key = crate::audit::values::folded_exact(&h.legacy);
                for &(who, acked) in by_id.get(&key).into_iter().flatten() {
                    if h.last_login_ms.is_some_and(|t| t > acked) {
                        logged_in.insert(who);
                    }
                    // The import's own timestamp is no change: it is the user's creation on
                    // the target (and comes before the batch's answer, on a clock in step).
                    if h.password_changed_ms
                        .is_some_and(|t| t > acked && h.created_ms.is_none_or(|c| t > c))
                    {
                        password.insert(who);
                    }
                    if h.mfa {
                        mfa.insert(who);
                    }
                }
            }
        })
        .await?;
    let count = |s: &HashSet<Mover>| Some(s.len() as u64);
    delta.logged_in_since = count(&logged_in);
    delta.password_changed_since = count(&password);
    delta.mfa_enrolled_since = count(&mfa);
    let active: HashSet<Mover> = logged_in
        .iter()
        .chain(&password)
        .chain(&mfa)
        .copied()
        .collect();
    delta.keep = active.len() as u64;
    delta.delete = delta.moved - delta.keep;
    let (mut lines, mut drift_ids) = (HashSet::new(), HashSet::new());
    for m in active {
        match m {
            Mover::Line(line) => {
                lines.insert(line);
            }
            Mover::Drift(k) => {
                drift_ids.insert(drift[k].0.clone());
            }
        }
    }
    Ok(Active {
        delta,
        lines,
        drift_ids,
    })
}
