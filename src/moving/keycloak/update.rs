//! A drift pass on Keycloak (`cutover move --changed-since-move`): users changed on the legacy
//! system since they moved, brought up to date with `PUT …/users/{id}` (email, its
//! verification, `enabled`). Keycloak takes a password hash only when it creates a user: its
//! `partialImport` with `OVERWRITE` finds the user by username or email (so a changed email is
//! not found, and the import collides with the user's own id) and deletes and re-creates it,
//! taking its sessions, second factors, groups and roles with it. So a password changed on the
//! legacy side does not reach a user already in the realm.

use super::PARALLEL;
use crate::moving::prepare::Outgoing;
use crate::moving::problems::MoveError;
use crate::moving::target::{Form, user_id};
use futures_util::future::join_all;
use serde_json::json;

impl super::Keycloak {
    /// Update `users`, each in the realm a moment ago: per user, `Ok` or its code. Eight
    /// updates are in flight at once.
    pub async fn update(
        &self,
        users: &[&Outgoing<Form>],
    ) -> Result<Vec<Result<(), String>>, MoveError> {
        let mut out = Vec::with_capacity(users.len());
        for chunk in users.chunks(PARALLEL) {
            for answer in join_all(chunk.iter().map(|u| self.put_profile(u))).await {
                out.push(answer?);
            }
        }
        Ok(out)
    }

    /// `PUT …/users/{id}` of one user's profile fields: `Ok`, or its code.
    async fn put_profile(&self, u: &Outgoing<Form>) -> Result<Result<(), String>, MoveError> {
        let mut change = json!({"enabled": !u.disabled});
        if let Some(email) = &u.email {
            change["email"] = json!(email);
        }
        // Only what the legacy side says: a verification the realm recorded since stays.
        if let Some(verified) = u.verified {
            change["emailVerified"] = json!(verified);
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
