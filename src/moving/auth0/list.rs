//! Auth0's users, listed for a reconciliation through a users-export job, because the user
//! list API stops at 1,000 users: `POST /api/v2/jobs/users-exports` for the connection, in
//! `json` format (one user a line) with the fields named below, polled at `GET
//! /api/v2/jobs/{id}` until `completed`, then its `location` (a gzipped file, fetched without
//! the token: the URL is signed) read line by line.
//!
//! A user's legacy id is `app_metadata.legacy_id` (else its `user_id` without `auth0|`);
//! `blocked` is disabled; `last_login`, `last_password_reset` and `multifactor` are its
//! activity. An export does not say whether a password is set.

use super::super::held::{Held, Pages, rfc3339_ms};
use super::super::problems::MoveError;
use serde_json::{Value, json};
use std::io::BufRead;
use std::time::Duration;

/// Users handed over at once.
const PAGE: usize = 1000;

impl super::Auth0 {
    /// Every user of the connection, from one export job.
    pub async fn list(&self, pages: Pages<'_>) -> Result<(), MoveError> {
        let url = format!("{}/jobs/users-exports", self.base);
        let field = |name: &str, as_: &str| json!({"name": name, "export_as": as_});
        let body = json!({
            "connection_id": self.connection_id,
            "format": "json",
            "fields": [
                field("user_id", "user_id"),
                field("email", "email"),
                field("email_verified", "email_verified"),
                field("blocked", "blocked"),
                field("app_metadata.legacy_id", "legacy_id"),
                field("app_metadata.segment", "segment"),
                field("last_login", "last_login"),
                field("last_password_reset", "last_password_reset"),
                field("created_at", "created_at"),
                field("multifactor", "multifactor"),
            ],
        })
        .to_string();
        let job = self
            .http
            .call("an export job", |c| {
                c.post(&url)
                    .bearer_auth(&self.token)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        let Some(id) = job["id"].as_str().map(str::to_string) else {
            return Err(self.http.unreadable("an export job", "no job id".into()));
        };
        let location = self.exported(&id).await?;
        let file = self.download(&location).await?;
        let mut page = Vec::with_capacity(PAGE);
        let lines = std::io::BufReader::new(flate2::read::GzDecoder::new(file.as_ref())).lines();
        for line in lines {
            let line = line.map_err(|e| {
                self.http
                    .unreadable("an export file", format!("not gzipped JSON lines: {e}"))
            })?;
            if line.trim().is_empty() {
                continue;
            }
            let user: Value = serde_json::from_str(&line).map_err(|e| {
                self.http
                    .unreadable("an export file", format!("a line is not JSON: {e}"))
            })?;
            page.push(held(&user));
            if page.len() == PAGE {
                pages(std::mem::take(&mut page), None);
            }
        }
        pages(page, None);
        Ok(())
    }

    /// Wait for export job `id` to complete: its file's location.
    async fn exported(&self, id: &str) -> Result<String, MoveError> {
        let url = format!("{}/jobs/{id}", self.base);
        let mut wait = Duration::from_millis(100);
        let deadline = std::time::Instant::now() + super::super::jobs::DEADLINE;
        loop {
            let job = self
                .http
                .call("an export job's status", |c| {
                    c.get(&url).bearer_auth(&self.token)
                })
                .await?;
            match (job["status"].as_str(), job["location"].as_str()) {
                (Some("completed"), Some(location)) => return Ok(location.to_string()),
                (Some("failed" | "completed"), _) => {
                    return Err(self.http.unreadable(
                        "an export job",
                        "it ended without a file; reconcile again".into(),
                    ));
                }
                _ if std::time::Instant::now() > deadline => {
                    return Err(self.http.unreadable(
                        "an export job",
                        "it did not finish within 30 minutes; reconcile again".into(),
                    ));
                }
                _ => {}
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(super::POLL_MAX);
        }
    }

    /// The export file's bytes (a signed URL: no token is sent).
    async fn download(&self, location: &str) -> Result<bytes::Bytes, MoveError> {
        let mut why = String::new();
        for attempt in 0..3u32 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
            }
            match self.http.client().get(location).send().await {
                Ok(r) if r.status().is_success() => match r.bytes().await {
                    Ok(b) => return Ok(b),
                    Err(e) => why = format!("the file was cut short: {e}"),
                },
                Ok(r) => why = format!("answered {}", r.status().as_u16()),
                Err(_) => why = "the connection failed".into(),
            }
        }
        Err(self.http.unreadable("an export file", why))
    }
}

fn held(u: &Value) -> Held {
    Held {
        legacy: u["legacy_id"]
            .as_str()
            .or_else(|| {
                u["user_id"]
                    .as_str()
                    .map(|i| i.trim_start_matches("auth0|"))
            })
            .unwrap_or_default()
            .to_string(),
        email: Held::email_digest(u["email"].as_str()),
        verified: u["email_verified"].as_bool(),
        disabled: Some(u["blocked"].as_bool().unwrap_or(false)),
        password: None,
        last_login_ms: rfc3339_ms(u["last_login"].as_str()),
        password_changed_ms: rfc3339_ms(u["last_password_reset"].as_str()),
        created_ms: rfc3339_ms(u["created_at"].as_str()),
        mfa: u["multifactor"].as_array().is_some_and(|m| !m.is_empty()),
        tag: u["segment"].as_str().map(str::to_string),
    }
}
