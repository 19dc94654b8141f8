//! Validation of the parts of a segment that reach outside cutover: its sources
//! (`[segments.sources.NAME]`) and its gate criteria (`[[segments.gates]]`); its hooks and the
//! URL rule every outgoing call shares are in [`super::validate_hooks`]. Same conventions as
//! `validate`: every problem is collected with its key path.

use super::locate::KeyPath;
use super::validate::{DEFAULT_TOLERANCE_POINTS, Found, Said, duration_key};
use super::validate_hooks::check_url;
use super::{GateFile, Severity, SourceFile, SourceKind, SourceSpec};
use crate::model::criteria::Criterion;
use std::time::Duration;

const SOURCE_EVERY: Duration = Duration::from_secs(30);
const SOURCE_TIMEOUT: Duration = Duration::from_secs(5);
const SOURCE_STALE: Duration = Duration::from_secs(300);

pub(super) fn sensitive_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "authorization" || n.contains("token") || n.contains("key")
}

pub(super) fn source(
    segment: &str,
    metric: &str,
    s: &SourceFile,
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) -> Option<SourceSpec> {
    let mut good = true;
    let mut err = |path: KeyPath, msg: Said, found: &mut Found| {
        good = false;
        found.push((Severity::Error, path, msg));
    };
    if let Err(why) = crate::model::reading::metric_name(metric) {
        err(
            at.clone(),
            format!("invalid source name: {why}").into(),
            found,
        );
    }
    let kind = s.kind;
    let request = match super::SourceRequest::from_file(s) {
        Ok(request) => Some(request),
        Err(missing) => {
            for field in missing {
                err(
                    at.clone().key(field),
                    format!("missing: a {} source needs '{field}'", kind.as_str()).into(),
                    found,
                );
            }
            None
        }
    };
    if let Some(p) = &s.pointer
        && !p.is_empty()
        && !p.starts_with('/')
    {
        err(
            at.clone().key("pointer"),
            "must be a JSON pointer like \"/data/count\"".into(),
            found,
        );
    }
    if let Some(super::SourceRequest::Command { argv }) = &request
        && argv.first().is_none_or(|p| p.trim().is_empty())
    {
        err(
            at.clone().key("command"),
            "must name a program: command = [\"psql\", \"-tAc\", \"...\"]".into(),
            found,
        );
    }
    if let Some(url) = &s.url
        && kind != SourceKind::Command
        && let Err(msg) = check_url(url, s.insecure, "https://auth.example.com")
    {
        err(at.clone().key("url"), msg, found);
    }
    if let Some(key) = &s.api_key
        && !key.starts_with(crate::secret::PREFIX)
    {
        err(
            at.clone().key("api_key"),
            Said::hiding_value(
                "must reference the environment, e.g. \"env:FUSIONAUTH_API_KEY\"; never write a key in the file",
            ),
            found,
        );
    }
    for (name, value) in &s.headers {
        if sensitive_header(name) && !value.starts_with(crate::secret::PREFIX) {
            err(
                at.clone().key("headers").key(name),
                Said::hiding_value(
                    "looks like a secret written in the file: reference it from the environment instead, e.g. \"env:API_TOKEN\"",
                ),
                found,
            );
        }
    }
    if let Some(m) = &s.measure
        && (kind != SourceKind::Canary || !matches!(m.as_str(), "success" | "latency"))
    {
        err(
            at.clone().key("measure"),
            "applies to a canary source only: \"success\" (the share of canaries that logged in) or \"latency\" (the slowest login, in ms)".into(),
            found,
        );
    }
    for (key, why) in super::drift::keys(s) {
        err(at.clone().key(key), why.into(), found);
    }
    if kind == SourceKind::Auth0 {
        found.push((
            Severity::Warning,
            at.clone().key("kind"),
            "Auth0's search caps 'total' at 1,000: above that the count stops growing; prefer a count from logs or a job".into(),
        ));
    }
    let every = duration_key(
        "every",
        s.every.as_deref(),
        SOURCE_EVERY,
        at,
        found,
        &mut good,
    );
    let timeout = duration_key(
        "timeout",
        s.timeout.as_deref(),
        SOURCE_TIMEOUT,
        at,
        found,
        &mut good,
    );
    let stale_after = duration_key(
        "stale_after",
        s.stale_after.as_deref(),
        SOURCE_STALE,
        at,
        found,
        &mut good,
    );
    let (true, Some(request)) = (good, request) else {
        *ok = false;
        return None;
    };
    Some(SourceSpec {
        segment: segment.to_string(),
        metric: metric.to_string(),
        request,
        api_key: s.api_key.clone(),
        every,
        timeout,
        stale_after,
        headers: s.headers.clone(),
    })
}

pub(super) fn gate(
    g: &GateFile,
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) -> Option<Criterion> {
    let kind = g
        .kind
        .as_deref()
        .unwrap_or(if g.metric.is_some() { "metric" } else { "" });
    let mut fail = |path: KeyPath, msg: &str| {
        *ok = false;
        found.push((Severity::Error, path, msg.into()));
        None
    };
    let limits = g.reconciled();
    if kind != "reconciled" && !limits.set().is_empty() {
        return fail(
            at.clone().key(limits.set()[0]),
            "applies only to kind = \"reconciled\"; remove it or change kind",
        );
    }
    if kind != "drift" && g.max_drift.is_some() {
        return fail(
            at.clone().key("max_drift"),
            "applies only to kind = \"drift\"; remove it or change kind",
        );
    }
    if kind != "canary" && g.min_success.is_some() {
        return fail(
            at.clone().key("min_success"),
            "applies only to kind = \"canary\"; remove it or change kind",
        );
    }
    match kind {
        "reconciled" => Some(Criterion::Reconciled(limits.limits())),
        "drift" => Some(super::drift::gate(g)),
        "canary" => match g.min_success.unwrap_or(1.0) {
            m if m > 0.0 && m <= 1.0 => Some(Criterion::Canary {
                metric: g.metric.clone().unwrap_or_else(|| "canary".to_string()),
                min: m,
            }),
            _ => fail(
                at.clone().key("min_success"),
                "must be a share in (0, 1], e.g. min_success = 1 (every canary logs in)",
            ),
        },
        "metric" => {
            let Some(metric) = g.metric.clone() else {
                return fail(
                    at.clone().key("metric"),
                    "missing: name the metric this gate reads, e.g. metric = \"failure_rate\"",
                );
            };
            if g.min.is_none() && g.max.is_none() {
                return fail(
                    at.clone(),
                    "a metric gate needs min and/or max, e.g. max = 0.02",
                );
            }
            for (key, bound) in [("min", g.min), ("max", g.max)] {
                if bound.is_some_and(|b| !b.is_finite()) {
                    return fail(
                        at.clone().key(key),
                        "is not a number: a bound must be finite, e.g. max = 0.02",
                    );
                }
            }
            if let (Some(lo), Some(hi)) = (g.min, g.max)
                && lo > hi
            {
                return fail(at.clone().key("min"), "is above max: no value could pass");
            }
            Some(Criterion::Metric {
                metric,
                min: g.min,
                max: g.max,
                label: g.name.clone(),
            })
        }
        "projection" => {
            let t = g.tolerance.unwrap_or(DEFAULT_TOLERANCE_POINTS);
            if !(0.0..=100.0).contains(&t) {
                return fail(
                    at.clone().key("tolerance"),
                    "must be between 0 and 100 percentage points",
                );
            }
            Some(Criterion::Projection {
                tolerance_points: t,
            })
        }
        "soak" => match g.hours {
            Some(h) if h > 0.0 && h.is_finite() => Some(Criterion::Soak { hours: h }),
            _ => fail(
                at.clone().key("hours"),
                "a soak gate needs hours > 0, e.g. hours = 24",
            ),
        },
        "" => fail(
            at.clone(),
            "set metric = \"...\" (with min/max), or kind = \"projection\", \"soak\", \"reconciled\", \"canary\" or \"drift\"",
        ),
        _ => fail(
            at.clone().key("kind"),
            "must be \"metric\", \"projection\", \"soak\", \"reconciled\", \"canary\" or \"drift\"",
        ),
    }
}
