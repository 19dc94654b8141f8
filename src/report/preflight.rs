//! The report's pre-flight section: the latest audit of each segment's export (or the
//! project's), as `cutover audit` prints it without its examples, and each segment's test
//! checks with their latest results. Counts and opaque ids only, as the state holds them.

use crate::engine::Engine;
use crate::engine::status::ProjectStatus;
use crate::model::gate::Status;
use std::collections::BTreeSet;
use std::fmt::Write;

/// The section's Markdown (empty when no audit was recorded and no segment has checks).
pub fn section(engine: &Engine, status: &ProjectStatus) -> String {
    let mut md = String::new();
    let mut shown = BTreeSet::new();
    let audits: Vec<_> = status
        .segments
        .iter()
        .filter_map(|s| engine.latest_audit_event(&s.id))
        .filter(|e| shown.insert(e.seq))
        .collect();
    let with_checks: Vec<_> = status
        .segments
        .iter()
        .filter(|s| !s.checks.is_empty())
        .collect();
    if audits.is_empty() && with_checks.is_empty() {
        return md;
    }
    let _ = writeln!(md, "\n## Pre-flight\n");
    for e in audits {
        let Some(audit) = &e.body.audit else { continue };
        let whose = if e.body.segment == crate::engine::checks::PROJECT_WIDE {
            "the project".to_string()
        } else {
            e.body.segment.clone()
        };
        let _ = writeln!(
            md,
            "### Audit for {whose} (event {}, by {} at {})\n",
            e.seq,
            e.body.actor,
            e.body.at.format("%Y-%m-%d %H:%M UTC")
        );
        let _ = writeln!(md, "```\n{}\n```\n", crate::audit::text::render(audit));
    }
    for s in with_checks {
        let when = s.checks_at.map_or_else(
            || "never run".to_string(),
            |t| format!("last run {}", t.format("%Y-%m-%d %H:%M UTC")),
        );
        let _ = writeln!(md, "### Test checks of {} ({when})\n", s.id);
        for v in &s.checks {
            let mark = match v.status {
                Status::Pass => "✓",
                Status::Fail => "✗",
                Status::Unknown => "?",
            };
            let _ = writeln!(md, "- {mark} {}: {}", v.name, v.reason);
        }
        md.push('\n');
    }
    md
}
