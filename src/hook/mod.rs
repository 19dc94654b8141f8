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
    /// `None`: no hook is configured, and the transition's work is the segment's move (or
    /// its undo), which the owner runs before it.
    pub spec: Option<HookSpec>,
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
        None => HookReport {
            ok: true,
            detail: "no hook configured".into(),
        },
        Some(HookSpec::Command { argv, timeout }) => run_command(job, argv, *timeout).await,
        Some(HookSpec::Webhook {
            url,
            headers,
            timeout,
            retries,
        }) => run_webhook(job, url, headers, *timeout, *retries).await,
    };
    HookReport {
        ok: report.ok,
        detail: clip(&redactor.scrub(&report.detail)),
    }
}

async fn run_command(job: &HookJob, argv: &[String], timeout: Duration) -> HookReport {
    // Its own process group, so a timeout ends the hook and everything it started.
    let Some((mut cmd, program)) = crate::procgroup::command(argv, &job.workdir) else {
        return HookReport {
            ok: false,
            detail: "empty command".into(),
        };
    };
    cmd.env("CUTOVER_SEGMENT", &job.segment)
        .env("CUTOVER_ACTION", job.action.as_str())
        .env("CUTOVER_EVENT_ID", job.event_id.to_string())
        .env("CUTOVER_FROM", job.from.as_str())
        .env("CUTOVER_TO", job.to.as_str())
        .env("CUTOVER_ACTOR", &job.actor);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return HookReport {
                ok: false,
                detail: format!("cannot start '{}': {e}", program.display()),
            };
        }
    };
    let mut group = crate::procgroup::Group::of(&child);
    let out = Kept::default();
    let err = Kept::default();
    let mut out_task = tokio::spawn(tail(child.stdout.take(), out.clone()));
    let mut err_task = tokio::spawn(tail(child.stderr.take(), err.clone()));
    let status = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => Ok(status),
        Ok(Err(e)) => Err(format!("waiting for '{}' failed: {e}", program.display())),
        Err(_) => Err(format!(
            "'{}' did not finish within {} and was ended with everything it started",
            program.display(),
            humantime::format_duration(timeout)
        )),
    };
    if status.is_err() {
        group.end(&mut child).await;
    } else {
        group.disarm();
    }
    // The hook has exited; what it left running in the background may hold its output open,
    // so take what is there after a short grace, without waiting for the end of it.
    let readers = async {
        let _ = (&mut out_task).await;
        let _ = (&mut err_task).await;
    };
    let _ = tokio::time::timeout(OUTPUT_GRACE, readers).await;
    out_task.abort();
    err_task.abort();
    let status = match status {
        Ok(status) => status,
        Err(detail) => return HookReport { ok: false, detail },
    };
    let out = out.take();
    let err = err.take();
    let mut text = String::from_utf8_lossy(&out).into_owned();
    let err = String::from_utf8_lossy(&err);
    if !err.trim().is_empty() {
        if !text.trim().is_empty() {
            text.push('\n');
        }
        text.push_str(&err);
    }
    let code = match status.code() {
        Some(code) => format!("exit {code}"),
        None => "killed by a signal".to_string(),
    };
    HookReport {
        ok: status.success(),
        detail: if text.trim().is_empty() {
            code
        } else {
            format!("{code}: {}", text.trim())
        },
    }
}

/// Output kept from a hook, per stream: the last 64 KiB (the audit log keeps less still).
const OUTPUT_KEPT: usize = 64 * 1024;
/// How long output is still read after the hook exits.
const OUTPUT_GRACE: Duration = Duration::from_millis(200);

/// The last bytes of a stream, shared with its reader so they can be taken while it reads.
#[derive(Clone, Default)]
struct Kept(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Kept {
    fn push(&self, bytes: &[u8]) {
        if let Ok(mut kept) = self.0.lock() {
            kept.extend_from_slice(bytes);
            if kept.len() > 2 * OUTPUT_KEPT {
                let cut = kept.len() - OUTPUT_KEPT;
                kept.drain(..cut);
            }
        }
    }

    fn take(&self) -> Vec<u8> {
        let mut kept = self
            .0
            .lock()
            .map(|mut k| std::mem::take(&mut *k))
            .unwrap_or_default();
        if kept.len() > OUTPUT_KEPT {
            kept.drain(..kept.len() - OUTPUT_KEPT);
        }
        kept
    }
}

/// Read a stream to its end into `kept` (bounded: only the last [`OUTPUT_KEPT`] bytes stay).
async fn tail(stream: Option<impl tokio::io::AsyncRead + Unpin>, kept: Kept) {
    use tokio::io::AsyncReadExt;
    let Some(mut stream) = stream else {
        return;
    };
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            break;
        }
        kept.push(&buf[..n]);
    }
}

/// The first 64 KiB of a webhook's answer: a 100 MB body is not read into memory.
async fn bounded_text(mut resp: reqwest::Response) -> String {
    let mut kept = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        kept.extend_from_slice(&chunk);
        if kept.len() >= OUTPUT_KEPT {
            kept.truncate(OUTPUT_KEPT);
            break;
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
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
    // No redirects: a 3xx is the hook's failure. Following one would replay the POST as a GET
    // (and call that success), and carry secret headers to another host.
    let client = match reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
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
                if status.is_redirection() {
                    let location = crate::source::redirect_target(&resp);
                    last = format!(
                        "HTTP {} after {tries} attempt(s): a redirect to '{location}', not followed (it could turn the POST into a GET or carry secret headers to another host); set webhook to the final address",
                        status.as_u16()
                    );
                    break;
                }
                let text = bounded_text(resp).await;
                // Mask first, then cut: a secret straddling the cut leaves nothing behind.
                let snippet = crate::secret::Redactor::new(headers.values()).clip(&text, 300);
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
