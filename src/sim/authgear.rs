//! The simulator's Authgear: the User Import API and the Admin API (GraphQL) calls a move makes,
//! in the shapes of Authgear's references, for one project. Every call needs an Admin API JWT
//! as a bearer token: RS256 with a `kid`, an `aud`, and an `exp` still to come (the simulator
//! has no public key, so it reads the token's shape and times but not its signature); else 401.
//!
//! - `POST /_api/admin/users/import` `{upsert, identifier, records}` (at most 500 KB) →
//!   `{id, created_at, status: "pending"}`;
//! - `GET /_api/admin/users/import/ID` → the task: `pending` until its pace has passed, then
//!   `completed` with `summary` and `details` (`inserted`; `skipped` when a user has the email
//!   and `upsert` is false; `failed` without an email), or `failed`, importing no one, when the
//!   `fail@K` fault struck it;
//! - `POST /_api/admin/graphql`: the documents cutover sends, aliased fields
//!   `qN: getUsersByStandardAttribute(attributeName: "email", attributeValue: $eN)` answered
//!   with the users holding each email, and `dN: deleteUser(input: {userID: $uN})`; and the
//!   `users(first: $first, after: $after)` connection (a document that asks for it), in id
//!   order, each node with its standard and custom attributes, `isDisabled`, `lastLoginAt` and
//!   its authenticators (a `PRIMARY` `PASSWORD` one when it has a password).

use super::plant::Plant;
use super::target::{Answer, Call, FaultKind, Manners};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const BODY_MAX: usize = 500 * 1000;

#[derive(Debug)]
struct Task {
    records: Vec<Value>,
    due: Instant,
    fail: bool,
    state: &'static str,
    details: Vec<Value>,
}

/// The simulated Authgear project.
#[derive(Debug, Default)]
pub struct Authgear {
    /// Node id → the user as imported (its password kept for tests to read).
    users: HashMap<String, Value>,
    tasks: HashMap<String, Task>,
    made: u64,
}

/// Whether `header` carries an Admin API JWT of the right shape, still valid.
fn authorized(header: Option<&str>) -> bool {
    let Some(jwt) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
        return false;
    };
    let part = |k: usize| {
        jwt.split('.')
            .nth(k)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    };
    let (Some(head), Some(claims)) = (part(0), part(1)) else {
        return false;
    };
    head["alg"] == "RS256"
        && head["kid"].is_string()
        && claims["aud"].as_str().is_some_and(|a| !a.is_empty())
        && claims["exp"]
            .as_i64()
            .is_some_and(|e| e > chrono::Utc::now().timestamp())
}

impl Authgear {
    /// Every user of the project (the scope is the simulator itself: one project).
    pub fn users(&mut self) -> Vec<Value> {
        self.settle();
        self.users.values().cloned().collect()
    }

    fn by_email(&self, email: &str) -> Vec<&Value> {
        let e = email.to_lowercase();
        self.users
            .values()
            .filter(|u| u["email"].as_str().map(str::to_lowercase).as_deref() == Some(e.as_str()))
            .collect()
    }

    fn settle(&mut self) {
        let now = Instant::now();
        let due: Vec<String> = self
            .tasks
            .iter()
            .filter(|(_, t)| t.state == "pending" && t.due <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            let Some(mut task) = self.tasks.remove(&id) else {
                continue;
            };
            if task.fail {
                task.state = "failed";
            } else {
                for (index, r) in task.records.iter().enumerate() {
                    let mut shown = r.clone();
                    if shown["password"].is_object() {
                        shown["password"]["password_hash"] = json!("REDACTED");
                    }
                    let detail = match r["email"].as_str() {
                        None => {
                            json!({"index": index, "record": shown, "outcome": "failed", "errors": [{"reason": "MissingIdentifier", "message": "the identifier is missing"}]})
                        }
                        Some(e) if !self.by_email(e).is_empty() => {
                            json!({"index": index, "record": shown, "outcome": "skipped", "warnings": [{"message": "the user exists; upsert is false"}]})
                        }
                        Some(_) => {
                            self.made += 1;
                            let uid = format!("User:{:08}", self.made);
                            let mut stored = r.clone();
                            stored["id"] = json!(uid);
                            let at = chrono::Utc::now().to_rfc3339();
                            stored["created_at"] = json!(at);
                            stored["password_updated_at"] = json!(at);
                            self.users.insert(uid.clone(), stored);
                            json!({"index": index, "record": shown, "outcome": "inserted", "user_id": uid})
                        }
                    };
                    task.details.push(detail);
                }
                task.state = "completed";
            }
            self.tasks.insert(id, task);
        }
    }

    pub fn answer(&mut self, manners: &mut Manners, call: &Call<'_>) -> Option<(Answer, Duration)> {
        let now = |a: Answer| Some((a, Duration::ZERO));
        if !authorized(call.header("authorization")) {
            return now(Answer::Json(401, json!({"error": "Unauthorized"}), None));
        }
        self.settle();
        let parts: Vec<&str> = call.path.trim_matches('/').split('/').collect();
        match (call.method, parts.as_slice()) {
            ("POST", ["_api", "admin", "users", "import"]) => now(self.start(manners, call)),
            ("GET", ["_api", "admin", "users", "import", id]) => now(match self.tasks.get(*id) {
                None => Answer::Json(404, json!({"error": "task not found"}), None),
                Some(t) => {
                    let mut v = json!({"id": id, "created_at": chrono::Utc::now().to_rfc3339(), "status": t.state});
                    if t.state == "completed" {
                        let count =
                            |o: &str| t.details.iter().filter(|d| d["outcome"] == o).count();
                        v["summary"] = json!({"total": t.records.len(), "inserted": count("inserted"), "updated": 0, "skipped": count("skipped"), "failed": count("failed")});
                        v["details"] = json!(t.details);
                    }
                    Answer::Json(200, v, None)
                }
            }),
            ("POST", ["_api", "admin", "graphql"]) => now(match call.json() {
                Ok(body) => self.graphql(&body),
                Err(a) => a,
            }),
            _ => None,
        }
    }

    fn start(&mut self, manners: &mut Manners, call: &Call<'_>) -> Answer {
        if call.body.len() > BODY_MAX {
            return Answer::Json(413, json!({"error": "request body too large"}), None);
        }
        let Ok(body) = call.json() else {
            return Answer::Json(400, json!({"error": "Invalid request"}), None);
        };
        let records = body["records"].as_array().cloned().unwrap_or_default();
        if body["identifier"] != "email"
            && body["identifier"] != "preferred_username"
            && body["identifier"] != "phone_number"
        {
            return Answer::Json(400, json!({"error": "Invalid request"}), None);
        }
        let gate = manners.import(records.len());
        if let Some(refused) = gate.refusal() {
            return refused;
        }
        self.made += 1;
        let id = format!("task_{:08}", self.made);
        self.tasks.insert(
            id.clone(),
            Task {
                records,
                due: Instant::now() + gate.pace,
                fail: gate.fault == Some(FaultKind::Fail),
                state: "pending",
                details: Vec::new(),
            },
        );
        match gate.fault {
            Some(FaultKind::Cut) => Answer::Cut(Duration::ZERO),
            Some(FaultKind::GatewayTimeout) => {
                Answer::Json(504, json!({"error": "Gateway Timeout"}), None)
            }
            _ => Answer::Json(
                200,
                json!({"id": id, "created_at": chrono::Utc::now().to_rfc3339(), "status": "pending"}),
                None,
            ),
        }
    }

    /// A page of the `users` connection: `first` users after the cursor `after`.
    fn page(&self, vars: &serde_json::Map<String, Value>) -> Answer {
        let first = vars.get("first").and_then(Value::as_u64).unwrap_or(20) as usize;
        let after = vars
            .get("after")
            .and_then(Value::as_str)
            .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
            .and_then(|b| String::from_utf8(b).ok());
        let mut ids: Vec<&String> = self.users.keys().collect();
        ids.sort_unstable();
        let start = after.map_or(0, |a| ids.partition_point(|id| id.as_str() <= a.as_str()));
        let page = &ids[start.min(ids.len())..start.saturating_add(first).min(ids.len())];
        let edges: Vec<Value> = page
            .iter()
            .map(|id| {
                let u = &self.users[*id];
                let mut authenticators = Vec::new();
                if u["password"].is_object() {
                    authenticators.push(json!({"node": {"kind": "PRIMARY", "type": "PASSWORD",
                        "createdAt": u["created_at"], "updatedAt": u["password_updated_at"]}}));
                }
                if let Some(at) = u["mfa_at"].as_str() {
                    authenticators.push(json!({"node": {"kind": "SECONDARY", "type": "TOTP", "createdAt": at, "updatedAt": at}}));
                }
                json!({"cursor": URL_SAFE_NO_PAD.encode(id.as_bytes()), "node": {
                    "id": id, "isDisabled": u["disabled"].as_bool().unwrap_or(false),
                    "lastLoginAt": u["last_login_at"],
                    "standardAttributes": {"email": u["email"], "email_verified": u["email_verified"]},
                    "customAttributes": u["custom_attributes"],
                    "authenticators": {"edges": authenticators}}})
            })
            .collect();
        let end = page.last().map(|id| URL_SAFE_NO_PAD.encode(id.as_bytes()));
        Answer::Json(
            200,
            json!({"data": {"users": {"totalCount": ids.len(), "edges": edges,
                "pageInfo": {"hasNextPage": start.saturating_add(first) < ids.len(), "endCursor": end}}}}),
            None,
        )
    }

    /// Apply a planted change (see [`super::plant`]).
    pub fn plant(&mut self, op: &Plant) -> Result<(), String> {
        self.settle();
        let legacy = op.legacy();
        let id = self
            .users
            .iter()
            .find(|(_, u)| u["custom_attributes"]["legacy_id"] == legacy)
            .map(|(id, _)| id.clone());
        let when = super::plant::rfc3339;
        match (op, id) {
            (Plant::Extra { email, .. } | Plant::Copy { email, .. }, _) => {
                self.made += 1;
                let uid = format!("User:{:08}", self.made);
                let u = json!({"id": uid, "email": email, "email_verified": true,
                    "custom_attributes": {"legacy_id": legacy}});
                self.users.insert(uid, u);
            }
            (Plant::Delete(_), Some(id)) => {
                self.users.remove(&id);
            }
            (op, Some(id)) => {
                let Some(u) = self.users.get_mut(&id) else {
                    return Err("gone".into());
                };
                match op {
                    Plant::Email { email, .. } => u["email"] = json!(email),
                    Plant::Login { at_ms, .. } => u["last_login_at"] = json!(when(*at_ms)),
                    Plant::Password { at_ms, .. } => u["password_updated_at"] = json!(when(*at_ms)),
                    Plant::Mfa { at_ms, .. } => u["mfa_at"] = json!(when(*at_ms)),
                    _ => {}
                }
            }
            (_, None) => return Err(format!("no user of legacy id '{legacy}'")),
        }
        Ok(())
    }

    /// The aliased lookups and deletes cutover sends.
    fn graphql(&mut self, body: &Value) -> Answer {
        if body["query"]
            .as_str()
            .is_some_and(|q| q.contains("users(first:"))
        {
            return self.page(
                body["variables"]
                    .as_object()
                    .unwrap_or(&serde_json::Map::new()),
            );
        }
        let vars = body["variables"].as_object().cloned().unwrap_or_default();
        let mut data = serde_json::Map::new();
        for (name, value) in vars {
            let Some(v) = value.as_str() else { continue };
            if let Some(k) = name.strip_prefix('e') {
                let found: Vec<Value> = self
                    .by_email(v)
                    .into_iter()
                    .map(|u| json!({"id": u["id"], "customAttributes": u["custom_attributes"]}))
                    .collect();
                data.insert(format!("q{k}"), json!(found));
            } else if let Some(k) = name.strip_prefix('u') {
                if self.users.remove(v).is_none() {
                    return Answer::Json(
                        200,
                        json!({"data": null, "errors": [{"message": "user not found", "extensions": {"reason": "UserNotFound"}}]}),
                        None,
                    );
                }
                data.insert(format!("d{k}"), json!({"deletedUserID": v}));
            }
        }
        Answer::Json(200, json!({"data": data}), None)
    }
}
