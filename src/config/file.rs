//! The project file as written: the serde shapes of `cutover.toml`, before validation.
//! Unknown keys are errors (`deny_unknown_fields`), so a typo is reported, not ignored.

use crate::model::Cohort;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The file as written (after serde, before validation).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    pub project: ProjectSection,
    #[serde(default)]
    pub segments: Vec<SegmentFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSection {
    pub name: String,
    pub legacy: Option<String>,
    pub target: Option<String>,
    /// The cockpit's theme (overridden by `--theme`).
    pub theme: Option<String>,
    /// A Unix group whose members may work through the project's socket (default: only the
    /// owner's user).
    pub socket_group: Option<String>,
    /// How long raw samples are kept behind each series' newest day, e.g. "30d" (default:
    /// forever). Minute, hour and day rollups are kept forever either way.
    pub raw_retention: Option<String>,
}

/// How a segment's users are moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Bulk import of everyone, one cutover.
    BigBang,
    /// Bulk import of this segment.
    Segment,
    /// Users move when they next log in; the S(D) curve applies.
    Slow,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::BigBang => "big-bang",
            Strategy::Segment => "segment",
            Strategy::Slow => "slow",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentFile {
    pub id: String,
    pub name: Option<String>,
    pub strategy: Strategy,
    pub size: u64,
    pub login_probability: Option<f64>,
    pub cohorts: Option<Vec<Cohort>>,
    pub goal: f64,
    /// A TOML date (`2027-03-01`) or a string holding one.
    pub deadline: Option<toml::Value>,
    /// How far behind its projection, in percentage points, a segment may fall before it is
    /// flagged. Default 5.
    pub tolerance: Option<f64>,
    #[serde(default)]
    pub hooks: HooksFile,
    /// Live sources by metric name (`migrated`, `total`, or any metric a gate reads).
    #[serde(default)]
    pub sources: BTreeMap<String, SourceFile>,
    /// Gate criteria; the same criteria guard the segment during cutover.
    #[serde(default)]
    pub gates: Vec<GateFile>,
    /// Roll back automatically after `failures_before_rollback` failing guard evaluations.
    #[serde(default)]
    pub auto_rollback: bool,
    pub failures_before_rollback: Option<u32>,
    /// Plateau signal: the daily rate fell below this fraction of the first week's (default 0.25).
    pub plateau_fraction: Option<f64>,
}

/// Where a source's number comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    #[serde(rename = "fusionauth")]
    FusionAuth,
    Elasticsearch,
    #[serde(rename = "opensearch")]
    OpenSearch,
    Keycloak,
    Auth0,
    Prometheus,
    Json,
    Command,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::FusionAuth => "fusionauth",
            SourceKind::Elasticsearch => "elasticsearch",
            SourceKind::OpenSearch => "opensearch",
            SourceKind::Keycloak => "keycloak",
            SourceKind::Auth0 => "auth0",
            SourceKind::Prometheus => "prometheus",
            SourceKind::Json => "json",
            SourceKind::Command => "command",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceFile {
    pub kind: SourceKind,
    pub url: Option<String>,
    pub query: Option<String>,
    /// Only `env:NAME`.
    pub api_key: Option<String>,
    pub every: Option<String>,
    pub timeout: Option<String>,
    pub stale_after: Option<String>,
    pub index: Option<String>,
    pub realm: Option<String>,
    pub pointer: Option<String>,
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub insecure: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateFile {
    /// `metric` (default when `metric` is set), `projection` or `soak`.
    pub kind: Option<String>,
    pub name: Option<String>,
    pub metric: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Points, for `projection`.
    pub tolerance: Option<f64>,
    /// For `soak`.
    pub hours: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HooksFile {
    pub cutover: Option<HookFile>,
    pub rollback: Option<HookFile>,
    pub done: Option<HookFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookFile {
    /// argv, run without a shell.
    pub command: Option<Vec<String>>,
    /// URL to POST a JSON body to.
    pub webhook: Option<String>,
    /// Extra webhook headers; values may be `env:NAME`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// `30s`, `2m`, ... (command default 60s, webhook default 10s per attempt).
    pub timeout: Option<String>,
    /// Webhook retries after the first attempt (default 3).
    pub retries: Option<u32>,
    /// Allow a plain `http://` webhook to a host other than loopback.
    #[serde(default)]
    pub insecure: bool,
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}
