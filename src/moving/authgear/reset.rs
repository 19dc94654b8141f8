//! Authgear's reset-password message for one user, through the Admin API (see
//! `moving::reset_calls`).

use super::super::problems::MoveError;
use super::super::reset_calls::Sent;
use serde_json::json;

impl super::Authgear {
    /// The `sendResetPasswordMessage(input: {loginID})` mutation.
    pub async fn reset(&self, email: &str) -> Result<Sent, MoveError> {
        let body = json!({
            "query": "mutation($l: ID!) { sendResetPasswordMessage(input: {loginID: $l}) }",
            "variables": {"l": email},
        });
        let answer = self
            .post("/_api/admin/graphql", "a reset", body.to_string().into())
            .await?;
        Ok(match answer["errors"].get(0) {
            None => Sent::Sent,
            Some(e) => Sent::Refused(format!(
                "graphql:{}",
                e["extensions"]["reason"].as_str().unwrap_or("error")
            )),
        })
    }
}
