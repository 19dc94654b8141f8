//! Verdicts of test checks and gate criteria: pass, fail or unknown, each with a reason.
//!
//! Unknown never passes. The evaluation of live criteria (metric thresholds, projection
//! adherence, soak, freshness) produces these; the phase machine only reads them.

use serde::{Deserialize, Serialize};

/// The state of one check or criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    Unknown,
}

/// One evaluated check or criterion: its name, state and a reason a person can act on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub name: String,
    pub status: Status,
    pub reason: String,
}

impl Verdict {
    pub fn passes(&self) -> bool {
        self.status == Status::Pass
    }
}

/// A one-line summary such as `3/3 pass`, `1/3 pass, 1 unknown` or `no criteria`.
pub fn summary(verdicts: &[Verdict]) -> String {
    if verdicts.is_empty() {
        return "no criteria".to_string();
    }
    let pass = verdicts.iter().filter(|v| v.passes()).count();
    let unknown = verdicts
        .iter()
        .filter(|v| v.status == Status::Unknown)
        .count();
    let mut s = format!("{pass}/{} pass", verdicts.len());
    if unknown > 0 {
        s.push_str(&format!(", {unknown} unknown"));
    }
    s
}

/// The reasons of every verdict that does not pass, joined for a refusal message.
pub fn blockers(verdicts: &[Verdict]) -> Option<String> {
    let failing: Vec<String> = verdicts
        .iter()
        .filter(|v| !v.passes())
        .map(|v| match v.status {
            Status::Unknown => format!("{}: unknown ({})", v.name, v.reason),
            _ => format!("{}: {}", v.name, v.reason),
        })
        .collect();
    (!failing.is_empty()).then(|| failing.join("; "))
}
