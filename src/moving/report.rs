//! A move's end report, from its journal: the counts of the whole move across every resume
//! (total, created, already present, skipped by reason, failed by code, seconds, rate). What
//! `cutover move` prints and `--json` gives; counts and codes only.

use super::journal::{Header, Journal, Outcome, State};
use super::problems::MoveError;
use std::collections::BTreeMap;

pub use crate::model::moved::MoveReport as Report;

impl Report {
    /// The report of the journal's current move.
    pub fn of(segment: &str, header: &Header, journal: &Journal) -> Result<Report, MoveError> {
        let mut r = Report {
            segment: segment.to_string(),
            which: journal.which().as_str().to_string(),
            total: header.rows,
            created: 0,
            already_present: 0,
            updated: 0,
            skipped: header.skipped.clone(),
            failed: BTreeMap::new(),
            without_password: header.without_password,
            seconds: header.seconds,
            rate: 0.0,
            state: match header.state {
                State::Moving => "moving",
                State::Moved => "moved",
                State::Undoing => "undoing",
                State::Undone => "undone",
            }
            .to_string(),
            deleted: 0,
            kept: header.kept,
            started: Some(header.started),
        };
        for (_, record) in journal.records(header.run)? {
            for o in record.outcomes.iter().flatten() {
                match o {
                    Outcome::Created => r.created += 1,
                    Outcome::AlreadyPresent => r.already_present += 1,
                    Outcome::Updated => r.updated += 1,
                    Outcome::Failed(k) => {
                        let code = record
                            .codes
                            .get(usize::from(*k))
                            .map_or("UNKNOWN", String::as_str);
                        *r.failed.entry(code.to_string()).or_default() += 1;
                    }
                }
            }
        }
        if r.seconds > 0.0 {
            r.rate = r.settled() as f64 / r.seconds;
        }
        Ok(r)
    }

    /// The report as lines for a terminal.
    pub fn text(&self) -> String {
        let list = |m: &BTreeMap<String, u64>| {
            if m.is_empty() {
                "none".to_string()
            } else {
                m.iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        // A drift pass reads the users changed since the last move, and updates those the
        // target holds.
        let (read, updated) = if self.which == "drift" {
            (
                "users changed since the last move",
                format!("\n  updated             {}", self.updated),
            )
        } else {
            ("users in the export", String::new())
        };
        format!(
            "{} move of '{}': {}\n  {read:<20} {}\n  created             {} ({} without a password){updated}\n  already present     {}\n  skipped             {}\n  failed              {}\n  time                {:.1} s ({:.0} users/s)\n",
            self.which,
            self.segment,
            self.state,
            self.total,
            self.created,
            self.without_password,
            self.already_present,
            list(&self.skipped),
            list(&self.failed),
            self.seconds,
            self.rate
        )
    }
}
