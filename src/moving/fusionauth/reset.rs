//! FusionAuth's forgot-password flow for one user (see `moving::reset_calls`).

use super::super::reset_calls::{Sent, Unsent, once, stops};
use serde_json::json;

impl super::FusionAuth {
    /// `POST /api/user/forgot-password`, FusionAuth sending its own email.
    pub async fn reset(&self, email: &str, app: Option<&str>) -> Result<Sent, Unsent> {
        let mut body = json!({"loginId": email, "sendForgotPasswordEmail": true});
        if let Some(a) = app {
            body["applicationId"] = json!(a);
        }
        let body = bytes::Bytes::from(body.to_string());
        let (status, answer) = once(&self.http, |c| {
            self.request(c, reqwest::Method::POST, "/api/user/forgot-password", &body)
        })
        .await?;
        match status {
            200..=299 => Ok(Sent::Sent),
            404 => Ok(Sent::Refused("not-found".into())),
            422 => Ok(Sent::Refused("no-email".into())),
            // 403: the forgot-password email is not set up; 401: the key. Nothing went out.
            _ => Err(stops(&self.http, status, &answer)),
        }
    }
}
