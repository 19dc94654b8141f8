//! A segment's moves as `status` shows them: the latest real move's and rehearsal's counts
//! (from their `move` events) and the real move's predicted duration from the rehearsal's
//! rate: the big-bang's downtime window, e.g. "270,000 users: about 41 min".

use super::Engine;
use crate::model::moved::MoveReport;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoveStatus {
    /// The latest real move (or its undo), as recorded.
    pub real: Option<MoveReport>,
    /// The latest rehearsal, as recorded.
    pub rehearsal: Option<MoveReport>,
    /// The real move's duration at the rehearsal's rate, in seconds.
    pub predicted_seconds: Option<f64>,
    /// The same in words, e.g. "270,000 users: about 41 min".
    pub prediction: Option<String>,
    /// Users the drift passes since the latest real move created (`move
    /// --changed-since-move`): a rollback's undo deletes them too.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub drift_created: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl MoveStatus {
    /// How many users a rollback's undo deletes now: what the latest real move and the drift
    /// passes after it created, unless it is undone already. Users that were on the target
    /// before the move are never counted.
    pub fn undo_deletes(&self) -> u64 {
        match &self.real {
            Some(r) if r.state == "moved" => r.created + self.drift_created,
            _ => 0,
        }
    }
}

pub use crate::model::moved::grouped;

/// A duration as a lead reads it: seconds under two minutes, minutes under two hours, else
/// hours.
pub fn about(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{:.0} s", seconds.max(1.0))
    } else if seconds < 7200.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}

impl Engine {
    /// The moves of `segment`, or `None` when it has no `[segments.move]` and none recorded.
    pub fn move_status(&self, segment: &str) -> Option<MoveStatus> {
        let latest = |which: &str| {
            let &i = self
                .latest
                .moves
                .get(&(segment.to_string(), which.to_string()))?;
            self.events[i].body.moved.as_deref().cloned()
        };
        let real = latest("real");
        let rehearsal = latest("rehearsal");
        // Every finished drift pass after the latest real move's event.
        let after = self
            .latest
            .moves
            .get(&(segment.to_string(), "real".to_string()))
            .copied();
        let drift_created = match after {
            Some(from) => self.events[from..]
                .iter()
                .filter(|e| e.body.segment == segment)
                .filter_map(|e| e.body.moved.as_deref())
                .filter(|m| m.which == "drift" && m.state == "moved")
                .map(|m| m.created)
                .sum(),
            None => 0,
        };
        let has_move = self
            .project
            .segment(segment)
            .is_some_and(|s| s.moving.is_some());
        if !has_move && real.is_none() && rehearsal.is_none() {
            return None;
        }
        let predicted_seconds = rehearsal.as_ref().and_then(MoveReport::predicted_seconds);
        let prediction = rehearsal
            .as_ref()
            .zip(predicted_seconds)
            .map(|(r, seconds)| {
                format!("{} users: about {}", grouped(r.settled()), about(seconds))
            });
        Some(MoveStatus {
            real,
            rehearsal,
            predicted_seconds,
            prediction,
            drift_created,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_durations_read_as_a_lead_says_them() {
        assert_eq!(grouped(270_000), "270,000");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000_000), "1,000,000");
        assert_eq!(about(2460.0), "41 min");
        assert_eq!(about(30.2), "30 s");
        assert_eq!(about(9000.0), "2.5 h");
    }
}
