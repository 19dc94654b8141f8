//! Lasting conditions told once per transition, with a local receiver and the real binary:
//! a source failing past its `stale_after` (warn) and answering again (warn), a guard failing
//! (warn) then passing again (warn), and a rollback left pending past its hook's time by a
//! killed owner (critical), each with what to do.

mod common;

use common::receiver::Receiver;
use common::{bin, cutover, write_project, write_script};
use serde_json::Value;
use std::process::{Child, Stdio};
use std::time::Duration;

fn watch(dir: &std::path::Path) -> Child {
    common::quiet_watch(dir)
}

fn kinds(bodies: &[Value]) -> Vec<String> {
    bodies
        .iter()
        .map(|m| m["kind"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn a_stale_source_and_a_guard_are_told_when_they_start_and_when_they_end() {
    let receiver = Receiver::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(
        p,
        &format!(
            r#"[project]
name = "Alarms"
[[notify]]
name = "leads"
webhook = "{}"
window = "1s"
[[segments]]
id = "us"
strategy = "slow"
size = 1000
login_probability = 0.1
goal = 0.99
failures_before_rollback = 2
[segments.sources.failure_rate]
kind = "command"
command = ["./rate.sh"]
every = "100ms"
stale_after = "1s"
[[segments.gates]]
metric = "failure_rate"
max = 0.02
"#,
            receiver.url()
        ),
    );
    write_script(p, "rate.sh", "cat rate.txt");
    std::fs::write(p.join("rate.txt"), "0.01\n").expect("rate");
    common::advance_segment_to_cutover(p, "us");
    let mut w = common::owning_watch(p);
    // The guard fails, then passes again.
    std::fs::write(p.join("rate.txt"), "0.5\n").expect("spike");
    receiver.wait(Duration::from_secs(10), "guard-failed", |b| {
        kinds(b).contains(&"guard-failed".to_string())
    });
    std::fs::write(p.join("rate.txt"), "0.01\n").expect("calm");
    receiver.wait(Duration::from_secs(10), "guard-cleared", |b| {
        kinds(b).contains(&"guard-cleared".to_string())
    });
    // The source fails past its stale_after, then answers.
    std::fs::write(p.join("rate.txt"), "not a number\n").expect("break");
    let b = receiver.wait(Duration::from_secs(10), "source-failing", |b| {
        kinds(b).contains(&"source-failing".to_string())
    });
    let m = b
        .iter()
        .find(|m| m["kind"] == "source-failing")
        .expect("message");
    assert_eq!(m["severity"], "warn");
    assert!(
        m["text"].as_str().unwrap_or("").contains("failure_rate"),
        "{m}"
    );
    std::fs::write(p.join("rate.txt"), "0.01\n").expect("fix");
    receiver.wait(Duration::from_secs(10), "source-answering", |b| {
        kinds(b).contains(&"source-answering".to_string())
    });
    std::thread::sleep(Duration::from_secs(2));
    let _ = w.kill();
    let _ = w.wait();
    // One message per transition, not per evaluation.
    let k = kinds(&receiver.bodies());
    for kind in [
        "guard-failed",
        "guard-cleared",
        "source-failing",
        "source-answering",
    ] {
        assert_eq!(k.iter().filter(|x| *x == kind).count(), 1, "{kind}: {k:?}");
    }
    // The log says it too.
    let log = common::json(cutover(p).args(["log", "--json"]));
    let alarms = log
        .as_array()
        .expect("log")
        .iter()
        .filter(|e| e["kind"] == "alarm")
        .count();
    assert_eq!(alarms, 3, "{log}");
}

#[test]
fn a_rollback_left_pending_by_a_killed_owner_is_told_as_stuck() {
    let receiver = Receiver::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(
        p,
        &format!(
            r#"[project]
name = "Stuck"
[[notify]]
name = "pager"
webhook = "{}"
min_severity = "critical"
[[segments]]
id = "us"
strategy = "slow"
size = 1000
login_probability = 0.1
goal = 0.99
[segments.hooks.rollback]
command = ["./slow.sh"]
timeout = "1s"
"#,
            receiver.url()
        ),
    );
    write_script(p, "slow.sh", "exec sleep 30");
    common::advance_segment_to_cutover(p, "us");
    let mut w = common::owning_watch(p);
    let mut rollback = bin(p)
        .args(["rollback", "us", "--reason", "errors"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("rollback");
    std::thread::sleep(Duration::from_millis(300));
    // The owner dies while the hook runs: the intent stays pending.
    let _ = w.kill();
    let _ = w.wait();
    let _ = rollback.kill();
    let _ = rollback.wait();
    let mut w = watch(p);
    let b = receiver.wait(Duration::from_secs(20), "rollback-stuck", |b| {
        kinds(b).contains(&"rollback-stuck".to_string())
    });
    let _ = w.kill();
    let _ = w.wait();
    let m = b
        .iter()
        .find(|m| m["kind"] == "rollback-stuck")
        .expect("message");
    assert_eq!(m["severity"], "critical");
    assert!(
        m["text"]
            .as_str()
            .unwrap_or("")
            .contains("cutover rollback us --retry"),
        "{m}"
    );
}
