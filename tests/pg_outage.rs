//! The state database stopped and restarted under a running `cutover watch` (team backend,
//! real PostgreSQL): `watch` says "state database unreachable since …" and stops guarding,
//! its pollers go on and hold their samples in memory, `status` says since when and actions
//! are refused; when the server is back it says so and writes the held samples: the ones
//! polled during the outage are in the state after, and the advance refused is not.

mod common;

use common::pg_server::Postgres;
use common::{bin, cutover, write_project, write_script};
use std::time::{Duration, Instant};

const TOML: &str = "[project]\nname = \"Outage\"\n[state]\nbackend = \"postgres\"\nurl = \"env:CUTOVER_DATABASE_URL\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 1000\nlogin_probability = 0.1\ngoal = 0.9\n[segments.sources.migrated]\nkind = \"command\"\ncommand = [\"./count.sh\"]\nevery = \"300ms\"\n";

fn wait_for(lines: &common::Lines, needle: &str, within: Duration) -> String {
    let t0 = Instant::now();
    while t0.elapsed() < within {
        if let Some((_, l)) = lines
            .lock()
            .expect("lines")
            .iter()
            .find(|(_, l)| l.contains(needle))
        {
            return l.clone();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let all: Vec<String> = lines
        .lock()
        .expect("lines")
        .iter()
        .map(|(_, l)| l.clone())
        .collect();
    panic!(
        "no line with '{needle}' within {within:?}:\n{}",
        all.join("\n")
    );
}

#[test]
fn an_outage_is_told_and_the_samples_polled_meanwhile_are_kept() {
    let pg = Postgres::start();
    let url = pg.url();
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), TOML);
    write_script(dir.path(), "count.sh", "echo 42");
    let mut watch_cmd = bin(dir.path());
    watch_cmd.arg("watch").env("CUTOVER_DATABASE_URL", &url);
    let (mut watch, lines) = common::spawn_logged(watch_cmd);
    wait_for(
        &lines,
        "now runs the pollers and guards",
        Duration::from_secs(15),
    );
    wait_for(&lines, "42", Duration::from_secs(10));
    pg.stop();
    let down_at = chrono::Utc::now();
    wait_for(
        &lines,
        "state database unreachable since",
        Duration::from_secs(15),
    );
    wait_for(&lines, "guards stopped", Duration::from_secs(15));
    // `status` on this machine goes through the running watch: it says since when.
    let out = cutover(dir.path())
        .env("CUTOVER_DATABASE_URL", &url)
        .arg("status")
        .output()
        .expect("status");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("state database unreachable since"), "{err}");
    // An action is refused, never queued.
    let out = cutover(dir.path())
        .env("CUTOVER_DATABASE_URL", &url)
        .args(["advance", "eu"])
        .output()
        .expect("advance");
    assert!(!out.status.success(), "{out:?}");
    std::thread::sleep(Duration::from_secs(2));
    let up_at = chrono::Utc::now();
    pg.launch();
    wait_for(
        &lines,
        "state database answers again",
        Duration::from_secs(20),
    );
    let wrote = wait_for(
        &lines,
        "samples polled while it was away",
        Duration::from_secs(20),
    );
    assert!(wrote.contains("wrote "), "{wrote}");
    let _ = watch.kill();
    let _ = watch.wait();
    let backup = tempfile::tempdir().expect("tempdir");
    let out = cutover(dir.path())
        .env("CUTOVER_DATABASE_URL", &url)
        .args(["state", "backup"])
        .arg(backup.path())
        .output()
        .expect("backup");
    assert!(out.status.success(), "{out:?}");
    let samples = std::fs::read_to_string(backup.path().join("samples.jsonl")).expect("samples");
    let during = samples
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            v["at"]
                .as_str()
                .and_then(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok())
        })
        .filter(|t| *t > down_at && *t < up_at)
        .count();
    assert!(
        during >= 2,
        "samples polled during the outage were kept: {during}"
    );
    let log = common::json(
        cutover(dir.path())
            .env("CUTOVER_DATABASE_URL", &url)
            .args(["log", "--json"]),
    );
    // Only the guard's own records (it started guarding) are in the log.
    let actions: Vec<_> = log
        .as_array()
        .expect("log")
        .iter()
        .filter(|e| e["kind"] != "guarding")
        .collect();
    assert_eq!(
        actions.len(),
        0,
        "the refused advance was not queued: {actions:?}"
    );
}
