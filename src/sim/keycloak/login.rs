//! The simulator's Keycloak login, and its execute-actions email (`PUT
//! /admin/realms/R/users/ID/execute-actions-email`: 204 and counted, or 404). The login is the
//! direct grant (`grant_type=password`, a client id, a
//! username or email and the password) at a realm's token endpoint. 200 with tokens when the
//! user's imported `pbkdf2-sha256` credential verifies the password; else 401
//! `invalid_grant` ("Invalid user credentials"), as Keycloak answers an unknown user and a
//! wrong password alike. A login is saved as a `LOGIN` event when the realm saves events.

use super::super::target::Answer;
use super::super::verify;
use super::Realm;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Whether the user's first password credential verifies `password`.
fn verifies(u: &Value, password: &str) -> bool {
    let Some(c) = u["credentials"].as_array().and_then(|c| c.first()) else {
        return false;
    };
    let parse = |k: &str| serde_json::from_str::<Value>(c[k].as_str().unwrap_or("{}")).ok();
    let (Some(data), Some(secret)) = (parse("credentialData"), parse("secretData")) else {
        return false;
    };
    let b64 = |k: &str| STANDARD.decode(secret[k].as_str().unwrap_or_default()).ok();
    let (Some(salt), Some(value)) = (b64("salt"), b64("value")) else {
        return false;
    };
    data["algorithm"] == "pbkdf2-sha256"
        && verify::pbkdf2_sha256(
            data["hashIterations"].as_u64().unwrap_or(0),
            &salt,
            &value,
            password,
        )
}

pub(super) fn grant(realm: Option<&mut Realm>, form: &HashMap<String, String>) -> Answer {
    let refused = || {
        Answer::Json(
            401,
            json!({"error": "invalid_grant", "error_description": "Invalid user credentials"}),
            None,
        )
    };
    if form.get("client_id").is_none_or(String::is_empty) {
        return Answer::Json(
            401,
            json!({"error": "invalid_client", "error_description": "Invalid client or Invalid client credentials"}),
            None,
        );
    }
    let Some(r) = realm else {
        return refused();
    };
    let name = form
        .get("username")
        .map(|n| n.to_lowercase())
        .unwrap_or_default();
    let Some(id) = r.names.get(&name).cloned() else {
        return refused();
    };
    let password = form.get("password").map(String::as_str).unwrap_or_default();
    if !r.users.get(&id).is_some_and(|u| verifies(u, password)) {
        return refused();
    }
    if r.events_on {
        r.events
            .push(json!({"time": chrono::Utc::now().timestamp_millis(),
            "type": "LOGIN", "userId": id, "realmId": "sim"}));
    }
    Answer::Json(
        200,
        json!({"access_token": "kc-user-token", "expires_in": 300, "token_type": "Bearer"}),
        None,
    )
}

/// `PUT /users/ID/execute-actions-email`: the email counted as sent (204), or 404.
pub(super) fn actions_email(r: &mut Realm, id: &str) -> Answer {
    if !r.users.contains_key(id) {
        return Answer::Json(404, json!({"error": "User not found"}), None);
    }
    r.resets
        .push((id.to_string(), chrono::Utc::now().timestamp_millis()));
    Answer::Json(204, Value::Null, None)
}

impl super::Keycloak {
    /// The execute-actions emails sent in `realm`: each user's id and when.
    pub fn resets(&self, realm: &str) -> Vec<Value> {
        self.realms
            .get(realm)
            .map(|r| {
                r.resets
                    .iter()
                    .map(|(id, at)| json!({"user": id, "at_ms": at}))
                    .collect()
            })
            .unwrap_or_default()
    }
}
