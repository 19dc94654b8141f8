//! Keycloak's users, listed for a reconciliation: `GET /admin/realms/REALM/users` with
//! `first` and `max` (and `briefRepresentation=false`, so attributes come with each user),
//! until a page comes back short; `GET …/users/count` gives the total for progress.
//!
//! A user's legacy id is its `legacyId` attribute (else its Keycloak id); `enabled = false`
//! is disabled. Keycloak's user representation carries neither a last login nor whether a
//! password is set (those live in its events and credentials, one call per user).

use super::super::held::{Held, Pages};
use super::super::problems::MoveError;
use serde_json::Value;

/// Users a page asks for.
const PAGE: usize = 500;

impl super::Keycloak {
    /// Every user of the realm, page by page.
    pub async fn list(&self, pages: Pages<'_>) -> Result<(), MoveError> {
        let count_url = format!("{}/users/count", self.admin);
        let total = match self
            .call("a user count", |c, t| c.get(&count_url).bearer_auth(t))
            .await?
        {
            (200, n) => n.as_u64(),
            _ => None,
        };
        let (mut first, mut first_id) = (0usize, None::<String>);
        loop {
            let url = format!(
                "{}/users?first={first}&max={PAGE}&briefRepresentation=false",
                self.admin
            );
            let users = match self
                .call("a user listing", |c, t| c.get(&url).bearer_auth(t))
                .await?
            {
                (200, Value::Array(users)) => users,
                (200, _) => {
                    return Err(MoveError::Answer {
                        target: super::NAME,
                        what: "a user listing",
                        cause: "the answer is not a list of users".into(),
                    });
                }
                (status, body) => {
                    return Err(self.http.refused("a user listing", status, &body));
                }
            };
            let n = users.len();
            // A server that ignores `first` answers the first page again.
            let head = users
                .first()
                .and_then(|u| u["id"].as_str())
                .map(str::to_string);
            if first > 0 && head.is_some() && head == first_id {
                return Err(super::super::held::stuck(super::NAME, "a user listing"));
            }
            if first == 0 {
                first_id = head;
            }
            pages(users.iter().map(held).collect(), total);
            if n < PAGE {
                return Ok(());
            }
            first += n;
        }
    }
}

fn held(u: &Value) -> Held {
    Held {
        legacy: u["attributes"]["legacyId"][0]
            .as_str()
            .or_else(|| u["id"].as_str())
            .unwrap_or_default()
            .to_string(),
        email: Held::email_digest(u["email"].as_str()),
        verified: u["emailVerified"].as_bool(),
        disabled: u["enabled"].as_bool().map(|e| !e),
        created_ms: u["createdTimestamp"].as_i64(),
        ..Held::default()
    }
}
