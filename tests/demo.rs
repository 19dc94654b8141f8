//! The newcomer's first five minutes (issue 5): the headless demo shows every phase, a rollback
//! by the guard and finish estimates; the simulator answers every adapter with a migrated
//! share that follows S(D) for a single-P segment.

mod common;

use common::{cutover, write_project};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

#[test]
fn the_headless_demo_shows_every_phase_a_guard_rollback_and_finish_estimates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args([
            // 0.1 s a day: 2.5 s in all, so a loaded machine still sees every day's polls.
            "demo", "--no-tui", "--days", "25", "--speed", "0.1", "--dir",
        ])
        .arg(&demo)
        .output()
        .expect("demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("demo project: {}", demo.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("phases seen: plan, test, gate, cutover, done, rolled-back"),
        "{stdout}"
    );
    assert!(stdout.contains("auto day"), "the guard acted: {stdout}");
    assert!(stdout.contains("eu: guard-failed"), "{stdout}");
    assert!(
        stdout.contains("eu: rollback cutover → rolled-back: rollback hook succeeded"),
        "{stdout}"
    );
    assert!(
        stdout.contains("→ planned 20") && stdout.contains(", forecast 20"),
        "finish estimates: {stdout}"
    );
    assert!(
        stdout.contains("staff            slow      done") && stdout.contains("reached"),
        "{stdout}"
    );
    // The US users were planned from their last-login export, and the forecast's range holds
    // their true finish: 50 % at P 0.12 and 50 % at 0.012 reach 90 % on day 133.3.
    let toml = std::fs::read_to_string(demo.join("cutover.toml")).expect("project");
    assert!(
        toml.contains("# planned from exports/us-sample.ndjson"),
        "{toml}"
    );
    assert!(demo.join("exports/us-sample.ndjson").exists());
    let log = common::json(cutover(&demo).args(["log", "--json", "--segment", "us"]));
    let cutover_at = log
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["to"] == "cutover" && (e["outcome"] == "ok" || e["outcome"] == "succeeded"))
        .and_then(|e| e["at"].as_str())
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .expect("us cut over");
    let truth = cutover_at + chrono::Duration::minutes((133.3 * 1440.0) as i64);
    let status = common::json(cutover(&demo).args(["status", "--json"]));
    let us = status["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .find(|s| s["id"] == "us")
        .expect("us");
    let time = |v: &serde_json::Value| {
        v.as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    };
    let forecast = &us["forecast"];
    let low = time(&forecast["low"]).expect("a low end");
    assert!(low <= truth, "{forecast} vs truth {truth}");
    assert!(
        time(&forecast["high"]).is_none_or(|h| h >= truth),
        "{forecast} vs truth {truth}"
    );
    assert!(
        forecast["fitted_cohorts"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    // The project it wrote is a real one: the commands work on it afterwards.
    let log = common::json(cutover(&demo).args(["log", "--json", "--segment", "eu"]));
    let rollback = log
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["kind"] == "rollback" && e["outcome"] == "succeeded")
        .expect("eu rolled back");
    assert_eq!(rollback["actor"], "auto");
    // Dormant's export was audited before the clock started, and its test check read that
    // audit when the operator advanced it to gate.
    let log = common::json(cutover(&demo).args(["log", "--json", "--segment", "dormant"]));
    let events = log.as_array().expect("array");
    let audit = events
        .iter()
        .find(|e| e["kind"] == "audit")
        .expect("dormant's audit");
    assert_eq!(audit["audit"]["file"], "dormant-sample.ndjson");
    assert_eq!(audit["audit"]["users"], 5_000);
    assert!(audit["audit"]["duplicates"]["emails"].as_u64() > Some(0));
    let to_gate = events
        .iter()
        .find(|e| e["kind"] == "advance" && e["to"] == "gate" && e["outcome"] == "ok")
        .expect("dormant reached gate");
    assert_eq!(to_gate["checks"][0]["name"], "export audit");
    assert_eq!(to_gate["checks"][0]["status"], "pass");
    // Its move was rehearsed in test by the operator, into the simulated FusionAuth's test
    // tenant, and the rehearsal check read it.
    assert_eq!(to_gate["checks"][1]["name"], "rehearsal", "{to_gate}");
    assert_eq!(to_gate["checks"][1]["status"], "pass", "{to_gate}");
    assert_eq!(to_gate["detail"], "checks 2/2 pass");
    let rehearsal = events
        .iter()
        .filter(|e| e["kind"] == "move")
        .filter_map(|e| e["detail"].as_str())
        .find(|d| d.starts_with("rehearsal move moved"))
        .expect("dormant's rehearsal");
    assert!(
        rehearsal.contains("5000 users") && rehearsal.contains(" 0 failed"),
        "{rehearsal}"
    );
    assert!(rehearsal.ends_with("deleted again"), "{rehearsal}");
    // Without a terminal the cockpit demo says how to run it headless.
    let no_tty = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .arg("demo")
        .output()
        .expect("demo");
    assert_eq!(no_tty.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&no_tty.stderr).contains("cutover demo --no-tui"));
    // Never overwrites.
    let again = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["demo", "--no-tui", "--days", "1", "--dir"])
        .arg(&demo)
        .output()
        .expect("demo");
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a project"));
}

/// Stops the simulator whatever happens to the test.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn post(addr: &str, path: &str) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n"
    )
    .expect("write");
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
}

fn get(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").expect("write");
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    reply
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

#[test]
fn the_simulator_follows_s_of_d_through_every_adapter() {
    let sim = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args([
            "simulate",
            "--listen",
            "127.0.0.1:0",
            "--paused",
            "--segment",
            "eu:10000:0.2",
            "--segment",
            "us:20000:0.5@0.3,0.5@0.01",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulate");
    let mut sim = KillOnDrop(sim);
    let mut first = String::new();
    BufReader::new(sim.0.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read");
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .expect("address line")
        .to_string();
    let addr = url.trim_start_matches("http://").to_string();

    let dir = tempfile::tempdir().expect("tempdir");
    let src = |metric: &str, body: &str| format!("[segments.sources.{metric}]\n{body}\n");
    let mut toml = String::from("[project]\nname = \"Sim\"\n");
    for (id, body) in [
        (
            "fa",
            format!(
                "kind = \"fusionauth\"\nurl = \"{url}\"\nquery = \"data.migrated:true AND data.segment:eu\""
            ),
        ),
        (
            "es",
            format!(
                "kind = \"elasticsearch\"\nurl = \"{url}\"\nindex = \"fusionauth_user\"\nquery = \"data.migrated:true AND data.segment:eu\""
            ),
        ),
        (
            "kc",
            format!(
                "kind = \"keycloak\"\nurl = \"{url}\"\nrealm = \"acme\"\nquery = \"migrated:true segment:eu\""
            ),
        ),
        (
            "a0",
            format!(
                "kind = \"auth0\"\nurl = \"{url}\"\nquery = \"app_metadata.migrated:true AND segment:eu\""
            ),
        ),
        (
            "prom",
            format!(
                "kind = \"prometheus\"\nurl = \"{url}\"\nquery = 'migrated_users{{segment=\"eu\"}}'"
            ),
        ),
        (
            "json",
            format!("kind = \"json\"\nurl = \"{url}/sim\"\npointer = \"/segments/0/migrated\""),
        ),
    ] {
        toml += &format!(
            "[[segments]]\nid = \"{id}\"\nstrategy = \"slow\"\nsize = 10000\nlogin_probability = 0.2\ngoal = 0.9\n"
        );
        toml += &src("migrated", &body);
    }
    write_project(dir.path(), &toml);
    for day in [5.0, 10.0, 20.0] {
        post(&addr, &format!("/sim/day?set={day}"));
        let out = cutover(dir.path()).arg("poll").output().expect("poll");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = 1.0 - 0.8f64.powf(day);
        let mut counts = Vec::new();
        for line in stdout.lines() {
            let n: f64 = line
                .rsplit(' ')
                .next()
                .and_then(|v| v.parse().ok())
                .expect("a number");
            counts.push(n);
            let share = n / 10_000.0;
            assert!(
                (share - want).abs() <= 0.03,
                "day {day}: {line} is {share:.3}, S(D) = {want:.3}"
            );
        }
        assert_eq!(counts.len(), 6, "{stdout}");
        assert!(
            counts.windows(2).all(|w| w[0] == w[1]),
            "every adapter reads the same population: {counts:?}"
        );
    }
    // The cohort mix lags its effective single P, as the long tail does.
    let status: serde_json::Value = serde_json::from_str(&get(&addr, "/sim")).expect("json");
    let us = status["segments"][1]["migrated"].as_f64().expect("us") / 20_000.0;
    assert!(us < 1.0 - (1.0 - 0.155f64).powf(20.0) - 0.2, "us {us}");
    // /metrics is valid Prometheus exposition text (checked by Prometheus' own promtool).
    let metrics = get(&addr, "/metrics");
    assert!(
        metrics.contains("migrated_users{segment=\"eu\"}"),
        "{metrics}"
    );
    let verdict = common::prom::promtool_check(&metrics);
    assert!(
        verdict.status.success(),
        "{}",
        String::from_utf8_lossy(&verdict.stderr)
    );
    Command::new("kill")
        .args(["-TERM", &sim.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(
        sim.0.wait().expect("wait").success(),
        "simulate exits 0 on SIGTERM"
    );
}

/// The cockpit takes the whole screen, so the demo says where its project is before the
/// screen switches (long enough to read) and again once the cockpit is gone.
#[test]
fn the_demo_shows_its_project_path_before_and_after_the_cockpit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = dir.path().join("demo");
    let tmux = common::tmux::Tmux::server("cutover-demo-path");
    tmux.cockpit(
        "demo",
        dir.path(),
        &format!("demo --speed 5 --dir '{}'", demo.display()),
    );
    let before = format!(
        "demo project: {} (from another terminal: cutover --project {} status)",
        demo.display(),
        demo.display()
    );
    tmux.wait_for("demo", "the path before the cockpit", |s| {
        s.contains(&before)
    });
    tmux.wait_for("demo", "the cockpit", |s| s.contains("Segments (4)"));
    tmux.quit("demo");
    let after = tmux.wait_for("demo", "the demo to exit", |s| s.contains("COCKPIT-EXITED"));
    assert!(
        after.contains(&format!(
            "demo project kept in {} (cutover --project {} status)",
            demo.display(),
            demo.display()
        )),
        "{after}"
    );
}
