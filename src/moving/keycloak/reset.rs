//! Keycloak's execute-actions email (`UPDATE_PASSWORD`) for one user (see
//! `moving::reset_calls`).

use super::super::problems::MoveError;
use super::super::reset_calls::{Sent, refusal};
use super::super::target::user_id;

impl super::Keycloak {
    /// `PUT /users/ID/execute-actions-email` with `["UPDATE_PASSWORD"]`.
    pub async fn reset(&self, legacy: &str) -> Result<Sent, MoveError> {
        let url = format!(
            "{}/users/{}/execute-actions-email",
            self.admin,
            user_id(legacy)
        );
        let (status, answer) = self
            .call("a reset", |c, token| {
                c.put(&url)
                    .bearer_auth(token)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(r#"["UPDATE_PASSWORD"]"#)
            })
            .await?;
        match status {
            200..=299 => Ok(Sent::Sent),
            401 | 403 => Err(self.http.refused("a reset", status, &answer)),
            _ => Ok(refusal(status, &answer)),
        }
    }
}
