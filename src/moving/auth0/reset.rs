//! Auth0's reset email for one user of a database connection (see `moving::reset_calls`).
//! Auth0 answers alike whether the email is a user's or not, so no refusal is the user's:
//! any is the application's or the connection's, and stops the waves.

use super::super::reset_calls::{Sent, Unsent, once, stops};
use serde_json::json;

impl super::Auth0 {
    /// `POST https://DOMAIN/dbconnections/change_password`.
    pub async fn reset(
        &self,
        email: &str,
        client_id: &str,
        connection: &str,
    ) -> Result<Sent, Unsent> {
        let url = format!(
            "{}/dbconnections/change_password",
            self.base.trim_end_matches("/api/v2")
        );
        let body = json!({"client_id": client_id, "email": email, "connection": connection});
        let (status, answer) = once(&self.http, |c| c.post(&url).json(&body)).await?;
        match status {
            200..=299 => Ok(Sent::Sent),
            _ => Err(stops(&self.http, status, &answer)),
        }
    }
}
