//! The HTTP manners every target is spoken to with: JSON in and out, a long timeout (an import
//! call can take minutes), and retries that honour the target's pace. A 429 or a 503 waits for
//! its `Retry-After` (at most two minutes), other 5xx answers and cut connections back off from
//! a quarter second, doubling to 30 s, for at most eight attempts; then the move stops and
//! resumes from its journal. Nothing a target says is kept but its status and an error code.
//!
//! Each target builds its own requests (its authentication differs: a bearer token, an API key
//! header, a token renewed before it expires), so a call is a closure that builds the request
//! afresh for every attempt. A call that must not be re-sent blindly (an import whose answer
//! was lost may have imported) takes one attempt at a time ([`Http::once`]) and settles what
//! happened before it tries again.

use super::problems::{MoveError, code_of};
use reqwest::{Client, RequestBuilder};
use serde_json::Value;
use std::time::Duration;

/// Attempts at one call before the move stops.
pub const ATTEMPTS: u32 = 8;
/// How long one call may take (a large synchronous import is slow).
const TIMEOUT: Duration = Duration::from_secs(600);
/// The longest `Retry-After` honoured.
const LONGEST_WAIT: Duration = Duration::from_secs(120);

pub struct Http {
    client: Client,
    target: &'static str,
}

/// What one attempt came to.
pub enum Attempt {
    /// The target answered (2xx with its JSON body, `Null` when empty; or 4xx with its body).
    Answer(u16, Value),
    /// Worth another attempt after `wait` (a 429, a 5xx, a cut or timed-out connection).
    Again { wait: Option<Duration>, why: String },
    /// A 2xx answer whose body is not JSON (what is wrong with it, in words).
    Unreadable(String),
}

/// The waits between attempts: the target's `Retry-After` when it gave one, else a doubling
/// backoff; `None` once the attempts are spent.
pub struct Backoff {
    next: Duration,
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            next: Duration::from_millis(250),
            attempt: 1,
        }
    }
}

impl Backoff {
    pub fn wait(&mut self, asked: Option<Duration>) -> Option<Duration> {
        if self.attempt >= ATTEMPTS {
            return None;
        }
        self.attempt += 1;
        let wait = asked.unwrap_or(self.next);
        self.next = (self.next * 2).min(Duration::from_secs(30));
        Some(wait)
    }
}

impl Http {
    pub fn new(target: &'static str) -> Result<Http, MoveError> {
        let client = Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| MoveError::Setup(format!("cannot make an HTTP client: {e}")))?;
        Ok(Http { client, target })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// One attempt at `request`.
    pub async fn once(&self, request: RequestBuilder, what: &'static str) -> Attempt {
        let answer = match request.send().await {
            Err(e) => {
                let why = if e.is_timeout() {
                    "timed out"
                } else {
                    "the connection failed"
                };
                return Attempt::Again {
                    wait: None,
                    why: why.into(),
                };
            }
            Ok(a) => a,
        };
        let status = answer.status();
        let retry_after = answer
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s).min(LONGEST_WAIT));
        if status.as_u16() == 429 || status.is_server_error() {
            return Attempt::Again {
                wait: retry_after,
                why: format!("HTTP {}", status.as_u16()),
            };
        }
        let Ok(text) = answer.text().await else {
            return Attempt::Again {
                wait: None,
                why: format!("the body of {what} was cut"),
            };
        };
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            match serde_json::from_str(&text) {
                Ok(v) => v,
                // A 4xx body that is not JSON still has its status to say.
                Err(_) if !status.is_success() => Value::Null,
                Err(e) => return Attempt::Unreadable(format!("not JSON: {}", e.classify_name())),
            }
        };
        Attempt::Answer(status.as_u16(), body)
    }

    /// `build`'s request, retried as the module says; any status below 500 comes back with its
    /// body for the caller to read.
    pub async fn raw(
        &self,
        what: &'static str,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<(u16, Value), MoveError> {
        let mut backoff = Backoff::default();
        loop {
            match self.once(build(&self.client), what).await {
                Attempt::Unreadable(cause) => return Err(self.unreadable(what, cause)),
                Attempt::Answer(status, body) => return Ok((status, body)),
                Attempt::Again { wait, why } => match backoff.wait(wait) {
                    Some(w) => tokio::time::sleep(w).await,
                    None => return Err(self.unreachable(what, why)),
                },
            }
        }
    }

    /// `build`'s request, retried as the module says; a 2xx answer's JSON, or the refusal.
    pub async fn call(
        &self,
        what: &'static str,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Value, MoveError> {
        let (status, body) = self.raw(what, build).await?;
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(self.refused(what, status, &body))
        }
    }

    /// An OAuth 2.0 token request (`pairs`, form-encoded) to `url`: the access token, and how
    /// long it lives (a finite, positive `expires_in`, at most a day, or the answer is refused).
    pub async fn token(
        &self,
        url: &str,
        pairs: &[(&str, &str)],
    ) -> Result<(String, Duration), MoveError> {
        let form = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let answer = self
            .call("a token request", |c| {
                c.post(url)
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(form.clone())
            })
            .await?;
        let token = answer["access_token"].as_str().filter(|t| !t.is_empty());
        let life = answer["expires_in"]
            .as_f64()
            .filter(|s| s.is_finite() && *s > 0.0);
        match (token, life) {
            (Some(t), Some(life)) => {
                Ok((t.to_string(), Duration::from_secs_f64(life.min(86_400.0))))
            }
            _ => Err(self.unreadable(
                "a token request",
                "no access_token with a positive expires_in".into(),
            )),
        }
    }

    /// The move stops: `what` got no answer after every attempt.
    pub fn unreachable(&self, what: &'static str, cause: String) -> MoveError {
        MoveError::Unreachable {
            target: self.target,
            what,
            attempts: ATTEMPTS,
            cause,
        }
    }

    /// An answer cutover cannot read.
    pub fn unreadable(&self, what: &'static str, cause: String) -> MoveError {
        MoveError::Answer {
            target: self.target,
            what,
            cause,
        }
    }

    /// A refusal as an error: its status, the code its body names, and what to do.
    pub fn refused(&self, what: &'static str, status: u16, body: &Value) -> MoveError {
        let code = body["error"]["message"]
            .as_str()
            .or(body["message"].as_str())
            .or(body["errorCode"].as_str())
            .or(body["error"].as_str())
            .map_or_else(|| "UNKNOWN".into(), code_of);
        let fix = match status {
            401 | 403 => "check the move's credentials ([segments.move] token or key, from env:)",
            404 => "check the move's url and project, tenant or realm",
            _ => "the move stops here; fix the cause and run it again to resume",
        };
        MoveError::Refused {
            target: self.target,
            what,
            status,
            code,
            fix,
        }
    }
}

/// serde_json's error kind, as words (never the text that failed).
trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "cut short",
            serde_json::error::Category::Syntax => "bad syntax",
            serde_json::error::Category::Data => "unexpected shape",
            serde_json::error::Category::Eof => "cut short",
        }
    }
}
