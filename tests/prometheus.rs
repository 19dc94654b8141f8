//! Gates and guards against a real Prometheus (Debian's `prometheus` package, installed by
//! `.ci/run`): the test serves a `/metrics` page, starts Prometheus on 127.0.0.1 with a free
//! port scraping it every second, and drives the real binary. A gate on a PromQL failure-rate
//! query refuses the cutover, passes once the metric drops, and when the metric rises again
//! during cutover the guard rolls the segment back on its own (actor `auto`).

mod common;

use common::{cutover, fails, json, prom, write_project, write_script};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Poll until the gate's source reads `want` (Prometheus needs a few scrapes to see a change).
fn wait_for_value(dir: &std::path::Path, want: &str) {
    let start = Instant::now();
    loop {
        let out = cutover(dir).arg("poll").output().expect("poll");
        let stdout = String::from_utf8_lossy(&out.stdout);
        if stdout.contains(&format!("eu failure_rate = {want}")) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "never saw {want}: {stdout}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn a_promql_gate_refuses_then_passes_then_its_guard_rolls_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = Arc::new(Mutex::new(prom::failure_page(0.05)));
    let target = prom::page(page.clone());
    let port = common::free_port();
    let _prom = prom::Prometheus::start(dir.path(), port, &[("idp", &target)], None);
    write_project(
        dir.path(),
        &format!(
            r#"[project]
name = "Prometheus gate"

[[segments]]
id = "eu"
strategy = "slow"
size = 1000
login_probability = 0.1
goal = 0.9
auto_rollback = true
failures_before_rollback = 2

[segments.sources.failure_rate]
kind = "prometheus"
url = "http://127.0.0.1:{port}"
query = 'login_failure_ratio{{segment="eu"}}'
every = "1s"
stale_after = "30s"

[[segments.gates]]
name = "login failure rate ≤ 2 %"
metric = "failure_rate"
max = 0.02

[segments.hooks.rollback]
command = ["./route.sh"]
"#
        ),
    );
    write_script(
        dir.path(),
        "route.sh",
        r#"echo "$CUTOVER_ACTOR rolled $CUTOVER_SEGMENT back" >> routed.txt"#,
    );
    cutover(dir.path()).arg("check").assert().success();
    cutover(dir.path())
        .args(["advance", "eu"])
        .assert()
        .success();
    cutover(dir.path())
        .args(["advance", "eu"])
        .assert()
        .success();

    // 5 % failures: the gate refuses, naming the value.
    wait_for_value(dir.path(), "0.05");
    let stderr = fails(cutover(dir.path()).args(["advance", "eu"]));
    assert!(
        stderr.contains("gate: login failure rate ≤ 2 %: 0.05 > max 0.02"),
        "{stderr}"
    );

    // 1 %: the gate passes, with data polled at the moment of the advance.
    *page.lock().expect("lock") = prom::failure_page(0.01);
    wait_for_value(dir.path(), "0.01");
    cutover(dir.path())
        .args(["advance", "eu", "--actor", "ana"])
        .assert()
        .success()
        .stdout(predicates::str::contains("gate → cutover: ok"));

    // Back to 5 % during cutover: the guard fails twice in a row and rolls back by itself.
    *page.lock().expect("lock") = prom::failure_page(0.05);
    let mut watch = common::bin(dir.path())
        .arg("watch")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("watch");
    let stderr = watch.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let start = Instant::now();
    let mut lines = Vec::new();
    while !lines
        .iter()
        .any(|l: &String| l.contains("rollback hook succeeded"))
    {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(l) => lines.push(l),
            Err(_) => assert!(
                start.elapsed() < Duration::from_secs(90),
                "no auto-rollback: {lines:#?}"
            ),
        }
    }
    // SIGTERM stops watch cleanly.
    Command::new("kill")
        .args(["-TERM", &watch.id().to_string()])
        .status()
        .expect("kill");
    let status = watch.wait().expect("wait");
    assert!(status.success(), "watch exits 0 on SIGTERM");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("routed.txt")).expect("hook ran"),
        "auto rolled eu back\n"
    );

    let log = json(cutover(dir.path()).args(["log", "--json"]));
    let events = log.as_array().expect("array");
    let guard = events
        .iter()
        .find(|e| e["kind"] == "guard-failed")
        .expect("guard-failed event");
    assert_eq!(guard["actor"], "auto");
    assert!(
        guard["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("0.05 > max 0.02"),
        "{guard}"
    );
    let rb = events
        .iter()
        .find(|e| e["kind"] == "rollback" && e["outcome"] == "requested")
        .expect("rollback requested");
    assert_eq!(rb["actor"], "auto");
    assert!(
        rb["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("login failure rate ≤ 2 %: 0.05 > max 0.02"),
        "{rb}"
    );
    let status = json(cutover(dir.path()).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "rolled-back");
}
