//! Commands that cutover runs (hooks, command sources) get a process group of their own, so
//! that ending one ends everything it started: a child it put in the background, or one that
//! ignores SIGTERM, does not outlive a timeout or the owner stopping.

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::time::Duration;

/// The process group of a spawned command (spawn it with `process_group(0)`). Dropped while
/// armed (the task running the command was cancelled), it kills the whole group.
pub struct Group {
    pgid: Option<Pid>,
    armed: bool,
}

impl Group {
    pub fn of(child: &tokio::process::Child) -> Group {
        Group {
            pgid: child
                .id()
                .and_then(|id| i32::try_from(id).ok())
                .map(Pid::from_raw),
            armed: true,
        }
    }

    /// The command ended by itself: leave whatever it left running alone (a hook's business).
    pub fn disarm(&mut self) {
        self.armed = false;
    }

    /// End the group: SIGTERM, two seconds for the command to go, then SIGKILL for whatever
    /// is left.
    pub async fn end(&mut self, child: &mut tokio::process::Child) {
        match self.pgid {
            Some(pgid) => {
                let _ = killpg(pgid, Signal::SIGTERM);
                let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
                let _ = killpg(pgid, Signal::SIGKILL);
            }
            None => {
                let _ = child.start_kill();
            }
        }
        let _ = child.wait().await;
        self.armed = false;
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if self.armed
            && let Some(pgid) = self.pgid
        {
            let _ = killpg(pgid, Signal::SIGKILL);
        }
    }
}
