//! One password-reset message to one user, through the target's own flow (what `cutover
//! reset` sends, in waves: see [`crate::reset`]):
//!
//! | target | call | needs |
//! |---|---|---|
//! | FusionAuth | `POST /api/user/forgot-password` `{loginId, sendForgotPasswordEmail: true}` | the move's API key; `applicationId` from `[segments.move.login]` when set |
//! | Auth0 | `POST https://DOMAIN/dbconnections/change_password` `{client_id, email, connection}` (its reset email) | `[segments.move.login]` `client_id` and `realm` (the connection's name) |
//! | Keycloak | `PUT /admin/realms/R/users/ID/execute-actions-email` `["UPDATE_PASSWORD"]` | the move's admin client |
//! | Authgear | the Admin API's `sendResetPasswordMessage(input: {loginID})` | the move's Admin API key |
//! | Firebase | `POST /v1/projects/P/accounts:sendOobCode` `{requestType: "PASSWORD_RESET", email}` | the move's credential |
//!
//! A 2xx is sent. A refusal about the user (not found, no email) is that user's code, and the
//! waves go on. Anything else (the target down after the retries, a refused key) stops the
//! waves; they resume from their journal. The email is read from the export for the call and
//! never kept.

use super::problems::MoveError;
use super::target::Client;
use crate::config::canaries::LoginKeys;

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

/// The code of a refusal: the status, and the target's own code where it gives one.
pub fn refusal(status: u16, body: &serde_json::Value) -> Sent {
    let code = body["generalErrors"][0]["code"]
        .as_str()
        .or_else(|| body["error"]["message"].as_str())
        .or_else(|| body["error"].as_str())
        .or_else(|| body["errorCode"].as_str())
        .map(|c| c.chars().take(40).collect::<String>());
    Sent::Refused(match code {
        Some(c) => format!("http-{status}:{c}"),
        None => format!("http-{status}"),
    })
}

impl Client {
    /// Send `who` the target's password-reset message.
    pub async fn send_reset(
        &self,
        who: &Resettee<'_>,
        login: Option<&LoginKeys>,
    ) -> Result<Sent, MoveError> {
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
                _ => Err(MoveError::Setup(
                    "Auth0 sends its reset email for an application of a connection: add [segments.move.login] with client_id, client_secret and realm (the connection's name)".into(),
                )),
            },
            Client::Authgear(t) => t.reset(email).await,
            Client::Firebase(t) => t.reset(email).await,
        }
    }
}
