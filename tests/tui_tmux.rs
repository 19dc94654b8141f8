//! End to end: the real binary in a real terminal (tmux). Open the cockpit on a project, move
//! to a segment in cutover, press `r`, type a reason, confirm, and see the segment rolled back
//! on screen and in `cutover log --json`. Needs tmux (`.ci/run` installs it).

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-L").arg(&self.socket);
        c
    }

    fn start(socket: &str, project: &Path) -> Tmux {
        let t = Tmux {
            socket: socket.to_string(),
        };
        let shell = format!(
            "USER=e2e TERM=xterm-256color '{}' --project '{}'; echo COCKPIT-EXITED $?; sleep 60",
            env!("CARGO_BIN_EXE_cutover"),
            project.display()
        );
        let status = t
            .cmd()
            .args([
                "new-session",
                "-d",
                "-s",
                "e2e",
                "-x",
                "160",
                "-y",
                "48",
                &shell,
            ])
            .status()
            .expect(
                "tmux must be installed to run this test (apt-get install tmux; .ci/run does it)",
            );
        assert!(status.success(), "tmux new-session failed");
        t
    }

    fn screen(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", "e2e"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let status = self
            .cmd()
            .args(["send-keys", "-t", "e2e"])
            .args(keys)
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    fn text(&self, text: &str) {
        let status = self
            .cmd()
            .args(["send-keys", "-t", "e2e", "-l", text])
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    /// Wait until the screen satisfies `pred` (bounded: fails after 15 s with the screen).
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

fn row<'a>(screen: &'a str, id: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(&format!("│{id} ")))
        .unwrap_or_default()
}

#[test]
fn roll_back_a_segment_in_cutover_from_the_cockpit() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(cutover::sample::build(dir.path()).expect("sample project"));
    let socket = format!("cutover-e2e-{}", std::process::id());
    let tmux = Tmux::start(&socket, dir.path());

    let screen = tmux.wait_for("the overview", |s| s.contains("Segments (6)"));
    assert!(
        row(&screen, "eu-customers").contains("● cutover"),
        "{screen}"
    );

    tmux.keys(&["j"]);
    tmux.keys(&["r"]);
    let screen = tmux.wait_for("the rollback dialog", |s| {
        s.contains("Roll back eu-customers?")
    });
    assert!(
        screen.contains("fires the rollback hook: run true"),
        "{screen}"
    );
    tmux.text("login errors at 3 %");
    tmux.wait_for("the typed reason", |s| {
        s.contains("Reason: login errors at 3 %")
    });
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the rollback on screen", |s| {
        row(s, "eu-customers").contains("● rolled-back")
    });
    assert!(
        screen.contains("eu-customers: rollback hook succeeded"),
        "{screen}"
    );

    tmux.keys(&["q"]);
    tmux.wait_for("the cockpit to exit", |s| s.contains("COCKPIT-EXITED 0"));
    drop(tmux);

    let log = common::json(common::cutover(dir.path()).args([
        "log",
        "--json",
        "--segment",
        "eu-customers",
    ]));
    let events = log.as_array().expect("array");
    let n = events.len();
    let (requested, outcome) = (&events[n - 2], &events[n - 1]);
    assert_eq!(requested["kind"], "rollback");
    assert_eq!(requested["outcome"], "requested");
    assert_eq!(requested["actor"], cutover::os::actor(None), "the OS user");
    assert_eq!(requested["reason"], "login errors at 3 %");
    assert_eq!(outcome["outcome"], "succeeded");
    assert_eq!(outcome["to"], "rolled-back");
    assert_eq!(outcome["key"], requested["seq"]);
    let status = common::json(common::cutover(dir.path()).args(["status", "--json"]));
    let eu = status["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .find(|s| s["id"] == "eu-customers")
        .expect("eu");
    assert_eq!(eu["phase"], "rolled-back");
}

#[test]
fn the_cockpit_refuses_to_start_without_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(cutover::sample::build(dir.path()).expect("sample project"));
    let stderr = common::fails(common::cutover(dir.path()).arg("tui"));
    assert!(
        stderr.contains("needs a terminal") && stderr.contains("cutover status"),
        "{stderr}"
    );
}
