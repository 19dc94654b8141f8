//! The report's summary, `report.md`, around its charts: read from the engine into an owned
//! [`Draft`] (in the owner's loop, cheap), then drawn and written elsewhere ([`Draft::write`]).

use super::{ReportError, chart, pct, preflight, project_chart, segment_chart};
use crate::engine::Engine;
use crate::engine::status::ProjectStatus;
use crate::model::{PhaseShown, Status};
use chart::Chart;
use chrono::{DateTime, Utc};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// A report read from the engine and not yet drawn: the summary's text (personal data and
/// secrets already scrubbed) and each chart, by the file name it is drawn to.
pub struct Draft {
    markdown: String,
    charts: Vec<(String, Chart)>,
}

impl Draft {
    /// Draw every chart and write the report into `out`; returns the files written.
    pub fn write(&self, out: &Path) -> Result<Vec<PathBuf>, ReportError> {
        std::fs::create_dir_all(out).map_err(|e| ReportError::write(out, e))?;
        let mut written = Vec::new();
        for (name, chart) in &self.charts {
            let base = out.join(name);
            chart::write(chart, &base)?;
            written.extend([
                out.join(format!("{name}.png")),
                out.join(format!("{name}.svg")),
            ]);
        }
        let path = out.join("report.md");
        crate::files::write(&path, &self.markdown).map_err(|e| ReportError::write(&path, e))?;
        written.push(path);
        Ok(written)
    }

    /// Read what the report says at `now` from the engine.
    pub fn of(engine: &Engine, now: DateTime<Utc>) -> Result<Draft, ReportError> {
        let status = engine.status(now)?;
        draft(engine, &status, now)
    }

    /// [`Draft::of`] with the project's status at `now` already worked out (the owner's
    /// snapshot, which its clients were served).
    pub fn with_status(
        engine: &Engine,
        status: &ProjectStatus,
        now: DateTime<Utc>,
    ) -> Result<Draft, ReportError> {
        draft(engine, status, now)
    }
}

/// Write the report into `out` at once (both steps of [`Draft`]); returns the files written.
pub fn write(engine: &Engine, out: &Path, now: DateTime<Utc>) -> Result<Vec<PathBuf>, ReportError> {
    Draft::of(engine, now)?.write(out)
}

fn draft(
    engine: &Engine,
    status: &ProjectStatus,
    now: DateTime<Utc>,
) -> Result<Draft, ReportError> {
    let mut charts = Vec::new();
    let mut md = String::new();
    let p = engine.project();
    let route = match (&p.legacy, &p.target) {
        (Some(l), Some(t)) => format!(" ({l} → {t})"),
        _ => String::new(),
    };
    let total: u64 = status.segments.iter().map(|s| s.size).sum();
    let _ = writeln!(md, "# Migration report: {}{route}\n", p.name);
    let _ = writeln!(
        md,
        "Generated {} · {} of {total} users migrated (size-weighted over segments with a count).\n",
        now.format("%Y-%m-%d %H:%M UTC"),
        pct(status.migrated_share)
    );
    if let Some(c) = project_chart(engine, now)? {
        charts.push(("project".to_string(), c));
        let _ = writeln!(
            md,
            "![migrated share by segment](project.png) ([SVG](project.svg))\n"
        );
    }
    if let Some(d) = &status.decommission {
        let _ = writeln!(md, "## Switching the legacy system off\n");
        let _ = writeln!(md, "| condition | holds | what cutover sees | last held |");
        let _ = writeln!(md, "|---|---|---|---|");
        for c in &d.conditions {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                c.name,
                if c.holds { "yes" } else { "**no**" },
                c.detail,
                c.last_true.map_or_else(
                    || "never".to_string(),
                    |t| t.format("%Y-%m-%d %H:%M UTC").to_string()
                )
            );
        }
        let _ = writeln!(
            md,
            "\n{}\n",
            if d.ready {
                "Ready: every condition holds."
            } else {
                "Not ready."
            }
        );
    }
    let _ = writeln!(md, "## Segments\n");
    let _ = writeln!(
        md,
        "| segment | strategy | phase | size | migrated | projected | Δ pts | finish (planned) | forecast (range) | gates |"
    );
    let _ = writeln!(md, "|---|---|---|---:|---:|---:|---:|---|---|---|");
    for s in &status.segments {
        let finish = match s.phase {
            PhaseShown::Done => "reached".to_string(),
            PhaseShown::Cutover => s.planned_finish().to_string(),
            _ => s
                .days_to_goal
                .map_or_else(|| "—".into(), |d| format!("~{d:.0} days after cutover")),
        };
        let observed = s
            .forecast
            .as_ref()
            .map_or_else(|| "—".to_string(), |f| f.describe());
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {finish} | {observed} | {} |",
            s.id,
            s.strategy,
            s.phase,
            s.size,
            pct(s.migrated_share),
            pct(s.projected_share),
            s.deviation_points
                .map_or_else(|| "—".into(), |d| format!("{d:+.1}")),
            s.gates
        );
    }
    for s in &status.segments {
        let _ = writeln!(md, "\n### {} · {}\n", s.id, s.name);
        if let Some(c) = segment_chart(engine, &s.id, now)? {
            charts.push((s.id.clone(), c));
            let _ = writeln!(
                md,
                "![{} adoption]({}.png) ([SVG]({}.svg))\n",
                s.id, s.id, s.id
            );
        }
        let _ = writeln!(
            md,
            "- phase **{}**, {} of {} users migrated{}",
            s.phase,
            pct(s.migrated_share),
            s.size,
            s.cutover_at
                .map(|a| format!(
                    ", cut over {} (day {:.1})",
                    a.format("%Y-%m-%d %H:%M"),
                    s.days_in_cutover.unwrap_or(0.0)
                ))
                .unwrap_or_default()
        );
        if let Some(p) = &s.plateau {
            let _ = writeln!(md, "- {p}");
        }
        if let Some(c) = s
            .forecast
            .as_ref()
            .and_then(|f| f.churn)
            .filter(|c| c.speaks())
        {
            let _ = writeln!(md, "- {}; {}", c.never_line(), c.day_line());
        }
        if let Some(line) = super::text::move_line(s) {
            let _ = writeln!(md, "- ⇢ {line}");
        }
        if let Some(f) = &s.last_failure {
            let _ = writeln!(md, "- ✗ {f}");
        }
        if s.criteria.is_empty() {
            let _ = writeln!(md, "- gates: no criteria (passes)");
        }
        for v in &s.criteria {
            let mark = match v.status {
                Status::Pass => "✓",
                Status::Fail => "✗",
                Status::Unknown => "?",
            };
            let _ = writeln!(md, "- {mark} {}: {}", v.name, v.reason);
        }
    }
    md.push_str(&preflight::section(engine, status));
    let _ = writeln!(md, "\n## Audit log\n");
    let _ = writeln!(
        md,
        "| # | at (UTC) | segment | actor | action | outcome | reason | detail |"
    );
    let _ = writeln!(md, "|---:|---|---|---|---|---|---|---|");
    for e in engine.events() {
        let b = &e.body;
        let what = match (b.from, b.to) {
            (Some(f), Some(t)) => format!("{} {f} → {t}", b.kind),
            _ => b.kind.to_string(),
        };
        let outcome = match b.hook {
            Some(h) => format!("{h} hook {}", b.outcome.as_str()),
            None => b.outcome.as_str().to_string(),
        };
        let cell = |s: Option<&String>| {
            s.map_or_else(String::new, |s| s.replace('|', "\\|").replace('\n', " "))
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {what} | {outcome} | {} | {} |",
            e.seq,
            b.at.format("%Y-%m-%d %H:%M:%S"),
            b.segment,
            b.actor,
            cell(b.reason.as_ref()),
            cell(b.detail.as_ref())
        );
    }
    Ok(Draft {
        markdown: engine.redactor().scrub(&md),
        charts,
    })
}
