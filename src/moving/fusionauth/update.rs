//! A drift pass on FusionAuth (`cutover move --changed-since-move`): users changed on the
//! legacy system since they moved, brought up to date with `PATCH /api/user/{id}` (FusionAuth's
//! "Update a User", merging the fields given). FusionAuth takes a password hash only through
//! its import, which refuses a user id it holds, so a password changed on the legacy side does
//! not reach a user already there: the profile does (email, username, verified, active, and
//! the legacy id kept in `data`).

use crate::moving::prepare::Outgoing;
use crate::moving::problems::MoveError;
use crate::moving::target::{Form, user_id};
use serde_json::json;

impl super::FusionAuth {
    /// Update `users`, each in the tenant a moment ago: per user, `Ok` or the refusal's code.
    pub async fn update(
        &self,
        users: &[&Outgoing<Form>],
    ) -> Result<Vec<Result<(), String>>, MoveError> {
        let mut outcomes = Vec::with_capacity(users.len());
        for u in users {
            let mut user = json!({
                "verified": u.verified.unwrap_or(false),
                "active": !u.disabled,
                "data": {"legacyId": u.id},
            });
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
            outcomes.push(match status {
                200..=299 => Ok(()),
                404 => Err("USER_NOT_FOUND".to_string()),
                400 => Err(super::first_code(&answer)),
                _ => return Err(self.http.refused("an update", status, &answer)),
            });
        }
        Ok(outcomes)
    }
}
