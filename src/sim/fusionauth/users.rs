//! The simulator's FusionAuth, continued: its users as searches and updates show them (without
//! secrets; every user, paged by `startRow` within the 10,000 window or by `nextResults`), and
//! the changes a test plants on a tenant's users ([`super::super::plant`]).

use super::super::plant::Plant;
use super::super::target::Answer;
use super::{FusionAuth, Tenant, field_error};
use serde_json::{Value, json};

impl FusionAuth {
    /// Apply a planted change to `tenant` (see [`super::plant`]).
    pub fn plant(&mut self, tenant: &str, op: &Plant) -> Result<(), String> {
        self.planted += 1;
        let n = self.planted;
        let t = self.tenants.entry(tenant.to_string()).or_default();
        let id_of = |t: &Tenant, legacy: &str| {
            t.users
                .iter()
                .find(|(_, u)| {
                    serde_json::from_str::<Value>(u).is_ok_and(|v| v["data"]["legacyId"] == legacy)
                })
                .map(|(id, _)| id.clone())
                .ok_or(format!("no user of legacy id '{legacy}'"))
        };
        let new_user = |t: &mut Tenant, legacy: &str, email: &str| {
            let id = format!("00000000-0000-4000-8000-{n:012}");
            let u = json!({"id": id, "email": email, "verified": true, "active": true,
                "insertInstant": chrono::Utc::now().timestamp_millis(),
                "data": {"legacyId": legacy}});
            t.emails.insert(email.to_lowercase(), id.clone());
            t.users.insert(id, u.to_string().into_boxed_str());
        };
        match op {
            Plant::Extra { legacy, email } | Plant::Copy { legacy, email } => {
                new_user(t, legacy, email);
                return Ok(());
            }
            Plant::Delete(legacy) => {
                let id = id_of(t, legacy)?;
                t.users.remove(&id);
                return Ok(());
            }
            _ => {}
        }
        let id = id_of(t, op.legacy())?;
        let mut u: Value = t
            .users
            .get(&id)
            .and_then(|u| serde_json::from_str(u).ok())
            .unwrap_or_default();
        match op {
            Plant::Email { email, .. } => u["email"] = json!(email),
            Plant::Login { at_ms, .. } => u["lastLoginInstant"] = json!(at_ms),
            Plant::Password { at_ms, .. } => u["passwordLastUpdateInstant"] = json!(at_ms),
            Plant::Mfa { .. } => {
                u["twoFactor"] = json!({"methods": [{"id": "TOTP1", "method": "authenticator"}]})
            }
            Plant::Hash { .. } => {
                u["password"] = json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
            }
            _ => {}
        }
        t.users.insert(id, u.to_string().into_boxed_str());
        Ok(())
    }
}

/// `PATCH /api/user/ID` `{user: {...}}`: the fields given merged into the user (an email
/// another user holds is refused, as FusionAuth does), and `lastUpdateInstant` set.
pub(super) fn patch(t: &mut Tenant, id: &str, change: &Value) -> Answer {
    let Some(stored) = t.users.get(id) else {
        return Answer::Json(404, Value::Null, None);
    };
    let mut u: Value = serde_json::from_str(stored).unwrap_or_default();
    if let Some(e) = change["email"].as_str() {
        if t.emails
            .get(&e.to_lowercase())
            .is_some_and(|holder| holder != id)
        {
            return Answer::Json(
                400,
                field_error("user.email", "[duplicate]user.email"),
                None,
            );
        }
        if let Some(old) = u["email"].as_str() {
            t.emails.remove(&old.to_lowercase());
        }
        t.emails.insert(e.to_lowercase(), id.to_string());
    }
    for (k, v) in change.as_object().into_iter().flatten() {
        u[k] = v.clone();
    }
    // FusionAuth stamps every update, as a reader of the user sees it.
    u["lastUpdateInstant"] = json!(chrono::Utc::now().timestamp_millis());
    t.users
        .insert(id.to_string(), u.to_string().into_boxed_str());
    Answer::Json(200, json!({"user": shown(&u.to_string())}), None)
}

/// The window FusionAuth's `startRow` paging stops at.
const WINDOW: u64 = 10_000;

/// A user as a search shows it: no password, salt, scheme or factor.
pub(super) fn shown(stored: &str) -> Option<Value> {
    let mut u: Value = serde_json::from_str(stored).ok()?;
    if let Some(o) = u.as_object_mut() {
        for secret in ["password", "salt", "encryptionScheme", "factor"] {
            o.remove(secret);
        }
    }
    Some(u)
}

/// One page of every user: from `startRow`, or after the id a `nextResults` token names.
pub(super) fn page(t: &Tenant, search: &Value) -> Answer {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use std::ops::Bound;
    let (after, size) = match search["nextResults"].as_str() {
        Some(token) => {
            let decoded = B64
                .decode(token)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
            let Some(d) = decoded else {
                let e = json!({"fieldErrors": {"search.nextResults": [{"code": "[invalid]search.nextResults", "message": "The nextResults token is not valid."}]}});
                return Answer::Json(400, e, None);
            };
            (
                d["after"].as_str().map(str::to_string),
                d["size"].as_u64().unwrap_or(25),
            )
        }
        None => {
            let start = search["startRow"].as_u64().unwrap_or(0);
            let size = search["numberOfResults"].as_u64().unwrap_or(25);
            if start.saturating_add(size) > WINDOW {
                let e = json!({"fieldErrors": {"search.numberOfResults": [{"code": "[invalid]search.numberOfResults", "message": "startRow + numberOfResults is over the 10,000 result window; use nextResults."}]}});
                return Answer::Json(400, e, None);
            }
            let skipped = t.users.keys().nth(start as usize).cloned();
            match (start, skipped) {
                (0, _) => (None, size),
                (_, Some(first)) => {
                    let before = t.users.range(..first).next_back().map(|(k, _)| k.clone());
                    (before, size)
                }
                (_, None) => (Some(String::from("\u{10FFFF}")), size),
            }
        }
    };
    let from = match &after {
        Some(a) => Bound::Excluded(a.clone()),
        None => Bound::Unbounded,
    };
    let users: Vec<(&String, &Box<str>)> = t
        .users
        .range((from, Bound::Unbounded))
        .take(size as usize)
        .collect();
    let more = users.last().is_some_and(|(last, _)| {
        t.users
            .range((Bound::Excluded((*last).clone()), Bound::Unbounded))
            .next()
            .is_some()
    });
    let mut v = json!({
        "total": t.users.len(),
        "users": users.iter().filter_map(|(_, u)| shown(u)).collect::<Vec<_>>(),
    });
    if more && let Some((last, _)) = users.last() {
        let token = json!({"after": last, "size": size}).to_string();
        v["nextResults"] = json!(B64.encode(token));
    }
    Answer::Json(200, v, None)
}
