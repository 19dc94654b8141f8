//! A private tmux server for end-to-end tests of the real binary in real terminals: one
//! session per cockpit, keys sent with `send-keys`, screens read with `capture-pane`.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// A tmux server of its own (`-L name`), killed on drop.
    pub fn server(name: &str) -> Tmux {
        Tmux {
            socket: format!("{name}-{}", std::process::id()),
        }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-L").arg(&self.socket);
        c
    }

    /// Open a 160×48 session running the cockpit on `project` with `args`; when the cockpit
    /// exits, the pane shows `COCKPIT-EXITED <code>`.
    pub fn cockpit(&self, session: &str, project: &Path, args: &str) {
        self.cockpit_with(session, project, "", args);
    }

    /// [`Tmux::cockpit`] with environment assignments (`NAME='value' ...`) before it.
    pub fn cockpit_with(&self, session: &str, project: &Path, env: &str, args: &str) {
        let shell = format!(
            "{env} TERM=xterm-256color '{}' --project '{}' {args}; echo COCKPIT-EXITED $?; sleep 60",
            env!("CARGO_BIN_EXE_cutover"),
            project.display()
        );
        let status = self
            .cmd()
            .args([
                "new-session",
                "-d",
                "-s",
                session,
                "-x",
                "160",
                "-y",
                "48",
                &shell,
            ])
            .status()
            .expect("tmux must be installed to run this test (bash .ci/test installs it)");
        assert!(status.success(), "tmux new-session failed");
    }

    pub fn screen(&self, session: &str) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", session])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, session: &str, keys: &[&str]) {
        let status = self
            .cmd()
            .args(["send-keys", "-t", session])
            .args(keys)
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    pub fn text(&self, session: &str, text: &str) {
        let status = self
            .cmd()
            .args(["send-keys", "-t", session, "-l", text])
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    /// Wait until the screen satisfies `pred` (bounded: fails after `secs` with the screen).
    pub fn wait_secs(
        &self,
        session: &str,
        secs: u64,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen(session);
            if pred(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(secs),
                "timed out waiting for {what}; screen of {session}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Press `q` on the overview, and answer `y` when the cockpit asks first (it guards
    /// segments in cutover that quitting would leave unguarded). Returns the question's screen,
    /// if it asked.
    pub fn quit(&self, session: &str) -> Option<String> {
        self.keys(session, &["q"]);
        let screen = self.wait_for(session, "the cockpit to exit or ask", |s| {
            s.contains("COCKPIT-EXITED") || s.contains("Quit and leave segments unguarded?")
        });
        if screen.contains("COCKPIT-EXITED") {
            return None;
        }
        self.keys(session, &["y"]);
        Some(screen)
    }

    pub fn wait_for(&self, session: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait_secs(session, 15, what, pred)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

/// The overview row of a segment.
pub fn row<'a>(screen: &'a str, id: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(&format!("│{id} ")))
        .unwrap_or_default()
}
