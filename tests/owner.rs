//! The owner loop's promises (issue 9), in-process and with the real binary:
//! * the cockpit's `a` on a segment in gate polls its sources first, like `cutover advance`;
//! * a 30 s rollback hook delays neither polling nor the other segments' guards, and a
//!   `SIGTERM` to `watch` ends it at once, leaving the hook pending with its retry path.

mod common;

use common::{cutover, json, write_project, write_script};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use cutover::owner::link::{Link, LinkConfig};
use cutover::owner::protocol::{Reply, Request, Role};
use cutover::owner::{Owner, OwnerOptions, StopMode};
use futures_util::StreamExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GATED: &str = r#"[project]
name = "Gate"
[[segments]]
id = "eu"
strategy = "slow"
size = 1000
login_probability = 0.1
goal = 0.9
[segments.sources.failure_rate]
kind = "command"
command = ["echo", "0.01"]
[[segments.gates]]
metric = "failure_rate"
max = 0.02
"#;

#[test]
fn the_cockpits_advance_from_gate_polls_the_sources_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, GATED);
    cutover(p).args(["advance", "eu"]).assert().success();
    cutover(p).args(["advance", "eu"]).assert().success();
    // In gate, and no sample was ever taken: only a fresh poll can pass the gate.
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "gate");
    assert_eq!(status["segments"][0]["gates_ok"], false);

    let rt = cutover::runtime::multi_thread().expect("runtime");
    let (project, _) = cutover::config::load(p).expect("project");
    let store = cutover::store::Store::open(&p.join(".cutover")).expect("store");
    let engine = cutover::engine::Engine::new(project, p.to_path_buf(), store).expect("engine");
    rt.block_on(async {
        // No background polling: whatever sample exists, the advance itself took it.
        let mut options = OwnerOptions::new(Role::Cockpit);
        options.poll = false;
        let owner = Owner::start(engine, options).expect("owner");
        let mut link = Link::owned(
            LinkConfig::new(p.to_path_buf(), p.join(".cutover"), Role::Cockpit),
            owner,
        )
        .await;
        let Ok(Reply::Snapshot { snapshot }) = link
            .session
            .call(Request::Subscribe { polls: false }, |_| {})
            .await
        else {
            panic!("no snapshot");
        };
        let mut model = cutover::tui::app::Model::new(
            *snapshot,
            vec![cutover::tui::theme::Theme::default_theme()],
            chrono::Utc::now(),
            (120, 30),
        );
        let keys = [KeyCode::Char('a'), KeyCode::Enter];
        let events = futures_util::stream::iter(keys.map(|k| {
            Ok::<Event, std::io::Error>(Event::Key(KeyEvent::new(k, KeyModifiers::NONE)))
        }))
        .chain(futures_util::stream::pending());
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 30)).expect("term");
        let drive = cutover::tui::drive(
            &mut terminal,
            Box::pin(events),
            &mut link,
            &mut model,
            |_| {},
        );
        let _ = tokio::time::timeout(Duration::from_secs(3), drive).await;
        link.close(StopMode::Drain).await.expect("close");
    });
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "cutover", "{status}");
    let log = json(cutover(p).args(["log", "--json"]));
    // The cockpit's own guarding records aside, the third event is the cutover.
    let actions: Vec<_> = log
        .as_array()
        .expect("array")
        .iter()
        .filter(|e| e["kind"] != "guarding")
        .collect();
    let last = actions[2];
    assert_eq!(last["to"], "cutover");
    assert_eq!(last["outcome"], "ok");
}

/// A project whose eu rollback hook is `./slow.sh`, beside the guarded us.
fn slow_hook() -> String {
    format!(
        r#"[project]
name = "Slow hook"
[[segments]]
id = "eu"
strategy = "slow"
size = 1000
login_probability = 0.1
goal = 0.99
[segments.sources.migrated]
kind = "command"
command = ["./count.sh"]
every = "100ms"
[segments.hooks.rollback]
command = ["./slow.sh"]
timeout = "60s"
{}"#,
        common::GUARDED_US
    )
}

/// A project whose eu rollback hook sleeps 30 s (its command line carries `marker`), eu
/// counting migrated users every 100 ms, us guarded by `rate.txt` (0.01: passing).
fn slow_project(marker: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, &slow_hook());
    write_script(p, "slow.sh", &format!("exec sleep 30 # {marker}"));
    write_script(p, "count.sh", "date +%s%N | cut -c12-13");
    std::fs::write(p.join("rate.txt"), "0.01\n").expect("rate");
    dir
}

#[test]
fn a_slow_hook_delays_neither_polling_nor_guards_nor_sigterm() {
    let marker = format!("slow-{}", std::process::id());
    let dir = slow_project(&marker);
    let p = dir.path();
    for seg in ["eu", "us"] {
        for _ in 0..3 {
            cutover(p).args(["advance", seg]).assert().success();
        }
    }
    let mut watch = common::bin(p)
        .arg("watch")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("watch");
    let serving = common::owner_pid(p, Duration::from_secs(10));
    if serving != Some(u64::from(watch.id())) {
        let _ = watch.kill();
        panic!("the watch does not own the project: {serving:?}");
    }
    // The rollback of eu starts its 30 s hook through the watch (the command waits for it).
    let rollback = common::bin(p)
        .args(["rollback", "eu", "--reason", "slow hook"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("rollback");
    // Whatever fails below, no process of this test outlives it.
    struct Reap(u32);
    impl Drop for Reap {
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .args(["-KILL", &self.0.to_string()])
                .status();
        }
    }
    let _reap = Reap(watch.id());
    let start = Instant::now();
    let pending = loop {
        let status = json(cutover(p).args(["status", "--json"]));
        if status["segments"][0]["pending_hook"] == "rollback" {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{status}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let first = pending["segments"][0]["migrated_at"].clone();
    // Polling goes on while the hook runs...
    std::thread::sleep(Duration::from_millis(600));
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["pending_hook"], "rollback");
    assert_ne!(
        status["segments"][0]["migrated_at"], first,
        "samples kept coming"
    );
    // ...and so does the other segment's guard.
    std::fs::write(p.join("rate.txt"), "0.09\n").expect("rate");
    let start = Instant::now();
    loop {
        let log = json(cutover(p).args(["log", "--json", "--segment", "us"]));
        let rolled = log
            .as_array()
            .expect("array")
            .iter()
            .any(|e| e["kind"] == "rollback" && e["outcome"] == "ok" && e["actor"] == "auto");
        if rolled {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{log}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SIGTERM ends the watch at once, the hook with it, and the intent stays pending.
    let term = Instant::now();
    Command::new("kill")
        .args(["-TERM", &watch.id().to_string()])
        .status()
        .expect("kill");
    assert!(watch.wait().expect("wait").success(), "watch exits 0");
    let stopped = term.elapsed();
    assert!(stopped < Duration::from_secs(3), "SIGTERM took {stopped:?}");
    let out = rollback.wait_with_output().expect("rollback");
    assert_eq!(out.status.code(), Some(1), "the waiting command is told");
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(
        status["segments"][0]["pending_hook"], "rollback",
        "{status}"
    );
    assert_eq!(status["segments"][0]["phase"], "cutover");
    let still = Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .expect("pgrep");
    let _ = Command::new("pkill").args(["-f", &marker]).status();
    assert!(
        still.stdout.is_empty(),
        "the hook's process was ended with its owner"
    );
}

#[test]
fn a_watch_attaching_to_a_command_that_owns_starts_the_guards_at_once() {
    let marker = format!("slow-{}-b", std::process::id());
    let dir = slow_project(&marker);
    let p = dir.path();
    for _ in 0..3 {
        cutover(p).args(["advance", "eu"]).assert().success();
    }
    // The rollback command owns the project for the 30 s of its hook.
    let rollback = common::bin(p)
        .args(["rollback", "eu", "--reason", "slow hook"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("rollback");
    let owner = common::owner_pid(p, Duration::from_secs(10));
    let watch = common::bin(p)
        .arg("watch")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("watch");
    let rollback_pid = rollback.id();
    struct Reap(Vec<std::process::Child>, String);
    impl Drop for Reap {
        fn drop(&mut self) {
            for child in &mut self.0 {
                let _ = child.kill();
                let _ = child.wait();
            }
            let _ = Command::new("pkill").args(["-f", &self.1]).status();
        }
    }
    let _reap = Reap(vec![rollback, watch], marker);
    assert_eq!(
        owner,
        Some(u64::from(rollback_pid)),
        "the command owns while its hook runs"
    );
    // With the watch attached, the command's owner polls and guards.
    let start = Instant::now();
    loop {
        let status = json(cutover(p).args(["status", "--json"]));
        if !status["segments"][0]["migrated_at"].is_null() {
            assert_eq!(status["segments"][0]["pending_hook"], "rollback");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "{status}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
