//! What a move of users did, as the log keeps it and `cutover move --json` prints it: counts
//! and error codes only, never a user's id, email or a target's text. Built from the move's
//! journal (`moving::report`), so the counts cover the whole move across every resume.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A move's counts. `total` is every row of the export; the rest add up to it:
/// `created + already_present + Σ skipped + Σ failed = total` once the move is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoveReport {
    pub segment: String,
    /// `real`, or `rehearsal` (into `[segments.move.rehearsal]`).
    pub which: String,
    pub total: u64,
    pub created: u64,
    pub already_present: u64,
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
}

impl MoveReport {
    /// Users the target answered for: created, already there, or refused.
    pub fn settled(&self) -> u64 {
        self.created + self.already_present + self.failed.values().sum::<u64>()
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
            "{} move {}: {} users, {} created, {} already present, {} skipped, {} failed, {:.0} s ({:.0}/s){}",
            self.which,
            self.state,
            self.total,
            self.created,
            self.already_present,
            skipped,
            failed,
            self.seconds,
            self.rate,
            if self.deleted > 0 {
                format!(", {} deleted again", self.deleted)
            } else {
                String::new()
            }
        )
    }
}
