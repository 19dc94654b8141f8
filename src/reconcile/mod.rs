//! Knowing every user: a segment's legacy export against the users its move's target holds,
//! keyed on the legacy id (`cutover reconcile SEGMENT`). Counts say whether every user
//! arrived; the ids behind each count (opaque legacy ids, never an email) go to `--json` or
//! `--out`, and the counts alone to the log, where the `reconciled` check and gate criterion
//! and the rule that a moving segment goes `done` only reconciled read them.
//!
//! - [`expected`]: the export, read by the move's own rules;
//! - [`tally`]: the comparison, page by page as the target lists its users
//!   ([`crate::moving::held`]);
//! - [`run`] (here): the whole, with the ids read back from the export by line;
//! - [`delta`]: what a rollback would lose (users active on the target since they moved).
//!
//! The scope on the target is the move's destination: the tenant, realm, connection or project
//! of `[segments.move]` (or of its rehearsal). Every user there counts, so segments that share
//! one destination each see the others' users as extra, unless `[segments.move] scope = "tag"`
//! narrows it: the move tags each user it creates with the segment's id, and a user the export
//! lacks counts only if it carries that tag.

pub mod delta;
pub mod expected;
pub mod tally;

use crate::model::reconciled::Reconciliation;
use crate::moving::MoveError;
use crate::moving::plan::Plan;
use crate::moving::target::Client;
use serde::Serialize;
use std::time::Instant;

/// What a reconciliation found: the counts the log keeps, and the ids behind them.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    #[serde(flatten)]
    pub counts: Reconciliation,
    pub missing_ids: Vec<String>,
    pub extra_ids: Vec<String>,
    pub duplicated_ids: Vec<String>,
    pub changed_ids: Vec<String>,
    pub without_password_ids: Vec<String>,
    /// The export lines of the missing users (what a long-tail move sends).
    #[serde(skip)]
    pub missing_lines: Vec<u64>,
}

/// Reconcile the export of `plan` with `target` (`which`: `real` or `rehearsal`), telling
/// `progress` how many of the target's users were listed, of how many when it says.
pub async fn run(
    plan: &Plan,
    target: &Client,
    which: &str,
    kind: &str,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<Found, MoveError> {
    let started = Instant::now();
    let convert = target.convert();
    let mut expected = {
        let plan = plan.clone();
        crate::moving::run::blocking(move || expected::read(&plan, convert)).await?
    };
    let mut tally = tally::Tally::default();
    tally.scope = plan.tag.as_deref().map(str::to_string);
    target
        .list(&mut |page, total| {
            for h in &page {
                tally.add(&mut expected, h);
            }
            progress(tally.target_users, total);
        })
        .await?;
    let lines = tally::Tally::lines(&expected);
    let ids = {
        let (export, fields, wanted) = (plan.export.clone(), plan.fields.clone(), lines.all());
        crate::moving::run::blocking(move || crate::moving::undo::ids_at(&export, &fields, &wanted))
            .await?
    };
    let named = |lines: &[u64]| -> Vec<String> {
        lines
            .iter()
            .filter_map(|l| ids.get(l).map(|(id, _)| id.clone()))
            .collect()
    };
    let mut duplicated_ids = named(&lines.duplicated);
    duplicated_ids.extend(tally.extra_twice.iter().cloned());
    let counts = Reconciliation {
        segment: plan.segment.clone(),
        which: which.to_string(),
        target: kind.to_string(),
        target_users: tally.target_users,
        expected: expected.users().len() as u64,
        missing: lines.missing.len() as u64,
        extra: tally.extra.len() as u64,
        duplicated: duplicated_ids.len() as u64,
        changed: lines.changed.len() as u64,
        without_password: target
            .tells_passwords()
            .then_some(lines.without_password.len() as u64),
        skipped: expected
            .passed
            .skipped
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        seconds: started.elapsed().as_secs_f64(),
        ok: false,
        limits: Default::default(),
    };
    let missing_ids = named(&lines.missing);
    Ok(Found {
        counts,
        missing_ids,
        extra_ids: tally.extra,
        duplicated_ids,
        changed_ids: named(&lines.changed),
        without_password_ids: named(&lines.without_password),
        missing_lines: lines.missing,
    })
}
