//! Live sources: fetching one number from an identity system or a metrics server.
//!
//! Each [`SourceSpec`] (validated from `[segments.sources.NAME]`) says how to ask and where the
//! number is in the answer (the vendor table in `docs/live-data.md`). [`fetch`] does one request with a timeout and a 1 MiB
//! body limit and returns the number or a [`SourceError`] naming what went wrong. Secrets
//! (`api_key`, header values) are resolved from the environment here, at use, and never kept.
//! Polling on an interval, backoff and storage live in [`crate::runtime`].

mod outcome;
pub mod parse;

pub use outcome::{PollError, PollFailure, Polled, SourceError};

use crate::config::{KeyStyle, SourceRequest, SourceSpec};
use crate::secret;
use std::path::Path;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Largest response body accepted.
pub const MAX_BODY: usize = 1 << 20;

fn base(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// The request URL of an HTTP source (query parameters encoded).
pub fn request_url(spec: &SourceSpec) -> Result<reqwest::Url, SourceError> {
    let (url, parsed) = match &spec.request {
        SourceRequest::FusionAuth { url, query } => (
            url,
            reqwest::Url::parse_with_params(
                &format!("{}/api/user/search", base(url)),
                [("queryString", query)],
            ),
        ),
        SourceRequest::Elasticsearch { url, index, query }
        | SourceRequest::OpenSearch { url, index, query } => (
            url,
            reqwest::Url::parse_with_params(
                &format!("{}/{index}/_count", base(url)),
                [("q", query)],
            ),
        ),
        SourceRequest::Keycloak { url, realm, query } => (
            url,
            reqwest::Url::parse_with_params(
                &format!("{}/admin/realms/{realm}/users/count", base(url)),
                [("q", query)],
            ),
        ),
        SourceRequest::Auth0 { url, query } => (
            url,
            reqwest::Url::parse_with_params(
                &format!("{}/api/v2/users", base(url)),
                [
                    ("q", query.as_str()),
                    ("search_engine", "v3"),
                    ("include_totals", "true"),
                    ("per_page", "0"),
                ],
            ),
        ),
        SourceRequest::Prometheus { url, query } => (
            url,
            reqwest::Url::parse_with_params(
                &format!("{}/api/v1/query", base(url)),
                [("query", query)],
            ),
        ),
        SourceRequest::Json { url, .. } => (url, reqwest::Url::parse(url)),
        SourceRequest::SuperTokens { url } => (
            url,
            reqwest::Url::parse(&format!("{}/users/count", base(url))),
        ),
        SourceRequest::Command { .. }
        | SourceRequest::Canary { .. }
        | SourceRequest::Drift { .. } => return Err(no_http()),
    };
    parsed.map_err(|e| SourceError::Request(format!("bad url '{url}': {e}")))
}

/// One HTTP client for all sources (connection reuse); per-request timeouts come from specs.
///
/// It follows no redirects: a redirect is the source's error (see [`SourceError::Redirect`]).
/// Following one would send the source's key (a custom header crosses hosts in reqwest) to
/// wherever the answer points, plain-http hosts included.
pub fn client() -> Result<reqwest::Client, SourceError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("cutover/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| SourceError::Request(format!("cannot build an HTTP client: {e}")))
}

/// Ask a source for its number once.
pub async fn fetch(
    client: &reqwest::Client,
    spec: &SourceSpec,
    workdir: &Path,
) -> Result<f64, SourceError> {
    if let SourceRequest::Command { argv } = &spec.request {
        return run_command(argv, spec.timeout, workdir).await;
    }
    if let SourceRequest::Canary { measure, probe } = &spec.request {
        return canaries(client, *measure, probe.as_deref(), spec.timeout).await;
    }
    if let SourceRequest::Drift {
        export,
        modified,
        moment,
        ..
    } = &spec.request
    {
        return drift(export.as_deref(), modified.clone(), moment, spec.timeout).await;
    }
    let url = request_url(spec)?;
    let mut req = client.get(url.clone()).timeout(spec.timeout);
    if let Some(key) = &spec.api_key {
        let key = secret::resolve(key)?;
        req = match spec.request.key_style() {
            // FusionAuth takes the API key as the raw Authorization header.
            KeyStyle::Raw => req.header("Authorization", key),
            KeyStyle::ApiKey => req.header("Authorization", format!("ApiKey {key}")),
            KeyStyle::Bearer => req.bearer_auth(key),
            KeyStyle::Header(name) => req.header(name, key),
            KeyStyle::None => req,
        };
    }
    for (name, value) in &spec.headers {
        req = req.header(name.as_str(), secret::resolve(value)?);
    }
    let shown = format!("{}{}", url.origin().ascii_serialization(), url.path());
    let mut resp = req
        .send()
        .await
        .map_err(|e| classify(&e, &shown, spec.timeout))?;
    let status = resp.status();
    if status.is_redirection() {
        return Err(SourceError::Redirect {
            status: status.as_u16(),
            url: shown,
            location: redirect_target(&resp),
        });
    }
    if let Some(len) = resp.content_length()
        && len > MAX_BODY as u64
    {
        return Err(SourceError::TooLarge(len));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| classify(&e, &shown, spec.timeout))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BODY {
            return Err(SourceError::TooLarge(body.len() as u64));
        }
    }
    // The source's own secrets are masked in the body before any excerpt of it is cut (an
    // error may quote the body, and a key straddling the cut would leave its prefix behind).
    let redactor = secret::Redactor::new(spec.api_key.iter().chain(spec.headers.values()));
    let body = if redactor.is_empty() {
        body
    } else {
        redactor.scrub(&String::from_utf8_lossy(&body)).into_bytes()
    };
    if !status.is_success() {
        // Prometheus answers errors with 400/422/503 and a JSON body naming them.
        if matches!(spec.request, SourceRequest::Prometheus { .. })
            && let Err(e @ SourceError::Prometheus(_)) = parse::prometheus(&body)
        {
            return Err(e);
        }
        let text = String::from_utf8_lossy(&body);
        return Err(SourceError::Http {
            status: status.as_u16(),
            url: shown,
            snippet: redactor.clip(text.trim(), 200),
        });
    }
    let value = match &spec.request {
        SourceRequest::FusionAuth { .. } => parse::fusionauth(&body),
        SourceRequest::Elasticsearch { .. } | SourceRequest::OpenSearch { .. } => {
            parse::es_count(&body)
        }
        SourceRequest::Keycloak { .. } => parse::keycloak(&body),
        SourceRequest::Auth0 { .. } => parse::auth0(&body),
        SourceRequest::Prometheus { .. } => parse::prometheus(&body),
        SourceRequest::Json { pointer, .. } => parse::pointer(&body, pointer),
        SourceRequest::SuperTokens { .. } => parse::supertokens(&body),
        SourceRequest::Command { .. }
        | SourceRequest::Canary { .. }
        | SourceRequest::Drift { .. } => Err(no_http()),
    }?;
    finite(value)
}

/// A canary source's number: the share of its canaries that logged in, or the slowest
/// login in milliseconds (an error when none did: there is no latency to report).
async fn canaries(
    client: &reqwest::Client,
    measure: crate::config::canaries::Measure,
    probe: Option<&crate::config::canaries::CanaryProbe>,
    timeout: Duration,
) -> Result<f64, SourceError> {
    let probe = probe.ok_or_else(|| SourceError::Request("no canaries to log in".into()))?;
    let tally = crate::canary::log_in_all(client, probe, timeout).await?;
    let value = match measure {
        crate::config::canaries::Measure::Success => tally.share(),
        crate::config::canaries::Measure::Latency => tally
            .slowest_ms
            .ok_or_else(|| SourceError::Request(format!("no latency: {}", tally.summary())))?,
    };
    finite(value)
}

/// A drift source's number: legacy users created or changed since its moment, counted on the
/// live export (0 while there is no moment: nothing moved, nothing drifted from it).
async fn drift(
    export: Option<&crate::export::Source>,
    modified: Option<String>,
    moment: &crate::export::drift::Moment,
    timeout: Duration,
) -> Result<f64, SourceError> {
    let export = export
        .cloned()
        .ok_or_else(|| SourceError::Request("the segment has no live export to count".into()))?;
    let Some(since) = moment.get() else {
        return Ok(0.0);
    };
    let count = tokio::task::spawn_blocking(move || {
        crate::export::drift::count(&export, modified.as_deref(), since, timeout)
    });
    match tokio::time::timeout(timeout, count).await {
        Ok(Ok(Ok(n))) => finite(n as f64),
        Ok(Ok(Err(e))) => Err(SourceError::Request(e.to_string())),
        Ok(Err(e)) => Err(SourceError::Request(format!("the count stopped: {e}"))),
        Err(_) => Err(SourceError::Timeout(
            humantime::format_duration(timeout).to_string(),
        )),
    }
}

/// Where a redirect points (its `Location`, cut to 200 characters), for the error that
/// refuses to follow it.
pub fn redirect_target(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("?")
        .chars()
        .take(200)
        .collect()
}

/// Every number that enters is a number: NaN (Prometheus answers it for 0/0) and ±∞ are the
/// source's error, so a criterion over it is unknown, never a pass.
pub fn finite(value: f64) -> Result<f64, SourceError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(SourceError::NotFinite(value.to_string()))
    }
}

fn no_http() -> SourceError {
    SourceError::Request("a command, canary or drift source has no single HTTP request".into())
}

fn classify(e: &reqwest::Error, url: &str, timeout: Duration) -> SourceError {
    if e.is_timeout() {
        SourceError::Timeout(humantime::format_duration(timeout).to_string())
    } else if e.is_connect() {
        SourceError::Connect(url.to_string())
    } else if e.is_body() || e.is_decode() {
        SourceError::Malformed(format!("the body could not be read ({e})"))
    } else {
        SourceError::Request(e.to_string())
    }
}

async fn run_command(
    argv: &[String],
    timeout: Duration,
    workdir: &Path,
) -> Result<f64, SourceError> {
    let Some((mut cmd, program)) = crate::procgroup::command(argv, workdir) else {
        return Err(SourceError::Command("empty command".into()));
    };
    let mut child = cmd
        .spawn()
        .map_err(|e| SourceError::Command(format!("cannot start '{}': {e}", program.display())))?;
    // Whatever the command started ends with it, on a timeout or a cancelled poll.
    let mut group = crate::procgroup::Group::of(&child);
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| SourceError::Command("no stdout".into()))?;
    let mut stderr = child
        .stderr
        .take()
        .ok_or_else(|| SourceError::Command("no stderr".into()))?;
    // stderr on its own task: a child blocked on a full stdout never closes it.
    let err_task = tokio::spawn(async move {
        let mut err = Vec::new();
        let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut err).await;
        err
    });
    let work = async {
        let mut out = Vec::new();
        (&mut stdout)
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut out)
            .await
            .map_err(|e| SourceError::Command(e.to_string()))?;
        // Over the limit: say so now (the child, blocked on a full pipe, is killed on drop)
        // rather than wait for it to time out.
        if out.len() > MAX_BODY {
            return Err(SourceError::TooLarge(out.len() as u64));
        }
        let status = child
            .wait()
            .await
            .map_err(|e| SourceError::Command(e.to_string()))?;
        Ok::<_, SourceError>((status, out))
    };
    let worked = tokio::time::timeout(timeout, work).await;
    let (status, out) = match worked {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => {
            err_task.abort();
            return Err(e);
        }
        Err(_) => {
            err_task.abort();
            return Err(SourceError::Timeout(
                humantime::format_duration(timeout).to_string(),
            ));
        }
    };
    group.disarm();
    let err = tokio::time::timeout(Duration::from_millis(200), err_task)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    if !status.success() {
        let text = String::from_utf8_lossy(&err);
        return Err(SourceError::Command(format!(
            "'{}' exited with {}: {}",
            program.display(),
            status
                .code()
                .map_or_else(|| "a signal".to_string(), |c| c.to_string()),
            text.trim().chars().take(200).collect::<String>()
        )));
    }
    finite(parse::stdout_number(&out)?)
}
