//! Running a segment's test checks (`[[segments.checks]]`) and judging each one: a command
//! (exit 0 passes), an HTTP probe (status, and a number at a JSON pointer within bounds), or
//! limits on what the log recorded (the latest audit or rehearsal: [`crate::check_recorded`]).
//!
//! Checks run concurrently, each with its timeout, off the owner's loop; the owner records
//! what they found. Every verdict's reason is scrubbed of the project's secrets and cut short.
//! A check never panics and never hangs: every failure is a failing verdict with its reason.

pub use crate::check_recorded::{LatestAudit, Recorded, audit_verdict, rehearsal_verdict};
use crate::config::{Check, CheckKind, HttpCheck};
use crate::model::gate::{Status, Verdict};
use crate::secret::{self, Redactor};
use crate::source;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Longest reason kept (command output is cut to its end).
const MAX_REASON: usize = 300;
/// Output read from a check command (the rest is drained and dropped).
const MAX_OUTPUT: usize = 64 * 1024;

pub(crate) fn verdict(name: &str, status: Status, reason: impl Into<String>) -> Verdict {
    Verdict {
        name: name.to_string(),
        status,
        reason: reason.into(),
    }
}

/// Run every check; verdicts come back in the order the checks are declared.
pub async fn run(
    checks: Vec<Check>,
    workdir: PathBuf,
    redactor: Redactor,
    recorded: Recorded,
    now: DateTime<Utc>,
) -> Vec<Verdict> {
    let Recorded {
        audit,
        rehearsal,
        reconciled,
        segment,
    } = recorded;
    let client = source::client();
    let runs = checks.iter().map(|c| {
        let (workdir, client, audit, redactor, rehearsal, reconciled, segment) = (
            &workdir,
            &client,
            &audit,
            &redactor,
            &rehearsal,
            &reconciled,
            &segment,
        );
        async move {
            let v = match &c.kind {
                CheckKind::Command { argv, timeout } => {
                    command(&c.name, argv, *timeout, workdir).await
                }
                CheckKind::Http(h) => match client {
                    Ok(client) => http(&c.name, h, client).await,
                    Err(e) => verdict(&c.name, Status::Fail, e.to_string()),
                },
                CheckKind::Audit(limits) => audit_verdict(&c.name, limits, audit.as_ref(), now),
                CheckKind::Rehearsal(limits) => {
                    rehearsal_verdict(&c.name, limits, rehearsal.as_ref())
                }
                CheckKind::Canary(check) => match client {
                    Ok(client) => canary(&c.name, check, client).await,
                    Err(e) => verdict(&c.name, Status::Fail, e.to_string()),
                },
                CheckKind::Reconciled(limits) => {
                    let (status, reason) = crate::model::criteria::ReconciledSeen::judge(
                        reconciled.as_ref(),
                        limits,
                        segment,
                    );
                    verdict(&c.name, status, reason)
                }
            };
            Verdict {
                reason: clip(&redactor.scrub(&v.reason)),
                ..v
            }
        }
    });
    futures_util::future::join_all(runs).await
}

fn clip(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= MAX_REASON {
        return text.to_string();
    }
    let tail: String = text
        .chars()
        .rev()
        .take(MAX_REASON)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

async fn command(name: &str, argv: &[String], timeout: Duration, workdir: &Path) -> Verdict {
    let Some((mut cmd, program)) = crate::procgroup::command(argv, workdir) else {
        return verdict(name, Status::Fail, "empty command");
    };
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return verdict(
                name,
                Status::Fail,
                format!("cannot start '{}': {e}", program.display()),
            );
        }
    };
    // A timeout ends the check and everything it started.
    let mut group = crate::procgroup::Group::of(&child);
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let work = async {
        let (out, err) = tokio::join!(bounded(stdout), bounded(stderr));
        let status = child.wait().await;
        (status, out, err)
    };
    match tokio::time::timeout(timeout, work).await {
        Ok((Ok(status), out, err)) => {
            group.disarm();
            let text = if err.trim().is_empty() { out } else { err };
            let said = text.trim().lines().last().unwrap_or_default().to_string();
            if status.success() {
                let shown = if said.is_empty() {
                    "exit 0".into()
                } else {
                    format!("exit 0: {said}")
                };
                verdict(name, Status::Pass, shown)
            } else {
                let code = status
                    .code()
                    .map_or_else(|| "a signal".to_string(), |c| c.to_string());
                verdict(
                    name,
                    Status::Fail,
                    format!("exited with {code}: {}", text.trim()),
                )
            }
        }
        Ok((Err(e), _, _)) => verdict(name, Status::Fail, format!("waiting for it failed: {e}")),
        Err(_) => {
            group.end(&mut child).await;
            verdict(
                name,
                Status::Fail,
                format!(
                    "did not finish within {} and was ended",
                    humantime::format_duration(timeout)
                ),
            )
        }
    }
}

/// Read a pipe to its end, keeping its last [`MAX_OUTPUT`] bytes (where a failing program
/// says why).
async fn bounded(pipe: Option<impl tokio::io::AsyncRead + Unpin>) -> String {
    let Some(mut pipe) = pipe else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > 2 * MAX_OUTPUT {
                    kept.drain(..kept.len() - MAX_OUTPUT);
                }
            }
        }
    }
    let from = kept.len().saturating_sub(MAX_OUTPUT);
    String::from_utf8_lossy(&kept[from..]).into_owned()
}

async fn http(name: &str, h: &HttpCheck, client: &reqwest::Client) -> Verdict {
    let fail = |reason: String| verdict(name, Status::Fail, reason);
    let method = reqwest::Method::from_bytes(h.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut req = client.request(method, &h.url).timeout(h.timeout);
    for (header, value) in &h.headers {
        match secret::resolve(value) {
            Ok(v) => req = req.header(header.as_str(), v),
            Err(e) => return fail(e.to_string()),
        }
    }
    let shown = reqwest::Url::parse(&h.url)
        .map(|u| format!("{}{}", u.origin().ascii_serialization(), u.path()))
        .unwrap_or_else(|_| h.url.clone());
    let mut resp = match req.send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => {
            return fail(format!(
                "{shown}: no answer within {}",
                humantime::format_duration(h.timeout)
            ));
        }
        Err(e) if e.is_connect() => return fail(format!("cannot connect to {shown}")),
        Err(e) => return fail(format!("{shown}: {e}")),
    };
    let status = resp.status().as_u16();
    if resp.status().is_redirection() {
        return fail(format!(
            "{shown} answered {status}, a redirect to '{}': checks follow no redirects; set url to the final address",
            source::redirect_target(&resp)
        ));
    }
    if status != h.status {
        return fail(format!(
            "{shown} answered HTTP {status}, expected {}",
            h.status
        ));
    }
    let Some(pointer) = &h.pointer else {
        return verdict(name, Status::Pass, format!("HTTP {status}"));
    };
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() > source::MAX_BODY {
                    return fail(format!("{shown}: response body over 1 MiB rejected"));
                }
            }
            Ok(None) => break,
            Err(e) => return fail(format!("{shown}: the body could not be read ({e})")),
        }
    }
    let value = match source::parse::pointer(&body, pointer).and_then(source::finite) {
        Ok(v) => v,
        Err(e) => return fail(format!("{shown} {pointer}: {e}")),
    };
    let low = h.min.is_some_and(|m| value < m);
    let high = h.max.is_some_and(|m| value > m);
    let bounds = match (h.min, h.max) {
        (Some(lo), Some(hi)) => format!("in [{lo}, {hi}]"),
        (Some(lo), None) => format!(">= {lo}"),
        (None, Some(hi)) => format!("<= {hi}"),
        (None, None) => String::new(),
    };
    if low || high {
        fail(format!("{pointer} = {value}, expected {bounds}"))
    } else {
        verdict(
            name,
            Status::Pass,
            format!("HTTP {status}, {pointer} = {value} ({bounds})"),
        )
    }
}

/// A canary check: every canary logs in now, and at least `min_success` of them pass. A probe
/// that could not ask (the target down, a refused client) fails the check with why.
async fn canary(
    name: &str,
    check: &crate::config::canaries::CanaryCheck,
    client: &reqwest::Client,
) -> Verdict {
    let Some(probe) = check.probe.as_deref() else {
        return verdict(name, Status::Fail, "no canaries to log in");
    };
    match crate::canary::log_in_all(client, probe, check.timeout).await {
        Ok(t) if t.share() >= check.min_success => verdict(name, Status::Pass, t.summary()),
        Ok(t) => verdict(
            name,
            Status::Fail,
            format!(
                "{} (at least {:.0} % must)",
                t.summary(),
                check.min_success * 100.0
            ),
        ),
        Err(e) => verdict(
            name,
            Status::Fail,
            format!("the canaries could not log in: {e}"),
        ),
    }
}
