//! Every group of users that share an email, a username or an id, so a lead can act on all
//! of them (not only the ten the table shows): `cutover audit --json` lists them under
//! `duplicate_groups`, and `--duplicates FILE` writes them as CSV, one user per row:
//! `kind,group,id,line` (kind is `email`, `username` or `id`; group counts from 1 within its
//! kind). A user is named by its opaque id (or `line N` when it has none, or its id is an
//! email) and its line in the export: never an email, a name or a hash.

use serde::Serialize;
use std::path::Path;

/// One user of a group.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub id: String,
    pub line: u64,
}

/// Users sharing one key.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// `email`, `username` or `id`: what the users share.
    pub kind: &'static str,
    /// The group's number within its kind, from 1.
    pub group: usize,
    pub users: Vec<Member>,
}

/// Write every group to `path` as CSV (`kind,group,id,line`, one user per row).
pub fn write_csv(groups: &[Group], path: &Path) -> Result<(), super::AuditError> {
    let fail = |source: csv::Error| super::AuditError::WriteGroups {
        path: path.to_path_buf(),
        source,
    };
    let mut w = csv::Writer::from_path(path).map_err(fail)?;
    w.write_record(["kind", "group", "id", "line"])
        .map_err(fail)?;
    for g in groups {
        for m in &g.users {
            w.write_record([g.kind, &g.group.to_string(), &m.id, &m.line.to_string()])
                .map_err(fail)?;
        }
    }
    w.flush().map_err(|e| fail(e.into()))
}
