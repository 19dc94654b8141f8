//! The project file as written: the serde shapes of `cutover.toml`, before validation.
//! Unknown keys are errors (`deny_unknown_fields`), so a typo is reported, not ignored.

use crate::model::Cohort;
use serde::Deserialize;

pub use super::audit_file::AuditFile;
use std::collections::BTreeMap;

/// The file as written (after serde, before validation).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    pub project: ProjectSection,
    /// How `cutover audit` reads the project's user exports.
    #[serde(default)]
    pub audit: AuditFile,
    /// Where the state lives: sled (default) or PostgreSQL.
    #[serde(default)]
    pub state: super::StateFile,
    /// Where notifications go.
    #[serde(default)]
    pub notify: Vec<super::NotifyFile>,
    /// How cutover binds to a live legacy directory named where an export goes.
    #[serde(default)]
    pub legacy: super::legacy::LegacyFile,
    /// Actions that need a second person (`[approvals]`).
    pub approvals: Option<super::change_control::ApprovalsFile>,
    /// Who may watch but not act (`[access]`).
    #[serde(default)]
    pub access: super::change_control::AccessFile,
    /// When actions are allowed (`[[windows]]`) and refused (`[[freezes]]`).
    #[serde(default)]
    pub windows: Vec<super::change_control::WindowFile>,
    #[serde(default)]
    pub freezes: Vec<super::change_control::FreezeFile>,
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
    /// Where the owning `watch` or cockpit serves Prometheus metrics, e.g. "127.0.0.1:9464"
    /// (a port alone binds loopback; `watch --metrics` overrides it).
    pub metrics: Option<String>,
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
    /// Test checks: `advance` from test runs them all, fresh, and each must pass.
    #[serde(default)]
    pub checks: Vec<CheckFile>,
    /// Roll back automatically after `failures_before_rollback` fresh failing readings in a
    /// row (see `model::streak` for the counting rule).
    #[serde(default)]
    pub auto_rollback: bool,
    pub failures_before_rollback: Option<u32>,
    /// Plateau signal: the daily rate fell below this fraction of the first week's (default 0.25).
    pub plateau_fraction: Option<f64>,
    /// `[segments.move]`: the users cutover moves itself (see `config::moves`).
    #[serde(rename = "move")]
    pub moving: Option<super::moves::MoveFile>,
    /// `[[segments.canaries]]`: test users cutover logs in (see `config::canaries`).
    #[serde(default)]
    pub canaries: Vec<super::canaries::CanaryFile>,
    /// `[segments.reset]`: the pace of `cutover reset` (see `config::reset`).
    pub reset: Option<super::reset::ResetFile>,
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
    #[serde(rename = "supertokens")]
    SuperTokens,
    /// The segment's canaries logging in (see `config::canaries`).
    Canary,
    /// Legacy users created or changed since the last move (see `export::drift`).
    Drift,
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
            SourceKind::SuperTokens => "supertokens",
            SourceKind::Canary => "canary",
            SourceKind::Drift => "drift",
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
    /// `canary`: `success` (the share that logged in, the default) or `latency` (ms).
    pub measure: Option<String>,
    /// `drift`: since when (`move`, the default; `cutover`; or an RFC 3339 time).
    pub since: Option<String>,
    /// `drift` on `sql:`: the query's column of each user's last change.
    pub modified: Option<String>,
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
    /// For `reconciled` (each 0 unless given).
    pub max_missing: Option<u64>,
    pub max_extra: Option<u64>,
    pub max_changed: Option<u64>,
    pub max_duplicated: Option<u64>,
    pub max_without_password: Option<u64>,
    /// For `drift` (default 0: no legacy user changed since the last move).
    pub max_drift: Option<u64>,
    /// For `canary` (default 1: every canary logs in).
    pub min_success: Option<f64>,
}

/// What a test check runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKindFile {
    /// A program (argv, no shell): exit 0 passes.
    Command,
    /// An HTTP request: the expected status, and optionally a number at a JSON pointer.
    Http,
    /// The segment's latest `cutover audit`, within limits.
    Audit,
    /// The segment's latest rehearsal of its move (`cutover move --rehearse`), within limits.
    Rehearsal,
    /// The segment's latest `cutover reconcile`, within limits (each 0 unless given).
    Reconciled,
    /// The segment's canaries log in through the target's login API.
    Canary,
}

/// `[[segments.checks]]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckFile {
    pub kind: CheckKindFile,
    /// How refusals and screens name it (default: from its kind and target).
    pub name: Option<String>,
    /// `command`: argv, run without a shell in the project folder.
    pub command: Option<Vec<String>>,
    /// `command` and `http` (default 30s).
    pub timeout: Option<String>,
    /// `http`: the URL (https, or http to loopback).
    pub url: Option<String>,
    /// `http`: GET (default), HEAD or POST.
    pub method: Option<String>,
    /// `http`: the expected status (default 200).
    pub status: Option<u16>,
    /// `http`: a JSON pointer to a number in the body, bounded by `min` and/or `max`.
    pub pointer: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// `http`: headers; secret values only as `env:NAME`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub insecure: bool,
    /// `audit`: limits on the segment's latest audit.
    pub max_duplicates: Option<u64>,
    pub max_unmovable_hashes: Option<u64>,
    pub max_bad_rows: Option<u64>,
    pub max_invalid_emails: Option<u64>,
    /// `audit`: how old the latest audit may be, e.g. "7d".
    pub max_age: Option<String>,
    /// `rehearsal`: the most users the latest rehearsal may have failed to move.
    pub max_failed: Option<u64>,
    /// `rehearsal`: the longest the latest rehearsal may have taken (the real move's window),
    /// e.g. "45m".
    pub max_duration: Option<String>,
    /// `reconciled`: the most differences the latest reconciliation may have (each 0 unless
    /// given).
    pub max_missing: Option<u64>,
    pub max_extra: Option<u64>,
    pub max_changed: Option<u64>,
    pub max_duplicated: Option<u64>,
    pub max_without_password: Option<u64>,
    /// `canary`: the least share of canaries that must log in (default 1: all).
    pub min_success: Option<f64>,
}

/// The limits of a `reconciled` check or gate criterion, as written (the keys both take).
#[derive(Debug, Clone, Copy, Default)]
pub struct ReconciledFile {
    pub max_missing: Option<u64>,
    pub max_extra: Option<u64>,
    pub max_changed: Option<u64>,
    pub max_duplicated: Option<u64>,
    pub max_without_password: Option<u64>,
}

macro_rules! reconciled_keys {
    ($t:ty) => {
        impl $t {
            /// Its `reconciled` limits, as written.
            pub fn reconciled(&self) -> ReconciledFile {
                ReconciledFile {
                    max_missing: self.max_missing,
                    max_extra: self.max_extra,
                    max_changed: self.max_changed,
                    max_duplicated: self.max_duplicated,
                    max_without_password: self.max_without_password,
                }
            }
        }
    };
}
reconciled_keys!(GateFile);
reconciled_keys!(CheckFile);

impl ReconciledFile {
    /// The keys set, by name.
    pub fn set(&self) -> Vec<&'static str> {
        [
            ("max_missing", self.max_missing),
            ("max_extra", self.max_extra),
            ("max_changed", self.max_changed),
            ("max_duplicated", self.max_duplicated),
            ("max_without_password", self.max_without_password),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| k)
        .collect()
    }

    /// The limits, 0 where not given.
    pub fn limits(&self) -> crate::model::reconciled::Limits {
        crate::model::reconciled::Limits {
            max_missing: self.max_missing.unwrap_or(0),
            max_extra: self.max_extra.unwrap_or(0),
            max_changed: self.max_changed.unwrap_or(0),
            max_duplicated: self.max_duplicated.unwrap_or(0),
            max_without_password: self.max_without_password.unwrap_or(0),
        }
    }
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
