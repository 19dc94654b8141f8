//! One owner, many clients, end to end (issue 9): the real binary against the simulator, in
//! real terminals (tmux).
//!
//! * `watch` owns the project; two cockpits attach to it; `status --json`, `advance` and
//!   `rollback` run at the same time through it. `r` pressed in cockpit 1 shows in cockpit 2
//!   and in `log --json` with the OS user as actor; after both cockpits quit, `watch` still
//!   auto-rolls back a segment whose gate fails.
//! * The owning cockpit is killed with SIGKILL while two others are attached and its rollback
//!   hook runs: one of them takes over within 2 s, the hook shows as pending with its retry
//!   key, and the new owner's guard acts.

mod common;

use common::tmux::{Tmux, row};
use common::{cutover, json, write_project, write_script};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `cutover simulate` on a free port; killed on drop.
struct Sim(Child, String);

impl Sim {
    fn start(segments: &[&str]) -> Sim {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutover"));
        cmd.args(["simulate", "--listen", "127.0.0.1:0", "--speed", "30"]);
        for s in segments {
            cmd.args(["--segment", &format!("{s}:100000:0.2")]);
        }
        let mut child = cmd.stdout(Stdio::piped()).spawn().expect("simulate");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("listening line");
        let url = line.trim().trim_start_matches("listening on ").to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{line}");
        Sim(child, url)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A segment reading its migrated count from the simulator and its failure rate from
/// `rate-<id>.txt`, guarded by `max = 0.02` with auto-rollback after two failures.
fn segment(id: &str, url: &str, hook: &str) -> String {
    format!(
        r#"
[[segments]]
id = "{id}"
strategy = "slow"
size = 100000
login_probability = 0.2
goal = 0.99
auto_rollback = true
failures_before_rollback = 2
[segments.sources.migrated]
kind = "fusionauth"
url = "{url}"
query = "data.migrated:true AND data.segment:{id}"
every = "200ms"
[segments.sources.failure_rate]
kind = "command"
command = ["cat", "rate-{id}.txt"]
every = "200ms"
[[segments.gates]]
metric = "failure_rate"
max = 0.02
[segments.hooks.rollback]
command = ["./{hook}", "{id}"]
"#
    )
}

fn log_of(dir: &Path) -> Vec<Value> {
    json(cutover(dir).args(["log", "--json"]))
        .as_array()
        .expect("array")
        .clone()
}

fn wait_log(dir: &Path, what: &str, secs: u64, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let log = log_of(dir);
        if pred(&log) {
            return log;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}: {log:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn rolled_back_by(log: &[Value], seg: &str, actor: &str) -> bool {
    log.iter().any(|e| {
        e["segment"] == seg
            && e["kind"] == "rollback"
            && e["outcome"] == "succeeded"
            && e["actor"] == actor
    })
}

#[test]
fn watch_two_cockpits_and_commands_work_through_one_owner() {
    let sim = Sim::start(&["eu", "us", "ap"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let mut toml = String::from("[project]\nname = \"Attach\"\n");
    for id in ["eu", "us", "ap"] {
        toml += &segment(id, &sim.1, "back.sh");
        std::fs::write(p.join(format!("rate-{id}.txt")), "0.01\n").expect("rate");
    }
    write_project(p, &toml);
    write_script(p, "back.sh", "echo routed $1 back");

    let mut watch = common::bin(p)
        .arg("watch")
        .stderr(Stdio::null())
        .spawn()
        .expect("watch");
    let mark = format!("⇄ pid {} (watch)", watch.id());
    let tmux = Tmux::server("cutover-attach");
    for c in ["c1", "c2"] {
        tmux.cockpit(c, p, "");
        tmux.wait_for(c, "the cockpit attached to watch", |s| s.contains(&mark));
    }

    // Commands at the same time, all through the watch.
    let threads: Vec<_> = [
        vec![vec!["advance", "eu"]; 3],
        vec![vec!["advance", "us"]; 3],
        vec![
            vec!["advance", "ap"],
            vec!["advance", "ap"],
            vec!["advance", "ap"],
            vec!["rollback", "ap", "--reason", "from a script"],
        ],
        vec![vec!["status", "--json"]; 6],
    ]
    .into_iter()
    .map(|steps| {
        let p = p.to_path_buf();
        std::thread::spawn(move || {
            for args in steps {
                let out = cutover(&p).args(&args).output().expect("run");
                assert!(
                    out.status.success(),
                    "{args:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                if args[0] == "status" {
                    let v: Value = serde_json::from_slice(&out.stdout).expect("status JSON");
                    assert_eq!(v["segments"].as_array().map(Vec::len), Some(3));
                }
            }
        })
    })
    .collect();
    for t in threads {
        t.join().expect("a command failed");
    }
    let screen = tmux.wait_for("c2", "eu and us in cutover, ap rolled back", |s| {
        row(s, "eu").contains("● cutover")
            && row(s, "us").contains("● cutover")
            && row(s, "ap").contains("● rolled-back")
    });
    assert!(screen.contains(&mark), "{screen}");

    // `r` in cockpit 1 on eu (the first row) shows in cockpit 2 and in the log.
    tmux.keys("c1", &["r"]);
    tmux.wait_for("c1", "the rollback dialog", |s| s.contains("Roll back eu?"));
    tmux.text("c1", "seen from cockpit one");
    tmux.keys("c1", &["Enter"]);
    let started = Instant::now();
    tmux.wait_for("c2", "eu rolled back in cockpit 2", |s| {
        row(s, "eu").contains("● rolled-back")
    });
    eprintln!(
        "cockpit 1 → cockpit 2 through the owner: {:?}",
        started.elapsed()
    );
    let log = log_of(p);
    let requested = log
        .iter()
        .find(|e| e["segment"] == "eu" && e["kind"] == "rollback" && e["outcome"] == "requested")
        .expect("eu rollback requested");
    assert_eq!(requested["actor"], cutover::os::actor(None), "the OS user");
    assert_eq!(requested["reason"], "seen from cockpit one");
    assert!(rolled_back_by(&log, "eu", &cutover::os::actor(None)));
    let ap = log
        .iter()
        .find(|e| e["segment"] == "ap" && e["reason"] == "from a script")
        .expect("ap rollback");
    assert_eq!(ap["actor"], cutover::os::actor(None));

    // Both cockpits quit; the watch keeps guarding: a failing gate rolls us back.
    for c in ["c1", "c2"] {
        tmux.quit(c);
        tmux.wait_for(c, "the cockpit to exit", |s| s.contains("COCKPIT-EXITED 0"));
    }
    std::fs::write(p.join("rate-us.txt"), "0.09\n").expect("rate");
    wait_log(p, "the watch's auto-rollback of us", 30, |log| {
        rolled_back_by(log, "us", "auto")
    });
    Command::new("kill")
        .args(["-TERM", &watch.id().to_string()])
        .status()
        .expect("kill");
    assert!(
        watch.wait().expect("wait").success(),
        "watch exits 0 on SIGTERM"
    );
}

#[test]
fn ownership_passes_when_the_owning_cockpit_is_killed() {
    let sim = Sim::start(&["eu", "us"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let hook = format!("slow-{}.sh", std::process::id());
    let mut toml = String::from("[project]\nname = \"Takeover\"\n");
    for id in ["eu", "us"] {
        toml += &segment(id, &sim.1, &hook);
        std::fs::write(p.join(format!("rate-{id}.txt")), "0.01\n").expect("rate");
    }
    write_project(p, &toml);
    // eu's rollback hook hangs; us's returns at once.
    write_script(
        p,
        &hook,
        "[ \"$1\" = eu ] && exec sleep 30; echo routed $1 back",
    );
    for id in ["eu", "us"] {
        for _ in 0..3 {
            cutover(p).args(["advance", id]).assert().success();
        }
    }

    let tmux = Tmux::server("cutover-takeover");
    tmux.cockpit("c1", p, "");
    tmux.wait_for("c1", "the owning cockpit", |s| {
        row(s, "eu").contains("● cutover") && !s.contains('⇄')
    });
    let mut owner_pid = String::new();
    for c in ["c2", "c3"] {
        tmux.cockpit(c, p, "");
        let screen = tmux.wait_for(c, "an attached cockpit", |s| s.contains("(cockpit) ·"));
        let pid = screen
            .split("⇄ pid ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .expect("pid in the header")
            .to_string();
        owner_pid = pid;
    }
    // Start the hanging rollback from the owner, then kill the owner.
    tmux.keys("c1", &["r"]);
    tmux.wait_for("c1", "the rollback dialog", |s| s.contains("Roll back eu?"));
    tmux.text("c1", "hang");
    tmux.keys("c1", &["Enter"]);
    tmux.wait_for("c2", "the hook running, seen from c2", |s| {
        row(s, "eu").contains("rollback…")
    });
    let killed = Instant::now();
    Command::new("kill")
        .args(["-KILL", &owner_pid])
        .status()
        .expect("kill");
    // One survivor owns (no ⇄ mark), the other is attached to it.
    let mut owners = Vec::new();
    let deadline = Duration::from_secs(2);
    loop {
        let screens: Vec<String> = ["c2", "c3"].iter().map(|c| tmux.screen(c)).collect();
        let new_owner = screens
            .iter()
            .position(|s| s.contains("runs the pollers and guards") && !s.contains('⇄'));
        if let Some(i) = new_owner {
            let other = &screens[1 - i];
            if other.contains("⇄ pid") && !other.contains(&format!("pid {owner_pid} ")) {
                owners.push(i);
                break;
            }
        }
        assert!(
            killed.elapsed() < deadline,
            "no takeover within {deadline:?}:\n{}\n{}",
            screens[0],
            screens[1]
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "takeover after SIGKILL of the owner: {:?}",
        killed.elapsed()
    );
    let survivor = ["c2", "c3"][owners[0]];
    let screen = tmux.wait_for(survivor, "the interrupted hook as pending", |s| {
        row(s, "eu").contains("rollback pending")
    });
    assert!(row(&screen, "us").contains("● cutover"), "{screen}");
    // The retry path is one key away.
    tmux.keys(survivor, &["R"]);
    tmux.wait_for(survivor, "the retry dialog", |s| {
        s.contains("Retry the rollback of eu?")
    });
    tmux.keys(survivor, &["Escape"]);
    // The new owner runs the guards.
    std::fs::write(p.join("rate-us.txt"), "0.09\n").expect("rate");
    wait_log(p, "the new owner's auto-rollback of us", 30, |log| {
        rolled_back_by(log, "us", "auto")
    });
    let _ = Command::new("pkill").args(["-f", &hook]).status();
}
