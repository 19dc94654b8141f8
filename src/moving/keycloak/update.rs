//! A drift pass on Keycloak (`cutover move --changed-since-move`): users changed on the legacy
//! system since they moved, brought up to date. A user this segment's moves created is imported
//! again with `partialImport` and `ifResourceExists = OVERWRITE`, which replaces the user and its
//! credentials, so a changed password hash arrives too (and one the user set on Keycloak since
//! is replaced: Keycloak keeps no trace of it a realm without events could show). A user who
//! was in the realm before the move is someone else's: `PUT …/users/{id}` updates its email,
//! its verification and `enabled` only.

use super::{PARALLEL, representation};
use crate::moving::prepare::Outgoing;
use crate::moving::problems::MoveError;
use crate::moving::target::{Form, user_id};
use futures_util::future::join_all;
use serde_json::json;
use std::collections::HashSet;

impl super::Keycloak {
    /// Update `users`, each in the realm a moment ago (`ours[i]`: created by this segment's
    /// moves): per user, `Ok` or its code.
    pub async fn update(
        &self,
        users: &[&Outgoing<Form>],
        ours: &[bool],
    ) -> Result<Vec<Result<(), String>>, MoveError> {
        let mut out: Vec<Result<(), String>> = vec![Ok(()); users.len()];
        let mine: Vec<usize> = (0..users.len()).filter(|&i| ours[i]).collect();
        if !mine.is_empty() {
            let overwritten = self.overwrite(users, &mine).await?;
            for &i in &mine {
                if !overwritten.contains(&user_id(&users[i].id)) {
                    out[i] = Err("SKIPPED_EXISTS".into());
                }
            }
        }
        let others: Vec<usize> = (0..users.len()).filter(|&i| !ours[i]).collect();
        for chunk in others.chunks(PARALLEL) {
            let answers = join_all(chunk.iter().map(|&i| self.put_profile(users[i]))).await;
            for (&i, answer) in chunk.iter().zip(answers) {
                out[i] = answer?;
            }
        }
        Ok(out)
    }

    /// `partialImport` with `OVERWRITE` of the users at `at`: the ids Keycloak overwrote (or
    /// added, for one deleted a moment ago).
    async fn overwrite(
        &self,
        users: &[&Outgoing<Form>],
        at: &[usize],
    ) -> Result<HashSet<String>, MoveError> {
        let mut list = Vec::with_capacity(at.len());
        for &i in at {
            list.push(representation(users[i])?);
        }
        let body =
            bytes::Bytes::from(json!({"ifResourceExists": "OVERWRITE", "users": list}).to_string());
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
        Ok(answer["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["action"] == "OVERWRITTEN" || r["action"] == "ADDED")
            .filter_map(|r| r["id"].as_str().map(str::to_string))
            .collect())
    }

    /// `PUT …/users/{id}` of one user's profile fields: `Ok`, or its code.
    async fn put_profile(&self, u: &Outgoing<Form>) -> Result<Result<(), String>, MoveError> {
        let mut change = json!({"enabled": !u.disabled});
        if let Some(email) = &u.email {
            change["email"] = json!(email);
            change["emailVerified"] = json!(u.verified.unwrap_or(false));
        }
        let url = format!("{}/users/{}", self.admin, user_id(&u.id));
        let body = bytes::Bytes::from(change.to_string());
        let (status, answer) = self
            .call("an update", |c, t| {
                c.put(&url)
                    .bearer_auth(t)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        Ok(match status {
            200..=299 => Ok(()),
            404 => Err("USER_NOT_FOUND".into()),
            // "User exists with same email": another user holds it.
            409 => Err("DUPLICATE_EMAIL".into()),
            _ => return Err(self.http.refused("an update", status, &answer)),
        })
    }
}
