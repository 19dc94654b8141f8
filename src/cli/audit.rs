//! `cutover audit EXPORT`: the pre-flight audit of a legacy user export (see
//! [`crate::audit`]), printed as a table or JSON and recorded in the project's audit log
//! through its owner: counts, the file's SHA-256, who and when. The export is read here, in
//! the command's own process: no row of it ever reaches the owner or the state.

use super::{Cli, args::AuditArgs, print, via_owner::call};
use crate::audit::{self, compat::Table};
use crate::config::{AuditFile, LoadError};
use crate::owner::protocol::{Reply, Request};
use crate::report::palette::paint;
use anyhow::{Result, anyhow, bail};
use chrono::Utc;

/// The `[audit]` table with the command line's flags laid over it.
fn mapping(file: &AuditFile, a: &AuditArgs) -> AuditFile {
    let pick = |flag: &Option<String>, key: &Option<String>| flag.clone().or_else(|| key.clone());
    AuditFile {
        target: pick(&a.target, &file.target),
        compatibility: file.compatibility.clone(),
        id: pick(&a.id, &file.id),
        email: pick(&a.email, &file.email),
        username: pick(&a.username, &file.username),
        hash: pick(&a.hash, &file.hash),
        salt: pick(&a.salt, &file.salt),
        scheme: pick(&a.scheme, &file.scheme),
        last_login: pick(&a.last_login, &file.last_login),
        created: pick(&a.created, &file.created),
        disabled: pick(&a.disabled, &file.disabled),
        active: pick(&a.active, &file.active),
        status: pick(&a.status, &file.status),
        verified: pick(&a.verified, &file.verified),
        required: a.required.clone().or_else(|| file.required.clone()),
    }
}

pub(super) fn run(cli: &Cli, a: &AuditArgs) -> Result<()> {
    let project = match crate::config::load(&cli.project) {
        Ok((p, _)) => Some(p),
        Err(LoadError::Missing { .. }) if a.segment.is_none() => None,
        Err(e) => bail!("{e}"),
    };
    if let (Some(p), Some(s)) = (&project, &a.segment)
        && p.segment(s).is_none()
    {
        bail!("unknown segment '{s}'; `cutover status` lists the segments of this project");
    }
    let file = project
        .as_ref()
        .map(|p| p.audit.clone())
        .unwrap_or_default();
    let mapping = mapping(&file, a);
    let table = match (&a.compatibility, &file.compatibility) {
        (Some(path), _) => read_table(path)?,
        (None, Some(path)) => read_table(&cli.project.join(path))?,
        (None, None) => Table::built_in(),
    };
    // No target named: audit anyway, without the per-scheme verdicts (and say why).
    let target = mapping
        .target
        .clone()
        .or_else(|| {
            let t = project.as_ref()?.target.as_ref()?.to_ascii_lowercase();
            table.targets.contains_key(&t).then_some(t)
        })
        .map(|t| t.to_ascii_lowercase());
    let at = match &a.at {
        Some(t) => super::import::parse_time(t).map_err(|e| anyhow!("--at: {e}"))?,
        None => Utc::now(),
    };
    let export = crate::export::Source::from_arg(
        &a.export,
        &project
            .as_ref()
            .map(|p| p.legacy_access.clone())
            .unwrap_or_default(),
    )
    .map_err(anyhow::Error::msg)?;
    let (name, size, unit) = match &export {
        crate::export::Source::File(path) => (
            path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            "bytes",
        ),
        crate::export::Source::Ldap(_) => (export.to_string(), 0, "entries"),
        crate::export::Source::Sql(_) => (export.to_string(), 0, "rows"),
    };
    let mut progress =
        crate::progress::Progress::new(&format!("auditing {name}"), size, unit, 64 << 20)
            .hidden(super::out::quiet());
    let mut seen = 0u64;
    let options = audit::Options {
        mapping: &mapping,
        table: &table,
        target: target.as_deref(),
        at,
    };
    let result = audit::run_all(&export, &options, &mut |bytes| {
        progress.inc(bytes.saturating_sub(seen));
        seen = bytes;
    });
    progress.finish();
    let (found, groups) = result.map_err(anyhow::Error::msg)?;
    if let Some(path) = &a.duplicates {
        audit::groups::write_csv(&groups, path).map_err(anyhow::Error::msg)?;
        if !super::out::quiet() {
            eprintln!(
                "{} duplicate groups written to {}",
                groups.len(),
                path.display()
            );
        }
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&as_json(&found, &groups)?)?
        );
    } else {
        println!("{}", audit::text::render(&found));
    }
    if a.no_record {
        return Ok(());
    }
    if target.is_none() {
        eprintln!("not recorded: the audit checks need the target's verdicts (pass --target NAME)");
        return Ok(());
    }
    if project.is_none() {
        eprintln!(
            "not recorded: no cutover.toml in '{}' (run in the project folder, or pass --project)",
            cli.project.display()
        );
        return Ok(());
    }
    let request = Request::RecordAudit {
        segment: a.segment.clone(),
        audit: Box::new(found.for_state()),
    };
    let json = a.json;
    call(cli, cli.actor.clone(), request, |reply| {
        if let Reply::Event { event } = reply
            && !super::out::quiet()
        {
            let line = print::ack_painted(event);
            if json {
                anstream::eprintln!("{line}");
            } else {
                anstream::println!("\n{line}");
            }
        }
    })?;
    Ok(())
}

/// The audit as `--json` prints it: every duplicate group under `duplicate_groups`, and,
/// with no target, no verdicts (`target` null, no `verdict`/`note` per scheme, no `moves`)
/// but `verdicts_left_out` saying why.
fn as_json(found: &audit::Audit, groups: &[audit::groups::Group]) -> Result<serde_json::Value> {
    let mut v = serde_json::to_value(found)?;
    v["duplicate_groups"] = serde_json::to_value(groups)?;
    if found.target.is_empty()
        && let Some(o) = v.as_object_mut()
    {
        o.insert("target".into(), serde_json::Value::Null);
        o.remove("moves");
        o.insert("verdicts_left_out".into(), audit::text::NO_TARGET.into());
        if let Some(hashes) = o.get_mut("hashes").and_then(|h| h.as_array_mut()) {
            for h in hashes.iter_mut().filter_map(|h| h.as_object_mut()) {
                h.remove("verdict");
                h.remove("note");
            }
        }
    }
    Ok(v)
}

fn read_table(path: &std::path::Path) -> Result<Table> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        anyhow!(
            "cannot read the compatibility table '{}': {e}",
            path.display()
        )
    })?;
    Table::parse(&text, &path.display().to_string()).map_err(anyhow::Error::msg)
}

/// `cutover checks SEGMENT`: run the checks now and print each verdict (exit 1 if one fails).
pub(super) fn checks(cli: &Cli, segment: &str, json: bool) -> Result<()> {
    let request = Request::RunChecks {
        segment: segment.to_string(),
    };
    let mut verdicts = Vec::new();
    call(cli, cli.actor.clone(), request, |reply| {
        if let Reply::Event { event } = reply {
            verdicts = event.body.checks.clone().unwrap_or_default();
            if !json {
                super::out::info(print::ack_painted(event));
            }
        }
    })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&verdicts)?);
    } else {
        for v in &verdicts {
            let colors = print::COLORS;
            let mark = match v.status {
                crate::model::gate::Status::Pass => paint(colors.ok, "✓"),
                crate::model::gate::Status::Fail => paint(colors.danger, "✗"),
                crate::model::gate::Status::Unknown => paint(colors.warn, "?"),
            };
            anstream::println!("  {mark} {}: {}", v.name, v.reason);
        }
    }
    if verdicts.iter().all(crate::model::gate::Verdict::passes) {
        Ok(())
    } else {
        Err(anyhow!(
            "{segment}: {}",
            crate::model::gate::blockers(&verdicts).unwrap_or_default()
        ))
    }
}
