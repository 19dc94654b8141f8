//! Hooks as process trees (issue 10): a hook is judged by its own exit status, ended with
//! everything it started when it overruns, and its output is bounded.

mod common;

use common::{cutover, fails, json, write_project, write_script};
use std::path::Path;

fn hooked(p: &Path, script: &str, timeout: &str) {
    write_script(p, "hook.sh", script);
    write_project(
        p,
        &format!(
            "[project]\nname = \"Hooks\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 1000\nlogin_probability = 0.1\ngoal = 0.9\n[segments.hooks.rollback]\ncommand = [\"./hook.sh\"]\ntimeout = \"{timeout}\"\n"
        ),
    );
    for _ in 0..3 {
        cutover(p).args(["advance", "eu"]).assert().success();
    }
}

fn running(pattern: &str) -> bool {
    let out = std::process::Command::new("pgrep")
        .args(["-f", pattern])
        .output()
        .expect("pgrep");
    !out.stdout.is_empty()
}

#[test]
fn a_hook_that_backgrounds_a_child_is_judged_by_its_own_exit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let marker = format!("sleep {}1", std::process::id());
    hooked(p, &format!("{marker} & echo routed; exit 0"), "20s");
    let started = std::time::Instant::now();
    cutover(p)
        .args(["rollback", "eu", "--reason", "test"])
        .assert()
        .success()
        .stdout(predicates::str::contains("rollback hook succeeded"));
    let took = started.elapsed();
    let _ = std::process::Command::new("pkill")
        .args(["-f", &marker])
        .status();
    assert!(took < std::time::Duration::from_secs(5), "took {took:?}");
    let log = json(cutover(p).args(["log", "--json"]));
    let last = log
        .as_array()
        .expect("array")
        .last()
        .cloned()
        .expect("event");
    assert_eq!(last["outcome"], "succeeded");
    assert!(
        last["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("routed"),
        "{last}"
    );
}

#[test]
fn a_hook_past_its_timeout_is_ended_with_everything_it_started() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let marker = format!("sleep {}2", std::process::id());
    hooked(p, &format!("trap '' TERM; {marker} & {marker}"), "1s");
    let stderr = fails(cutover(p).args(["rollback", "eu", "--reason", "test"]));
    assert!(
        stderr.contains("ended with everything it started"),
        "{stderr}"
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    let left = running(&marker);
    let _ = std::process::Command::new("pkill")
        .args(["-f", &marker])
        .status();
    assert!(!left, "a process of the hook survived its timeout");
}

/// The peak memory (VmHWM, in KiB) of a running process, read until it exits.
fn peak_kib(child: &mut std::process::Child) -> u64 {
    let mut peak = 0;
    loop {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
        if let Some(kib) = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        if child.try_wait().expect("try_wait").is_some() {
            return peak;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_hook_s_output_is_bounded_in_memory_and_in_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    // 300 MB of output: held whole, it would take the process past 300 MB.
    hooked(
        p,
        "head -c 300000000 /dev/zero | tr '\\0' 'x'; echo; echo last-line",
        "60s",
    );
    let mut child = common::bin(p)
        .args(["rollback", "eu", "--reason", "test"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("rollback");
    let peak = peak_kib(&mut child);
    assert!(child.wait().expect("wait").success());
    assert!(
        peak < 100 * 1024,
        "peak memory {peak} KiB for 300 MB of hook output"
    );
    let log = json(cutover(p).args(["log", "--json"]));
    let last = log
        .as_array()
        .expect("array")
        .last()
        .cloned()
        .expect("event");
    let detail = last["detail"].as_str().unwrap_or_default();
    assert!(
        detail.len() < 3_000 && detail.ends_with("last-line"),
        "{}",
        detail.len()
    );
}
