//! The rollback delta: what rolling a segment back would lose. Every user its move created and
//! no undo has deleted is read back on the target (one listing, as a reconciliation lists), and
//! counted as active when it logged in, changed its password or enrolled a second factor after
//! its own move: the moment the target acknowledged its batch, which the journal keeps. An
//! import's own timestamps (Firebase sets `passwordUpdatedAt` at upload) are no change: they
//! come before that moment, and a password change counts only when later than the user's
//! creation on the target (a target clock ahead of cutover's does not turn imports into
//! changes). A move enrols no second factor, so any is the user's own.
//!
//! The undo keeps active users unless the lead asks otherwise ([`Active::lines`] is what it
//! leaves alone).

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
    let header = match journal.header()? {
        Some(h) if h.state != State::Undone => h,
        _ => {
            return Ok(Active {
                delta,
                lines: HashSet::new(),
            });
        }
    };
    // Each created user's line, and when its batch was answered.
    let started = header.started.timestamp_millis();
    let mut since: HashMap<u64, i64> = HashMap::new();
    for (_, r) in journal.records(header.run)? {
        if r.undone {
            continue;
        }
        let acked = r.acked_ms.unwrap_or(started);
        for (i, &line) in r.lines.iter().enumerate() {
            let created = match &r.outcomes {
                Some(o) => o[i] == Outcome::Created,
                None => !r.present[i],
            };
            if created {
                since.insert(line, acked);
            }
        }
    }
    delta.moved = since.len() as u64;
    if !target.tells_activity().await? {
        // Nothing to read (a Keycloak realm that saves no events): every moved user is deleted.
        delta.delete = delta.moved;
        return Ok(Active {
            delta,
            lines: HashSet::new(),
        });
    }
    let ids = {
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
    let by_id: HashMap<u64, (u64, i64), ByDigest> = ids
        .iter()
        .filter_map(|(line, (id, _))| {
            Some((
                crate::audit::values::folded_exact(id),
                (*line, *since.get(line)?),
            ))
        })
        .collect();
    drop(ids);
    let (mut logged_in, mut password, mut mfa) = (HashSet::new(), HashSet::new(), HashSet::new());
    target
        .list(&mut |page, _| {
            for h in page {
                let key = crate::audit::values::folded_exact(&h.legacy);
                let Some(&(line, acked)) = by_id.get(&key) else {
                    continue;
                };
                if h.last_login_ms.is_some_and(|t| t > acked) {
                    logged_in.insert(line);
                }
                // The import's own timestamp is no change: it is the user's creation on the
                // target (and comes before the batch's answer, on a clock in step).
                if h.password_changed_ms
                    .is_some_and(|t| t > acked && h.created_ms.is_none_or(|c| t > c))
                {
                    password.insert(line);
                }
                if h.mfa {
                    mfa.insert(line);
                }
            }
        })
        .await?;
    let count = |s: &HashSet<u64>| Some(s.len() as u64);
    delta.logged_in_since = count(&logged_in);
    delta.password_changed_since = count(&password);
    delta.mfa_enrolled_since = count(&mfa);
    let lines: HashSet<u64> = logged_in
        .iter()
        .chain(&password)
        .chain(&mfa)
        .copied()
        .collect();
    delta.keep = lines.len() as u64;
    delta.delete = delta.moved - delta.keep;
    Ok(Active { delta, lines })
}
