//! `[legacy]`: how cutover reaches the live legacy system where an export goes — the identity
//! it binds to a directory as (`bind_dn`, `bind_password`), and the legacy database
//! (`[legacy.sql]`) — as written, and checked: every secret `env:` only.

use super::Severity;
use super::found::Found;
use super::locate::KeyPath;
use serde::Deserialize;

/// `[legacy]`: the identity cutover binds as when an export is a live LDAP directory
/// (`ldap://…` where a file path goes). No bind DN: anonymous.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyFile {
    pub bind_dn: Option<String>,
    /// `env:NAME` only: the password never sits in the file.
    pub bind_password: Option<String>,
    /// `[legacy.sql]`: the legacy database, read where an export goes as `sql:`.
    pub sql: Option<LegacySqlFile>,
    /// `[legacy.decommission]`: when the legacy system may be switched off.
    pub decommission: Option<DecommissionFile>,
}

/// `[legacy.decommission]`: the source of the legacy system's own authentication traffic (a
/// segment's `[segments.sources.METRIC]`), the threshold it must stay below, and for how
/// many days.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecommissionFile {
    pub segment: Option<String>,
    pub metric: Option<String>,
    pub below: Option<f64>,
    pub days: Option<u32>,
}

/// `[legacy.decommission]`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Decommission {
    pub segment: String,
    pub metric: String,
    pub below: f64,
    pub days: u32,
}

/// `[legacy.decommission]`: a source every segment's `[segments.sources]` can name, a finite
/// threshold, and whole days (default 14).
pub(super) fn decommission(
    raw: Option<&DecommissionFile>,
    segments: &[super::Segment],
    root: &KeyPath,
    found: &mut Found,
) -> Option<Decommission> {
    let raw = raw?;
    let at = root.clone().key("legacy").key("decommission");
    let mut fail = |key: &str, msg: String| {
        found.push((Severity::Error, at.clone().key(key), msg.into()));
    };
    let segment = raw.segment.clone().unwrap_or_default();
    let metric = raw.metric.clone().unwrap_or_default();
    match segments.iter().find(|s| s.id == segment) {
        None => fail(
            "segment",
            "must name the segment whose source reads the legacy system's authentication traffic, e.g. segment = \"staff\"".into(),
        ),
        Some(s) if s.source(&metric).is_none() => fail(
            "metric",
            format!("must name one of segment '{segment}''s [segments.sources], e.g. a Prometheus query or a command reading binds a minute from cn=Monitor"),
        ),
        Some(_) => {}
    }
    let below = raw.below.filter(|b| b.is_finite() && *b >= 0.0);
    if below.is_none() {
        fail(
            "below",
            "must be a number ≥ 0: the traffic the legacy system may still see, e.g. below = 1 (binds a minute)".into(),
        );
    }
    let days = raw.days.unwrap_or(14);
    if days == 0 {
        fail("days", "must be at least 1 (default 14)".into());
    }
    let known = segments
        .iter()
        .find(|s| s.id == segment)
        .is_some_and(|s| s.source(&metric).is_some());
    (known && days > 0).then_some(Decommission {
        segment,
        metric,
        below: below?,
        days,
    })
}

/// `[legacy.sql]`: a PostgreSQL URL (`env:NAME`) and one SELECT whose columns are named by role.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacySqlFile {
    pub url: Option<String>,
    pub query: Option<String>,
}

/// `[legacy.sql]`: its URL as an `env:` reference and a query, both.
pub(super) fn sql(
    raw: Option<&LegacySqlFile>,
    root: &KeyPath,
    found: &mut Found,
) -> Option<crate::export::sql::Query> {
    let raw = raw?;
    let at = root.clone().key("legacy").key("sql");
    let url = match raw.url.as_deref() {
        Some(u) if u.starts_with(crate::secret::PREFIX) && u.len() > 4 => Some(u.to_string()),
        _ => {
            found.push((
                Severity::Error,
                at.clone().key("url"),
                "must be \"env:NAME\", the variable holding the legacy database's URL (postgres://USER:PASSWORD@HOST/DB): it holds a password, never kept in the file".into(),
            ));
            None
        }
    };
    let query = match raw.query.as_deref().map(str::trim) {
        Some(q) if !q.is_empty() => Some(q.to_string()),
        _ => {
            found.push((
                Severity::Error,
                at.key("query"),
                "must be one SELECT whose columns are named by role, e.g. \"SELECT uid AS id, mail AS email, pw AS password_hash FROM users\"".into(),
            ));
            None
        }
    };
    Some(crate::export::sql::Query {
        url: url?,
        text: query?,
    })
}

/// `[legacy] bind_dn` with its password as an `env:` reference, both or neither.
pub(super) fn bind(
    raw: &LegacyFile,
    root: &KeyPath,
    found: &mut Found,
) -> Option<(String, String)> {
    let at = root.clone().key("legacy");
    match (&raw.bind_dn, &raw.bind_password) {
        (None, None) => None,
        (Some(dn), Some(pw)) if pw.starts_with(crate::secret::PREFIX) && pw.len() > 4 => {
            Some((dn.clone(), pw.clone()))
        }
        (Some(_), Some(_)) => {
            found.push((
                Severity::Error,
                at.key("bind_password"),
                "must be \"env:NAME\": the password is read from the environment, never kept in the file".into(),
            ));
            None
        }
        (Some(_), None) => {
            found.push((
                Severity::Error,
                at.key("bind_password"),
                "must be set with bind_dn, as \"env:NAME\" (leave both out to bind anonymously)"
                    .into(),
            ));
            None
        }
        (None, Some(_)) => {
            found.push((
                Severity::Error,
                at.key("bind_dn"),
                "must be set with bind_password: the DN to bind as, e.g. \"cn=reader,dc=example,dc=org\"".into(),
            ));
            None
        }
    }
}
