//! Authgear's reset-password message for one user, through the Admin API (see
//! `moving::reset_calls`).

use super::super::reset_calls::{Sent, Unsent, once, stops};
use serde_json::json;

impl super::Authgear {
    /// The `sendResetPasswordMessage(input: {loginID})` mutation.
    pub async fn reset(&self, email: &str) -> Result<Sent, Unsent> {
        let url = format!("{}/_api/admin/graphql", self.url);
        let body = json!({
            "query": "mutation($l: ID!) { sendResetPasswordMessage(input: {loginID: $l}) }",
            "variables": {"l": email},
        })
        .to_string();
        let jwt = self.jwt()?;
        let (status, answer) = once(&self.http, |c| {
            c.post(&url)
                .bearer_auth(&jwt)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
        })
        .await?;
        if !(200..300).contains(&status) {
            return Err(stops(&self.http, status, &answer));
        }
        match answer["errors"].get(0) {
            None => Ok(Sent::Sent),
            Some(e) if e["extensions"]["reason"] == "UserNotFound" => {
                Ok(Sent::Refused("not-found".into()))
            }
            // A rate limit, a disabled flow: the project's, not the user's.
            Some(_) => Err(stops(&self.http, status, &answer)),
        }
    }
}
