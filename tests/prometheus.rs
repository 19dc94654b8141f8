//! Gates and guards against a real Prometheus (Debian's `prometheus` package, installed by
//! `.ci/run`): the test serves a `/metrics` page, starts Prometheus on 127.0.0.1 with a free
//! port scraping it every second, and drives the real binary. A gate on a PromQL failure-rate
//! query refuses the cutover, passes once the metric drops, and when the metric rises again
//! during cutover the guard rolls the segment back on its own (actor `auto`).

mod common;

use common::{cutover, fails, json, write_project, write_script};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A `/metrics` page whose failure ratio the test sets.
fn metrics_page(ratio: Arc<AtomicU64>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let v = f64::from_bits(ratio.load(Ordering::SeqCst));
            let body = format!(
                "# HELP login_failure_ratio Share of failed logins.\n# TYPE login_failure_ratio gauge\nlogin_failure_ratio{{segment=\"eu\"}} {v}\n"
            );
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

struct Prometheus(Child);

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_prometheus(dir: &std::path::Path, target: u16) -> (Prometheus, u16) {
    let port = free_port();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: idp\n    static_configs:\n      - targets: ['127.0.0.1:{target}']\n"
        ),
    )
    .expect("config");
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--log.level=warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus must be installed (apt-get install prometheus; .ci/run does it)");
    let p = Prometheus(child);
    let start = Instant::now();
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = write!(s, "GET /-/ready HTTP/1.0\r\n\r\n");
            let mut reply = String::new();
            let _ = s.read_to_string(&mut reply);
            if reply.starts_with("HTTP/1.0 200") || reply.starts_with("HTTP/1.1 200") {
                break;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "prometheus did not become ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (p, port)
}

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
    let ratio = Arc::new(AtomicU64::new(0.05f64.to_bits()));
    let target = metrics_page(ratio.clone());
    let (_prom, port) = start_prometheus(dir.path(), target);
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
    ratio.store(0.01f64.to_bits(), Ordering::SeqCst);
    wait_for_value(dir.path(), "0.01");
    cutover(dir.path())
        .args(["advance", "eu", "--actor", "ana"])
        .assert()
        .success()
        .stdout(predicates::str::contains("gate → cutover: ok"));

    // Back to 5 % during cutover: the guard fails twice in a row and rolls back by itself.
    ratio.store(0.05f64.to_bits(), Ordering::SeqCst);
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
