//! Firebase Authentication (Google Identity Platform) as a move's target, over its REST API
//! (Identity Toolkit v1): `accounts:lookup` to ask which legacy ids it holds, `accounts:batchCreate`
//! to import, `accounts:batchDelete` to undo. The same calls reach Google and the Firebase
//! Authentication emulator (`url = "http://HOST:PORT/identitytoolkit.googleapis.com"`, any
//! bearer token; the emulator takes `owner`).
//!
//! Limits, from Firebase's "Import users" guide and the REST reference: at most 1,000 users a
//! `batchCreate` and a `batchDelete`, one `hashAlgorithm` (with its rounds and order) a
//! request, so a batch goes out as one request per algorithm. `allowOverwrite` is never sent:
//! Google's Admin SDK sets it, and then an import replaces the user whose uid collides. A
//! lookup takes 100 ids at a time (the Admin SDK's `getUsers` limit). Per-user refusals come
//! inside a 200 answer as `error: [{index, message}]`; the message is free text that can echo
//! the email, so only its code is kept ([`super::problems::code_of`]).

use super::firebase_form::{Algorithm, Form};
use super::http::Http;
use super::prepare::Outgoing;
use super::problems::{MoveError, code_of};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};

const NAME: &str = "Firebase";
/// Users a `batchCreate` or a `batchDelete` takes.
pub const BATCH: usize = 1000;
/// Ids an `accounts:lookup` is asked about at once.
const LOOKUP: usize = 100;

/// A Firebase project, reached over HTTP.
pub struct Firebase {
    http: Http,
    /// `{url}/v1/projects/{project}`.
    base: String,
}

impl Firebase {
    pub fn new(url: &str, project: &str, token: String) -> Result<Firebase, MoveError> {
        Ok(Firebase {
            http: Http::new(NAME, token)?,
            base: format!("{}/v1/projects/{project}", url.trim_end_matches('/')),
        })
    }

    /// Which of `ids` the project holds now.
    pub async fn present(&self, ids: &[&str]) -> Result<HashSet<String>, MoveError> {
        let mut out = HashSet::new();
        for chunk in ids.chunks(LOOKUP) {
            let answer = self
                .http
                .post(
                    &format!("{}/accounts:lookup", self.base),
                    "a lookup",
                    &json!({ "localId": chunk }),
                )
                .await?;
            for user in answer["users"].as_array().into_iter().flatten() {
                if let Some(id) = user["localId"].as_str() {
                    out.insert(id.to_string());
                }
            }
        }
        Ok(out)
    }

    /// Import `users` (none of them on the project): per user, `Ok` or the refusal's code.
    pub async fn create(
        &self,
        users: &[&Outgoing<Form>],
    ) -> Result<Vec<Result<(), String>>, MoveError> {
        let mut outcomes: Vec<Result<(), String>> = vec![Ok(()); users.len()];
        for (members, body) in requests(users) {
            let answer = self
                .http
                .post(
                    &format!("{}/accounts:batchCreate", self.base),
                    "an import",
                    &body,
                )
                .await?;
            for e in answer["error"].as_array().into_iter().flatten() {
                let index = e["index"].as_u64().and_then(|k| members.get(k as usize));
                let Some(&i) = index else {
                    return Err(MoveError::Answer {
                        target: NAME,
                        what: "an import",
                        cause: "an error names a user the request did not hold".into(),
                    });
                };
                outcomes[i] = Err(code_of(e["message"].as_str().unwrap_or_default()));
            }
        }
        Ok(outcomes)
    }

    /// Delete `ids` (an undo), 1,000 at a time. One already gone is not an error.
    pub async fn delete(&self, ids: &[&str]) -> Result<(), MoveError> {
        for chunk in ids.chunks(BATCH) {
            let answer = self
                .http
                .post(
                    &format!("{}/accounts:batchDelete", self.base),
                    "a delete",
                    &json!({ "localIds": chunk, "force": true }),
                )
                .await?;
            if let Some(e) = answer["errors"].as_array().and_then(|e| e.first()) {
                return Err(MoveError::Refused {
                    target: NAME,
                    what: "a delete",
                    status: 200,
                    code: code_of(e["message"].as_str().unwrap_or_default()),
                    fix: "the undo stops here; run it again to resume",
                });
            }
        }
        Ok(())
    }
}

/// The `batchCreate` requests for `users`: one per hash algorithm (users without a password
/// go with any), at most [`BATCH`] users each, with the indexes into `users` each holds.
pub fn requests(users: &[&Outgoing<Form>]) -> Vec<(Vec<usize>, Value)> {
    let mut groups: BTreeMap<Option<Algorithm>, Vec<usize>> = BTreeMap::new();
    for (i, u) in users.iter().enumerate() {
        groups
            .entry(u.password.as_ref().map(|p| p.algorithm))
            .or_default()
            .push(i);
    }
    let mut out = Vec::new();
    for (algorithm, members) in groups {
        for chunk in members.chunks(BATCH) {
            let body_users: Vec<Value> = chunk.iter().map(|&i| user_json(users[i])).collect();
            let mut body = json!({ "users": body_users });
            if let Some(a) = algorithm {
                body["hashAlgorithm"] = json!(a.name);
                if a.name != "BCRYPT" {
                    body["rounds"] = json!(a.rounds);
                }
                if a.password_first {
                    body["passwordHashOrder"] = json!("PASSWORD_AND_SALT");
                }
            }
            out.push((chunk.to_vec(), body));
        }
    }
    out
}

/// One user in `batchCreate`'s shape; the legacy id is the `localId`.
fn user_json(u: &Outgoing<Form>) -> Value {
    let mut v = json!({ "localId": u.id, "disabled": u.disabled });
    if let Some(email) = &u.email {
        v["email"] = json!(email);
        v["emailVerified"] = json!(u.verified.unwrap_or(false));
    }
    if let Some(p) = &u.password {
        v["passwordHash"] = json!(STANDARD.encode(&p.hash));
        if let Some(salt) = &p.salt {
            v["salt"] = json!(STANDARD.encode(salt));
        }
    }
    v
}
