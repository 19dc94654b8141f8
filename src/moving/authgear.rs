//! Authgear as a move's target: its User Import API to import (asynchronous: a task id, then
//! its status with an outcome per record; request bodies of at most 500 KB; bcrypt the only
//! password format, from Authgear's "User Import API" reference), and its Admin API (GraphQL)
//! to find users (`getUsersByStandardAttribute` by email) and delete them (`deleteUser`). Every
//! call carries an Admin API JWT that cutover signs itself with the project's key (RS256, the
//! key id as `kid`, the project's url as `aud`, five minutes of life).
//!
//! Authgear chooses its own user ids, so a user is found by its email, the import's
//! identifier, and is taken to be this move's legacy user only when its `legacy_id` custom
//! attribute says so (the project must declare a custom attribute `legacy_id`). An undo never
//! deletes a user with the same email but another legacy id, or none. A user without an email
//! cannot be imported this way and fails as Authgear answers.
//!
//! A task is polled to its end, then its users are looked up: one there was created (this move
//! sent only users absent a moment before); one absent fails with the record's outcome, or is
//! sent again when the task failed as a whole.

use super::http::Http;
use super::jobs::{Body, Ended, Jobs, pack, settle};
use super::phc;
use super::prepare::Outgoing;
use super::problems::{MoveError, code_of, safe_code};
use super::target::{Form, Unfit, Who};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

mod list;
mod reset;

const NAME: &str = "Authgear";
/// The largest request body the User Import API takes.
pub const BODY_BYTES: usize = 500 * 1000;
/// Users one GraphQL request asks about or deletes.
const GRAPHQL: usize = 50;
/// The longest wait between two polls of a task.
const POLL_MAX: Duration = Duration::from_secs(5);

/// A bcrypt hash as Authgear's `password` takes it (the whole string; Go's bcrypt reads
/// `$2a$`, `$2b$` and `$2y$`); nothing else has a layout.
pub fn convert(scheme: &str, hash: &str) -> Result<String, Unfit> {
    match scheme {
        "bcrypt-2a" | "bcrypt-2b" | "bcrypt-2y" => {
            phc::bcrypt(hash)?;
            Ok(phc::strip_braced(hash.trim()).to_string())
        }
        _ => Err(Unfit::NoLayout),
    }
}

pub struct Authgear {
    http: Http,
    url: String,
    key_id: String,
    key: jsonwebtoken::EncodingKey,
}

impl Authgear {
    pub fn new(url: &str, key_id: &str, pem: &str) -> Result<Authgear, MoveError> {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| {
            MoveError::Setup(
                "the Authgear private_key is not an RSA private key in PEM form: give the Admin API key's .pem file's text".into(),
            )
        })?;
        Ok(Authgear {
            http: Http::new(NAME)?,
            url: url.trim_end_matches('/').to_string(),
            key_id: key_id.to_string(),
            key,
        })
    }

    /// A fresh Admin API JWT.
    fn jwt(&self) -> Result<String, MoveError> {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(self.key_id.clone());
        let now = chrono::Utc::now().timestamp();
        let claims = json!({"aud": self.url, "iat": now, "exp": now + 300});
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| MoveError::Setup(format!("cannot sign the Authgear Admin API token: {e}")))
    }

    /// POST `body` (JSON) to `path`, and the 2xx answer.
    async fn post(
        &self,
        path: &str,
        what: &'static str,
        body: bytes::Bytes,
    ) -> Result<Value, MoveError> {
        let url = format!("{}{path}", self.url);
        // Signed now, and again for each attempt: retries that honour long Retry-After waits
        // may outlast a token's five minutes.
        let first = self.jwt()?;
        self.http
            .call(what, |c| {
                c.post(&url)
                    .bearer_auth(self.jwt().unwrap_or_else(|_| first.clone()))
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await
    }

    /// For each user of `who` with an email, the Authgear ids of the users holding that email
    /// whose `legacy_id` is the user's.
    async fn find(&self, who: &[Who<'_>]) -> Result<HashMap<String, Vec<String>>, MoveError> {
        let mut out = HashMap::new();
        let with_email: Vec<(&str, &str)> =
            who.iter().filter_map(|w| Some((w.id, w.email?))).collect();
        for chunk in with_email.chunks(GRAPHQL) {
            let mut fields = String::new();
            let mut params = Vec::new();
            let mut variables = serde_json::Map::new();
            for (k, (_, email)) in chunk.iter().enumerate() {
                params.push(format!("$e{k}: String!"));
                fields.push_str(&format!(
                    " q{k}: getUsersByStandardAttribute(attributeName: \"email\", attributeValue: $e{k}) {{ id customAttributes }}"
                ));
                variables.insert(format!("e{k}"), json!(email));
            }
            let query = format!("query({}) {{{fields} }}", params.join(", "));
            let body = json!({"query": query, "variables": variables}).to_string();
            let answer = self
                .post("/_api/admin/graphql", "a lookup", body.into())
                .await?;
            // An error on one alias (an email Authgear cannot normalise) leaves that user
            // absent; an error on the whole document stops the move.
            for e in answer["errors"].as_array().into_iter().flatten() {
                if !e["path"][0].is_string() {
                    return Err(self.graphql_refused("a lookup", e));
                }
            }
            for (k, (id, _)) in chunk.iter().enumerate() {
                let ours: Vec<String> = answer["data"][format!("q{k}")]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|u| u["customAttributes"]["legacy_id"].as_str() == Some(id))
                    .filter_map(|u| u["id"].as_str().map(str::to_string))
                    .collect();
                if !ours.is_empty() {
                    out.insert(id.to_string(), ours);
                }
            }
        }
        Ok(out)
    }

    fn graphql_refused(&self, what: &'static str, e: &Value) -> MoveError {
        let code = match e["extensions"]["reason"].as_str() {
            Some(reason) => safe_code(Some(reason)),
            None => code_of(e["message"].as_str().unwrap_or_default()),
        };
        MoveError::Refused {
            target: NAME,
            what,
            status: 200,
            code,
            fix: "the move stops here; fix the cause and run it again to resume",
        }
    }

    /// Which of `who` the project holds now (by legacy id).
    pub async fn present(&self, who: &[Who<'_>]) -> Result<HashSet<String>, MoveError> {
        Ok(self.find(who).await?.into_keys().collect())
    }

    /// Import `users` (none of them in the project a moment ago): per user, `Ok` or its code.
    pub async fn create(
        &self,
        users: &[&Outgoing<Form>],
    ) -> Result<Vec<Result<(), String>>, MoveError> {
        let mut outcomes: Vec<Result<(), String>> = vec![Ok(()); users.len()];
        let all: Vec<usize> = (0..users.len()).collect();
        for (members, _) in bodies(users, &all)? {
            for (i, outcome) in settle(self, users, members).await? {
                outcomes[i] = outcome;
            }
        }
        Ok(outcomes)
    }

    /// Start a task with `body`, wait for its end: whether it failed as a whole, and the code
    /// of each record that failed or was skipped, by its index in the request.
    async fn run_task(&self, body: Vec<u8>) -> Result<(bool, HashMap<usize, String>), MoveError> {
        let started = self
            .post("/_api/admin/users/import", "an import task", body.into())
            .await?;
        let task = if started["result"].is_object() {
            &started["result"]
        } else {
            &started
        };
        let Some(id) = task["id"].as_str().map(str::to_string) else {
            return Err(self.http.unreadable("an import task", "no task id".into()));
        };
        let url = format!("{}/_api/admin/users/import/{id}", self.url);
        let mut wait = Duration::from_millis(100);
        let deadline = std::time::Instant::now() + super::jobs::DEADLINE;
        loop {
            if std::time::Instant::now() > deadline {
                // Treated as failed: the lookup settles who arrived.
                return Ok((true, HashMap::new()));
            }
            let jwt = self.jwt()?;
            let (status, answer) = self
                .http
                .raw("a task's status", |c| c.get(&url).bearer_auth(&jwt))
                .await?;
            if status == 404 {
                return Ok((true, HashMap::new()));
            }
            if status != 200 {
                return Err(self.http.refused("a task's status", status, &answer));
            }
            let task = if answer["result"].is_object() {
                &answer["result"]
            } else {
                &answer
            };
            match task["status"].as_str() {
                Some("pending" | "running") | None => {}
                Some("completed") => {
                    let mut codes = HashMap::new();
                    for d in task["details"].as_array().into_iter().flatten() {
                        let (Some(k), Some(outcome)) = (d["index"].as_u64(), d["outcome"].as_str())
                        else {
                            continue;
                        };
                        if outcome == "failed" || outcome == "skipped" {
                            let code = match d["errors"][0]["reason"].as_str() {
                                Some(reason) => safe_code(Some(reason)),
                                None => format!("{}_RECORD", outcome.to_ascii_uppercase()),
                            };
                            codes.insert(k as usize, code);
                        }
                    }
                    return Ok((false, codes));
                }
                Some(_) => return Ok((true, HashMap::new())),
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(POLL_MAX);
        }
    }

    /// Delete the users of `who` that are this move's (their `legacy_id` says so).
    pub async fn delete(&self, who: &[Who<'_>]) -> Result<(), MoveError> {
        let found = self.find(who).await?;
        let ids: Vec<&String> = found.values().flatten().collect();
        for chunk in ids.chunks(GRAPHQL) {
            let mut fields = String::new();
            let mut params = Vec::new();
            let mut variables = serde_json::Map::new();
            for (k, id) in chunk.iter().enumerate() {
                params.push(format!("$u{k}: ID!"));
                fields.push_str(&format!(
                    " d{k}: deleteUser(input: {{userID: $u{k}}}) {{ deletedUserID }}"
                ));
                variables.insert(format!("u{k}"), json!(id));
            }
            let query = format!("mutation({}) {{{fields} }}", params.join(", "));
            let body = json!({"query": query, "variables": variables}).to_string();
            let answer = self
                .post("/_api/admin/graphql", "a delete", body.into())
                .await?;
            if let Some(e) = answer["errors"].as_array().and_then(|e| e.first()) {
                return Err(self.graphql_refused("a delete", e));
            }
        }
        Ok(())
    }
}

/// The users at `group` as import request bodies of at most [`BODY_BYTES`].
pub fn bodies(users: &[&Outgoing<Form>], group: &[usize]) -> Result<Vec<Body>, MoveError> {
    let head = br#"{"upsert":false,"identifier":"email","records":["#;
    pack(users, group, BODY_BYTES, (head, b"]}"), record)
}

fn record(u: &Outgoing<Form>) -> Result<Vec<u8>, MoveError> {
    let mut r = json!({
        "email_verified": u.verified.unwrap_or(false),
        "disabled": u.disabled,
        "custom_attributes": {"legacy_id": u.id},
    });
    if let Some(tag) = &u.tag {
        r["custom_attributes"]["segment"] = json!(&**tag);
    }
    if let Some(e) = &u.email {
        r["email"] = json!(e);
    }
    if let Some(name) = &u.username {
        r["preferred_username"] = json!(name);
    }
    match &u.password {
        None => {}
        Some(Form::Authgear(hash)) => {
            r["password"] = json!({"type": "bcrypt", "password_hash": hash})
        }
        Some(_) => {
            return Err(MoveError::Setup(
                "a password converted for another target reached Authgear".into(),
            ));
        }
    }
    serde_json::to_vec(&r).map_err(|e| MoveError::Setup(format!("cannot encode an import: {e}")))
}

impl Jobs for Authgear {
    fn body(&self, users: &[&Outgoing<Form>], group: &[usize]) -> Result<Vec<u8>, MoveError> {
        Ok(bodies(users, group)?
            .into_iter()
            .next()
            .map(|(_, b)| b)
            .unwrap_or_default())
    }

    async fn run(
        &self,
        body: Vec<u8>,
        _: &[&Outgoing<Form>],
        _: &[usize],
    ) -> Result<Ended, MoveError> {
        let (failed, refused) = self.run_task(body).await?;
        Ok(Ended { failed, refused })
    }

    async fn holds(&self, who: &[Who<'_>]) -> Result<HashSet<String>, MoveError> {
        self.present(who).await
    }

    fn gave_up(&self) -> MoveError {
        self.http
            .unreachable("an import task", "the task failed every time".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bcrypt_converts_and_bodies_stay_under_500_kb() {
        let h = "$2y$10$abcdefghijklmnopqrstuu5Yf3ZQ3Yp4f3y6k3x9Qm1d2e3f4g5h6";
        assert_eq!(convert("bcrypt-2y", h), Ok(h.to_string()));
        assert_eq!(
            convert("pbkdf2-sha256", "$pbkdf2-sha256$1$c2FsdA$aGFzaA"),
            Err(Unfit::NoLayout)
        );
        let users: Vec<Outgoing<Form>> = (0..4000)
            .map(|i| Outgoing {
                line: i,
                id: format!("L{i:06}"),
                email: Some(format!("user{i}@example.org")),
                username: None,
                verified: Some(true),
                disabled: false,
                password: Some(Form::Authgear(h.to_string())),
                tag: None,
            })
            .collect();
        let refs: Vec<&Outgoing<Form>> = users.iter().collect();
        let all: Vec<usize> = (0..refs.len()).collect();
        let bodies = bodies(&refs, &all).expect("bodies");
        assert!(bodies.len() > 1);
        for (members, body) in &bodies {
            assert!(body.len() <= BODY_BYTES);
            let v: Value = serde_json::from_slice(body).expect("JSON");
            assert_eq!(v["records"].as_array().map(Vec::len), Some(members.len()));
            assert_eq!(v["identifier"], "email");
        }
    }
}
