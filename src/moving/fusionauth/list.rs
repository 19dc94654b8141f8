//! FusionAuth's users, listed for a reconciliation: `POST /api/user/search` with `queryString
//! = "*"`, then `nextResults` for each next page. FusionAuth's search stops at a 10,000-user
//! window for `startRow` paging; `nextResults` (FusionAuth 1.48 and later) goes past it.
//!
//! A user's legacy id is `data.legacyId` (else its FusionAuth id); `active = false` is
//! disabled; `lastLoginInstant`, `passwordLastUpdateInstant` (milliseconds) and
//! `twoFactor.methods` are its activity. FusionAuth never says whether a password is set.

use super::super::held::{Held, Pages};
use super::super::problems::MoveError;
use serde_json::{Value, json};

/// Users a search page asks for.
const PAGE: usize = 1000;

impl super::FusionAuth {
    /// Every user of the tenant, page by page.
    pub async fn list(&self, pages: Pages<'_>) -> Result<(), MoveError> {
        // `nextResults` when the server gives one (its Elasticsearch engine); else `startRow`
        // paging, which the database engine answers without a window.
        let (mut next, mut listed): (Option<String>, u64) = (None, 0);
        loop {
            let search = match &next {
                None => json!({"queryString": "*", "numberOfResults": PAGE, "startRow": listed,
                    "accurateTotal": true, "sortFields": [{"name": "id"}]}),
                Some(token) => json!({"nextResults": token}),
            };
            let body = bytes::Bytes::from(json!({ "search": search }).to_string());
            let answer = self
                .http
                .call("a user search", |c| {
                    self.request(c, reqwest::Method::POST, "/api/user/search", &body)
                })
                .await?;
            let users = answer["users"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            let total = answer["total"].as_u64();
            listed += users.len() as u64;
            pages(users.iter().map(held).collect(), total);
            let token = answer["nextResults"]
                .as_str()
                .filter(|t| !t.is_empty() && !users.is_empty())
                .map(str::to_string);
            if token.is_some() && token == next {
                return Err(super::super::held::stuck(super::NAME, "a user search"));
            }
            let more = token.is_some() || (!users.is_empty() && total.is_some_and(|t| listed < t));
            if !more {
                return Ok(());
            }
            next = token;
        }
    }
}

fn held(u: &Value) -> Held {
    Held {
        legacy: u["data"]["legacyId"]
            .as_str()
            .or_else(|| u["id"].as_str())
            .unwrap_or_default()
            .to_string(),
        email: Held::email_digest(u["email"].as_str()),
        verified: u["verified"].as_bool(),
        disabled: u["active"].as_bool().map(|a| !a),
        password: None,
        last_login_ms: u["lastLoginInstant"].as_i64(),
        password_changed_ms: u["passwordLastUpdateInstant"].as_i64(),
        created_ms: u["insertInstant"].as_i64(),
        mfa: u["twoFactor"]["methods"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        tag: u["data"]["segment"].as_str().map(str::to_string),
    }
}
