//! The simulator's Keycloak: a realm's token endpoint (the client credentials grant) and the
//! Admin REST API calls a move makes, in the shapes of Keycloak's Admin REST reference, per
//! realm. Tokens expire `ttl` after they are issued; an admin call without a live one is
//! answered 401.
//!
//! - `POST /realms/R/protocol/openid-connect/token` with `grant_type=password`: a user's login
//!   (see `login`);
//! - `POST /realms/R/protocol/openid-connect/token` (form: `grant_type=client_credentials`,
//!   `client_id`, `client_secret`) → `{access_token, expires_in, token_type}`;
//! - `POST /admin/realms/R/partialImport` `{ifResourceExists, users}` → `{added, skipped,
//!   overwritten, results: [{action, resourceType, resourceName, id}]}`; with `SKIP`, a user
//!   whose id, username or email a user of the realm has is skipped;
//! - `GET /admin/realms/R/users/ID` → the user, or 404;
//! - `GET /admin/realms/R/users?first=N&max=M` → a page of the realm's users in id order
//!   (shown without credentials, as Keycloak shows them);
//! - `PUT /admin/realms/R/users/ID` `{email, ...}` → 204 (the fields given replaced), 409
//!   when another user has the email, or 404;
//! - `DELETE /admin/realms/R/users/ID` → 204, or 404;
//! - `GET /admin/realms/R/events/config` → `{eventsEnabled, ...}` (on once a login, password
//!   change or second factor is planted) and `GET /admin/realms/R/events?type=…&first&max` →
//!   the saved events, newest first.

mod import;
mod login;
use super::plant::Plant;
use super::target::{Answer, Call, FaultKind, Manners};
use import::import;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
struct Realm {
    users: HashMap<String, Value>,
    /// Usernames and emails in lower case → user id.
    names: HashMap<String, String>,
    /// Saved events (`LOGIN`, `UPDATE_PASSWORD`, `UPDATE_TOTP`), oldest first; saving is on
    /// once a change is planted.
    events: Vec<Value>,
    events_on: bool,
    /// Execute-actions emails sent: the user's id and when (ms since the epoch).
    resets: Vec<(String, i64)>,
}

/// The simulated Keycloak realms and the tokens issued.
#[derive(Debug)]
pub struct Keycloak {
    realms: HashMap<String, Realm>,
    tokens: HashMap<String, Instant>,
    issued: u64,
    ttl: Duration,
}

fn unauthorized() -> Answer {
    Answer::Json(401, json!({"error": "HTTP 401 Unauthorized"}), None)
}

/// Keycloak's default access token lifespan: 60 seconds.
impl Default for Keycloak {
    fn default() -> Self {
        Keycloak::new(Duration::from_secs(60))
    }
}

impl Keycloak {
    pub fn new(ttl: Duration) -> Keycloak {
        Keycloak {
            realms: HashMap::new(),
            tokens: HashMap::new(),
            issued: 0,
            ttl,
        }
    }

    /// The users of `realm`.
    pub fn users(&self, realm: &str) -> Vec<Value> {
        self.realms
            .get(realm)
            .map(|r| r.users.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn answer(&mut self, manners: &mut Manners, call: &Call<'_>) -> Option<(Answer, Duration)> {
        let now = |a: Answer| Some((a, Duration::ZERO));
        let parts: Vec<&str> = call.path.trim_matches('/').split('/').collect();
        if let ("POST", ["realms", realm, "protocol", "openid-connect", "token"]) =
            (call.method, parts.as_slice())
        {
            let form: HashMap<String, String> =
                form_urlencoded::parse(call.body).into_owned().collect();
            if form.get("grant_type").map(String::as_str) == Some("password") {
                return now(login::grant(self.realms.get_mut(*realm), &form));
            }
            return now(self.token(call));
        }
        let ["admin", "realms", realm, rest @ ..] = parts.as_slice() else {
            return None;
        };
        // Only the move's calls: the count a source polls (`GET …/users/count`) is the
        // population's ([`super::server`]).
        let ours = match (call.method, rest) {
            ("POST", ["partialImport"])
            | ("DELETE" | "PUT", ["users", _])
            | ("PUT", ["users", _, "execute-actions-email"])
            | ("GET", ["users"] | ["events"] | ["events", "config"]) => true,
            ("GET", ["users", id]) => *id != "count",
            _ => false,
        };
        if !ours {
            return None;
        }
        let live = call
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .and_then(|t| self.tokens.get(t))
            .is_some_and(|until| Instant::now() < *until);
        if !live {
            return now(unauthorized());
        }
        let r = self.realms.entry(realm.to_string()).or_default();
        match (call.method, rest) {
            ("POST", ["partialImport"]) => {
                let body = match call.json() {
                    Ok(b) => b,
                    Err(a) => return now(a),
                };
                let users = body["users"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let gate = manners.import(users.len());
                if gate.fault == Some(FaultKind::Expire) {
                    self.tokens.clear();
                    return now(unauthorized());
                }
                if let Some(refused) = gate.refusal() {
                    return now(refused);
                }
                Some(gate.after(Answer::Json(200, import(r, users), None)))
            }
            ("GET", ["events", "config"]) => now(Answer::Json(
                200,
                json!({"eventsEnabled": r.events_on, "eventsListeners": ["jboss-logging"],
                    "enabledEventTypes": ["LOGIN", "UPDATE_PASSWORD", "UPDATE_TOTP"]}),
                None,
            )),
            ("GET", ["events"]) => now(events(r, call)),
            ("PUT", ["users", id, "execute-actions-email"]) => now(login::actions_email(r, id)),
            ("GET", ["users"]) => {
                let first: usize = call
                    .param("first")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let max: usize = call
                    .param("max")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(100);
                let mut ids: Vec<&String> = r.users.keys().collect();
                ids.sort_unstable();
                let page: Vec<Value> = ids
                    .into_iter()
                    .skip(first)
                    .take(max)
                    .filter_map(|id| r.users.get(id).map(shown))
                    .collect();
                now(Answer::Json(200, json!(page), None))
            }
            ("GET", ["users", id]) => now(match r.users.get(*id) {
                Some(u) => Answer::Json(200, shown(u), None),
                None => Answer::Json(404, json!({"error": "User not found"}), None),
            }),
            ("PUT", ["users", id]) => {
                let Ok(change) = call.json() else {
                    return now(Answer::Json(400, json!({"error": "invalid body"}), None));
                };
                let email = change["email"].as_str().map(str::to_lowercase);
                let taken = email
                    .as_ref()
                    .is_some_and(|e| r.names.get(e).is_some_and(|holder| holder != id));
                now(match r.users.get_mut(*id) {
                    None => Answer::Json(404, json!({"error": "User not found"}), None),
                    Some(_) if taken => Answer::Json(
                        409,
                        json!({"errorMessage": "User exists with same email"}),
                        None,
                    ),
                    Some(u) => {
                        if let (Some(old), Some(new)) = (u["email"].as_str(), &email) {
                            r.names.remove(&old.to_lowercase());
                            r.names.insert(new.clone(), id.to_string());
                        }
                        for (k, v) in change.as_object().into_iter().flatten() {
                            u[k] = v.clone();
                        }
                        Answer::Json(204, Value::Null, None)
                    }
                })
            }
            ("DELETE", ["users", id]) => now(match r.users.remove(*id) {
                Some(u) => {
                    for key in ["username", "email"] {
                        if let Some(v) = u[key].as_str() {
                            r.names.remove(&v.to_lowercase());
                        }
                    }
                    Answer::Json(204, Value::Null, None)
                }
                None => Answer::Json(404, json!({"error": "User not found"}), None),
            }),
            _ => now(Answer::Json(404, json!({"error": "Not Found"}), None)),
        }
    }

    fn token(&mut self, call: &Call<'_>) -> Answer {
        let form: HashMap<String, String> =
            form_urlencoded::parse(call.body).into_owned().collect();
        let good = form.get("grant_type").map(String::as_str) == Some("client_credentials")
            && form.get("client_id").is_some_and(|v| !v.is_empty())
            && form.get("client_secret").is_some_and(|v| !v.is_empty());
        if !good {
            return Answer::Json(
                401,
                json!({"error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials"}),
                None,
            );
        }
        self.issued += 1;
        let token = format!("kc-token-{}", self.issued);
        self.tokens.insert(token.clone(), Instant::now() + self.ttl);
        Answer::Json(
            200,
            json!({"access_token": token, "expires_in": self.ttl.as_secs(), "token_type": "Bearer"}),
            None,
        )
    }
}

/// A user as the Admin API shows it: without credentials.
fn shown(u: &Value) -> Value {
    let mut u = u.clone();
    if let Some(o) = u.as_object_mut() {
        o.remove("credentials");
    }
    u
}

impl Keycloak {
    /// Apply a planted change to `realm` (see [`super::plant`]); logins, password changes
    /// and second factors leave no trace a user listing shows.
    pub fn plant(&mut self, realm: &str, op: &Plant) -> Result<(), String> {
        let r = self.realms.entry(realm.to_string()).or_default();
        let legacy = op.legacy();
        let id = r
            .users
            .iter()
            .find(|(_, u)| u["attributes"]["legacyId"][0] == legacy)
            .map(|(id, _)| id.clone());
        match (op, id) {
            (Plant::Extra { email, .. } | Plant::Copy { email, .. }, _) => {
                self.issued += 1;
                let id = format!("00000000-0000-4000-9000-{:012}", self.issued);
                let u = json!({"id": id, "username": email.to_lowercase(), "email": email.to_lowercase(),
                    "emailVerified": true, "enabled": true, "attributes": {"legacyId": [legacy]}});
                r.names.insert(email.to_lowercase(), id.clone());
                r.users.insert(id, u);
            }
            (Plant::Delete(_), Some(id)) => {
                r.users.remove(&id);
            }
            (Plant::Email { email, .. }, Some(id)) => {
                if let Some(u) = r.users.get_mut(&id) {
                    u["email"] = json!(email.to_lowercase());
                }
            }
            (Plant::Login { at_ms, .. }, Some(id)) => saved(r, "LOGIN", *at_ms, &id),
            (Plant::Password { at_ms, .. }, Some(id)) => saved(r, "UPDATE_PASSWORD", *at_ms, &id),
            (Plant::Mfa { at_ms, .. }, Some(id)) => saved(r, "UPDATE_TOTP", *at_ms, &id),
            (Plant::Hash { .. }, Some(id)) => {
                if let Some(c) = r
                    .users
                    .get_mut(&id)
                    .and_then(|u| u["credentials"].get_mut(0))
                {
                    c["secretData"] = json!(r#"{"value":"AAAA","salt":"AAAA"}"#);
                }
            }
            (_, None) => return Err(format!("no user of legacy id '{legacy}'")),
        }
        Ok(())
    }
}

/// An event saved (and saving turned on).
fn saved(r: &mut Realm, kind: &str, at_ms: i64, user: &str) {
    r.events_on = true;
    r.events
        .push(json!({"time": at_ms, "type": kind, "userId": user, "realmId": "sim"}));
}

/// `GET events?type=T&type=U&first=N&max=M`: the saved events of those types, newest first.
fn events(r: &Realm, call: &Call<'_>) -> Answer {
    let params: Vec<(String, String)> = form_urlencoded::parse(call.query.as_bytes())
        .into_owned()
        .collect();
    let types: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "type")
        .map(|(_, v)| v.as_str())
        .collect();
    let number = |name: &str, default: usize| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(default)
    };
    let page: Vec<Value> = r
        .events
        .iter()
        .rev()
        .filter(|e| types.is_empty() || types.iter().any(|t| e["type"] == *t))
        .skip(number("first", 0))
        .take(number("max", 100))
        .cloned()
        .collect();
    Answer::Json(200, json!(page), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_and_a_taken_email_is_skipped() {
        let mut kc = Keycloak::new(Duration::from_secs(60));
        let mut m = Manners::default();
        let token = Call {
            method: "POST",
            path: "/realms/acme/protocol/openid-connect/token",
            query: "",
            headers: Vec::new(),
            body: b"grant_type=client_credentials&client_id=c&client_secret=s",
        };
        let Some((Answer::Json(200, t, _), _)) = kc.answer(&mut m, &token) else {
            panic!("a token")
        };
        let bearer = format!("Bearer {}", t["access_token"].as_str().expect("a token"));
        let body = br#"{"ifResourceExists":"SKIP","users":[{"id":"1","username":"Ann","email":"a@x.org"},{"id":"2","username":"bob","email":"A@x.org"}]}"#;
        let import = Call {
            method: "POST",
            path: "/admin/realms/acme/partialImport",
            query: "",
            headers: vec![("authorization".into(), bearer)],
            body,
        };
        let Some((Answer::Json(200, v, _), _)) = kc.answer(&mut m, &import) else {
            panic!("an import")
        };
        assert_eq!(
            (v["added"].as_u64(), v["skipped"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(v["results"][0]["resourceName"], "ann");
        kc.tokens.clear();
        assert!(matches!(
            kc.answer(&mut m, &import),
            Some((Answer::Json(401, _, _), _))
        ));
    }
}
