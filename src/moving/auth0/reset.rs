//! Auth0's reset email for one user of a database connection (see `moving::reset_calls`).
//! Its answer is plain text, so the call is read by status alone.

use super::super::http::{Attempt, Backoff};
use super::super::problems::MoveError;
use super::super::reset_calls::{Sent, refusal};
use serde_json::json;

impl super::Auth0 {
    /// `POST https://DOMAIN/dbconnections/change_password`.
    pub async fn reset(
        &self,
        email: &str,
        client_id: &str,
        connection: &str,
    ) -> Result<Sent, MoveError> {
        let url = format!(
            "{}/dbconnections/change_password",
            self.base.trim_end_matches("/api/v2")
        );
        let body = json!({"client_id": client_id, "email": email, "connection": connection});
        let mut backoff = Backoff::default();
        loop {
            let request = self.http.client().post(&url).json(&body);
            match self.http.once(request, "a reset").await {
                Attempt::Answer(status, answer) if !(200..300).contains(&status) => {
                    return Ok(refusal(status, &answer));
                }
                // A 2xx: its plain-text body ("We've just sent you an email…") is not JSON.
                Attempt::Answer(..) | Attempt::Unreadable(_) => return Ok(Sent::Sent),
                Attempt::Again { wait, why } => match backoff.wait(wait) {
                    Some(w) => tokio::time::sleep(w).await,
                    None => return Err(self.http.unreachable("a reset", why)),
                },
            }
        }
    }
}
