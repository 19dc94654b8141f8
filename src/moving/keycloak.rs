//! Keycloak as a move's target, over its Admin REST API with a service-account token (the
//! client credentials grant of `client_id`/`client_secret` in the target realm; the client
//! needs the realm's `manage-users` role). `GET …/users/{id}` asks whether a user is there,
//! `POST …/partialImport` with `ifResourceExists = SKIP` imports, `DELETE …/users/{id}` undoes.
//!
//! Keycloak has no import job, and its admin token is short-lived (a public CAS → Keycloak
//! migration logged 44,906 401s and lost 29 % of its users on the first pass). The token is
//! renewed before its `expires_in` runs out (15 s before, or at three quarters of a shorter
//! life), and a 401 renews it and tries again.
//!
//! `SKIP` imports a user only when no user holds its id, username or email: a skipped user is
//! looked up by its id, and counts as created when it is there (this move's own import, whose
//! answer was lost) or fails as `SKIPPED_EXISTS` (someone else holds the username or email).
//! There is no documented size limit on a `partialImport`; batches default to 500 users, well
//! under its default 10 MB body. Lookups and deletes are one user a request, eight at a time.
//!
//! A user is named by the UUID [`super::target::user_id`] derives from the legacy id, keeps it
//! as the `legacyId` attribute, and gets the legacy username (else the email, else the legacy
//! id) as its username. One without a password gets the `UPDATE_PASSWORD` required action.

use super::http::Http;
use super::prepare::Outgoing;
use super::problems::MoveError;
use super::target::{Form, user_id};
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::{Duration, Instant};

mod list;
mod reset;
mod update;

const NAME: &str = "Keycloak";
/// Lookups or deletes in flight at once.
const PARALLEL: usize = 8;
/// A token is renewed when less than this is left of it (or a quarter of its life, if less).
const MARGIN: Duration = Duration::from_secs(15);
/// 401s in a row that renew the token before one is taken as an answer.
const RENEWALS: usize = 3;

pub struct Keycloak {
    http: Http,
    /// `{url}/admin/realms/{realm}`.
    admin: String,
    /// The realm's token endpoint.
    token_url: String,
    client_id: String,
    secret: String,
    /// The token, when it expires, and how long before that it is renewed.
    token: tokio::sync::Mutex<Option<(String, Instant, Duration)>>,
}

impl Keycloak {
    pub fn new(
        url: &str,
        realm: &str,
        client_id: &str,
        secret: String,
    ) -> Result<Keycloak, MoveError> {
        let url = url.trim_end_matches('/');
        Ok(Keycloak {
            http: Http::new(NAME)?,
            admin: format!("{url}/admin/realms/{realm}"),
            token_url: format!("{url}/realms/{realm}/protocol/openid-connect/token"),
            client_id: client_id.to_string(),
            secret,
            token: tokio::sync::Mutex::new(None),
        })
    }

    /// A token with time left on it; a new one when `renew` (the last was refused).
    async fn token(&self, renew: bool) -> Result<String, MoveError> {
        let mut slot = self.token.lock().await;
        if let Some((t, until, margin)) = slot.as_ref()
            && !renew
            && Instant::now() + *margin < *until
        {
            return Ok(t.clone());
        }
        let (token, life) = self
            .http
            .token(
                &self.token_url,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &self.client_id),
                    ("client_secret", &self.secret),
                ],
            )
            .await?;
        *slot = Some((token.clone(), Instant::now() + life, MARGIN.min(life / 4)));
        Ok(token)
    }

    /// `build`'s request with a live token; a 401 renews the token and tries again, up to
    /// [`RENEWALS`] times in a row (a token refused right after it was issued means the
    /// credentials are wrong, and the 401 stands).
    async fn call(
        &self,
        what: &'static str,
        build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<(u16, Value), MoveError> {
        let mut token = self.token(false).await?;
        for _ in 0..RENEWALS {
            let answer = self.http.raw(what, |c| build(c, &token)).await?;
            if answer.0 != 401 {
                return Ok(answer);
            }
            token = self.token(true).await?;
        }
        self.http.raw(what, |c| build(c, &token)).await
    }

    /// Whether the user of legacy id `id` is in the realm.
    async fn holds(&self, id: &str) -> Result<bool, MoveError> {
        let url = format!("{}/users/{}", self.admin, user_id(id));
        match self
            .call("a lookup", |c, t| c.get(&url).bearer_auth(t))
            .await?
        {
            (200, _) => Ok(true),
            (404, _) => Ok(false),
            (status, body) => Err(self.http.refused("a lookup", status, &body)),
        }
    }

    /// Which of `ids` (legacy ids) the realm holds now.
    pub async fn present(&self, ids: &[&str]) -> Result<HashSet<String>, MoveError> {
        let mut out = HashSet::new();
        for chunk in ids.chunks(PARALLEL) {
            let answers = join_all(chunk.iter().map(|id| self.holds(id))).await;
            for (id, there) in chunk.iter().zip(answers) {
                if there? {
                    out.insert(id.to_string());
                }
            }
        }
        Ok(out)
    }

    /// Import `users` (none of them in the realm a moment ago): per user, `Ok` or its code.
    pub async fn create(
        &self,
        users: &[&Outgoing<Form>],
    ) -> Result<Vec<Result<(), String>>, MoveError> {
        let mut list = Vec::with_capacity(users.len());
        for u in users {
            list.push(representation(u)?);
        }
        let body =
            bytes::Bytes::from(json!({"ifResourceExists": "SKIP", "users": list}).to_string());
        let url = format!("{}/partialImport", self.admin);
        let (status, answer) = self
            .call("an import", |c, t| {
                c.post(&url)
                    .bearer_auth(t)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        if !(200..300).contains(&status) {
            return Err(self.http.refused("an import", status, &answer));
        }
        // Each result names the user's id: an added one is ours (the id cutover gave it); any
        // other user is looked up by its id.
        let added: HashSet<&str> = answer["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["action"] == "ADDED")
            .filter_map(|r| r["id"].as_str())
            .collect();
        let ids: Vec<String> = users.iter().map(|u| user_id(&u.id)).collect();
        let unsure: Vec<&str> = users
            .iter()
            .zip(&ids)
            .filter(|(_, uid)| !added.contains(uid.as_str()))
            .map(|(u, _)| u.id.as_str())
            .collect();
        let there = self.present(&unsure).await?;
        Ok(users
            .iter()
            .zip(&ids)
            .map(|(u, uid)| {
                if added.contains(uid.as_str()) || there.contains(&u.id) {
                    Ok(())
                } else {
                    Err("SKIPPED_EXISTS".into())
                }
            })
            .collect())
    }

    /// Delete the users of `ids` (legacy ids); one already gone is not an error.
    pub async fn delete(&self, ids: &[&str]) -> Result<(), MoveError> {
        for chunk in ids.chunks(PARALLEL) {
            for answer in join_all(chunk.iter().map(|id| self.remove(id))).await {
                answer?;
            }
        }
        Ok(())
    }

    /// Delete the user of legacy id `id`, if it is there.
    async fn remove(&self, id: &str) -> Result<(), MoveError> {
        let url = format!("{}/users/{}", self.admin, user_id(id));
        match self
            .call("a delete", |c, t| c.delete(&url).bearer_auth(t))
            .await?
        {
            (200..=299 | 404, _) => Ok(()),
            (status, body) => Err(self.http.refused("a delete", status, &body)),
        }
    }
}

/// The username a user gets: the legacy username, else the email, else the legacy id, in
/// lower case as Keycloak keeps it.
fn username(u: &Outgoing<Form>) -> String {
    u.username
        .as_deref()
        .or(u.email.as_deref())
        .unwrap_or(&u.id)
        .to_lowercase()
}

/// One user as a `UserRepresentation` of a partial import.
fn representation(u: &Outgoing<Form>) -> Result<Value, MoveError> {
    let mut user = json!({
        "id": user_id(&u.id),
        "username": username(u),
        "enabled": !u.disabled,
        "emailVerified": u.verified.unwrap_or(false),
        "attributes": {"legacyId": [u.id]},
    });
    if let Some(tag) = &u.tag {
        user["attributes"]["segment"] = json!([&**tag]);
    }
    if let Some(e) = &u.email {
        user["email"] = json!(e);
    }
    match &u.password {
        None => user["requiredActions"] = json!(["UPDATE_PASSWORD"]),
        Some(Form::Keycloak(c)) => {
            user["credentials"] = json!([{
                "type": "password",
                "credentialData": c.credential_data,
                "secretData": c.secret_data,
            }]);
        }
        Some(_) => {
            return Err(MoveError::Setup(
                "a password converted for another target reached Keycloak".into(),
            ));
        }
    }
    Ok(user)
}
