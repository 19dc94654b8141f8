//! A drift pass on Firebase (`cutover move --changed-since-move`): users changed on the legacy
//! system since they moved, brought up to date. Firebase's `accounts:update` takes profile
//! fields only (email, its verification, disabled), never a hash; a user this move created is
//! therefore imported again with `allowOverwrite`, which carries a changed password too. A
//! user that was on the project before the move is someone else's, and only its profile is
//! updated; so is one who signed in or changed their password on Firebase since the import
//! (an overwrite would take their Firebase password away).

use super::{NAME, requests};
use crate::moving::prepare::Outgoing;
use crate::moving::problems::{MoveError, code_of};
use crate::moving::target::Form;
use serde_json::json;

impl super::Firebase {
    /// Update `users`, each on the project a moment ago (`ours[i]`: created by this move):
    /// per user, `Ok` or the refusal's code.
    pub async fn update(
        &self,
        users: &[&Outgoing<Form>],
        ours: &[bool],
    ) -> Result<Vec<Result<(), String>>, MoveError> {
        let mut outcomes: Vec<Result<(), String>> = vec![Ok(()); users.len()];
        // A user who signed in or changed their password on Firebase since the import is
        // live there: an overwrite would take that away, so only the profile is updated.
        let ids: Vec<&str> = (0..users.len())
            .filter(|&i| ours[i])
            .map(|i| users[i].id.as_str())
            .collect();
        let live = self.active(&ids).await?;
        let ours: Vec<bool> = (0..users.len())
            .map(|i| ours[i] && !live.contains(&users[i].id))
            .collect();
        let mine: Vec<usize> = (0..users.len()).filter(|&i| ours[i]).collect();
        let again: Vec<&Outgoing<Form>> = mine.iter().map(|&i| users[i]).collect();
        for (members, body) in requests(&again, true)? {
            let answer = self
                .post("accounts:batchCreate", "an import", body.into())
                .await?;
            for e in answer["error"].as_array().into_iter().flatten() {
                let Some(&k) = e["index"].as_u64().and_then(|k| members.get(k as usize)) else {
                    return Err(MoveError::Answer {
                        target: NAME,
                        what: "an import",
                        cause: "an error names a user the request did not hold".into(),
                    });
                };
                outcomes[mine[k]] = Err(code_of(e["message"].as_str().unwrap_or_default()));
            }
        }
        // Eight profile updates in flight at once.
        let others: Vec<usize> = (0..users.len()).filter(|&i| !ours[i]).collect();
        for chunk in others.chunks(8) {
            let answers = futures_util::future::join_all(
                chunk.iter().map(|&i| self.update_profile(users[i])),
            )
            .await;
            for (&i, answer) in chunk.iter().zip(answers) {
                outcomes[i] = answer?;
            }
        }
        Ok(outcomes)
    }

    /// Which of `ids` signed in, or changed their password, on the project since it was
    /// created (`lastLoginAt`, or `passwordUpdatedAt` after `createdAt`).
    async fn active(&self, ids: &[&str]) -> Result<std::collections::HashSet<String>, MoveError> {
        let ms = |v: &serde_json::Value| {
            v.as_str()
                .and_then(|t| t.parse::<i64>().ok())
                .or_else(|| v.as_i64())
        };
        let mut out = std::collections::HashSet::new();
        for chunk in ids.chunks(super::LOOKUP) {
            let body = json!({ "localId": chunk }).to_string();
            let answer = self
                .post("accounts:lookup", "a lookup", body.into())
                .await?;
            for user in answer["users"].as_array().into_iter().flatten() {
                let created = ms(&user["createdAt"]).unwrap_or(0);
                let signed_in = ms(&user["lastLoginAt"]).is_some_and(|t| t > 0);
                // The import sets both to its own time; a second later is a change of its own.
                let changed = ms(&user["passwordUpdatedAt"]).is_some_and(|t| t > created + 1000);
                if let (true, Some(id)) = (signed_in || changed, user["localId"].as_str()) {
                    out.insert(id.to_string());
                }
            }
        }
        Ok(out)
    }

    /// `accounts:update` of one user's profile fields: `Ok`, or the refusal's code
    /// (`EMAIL_EXISTS`, `USER_NOT_FOUND`, ...).
    async fn update_profile(&self, u: &Outgoing<Form>) -> Result<Result<(), String>, MoveError> {
        let mut body = json!({"localId": u.id, "disableUser": u.disabled});
        if let Some(email) = &u.email {
            body["email"] = json!(email);
        }
        // Only what the legacy side says: a verification Firebase recorded since stays.
        if let Some(verified) = u.verified {
            body["emailVerified"] = json!(verified);
        }
        let url = format!("{}/accounts:update", self.base);
        let token = self.bearer().await?;
        let body = bytes::Bytes::from(body.to_string());
        let (status, answer) = self
            .http
            .raw("an update", |c| {
                c.post(&url)
                    .bearer_auth(&token)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        match status {
            200..=299 => Ok(Ok(())),
            400 | 404 => Ok(Err(code_of(
                answer["error"]["message"].as_str().unwrap_or_default(),
            ))),
            _ => Err(self.http.refused("an update", status, &answer)),
        }
    }
}
