//! Exactly one guard per project on the team backend: the process that runs a project's
//! pollers and guards holds a session-level advisory lock on a connection of its own, and
//! every other process stands by. The lock lives as long as that connection: when the leader's
//! process or machine dies, the server ends its session and the lock is free for the next
//! process that asks. Not yet wired into the owner (see [`super::pg`]). Like the log, it uses
//! the synchronous client: call it from a thread of its own, never from a tokio task.

use super::pg::PgError;

/// The project's leadership, held. Dropping it (or losing the connection) gives it up.
pub struct Leadership {
    client: postgres::Client,
}

fn key(project: &str) -> String {
    format!("cutover leader {project}")
}

impl Leadership {
    /// Take the leadership of `project` if no live process holds it: `Ok(None)` while another
    /// does. Never waits.
    pub fn try_take(url: &str, project: &str) -> Result<Option<Leadership>, PgError> {
        let mut client = postgres::Client::connect(url, postgres::NoTls)
            .map_err(|e| PgError::Unreachable(e.to_string()))?;
        let taken: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock(hashtextextended($1, 11))",
                &[&key(project)],
            )
            .map_err(|e| PgError::Refused(e.to_string()))?
            .get(0);
        Ok(taken.then_some(Leadership { client }))
    }

    /// Whether the leadership is still held: its connection answers. A leader that finds it
    /// lost (the database restarted, the network cut) must stop guarding at once and try to
    /// take it again: another process may be guarding by now.
    pub fn still_held(&mut self) -> bool {
        self.client
            .query_one("SELECT 1", &[])
            .map(|_| true)
            .unwrap_or(false)
    }
}
