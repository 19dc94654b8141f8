//! Crash safety (issue 2): the binary is killed with SIGKILL at pseudo-random moments while
//! advancing and rolling back in a loop. After every kill, each event a command had
//! acknowledged (printed) is still in the log, and `status` agrees with the log.
//!
//! The delays come from a fixed-seed generator; the assertions hold whatever the timing, so
//! the test does not depend on wall-clock luck (only the mix of kill points does).

mod common;

use common::{cutover, json, write_project, write_script};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

const PROJECT: &str = r#"[project]
name = "Crash"
[[segments]]
id = "eu"
strategy = "slow"
size = 1000
login_probability = 0.1
goal = 0.9
[segments.hooks.cutover]
command = ["./hook.sh"]
[segments.hooks.rollback]
command = ["./hook.sh"]
"#;

/// What the log says the segment's status should be: (phase, pending hook).
fn expected_from_log(log: &[Value]) -> (String, Option<String>) {
    let mut phase = "plan".to_string();
    let mut pending: Option<(u64, String)> = None;
    for e in log {
        let outcome = e["outcome"].as_str().unwrap_or_default();
        let key = e["key"].as_u64();
        match outcome {
            "ok" | "succeeded" => {
                if let Some(to) = e["to"].as_str() {
                    phase = to.to_string();
                }
                if outcome == "succeeded" && pending.as_ref().map(|p| p.0) == key {
                    pending = None;
                }
                if phase == "rolled-back" {
                    pending = None;
                }
            }
            "requested" => {
                pending = key.map(|k| (k, e["hook"].as_str().unwrap_or_default().to_string()));
            }
            "failed" if pending.as_ref().map(|p| p.0) == key => pending = None,
            _ => {}
        }
    }
    (phase, pending.map(|p| p.1))
}

/// A tiny deterministic generator (xorshift) for kill delays.
struct Delays(u64);
impl Delays {
    fn next_ms(&mut self, max: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % max
    }
}

#[test]
fn acknowledged_events_survive_sigkill_and_status_agrees_with_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, PROJECT);
    // A hook that takes a moment, so some kills land between the intent and the outcome.
    write_script(p, "hook.sh", "sleep 0.02; echo routed");

    let mut acknowledged: BTreeMap<u64, (String, String)> = BTreeMap::new();
    let mut delays = Delays(0x5eed_cafe_f00d);
    let (mut kills, mut rounds) = (0, 0);
    let mut interrupted_hooks = 0;
    while kills < 60 {
        rounds += 1;
        assert!(rounds < 1500, "only {kills} kills in {rounds} rounds");
        let status = json(cutover(p).args(["status", "--json"]));
        let seg = &status["segments"][0];
        let args: Vec<&str> = match (
            seg["phase"].as_str().unwrap_or_default(),
            seg["pending_hook"].as_str(),
        ) {
            (_, Some("rollback")) => vec!["rollback", "eu", "--retry"],
            (_, Some(_)) => vec!["advance", "eu"],
            ("cutover", None) | ("gate", None) if rounds % 3 == 0 => {
                vec!["rollback", "eu", "--reason", "crash test"]
            }
            ("rolled-back", None) => vec!["replan", "eu"],
            ("rollback-failed", None) => vec!["rollback", "eu", "--retry"],
            ("cutover", None) => vec!["rollback", "eu", "--reason", "crash test"],
            _ => vec!["advance", "eu"],
        };
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
            .arg("--project")
            .arg(p)
            .args(&args)
            .env("USER", "crash")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(delays.next_ms(100)));
        if child.try_wait().expect("try_wait").is_none() {
            child.kill().expect("SIGKILL");
            kills += 1;
        }
        child.wait().expect("wait");
        let mut out = String::new();
        child
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut out)
            .expect("read");
        for line in out.lines() {
            // "eu: advance gate → cutover: cutover hook requested (event 7) — ..."
            let Some(rest) = line.split("(event ").nth(1) else {
                continue;
            };
            let seq: u64 = rest
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
                .expect("event number");
            let kind = line
                .split(": ")
                .nth(1)
                .and_then(|s| s.split(' ').next())
                .unwrap_or_default();
            let outcome = ["requested", "succeeded", "failed", "refused", "ok"]
                .into_iter()
                .find(|o| {
                    line.contains(&format!(" {o} (event"))
                        || line.contains(&format!(": {o} (event"))
                })
                .expect("outcome on the ack line");
            acknowledged.insert(seq, (kind.to_string(), outcome.to_string()));
        }

        // After every run, killed or not: the log holds every acknowledged event...
        let log = json(cutover(p).args(["log", "--json"]));
        let log = log.as_array().expect("array").clone();
        let by_seq: BTreeMap<u64, &Value> = log
            .iter()
            .map(|e| (e["seq"].as_u64().expect("seq"), e))
            .collect();
        for (seq, (kind, outcome)) in &acknowledged {
            let e = by_seq
                .get(seq)
                .unwrap_or_else(|| panic!("acknowledged event {seq} lost after a kill"));
            assert_eq!(e["kind"].as_str(), Some(kind.as_str()), "event {seq}");
            assert_eq!(e["outcome"].as_str(), Some(outcome.as_str()), "event {seq}");
        }
        // ...with no gaps in the sequence...
        let seqs: Vec<u64> = by_seq.keys().copied().collect();
        assert!(
            seqs.iter().enumerate().all(|(i, s)| *s == i as u64 + 1),
            "gaps: {seqs:?}"
        );
        // ...and status agrees with the log.
        let (phase, pending) = expected_from_log(&log);
        let status = json(cutover(p).args(["status", "--json"]));
        let seg = &status["segments"][0];
        if pending.is_some() {
            interrupted_hooks += 1;
        }
        assert_eq!(
            seg["phase"].as_str(),
            Some(phase.as_str()),
            "round {rounds}"
        );
        assert_eq!(
            seg["pending_hook"].as_str(),
            pending.as_deref(),
            "round {rounds}"
        );
    }
    assert!(
        acknowledged.len() > 20,
        "too few acknowledged events: {}",
        acknowledged.len()
    );
    eprintln!(
        "{kills} kills in {rounds} rounds, {} acknowledged events kept, {interrupted_hooks} rounds found an interrupted hook",
        acknowledged.len()
    );
}
