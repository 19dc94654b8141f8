//! The HTTP manners every target is spoken to with: a bearer token, JSON in and out, a long
//! timeout (an import call can take minutes), and retries that honour the target's pace. A
//! 429 or a 503 waits for its `Retry-After` (at most two minutes), other 5xx answers and cut
//! connections back off from a quarter second, doubling to 30 s, for at most eight attempts;
//! then the move stops and resumes from its journal. Nothing a target says is kept but its
//! status and an error code.

use super::problems::{MoveError, code_of};
use serde_json::Value;
use std::time::Duration;

/// Attempts at one call before the move stops.
pub const ATTEMPTS: u32 = 8;
/// How long one call may take (a large synchronous import is slow).
const TIMEOUT: Duration = Duration::from_secs(600);
/// The longest `Retry-After` honoured.
const LONGEST_WAIT: Duration = Duration::from_secs(120);

pub struct Http {
    client: reqwest::Client,
    target: &'static str,
    token: String,
}

impl Http {
    pub fn new(target: &'static str, token: String) -> Result<Http, MoveError> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| MoveError::Setup(format!("cannot make an HTTP client: {e}")))?;
        Ok(Http {
            client,
            target,
            token,
        })
    }

    /// POST `body` (JSON) to `url` and read the JSON answer, retrying as the module says.
    pub async fn post(
        &self,
        url: &str,
        what: &'static str,
        body: &impl serde::Serialize,
    ) -> Result<Value, MoveError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| MoveError::Setup(format!("cannot encode {what}: {e}")))?;
        self.post_json(url, what, bytes::Bytes::from(bytes)).await
    }

    /// POST a body already encoded as JSON.
    pub async fn post_json(
        &self,
        url: &str,
        what: &'static str,
        body: bytes::Bytes,
    ) -> Result<Value, MoveError> {
        let mut backoff = Duration::from_millis(250);
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let sent = self
                .client
                .post(url)
                .bearer_auth(&self.token)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send()
                .await;
            let wait = match sent {
                Err(e) => {
                    last = if e.is_timeout() {
                        "timed out".into()
                    } else {
                        "the connection failed".into()
                    };
                    backoff
                }
                Ok(answer) => {
                    let status = answer.status();
                    let retry_after = answer
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s).min(LONGEST_WAIT));
                    let text = answer.text().await;
                    if status.is_success() {
                        let text = text.map_err(|e| MoveError::Answer {
                            target: self.target,
                            what,
                            cause: format!("the body was cut: {e}"),
                        });
                        match text {
                            Ok(t) => {
                                return serde_json::from_str(&t).map_err(|e| MoveError::Answer {
                                    target: self.target,
                                    what,
                                    cause: format!("not JSON: {}", e.classify_name()),
                                });
                            }
                            Err(_) => backoff,
                        }
                    } else if status.as_u16() == 429 || status.is_server_error() {
                        last = format!("HTTP {}", status.as_u16());
                        retry_after.unwrap_or(backoff)
                    } else {
                        let code = text
                            .ok()
                            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                            .and_then(|v| {
                                v["error"]["message"]
                                    .as_str()
                                    .or(v["message"].as_str())
                                    .or(v["errorCode"].as_str())
                                    .map(code_of)
                            })
                            .unwrap_or_else(|| "UNKNOWN".into());
                        let fix = match status.as_u16() {
                            401 | 403 => {
                                "check the move's credentials ([segments.move] token or key, from env:)"
                            }
                            404 => "check the move's url and project, tenant or realm",
                            _ => "the move stops here; fix the cause and run it again to resume",
                        };
                        return Err(MoveError::Refused {
                            target: self.target,
                            what,
                            status: status.as_u16(),
                            code,
                            fix,
                        });
                    }
                }
            };
            if attempt < ATTEMPTS {
                tokio::time::sleep(wait).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
        Err(MoveError::Unreachable {
            target: self.target,
            what,
            attempts: ATTEMPTS,
            cause: last,
        })
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
