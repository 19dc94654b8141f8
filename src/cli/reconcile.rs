//! `cutover reconcile SEGMENT [--rehearsal] [--json] [--out FILE]`: the segment's export
//! against the users its move's target holds ([`crate::reconcile`]), run in this process with
//! the target's keys from this process's environment (as `cutover audit` reads the export
//! here). It prints the counts (a progress bar on a terminal meanwhile), with `--json` or
//! `--out` every id behind them, and sends the counts to the project's owner, which records
//! them as a `reconcile` event judged by the segment's limits. It exits 1 when the
//! reconciliation does not pass, so a script can stop on it.

use super::Cli;
use super::via_owner::call;
use crate::owner::protocol::{Reply, Request};
use crate::reconcile::Found;
use anyhow::{Context, Result, bail};

pub(super) fn run(
    cli: &Cli,
    segment: &str,
    rehearsal: bool,
    json: bool,
    out: Option<&std::path::Path>,
) -> Result<()> {
    let found = reconcile(cli, segment, rehearsal)?;
    if let Some(path) = out {
        let text = serde_json::to_string_pretty(&found)?;
        std::fs::write(path, text)
            .with_context(|| format!("cannot write the ids to '{}'", path.display()))?;
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&found)?);
    } else {
        print!("{}", text(&found.counts));
    }
    record(cli, &found, !json)?;
    if !found.counts.ok {
        std::process::exit(1);
    }
    Ok(())
}

/// Reconcile `segment`'s target (or its rehearsal's) now, judged by the segment's limits.
pub(super) fn reconcile(cli: &Cli, segment: &str, rehearsal: bool) -> Result<Found> {
    let (project, _) = crate::config::load(&cli.project).map_err(|e| anyhow::anyhow!("{e}"))?;
    let Some(seg) = project.segment(segment) else {
        bail!("unknown segment '{segment}'; `cutover status` lists the segments of this project");
    };
    let Some(mv) = &seg.moving else {
        bail!(
            "segment '{segment}' has no [segments.move]: reconcile compares its export with its move's target, so name both in cutover.toml"
        );
    };
    let (which, target) = match (rehearsal, &mv.rehearsal) {
        (false, _) => ("real", &mv.target),
        (true, Some(t)) => ("rehearsal", t),
        (true, None) => bail!(
            "segment '{segment}' has no [segments.move.rehearsal] to reconcile; drop --rehearsal to reconcile its target"
        ),
    };
    let (plan, client) = crate::moving::plan::Plan::of(&project, &cli.project, segment, target)
        .map_err(|m| anyhow::anyhow!(m))?;
    let limits = seg.reconciled_limits();
    let label = format!("reconciling {segment} with {}", target.kind());
    let mut bar: Option<crate::progress::Progress> = None;
    let expected = plan.expected;
    let mut progress = |done: u64, of: Option<u64>| {
        let bar = bar.get_or_insert_with(|| {
            crate::progress::Progress::new(&label, of.unwrap_or(expected), "users", 0)
        });
        bar.inc(done.saturating_sub(bar.done()));
    };
    let mut found = super::live::runtime()?
        .block_on(crate::reconcile::run(
            &plan,
            &client,
            which,
            target.kind(),
            &mut progress,
        ))
        .map_err(|e| anyhow::anyhow!("{segment}: {e}"))?;
    if let Some(b) = bar.take() {
        b.finish();
    }
    found.counts.limits = limits;
    found.counts.ok = found.counts.failing(&limits).is_empty();
    Ok(found)
}

/// Send the counts to the project's owner, which records them (printing its acknowledgement
/// when `say`).
pub(super) fn record(cli: &Cli, found: &Found, say: bool) -> Result<()> {
    let request = Request::RecordReconciled {
        reconciled: Box::new(found.counts.clone()),
    };
    call(cli, cli.actor.clone(), request, |reply| {
        if let Reply::Event { event } = reply
            && say
            && !super::out::quiet()
        {
            println!("{}", super::print::ack_painted(event));
        }
    })?;
    Ok(())
}

/// The counts as a person reads them.
fn text(r: &crate::model::reconciled::Reconciliation) -> String {
    let limits = &r.limits;
    let mut s = format!(
        "{}: {} users on {} ({}), {} expected from the export\n",
        r.segment, r.target_users, r.target, r.which, r.expected
    );
    let without = r.without_password.map_or_else(
        || "not known (the target does not say)".to_string(),
        |n| n.to_string(),
    );
    for (what, n) in [
        ("missing", r.missing.to_string()),
        ("extra", r.extra.to_string()),
        ("duplicated", r.duplicated.to_string()),
        ("changed", r.changed.to_string()),
        ("without a password", without),
    ] {
        s.push_str(&format!("  {what:<20} {n}\n"));
    }
    let skipped: u64 = r.skipped.values().sum();
    if skipped > 0 {
        s.push_str(&format!(
            "  (the move's rules skip {skipped} rows of the export; they are not counted missing)\n"
        ));
    }
    let failing = r.failing(limits);
    if failing.is_empty() {
        s.push_str("reconciled: every user arrived\n");
    } else {
        s.push_str(&format!(
            "NOT reconciled: {}; the ids: cutover reconcile {} --json (or --out FILE)\n",
            failing.join(", "),
            r.segment
        ));
    }
    s
}
