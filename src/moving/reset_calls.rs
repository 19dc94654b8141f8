//! One password-reset message to one user, through the target's own flow (what `cutover
//! reset` sends, in waves: see [`crate::reset`]):
//!
//! | target | call | a refusal about the user |
//! |---|---|---|
//! | FusionAuth | `POST /api/user/forgot-password` `{loginId, sendForgotPasswordEmail: true}` (`applicationId` from `[segments.move.login]` when set) | 404 (no such user), 422 (no email) |
//! | Auth0 | `POST https://DOMAIN/dbconnections/change_password` `{client_id, email, connection}` (its reset email; `[segments.move.login]` `client_id` and `realm`, the connection's name) | none: Auth0 answers alike for any email |
//! | Keycloak | `PUT /admin/realms/R/users/ID/execute-actions-email` `["UPDATE_PASSWORD"]` | 404, 400 "User email missing" |
//! | Authgear | the Admin API's `sendResetPasswordMessage(input: {loginID})` | `UserNotFound` |
//! | Firebase | `POST /v1/projects/P/accounts:sendOobCode` `{requestType: "PASSWORD_RESET", email}` | `EMAIL_NOT_FOUND`, `USER_NOT_FOUND`, `MISSING_EMAIL` |
//!
//! A 2xx is sent. A refusal about the user is that user's code, and the waves go on. Anything
//! else stops the waves, saying whether a message may have gone out: a refused key, a disabled
//! flow, a quota or a refused connection sent nothing (the next run sends that user), while a
//! timeout, a cut answer or a 5xx may have (the user is then uncertain, never sent again).
//! So a call is retried only where nothing can have gone out: a 429 (after its `Retry-After`)
//! and a refused connection. The email is read from the export for the call and never kept.

use super::http::{ATTEMPTS, Backoff, Http};
use super::problems::MoveError;
use super::target::Client;
use crate::config::canaries::LoginKeys;
use reqwest::RequestBuilder;
use serde_json::Value;
use std::time::Duration;

/// Who a reset goes to.
pub struct Resettee<'a> {
    pub legacy: &'a str,
    pub email: Option<&'a str>,
}

/// What one send came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Sent,
    /// The target refused it for this user: its code (never its text).
    Refused(String),
}

/// Why a send stopped the waves, and whether its message may have gone out all the same.
#[derive(Debug)]
pub struct Unsent {
    pub error: MoveError,
    pub maybe_sent: bool,
}

impl Unsent {
    /// Nothing went out.
    pub fn before(error: MoveError) -> Unsent {
        Unsent {
            error,
            maybe_sent: false,
        }
    }
}

impl From<MoveError> for Unsent {
    /// An error before the call (a token, a setting): nothing went out.
    fn from(error: MoveError) -> Unsent {
        Unsent::before(error)
    }
}

/// The answer's code where the target gives one: FusionAuth's first general error, OAuth's
/// `error`, Firebase's `error.message` (up to " : "), Keycloak's `errorMessage` (the canary
/// logins read answers by it too). Never the rest of a body, which may echo an email.
pub fn code_of(body: &Value) -> String {
    body["generalErrors"][0]["code"]
        .as_str()
        .or_else(|| body["error"]["message"].as_str())
        .or_else(|| body["error"].as_str())
        .or_else(|| body["errorMessage"].as_str())
        .map(|c| {
            c.split(" : ")
                .next()
                .unwrap_or(c)
                .chars()
                .take(60)
                .collect()
        })
        .unwrap_or_default()
}

/// A refusal that stops the waves: nothing went out.
pub fn stops(http: &Http, status: u16, body: &Value) -> Unsent {
    Unsent::before(http.refused("a reset", status, body))
}

/// One reset call: retried after a 429 or a refused connection (nothing went out), else
/// answered once; a 5xx, a timeout or a cut answer may have sent the message.
pub async fn once(
    http: &Http,
    build: impl Fn(&reqwest::Client) -> RequestBuilder,
) -> Result<(u16, Value), Unsent> {
    let mut backoff = Backoff::default();
    let mut again = |wait: Option<Duration>, why: String| match backoff.wait(wait) {
        Some(w) => Ok(w),
        None => Err(Unsent::before(http.unreachable("a reset", why))),
    };
    let maybe = |why: String| Unsent {
        error: http.unreachable("a reset", why),
        maybe_sent: true,
    };
    for _ in 0..=ATTEMPTS {
        let answer = match build(http.client()).send().await {
            Ok(a) => a,
            Err(e) if e.is_connect() => {
                let w = again(None, "could not connect".into())?;
                tokio::time::sleep(w).await;
                continue;
            }
            Err(e) if e.is_timeout() => return Err(maybe("timed out".into())),
            Err(_) => return Err(maybe("the connection failed".into())),
        };
        let status = answer.status().as_u16();
        if status == 429 {
            let asked = answer
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s.min(120)));
            let w = again(asked, "HTTP 429".into())?;
            tokio::time::sleep(w).await;
            continue;
        }
        if status >= 500 {
            return Err(maybe(format!("HTTP {status}")));
        }
        let Ok(text) = answer.text().await else {
            return Err(maybe("the answer was cut".into()));
        };
        // A 2xx that is not JSON (Auth0's reset email answers in plain text) is still a 2xx.
        return Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)));
    }
    Err(Unsent::before(http.unreachable(
        "a reset",
        "still refused after its attempts".into(),
    )))
}

impl Client {
    /// Send `who` the target's password-reset message.
    pub async fn send_reset(
        &self,
        who: &Resettee<'_>,
        login: Option<&LoginKeys>,
    ) -> Result<Sent, Unsent> {
        let Some(email) = who.email else {
            if let Client::Keycloak(k) = self {
                return k.reset(who.legacy).await;
            }
            return Ok(Sent::Refused("no-email".into()));
        };
        match self {
            Client::FusionAuth(t) => {
                let app = match login {
                    Some(LoginKeys::FusionAuth { application_id }) => application_id.as_deref(),
                    _ => None,
                };
                t.reset(email, app).await
            }
            Client::Keycloak(t) => t.reset(who.legacy).await,
            Client::Auth0(t) => match login {
                Some(LoginKeys::Auth0 {
                    client_id, realm, ..
                }) => t.reset(email, client_id, realm).await,
                _ => Err(Unsent::before(MoveError::Setup(
                    "Auth0 sends its reset email for an application of a connection: add [segments.move.login] with client_id, client_secret and realm (the connection's name)".into(),
                ))),
            },
            Client::Authgear(t) => t.reset(email).await,
            Client::Firebase(t) => t.reset(email).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn codes_come_from_each_target_s_own_field() {
        assert_eq!(
            code_of(&json!({"error": {"message": "EMAIL_NOT_FOUND"}})),
            "EMAIL_NOT_FOUND"
        );
        assert_eq!(
            code_of(&json!({"error": {"message": "RESET_PASSWORD_EXCEED_LIMIT : try later"}})),
            "RESET_PASSWORD_EXCEED_LIMIT"
        );
        assert_eq!(
            code_of(&json!({"errorMessage": "User email missing"})),
            "User email missing"
        );
        assert_eq!(code_of(&json!({"generalErrors": [{"code": "[x]"}]})), "[x]");
        assert_eq!(code_of(&Value::Null), "");
    }
}
