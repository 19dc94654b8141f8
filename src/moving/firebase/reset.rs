//! Firebase's password-reset email for one user (see `moving::reset_calls`).

use super::super::reset_calls::{Sent, Unsent, code_of, once, stops};
use serde_json::json;

impl super::Firebase {
    /// `POST …/accounts:sendOobCode` with `requestType` `PASSWORD_RESET`.
    pub async fn reset(&self, email: &str) -> Result<Sent, Unsent> {
        let url = format!("{}/accounts:sendOobCode", self.base);
        let token = self.bearer().await?;
        let body = json!({"requestType": "PASSWORD_RESET", "email": email}).to_string();
        let (status, answer) = once(&self.http, |c| {
            c.post(&url)
                .bearer_auth(&token)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
        })
        .await?;
        match (status, code_of(&answer).as_str()) {
            (200..=299, _) => Ok(Sent::Sent),
            (400, "EMAIL_NOT_FOUND" | "USER_NOT_FOUND") => Ok(Sent::Refused("not-found".into())),
            (400, "MISSING_EMAIL" | "INVALID_EMAIL") => Ok(Sent::Refused("no-email".into())),
            // A quota (RESET_PASSWORD_EXCEED_LIMIT), no email template, a refused credential.
            _ => Err(stops(&self.http, status, &answer)),
        }
    }
}
