//! `kind = "drift"` sources and gates: their keys checked, and each source joined to what it
//! counts once the project is whole: the segment's `[segments.move] export`, reached as
//! `[legacy]` says. A drift source on a file is
//! an error (a file cannot tell who changed since it was taken), and so is one on a segment
//! that moves nothing.

use super::file::{GateFile, SourceFile, SourceKind};
use super::found::Found;
use super::locate::KeyPath;
use super::{Project, ProjectFile, Severity, SourceRequest};
use crate::export::Source;
use crate::model::criteria::Criterion;

/// Give every drift source its segment's live export, or say why it has none.
pub(super) fn attach(project: &mut Project, raw: &ProjectFile, root: &KeyPath, found: &mut Found) {
    let access = project.legacy_access.clone();
    for seg in &mut project.segments {
        let export = seg.moving.as_ref().map(|m| {
            Source::named(
                &m.export.to_string_lossy(),
                std::path::Path::new(""),
                &access,
            )
        });
        for spec in &mut seg.sources {
            let metric = spec.metric.clone();
            let metric = metric.as_str();
            let SourceRequest::Drift {
                export: slot,
                modified,
                ..
            } = &mut spec.request
            else {
                continue;
            };
            let why = match &export {
                None => "counts changes to the segment's [segments.move] export, which this segment does not declare: add one whose export is an ldap:// URL or sql:".to_string(),
                Some(Err(e)) => format!("cannot read the segment's export: {e}"),
                Some(Ok(Source::File(_))) => "counts changes on the live legacy system, but the segment's export is a file, which cannot tell who changed since it was taken: make [segments.move] export an ldap:// URL or sql:".to_string(),
                Some(Ok(Source::Sql(_))) if modified.is_none() => {
                    "on sql: needs modified = \"COLUMN\", the [legacy.sql] query's column of each user's last change".to_string()
                }
                Some(Ok(source)) => {
                    *slot = Some(Box::new(source.clone()));
                    continue;
                }
            };
            // The segment's entry is searched for only to name a problem: a search for every
            // segment made a project of 100,000 segments take a minute to load.
            let index = raw
                .segments
                .iter()
                .position(|s| s.id == seg.id)
                .unwrap_or(0);
            let at = root
                .clone()
                .key("segments")
                .index(index)
                .key("sources")
                .key(metric);
            found.push((Severity::Error, at, why.into()));
        }
    }
}

/// The drift keys of a source's table that are wrong, by key: `since` that does not parse,
/// and `since` or `modified` on a source of another kind.
pub(super) fn keys(s: &SourceFile) -> Vec<(&'static str, String)> {
    let other = "applies to a drift source only; remove it or set kind = \"drift\"";
    let mut wrong = Vec::new();
    if let Some(since) = &s.since {
        match (s.kind, crate::export::drift::Since::parse(since)) {
            (SourceKind::Drift, Ok(_)) => {}
            (SourceKind::Drift, Err(why)) => wrong.push(("since", why)),
            _ => wrong.push(("since", other.to_string())),
        }
    }
    if s.modified.is_some() && s.kind != SourceKind::Drift {
        wrong.push(("modified", other.to_string()));
    }
    wrong
}

/// A `kind = "drift"` gate: legacy users changed since the last move, at most `max_drift`
/// (default 0), read from the source `metric` names (default `drift`).
pub(super) fn gate(g: &GateFile) -> Criterion {
    let max = g.max_drift.unwrap_or(0);
    Criterion::Metric {
        metric: g.metric.clone().unwrap_or_else(|| "drift".to_string()),
        min: None,
        max: Some(max as f64),
        label: Some(
            g.name
                .clone()
                .unwrap_or_else(|| format!("legacy users changed since the move ≤ {max}")),
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::load::{LoadError, parse};

    /// A drift source the project cannot serve is named at its own segment's entry, the
    /// second here, on its line.
    #[test]
    fn a_drift_source_s_problem_is_located_at_its_segment() {
        let src = "[project]\nname = \"Drift\"\n\
            [[segments]]\nid = \"staff\"\nstrategy = \"big-bang\"\nsize = 10\ngoal = 0.9\n\
            [[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = 10\ngoal = 0.9\n\
            [segments.sources.drift]\nkind = \"drift\"\n";
        let Err(LoadError::Invalid(problems)) = parse(std::path::Path::new("c.toml"), src) else {
            panic!("a drift source without an export reads");
        };
        let p = problems
            .iter()
            .find(|p| p.message.contains("[segments.move] export"))
            .unwrap_or_else(|| panic!("{problems:?}"));
        assert!(p.key.starts_with("segments[1]"), "{p:?}");
        assert_eq!(p.line, Some(13), "{p:?}");
    }
}
