//! The commands that need no state: `check` (validate the project file) and `project` (the
//! projection math on the command line).

use super::Quiet;
use crate::config::{self, Severity};
use crate::model::projection;
use anyhow::{Result, anyhow, bail};
use std::path::Path;

pub(super) fn check(dir: &Path) -> Result<()> {
    match config::load(dir) {
        Ok((project, warnings)) => {
            for w in &warnings {
                eprintln!("{w}");
            }
            println!(
                "{}: ok: project '{}', {} segment(s){}",
                dir.join(config::FILE_NAME).display(),
                project.name,
                project.segments.len(),
                if warnings.is_empty() {
                    String::new()
                } else {
                    format!(", {} warning(s)", warnings.len())
                }
            );
            for seg in &project.segments {
                let hooks: Vec<String> = [
                    ("cutover", &seg.hooks.cutover),
                    ("rollback", &seg.hooks.rollback),
                    ("done", &seg.hooks.done),
                ]
                .iter()
                .filter_map(|(n, h)| h.as_ref().map(|h| format!("{n}: {}", h.describe())))
                .collect();
                let gates = if seg.gates.is_empty() {
                    "no criteria".to_string()
                } else {
                    seg.gates
                        .iter()
                        .map(|g| g.name())
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                let checks = if seg.checks.is_empty() {
                    "none".to_string()
                } else {
                    seg.checks
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                println!(
                    "  {}  {}  size {}  goal {:.0} %  checks: {checks}  gates: {gates}  hooks: {}",
                    seg.id,
                    seg.strategy.as_str(),
                    seg.size,
                    seg.goal * 100.0,
                    if hooks.is_empty() {
                        "none".to_string()
                    } else {
                        hooks.join("; ")
                    }
                );
            }
            Ok(())
        }
        Err(config::LoadError::Invalid(problems)) => {
            let errors = problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .count();
            // Errors first, so the first line of stderr is an error.
            let mut sorted = problems.clone();
            sorted.sort_by_key(|p| (p.severity != Severity::Error, p.line));
            for p in &sorted {
                eprintln!("{p}");
            }
            Err(anyhow!(
                "{errors} problem(s) in {}",
                dir.join(config::FILE_NAME).display()
            )
            .context(Quiet))
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) fn project(p: f64, days: Option<f64>, goal: Option<f64>, json: bool) -> Result<()> {
    if !(p > 0.0 && p <= 1.0) {
        bail!("--p {p}: the daily login probability must be in (0, 1], e.g. --p 0.2");
    }
    if let Some(d) = days {
        if !(d >= 0.0 && d.is_finite()) {
            bail!("--days {d}: must be a number of days >= 0");
        }
        let share = projection::projected_share(p, d);
        if json {
            println!(
                "{}",
                serde_json::json!({ "p": p, "days": d, "share": share })
            );
        } else {
            println!("after {d} days at P = {p}: {:.2} % migrated", share * 100.0);
        }
        return Ok(());
    }
    let goal = goal.ok_or_else(|| anyhow!("give --days D or --goal G"))?;
    if !(goal > 0.0 && goal <= 1.0) {
        bail!("--goal {goal}: must be a share in (0, 1], e.g. --goal 0.9");
    }
    let days = projection::days_to_goal(p, goal);
    if json {
        println!(
            "{}",
            serde_json::json!({ "p": p, "goal": goal, "days": days })
        );
    } else {
        match days {
            Some(d) => println!(
                "{:.0} % migrated at P = {p} after {d:.1} days",
                goal * 100.0
            ),
            None => println!(
                "{:.0} % migrated at P = {p}: never (the curve only approaches 100 %)",
                goal * 100.0
            ),
        }
    }
    Ok(())
}
