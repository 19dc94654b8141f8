//! The commands that need no state: `check` (validate the project file) and `project` (the
//! projection math on the command line).

use super::print::COLORS;
use super::{Quiet, out};
use crate::config::{self, Severity};
use crate::model::projection;
use crate::report::palette::paint;
use anyhow::{Result, anyhow, bail};
use serde_json::{Value, json};
use std::path::Path;

/// What `check` says about one segment: its hooks, gate criteria and test checks by name.
struct Described {
    hooks: Vec<(&'static str, String)>,
    gates: Vec<String>,
    checks: Vec<String>,
}

fn describe(seg: &crate::config::Segment) -> Described {
    Described {
        hooks: [
            ("cutover", &seg.hooks.cutover),
            ("rollback", &seg.hooks.rollback),
            ("done", &seg.hooks.done),
        ]
        .into_iter()
        .filter_map(|(n, h)| h.as_ref().map(|h| (n, h.describe())))
        .collect(),
        gates: seg.gates.iter().map(|g| g.name().to_string()).collect(),
        checks: seg.checks.iter().map(|c| c.name.clone()).collect(),
    }
}

fn joined(items: &[String], none: &str) -> String {
    if items.is_empty() {
        none.to_string()
    } else {
        items.join("; ")
    }
}

/// `cutover check`: the file's verdict and its segments on stdout (left out with --quiet),
/// each problem on stderr, errors first; exit 1 when one is an error.
pub(super) fn check(dir: &Path, json: bool) -> Result<()> {
    let file = dir.join(config::FILE_NAME);
    let loaded = config::load(dir);
    if json {
        return check_json(&file, loaded);
    }
    match loaded {
        Ok((project, warnings)) => {
            for w in &warnings {
                anstream::eprintln!("{}", paint(COLORS.warn, &w.to_string()));
            }
            out::info(format_args!(
                "{}: {}: project '{}', {} segment(s){}",
                file.display(),
                paint(COLORS.ok, "ok"),
                project.name,
                project.segments.len(),
                if warnings.is_empty() {
                    String::new()
                } else {
                    paint(COLORS.warn, &format!(", {} warning(s)", warnings.len()))
                }
            ));
            for seg in &project.segments {
                let d = describe(seg);
                let hooks: Vec<String> = d.hooks.iter().map(|(n, h)| format!("{n}: {h}")).collect();
                out::info(format_args!(
                    "  {}  {}  size {}  goal {:.0} %  checks: {}  gates: {}  hooks: {}",
                    seg.id,
                    seg.strategy.as_str(),
                    seg.size,
                    seg.goal * 100.0,
                    joined(&d.checks, "none"),
                    joined(&d.gates, "no criteria"),
                    joined(&hooks, "none"),
                ));
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
                let style = match p.severity {
                    Severity::Error => COLORS.danger,
                    Severity::Warning => COLORS.warn,
                };
                anstream::eprintln!("{}", paint(style, &p.to_string()));
            }
            Err(anyhow!("{errors} problem(s) in {}", file.display()).context(Quiet))
        }
        Err(e) => Err(e.into()),
    }
}

/// `cutover check --json`: one object on stdout whatever the verdict (an unreadable file is
/// one problem); the exit code is the text form's, and stderr has only the summary.
fn check_json(
    file: &Path,
    loaded: Result<(config::Project, Vec<config::Problem>), config::LoadError>,
) -> Result<()> {
    let problem = |p: &config::Problem| {
        json!({
            "severity": match p.severity { Severity::Error => "error", Severity::Warning => "warning" },
            "line": p.line,
            "key": (!p.key.is_empty()).then_some(&p.key),
            "value": p.value,
            "message": p.message,
        })
    };
    let (project, segments, problems, errors) = match &loaded {
        Ok((project, warnings)) => {
            let segments: Vec<Value> = project
                .segments
                .iter()
                .map(|seg| {
                    let d = describe(seg);
                    let hooks: serde_json::Map<String, Value> = d
                        .hooks
                        .into_iter()
                        .map(|(n, h)| (n.to_string(), json!(h)))
                        .collect();
                    json!({
                        "id": seg.id, "strategy": seg.strategy.as_str(), "size": seg.size,
                        "goal": seg.goal, "checks": d.checks, "gates": d.gates, "hooks": hooks,
                    })
                })
                .collect();
            let problems: Vec<Value> = warnings.iter().map(problem).collect();
            (Some(project.name.clone()), segments, problems, 0)
        }
        Err(config::LoadError::Invalid(found)) => {
            let mut sorted = found.clone();
            sorted.sort_by_key(|p| (p.severity != Severity::Error, p.line));
            let errors = sorted
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .count();
            (
                None,
                Vec::new(),
                sorted.iter().map(problem).collect(),
                errors,
            )
        }
        Err(e @ config::LoadError::Missing { .. }) => {
            let message = json!({
                "severity": "error", "line": null, "key": null, "value": null,
                "message": e.to_string(),
            });
            (None, Vec::new(), vec![message], 1)
        }
    };
    let shape = json!({
        "ok": errors == 0,
        "file": file.display().to_string(),
        "project": project,
        "segments": segments,
        "problems": problems,
    });
    println!("{}", serde_json::to_string_pretty(&shape)?);
    if errors == 0 {
        Ok(())
    } else {
        Err(anyhow!("{errors} problem(s) in {}", file.display()).context(Quiet))
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
