//! Firebase Authentication (Google Identity Platform) as a move's target, over its REST API
//! (Identity Toolkit v1), with an access token or a service account ([`super::google_auth`]):
//! `accounts:lookup` to ask which legacy ids it holds, `accounts:batchCreate`
//! to import, `accounts:batchDelete` to undo. The same calls reach Google and the Firebase
//! Authentication emulator (`url = "http://HOST:PORT/identitytoolkit.googleapis.com"`, any
//! bearer token; the emulator takes `owner`).
//!
//! Limits, from Firebase's "Import users" guide and the REST reference: at most 1,000 users a
//! `batchCreate` and a `batchDelete`, one `hashAlgorithm` (with its rounds and order) a
//! request, so a batch goes out as one request per algorithm. A move never sends
//! `allowOverwrite` (Google's Admin SDK sets it, and then an import replaces the user whose uid
//! collides); only a drift pass does, for users its move created ([`update`]). A
//! lookup takes 100 ids at a time (the Admin SDK's `getUsers` limit). Per-user refusals come
//! inside a 200 answer as `error: [{index, message}]`; the message is free text that can echo
//! the email, so only its code is kept ([`super::problems::code_of`]).

use super::firebase_form::{Algorithm, Form};
use super::http::Http;
use super::prepare::Outgoing;
use super::problems::{MoveError, code_of};
use super::target::Form as AnyForm;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, HashSet};

mod list;
mod reset;
mod update;

const NAME: &str = "Firebase";
/// Users a `batchCreate` or a `batchDelete` takes.
pub const BATCH: usize = 1000;
/// Ids an `accounts:lookup` is asked about at once.
const LOOKUP: usize = 100;

/// How a Firebase move proves who it is.
pub enum Credential {
    /// An OAuth access token, as given.
    Token(String),
    /// A service account, which gets (and renews) its own access tokens.
    ServiceAccount(Box<super::google_auth::ServiceAccount>),
}

/// A Firebase project, reached over HTTP.
pub struct Firebase {
    http: Http,
    credential: Credential,
    /// `{url}/v1/projects/{project}`.
    base: String,
}

impl Firebase {
    pub fn new(url: &str, project: &str, credential: Credential) -> Result<Firebase, MoveError> {
        Ok(Firebase {
            http: Http::new(NAME)?,
            credential,
            base: format!("{}/v1/projects/{project}", url.trim_end_matches('/')),
        })
    }

    async fn bearer(&self) -> Result<String, MoveError> {
        match &self.credential {
            Credential::Token(t) => Ok(t.clone()),
            Credential::ServiceAccount(account) => account.token(&self.http).await,
        }
    }

    /// POST `body` (JSON) to `call` under the project.
    async fn post(
        &self,
        call: &str,
        what: &'static str,
        body: bytes::Bytes,
    ) -> Result<serde_json::Value, MoveError> {
        let url = format!("{}/{call}", self.base);
        let token = self.bearer().await?;
        self.http
            .call(what, |c| {
                c.post(&url)
                    .bearer_auth(&token)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await
    }

    /// Which of `ids` the project holds now.
    pub async fn present(&self, ids: &[&str]) -> Result<HashSet<String>, MoveError> {
        let mut out = HashSet::new();
        for chunk in ids.chunks(LOOKUP) {
            let body = json!({ "localId": chunk }).to_string();
            let answer = self
                .post("accounts:lookup", "a lookup", body.into())
                .await?;
            for user in answer["users"].as_array().into_iter().flatten() {
                if let Some(id) = user["localId"].as_str() {
                    out.insert(id.to_string());
                }
            }
        }
        Ok(out)
    }

    /// Import `users` (none of them on the project a moment ago): per user, `Ok` (created,
    /// by this call or by an earlier attempt of it) or the refusal's code.
    pub async fn create(
        &self,
        users: &[&Outgoing<AnyForm>],
    ) -> Result<Vec<Result<(), String>>, MoveError> {
        let mut outcomes: Vec<Result<(), String>> = vec![Ok(()); users.len()];
        for (members, body) in requests(users, false)? {
            let answer = self
                .post("accounts:batchCreate", "an import", body.into())
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
                let code = code_of(e["message"].as_str().unwrap_or_default());
                // The caller sends only users absent a moment ago: one "there already" now
                // is this move's own import, answered on an attempt whose answer was lost (a
                // cut connection, retried). It counts as created.
                if code != "DUPLICATE_LOCAL_ID" {
                    outcomes[i] = Err(code);
                }
            }
        }
        Ok(outcomes)
    }

    /// Delete `ids` (an undo), 1,000 at a time. One already gone is not an error.
    pub async fn delete(&self, ids: &[&str]) -> Result<(), MoveError> {
        for chunk in ids.chunks(BATCH) {
            let body = json!({ "localIds": chunk, "force": true }).to_string();
            let answer = self
                .post("accounts:batchDelete", "a delete", body.into())
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

/// One user in `batchCreate`'s shape; the legacy id is the `localId`, and also a custom claim
/// `legacyId`, so a second user carrying it (imported again under another uid by some other
/// tool) is found by a reconciliation.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserInfo<'a> {
    local_id: &'a str,
    custom_attributes: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verified: Option<bool>,
    disabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
}

/// A `batchCreate` request: its users and the one hash algorithm they share.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Upload<'a> {
    users: Vec<UserInfo<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash_algorithm: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rounds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_hash_order: Option<&'static str>,
    /// Replace the user whose uid collides (a drift pass re-importing a user this move
    /// created); never set by a move.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    allow_overwrite: bool,
}

/// One encoded `batchCreate`: the indexes of the users it holds, and its JSON body.
pub type Request = (Vec<usize>, Vec<u8>);

/// The `batchCreate` requests for `users`, encoded: one per hash algorithm (users without a
/// password go with any), at most [`BATCH`] users each, with the indexes into `users` each
/// holds; `overwrite` replaces users already there.
pub fn requests(users: &[&Outgoing<AnyForm>], overwrite: bool) -> Result<Vec<Request>, MoveError> {
    let mut groups: BTreeMap<Option<Algorithm>, Vec<usize>> = BTreeMap::new();
    for (i, u) in users.iter().enumerate() {
        groups
            .entry(form(u)?.map(|p| p.algorithm))
            .or_default()
            .push(i);
    }
    let mut out = Vec::new();
    for (algorithm, members) in groups {
        for chunk in members.chunks(BATCH) {
            let upload = Upload {
                users: chunk
                    .iter()
                    .map(|&i| user_info(users[i]))
                    .collect::<Result<_, _>>()?,
                hash_algorithm: algorithm.map(|a| a.name),
                rounds: algorithm.filter(|a| a.name != "BCRYPT").map(|a| a.rounds),
                password_hash_order: algorithm
                    .filter(|a| a.password_first)
                    .map(|_| "PASSWORD_AND_SALT"),
                allow_overwrite: overwrite,
            };
            let body = serde_json::to_vec(&upload)
                .map_err(|e| MoveError::Setup(format!("cannot encode an import: {e}")))?;
            out.push((chunk.to_vec(), body));
        }
    }
    Ok(out)
}

/// A user's password in Firebase's form (a form of another target is a slip in the caller).
fn form(u: &Outgoing<AnyForm>) -> Result<Option<&Form>, MoveError> {
    match &u.password {
        None => Ok(None),
        Some(AnyForm::Firebase(f)) => Ok(Some(f)),
        Some(_) => Err(MoveError::Setup(
            "a password converted for another target reached Firebase".into(),
        )),
    }
}

fn user_info(u: &Outgoing<AnyForm>) -> Result<UserInfo<'_>, MoveError> {
    let password = form(u)?;
    Ok(UserInfo {
        local_id: &u.id,
        custom_attributes: match &u.tag {
            None => json!({ "legacyId": u.id }),
            Some(tag) => json!({ "legacyId": u.id, "segment": &**tag }),
        }
        .to_string(),
        email: u.email.as_deref(),
        email_verified: u.email.as_ref().map(|_| u.verified.unwrap_or(false)),
        disabled: u.disabled,
        password_hash: password.map(|p| STANDARD.encode(&p.hash)),
        salt: password
            .and_then(|p| p.salt.as_ref())
            .map(|s| STANDARD.encode(s)),
    })
}
