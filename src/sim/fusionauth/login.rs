//! The simulator's FusionAuth login and forgot-password flow. `POST /api/login` `{loginId, password}` (the API key in
//! `Authorization`, the tenant in `X-FusionAuth-TenantId`) → 200 `{token, user}` when the
//! imported hash verifies the password, else 404, as FusionAuth answers both an unknown
//! login and a wrong password. A login stamps the user's `lastLoginInstant`, as FusionAuth's
//! does (so the rollback delta counts it).

use super::super::target::Answer;
use super::super::verify;
use super::Tenant;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// Whether `password` verifies against the user as imported.
fn verifies(u: &Value, password: &str) -> bool {
    let b64 = |k: &str| STANDARD.decode(u[k].as_str().unwrap_or_default()).ok();
    let (Some(salt), Some(hash)) = (b64("salt"), b64("password")) else {
        return false;
    };
    match u["encryptionScheme"].as_str() {
        Some("salted-pbkdf2-hmac-sha256") => {
            verify::pbkdf2_sha256(u["factor"].as_u64().unwrap_or(0), &salt, &hash, password)
        }
        Some("salted-sha256") => verify::salted_sha256(&salt, &hash, password),
        _ => false,
    }
}

/// The user a login id names (an email, case-folded, or a username).
fn find(t: &Tenant, login: &str) -> Option<String> {
    t.emails.get(&login.to_lowercase()).cloned().or_else(|| {
        t.users.iter().find_map(|(id, u)| {
            let v: Value = serde_json::from_str(u).ok()?;
            (v["username"].as_str() == Some(login)).then(|| id.clone())
        })
    })
}

/// `POST /api/user/forgot-password`: the email counted as sent to the user, or 404.
pub(super) fn forgot(t: &mut Tenant, body: &Value) -> Answer {
    let Some(id) = find(t, body["loginId"].as_str().unwrap_or_default()) else {
        return Answer::Json(404, Value::Null, None);
    };
    t.resets
        .push((id.clone(), chrono::Utc::now().timestamp_millis()));
    Answer::Json(
        200,
        json!({"changePasswordId": format!("reset-{id}")}),
        None,
    )
}

pub(super) fn login(t: &mut Tenant, body: &Value) -> Answer {
    let login = body["loginId"].as_str().unwrap_or_default();
    let password = body["password"].as_str().unwrap_or_default();
    if login.is_empty() || password.is_empty() {
        let e = json!({"fieldErrors": {"loginId": [{"code": "[blank]loginId", "message": "Required."}]}});
        return Answer::Json(400, e, None);
    }
    let id = find(t, login);
    let Some((id, mut u)) = id.and_then(|id| {
        let u: Value = serde_json::from_str(t.users.get(&id)?).ok()?;
        Some((id, u))
    }) else {
        return Answer::Json(404, Value::Null, None);
    };
    if !verifies(&u, password) {
        return Answer::Json(404, Value::Null, None);
    }
    u["lastLoginInstant"] = json!(chrono::Utc::now().timestamp_millis());
    t.users.insert(id.clone(), u.to_string().into_boxed_str());
    Answer::Json(200, json!({"token": "sim-token", "user": {"id": id}}), None)
}
