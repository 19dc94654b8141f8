//! FusionAuth's forgot-password flow for one user (see `moving::reset_calls`).

use super::super::problems::MoveError;
use super::super::reset_calls::{Sent, refusal};
use serde_json::json;

impl super::FusionAuth {
    /// `POST /api/user/forgot-password`, FusionAuth sending its own email.
    pub async fn reset(&self, email: &str, app: Option<&str>) -> Result<Sent, MoveError> {
        let mut body = json!({"loginId": email, "sendForgotPasswordEmail": true});
        if let Some(a) = app {
            body["applicationId"] = json!(a);
        }
        let body = bytes::Bytes::from(body.to_string());
        let (status, answer) = self
            .http
            .raw("a reset", |c| {
                self.request(c, reqwest::Method::POST, "/api/user/forgot-password", &body)
            })
            .await?;
        match status {
            200..=299 => Ok(Sent::Sent),
            401 => Err(self.http.refused("a reset", status, &answer)),
            _ => Ok(refusal(status, &answer)),
        }
    }
}
