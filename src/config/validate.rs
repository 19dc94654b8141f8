//! Range and consistency checks on a parsed project file. Collects every problem rather than
//! stopping at the first, so an operator fixes the file in one pass.

use super::locate::KeyPath;
use super::{
    GateFile, HookFile, HookSpec, Hooks, Project, ProjectFile, Segment, SegmentFile, Severity,
    SourceFile, SourceKind, SourceSpec, Strategy,
};
use crate::model::LoginModel;
use crate::model::criteria::Criterion;
use chrono::NaiveDate;
use std::collections::BTreeSet;
use std::time::Duration;

/// Default points behind projection before a segment is flagged.
pub const DEFAULT_TOLERANCE_POINTS: f64 = 5.0;
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
const WEBHOOK_RETRIES: u32 = 3;

/// What validation found: (severity, where, what). A message that starts with
/// [`HIDE_VALUE`] must not have its value echoed (it may be a secret).
type Found = Vec<(Severity, KeyPath, String)>;

/// Prefix of messages whose value must not be shown.
pub const HIDE_VALUE: &str = "\u{0}";

/// Validate a parsed file. The project is `Some` when it could be built; it is only usable if
/// no problem is an error.
pub fn validate(raw: &ProjectFile) -> (Option<Project>, Found) {
    let mut found = Found::new();
    let root = KeyPath::default();
    if raw.project.name.trim().is_empty() {
        found.push((
            Severity::Error,
            root.clone().key("project").key("name"),
            "must not be empty: name the migration, e.g. \"Acme LDAP to FusionAuth\"".into(),
        ));
    }
    if raw.segments.is_empty() {
        found.push((
            Severity::Warning,
            root.clone().key("project"),
            "no [[segments]] declared: add one per group of users you move together".into(),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut segments = Vec::new();
    for (i, seg) in raw.segments.iter().enumerate() {
        let at = root.clone().key("segments").index(i);
        if !seen.insert(seg.id.clone()) {
            found.push((
                Severity::Error,
                at.clone().key("id"),
                format!(
                    "duplicate segment id '{}': every segment needs its own id",
                    seg.id
                ),
            ));
        }
        if let Some(s) = segment(seg, &at, &mut found) {
            segments.push(s);
        }
    }
    let project = Project {
        name: raw.project.name.clone(),
        legacy: raw.project.legacy.clone(),
        target: raw.project.target.clone(),
        theme: raw.project.theme.clone(),
        segments,
    };
    (Some(project), found)
}

fn in_unit(x: f64) -> bool {
    x > 0.0 && x <= 1.0
}

fn segment(seg: &SegmentFile, at: &KeyPath, found: &mut Found) -> Option<Segment> {
    let mut ok = true;
    let mut err = |path: KeyPath, msg: String| {
        found.push((Severity::Error, path, msg));
    };
    let id_ok = !seg.id.is_empty()
        && seg
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        ok = false;
        err(
            at.clone().key("id"),
            format!(
                "invalid segment id '{}': use lower-case letters, digits and '-' (e.g. 'eu-customers')",
                seg.id
            ),
        );
    }
    if !in_unit(seg.goal) {
        ok = false;
        err(
            at.clone().key("goal"),
            "must be in (0, 1]: the migrated share that counts as done, e.g. 0.95".into(),
        );
    }
    let mut login = None;
    match (&seg.login_probability, &seg.cohorts) {
        (Some(_), Some(_)) => {
            ok = false;
            err(
                at.clone().key("cohorts"),
                "set either login_probability or cohorts, not both".into(),
            );
        }
        (Some(p), None) => {
            if in_unit(*p) {
                login = Some(LoginModel::Single(*p));
            } else {
                ok = false;
                err(
                    at.clone().key("login_probability"),
                    "must be in (0, 1]: the chance that a user logs in on a given day, e.g. 0.05"
                        .into(),
                );
            }
        }
        (None, Some(cohorts)) => {
            let mut cohorts_ok = !cohorts.is_empty();
            if cohorts.is_empty() {
                err(
                    at.clone().key("cohorts"),
                    "must list at least one cohort".into(),
                );
            }
            for (j, c) in cohorts.iter().enumerate() {
                if !in_unit(c.p) {
                    cohorts_ok = false;
                    err(
                        at.clone().key("cohorts").index(j).key("p"),
                        "must be in (0, 1]: the cohort's daily login probability".into(),
                    );
                }
                if !in_unit(c.share) {
                    cohorts_ok = false;
                    err(
                        at.clone().key("cohorts").index(j).key("share"),
                        "must be in (0, 1]: the cohort's share of the segment".into(),
                    );
                }
            }
            let sum: f64 = cohorts.iter().map(|c| c.share).sum();
            if !cohorts.is_empty() && (sum - 1.0).abs() > 1e-6 {
                cohorts_ok = false;
                err(
                    at.clone().key("cohorts"),
                    format!("cohort shares sum to {sum:.4}; they must sum to 1"),
                );
            }
            if cohorts_ok {
                login = Some(LoginModel::Mix(cohorts.clone()));
            } else {
                ok = false;
            }
        }
        (None, None) => {
            if seg.strategy == Strategy::Slow {
                ok = false;
                err(
                    at.clone().key("login_probability"),
                    "missing: a slow segment needs login_probability (or cohorts) to project its progress".into(),
                );
            }
        }
    }
    if seg.size == 0 {
        found.push((
            Severity::Warning,
            at.clone().key("size"),
            "is 0: the plan stays incomplete until the segment's user count is known".into(),
        ));
    }
    let deadline = match &seg.deadline {
        None => None,
        Some(v) => match deadline(v) {
            Some(d) => Some(d),
            None => {
                ok = false;
                found.push((
                    Severity::Error,
                    at.clone().key("deadline"),
                    "must be a date like 2027-03-01".into(),
                ));
                None
            }
        },
    };
    let tolerance_points = seg.tolerance.unwrap_or(DEFAULT_TOLERANCE_POINTS);
    if !(0.0..=100.0).contains(&tolerance_points) {
        ok = false;
        found.push((
            Severity::Error,
            at.clone().key("tolerance"),
            "must be between 0 and 100 percentage points".into(),
        ));
    }
    let hooks_at = at.clone().key("hooks");
    let hooks = Hooks {
        cutover: hook(
            seg.hooks.cutover.as_ref(),
            &hooks_at.clone().key("cutover"),
            found,
            &mut ok,
        ),
        rollback: hook(
            seg.hooks.rollback.as_ref(),
            &hooks_at.clone().key("rollback"),
            found,
            &mut ok,
        ),
        done: hook(
            seg.hooks.done.as_ref(),
            &hooks_at.key("done"),
            found,
            &mut ok,
        ),
    };
    let mut sources = Vec::new();
    for (metric, s) in &seg.sources {
        if let Some(spec) = source(
            &seg.id,
            metric,
            s,
            &at.clone().key("sources").key(metric),
            found,
            &mut ok,
        ) {
            sources.push(spec);
        }
    }
    let mut gates = Vec::new();
    for (j, g) in seg.gates.iter().enumerate() {
        let gate_at = at.clone().key("gates").index(j);
        if let Some(c) = gate(g, &gate_at, found, &mut ok) {
            if let Some(m) = c.metric()
                && !seg.sources.contains_key(m)
            {
                found.push((
                    Severity::Warning,
                    gate_at.key("metric"),
                    format!("no [segments.sources.{m}] feeds this gate: it stays unknown until samples are recorded"),
                ));
            }
            gates.push(c);
        }
    }
    if seg.gates.is_empty() {
        found.push((
            Severity::Warning,
            at.clone().key("id"),
            "no [[segments.gates]]: its gate passes with \"no criteria\"".into(),
        ));
    }
    let failures_before_rollback = seg.failures_before_rollback.unwrap_or(3);
    if failures_before_rollback == 0 {
        ok = false;
        found.push((
            Severity::Error,
            at.clone().key("failures_before_rollback"),
            "must be at least 1".into(),
        ));
    }
    let plateau_fraction = seg.plateau_fraction.unwrap_or(0.25);
    if !(plateau_fraction > 0.0 && plateau_fraction < 1.0) {
        ok = false;
        found.push((
            Severity::Error,
            at.clone().key("plateau_fraction"),
            "must be in (0, 1), e.g. 0.25".into(),
        ));
    }
    ok.then(|| Segment {
        id: seg.id.clone(),
        name: seg.name.clone().unwrap_or_else(|| seg.id.clone()),
        strategy: seg.strategy,
        size: seg.size,
        login,
        goal: seg.goal,
        deadline,
        tolerance_points,
        hooks,
        sources,
        gates,
        auto_rollback: seg.auto_rollback,
        failures_before_rollback,
        plateau_fraction,
    })
}

fn deadline(v: &toml::Value) -> Option<NaiveDate> {
    match v {
        toml::Value::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok(),
        toml::Value::Datetime(dt) => {
            let d = dt.date?;
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        }
        _ => None,
    }
}

fn duration(
    text: Option<&str>,
    default: Duration,
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) -> Duration {
    duration_key("timeout", text, default, at, found, ok)
}

fn duration_key(
    key: &str,
    text: Option<&str>,
    default: Duration,
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) -> Duration {
    match text {
        None => default,
        Some(t) => match humantime::parse_duration(t) {
            Ok(d) if !d.is_zero() => d,
            _ => {
                *ok = false;
                found.push((
                    Severity::Error,
                    at.clone().key(key),
                    "must be a positive duration like \"30s\" or \"2m\"".into(),
                ));
                default
            }
        },
    }
}

const SOURCE_EVERY: Duration = Duration::from_secs(30);
const SOURCE_TIMEOUT: Duration = Duration::from_secs(5);
const SOURCE_STALE: Duration = Duration::from_secs(300);

fn sensitive_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "authorization" || n.contains("token") || n.contains("key")
}

fn source(
    segment: &str,
    metric: &str,
    s: &SourceFile,
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) -> Option<SourceSpec> {
    let mut good = true;
    let mut err = |path: KeyPath, msg: String, found: &mut Found| {
        good = false;
        found.push((Severity::Error, path, msg));
    };
    if metric.is_empty()
        || !metric
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        err(
            at.clone(),
            format!("invalid metric name '{metric}': use letters, digits, '_' and '-'"),
            found,
        );
    }
    let kind = s.kind;
    let needs = |field: &str| -> bool {
        match field {
            "url" => kind != SourceKind::Command,
            "query" => !matches!(kind, SourceKind::Json | SourceKind::Command),
            "index" => matches!(kind, SourceKind::Elasticsearch | SourceKind::OpenSearch),
            "realm" => kind == SourceKind::Keycloak,
            "pointer" => kind == SourceKind::Json,
            _ => false,
        }
    };
    for (field, value) in [
        ("url", &s.url),
        ("query", &s.query),
        ("index", &s.index),
        ("realm", &s.realm),
        ("pointer", &s.pointer),
    ] {
        if needs(field) && value.as_deref().is_none_or(|v| v.trim().is_empty()) {
            err(
                at.clone().key(field),
                format!("missing: a {} source needs '{field}'", kind.as_str()),
                found,
            );
        }
    }
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
    let command = s.command.clone().unwrap_or_default();
    if kind == SourceKind::Command && command.first().is_none_or(|p| p.trim().is_empty()) {
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
            "\u{0}must reference the environment, e.g. \"env:FUSIONAUTH_API_KEY\"; never write a key in the file".into(),
            found,
        );
    }
    for (name, value) in &s.headers {
        if sensitive_header(name) && !value.starts_with(crate::secret::PREFIX) {
            err(
                at.clone().key("headers").key(name),
                "\u{0}looks like a secret written in the file: reference it from the environment instead, e.g. \"env:API_TOKEN\"".into(),
                found,
            );
        }
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
    if !good {
        *ok = false;
        return None;
    }
    Some(SourceSpec {
        segment: segment.to_string(),
        metric: metric.to_string(),
        kind,
        url: s.url.clone(),
        query: s.query.clone(),
        api_key: s.api_key.clone(),
        every,
        timeout,
        stale_after,
        index: s.index.clone(),
        realm: s.realm.clone(),
        pointer: s.pointer.clone(),
        command,
        headers: s.headers.clone(),
    })
}

fn gate(g: &GateFile, at: &KeyPath, found: &mut Found, ok: &mut bool) -> Option<Criterion> {
    let kind = g
        .kind
        .as_deref()
        .unwrap_or(if g.metric.is_some() { "metric" } else { "" });
    let mut fail = |path: KeyPath, msg: &str| {
        *ok = false;
        found.push((Severity::Error, path, msg.to_string()));
        None
    };
    match kind {
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
            Some(h) if h > 0.0 => Some(Criterion::Soak { hours: h }),
            _ => fail(
                at.clone().key("hours"),
                "a soak gate needs hours > 0, e.g. hours = 24",
            ),
        },
        "" => fail(
            at.clone(),
            "set metric = \"...\" (with min/max), or kind = \"projection\" or \"soak\"",
        ),
        _ => fail(
            at.clone().key("kind"),
            "must be \"metric\", \"projection\" or \"soak\"",
        ),
    }
}

/// An http(s) URL; plain http only to loopback unless `insecure`.
fn check_url(url: &str, insecure: bool, example: &str) -> Result<(), String> {
    match reqwest::Url::parse(url) {
        Ok(u) if u.scheme() == "https" => Ok(()),
        Ok(u) if u.scheme() == "http" => {
            if insecure || u.host_str().is_some_and(is_loopback) {
                Ok(())
            } else {
                Err(
                    "plain http to a host that is not loopback: use https, or set insecure = true"
                        .into(),
                )
            }
        }
        _ => Err(format!("must be an http(s) URL like \"{example}\"")),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn hook(
    file: Option<&HookFile>,
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) -> Option<HookSpec> {
    let h = file?;
    match (&h.command, &h.webhook) {
        (Some(_), Some(_)) | (None, None) => {
            *ok = false;
            found.push((
                Severity::Error,
                at.clone(),
                "set exactly one of command = [\"prog\", \"arg\"] or webhook = \"https://…\""
                    .into(),
            ));
            None
        }
        (Some(argv), None) => {
            if argv.is_empty() || argv[0].trim().is_empty() {
                *ok = false;
                found.push((
                    Severity::Error,
                    at.clone().key("command"),
                    "must name a program: command = [\"./route.sh\", \"staff\", \"new\"]".into(),
                ));
                return None;
            }
            if !h.headers.is_empty() || h.retries.is_some() {
                found.push((
                    Severity::Warning,
                    at.clone(),
                    "headers and retries only apply to webhooks; they are ignored for a command"
                        .into(),
                ));
            }
            let timeout = duration(h.timeout.as_deref(), COMMAND_TIMEOUT, at, found, ok);
            Some(HookSpec::Command {
                argv: argv.clone(),
                timeout,
            })
        }
        (None, Some(url)) => {
            let url_ok = match check_url(url, h.insecure, "https://router.internal/hooks") {
                Ok(()) => true,
                Err(msg) => {
                    found.push((Severity::Error, at.clone().key("webhook"), msg));
                    false
                }
            };
            for (name, value) in &h.headers {
                let sensitive = name.eq_ignore_ascii_case("authorization")
                    || name.to_ascii_lowercase().contains("token")
                    || name.to_ascii_lowercase().contains("key");
                if sensitive && !value.starts_with(crate::secret::PREFIX) {
                    *ok = false;
                    found.push((
                        Severity::Error,
                        at.clone().key("headers").key(name),
                        "\u{0}looks like a secret written in the file: reference it from the environment instead, e.g. \"env:ROUTER_TOKEN\"".into(),
                    ));
                } else if let Some(var) = value.strip_prefix(crate::secret::PREFIX)
                    && std::env::var_os(var).is_none()
                {
                    found.push((
                        Severity::Warning,
                        at.clone().key("headers").key(name),
                        format!("environment variable {var} is not set now; the hook will fail unless it is set when it fires"),
                    ));
                }
            }
            let timeout = duration(h.timeout.as_deref(), WEBHOOK_TIMEOUT, at, found, ok);
            if !url_ok {
                *ok = false;
                return None;
            }
            Some(HookSpec::Webhook {
                url: url.clone(),
                headers: h.headers.clone(),
                timeout,
                retries: h.retries.unwrap_or(WEBHOOK_RETRIES),
            })
        }
    }
}
