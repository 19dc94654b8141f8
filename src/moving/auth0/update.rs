//! A drift pass on Auth0 (`cutover move --changed-since-move`): users changed on the legacy
//! system since they moved, brought up to date with `PATCH /api/v2/users/{id}` (email, its
//! verification, blocked). Auth0's bulk import cannot serve here: its upsert finds users by
//! email and updates neither the email, nor `blocked`, nor a password hash ("the initial import
//! is the only opportunity to include user password hashes"), so a password changed on the
//! legacy side does not reach a user already on Auth0.

use crate::moving::prepare::Outgoing;
use crate::moving::problems::{MoveError, safe_code};
use crate::moving::target::Form;
use futures_util::future::join_all;
use serde_json::json;

impl super::Auth0 {
    /// Update `users`, each in the connection a moment ago: per user, `Ok` or its code.
    pub async fn update(
        &self,
        users: &[&Outgoing<Form>],
    ) -> Result<Vec<Result<(), String>>, MoveError> {
        let mut out = Vec::with_capacity(users.len());
        for chunk in users.chunks(super::PARALLEL) {
            for answer in join_all(chunk.iter().map(|u| self.patch(u))).await {
                out.push(answer?);
            }
        }
        Ok(out)
    }

    async fn patch(&self, u: &Outgoing<Form>) -> Result<Result<(), String>, MoveError> {
        let mut change = json!({"blocked": u.disabled});
        if let Some(email) = &u.email {
            change["email"] = json!(email);
        }
        // Only what the legacy side says: a verification Auth0 recorded since stays.
        if let Some(verified) = u.verified {
            change["email_verified"] = json!(verified);
        }
        let url = self.user_url(&u.id);
        let body = bytes::Bytes::from(change.to_string());
        let (status, answer) = self
            .http
            .raw("an update", |c| {
                c.patch(&url)
                    .bearer_auth(&self.token)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        Ok(match status {
            200..=299 => Ok(()),
            404 => Err("USER_NOT_FOUND".into()),
            // Its message can quote the email: only the code is kept.
            400 | 409 => Err(safe_code(answer["errorCode"].as_str())),
            _ => return Err(self.http.refused("an update", status, &answer)),
        })
    }
}
