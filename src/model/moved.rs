//! What a move of users did, as the log keeps it and `cutover move --json` prints it: counts
//! and error codes only, never a user's id, email or a target's text. Built from the move's
//! journal (`moving::report`), so the counts cover the whole move across every resume.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A move's counts. `total` is every row of the export; the rest add up to it:
/// `created + already_present + updated + Σ skipped + Σ failed = total` once the move is
/// done. For a drift pass, the export is the legacy users changed since the last move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoveReport {
    pub segment: String,
    /// `real`, or `rehearsal` (into `[segments.move.rehearsal]`).
    pub which: String,
    pub total: u64,
    pub created: u64,
    pub already_present: u64,
    /// On the target already and updated with the legacy system's values (a drift pass,
    /// `cutover move --changed-since-move`; 0 for any other move).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub updated: u64,
    pub skipped: BTreeMap<String, u64>,
    pub failed: BTreeMap<String, u64>,
    /// Of those created, moved without a password (they set a new one).
    pub without_password: u64,
    /// Seconds spent sending, across every resume.
    pub seconds: f64,
    /// Users settled a second while sending (0 when nothing was sent).
    pub rate: f64,
    /// `moving`, `moved`, `undoing` or `undone`.
    pub state: String,
    /// Users the undo deleted (a rehearsal deletes what it created unless kept).
    #[serde(default)]
    pub deleted: u64,
    /// Users the undo left on the target because they were active there since they moved
    /// (the default policy: see [`RollbackDelta`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub kept: u64,
    /// When the move first started (a drift source counts legacy changes from then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<chrono::DateTime<chrono::Utc>>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What rolling a segment back would lose: of the users its move created (and an undo would
/// delete), how many were active on the target since their own move (the moment the target
/// acknowledged their batch). Counts only. A count is `None` where the target does not say (a
/// Keycloak realm that saves no events).
///
/// The undo keeps active users by default (`keep`); it deletes them only when the lead asks
/// for it explicitly (`cutover rollback SEGMENT --delete-active`, confirmed by typing the
/// segment's id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollbackDelta {
    pub segment: String,
    /// The target's kind.
    pub target: String,
    /// Users the move created that are not undone yet.
    pub moved: u64,
    /// Users the undo deletes under the default policy (the moved ones not active since).
    pub delete: u64,
    /// Users active since they moved, which the default undo keeps.
    pub keep: u64,
    pub logged_in_since: Option<u64>,
    pub password_changed_since: Option<u64>,
    pub mfa_enrolled_since: Option<u64>,
    /// When the target was read.
    pub at: chrono::DateTime<chrono::Utc>,
}

impl RollbackDelta {
    /// "84,012 users on fusionauth; 31,240 have logged in since they moved, 2,118 changed
    /// their password, 640 enrolled MFA".
    pub fn sentence(&self) -> String {
        let g = crate::model::moved::grouped;
        let part = |n: Option<u64>, what: &str| match n {
            Some(n) => format!("{} {what}", g(n)),
            None => format!("? {what} (the target does not say)"),
        };
        format!(
            "{} users on {}; {}, {}, {}",
            g(self.moved),
            self.target,
            part(self.logged_in_since, "have logged in since they moved"),
            part(self.password_changed_since, "changed their password"),
            part(self.mfa_enrolled_since, "enrolled MFA"),
        )
    }

    /// What the undo does under the default policy.
    pub fn policy(&self) -> String {
        format!(
            "a rollback deletes {} and keeps the {} active since they moved (delete them too: --delete-active)",
            grouped(self.delete),
            grouped(self.keep)
        )
    }
}

/// `n` with a comma every three digits.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl MoveReport {
    /// Users the target answered for: created, already there, or refused.
    pub fn settled(&self) -> u64 {
        self.created + self.already_present + self.updated + self.failed.values().sum::<u64>()
    }

    /// How long moving these users takes at this move's rate, in seconds (a rehearsal's
    /// prediction of the real move); `None` before anything was sent.
    pub fn predicted_seconds(&self) -> Option<f64> {
        (self.rate > 0.0).then(|| self.settled() as f64 / self.rate)
    }

    /// The report in one line, for the log's detail.
    pub fn summary(&self) -> String {
        let skipped: u64 = self.skipped.values().sum();
        let failed: u64 = self.failed.values().sum();
        format!(
            "{} move {}: {} users, {} created, {}{} already present, {} skipped, {} failed, {:.0} s ({:.0}/s){}",
            self.which,
            self.state,
            self.total,
            self.created,
            match self.updated {
                0 => String::new(),
                n => format!("{n} updated, "),
            },
            self.already_present,
            skipped,
            failed,
            self.seconds,
            self.rate,
            match (self.deleted, self.kept) {
                (0, 0) => String::new(),
                (d, 0) => format!(", {d} deleted again"),
                (d, k) => format!(", {d} deleted again, {k} active since kept"),
            }
        )
    }
}
