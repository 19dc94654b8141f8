//! Commands that cutover runs (hooks, command sources) get a process group of their own, so
//! that ending one ends everything it started: a child it put in the background, or one that
//! ignores SIGTERM, does not outlive a timeout or the owner stopping.

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::time::Duration;

/// A command as cutover runs one (hooks, command sources, test checks): `argv` without a
/// shell, in `workdir` (a relative program path with a folder in it is from there), stdin
/// closed, stdout and stderr piped, killed when dropped, in a process group of its own.
/// Returns the command and the program as resolved (for messages); `None` for an empty argv.
pub fn command(
    argv: &[String],
    workdir: &std::path::Path,
) -> Option<(tokio::process::Command, std::path::PathBuf)> {
    let (program, args) = argv.split_first()?;
    let mut program = std::path::PathBuf::from(program);
    program = resolve(&program, workdir);
    let mut cmd = tokio::process::Command::new(&program);
    cmd.args(args)
        .current_dir(workdir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    Some((cmd, program))
}

/// Where a program named in a project runs from: a relative path with a folder in it is from
/// `workdir` (`./route.sh` in `/proj` is `/proj/route.sh`, and in `.` stays `./route.sh`, not
/// `././route.sh`); a bare name is looked up on `PATH` when it runs.
pub fn resolve(program: &std::path::Path, workdir: &std::path::Path) -> std::path::PathBuf {
    if program.is_relative() && program.components().count() > 1 {
        let rest = program.strip_prefix(".").unwrap_or(program);
        workdir.join(rest)
    } else {
        program.to_path_buf()
    }
}

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
