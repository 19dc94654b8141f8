//! Auth0 as a move's target, over its Management API v2 with a bearer token: bulk import jobs
//! (`POST /api/v2/jobs/users-imports`, a JSON file of users as multipart form data), polled at
//! `GET /api/v2/jobs/{id}` with their per-user errors at `GET /api/v2/jobs/{id}/errors`;
//! `GET /api/v2/users/{id}` to ask who is there; `DELETE /api/v2/users/{id}` to undo.
//!
//! Limits, from Auth0's "Bulk User Imports": a job's file is at most 500 KB, and at most two
//! jobs run at once (a third is answered 429), so a batch goes out as files of at most 500 KB,
//! two jobs at a time. A job is asynchronous: it is polled until it is `completed` or `failed`,
//! and then its users are looked up, because only the target knows who arrived. A user there is
//! created (this move sent only users absent a moment before, so one there now is its own, even
//! from a job whose answer was lost); one absent fails with the code the job's errors give it
//! (`DUPLICATED_USER` and the like, never the message, which quotes the email). Users a job that
//! failed as a whole left absent without an error of their own are sent again in a new job, as
//! a 5xx would be; a job that expired before it was read is settled by the lookup alike.
//!
//! Each user is imported under `user_id` = the legacy id (Auth0 prefixes it: `auth0|ID`), with
//! the legacy id in `app_metadata.legacy_id` too, so it can be found and deleted exactly.
//! Lookups and deletes are one user a request, four at a time, within the Management API's
//! rate limits (a 429 waits for its `Retry-After`).

use super::http::Http;
use super::jobs::{Body, Ended, Jobs, pack, settle};
use super::prepare::Outgoing;
use super::problems::{MoveError, code_of};
use super::target::{Form, Who};
use futures_util::future::join_all;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

mod list;
mod reset;
mod update;

const NAME: &str = "Auth0";
/// The largest job file Auth0 takes.
pub const JOB_BYTES: usize = 500 * 1000;
/// Jobs Auth0 runs at once.
const JOBS: usize = 2;
/// Lookups or deletes in flight at once.
const PARALLEL: usize = 4;
/// The longest wait between two polls of a job.
const POLL_MAX: Duration = Duration::from_secs(5);

pub struct Auth0 {
    http: Http,
    base: String,
    token: String,
    connection_id: String,
}

#[derive(Serialize)]
struct AppMetadata<'a> {
    legacy_id: &'a str,
    /// The segment's tag (`scope = "tag"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    segment: Option<&'a str>,
}

/// One user in the job file's shape.
#[derive(Serialize)]
struct JobUser<'a> {
    user_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    email_verified: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    blocked: bool,
    app_metadata: AppMetadata<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_password_hash: Option<&'a super::auth0_form::Custom>,
}

fn job_user(u: &Outgoing<Form>) -> Result<Vec<u8>, MoveError> {
    let hash = match &u.password {
        None => None,
        Some(Form::Auth0(c)) => Some(&**c),
        Some(_) => {
            return Err(MoveError::Setup(
                "a password converted for another target reached Auth0".into(),
            ));
        }
    };
    serde_json::to_vec(&JobUser {
        user_id: &u.id,
        email: u.email.as_deref(),
        email_verified: u.verified.unwrap_or(false),
        blocked: u.disabled,
        app_metadata: AppMetadata {
            legacy_id: &u.id,
            segment: u.tag.as_deref(),
        },
        custom_password_hash: hash,
    })
    .map_err(|e| MoveError::Setup(format!("cannot encode a job: {e}")))
}

/// The users at `group` as job files (JSON arrays) of at most [`JOB_BYTES`].
pub fn files(users: &[&Outgoing<Form>], group: &[usize]) -> Result<Vec<Body>, MoveError> {
    pack(users, group, JOB_BYTES, (b"[", b"]"), job_user)
}

impl Auth0 {
    pub fn new(url: &str, token: String, connection_id: &str) -> Result<Auth0, MoveError> {
        Ok(Auth0 {
            http: Http::new(NAME)?,
            base: format!("{}/api/v2", url.trim_end_matches('/')),
            token,
            connection_id: connection_id.to_string(),
        })
    }

    /// `/users/auth0|ID`, escaped.
    fn user_url(&self, id: &str) -> String {
        let id = format!("auth0|{id}");
        let escaped =
            percent_encoding::utf8_percent_encode(&id, percent_encoding::NON_ALPHANUMERIC);
        format!("{}/users/{escaped}", self.base)
    }

    async fn holds(&self, id: &str) -> Result<bool, MoveError> {
        let url = self.user_url(id);
        match self
            .http
            .raw("a lookup", |c| c.get(&url).bearer_auth(&self.token))
            .await?
        {
            (200, _) => Ok(true),
            (404, _) => Ok(false),
            (status, body) => Err(self.http.refused("a lookup", status, &body)),
        }
    }

    /// Which of `ids` (legacy ids) the connection holds now.
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

    /// Import `users` (none of them in the connection a moment ago): per user, `Ok` or its
    /// code.
    pub async fn create(
        &self,
        users: &[&Outgoing<Form>],
    ) -> Result<Vec<Result<(), String>>, MoveError> {
        let mut outcomes: Vec<Result<(), String>> = vec![Ok(()); users.len()];
        let all: Vec<usize> = (0..users.len()).collect();
        let files = files(users, &all)?;
        for pair in files.chunks(JOBS) {
            let done = join_all(
                pair.iter()
                    .map(|(members, _)| settle(self, users, members.clone())),
            )
            .await;
            for settled in done {
                for (i, outcome) in settled? {
                    outcomes[i] = outcome;
                }
            }
        }
        Ok(outcomes)
    }

    /// Create a job with `file`, wait for its end: whether it failed as a whole, and each
    /// user's error code by legacy id.
    async fn run_job(&self, file: Vec<u8>) -> Result<(bool, HashMap<String, String>), MoveError> {
        let url = format!("{}/jobs/users-imports", self.base);
        let (status, job) = self
            .http
            .raw("an import job", |c| {
                let part = reqwest::multipart::Part::bytes(file.clone())
                    .file_name("users.json")
                    .mime_str("application/json")
                    .expect("a fixed MIME type parses");
                let form = reqwest::multipart::Form::new()
                    .part("users", part)
                    .text("connection_id", self.connection_id.clone())
                    .text("upsert", "false")
                    .text("send_completion_email", "false");
                c.post(&url).bearer_auth(&self.token).multipart(form)
            })
            .await?;
        if !(200..300).contains(&status) {
            return Err(self.http.refused("an import job", status, &job));
        }
        let Some(id) = job["id"].as_str().map(str::to_string) else {
            return Err(self.http.unreadable("an import job", "no job id".into()));
        };
        let url = format!("{}/jobs/{id}", self.base);
        let mut wait = Duration::from_millis(100);
        let deadline = std::time::Instant::now() + super::jobs::DEADLINE;
        let state = loop {
            if std::time::Instant::now() > deadline {
                // Treated as failed: the lookup settles who arrived.
                return Ok((true, HashMap::new()));
            }
            let (status, job) = self
                .http
                .raw("a job's status", |c| c.get(&url).bearer_auth(&self.token))
                .await?;
            match (status, job["status"].as_str()) {
                // Expired before it was read: the lookup settles it.
                (404, _) => return Ok((true, HashMap::new())),
                (200, Some(s @ ("completed" | "failed"))) => break s.to_string(),
                (200, _) => {}
                (status, _) => return Err(self.http.refused("a job's status", status, &job)),
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(POLL_MAX);
        };
        let errors_url = format!("{url}/errors");
        let (status, errors) = self
            .http
            .raw("a job's errors", |c| {
                c.get(&errors_url).bearer_auth(&self.token)
            })
            .await?;
        let mut codes = HashMap::new();
        if status == 200 {
            for e in errors.as_array().into_iter().flatten() {
                let Some(id) = e["user"]["user_id"].as_str() else {
                    continue;
                };
                let code = e["errors"][0]["code"]
                    .as_str()
                    .map_or_else(|| "UNKNOWN".into(), code_of);
                codes.insert(id.trim_start_matches("auth0|").to_string(), code);
            }
        }
        Ok((state == "failed", codes))
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

    async fn remove(&self, id: &str) -> Result<(), MoveError> {
        let url = self.user_url(id);
        match self
            .http
            .raw("a delete", |c| c.delete(&url).bearer_auth(&self.token))
            .await?
        {
            (200..=299 | 404, _) => Ok(()),
            (status, body) => Err(self.http.refused("a delete", status, &body)),
        }
    }
}

impl Jobs for Auth0 {
    fn body(&self, users: &[&Outgoing<Form>], group: &[usize]) -> Result<Vec<u8>, MoveError> {
        Ok(files(users, group)?
            .into_iter()
            .next()
            .map(|(_, f)| f)
            .unwrap_or_default())
    }

    async fn run(
        &self,
        body: Vec<u8>,
        users: &[&Outgoing<Form>],
        group: &[usize],
    ) -> Result<Ended, MoveError> {
        let (failed, by_id) = self.run_job(body).await?;
        let refused = group
            .iter()
            .enumerate()
            .filter_map(|(k, &i)| by_id.get(&users[i].id).map(|c| (k, c.clone())))
            .collect();
        Ok(Ended { failed, refused })
    }

    async fn holds(&self, who: &[Who<'_>]) -> Result<HashSet<String>, MoveError> {
        let ids: Vec<&str> = who.iter().map(|w| w.id).collect();
        self.present(&ids).await
    }

    fn gave_up(&self) -> MoveError {
        self.http
            .unreachable("an import job", "the job failed every time".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_goes_out_as_files_under_500_kb() {
        let users: Vec<Outgoing<Form>> = (0..5000)
            .map(|i| Outgoing {
                line: i,
                id: format!("L{i:06}"),
                email: Some(format!("user{i}@example.org")),
                username: None,
                verified: Some(true),
                disabled: false,
                password: None,
                tag: Some(std::sync::Arc::from("eu")),
            })
            .collect();
        let refs: Vec<&Outgoing<Form>> = users.iter().collect();
        let all: Vec<usize> = (0..refs.len()).collect();
        let files = files(&refs, &all).expect("files");
        assert!(files.len() > 1);
        assert_eq!(files.iter().map(|(m, _)| m.len()).sum::<usize>(), 5000);
        for (members, file) in &files {
            assert!(file.len() <= JOB_BYTES);
            let parsed: Vec<serde_json::Value> =
                serde_json::from_slice(file).expect("a JSON array");
            assert_eq!(parsed.len(), members.len());
        }
    }
}
