//! A lead's own project against the simulator on its simulated clock: `cutover simulate
//! --watch --days N` runs the project beside the simulator (as the demo does), so simulated
//! days pass for the project too: its segment migrates, and `status --json` shows the
//! projection and a forecast.

mod common;

use common::{cutover, json, write_project};
use std::process::Command;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

#[test]
fn simulate_watch_runs_a_users_project_on_simulated_days() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let port = free_port();
    write_project(
        p,
        &format!(
            r#"
[project]
name = "Mine"

[[segments]]
id = "staff"
strategy = "slow"
size = 1000
login_probability = 0.2
goal = 0.95
[segments.sources.migrated]
kind = "fusionauth"
url = "http://127.0.0.1:{port}"
query = "data.migrated:true AND data.segment:staff"
every = "50ms"
stale_after = "2d"
"#
        ),
    );
    common::advance_segment_to_cutover(p, "staff");
    // 20 simulated days at 0.3 s a day: about 6 real seconds.
    let out = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .arg("--project")
        .arg(p)
        .args(["simulate", "--watch", "--days", "20", "--speed", "0.3"])
        .args(["--segment", "staff:1000:0.2", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .output()
        .expect("simulate --watch");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("20 simulated days passed: stopping"),
        "{stderr}"
    );

    let status = json(cutover(p).args(["status", "--json"]));
    let staff = &status["segments"][0];
    // After 20 days at P 0.2, 1 − 0.8^20 ≈ 98.8 % logged in (the wall clock would show ~0 %).
    let share = staff["migrated_share"].as_f64().expect("a migrated share");
    assert!(share > 0.9, "{staff}");
    assert!(staff["projected_share"].as_f64().is_some(), "{staff}");
    assert!(!staff["forecast"].is_null(), "a forecast: {staff}");
}
