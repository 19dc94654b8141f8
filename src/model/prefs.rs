//! What the cockpit remembers per user between sessions: where "since you last looked" starts,
//! and how the overview's rows are sorted and grouped.
//!
//! It is kept in the project's state (a note per OS user name, beside the notification
//! cursors), not in a file of one process or one machine: a lead who looks from a laptop in the
//! morning and from a jump host at night is one reader, and on the team backend every machine
//! reads the same note.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How the overview orders its segment rows (`s` cycles through them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SortKey {
    /// As the project file lists them.
    #[default]
    File,
    /// By phase, what is under way first: rollback-failed, cutover, gate, test, plan, then
    /// rolled back, then done.
    Phase,
    /// Most points behind the projection first; segments with no projection last.
    Behind,
    /// Earliest forecast (or planned) finish first; never and unknown last.
    Finish,
}

impl SortKey {
    /// The next sort in the cycle.
    pub fn next(self) -> SortKey {
        match self {
            SortKey::File => SortKey::Phase,
            SortKey::Phase => SortKey::Behind,
            SortKey::Behind => SortKey::Finish,
            SortKey::Finish => SortKey::File,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::File => "file order",
            SortKey::Phase => "phase",
            SortKey::Behind => "behind",
            SortKey::Finish => "finish",
        }
    }
}

/// One user's cockpit memory. Every field has a default, so an older or newer note still
/// reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserPrefs {
    /// The newest event this user's cockpit had shown when it last saved (on quit, and about
    /// once a minute while open). `None`: never looked.
    pub seen_seq: Option<u64>,
    /// When that was.
    pub seen_at: Option<DateTime<Utc>>,
    pub sort: SortKey,
    /// Rows grouped by strategy (slow, then big-bang), sorted within each group.
    pub group: bool,
}

impl UserPrefs {
    /// "phase, grouped by strategy": the rows' order in words; `None` for the project file's
    /// order, ungrouped.
    pub fn order(&self) -> Option<String> {
        match (self.sort, self.group) {
            (SortKey::File, false) => None,
            (SortKey::File, true) => Some("grouped by strategy".to_string()),
            (k, false) => Some(format!("by {}", k.as_str())),
            (k, true) => Some(format!("by {}, grouped by strategy", k.as_str())),
        }
    }

    /// Decode a stored note; a note that does not decode is treated as absent (the cockpit then
    /// starts as for a new user), never as an error that keeps the cockpit from opening.
    pub fn decode(bytes: &[u8]) -> Option<UserPrefs> {
        serde_json::from_slice(bytes).ok()
    }

    /// `self` saved over `stored`: the seen marker never goes back (two cockpits of one user
    /// may save in any order), the sort and grouping are the latest choice.
    pub fn merged_over(self, stored: Option<&UserPrefs>) -> UserPrefs {
        let Some(stored) = stored else {
            return self;
        };
        let (seen_seq, seen_at) = if stored.seen_seq > self.seen_seq {
            (stored.seen_seq, stored.seen_at)
        } else {
            (self.seen_seq, self.seen_at)
        };
        UserPrefs {
            seen_seq,
            seen_at,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sort_cycles_through_every_key_and_back() {
        let mut k = SortKey::File;
        let mut seen = vec![k];
        for _ in 0..4 {
            k = k.next();
            seen.push(k);
        }
        assert_eq!(
            seen,
            [
                SortKey::File,
                SortKey::Phase,
                SortKey::Behind,
                SortKey::Finish,
                SortKey::File
            ]
        );
    }

    #[test]
    fn the_seen_marker_never_moves_back_but_the_sort_is_the_latest() {
        let stored = UserPrefs {
            seen_seq: Some(40),
            sort: SortKey::Phase,
            ..UserPrefs::default()
        };
        let older = UserPrefs {
            seen_seq: Some(12),
            sort: SortKey::Finish,
            group: true,
            ..UserPrefs::default()
        };
        let merged = older.merged_over(Some(&stored));
        assert_eq!(merged.seen_seq, Some(40));
        assert_eq!(merged.sort, SortKey::Finish);
        assert!(merged.group);
    }

    #[test]
    fn an_unreadable_note_reads_as_none_and_missing_fields_default() {
        assert_eq!(UserPrefs::decode(b"{not json"), None);
        let p = UserPrefs::decode(br#"{"sort":"behind"}"#).expect("decodes");
        assert_eq!(p.sort, SortKey::Behind);
        assert_eq!(p.seen_seq, None);
    }
}
