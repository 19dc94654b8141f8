//! `cutover plan SEGMENT --logins EXPORT`: the slow-migration plan read from the legacy
//! system's last-login data (see [`crate::model::recency`]), written into `cutover.toml` on
//! request with `toml_edit`, so the file's comments and layout stay as the lead wrote them.
//!
//! Only counts and times are read from the export: no name, email or hash is kept or shown.

use crate::export::logins::{Read, read};
use crate::model::Cohort;
use crate::model::recency::Plan;
use anyhow::{Context, Result, anyhow, bail};
use chrono::Utc;
use std::path::{Path, PathBuf};

pub(super) struct Options {
    pub logins: PathBuf,
    pub field: Option<String>,
    pub created: Option<String>,
    pub count: Option<String>,
    pub at: Option<String>,
    pub migrated: u64,
    pub write: bool,
    pub json: bool,
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

pub(super) fn run(project_dir: &Path, segment: &str, o: &Options) -> Result<()> {
    let (project, _) = crate::config::load(project_dir).map_err(|e| anyhow!("{e}"))?;
    let seg = project.segment(segment).ok_or_else(|| {
        anyhow!("unknown segment '{segment}'; `cutover status` lists the segments of this project")
    })?;
    let at = match &o.at {
        Some(t) => super::import::parse_time(t).map_err(|e| anyhow!("--at: {e}"))?,
        None => Utc::now(),
    };
    let export = crate::export::Source::from_arg(&o.logins, &project.legacy_access)
        .map_err(anyhow::Error::msg)?;
    let read = read(
        &export,
        o.field.as_deref(),
        o.created.as_deref(),
        o.count.as_deref(),
        at,
    )?;
    if read.recency.users == 0 {
        let first = read
            .shown
            .first()
            .map_or_else(String::new, |(line, reason)| {
                format!("; line {line}: {reason}")
            });
        bail!(
            "'{}' holds no readable user ({} bad rows{first}); check --field and --created",
            o.logins.display(),
            read.bad
        );
    }
    let plan = read.recency.plan_after(seg.goal, o.migrated);
    let days: Vec<u32> = plan.shares.iter().map(|(d, _)| *d).collect();
    let churn = (!read.histories.is_empty())
        .then(|| crate::model::bgnbd::plan(&read.histories, &read.recency, &days));
    if o.json {
        let bad: Vec<_> = read
            .shown
            .iter()
            .map(|(l, r)| serde_json::json!({"line": l, "reason": r}))
            .collect();
        let out = serde_json::json!({
            "segment": segment, "field": read.field, "created": read.created,
            "bad_rows": read.bad, "first_bad_rows": bad, "goal": seg.goal, "plan": plan,
            "count": read.count,
            "churn": churn.as_ref().and_then(|c| c.as_ref().ok()),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_plan(segment, seg.goal, &read, &plan, &o.logins);
        if let Some(c) = &churn {
            print_churn(&read, &plan, c);
        }
    }
    if o.write {
        // The churn-aware plan, where there is one, is the better prior: its mix is written.
        // Not with --migrated: the recency mix plans the users not migrated yet, the
        // churn-aware one does not know who they are.
        let (cohorts, which) = match churn.as_ref().and_then(|c| c.as_ref().ok()) {
            Some(c) if !c.cohorts.is_empty() && o.migrated == 0 => {
                (&c.cohorts, "the churn-aware plan's mix")
            }
            _ => (&plan.cohorts, "the mix"),
        };
        if cohorts.is_empty() {
            bail!("no mix could be fitted; cutover.toml is unchanged");
        }
        write_cohorts(
            &project_dir.join(crate::config::FILE_NAME),
            segment,
            cohorts,
        )?;
        if !o.json {
            super::out::info(format_args!(
                "wrote {which} into cutover.toml as {segment}'s cohorts"
            ));
        }
    }
    Ok(())
}

fn print_plan(segment: &str, goal: f64, read: &Read, plan: &Plan, path: &Path) {
    let created = read
        .created
        .as_deref()
        .map_or_else(String::new, |c| format!(", created from '{c}'"));
    println!(
        "{segment}: {} users in '{}' (last login from '{}'{created})",
        plan.users,
        path.display(),
        read.field
    );
    for (d, s) in &plan.shares {
        let s = s.map_or_else(|| "— (too few accounts that old)".to_string(), pct);
        println!(
            "  last login within {d:>3} days: {s:>8}   = projected share {d} days after cutover"
        );
    }
    match plan.days_to_goal {
        Some(d) => println!("  goal {}: day {d:.0} after cutover", pct(goal)),
        None => println!(
            "  goal {}: never within {:.0} days",
            pct(goal),
            plan.horizon_days
        ),
    }
    println!("  never logged in: {} users", plan.never);
    if plan.migrated > 0 {
        println!(
            "  already migrated: {} users, counted as the most active (the mix plans the rest)",
            plan.migrated
        );
    }
    if let Some(e) = plan.fit_error {
        println!(
            "  fitted mix: {} (error {:.2} points)",
            crate::engine::describe_model(&crate::model::LoginModel::Mix(plan.cohorts.clone())),
            e * 100.0
        );
    }
    if read.bad > 0 {
        println!("  {} bad rows skipped; the first:", read.bad);
        for (line, reason) in &read.shown {
            println!("    line {line}: {reason}");
        }
    }
}

/// The churn-aware plan beside the recency plan, day by day (or why there is none).
fn print_churn(
    read: &Read,
    plan: &Plan,
    churn: &Result<crate::model::bgnbd::ChurnPlan, crate::model::bgnbd::FitError>,
) {
    let field = read.count.as_deref().unwrap_or("?");
    let c = match churn {
        Ok(c) => c,
        Err(crate::model::bgnbd::FitError::Empty) => {
            return println!(
                "  churn-aware plan: only {} users have a login count ('{field}'), a last login and a creation date; it needs {}",
                read.histories.len(),
                crate::model::bgnbd::MIN_USERS
            );
        }
        Err(e) => return println!("  churn-aware plan: {e}"),
    };
    let p = c.params;
    println!(
        "  churn-aware plan (BG/NBD, from {} users' login counts in '{field}'): r {:.3}, alpha {:.2} days, a {:.3}, b {:.3}",
        c.fitted, p.r, p.alpha, p.a, p.b
    );
    println!(
        "    expects {} of them never to log in again",
        pct(c.never_returning)
    );
    let without = read
        .recency
        .users
        .saturating_sub(read.recency.never + c.fitted as u64);
    if without > 0 || read.bad_counts > 0 {
        println!(
            "    {without} users who logged in have no history (no count or creation date, {} counts not a whole number): the shares leave them out",
            read.bad_counts
        );
    }
    // With one common rate and no dropout the likelihood is flat toward infinite r and α and
    // a → 0: the parameters run off, and the plan is the recency plan's.
    if p.a < 1e-4 || p.r > 1e4 {
        println!(
            "    (the counts show no churn and one common login rate: the fit runs off to that limit)"
        );
    }
    if let Some(e) = c.fit_error {
        println!(
            "    as a mix (what --write stores): {} (error {:.2} points)",
            crate::engine::describe_model(&crate::model::LoginModel::Mix(c.cohorts.clone())),
            e * 100.0
        );
    }
    println!("    day   recency  churn-aware");
    for ((d, recency), (_, churned)) in plan.shares.iter().zip(&c.shares) {
        let r = recency.map_or_else(|| "—".to_string(), pct);
        let c = churned.map_or_else(|| "—".to_string(), pct);
        println!("    {d:>3}  {r:>8}  {c:>8}");
    }
}

/// Set `cohorts` of segment `segment` in the project file, keeping everything else.
fn write_cohorts(file: &Path, segment: &str, cohorts: &[Cohort]) -> Result<()> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read '{}'", file.display()))?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .with_context(|| format!("'{}' is not TOML", file.display()))?;
    let tables = doc
        .get_mut("segments")
        .and_then(toml_edit::Item::as_array_of_tables_mut)
        .ok_or_else(|| anyhow!("'{}' has no [[segments]]", file.display()))?;
    let table = tables
        .iter_mut()
        .find(|t| t.get("id").and_then(|v| v.as_str()) == Some(segment))
        .ok_or_else(|| {
            anyhow!(
                "no [[segments]] with id = \"{segment}\" in '{}'",
                file.display()
            )
        })?;
    let mut array = toml_edit::Array::new();
    for c in crate::model::recency::rounded(cohorts) {
        let mut t = toml_edit::InlineTable::new();
        t.insert("share", c.share.into());
        t.insert("p", c.p.into());
        array.push(t);
    }
    table.remove("login_probability");
    table.insert("cohorts", toml_edit::value(array));
    let tmp = file.with_extension("toml.tmp");
    crate::files::write(&tmp, doc.to_string())
        .with_context(|| format!("cannot write '{}'", tmp.display()))?;
    std::fs::rename(&tmp, file).with_context(|| format!("cannot replace '{}'", file.display()))?;
    Ok(())
}
