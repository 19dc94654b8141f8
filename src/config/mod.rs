//! The project file, `cutover.toml`: its schema, loading, and validation.
//!
//! Loading never panics. A file that does not parse gives one [`Problem`] naming the line, key
//! and bad value; a file that parses is validated in full and every problem is listed, so
//! `cutover check` can show them all at once. The result of a clean load is a [`Project`] whose
//! values are known to be in range.

mod audit_file;
pub mod canaries;
pub mod change_control;
mod checks;
mod drift;
mod durations;
mod file;
mod found;
pub mod legacy;
mod lenient;
mod load;
mod locate;
mod move_targets;
pub mod moves;
mod notify;
mod reach;
pub mod reset;
mod source_kinds;
mod state;
mod validate;
mod validate_hooks;
mod validate_outside;

pub use checks::{AuditLimits, Check, CheckKind, HttpCheck, RehearsalLimits};
pub use file::{
    AuditFile, CheckFile, CheckKindFile, GateFile, HookFile, HooksFile, ProjectFile,
    ProjectSection, SegmentFile, SourceFile, SourceKind, Strategy,
};
pub use load::{LoadError, Problem, Severity, load, load_to_run, parse};
pub use locate::KeyPath;
pub use notify::{BURST, NotifyFile, Sink, SinkTarget};
pub use reach::{program_problem, rollback_cannot_run, unset_env};
pub use source_kinds::{KeyStyle, SourceRequest};
pub use state::{StateBackend, StateFile};
pub use validate::validate;

use crate::model::{HookAction, LoginModel};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::time::Duration;

/// The file name looked for in the project directory.
pub const FILE_NAME: &str = "cutover.toml";

/// A validated source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSpec {
    pub segment: String,
    pub metric: String,
    /// What kind of source it is and what it is asked with.
    pub request: SourceRequest,
    pub api_key: Option<String>,
    pub every: Duration,
    pub timeout: Duration,
    pub stale_after: Duration,
    pub headers: BTreeMap<String, String>,
}

impl SourceSpec {
    pub fn kind(&self) -> SourceKind {
        self.request.kind()
    }
}

/// A validated project.
#[derive(Debug, Clone)]
pub struct Project {
    pub name: String,
    pub legacy: Option<String>,
    pub target: Option<String>,
    pub theme: Option<String>,
    /// Members of this Unix group may use the project's socket too.
    pub socket_group: Option<String>,
    /// Raw samples are kept this long behind each series' newest day (None: forever).
    pub raw_retention: Option<Duration>,
    /// `[project] metrics`: where a long-lived owner serves its metrics (None: nowhere).
    pub metrics: Option<std::net::SocketAddr>,
    /// How `cutover audit` reads exports (`[audit]`).
    pub audit: AuditFile,
    /// Where the state lives (`[state]`).
    pub state: StateBackend,
    /// Where notifications go (`[[notify]]`).
    pub notify: Vec<Sink>,
    /// `[legacy]`: how live exports are reached (a directory's bind, the legacy database).
    pub legacy_access: crate::export::source::Access,
    /// `[legacy.decommission]`: when the legacy system may be switched off (None: not asked).
    pub decommission: Option<legacy::Decommission>,
    /// `[approvals]`, `[access]`, `[[windows]]`, `[[freezes]]`: who may act, and when.
    pub change: change_control::ChangeControl,
    pub segments: Vec<Segment>,
    /// Where each segment id is in `segments`: a lookup by id costs the same with 100,000
    /// segments as with 10 (`status` looks up every segment several times).
    index: std::collections::HashMap<String, usize>,
}

/// A validated segment.
#[derive(Debug, Clone)]
pub struct Segment {
    pub id: String,
    pub name: String,
    pub strategy: Strategy,
    pub size: u64,
    /// None only for bulk strategies that declared no login behaviour.
    pub login: Option<LoginModel>,
    pub goal: f64,
    pub deadline: Option<NaiveDate>,
    /// Points behind the projection before the segment is flagged.
    pub tolerance_points: f64,
    pub hooks: Hooks,
    pub sources: Vec<SourceSpec>,
    pub gates: Vec<crate::model::criteria::Criterion>,
    /// Test checks, run fresh by `advance` from test.
    pub checks: Vec<Check>,
    pub auto_rollback: bool,
    pub failures_before_rollback: u32,
    /// `[segments.move]`: the users cutover moves itself, when declared.
    pub moving: Option<moves::Move>,
    /// `[segments.reset]`: how fast `cutover reset` sends, when declared.
    pub reset: Option<reset::Reset>,
}

impl Segment {
    /// The source that produces `metric`, if declared.
    pub fn source(&self, metric: &str) -> Option<&SourceSpec> {
        self.sources.iter().find(|s| s.metric == metric)
    }

    /// The limits its reconciliation is judged by: those of its `reconciled` gate criterion,
    /// else of its `reconciled` check, else all 0 (any difference fails).
    pub fn reconciled_limits(&self) -> crate::model::reconciled::Limits {
        use crate::model::criteria::Criterion;
        self.gates
            .iter()
            .find_map(|c| match c {
                Criterion::Reconciled(l) => Some(*l),
                _ => None,
            })
            .or_else(|| {
                self.checks.iter().find_map(|c| match &c.kind {
                    CheckKind::Reconciled(l) => Some(*l),
                    _ => None,
                })
            })
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Hooks {
    pub cutover: Option<HookSpec>,
    pub rollback: Option<HookSpec>,
    pub done: Option<HookSpec>,
}

impl Hooks {
    pub fn get(&self, action: HookAction) -> Option<&HookSpec> {
        match action {
            HookAction::Cutover => self.cutover.as_ref(),
            HookAction::Rollback => self.rollback.as_ref(),
            HookAction::Done => self.done.as_ref(),
        }
    }
}

/// A validated hook.
#[derive(Debug, Clone, PartialEq)]
pub enum HookSpec {
    Command {
        argv: Vec<String>,
        timeout: Duration,
    },
    Webhook {
        url: String,
        /// Header name → literal value or `env:NAME` (resolved when the hook fires).
        headers: BTreeMap<String, String>,
        timeout: Duration,
        retries: u32,
    },
}

impl HookSpec {
    /// What the hook will do, for a confirm dialog or a log line (no secrets: headers are
    /// not shown).
    pub fn describe(&self) -> String {
        match self {
            HookSpec::Command { argv, .. } => format!("run {}", argv.join(" ")),
            HookSpec::Webhook { url, .. } => format!("POST {url}"),
        }
    }
}

impl Project {
    pub fn segment(&self, id: &str) -> Option<&Segment> {
        self.index
            .get(id)
            .and_then(|&i| self.segments.get(i))
            .filter(|s| s.id == id)
            // `segments` is public: a list changed after loading is still searched right.
            .or_else(|| self.segments.iter().find(|s| s.id == id))
    }

    /// Every source of every segment.
    pub fn sources(&self) -> Vec<SourceSpec> {
        self.segments
            .iter()
            .flat_map(|s| s.sources.clone())
            .collect()
    }

    /// Every `env:NAME` referenced by the project (for redaction).
    pub fn secret_refs(&self) -> Vec<String> {
        let mut refs = Vec::new();
        if let StateBackend::Postgres { url } = &self.state {
            refs.push(url.clone());
        }
        // The legacy directory's bind password and the legacy database's URL.
        refs.extend(self.legacy_access.bind.iter().map(|(_, pw)| pw.clone()));
        refs.extend(self.legacy_access.sql.iter().map(|q| q.url.clone()));
        for sink in &self.notify {
            if let SinkTarget::Slack { url } | SinkTarget::Webhook { url } = &sink.target {
                refs.push(url.clone());
            }
        }
        for seg in &self.segments {
            for spec in [&seg.hooks.cutover, &seg.hooks.rollback, &seg.hooks.done]
                .into_iter()
                .flatten()
            {
                if let HookSpec::Webhook { headers, .. } = spec {
                    refs.extend(headers.values().cloned());
                }
            }
            for check in &seg.checks {
                match &check.kind {
                    CheckKind::Http(h) => refs.extend(h.headers.values().cloned()),
                    CheckKind::Canary(c) => refs.extend(c.probe.iter().flat_map(|p| p.secrets())),
                    _ => {}
                }
            }
            for src in &seg.sources {
                refs.extend(src.api_key.iter().cloned());
                refs.extend(src.headers.values().cloned());
                if let SourceRequest::Canary { probe, .. } = &src.request {
                    refs.extend(probe.iter().flat_map(|p| p.secrets()));
                }
            }
        }
        refs.retain(|v| v.starts_with(crate::secret::PREFIX));
        refs
    }
}
