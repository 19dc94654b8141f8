//! Which password-hash schemes each target system can take: the table in
//! `src/audit/compatibility.toml`, one verdict per scheme and target, with the documentation
//! each target's verdicts rest on.
//!
//! The table is data, not code: a wrong cell is corrected in that file (and shipped in the
//! binary), or overridden for one project with `[audit] compatibility = "FILE"`. Loading checks
//! that every target names every scheme [`super::hash::classify`] can answer, so a gap shows up
//! as an error, never as a silent "importable".

use super::AuditError;
use super::hash::SCHEMES;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The table shipped with cutover.
pub const BUILT_IN: &str = include_str!("compatibility.toml");

pub use crate::model::audit::Move;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    pub verdict: Move,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub name: String,
    pub sources: Vec<String>,
    /// When the cells were last checked against the sources.
    pub checked: String,
    pub schemes: BTreeMap<String, Cell>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub targets: BTreeMap<String, Target>,
}

impl Table {
    /// Parse and check a table: every target lists every scheme, and no unknown one.
    pub fn parse(text: &str, origin: &str) -> Result<Table, AuditError> {
        let problems = |problems| AuditError::Table {
            origin: origin.to_string(),
            problems,
        };
        let table: Table = toml::from_str(text)
            .map_err(|e| problems(vec![e.message().trim().replace('\n', " ")]))?;
        let mut found = Vec::new();
        for (id, t) in &table.targets {
            for s in SCHEMES {
                if !t.schemes.contains_key(*s) {
                    found.push(format!("target '{id}' has no verdict for scheme '{s}'"));
                }
            }
            for s in t.schemes.keys() {
                if !SCHEMES.contains(&s.as_str()) {
                    found.push(format!(
                        "target '{id}' names scheme '{s}', which cutover does not recognise (known: {})",
                        SCHEMES.join(", ")
                    ));
                }
            }
            if t.sources.is_empty() {
                found.push(format!("target '{id}' cites no sources"));
            }
        }
        if found.is_empty() {
            Ok(table)
        } else {
            Err(problems(found))
        }
    }

    /// The table shipped with cutover.
    pub fn built_in() -> Table {
        Table::parse(BUILT_IN, "the built-in compatibility table")
            .unwrap_or_else(|e| panic!("{e}: the shipped table is checked by a unit test"))
    }

    /// A target by id, or an error listing the ones there are.
    pub fn target(&self, id: &str) -> Result<&Target, AuditError> {
        self.targets
            .get(id)
            .ok_or_else(|| AuditError::UnknownTarget {
                id: id.to_string(),
                known: self.targets.keys().cloned().collect(),
            })
    }
}

impl Target {
    /// The verdict for a scheme (a scheme outside the table cannot move).
    pub fn verdict(&self, scheme: &str) -> (Move, &str) {
        self.schemes
            .get(scheme)
            .map_or((Move::Reset, "not in the compatibility table"), |c| {
                (c.verdict, c.note.as_str())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_is_whole_and_cites_its_sources() {
        let t = Table::parse(BUILT_IN, "built-in").expect("the shipped table parses");
        for id in ["fusionauth", "keycloak", "auth0", "authgear", "cognito"] {
            let target = t.target(id).expect("target");
            assert!(target.sources.iter().all(|s| s.starts_with("https://")));
            assert_eq!(target.verdict("empty").0, Move::Reset, "{id}");
            assert_eq!(target.verdict("unknown").0, Move::Reset, "{id}");
        }
        assert!(t.target("okta").is_err());
    }

    #[test]
    fn a_gap_or_a_stray_scheme_is_an_error() {
        let text = BUILT_IN.replacen("bcrypt-2a =", "bcrypt-2q =", 1);
        let err = Table::parse(&text, "x.toml").expect_err("gap").to_string();
        assert!(err.contains("no verdict for scheme 'bcrypt-2a'"), "{err}");
        assert!(err.contains("'bcrypt-2q'"), "{err}");
    }
}
