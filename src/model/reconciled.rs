//! What a reconciliation of a segment found, as the log keeps it: the legacy export against the
//! users its move's target holds, keyed on the legacy id. Counts only (the ids themselves go to
//! `cutover reconcile --json` or `--out`, never to the log), the limits it is judged by, and
//! the judgment the `reconciled` check, gate criterion and `done` rule share
//! ([`ReconciledSeen::judge`]).
//!
//! A reconciliation *passes* when every count is within its limit. A limit not given is 0:
//! reconciling is proving that every user arrived, so any difference fails unless the lead
//! said how many they tolerate. The limits come from the segment's `reconciled` gate
//! criterion, else its `reconciled` check, else all 0 (`config::Segment::reconciled_limits`).

use super::criteria::age;
use super::gate::Status;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The counts of one reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reconciliation {
    pub segment: String,
    /// `real` (the segment's target), or `rehearsal` (its `[segments.move.rehearsal]`).
    pub which: String,
    /// The target's kind (`fusionauth`, ...).
    pub target: String,
    /// Users in the segment's scope on the target.
    pub target_users: u64,
    /// Users of the export that the move sends (the rest were skipped by its rules).
    pub expected: u64,
    /// In the export, not on the target.
    pub missing: u64,
    /// On the target (in the scope), not in the export.
    pub extra: u64,
    /// Legacy ids held by more than one user on the target.
    pub duplicated: u64,
    /// On both, with an email, verified flag or disabled state that differ.
    pub changed: u64,
    /// On the target without a password where the export had one; `None` where the target's
    /// API does not say whether a user has a password.
    pub without_password: Option<u64>,
    /// Rows of the export the move's rules skip, by reason (not counted as missing).
    pub skipped: BTreeMap<String, u64>,
    /// Seconds the whole reconciliation took.
    pub seconds: f64,
    /// Within `limits`.
    pub ok: bool,
    pub limits: Limits,
}

/// The most of each difference a passing reconciliation may have (0 when not given).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub max_missing: u64,
    pub max_extra: u64,
    pub max_changed: u64,
    pub max_duplicated: u64,
    pub max_without_password: u64,
}

impl Reconciliation {
    /// Each count over its limit, as a phrase ("3 missing > max 0"); empty when it passes.
    pub fn failing(&self, limits: &Limits) -> Vec<String> {
        [
            ("missing", self.missing, limits.max_missing),
            ("extra", self.extra, limits.max_extra),
            ("duplicated", self.duplicated, limits.max_duplicated),
            ("changed", self.changed, limits.max_changed),
            (
                "without a password",
                self.without_password.unwrap_or(0),
                limits.max_without_password,
            ),
        ]
        .into_iter()
        .filter(|(_, n, max)| n > max)
        .map(|(what, n, max)| format!("{n} {what} > max {max}"))
        .collect()
    }

    /// The counts in one line, for the log's detail and the screens.
    pub fn summary(&self) -> String {
        let without = self
            .without_password
            .map_or_else(|| "not known".to_string(), |n| n.to_string());
        format!(
            "{} {} on {}: {} users there, {} expected; {} missing, {} extra, {} duplicated, {} changed, without a password {}",
            self.which,
            if self.ok {
                "reconciled"
            } else {
                "NOT reconciled"
            },
            self.target,
            self.target_users,
            self.expected,
            self.missing,
            self.extra,
            self.duplicated,
            self.changed,
            without
        )
    }
}

/// The segment's latest reconciliation, as the `reconciled` criterion and check read it.
#[derive(Debug, Clone)]
pub struct ReconciledSeen {
    pub found: Reconciliation,
    pub age_secs: f64,
    /// Taken before the segment's latest move ended: it says nothing of what that move did.
    pub before_move: bool,
}

impl ReconciledSeen {
    /// Pass or fail within `limits`, with the reason; unknown when there is none to judge.
    pub fn judge(
        seen: Option<&ReconciledSeen>,
        limits: &Limits,
        segment: &str,
    ) -> (Status, String) {
        let run = format!("run `cutover reconcile {segment}`");
        match seen {
            None => (Status::Unknown, format!("no reconciliation yet: {run}")),
            Some(s) if s.before_move => (
                Status::Unknown,
                format!("the latest reconciliation is older than the latest move: {run}"),
            ),
            Some(s) => {
                let failing = s.found.failing(limits);
                let r = &s.found;
                if failing.is_empty() {
                    (
                        Status::Pass,
                        format!(
                            "{} users on {}: {} missing, {} extra, {} changed, {} duplicated ({} old)",
                            r.target_users,
                            r.target,
                            r.missing,
                            r.extra,
                            r.changed,
                            r.duplicated,
                            age(s.age_secs)
                        ),
                    )
                } else {
                    (
                        Status::Fail,
                        format!(
                            "{} ({} old): {run} once fixed",
                            failing.join(", "),
                            age(s.age_secs)
                        ),
                    )
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_difference_fails_unless_a_limit_tolerates_it() {
        let r = Reconciliation {
            missing: 2,
            changed: 1,
            without_password: None,
            ..Default::default()
        };
        assert_eq!(
            r.failing(&Limits::default()),
            vec!["2 missing > max 0", "1 changed > max 0"]
        );
        let tolerant = Limits {
            max_missing: 2,
            max_changed: 1,
            ..Default::default()
        };
        assert!(r.failing(&tolerant).is_empty());
        assert!(r.summary().contains("without a password not known"));
    }
}
