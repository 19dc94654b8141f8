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
//!   with the users holding each email, and `dN: deleteUser(input: {userID: $uN})`.

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

    /// The aliased lookups and deletes cutover sends.
    fn graphql(&mut self, body: &Value) -> Answer {
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
