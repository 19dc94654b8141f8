//! A move's plan: everything a move, its undo and a reconciliation need, resolved from the
//! project (the export, how its columns read, the target's verdicts on hashes, the policies),
//! with a connected client of the target. The owner builds it for a move; `cutover reconcile`
//! builds the same one, so both read the export by the same rules.

use super::target::Client;
use crate::config::moves::Target;
use crate::export::rows::Field;
use std::path::Path;

/// Everything a move needs, resolved from the project.
#[derive(Clone)]
pub struct Plan {
    pub segment: String,
    pub export: crate::export::Source,
    pub fields: Vec<Field>,
    pub verdicts: crate::audit::compat::Target,
    pub batch: u64,
    /// At most this many users a second.
    pub pace: Option<u64>,
    pub unverifiable: crate::config::moves::Unverifiable,
    pub duplicate_emails: crate::config::moves::DuplicateEmails,
    /// About how many users move (the segment's size), for progress until a pass has counted.
    pub expected: u64,
    /// A long-tail move's export lines (`move --remaining`); `None`: every user.
    pub only: Option<std::sync::Arc<std::collections::HashSet<u64>>>,
    /// The tag the move puts on each user it creates, and the one a reconciliation's scope
    /// keeps (`[segments.move] scope = "tag"`: the segment's id); `None`: untagged, and every
    /// user of the destination counts.
    pub tag: Option<std::sync::Arc<str>>,
}

impl Plan {
    /// The move's rules for reading its export with `convert`, as a reconciliation and the
    /// reset waves read it: every user (no long tail), no username, no tag.
    pub fn rules(
        &self,
        convert: super::target::Convert,
    ) -> super::prepare::Rules<'_, super::target::Form> {
        super::prepare::Rules {
            fields: &self.fields,
            verdicts: &self.verdicts,
            convert,
            usernames: false,
            unverifiable: self.unverifiable,
            duplicate_emails: self.duplicate_emails,
            only: None,
            tag: None,
        }
    }

    /// The plan of `segment`'s move into `target` (its real target or its rehearsal's), and a
    /// client of it; the error says what to fix.
    pub fn of(
        project: &crate::config::Project,
        project_dir: &Path,
        segment: &str,
        target: &Target,
    ) -> Result<(Plan, Client), String> {
        let Some(mv) = project.segment(segment).and_then(|s| s.moving.as_ref()) else {
            return Err(format!(
                "segment '{segment}' has no [segments.move]: name its export and target in cutover.toml"
            ));
        };
        let client = Client::connect(target)?;
        let table = match &project.audit.compatibility {
            None => crate::audit::compat::Table::built_in(),
            Some(path) => {
                let path = project_dir.join(path);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    format!(
                        "cannot read the compatibility table '{}': {e}",
                        path.display()
                    )
                })?;
                crate::audit::compat::Table::parse(&text, &path.display().to_string())
                    .map_err(|e| e.to_string())?
            }
        };
        let verdicts = table
            .target(target.kind())
            .map_err(|e| e.to_string())?
            .clone();
        let export = crate::export::Source::named(
            &mv.export.to_string_lossy(),
            project_dir,
            &project.legacy_access,
        )
        .map_err(|e| format!("[segments.move] export of '{segment}': {e}"))?;
        let plan = Plan {
            segment: segment.to_string(),
            export,
            fields: crate::audit::roles::fields(&project.audit),
            verdicts,
            batch: mv.batch,
            pace: mv.pace,
            unverifiable: mv.unverifiable,
            duplicate_emails: mv.duplicate_emails,
            expected: project.segment(segment).map_or(0, |s| s.size),
            only: None,
            tag: mv.tagged.then(|| std::sync::Arc::from(segment)),
        };
        Ok((plan, client))
    }
}
