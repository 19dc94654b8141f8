//! `[[notify]]`: where the owner sends word of what happened (a guard failing, an
//! auto-rollback, a phase change), so a lead hears of a 3 a.m. rollback wherever they are.
//!
//! ```toml
//! [[notify]]
//! name = "migration-leads"
//! slack = "env:SLACK_WEBHOOK_URL"   # or webhook = "https://…", or command = ["./page.sh"]
//! segments = ["eu", "us"]           # default: every segment
//! min_severity = "warn"             # info | warn | critical (default: warn)
//! ```
//!
//! The same rules as hooks: https (or loopback, or `insecure = true`), secrets only as
//! `env:NAME`, no credentials in the URL, and redirects never followed. A Slack incoming
//! webhook's URL is itself the secret, so `slack` takes only `env:NAME`.

use super::Severity as Problem;
use super::locate::KeyPath;
use super::validate::{Found, Said, duration};
use super::validate_hooks::check_url;
use crate::model::notice::Severity;
use serde::Deserialize;
use std::time::Duration;

/// `[[notify]]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyFile {
    pub name: String,
    pub slack: Option<String>,
    pub webhook: Option<String>,
    pub command: Option<Vec<String>>,
    pub segments: Option<Vec<String>>,
    pub min_severity: Option<String>,
    /// Per delivery attempt (default 10 s).
    pub timeout: Option<String>,
    /// At most [`BURST`] messages per window (default 60 s); more are folded into one digest
    /// sent when the window allows.
    pub window: Option<String>,
    #[serde(default)]
    pub insecure: bool,
}

/// Where a sink's messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkTarget {
    /// A Slack-compatible incoming webhook (`env:NAME` holding its URL): `{"text", "blocks"}`.
    Slack { url: String },
    /// A URL (literal or `env:NAME`) that gets the JSON body.
    Webhook { url: String },
    /// argv (no shell) that gets the JSON body on stdin; exit 0 is delivered.
    Command { argv: Vec<String> },
}

/// A validated sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sink {
    pub name: String,
    pub target: SinkTarget,
    /// None: every segment.
    pub segments: Option<Vec<String>>,
    pub min_severity: Severity,
    pub timeout: Duration,
    pub window: Duration,
}

/// Messages a sink gets per window before the rest are folded into a digest.
pub const BURST: usize = 3;

impl Sink {
    /// Whether a message of `severity` about `segment` goes to this sink.
    pub fn wants(&self, segment: &str, severity: Severity) -> bool {
        severity >= self.min_severity
            && self
                .segments
                .as_ref()
                .is_none_or(|list| segment == "*" || list.iter().any(|s| s == segment))
    }
}

pub(super) fn validate(
    raw: &[NotifyFile],
    segment_ids: &[&str],
    root: &KeyPath,
    found: &mut Found,
) -> Vec<Sink> {
    let mut sinks = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (i, n) in raw.iter().enumerate() {
        let at = root.clone().key("notify").index(i);
        let mut ok = true;
        let mut err = |key: &str, msg: Said, ok: &mut bool| {
            *ok = false;
            found.push((Problem::Error, at.clone().key(key), msg));
        };
        let name = n.name.trim();
        if name.is_empty() || !names.insert(name.to_string()) {
            err(
                "name",
                "must be set and unique: it names the sink in `cutover notify test NAME`".into(),
                &mut ok,
            );
        }
        let target = match (&n.slack, &n.webhook, &n.command) {
            (Some(url), None, None) => {
                if !url.starts_with(crate::secret::PREFIX) {
                    err(
                        "slack",
                        Said::hiding_value(
                            "must reference the environment, e.g. \"env:SLACK_WEBHOOK_URL\": the URL of an incoming webhook is its secret",
                        ),
                        &mut ok,
                    );
                }
                Some(SinkTarget::Slack { url: url.clone() })
            }
            (None, Some(url), None) => {
                if !url.starts_with(crate::secret::PREFIX)
                    && let Err(msg) =
                        check_url(url, n.insecure, "https://hooks.example.com/cutover")
                {
                    err("webhook", msg, &mut ok);
                }
                Some(SinkTarget::Webhook { url: url.clone() })
            }
            (None, None, Some(argv)) => {
                if argv.first().is_none_or(|p| p.trim().is_empty()) {
                    err(
                        "command",
                        "must name a program: command = [\"./page.sh\"]".into(),
                        &mut ok,
                    );
                }
                Some(SinkTarget::Command { argv: argv.clone() })
            }
            _ => {
                err(
                    "slack",
                    "set exactly one of slack = \"env:NAME\", webhook = \"https://…\" or command = [\"prog\"]".into(),
                    &mut ok,
                );
                None
            }
        };
        if let Some(list) = &n.segments {
            for s in list {
                if !segment_ids.contains(&s.as_str()) {
                    err(
                        "segments",
                        format!(
                            "'{s}' is not a segment of this project ({})",
                            segment_ids.join(", ")
                        )
                        .into(),
                        &mut ok,
                    );
                }
            }
        }
        let min_severity = match n.min_severity.as_deref() {
            None => Severity::Warn,
            Some(s) => match s.parse() {
                Ok(sev) => sev,
                Err(()) => {
                    err(
                        "min_severity",
                        format!("'{s}' is not a severity: use info, warn or critical").into(),
                        &mut ok,
                    );
                    Severity::Warn
                }
            },
        };
        let timeout = duration(
            n.timeout.as_deref(),
            Duration::from_secs(10),
            &at,
            found,
            &mut ok,
        );
        let window = super::validate::duration_key(
            "window",
            n.window.as_deref(),
            Duration::from_secs(60),
            &at,
            found,
            &mut ok,
        );
        if let (true, Some(target)) = (ok, target) {
            sinks.push(Sink {
                name: name.to_string(),
                target,
                segments: n.segments.clone(),
                min_severity,
                timeout,
                window,
            });
        }
    }
    sinks
}
