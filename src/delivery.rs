//! Sending one notification to one sink (`[[notify]]`): a Slack-compatible incoming webhook,
//! a webhook that gets the JSON body, or a command that gets it on stdin. One attempt; the
//! owner retries with backoff (see `crate::owner::outbox`). Never panics, never follows a
//! redirect, and every detail it returns is scrubbed of the project's secrets.

use crate::config::{Sink, SinkTarget};
use crate::model::notice::{Message, Severity};
use crate::secret::{self, Redactor};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why one delivery failed (said to the lead with the project's secrets scrubbed).
#[derive(Debug, thiserror::Error)]
enum Failed {
    #[error("{0}")]
    Secret(#[from] secret::Unresolved),
    #[error("cannot build an HTTP client: {0}")]
    Client(reqwest::Error),
    #[error("no answer: {0}")]
    NoAnswer(reqwest::Error),
    #[error("HTTP {0}: a redirect, not followed; set the sink to the final address")]
    Redirect(u16),
    #[error("HTTP {0}")]
    Status(u16),
    #[error("empty command")]
    EmptyCommand,
    #[error("cannot start '{}': {source}", .program.display())]
    Start {
        program: PathBuf,
        source: std::io::Error,
    },
    #[error("'{}' exited with {status}", .program.display())]
    Exited {
        program: PathBuf,
        status: std::process::ExitStatus,
    },
    #[error("waiting for '{}' failed: {source}", .program.display())]
    Wait {
        program: PathBuf,
        source: std::io::Error,
    },
    #[error("'{}' did not finish within {}", .program.display(), humantime::format_duration(*.after))]
    TimedOut { program: PathBuf, after: Duration },
}

/// The Slack body: a line of text (what notifications show), and blocks (what the channel
/// shows): the title, the text, and the readings.
fn slack_body(m: &Message) -> serde_json::Value {
    let icon = match m.severity {
        Severity::Critical => ":rotating_light:",
        Severity::Warn => ":warning:",
        Severity::Info => ":information_source:",
    };
    // Slack refuses a header over 150 characters and a section over 3,000.
    let cut = |t: &str, n: usize| -> String {
        if t.chars().count() <= n {
            t.to_string()
        } else {
            format!("{}…", t.chars().take(n - 1).collect::<String>())
        }
    };
    let mut blocks = vec![
        serde_json::json!({"type": "header", "text": {"type": "plain_text", "text": cut(&format!("{} · {}", m.project, m.title), 150)}}),
        serde_json::json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&m.text, 3000)}}),
    ];
    if !m.readings.is_empty() {
        let readings: Vec<String> = m.readings.iter().map(|r| format!("• {r}")).collect();
        blocks.push(serde_json::json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&readings.join("\n"), 3000)}}));
    }
    serde_json::json!({
        "text": format!("{icon} [{}] {} · {}", m.severity.as_str(), m.project, m.title),
        "blocks": blocks,
    })
}

/// Send `m` to `sink` once. `Ok`: how it was delivered (e.g. `HTTP 200`); `Err`: why not. Both
/// are text for the lead (the cockpit's header, `status`, `notify test`), scrubbed of secrets.
pub async fn deliver(
    sink: &Sink,
    m: &Message,
    workdir: &Path,
    redactor: &Redactor,
) -> Result<String, String> {
    let result = match &sink.target {
        SinkTarget::Slack { url } => post(url, &slack_body(m), sink.timeout, m).await,
        SinkTarget::Webhook { url } => post(url, &serde_json::json!(m), sink.timeout, m).await,
        SinkTarget::Command { argv } => run(argv, m, sink.timeout, workdir).await,
    };
    result
        .map(|d| redactor.clip(&d, 300))
        .map_err(|e| redactor.clip(&e.to_string(), 300))
}

async fn post(
    url: &str,
    body: &serde_json::Value,
    timeout: Duration,
    m: &Message,
) -> Result<String, Failed> {
    let url = secret::resolve(url)?;
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(Failed::Client)?;
    let mut req = client.post(&url).json(body);
    if let Some(id) = m.event_id {
        req = req.header("Idempotency-Key", id.to_string());
    }
    let resp = req
        .send()
        .await
        .map_err(|e| Failed::NoAnswer(e.without_url()))?;
    let status = resp.status();
    if status.is_success() {
        Ok(format!("HTTP {}", status.as_u16()))
    } else if status.is_redirection() {
        Err(Failed::Redirect(status.as_u16()))
    } else {
        Err(Failed::Status(status.as_u16()))
    }
}

async fn run(
    argv: &[String],
    m: &Message,
    timeout: Duration,
    workdir: &Path,
) -> Result<String, Failed> {
    use tokio::io::AsyncWriteExt;
    let (mut cmd, program) =
        crate::procgroup::command(argv, workdir).ok_or(Failed::EmptyCommand)?;
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().map_err(|source| Failed::Start {
        program: program.clone(),
        source,
    })?;
    let mut group = crate::procgroup::Group::of(&child);
    // A message is plain data: it always serializes.
    let body = serde_json::to_vec(m).unwrap_or_default();
    let stdin = child.stdin.take();
    // Writing the body and waiting share the one timeout: a command that reads nothing
    // cannot hold a delivery forever.
    let finished = tokio::time::timeout(timeout, async {
        if let Some(mut stdin) = stdin {
            let _ = stdin.write_all(&body).await;
        }
        child.wait().await
    })
    .await;
    match finished {
        Ok(Ok(status)) if status.success() => {
            group.disarm();
            Ok("exit 0".into())
        }
        Ok(Ok(status)) => {
            group.disarm();
            Err(Failed::Exited { program, status })
        }
        Ok(Err(source)) => Err(Failed::Wait { program, source }),
        Err(_) => {
            group.end(&mut child).await;
            Err(Failed::TimedOut {
                program,
                after: timeout,
            })
        }
    }
}
