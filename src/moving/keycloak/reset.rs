//! Keycloak's execute-actions email (`UPDATE_PASSWORD`) for one user (see
//! `moving::reset_calls`).

use super::super::reset_calls::{Sent, Unsent, code_of, once, stops};
use super::super::target::user_id;

impl super::Keycloak {
    /// `PUT /users/ID/execute-actions-email` with `["UPDATE_PASSWORD"]`; a refused token is
    /// renewed once.
    pub async fn reset(&self, legacy: &str) -> Result<Sent, Unsent> {
        let url = format!(
            "{}/users/{}/execute-actions-email",
            self.admin,
            user_id(legacy)
        );
        let mut renew = false;
        loop {
            let token = self.token(renew).await?;
            let (status, answer) = once(&self.http, |c| {
                c.put(&url)
                    .bearer_auth(&token)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(r#"["UPDATE_PASSWORD"]"#)
            })
            .await?;
            return match status {
                200..=299 => Ok(Sent::Sent),
                401 if !renew => {
                    renew = true;
                    continue;
                }
                404 => Ok(Sent::Refused("not-found".into())),
                400 if code_of(&answer).contains("email") => Ok(Sent::Refused("no-email".into())),
                _ => Err(stops(&self.http, status, &answer)),
            };
        }
    }
}
