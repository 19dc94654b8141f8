//! Keycloak's users, listed for a reconciliation: `GET /admin/realms/REALM/users` with
//! `first` and `max` (and `briefRepresentation=false`, so attributes come with each user),
//! until a page comes back short; `GET …/users/count` gives the total for progress.
//!
//! A user's legacy id is its `legacyId` attribute (else its Keycloak id); `enabled = false`
//! is disabled. Keycloak's user representation carries neither a last login nor whether a
//! password is set. When the realm saves events (`GET …/events/config`: `eventsEnabled`),
//! its `LOGIN`, `UPDATE_PASSWORD`/`UPDATE_CREDENTIAL` and `UPDATE_TOTP` events give each
//! user's last login, password change and second factor (read first, 500 a page, newest
//! first); otherwise they are not known.

use super::super::held::{Held, Pages};
use super::super::problems::MoveError;
use serde_json::Value;
use std::collections::HashMap;

/// Users (and events) a page asks for.
const PAGE: usize = 500;

/// A user's activity from the realm's events: last login, last password change, a second
/// factor.
type Activity = HashMap<String, (Option<i64>, Option<i64>, bool)>;

impl super::Keycloak {
    /// Whether the realm saves events (so a listing says who was active).
    pub async fn events_on(&self) -> Result<bool, MoveError> {
        let url = format!("{}/events/config", self.admin);
        Ok(
            match self
                .call("the events' settings", |c, t| c.get(&url).bearer_auth(t))
                .await?
            {
                (200, config) => config["eventsEnabled"] == true,
                // Not allowed to read them, or no such endpoint: not known.
                _ => false,
            },
        )
    }

    /// Each user's activity, from the realm's saved events.
    async fn activity(&self) -> Result<Activity, MoveError> {
        let mut out = Activity::new();
        let mut first = 0usize;
        loop {
            let url = format!(
                "{}/events?type=LOGIN&type=UPDATE_PASSWORD&type=UPDATE_CREDENTIAL&type=UPDATE_TOTP&first={first}&max={PAGE}",
                self.admin
            );
            let events = match self
                .call("the events", |c, t| c.get(&url).bearer_auth(t))
                .await?
            {
                (200, Value::Array(events)) => events,
                (status, body) => return Err(self.http.refused("the events", status, &body)),
            };
            for e in &events {
                let (Some(user), Some(time)) = (e["userId"].as_str(), e["time"].as_i64()) else {
                    continue;
                };
                let a = out.entry(user.to_string()).or_default();
                let latest =
                    |slot: &mut Option<i64>| *slot = Some(slot.map_or(time, |t| t.max(time)));
                match e["type"].as_str() {
                    Some("LOGIN") => latest(&mut a.0),
                    Some("UPDATE_PASSWORD" | "UPDATE_CREDENTIAL") => latest(&mut a.1),
                    Some("UPDATE_TOTP") => a.2 = true,
                    _ => {}
                }
            }
            if events.len() < PAGE {
                return Ok(out);
            }
            first += events.len();
        }
    }

    /// Every user of the realm, page by page.
    pub async fn list(&self, pages: Pages<'_>) -> Result<(), MoveError> {
        let activity = if self.events_on().await? {
            Some(self.activity().await?)
        } else {
            None
        };
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
            pages(
                users.iter().map(|u| held(u, activity.as_ref())).collect(),
                total,
            );
            if n < PAGE {
                return Ok(());
            }
            first += n;
        }
    }
}

fn held(u: &Value, activity: Option<&Activity>) -> Held {
    let (last_login_ms, password_changed_ms, mfa) = activity
        .and_then(|a| a.get(u["id"].as_str()?))
        .copied()
        .unwrap_or_default();
    Held {
        last_login_ms,
        password_changed_ms,
        mfa,
        legacy: u["attributes"]["legacyId"][0]
            .as_str()
            .or_else(|| u["id"].as_str())
            .unwrap_or_default()
            .to_string(),
        email: Held::email_digest(u["email"].as_str()),
        verified: u["emailVerified"].as_bool(),
        disabled: u["enabled"].as_bool().map(|e| !e),
        created_ms: u["createdTimestamp"].as_i64(),
        tag: u["attributes"]["segment"][0].as_str().map(str::to_string),
        ..Held::default()
    }
}
