//! FusionAuth as a move's target, over its REST API with an API key (`Authorization: KEY`, and
//! `X-FusionAuth-TenantId` when `tenant` is set): `POST /api/user/search` with `ids` to ask
//! which users it holds, `POST /api/user/import` to import, `DELETE /api/user/bulk` with
//! `hardDelete` to undo.
//!
//! The import is synchronous and all or nothing (FusionAuth's "Import Users" API): one user it
//! refuses fails the whole request with `fieldErrors` (`[duplicate]user.email` and the like,
//! with `validateDbConstraints`, which cutover always sets so a refusal names its cause). A
//! refused request's users are looked up first (one there was imported by an attempt whose
//! answer was lost, and counts as created); the rest is split in halves until the refused users
//! stand alone, so they fail with their code and the others are imported. An answer is never trusted alone: FusionAuth once
//! answered 200 while importing no one (fusionauth-issues #317), so after every import the users
//! are looked up, and one still absent fails as `NOT_IMPORTED`. A long import may be cut by a
//! load balancer (a 504, fusionauth-issues #944) after FusionAuth imported it: an import whose
//! answer was lost is never re-sent as it was; the users are looked up and only those still
//! absent are sent again.
//!
//! Batches go up to 100,000 users, the FusionAuth migration guide's largest (25,000 by
//! default, for memory: see `config::move_targets::batch_default`). Users are named
//! by the UUID [`super::target::user_id`] derives from the legacy id, and keep it as
//! `data.legacyId`.

use super::http::{Attempt, Backoff, Http};
use super::prepare::Outgoing;
use super::problems::{MoveError, safe_code};
use super::target::{Form, user_id};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

mod list;
mod reset;
mod update;

const NAME: &str = "FusionAuth";
/// Ids a search asks about, and ids a bulk delete takes.
const CHUNK: usize = 1000;

pub struct FusionAuth {
    http: Http,
    base: String,
    key: String,
    tenant: Option<String>,
}

/// What one import request came to.
enum Imported {
    /// Imported (as far as its answer says: the caller looks them up).
    Done,
    /// Refused as a whole, with the first code its errors name, and the users it held (all
    /// absent: the others were found there, created by an attempt whose answer was lost).
    Refused(String, Vec<usize>),
}

impl FusionAuth {
    pub fn new(url: &str, key: String, tenant: Option<String>) -> Result<FusionAuth, MoveError> {
        Ok(FusionAuth {
            http: Http::new(NAME)?,
            base: url.trim_end_matches('/').to_string(),
            key,
            tenant,
        })
    }

    fn request(
        &self,
        c: &reqwest::Client,
        method: reqwest::Method,
        path: &str,
        body: &bytes::Bytes,
    ) -> reqwest::RequestBuilder {
        let mut r = c
            .request(method, format!("{}{path}", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.key)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone());
        if let Some(t) = &self.tenant {
            r = r.header("X-FusionAuth-TenantId", t);
        }
        r
    }

    /// Which of `ids` (legacy ids) the tenant holds now.
    pub async fn present(&self, ids: &[&str]) -> Result<HashSet<String>, MoveError> {
        let mut out = HashSet::new();
        for chunk in ids.chunks(CHUNK) {
            let by_uuid: HashMap<String, &str> =
                chunk.iter().map(|id| (user_id(id), *id)).collect();
            let uuids: Vec<&String> = by_uuid.keys().collect();
            let body = bytes::Bytes::from(
                json!({"search": {"ids": uuids, "numberOfResults": uuids.len()}}).to_string(),
            );
            let answer = self
                .http
                .call("a lookup", |c| {
                    self.request(c, reqwest::Method::POST, "/api/user/search", &body)
                })
                .await?;
            for user in answer["users"].as_array().into_iter().flatten() {
                if let Some(legacy) = user["id"].as_str().and_then(|u| by_uuid.get(u)) {
                    out.insert(legacy.to_string());
                }
            }
        }
        Ok(out)
    }

    /// Import `users` (none of them in the tenant a moment ago): per user, `Ok` or its code.
    pub async fn create(
        &self,
        users: &[&Outgoing<Form>],
    ) -> Result<Vec<Result<(), String>>, MoveError> {
        let mut outcomes: Vec<Result<(), String>> = vec![Ok(()); users.len()];
        let mut groups: Vec<Vec<usize>> = vec![(0..users.len()).collect()];
        while let Some(group) = groups.pop() {
            if group.is_empty() {
                continue;
            }
            match self.import(users, group.clone()).await? {
                Imported::Done => {
                    let ids: Vec<&str> = group.iter().map(|&i| users[i].id.as_str()).collect();
                    let there = self.present(&ids).await?;
                    for &i in &group {
                        if !there.contains(&users[i].id) {
                            outcomes[i] = Err("NOT_IMPORTED".into());
                        }
                    }
                }
                Imported::Refused(code, absent) if absent.len() == 1 => {
                    outcomes[absent[0]] = Err(code);
                }
                Imported::Refused(_, absent) => {
                    let (a, b) = absent.split_at(absent.len() / 2);
                    groups.push(b.to_vec());
                    groups.push(a.to_vec());
                }
            }
        }
        Ok(outcomes)
    }

    /// One import of the users at `group`, retried as [`super::http`] says; after a lost
    /// answer only the users still absent are sent again.
    async fn import(
        &self,
        users: &[&Outgoing<Form>],
        mut group: Vec<usize>,
    ) -> Result<Imported, MoveError> {
        let mut backoff = Backoff::default();
        loop {
            let body = bytes::Bytes::from(encode(users, &group)?);
            let attempt = self
                .http
                .once(
                    self.request(
                        self.http.client(),
                        reqwest::Method::POST,
                        "/api/user/import",
                        &body,
                    ),
                    "an import",
                )
                .await;
            match attempt {
                Attempt::Answer(200..=299, _) | Attempt::Unreadable(_) => {
                    return Ok(Imported::Done);
                }
                Attempt::Answer(400, body) => {
                    // A user an earlier attempt imported (its answer lost, the import finished
                    // after a 504) makes a resend a duplicate: those found are this move's,
                    // and only the others are refused or sent again.
                    let ids: Vec<&str> = group.iter().map(|&i| users[i].id.as_str()).collect();
                    let there = self.present(&ids).await?;
                    let before = group.len();
                    group.retain(|&i| !there.contains(&users[i].id));
                    if group.is_empty() {
                        return Ok(Imported::Done);
                    }
                    if group.len() == before {
                        return Ok(Imported::Refused(first_code(&body), group));
                    }
                }
                Attempt::Answer(status, body) => {
                    return Err(self.http.refused("an import", status, &body));
                }
                Attempt::Again { wait, why } => {
                    let Some(wait) = backoff.wait(wait) else {
                        return Err(self.http.unreachable("an import", why));
                    };
                    tokio::time::sleep(wait).await;
                    // Whoever is there now was imported by the attempt whose answer was lost.
                    let ids: Vec<&str> = group.iter().map(|&i| users[i].id.as_str()).collect();
                    let there = self.present(&ids).await?;
                    group.retain(|&i| !there.contains(&users[i].id));
                    if group.is_empty() {
                        return Ok(Imported::Done);
                    }
                }
            }
        }
    }

    /// Delete the users of `ids` (legacy ids) for good, 1,000 a request.
    pub async fn delete(&self, ids: &[&str]) -> Result<(), MoveError> {
        for chunk in ids.chunks(CHUNK) {
            let uuids: Vec<String> = chunk.iter().map(|id| user_id(id)).collect();
            let body =
                bytes::Bytes::from(json!({"userIds": uuids, "hardDelete": true}).to_string());
            self.http
                .call("a delete", |c| {
                    self.request(c, reqwest::Method::DELETE, "/api/user/bulk", &body)
                })
                .await?;
        }
        Ok(())
    }
}

/// The first error code of a refused import (`fieldErrors`, then `generalErrors`), if it has
/// the shape of a code; its message, which can quote an email, is never read.
fn first_code(body: &Value) -> String {
    let field = body["fieldErrors"]
        .as_object()
        .and_then(|m| m.values().find_map(|v| v[0]["code"].as_str()));
    safe_code(field.or_else(|| body["generalErrors"][0]["code"].as_str()))
}

#[derive(Serialize)]
struct Data<'a> {
    #[serde(rename = "legacyId")]
    legacy_id: &'a str,
    /// The segment's tag (`scope = "tag"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    segment: Option<&'a str>,
}

/// One user in the import's shape.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImportUser<'a> {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    verified: bool,
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption_scheme: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    factor: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    salt: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<&'a str>,
    data: Data<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Import<'a> {
    users: Vec<ImportUser<'a>>,
    validate_db_constraints: bool,
}

/// The import request of the users at `group`, encoded.
pub fn encode(users: &[&Outgoing<Form>], group: &[usize]) -> Result<Vec<u8>, MoveError> {
    let mut list = Vec::with_capacity(group.len());
    for &i in group {
        let u = users[i];
        let password = match &u.password {
            None => None,
            Some(Form::FusionAuth(p)) => Some(p),
            Some(_) => {
                return Err(MoveError::Setup(
                    "a password converted for another target reached FusionAuth".into(),
                ));
            }
        };
        list.push(ImportUser {
            id: user_id(&u.id),
            email: u.email.as_deref(),
            username: u.username.as_deref(),
            verified: u.verified.unwrap_or(false),
            active: !u.disabled,
            encryption_scheme: password.map(|p| p.scheme),
            factor: password.map(|p| p.factor),
            salt: password.map(|p| p.salt.as_str()),
            password: password.map(|p| p.password.as_str()),
            data: Data {
                legacy_id: &u.id,
                segment: u.tag.as_deref(),
            },
        });
    }
    // Sized once (about 300 bytes a user): a 100,000-user body is not copied as it grows.
    let mut out = Vec::with_capacity(group.len() * 320 + 64);
    serde_json::to_writer(
        &mut out,
        &Import {
            users: list,
            validate_db_constraints: true,
        },
    )
    .map_err(|e| MoveError::Setup(format!("cannot encode an import: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::first_code;
    use serde_json::json;

    #[test]
    fn a_refusal_keeps_its_code_and_never_its_message() {
        let dup = json!({"fieldErrors": {"user.email": [{"code": "[duplicate]user.email", "message": "A User with email [a@x.org] already exists."}]}});
        assert_eq!(first_code(&dup), "[duplicate]user.email");
        let general =
            json!({"generalErrors": [{"code": "[ImportRequestFailed]", "message": "..."}]});
        assert_eq!(first_code(&general), "[ImportRequestFailed]");
        assert_eq!(
            first_code(&json!({"fieldErrors": {"x": [{"code": "a@x.org"}]}})),
            "UNKNOWN"
        );
    }
}
