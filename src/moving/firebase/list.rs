//! Firebase's users, listed for a reconciliation: `GET …/accounts:batchGet` with `maxResults`
//! and each next `nextPageToken`, until an answer has none.
//!
//! A user's legacy id is its `legacyId` custom claim (else its `localId`); a `passwordHash` in
//! the answer is a password; `lastLoginAt` and `passwordUpdatedAt` (milliseconds) and
//! `mfaInfo` are its activity (`batchCreate` sets `passwordUpdatedAt` to the upload time,
//! which the rollback delta counts as no change: it is before the batch's answer).

use super::super::held::{Held, Pages};
use super::super::problems::MoveError;
use serde_json::Value;

/// Users a page asks for (Firebase's largest).
const PAGE: usize = 1000;

impl super::Firebase {
    /// Every user of the project, page by page.
    pub async fn list(&self, pages: Pages<'_>) -> Result<(), MoveError> {
        let mut token: Option<String> = None;
        loop {
            let mut url = format!("{}/accounts:batchGet?maxResults={PAGE}", self.base);
            if let Some(t) = &token {
                url.push_str("&nextPageToken=");
                url.extend(form_urlencoded::byte_serialize(t.as_bytes()));
            }
            let bearer = self.bearer().await?;
            let answer = self
                .http
                .call("a user listing", |c| c.get(&url).bearer_auth(&bearer))
                .await?;
            let users = answer["users"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            pages(users.iter().map(held).collect(), None);
            let next = answer["nextPageToken"]
                .as_str()
                .filter(|t| !t.is_empty() && !users.is_empty())
                .map(str::to_string);
            if next.is_some() && next == token {
                return Err(super::super::held::stuck(super::NAME, "a user listing"));
            }
            token = next;
            if token.is_none() {
                return Ok(());
            }
        }
    }
}

/// A number Firebase may write as a string (`lastLoginAt`) or a number (`passwordUpdatedAt`).
fn millis(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.parse().ok())
}

fn held(u: &Value) -> Held {
    let claims: Option<Value> = u["customAttributes"]
        .as_str()
        .and_then(|c| serde_json::from_str(c).ok());
    let legacy = claims
        .as_ref()
        .and_then(|c| c["legacyId"].as_str().map(str::to_string));
    Held {
        legacy: legacy.unwrap_or_else(|| u["localId"].as_str().unwrap_or_default().to_string()),
        email: Held::email_digest(u["email"].as_str()),
        verified: u["emailVerified"].as_bool(),
        disabled: Some(u["disabled"].as_bool().unwrap_or(false)),
        password: Some(u["passwordHash"].as_str().is_some_and(|h| !h.is_empty())),
        last_login_ms: millis(&u["lastLoginAt"]),
        password_changed_ms: millis(&u["passwordUpdatedAt"]),
        created_ms: millis(&u["createdAt"]),
        mfa: u["mfaInfo"].as_array().is_some_and(|m| !m.is_empty()),
        tag: claims
            .as_ref()
            .and_then(|c| c["segment"].as_str().map(str::to_string)),
    }
}
