//! Firebase's password-reset email for one user (see `moving::reset_calls`).

use super::super::problems::MoveError;
use super::super::reset_calls::{Sent, refusal};
use serde_json::json;

impl super::Firebase {
    /// `POST …/accounts:sendOobCode` with `requestType` `PASSWORD_RESET`.
    pub async fn reset(&self, email: &str) -> Result<Sent, MoveError> {
        let url = format!("{}/accounts:sendOobCode", self.base);
        let token = self.bearer().await?;
        let body = json!({"requestType": "PASSWORD_RESET", "email": email}).to_string();
        let (status, answer) = self
            .http
            .raw("a reset", |c| {
                c.post(&url)
                    .bearer_auth(&token)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        match status {
            200..=299 => Ok(Sent::Sent),
            401 | 403 => Err(self.http.refused("a reset", status, &answer)),
            _ => Ok(refusal(status, &answer)),
        }
    }
}
