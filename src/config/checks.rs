//! Test checks (`[[segments.checks]]`): what `advance` from test runs, fresh, before a segment
//! may go to its gate. Their validated shape, and the validation of what the file says.
//!
//! The same rules as sources and hooks apply to an `http` check: https (plain http only to
//! loopback or with `insecure = true`), secrets only as `env:NAME`, no credentials in the URL,
//! no redirect followed.

use super::Severity;
use super::file::{CheckFile, CheckKindFile};
use super::locate::KeyPath;
use super::validate::{Found, Said, duration_key};
use super::{validate_hooks::check_url, validate_outside::sensitive_header};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// A validated check.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Unique within its segment: refusals and screens name checks by it.
    pub name: String,
    pub kind: CheckKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckKind {
    /// argv, no shell; exit 0 passes.
    Command {
        argv: Vec<String>,
        timeout: Duration,
    },
    Http(HttpCheck),
    /// Limits on the segment's latest audit.
    Audit(AuditLimits),
    /// Limits on the segment's latest rehearsal of its move.
    Rehearsal(RehearsalLimits),
    /// Limits on the segment's latest reconciliation (`cutover reconcile`).
    Reconciled(crate::model::reconciled::Limits),
    /// The segment's canaries log in now (see [`super::canaries`]).
    Canary(super::canaries::CanaryCheck),
}

/// What the latest rehearsal must show: at most `max_failed` users refused, and a duration
/// (the real move's predicted window) of at most `max_duration`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RehearsalLimits {
    pub max_failed: Option<u64>,
    pub max_duration: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpCheck {
    pub url: String,
    pub method: String,
    pub status: u16,
    pub pointer: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Header name → literal value or `env:NAME` (resolved when the check runs).
    pub headers: BTreeMap<String, String>,
    pub timeout: Duration,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditLimits {
    pub max_duplicates: Option<u64>,
    pub max_unmovable_hashes: Option<u64>,
    pub max_bad_rows: Option<u64>,
    pub max_invalid_emails: Option<u64>,
    pub max_age: Option<Duration>,
}

fn default_name(c: &CheckFile) -> String {
    match c.kind {
        CheckKindFile::Command => {
            let program = c
                .command
                .as_ref()
                .and_then(|a| a.first())
                .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
                .unwrap_or_default();
            format!("command {program}")
        }
        CheckKindFile::Http => {
            let shown = c
                .url
                .as_deref()
                .and_then(|u| reqwest::Url::parse(u).ok())
                .map(|u| format!("{}{}", u.host_str().unwrap_or_default(), u.path()))
                .unwrap_or_default();
            format!("http {shown}")
        }
        CheckKindFile::Audit => "audit".to_string(),
        CheckKindFile::Rehearsal => "rehearsal".to_string(),
        CheckKindFile::Reconciled => "reconciled".to_string(),
        CheckKindFile::Canary => "canary".to_string(),
    }
}

/// Validate a segment's checks; every problem is collected with its key path.
pub(super) fn checks(
    files: &[CheckFile],
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) -> Vec<Check> {
    let mut names = BTreeSet::new();
    let mut out = Vec::new();
    for (i, c) in files.iter().enumerate() {
        let at = at.clone().key("checks").index(i);
        let before = found.len();
        let err = |path: KeyPath, msg: String, found: &mut Found| {
            found.push((Severity::Error, path, msg.into()));
        };
        let name = c.name.clone().unwrap_or_else(|| default_name(c));
        if !names.insert(name.clone()) {
            err(
                at.clone().key("name"),
                format!("two checks are named '{name}': give each check its own name"),
                found,
            );
        }
        // Keys of the other kinds are mistakes worth naming.
        let foreign: Vec<&str> = [
            ("command", c.command.is_some(), CheckKindFile::Command),
            ("url", c.url.is_some(), CheckKindFile::Http),
            ("method", c.method.is_some(), CheckKindFile::Http),
            ("status", c.status.is_some(), CheckKindFile::Http),
            ("pointer", c.pointer.is_some(), CheckKindFile::Http),
            ("min", c.min.is_some(), CheckKindFile::Http),
            ("max", c.max.is_some(), CheckKindFile::Http),
            ("headers", !c.headers.is_empty(), CheckKindFile::Http),
            (
                "max_duplicates",
                c.max_duplicates.is_some(),
                CheckKindFile::Audit,
            ),
            (
                "max_unmovable_hashes",
                c.max_unmovable_hashes.is_some(),
                CheckKindFile::Audit,
            ),
            (
                "max_bad_rows",
                c.max_bad_rows.is_some(),
                CheckKindFile::Audit,
            ),
            (
                "max_invalid_emails",
                c.max_invalid_emails.is_some(),
                CheckKindFile::Audit,
            ),
            ("max_age", c.max_age.is_some(), CheckKindFile::Audit),
            (
                "min_success",
                c.min_success.is_some(),
                CheckKindFile::Canary,
            ),
            (
                "max_failed",
                c.max_failed.is_some(),
                CheckKindFile::Rehearsal,
            ),
            (
                "max_duration",
                c.max_duration.is_some(),
                CheckKindFile::Rehearsal,
            ),
        ]
        .into_iter()
        .chain(
            c.reconciled()
                .set()
                .into_iter()
                .map(|k| (k, true, CheckKindFile::Reconciled)),
        )
        .chain(
            // A timeout applies to what runs: commands and probes, not an audit's limits.
            (matches!(
                c.kind,
                CheckKindFile::Audit | CheckKindFile::Rehearsal | CheckKindFile::Reconciled
            ) && c.timeout.is_some())
            .then_some(("timeout", true, CheckKindFile::Command)),
        )
        .filter(|(_, set, kind)| *set && *kind != c.kind)
        .map(|(k, _, _)| k)
        .collect();
        if !foreign.is_empty() {
            err(
                at.clone(),
                format!(
                    "{} do not apply to a check of this kind; remove them or change kind",
                    foreign.join(", ")
                ),
                found,
            );
        }
        let mut unused = true;
        let timeout = duration_key(
            "timeout",
            c.timeout.as_deref(),
            CHECK_TIMEOUT,
            &at,
            found,
            &mut unused,
        );
        let kind = match c.kind {
            CheckKindFile::Command => match &c.command {
                Some(argv) if argv.first().is_some_and(|p| !p.trim().is_empty()) => {
                    Some(CheckKind::Command {
                        argv: argv.clone(),
                        timeout,
                    })
                }
                _ => {
                    err(
                        at.clone().key("command"),
                        "must name a program: command = [\"./synthetic-login.sh\", \"staff\"]"
                            .into(),
                        found,
                    );
                    None
                }
            },
            CheckKindFile::Http => http(c, timeout, &at, found),
            CheckKindFile::Rehearsal => {
                let max_duration =
                    c.max_duration
                        .as_deref()
                        .and_then(|t| match humantime::parse_duration(t) {
                            Ok(d) if !d.is_zero() => Some(d),
                            _ => {
                                err(
                                    at.clone().key("max_duration"),
                                    "must be a positive duration like \"45m\" (the longest window the real move may take)".into(),
                                    found,
                                );
                                None
                            }
                        });
                Some(CheckKind::Rehearsal(RehearsalLimits {
                    max_failed: c.max_failed,
                    max_duration,
                }))
            }
            CheckKindFile::Reconciled => Some(CheckKind::Reconciled(c.reconciled().limits())),
            CheckKindFile::Canary => super::canaries::check(c, timeout, &at, found),
            CheckKindFile::Audit => {
                // Any positive duration: an audit may be allowed to be months old.
                let max_age =
                    c.max_age
                        .as_deref()
                        .and_then(|t| match humantime::parse_duration(t) {
                            Ok(d) if !d.is_zero() => Some(d),
                            _ => {
                                err(
                                    at.clone().key("max_age"),
                                    "must be a positive duration like \"7d\" or \"12h\"".into(),
                                    found,
                                );
                                None
                            }
                        });
                Some(CheckKind::Audit(AuditLimits {
                    max_duplicates: c.max_duplicates,
                    max_unmovable_hashes: c.max_unmovable_hashes,
                    max_bad_rows: c.max_bad_rows,
                    max_invalid_emails: c.max_invalid_emails,
                    max_age,
                }))
            }
        };
        let good = found[before..].iter().all(|f| f.0 != Severity::Error);
        match kind {
            Some(kind) if good => out.push(Check { name, kind }),
            _ => *ok = false,
        }
    }
    out
}

fn http(c: &CheckFile, timeout: Duration, at: &KeyPath, found: &mut Found) -> Option<CheckKind> {
    let err = |path: KeyPath, msg: Said, found: &mut Found| {
        found.push((Severity::Error, path, msg));
    };
    let Some(url) = &c.url else {
        err(
            at.clone().key("url"),
            "an http check needs url = \"https://id.example.com/health\"".into(),
            found,
        );
        return None;
    };
    if let Err(msg) = check_url(url, c.insecure, "https://id.example.com/health") {
        err(at.clone().key("url"), msg, found);
    }
    let method = c.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
    if !matches!(method.as_str(), "GET" | "HEAD" | "POST") {
        err(
            at.clone().key("method"),
            "must be GET, HEAD or POST".into(),
            found,
        );
    }
    let status = c.status.unwrap_or(200);
    if !(100..=599).contains(&status) {
        err(
            at.clone().key("status"),
            "must be an HTTP status between 100 and 599, e.g. 200".into(),
            found,
        );
    }
    for (key, v) in [("min", c.min), ("max", c.max)] {
        if v.is_some_and(|v| !v.is_finite()) {
            err(at.clone().key(key), "must be a finite number".into(), found);
        }
    }
    match (&c.pointer, c.min.is_some() || c.max.is_some()) {
        (Some(p), _) if !p.is_empty() && !p.starts_with('/') => err(
            at.clone().key("pointer"),
            "must be a JSON pointer like \"/checks/login/ok\"".into(),
            found,
        ),
        (Some(_), false) => err(
            at.clone().key("pointer"),
            "a pointer needs a bound: min, max or both".into(),
            found,
        ),
        (None, true) => err(
            at.clone(),
            "min and max bound the number at `pointer`: set pointer too".into(),
            found,
        ),
        _ => {}
    }
    for (name, value) in &c.headers {
        if sensitive_header(name) && !value.starts_with(crate::secret::PREFIX) {
            err(
                at.clone().key("headers").key(name),
                Said::hiding_value(
                    "looks like a secret written in the file: reference it from the environment instead, e.g. \"env:PROBE_TOKEN\"",
                ),
                found,
            );
        }
    }
    Some(CheckKind::Http(HttpCheck {
        url: url.clone(),
        method,
        status,
        pointer: c.pointer.clone(),
        min: c.min,
        max: c.max,
        headers: c.headers.clone(),
        timeout,
    }))
}

/// A `reconciled` check or gate reads `cutover reconcile`, which needs `[segments.move]`: an
/// error on a segment without one (it would stay unknown forever).
pub(super) fn reconciled_needs_move(
    moves: bool,
    checks: &[Check],
    gates: &[crate::model::criteria::Criterion],
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) {
    if moves {
        return;
    }
    let fix = "reads `cutover reconcile`, which needs [segments.move] (the export and the target): add it, or remove this";
    for (i, _) in checks
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c.kind, CheckKind::Reconciled(_)))
    {
        *ok = false;
        let path = at.clone().key("checks").index(i).key("kind");
        found.push((
            Severity::Error,
            path,
            format!("a reconciled check {fix} check").into(),
        ));
    }
    for (j, _) in gates
        .iter()
        .enumerate()
        .filter(|(_, g)| matches!(g, crate::model::criteria::Criterion::Reconciled(_)))
    {
        *ok = false;
        let path = at.clone().key("gates").index(j).key("kind");
        found.push((
            Severity::Error,
            path,
            format!("a reconciled gate {fix} gate").into(),
        ));
    }
}
