//! Authgear's users, listed for a reconciliation through its Admin API (GraphQL): the `users`
//! connection, 100 at a time, each next page `after` the last one's `endCursor` while
//! `pageInfo.hasNextPage`.
//!
//! A user's legacy id is its `legacy_id` custom attribute (else its Authgear id); the email and
//! its verified flag are standard attributes; `isDisabled`, `lastLoginAt`, and its
//! authenticators (a `PRIMARY` `PASSWORD` one is a password, a `SECONDARY` one a second factor,
//! with its `createdAt`) are read as they are.

use super::super::held::{Held, Pages, rfc3339_ms};
use super::super::problems::MoveError;
use serde_json::{Value, json};

/// Users a page asks for.
const PAGE: u64 = 100;

const QUERY: &str = "query($first: Int!, $after: String) { users(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id isDisabled lastLoginAt standardAttributes customAttributes authenticators { edges { node { kind type createdAt updatedAt } } } } } } }";

impl super::Authgear {
    /// Every user of the project, page by page.
    pub async fn list(&self, pages: Pages<'_>) -> Result<(), MoveError> {
        let mut after: Option<String> = None;
        loop {
            let body = json!({"query": QUERY, "variables": {"first": PAGE, "after": after}});
            let answer = self
                .post(
                    "/_api/admin/graphql",
                    "a user listing",
                    body.to_string().into(),
                )
                .await?;
            if let Some(e) = answer["errors"].as_array().and_then(|e| e.first()) {
                return Err(self.graphql_refused("a user listing", e));
            }
            let users = &answer["data"]["users"];
            let edges = users["edges"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            pages(
                edges.iter().map(|e| held(&e["node"])).collect(),
                users["totalCount"].as_u64(),
            );
            let next = users["pageInfo"]["endCursor"]
                .as_str()
                .filter(|_| users["pageInfo"]["hasNextPage"] == true && !edges.is_empty())
                .map(str::to_string);
            if next.is_some() && next == after {
                return Err(super::super::held::stuck(super::NAME, "a user listing"));
            }
            after = next;
            if after.is_none() {
                return Ok(());
            }
        }
    }
}

fn held(u: &Value) -> Held {
    let authenticators: Vec<&Value> = u["authenticators"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["node"])
        .collect();
    let password = authenticators
        .iter()
        .find(|a| a["kind"] == "PRIMARY" && a["type"] == "PASSWORD");
    Held {
        legacy: u["customAttributes"]["legacy_id"]
            .as_str()
            .or_else(|| u["id"].as_str())
            .unwrap_or_default()
            .to_string(),
        email: Held::email_digest(u["standardAttributes"]["email"].as_str()),
        verified: u["standardAttributes"]["email_verified"].as_bool(),
        disabled: u["isDisabled"].as_bool(),
        password: Some(password.is_some()),
        last_login_ms: rfc3339_ms(u["lastLoginAt"].as_str()),
        password_changed_ms: password.and_then(|p| rfc3339_ms(p["updatedAt"].as_str())),
        created_ms: password.and_then(|p| rfc3339_ms(p["createdAt"].as_str())),
        mfa: authenticators.iter().any(|a| a["kind"] == "SECONDARY"),
        tag: u["customAttributes"]["segment"]
            .as_str()
            .map(str::to_string),
    }
}
