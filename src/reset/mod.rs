//! Password resets for the users a move could not carry a password for, sent in waves paced
//! to the mail infrastructure (`cutover reset SEGMENT`, `[segments.reset] per_hour`).
//!
//! Who: every user the segment's real move created without a password (the export had none,
//! or `unverifiable = "without-password"`), read from the export by the move's own rules and
//! kept only if its journal says the move created it. Users skipped for a hash the target
//! cannot verify (`unverifiable = "skip"`) are not on the target, so nothing can reach them:
//! they are counted as `not_on_target`, and moving them without a password first is the fix.
//!
//! How: [`run::send_waves`], through the target's own reset flow
//! ([`crate::moving::reset_calls`]), at most `per_hour` in any hour, in waves every five
//! minutes ([`pace`]). Each send is journaled before it goes and after it is answered
//! ([`journal`]), so a resume after `kill -9` never sends a message twice: a user whose send
//! was under way when the process died is counted as `uncertain`, not sent again.
//!
//! Nothing personal is kept: the journal names users by their export line, and emails are read
//! from the export for the call only.

pub mod journal;
pub mod pace;
pub mod run;

use crate::moving::MoveError;
use crate::moving::journal::{Journal, Outcome};
use crate::moving::plan::Plan;
use crate::moving::prepare;
use crate::moving::target::Convert;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A user a reset goes to (in memory only, for the sends).
pub struct Person {
    /// Its line as the move numbered it (how the journals name it; for a live source, the
    /// line of the move's own read, whatever the directory holds now).
    pub line: u64,
    pub legacy: String,
    pub email: Option<String>,
}

/// Who needs a reset, and the move it follows.
pub struct Who {
    pub people: Vec<Person>,
    /// Users skipped for a hash the target cannot verify: not on the target.
    pub not_on_target: u64,
    /// The real move's run these users came with.
    pub move_run: u32,
}

/// The users of `plan`'s export the real move (its journal `moved`) created without a
/// password.
pub fn who(plan: &Plan, convert: Convert, moved: &Journal) -> Result<Who, MoveError> {
    let header = moved.header()?.ok_or_else(|| {
        MoveError::Setup(format!(
            "{} has not moved: `cutover reset` tells the users a move carried without a password to set one",
            plan.segment
        ))
    })?;
    let records: Vec<_> = moved
        .records(header.run)?
        .into_iter()
        .filter(|(_, r)| !r.undone)
        .collect();
    // A live source's batches keep their users' ids: users are matched by id, and keep the
    // line the move gave them (the reset journal's key), however the directory changed since.
    // A file's batches name users by line: an export rewritten since names others.
    let by_id = records.iter().all(|(_, r)| r.ids.is_some());
    if !by_id && prepare::digest(&plan.export, &plan.fields)?.sha256 != header.export_sha256 {
        return Err(MoveError::Changed {
            path: plan.export.shown(),
        });
    }
    let mut created: HashSet<u64> = HashSet::new();
    let mut created_ids: HashMap<String, u64> = HashMap::new();
    for (_, record) in &records {
        for (i, (line, outcome)) in record
            .lines
            .iter()
            .zip(record.outcomes.iter().flatten())
            .enumerate()
        {
            if *outcome == Outcome::Created {
                match &record.ids {
                    Some(ids) => {
                        created_ids.insert(ids[i].clone(), *line);
                    }
                    None => {
                        created.insert(*line);
                    }
                }
            }
        }
    }
    let rules = plan.rules(convert);
    let mut people = Vec::new();
    let passed = prepare::batches(&plan.export, &rules, 10_000, |_, batch| {
        for u in batch {
            let line = match created_ids.get(&u.id) {
                Some(&line) => Some(line),
                None => created.contains(&u.line).then_some(u.line),
            };
            if let (true, Some(line)) = (u.password.is_none(), line) {
                people.push(Person {
                    line,
                    legacy: u.id,
                    email: u.email,
                });
            }
        }
        true
    })?;
    Ok(Who {
        people,
        not_on_target: passed
            .skipped
            .get(prepare::Skip::Unverifiable.as_str())
            .copied()
            .unwrap_or(0),
        move_run: header.run,
    })
}

/// Where a segment's resets stand: counts only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResetReport {
    pub segment: String,
    /// `sending` (waves go on), `done` (every user settled) or `none` (never started).
    pub state: String,
    pub per_hour: u64,
    /// Users the move carried without a password.
    pub users: u64,
    pub sent: u64,
    /// Refused by the target for the user (not found, no email), by code.
    pub refused: BTreeMap<String, u64>,
    /// Under way when the process died: maybe sent, never sent again.
    pub uncertain: u64,
    /// Skipped by the move for a hash the target cannot verify: not on the target.
    pub not_on_target: u64,
}

impl ResetReport {
    /// Users not settled yet.
    pub fn left(&self) -> u64 {
        self.users
            .saturating_sub(self.sent + self.uncertain + self.refused.values().sum::<u64>())
    }

    /// "eu: 1,200 of 4,210 reset messages sent (500 an hour); 2 refused (http-404); ..."
    pub fn text(&self) -> String {
        let g = crate::model::moved::grouped;
        let mut s = format!(
            "{}: {} of {} reset messages sent ({} an hour, waves every 5 min)",
            self.segment,
            g(self.sent),
            g(self.users),
            g(self.per_hour)
        );
        let refused: u64 = self.refused.values().sum();
        if refused > 0 {
            let codes: Vec<String> = self
                .refused
                .iter()
                .map(|(c, n)| format!("{c} {}", g(*n)))
                .collect();
            s.push_str(&format!("; {} refused ({})", g(refused), codes.join(", ")));
        }
        if self.uncertain > 0 {
            s.push_str(&format!(
                "; {} uncertain (under way when the process stopped; not sent again)",
                g(self.uncertain)
            ));
        }
        if self.left() > 0 {
            let hours = self.left() as f64 / self.per_hour.max(1) as f64;
            s.push_str(&format!("; {} left, about {hours:.1} h", g(self.left())));
        }
        if self.not_on_target > 0 {
            s.push_str(&format!(
                "\n{} users were skipped by the move for a hash the target cannot verify: no message reaches them until they move without a password (`unverifiable = \"without-password\"`)",
                g(self.not_on_target)
            ));
        }
        s.push('\n');
        s
    }
}
