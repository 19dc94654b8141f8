//! The simulator's Auth0: the Management API v2 calls a move makes, in the shapes of Auth0's
//! API reference and its "Bulk User Imports" guide. Every call needs a bearer token, else 401.
//!
//! - `POST /api/v2/jobs/users-imports` (multipart: `users` a JSON file of at most 500 KB,
//!   `connection_id`, `upsert`) → 201 and a pending job; a third job while two are pending is
//!   answered 429, a larger file 413;
//! - `GET /api/v2/jobs/ID` → the job, `pending` until its pace has passed, then `completed` with
//!   its `summary` (or `failed`, importing no one, when the `fail@K` fault struck it);
//! - `GET /api/v2/jobs/ID/errors` → `[{user, errors: [{code, message, path}]}]`, or 204: a user
//!   whose id or email the tenant has is `DUPLICATED_USER`, one without an email
//!   `MISSING_REQUIRED_PROPERTY`;
//! - `GET /api/v2/users/ID` → the user or 404; `PATCH /api/v2/users/ID` `{email, ...}` → the
//!   user updated (`updated_at` stamped), or 400 when another user has the email;
//!   `DELETE /api/v2/users/ID` → 204;
//! - `POST /api/v2/jobs/users-exports` `{connection_id, format: "json", fields: [{name,
//!   export_as}]}` → 201 and a pending `users_export` job, `completed` at its next poll with a
//!   `location`: `/sim/exports/ID.json.gz` on this server, the connection's users one JSON
//!   object a line, gzipped, with the fields asked for (dotted names read nested values).

use super::target::{Answer, Call, FaultKind, Manners};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

mod export;
mod login;

/// The largest job file.
const FILE_MAX: usize = 500 * 1000;

#[derive(Debug)]
struct Job {
    connection: String,
    users: Vec<Value>,
    due: Instant,
    fail: bool,
    state: &'static str,
    errors: Vec<Value>,
    inserted: usize,
}

/// An export job: its connection, its fields (name, exported as), and its file once made.
type Export = (String, Vec<(String, String)>, Option<Vec<u8>>);

/// The simulated Auth0 tenant.
#[derive(Debug, Default)]
pub struct Auth0 {
    /// `auth0|ID` → the user (with its `connection_id`).
    users: HashMap<String, Value>,
    /// Email in lower case → user id.
    emails: HashMap<String, String>,
    jobs: HashMap<String, Job>,
    exports: HashMap<String, Export>,
    made: u64,
}

fn error(status: u16, message: &str) -> Answer {
    let name = match status {
        401 => "Unauthorized",
        404 => "Not Found",
        413 => "Request Entity Too Large",
        429 => "Too Many Requests",
        _ => "Bad Request",
    };
    Answer::Json(
        status,
        json!({"statusCode": status, "error": name, "message": message}),
        None,
    )
}

/// The parts of a multipart form body: name → content.
fn parts<'a>(content_type: &str, body: &'a [u8]) -> HashMap<String, &'a [u8]> {
    let mut out = HashMap::new();
    let Some(boundary) = content_type.split("boundary=").nth(1) else {
        return out;
    };
    let delimiter = format!("--{}", boundary.trim_matches('"'));
    let d = delimiter.as_bytes();
    let mut rest = body;
    while let Some(start) = find(rest, d) {
        rest = &rest[start + d.len()..];
        let Some(head_end) = find(rest, b"\r\n\r\n") else {
            break;
        };
        let head = String::from_utf8_lossy(&rest[..head_end]).to_string();
        let content = &rest[head_end + 4..];
        let end = find(content, d).unwrap_or(content.len());
        let value = content[..end]
            .strip_suffix(b"\r\n")
            .unwrap_or(&content[..end]);
        if let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|n| n.split('"').next())
        {
            out.insert(name.to_string(), value);
        }
        rest = &content[end..];
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Auth0 {
    /// The users of `connection` (once the jobs due have run).
    pub fn users(&mut self, connection: &str) -> Vec<Value> {
        self.settle();
        self.users
            .values()
            .filter(|u| u["connection_id"] == connection)
            .cloned()
            .collect()
    }

    /// Run the jobs whose time has come.
    fn settle(&mut self) {
        let now = Instant::now();
        for job in self
            .jobs
            .values_mut()
            .filter(|j| j.state == "pending" && j.due <= now)
        {
            if job.fail {
                job.state = "failed";
                continue;
            }
            for u in &job.users {
                let id = format!("auth0|{}", u["user_id"].as_str().unwrap_or_default());
                let email = u["email"].as_str().map(str::to_lowercase);
                let code = match &email {
                    None => Some("MISSING_REQUIRED_PROPERTY"),
                    Some(e) if self.emails.contains_key(e) => Some("DUPLICATED_USER"),
                    _ if self.users.contains_key(&id) => Some("DUPLICATED_USER"),
                    _ => None,
                };
                if let Some(code) = code {
                    job.errors.push(json!({"user": u, "errors": [{"code": code, "message": format!("The user {} could not be imported.", u["email"]), "path": ""}]}));
                    continue;
                }
                let mut stored = u.clone();
                stored["user_id"] = json!(id);
                stored["connection_id"] = json!(job.connection);
                if let Some(e) = email {
                    self.emails.insert(e, id.clone());
                }
                self.users.insert(id, stored);
                job.inserted += 1;
            }
            job.state = "completed";
        }
    }

    pub fn answer(&mut self, manners: &mut Manners, call: &Call<'_>) -> Option<(Answer, Duration)> {
        let now = |a: Answer| Some((a, Duration::ZERO));
        // Only the move's calls: the count a source polls (`GET /api/v2/users?q=`) is the
        // population's ([`super::server`]).
        let route: Vec<&str> = call.path.trim_matches('/').split('/').collect();
        let ours = matches!(
            (call.method, route.as_slice()),
            (
                "POST",
                ["api", "v2", "jobs", "users-imports" | "users-exports"]
            ) | (
                "GET",
                ["api", "v2", "jobs", _] | ["api", "v2", "jobs", _, "errors"]
            ) | ("GET" | "DELETE" | "PATCH", ["api", "v2", "users", _])
        );
        if (call.method, call.path) == ("POST", "/oauth/token") {
            return now(match call.json() {
                Ok(body) => self.login(&body),
                Err(a) => a,
            });
        }
        if let ("GET", ["sim", "exports", file]) = (call.method, route.as_slice()) {
            let id = file.trim_end_matches(".json.gz");
            return now(match self.exports.get(id).and_then(|e| e.2.clone()) {
                Some(bytes) => Answer::File(bytes),
                None => error(404, "no such export file"),
            });
        }
        if !ours {
            return None;
        }
        if call
            .header("authorization")
            .is_none_or(|h| !h.starts_with("Bearer ") || h.len() < 8)
        {
            return now(error(401, "Missing authentication"));
        }
        self.settle();
        let parts_of: Vec<String> = call
            .path
            .trim_matches('/')
            .split('/')
            .map(super::server::decode)
            .collect();
        let parts: Vec<&str> = parts_of.iter().map(String::as_str).collect();
        match (call.method, parts.as_slice()) {
            ("POST", ["api", "v2", "jobs", "users-imports"]) => {
                Some(self.create_job(manners, call))
            }
            ("POST", ["api", "v2", "jobs", "users-exports"]) => now(self.start_export(call)),
            ("GET", ["api", "v2", "jobs", id]) if self.exports.contains_key(*id) => {
                now(self.export_job(id, call.header("host").unwrap_or("127.0.0.1")))
            }
            ("GET", ["api", "v2", "jobs", id]) => now(match self.jobs.get(*id) {
                None => error(404, "The job does not exist."),
                Some(j) => {
                    let mut v = json!({"type": "users_import", "status": j.state, "id": id, "connection_id": j.connection});
                    if j.state == "completed" {
                        v["summary"] = json!({"failed": j.errors.len(), "updated": 0, "inserted": j.inserted, "total": j.users.len()});
                    }
                    Answer::Json(200, v, None)
                }
            }),
            ("GET", ["api", "v2", "jobs", id, "errors"]) => now(match self.jobs.get(*id) {
                None => error(404, "The job does not exist."),
                Some(j) if j.errors.is_empty() => Answer::Json(204, Value::Null, None),
                Some(j) => Answer::Json(200, json!(j.errors), None),
            }),
            ("GET", ["api", "v2", "users", id]) => now(match self.users.get(*id) {
                Some(u) => Answer::Json(200, u.clone(), None),
                None => Answer::Json(
                    404,
                    json!({"statusCode": 404, "error": "Not Found", "message": "The user does not exist.", "errorCode": "inexistent_user"}),
                    None,
                ),
            }),
            ("PATCH", ["api", "v2", "users", id]) => {
                let Ok(change) = call.json() else {
                    return now(error(400, "Payload validation error: invalid JSON"));
                };
                let taken = change["email"].as_str().is_some_and(|e| {
                    self.emails
                        .get(&e.to_lowercase())
                        .is_some_and(|holder| holder != id)
                });
                now(match self.users.get_mut(*id) {
                    None => error(404, "The user does not exist."),
                    Some(_) if taken => Answer::Json(
                        400,
                        json!({"statusCode": 400, "error": "Bad Request", "message": "The specified new email already exists", "errorCode": "auth0_idp_error"}),
                        None,
                    ),
                    Some(u) => {
                        if let (Some(old), Some(new)) =
                            (u["email"].as_str(), change["email"].as_str())
                        {
                            self.emails.remove(&old.to_lowercase());
                            self.emails.insert(new.to_lowercase(), id.to_string());
                        }
                        for (k, v) in change.as_object().into_iter().flatten() {
                            u[k] = v.clone();
                        }
                        // Auth0 stamps every update.
                        u["updated_at"] = json!(chrono::Utc::now().to_rfc3339());
                        Answer::Json(200, u.clone(), None)
                    }
                })
            }
            ("DELETE", ["api", "v2", "users", id]) => {
                if let Some(u) = self.users.remove(*id)
                    && let Some(e) = u["email"].as_str()
                {
                    self.emails.remove(&e.to_lowercase());
                }
                now(Answer::Json(204, Value::Null, None))
            }
            _ => None,
        }
    }

    fn create_job(&mut self, manners: &mut Manners, call: &Call<'_>) -> (Answer, Duration) {
        let fields = parts(call.header("content-type").unwrap_or_default(), call.body);
        let (Some(file), Some(connection)) = (fields.get("users"), fields.get("connection_id"))
        else {
            return (
                error(
                    400,
                    "Payload validation error: 'Missing required property: users'",
                ),
                Duration::ZERO,
            );
        };
        if file.len() > FILE_MAX {
            return (
                error(
                    413,
                    "Payload content length greater than maximum allowed: 512000",
                ),
                Duration::ZERO,
            );
        }
        let Ok(users) = serde_json::from_slice::<Vec<Value>>(file) else {
            return (error(400, "Users file must be an array"), Duration::ZERO);
        };
        if self.jobs.values().filter(|j| j.state == "pending").count() >= 2 {
            return (
                error(
                    429,
                    "There are 2 active import users jobs, please wait until some of them are finished and try again",
                ),
                Duration::ZERO,
            );
        }
        let gate = manners.import(users.len());
        if let Some(refused) = gate.refusal() {
            return (refused, Duration::ZERO);
        }
        self.made += 1;
        let id = format!("job_{}", self.made);
        let connection = String::from_utf8_lossy(connection).to_string();
        let job = json!({"status": "pending", "type": "users_import", "id": id, "connection_id": connection, "upsert": false, "send_completion_email": false});
        self.jobs.insert(
            id,
            Job {
                connection,
                users,
                due: Instant::now() + gate.pace,
                fail: gate.fault == Some(FaultKind::Fail),
                state: "pending",
                errors: Vec::new(),
                inserted: 0,
            },
        );
        match gate.fault {
            Some(FaultKind::Cut) => (Answer::Cut(Duration::ZERO), Duration::ZERO),
            Some(FaultKind::GatewayTimeout) => (error(504, "Gateway Timeout"), Duration::ZERO),
            _ => (Answer::Json(201, job, None), Duration::ZERO),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_imports_when_its_time_comes_and_names_duplicates_by_code() {
        let mut a = Auth0::default();
        let mut m = Manners::default();
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"users\"; filename=\"u.json\"\r\nContent-Type: application/json\r\n\r\n[{\"user_id\":\"1\",\"email\":\"a@x.org\"},{\"user_id\":\"2\",\"email\":\"A@x.org\"}]\r\n--XX\r\nContent-Disposition: form-data; name=\"connection_id\"\r\n\r\ncon_1\r\n--XX--\r\n";
        let call = Call {
            method: "POST",
            path: "/api/v2/jobs/users-imports",
            query: "",
            headers: vec![
                ("authorization".into(), "Bearer t".into()),
                (
                    "content-type".into(),
                    "multipart/form-data; boundary=XX".into(),
                ),
            ],
            body,
        };
        let Some((Answer::Json(201, job, _), _)) = a.answer(&mut m, &call) else {
            panic!("a job")
        };
        a.settle();
        assert_eq!(
            a.jobs[job["id"].as_str().expect("an id")].state,
            "completed"
        );
        assert_eq!(a.users("con_1").len(), 1);
        assert_eq!(
            a.jobs["job_1"].errors[0]["errors"][0]["code"],
            "DUPLICATED_USER"
        );
    }
}
