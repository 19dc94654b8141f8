//! Firing hooks: a command (argv, no shell) or a webhook (HTTP POST with an idempotency key).
//!
//! A hook run is an effect: the engine records the intent first, hands a [`HookJob`] to
//! [`run`], and records the [`HookReport`] it gets back. This module never touches the state.
//! Secrets in webhook headers are resolved here, at use, and scrubbed from every report.

use crate::config::HookSpec;
use crate::model::{HookAction, Phase};
use crate::secret::{self, Redactor};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// Longest hook output kept in the audit log.
pub const MAX_DETAIL: usize = 2_000;

/// Everything a hook needs to fire; owned, so it can run on another task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HookJob {
    pub project: String,
    pub segment: String,
    pub action: HookAction,
    /// The idempotency key: the sequence number of the request event.
    pub event_id: u64,
    pub from: Phase,
    pub to: Phase,
    pub actor: String,
    pub reason: Option<String>,
    pub requested_at: DateTime<Utc>,
    #[serde(skip)]
    pub spec: HookSpec,
    /// Where commands run (the project directory).
    #[serde(skip)]
    pub workdir: PathBuf,
}

/// How a hook run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookReport {
    pub ok: bool,
    /// What happened, for the audit log: exit status or HTTP status, and output (redacted).
    pub detail: String,
}

fn clip(text: &str) -> String {
    let text = text.trim();
    if text.len() <= MAX_DETAIL {
        return text.to_string();
    }
    let mut start = text.len() - MAX_DETAIL;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

/// Fire the hook and wait for its outcome. Never panics; every failure is a report.
pub async fn run(job: &HookJob, redactor: &Redactor) -> HookReport {
    let report = match &job.spec {
        HookSpec::Command { argv, timeout } => run_command(job, argv, *timeout).await,
        HookSpec::Webhook {
            url,
            headers,
            timeout,
            retries,
        } => run_webhook(job, url, headers, *timeout, *retries).await,
    };
    HookReport {
        ok: report.ok,
        detail: clip(&redactor.scrub(&report.detail)),
    }
}

async fn run_command(job: &HookJob, argv: &[String], timeout: Duration) -> HookReport {
    let Some((program, args)) = argv.split_first() else {
        return HookReport {
            ok: false,
            detail: "empty command".into(),
        };
    };
    let mut program = PathBuf::from(program);
    if program.is_relative() && program.components().count() > 1 {
        program = job.workdir.join(program);
    }
    let mut cmd = tokio::process::Command::new(&program);
    cmd.args(args)
        .current_dir(&job.workdir)
        .env("CUTOVER_SEGMENT", &job.segment)
        .env("CUTOVER_ACTION", job.action.as_str())
        .env("CUTOVER_EVENT_ID", job.event_id.to_string())
        .env("CUTOVER_FROM", job.from.as_str())
        .env("CUTOVER_TO", job.to.as_str())
        .env("CUTOVER_ACTOR", &job.actor)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return HookReport {
                ok: false,
                detail: format!("cannot start '{}': {e}", program.display()),
            };
        }
    };
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => HookReport {
            ok: false,
            detail: format!(
                "'{}' did not finish within {} and was killed",
                program.display(),
                humantime::format_duration(timeout)
            ),
        },
        Ok(Err(e)) => HookReport {
            ok: false,
            detail: format!("waiting for '{}' failed: {e}", program.display()),
        },
        Ok(Ok(out)) => {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            let err = String::from_utf8_lossy(&out.stderr);
            if !err.trim().is_empty() {
                if !text.trim().is_empty() {
                    text.push('\n');
                }
                text.push_str(&err);
            }
            let status = match out.status.code() {
                Some(code) => format!("exit {code}"),
                None => "killed by a signal".to_string(),
            };
            HookReport {
                ok: out.status.success(),
                detail: if text.trim().is_empty() {
                    status
                } else {
                    format!("{status}: {}", text.trim())
                },
            }
        }
    }
}

/// The JSON body a webhook receives.
#[derive(Serialize)]
struct WebhookBody<'a> {
    event_id: u64,
    project: &'a str,
    segment: &'a str,
    action: &'a str,
    from: &'a str,
    to: &'a str,
    actor: &'a str,
    reason: Option<&'a str>,
    requested_at: String,
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << attempt.min(5)))
}

async fn run_webhook(
    job: &HookJob,
    url: &str,
    headers: &std::collections::BTreeMap<String, String>,
    timeout: Duration,
    retries: u32,
) -> HookReport {
    let client = match reqwest::Client::builder().timeout(timeout).build() {
        Ok(c) => c,
        Err(e) => {
            return HookReport {
                ok: false,
                detail: format!("cannot build an HTTP client: {e}"),
            };
        }
    };
    let body = WebhookBody {
        event_id: job.event_id,
        project: &job.project,
        segment: &job.segment,
        action: job.action.as_str(),
        from: job.from.as_str(),
        to: job.to.as_str(),
        actor: &job.actor,
        reason: job.reason.as_deref(),
        requested_at: job.requested_at.to_rfc3339(),
    };
    let mut last = String::new();
    for attempt in 0..=retries {
        if attempt > 0 {
            tokio::time::sleep(backoff(attempt - 1)).await;
        }
        let mut req = client
            .post(url)
            .header("Idempotency-Key", job.event_id.to_string())
            .json(&body);
        for (name, value) in headers {
            match secret::resolve(value) {
                Ok(v) => req = req.header(name.as_str(), v),
                Err(e) => {
                    return HookReport {
                        ok: false,
                        detail: format!("header {name}: {e}"),
                    };
                }
            }
        }
        let tries = attempt + 1;
        match req.send().await {
            Ok(resp) => {
                let status = resp.status();
                let text = resp.text().await.unwrap_or_default();
                let snippet: String = text.chars().take(300).collect();
                if status.is_success() {
                    return HookReport {
                        ok: true,
                        detail: format!("HTTP {} after {tries} attempt(s)", status.as_u16()),
                    };
                }
                last = format!(
                    "HTTP {} after {tries} attempt(s): {}",
                    status.as_u16(),
                    snippet.trim()
                );
                let retryable =
                    status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408;
                if !retryable {
                    break;
                }
            }
            Err(e) => {
                let what = if e.is_timeout() {
                    format!("no answer within {}", humantime::format_duration(timeout))
                } else if e.is_connect() {
                    "cannot connect".to_string()
                } else {
                    "request failed".to_string()
                };
                last = format!("{what} to {url} after {tries} attempt(s)");
            }
        }
    }
    HookReport {
        ok: false,
        detail: last,
    }
}
