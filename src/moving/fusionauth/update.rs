//! A drift pass on FusionAuth (`cutover move --changed-since-move`): users changed on the
//! legacy system since they moved, brought up to date with `PATCH /api/user/{id}` (FusionAuth's
//! "Update a User", merging the fields given). FusionAuth takes a password hash only through
//! its import, which refuses a user id it holds, so a password changed on the legacy side does
//! not reach a user already there: the profile does (email, username, active, the legacy id
//! kept in `data`, and verified when the legacy side says).

use crate::moving::prepare::Outgoing;
use crate::moving::problems::MoveError;
use crate::moving::target::{Form, user_id};
use futures_util::future::join_all;
use serde_json::json;

/// Updates in flight at once.
const PARALLEL: usize = 8;

impl super::FusionAuth {
    /// Update `users`, each in the tenant a moment ago: per user, `Ok` or the refusal's code.
    /// Eight updates are in flight at once.
    pub async fn update(
        &self,
        users: &[&Outgoing<Form>],
    ) -> Result<Vec<Result<(), String>>, MoveError> {
        let mut outcomes = Vec::with_capacity(users.len());
        for chunk in users.chunks(PARALLEL) {
            for answer in join_all(chunk.iter().map(|u| self.patch(u))).await {
                outcomes.push(answer?);
            }
        }
        Ok(outcomes)
    }

    /// `PATCH /api/user/{id}` of one user's profile: `Ok`, or the refusal's code.
    async fn patch(&self, u: &Outgoing<Form>) -> Result<Result<(), String>, MoveError> {
        let mut user = json!({
            "active": !u.disabled,
            "data": {"legacyId": u.id},
        });
        // Only what the legacy side says: a verification the target recorded since stays.
        if let Some(verified) = u.verified {
            user["verified"] = json!(verified);
        }
        if let Some(email) = &u.email {
            user["email"] = json!(email);
        }
        if let Some(name) = &u.username {
            user["username"] = json!(name);
        }
        if let Some(tag) = &u.tag {
            user["data"]["segment"] = json!(&**tag);
        }
        let body = bytes::Bytes::from(json!({ "user": user }).to_string());
        let path = format!("/api/user/{}", user_id(&u.id));
        let (status, answer) = self
            .http
            .raw("an update", |c| {
                self.request(c, reqwest::Method::PATCH, &path, &body)
            })
            .await?;
        Ok(match status {
            200..=299 => Ok(()),
            404 => Err("USER_NOT_FOUND".to_string()),
            400 => Err(super::first_code(&answer)),
            _ => return Err(self.http.refused("an update", status, &answer)),
        })
    }
}
