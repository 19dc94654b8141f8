//! Exactly one guard per project on the team backend: the process that runs a project's
//! pollers and guards holds a session-level advisory lock on a connection of its own, and
//! every other process stands by. The lock lives as long as that connection: when the leader's
//! process or machine dies, the server ends its session and the lock is free for the next
//! process that asks. The owner asks for it in `crate::owner::team`. Like the log, it uses the
//! synchronous client: call it from a thread of its own, never from a tokio task.

use super::pg::PgError;

/// The project's leadership, held. Dropping it (or losing the connection) gives it up.
pub struct Leadership {
    client: postgres::Client,
}

/// The server-side keepalives of the leader's session (seconds, count).
const KEEPALIVES: &str =
    "SET tcp_keepalives_idle = 3; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 3";

/// How the guard's session names itself: `cutover guard pid <pid> on <host>`.
pub const GUARD_PREFIX: &str = "cutover guard pid ";

/// This machine's name, as the kernel has it (letters, digits, `-` and `.` only).
fn host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let clean: String = name
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        .take(30)
        .collect();
    if clean.is_empty() {
        "unknown host".into()
    } else {
        clean
    }
}

fn key(project: &str) -> String {
    format!("cutover leader {project}")
}

impl Leadership {
    /// Take the leadership of `project` if no live process holds it: `Ok(None)` while another
    /// does. Never waits.
    pub fn try_take(url: &str, project: &str) -> Result<Option<Leadership>, PgError> {
        let mut client = super::pg::connection(url)?;
        // A leader whose machine vanishes sends no FIN: the server notices through TCP
        // keepalives on this session's socket, after about 3 + 3 × 1 s, and then frees the
        // lock (the default would be two hours).
        client
            .batch_execute(KEEPALIVES)
            .map_err(|e| PgError::Refused(e.to_string()))?;
        let taken: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock(hashtextextended($1, 11))",
                &[&key(project)],
            )
            .map_err(|e| PgError::Refused(e.to_string()))?
            .get(0);
        if !taken {
            return Ok(None);
        }
        // The guard's connection names its process: `status` shows who guards, from the
        // server's own list of sessions (a dead guard's session, and its name, are gone).
        let name = format!("{GUARD_PREFIX}{} on {}", std::process::id(), host());
        client
            .execute("SELECT set_config('application_name', $1, false)", &[&name])
            .map_err(|e| PgError::Refused(e.to_string()))?;
        Ok(Some(Leadership { client }))
    }

    /// A setting of the leader's session, as the server reports it (for checks and tests).
    pub fn setting(&mut self, name: &str) -> Option<String> {
        self.client
            .query_one("SELECT current_setting($1)", &[&name])
            .ok()
            .map(|row| row.get(0))
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
