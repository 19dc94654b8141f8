//! What the targets whose import is an asynchronous job share (Auth0's import jobs, Authgear's
//! import tasks): users packed into request bodies under the target's size limit, and a job
//! settled user by user once it ended. Only the target knows who arrived, so after each job its
//! users are looked up: one there was created (a move sends only users absent a moment before,
//! so one there now is its own, even from a job whose answer was lost); one absent fails with
//! the code the job gave it; users a job that failed as a whole left absent without a code of
//! their own are sent again in a new job, backing off as [`super::http`] does.

use super::http::Backoff;
use super::prepare::Outgoing;
use super::problems::MoveError;
use super::target::{Form, Who};
use std::collections::{HashMap, HashSet};

/// How long a job may stay unfinished before it is treated as failed (its users looked up, the
/// absent ones sent again): Auth0's and Authgear's jobs of at most 500 KB take seconds to
/// minutes.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// One request body: the indexes of the users it holds, and its bytes.
pub type Body = (Vec<usize>, Vec<u8>);

/// The users at `group` as bodies of at most `limit` bytes each: `head`, the users' encodings
/// separated by commas, `tail`.
pub fn pack(
    users: &[&Outgoing<Form>],
    group: &[usize],
    limit: usize,
    (head, tail): (&[u8], &[u8]),
    encode: fn(&Outgoing<Form>) -> Result<Vec<u8>, MoveError>,
) -> Result<Vec<Body>, MoveError> {
    let mut out = Vec::new();
    let (mut members, mut body) = (Vec::new(), head.to_vec());
    for &i in group {
        let user = encode(users[i])?;
        if !members.is_empty() && body.len() + user.len() + 1 + tail.len() > limit {
            body.extend_from_slice(tail);
            out.push((
                std::mem::take(&mut members),
                std::mem::replace(&mut body, head.to_vec()),
            ));
        }
        if !members.is_empty() {
            body.push(b',');
        }
        body.extend_from_slice(&user);
        members.push(i);
    }
    if !members.is_empty() {
        body.extend_from_slice(tail);
        out.push((members, body));
    }
    Ok(out)
}

/// How a job ended: whether it failed as a whole, and the codes of the users it refused, by
/// their place in the job's body.
pub struct Ended {
    pub failed: bool,
    pub refused: HashMap<usize, String>,
}

/// A target that imports by jobs.
pub(super) trait Jobs {
    /// The one body of the users at `group` (they fit: a part of a packed body).
    fn body(&self, users: &[&Outgoing<Form>], group: &[usize]) -> Result<Vec<u8>, MoveError>;

    /// Start a job of `body` (the users at `group`) and wait for its end.
    async fn run(
        &self,
        body: Vec<u8>,
        users: &[&Outgoing<Form>],
        group: &[usize],
    ) -> Result<Ended, MoveError>;

    /// Which of `who` the target holds now.
    async fn holds(&self, who: &[Who<'_>]) -> Result<HashSet<String>, MoveError>;

    /// The error when jobs kept failing as a whole.
    fn gave_up(&self) -> MoveError;
}

/// Jobs of the users at `group` until each is settled: `Ok` (created) or its code.
pub(super) async fn settle<J: Jobs>(
    target: &J,
    users: &[&Outgoing<Form>],
    mut group: Vec<usize>,
) -> Result<Vec<(usize, Result<(), String>)>, MoveError> {
    let mut settled = Vec::with_capacity(group.len());
    let mut backoff = Backoff::default();
    loop {
        let body = target.body(users, &group)?;
        let ended = target.run(body, users, &group).await?;
        let who: Vec<Who> = group.iter().map(|&i| Who::of(users[i])).collect();
        let there = target.holds(&who).await?;
        let mut again = Vec::new();
        for (k, &i) in group.iter().enumerate() {
            if there.contains(&users[i].id) {
                settled.push((i, Ok(())));
            } else if let Some(code) = ended.refused.get(&k) {
                settled.push((i, Err(code.clone())));
            } else if ended.failed {
                again.push(i);
            } else {
                settled.push((i, Err("NOT_IMPORTED".into())));
            }
        }
        if again.is_empty() {
            return Ok(settled);
        }
        let Some(wait) = backoff.wait(None) else {
            return Err(target.gave_up());
        };
        tokio::time::sleep(wait).await;
        group = again;
    }
}
