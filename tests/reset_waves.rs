//! Reset waves: the users a move carried without a password get the target's reset message
//! (the simulator's FusionAuth forgot-password), at most `[segments.reset] per_hour` in any
//! hour, and a `kill -9` of the owner mid-wave never makes a message go twice.
//!
//! The pace is the owner's clock: under `cutover simulate --watch --speed 72` an hour passes in
//! 3 real seconds, so a few seconds show several hours of waves, read back from the journal's
//! send times on that clock.

mod common;

use common::vendors::{Simulator, simulator};
use common::{bin, cutover, json, owner_pid, write_project};
use cutover::store::Storage as _;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

/// `users` rows without a password (they move without one) and 20 whose SHA-512 hash
/// FusionAuth cannot verify (skipped by the move: not on the target).
fn export(p: &Path, users: u32) {
    let mut out = std::fs::File::create(p.join("users.jsonl")).expect("export");
    for i in 1..=users {
        writeln!(
            out,
            "{{\"user_id\": \"legacy-{i}\", \"email\": \"user{i}@example.org\", \"email_verified\": true}}"
        )
        .expect("write");
    }
    for i in 1..=20 {
        let sha512 = "ee26b0dd4af7e749aa1a8ee3c10ae9923f618980772e473f8819a5d4940e0db27ac185f8a0e1d5f84f88bc887fd67b143732c304cc5fa9ad8e6f57f50028a8ff";
        writeln!(
            out,
            "{{\"user_id\": \"old-{i}\", \"email\": \"old{i}@example.org\", \"password_hash\": \"{sha512}\"}}"
        )
        .expect("write");
    }
}

/// A big-bang segment moved into the simulator's FusionAuth, with `per_hour`.
fn moved(p: &Path, sim: &Simulator, users: u32, per_hour: u64) {
    let keys = format!(
        "target = \"fusionauth\"\nurl = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"acme\"",
        sim.1
    );
    moved_into(p, &keys, users, per_hour);
}

/// A big-bang segment moved into the target `keys` name, with `per_hour`.
fn moved_into(p: &Path, keys: &str, users: u32, per_hour: u64) {
    export(p, users);
    write_project(
        p,
        &format!(
            r#"[project]
name = "Resets"
[[segments]]
id = "eu"
strategy = "big-bang"
size = {users}
goal = 0.9
[segments.reset]
per_hour = {per_hour}
[segments.move]
export = "users.jsonl"
{keys}
"#
        ),
    );
    for _ in 0..3 {
        cutover(p)
            .env("FA_KEY", "key")
            .args(["advance", "eu"])
            .assert()
            .success();
    }
}

/// Every reset message the simulator's FusionAuth received: user id → the real times (ms) it
/// arrived.
fn received(sim: &Simulator) -> BTreeMap<String, Vec<i64>> {
    received_by(sim, "fusionauth")
}

fn received_by(sim: &Simulator, kind: &str) -> BTreeMap<String, Vec<i64>> {
    let url = format!("{}/sim/target/{kind}/acme/resets", sim.1);
    let list: Vec<Value> = common::firebase::block_on(async {
        reqwest::get(&url)
            .await
            .expect("the simulator answers")
            .json()
            .await
            .expect("resets")
    });
    let mut out: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in list {
        out.entry(r["user"].as_str().unwrap_or_default().to_string())
            .or_default()
            .push(r["at_ms"].as_i64().unwrap_or_default());
    }
    out
}

fn count(sim: &Simulator) -> usize {
    received(sim).values().map(Vec::len).sum()
}

/// Wait until the simulator's count stops changing for `quiet` (at most `within`).
fn settled(sim: &Simulator, quiet: Duration, within: Duration) -> usize {
    let start = Instant::now();
    let (mut last, mut since) = (count(sim), Instant::now());
    while start.elapsed() < within {
        std::thread::sleep(Duration::from_millis(100));
        let now = count(sim);
        if now != last {
            (last, since) = (now, Instant::now());
        } else if since.elapsed() >= quiet {
            break;
        }
    }
    last
}

fn owner(p: &Path, args: &[&str]) -> std::process::Child {
    let child = bin(p)
        .args(args)
        .env("FA_KEY", "key")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the owner");
    owner_pid(p, Duration::from_secs(10)).expect("it owns the project");
    child
}

#[test]
fn waves_keep_to_per_hour_over_simulated_hours() {
    let sim = simulator(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    moved(p, &sim, 300, 120);
    // An hour every 3 real seconds.
    let mut watch = owner(p, &["simulate", "--watch", "--speed", "72"]);
    cutover(p)
        .args(["reset", "eu", "--no-wait"])
        .assert()
        .success();
    let start = Instant::now();
    while count(&sim) < 300 {
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "all 300 within 40 s: {}",
            count(&sim)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let report = json(cutover(p).args(["reset", "eu", "--json"]));
    let _ = watch.kill();
    let _ = watch.wait();

    let got = received(&sim);
    assert_eq!(got.len(), 300, "each user once");
    assert!(got.values().all(|t| t.len() == 1), "nobody twice");
    // The pace, on the owner's clock: each send's moment as the journal holds it.
    let store = cutover::store::Store::open(&p.join(".cutover")).expect("the state");
    let journal = cutover::reset::journal::ResetJournal::new(store.samples().clone(), "eu");
    let mut times: Vec<i64> = journal
        .marks(1)
        .expect("the marks")
        .into_iter()
        .map(|(_, m)| m.at())
        .collect();
    // Closed again before anything else opens the state.
    drop(journal);
    drop(store);
    times.sort_unstable();
    let hour = 3_600_000;
    let most = times
        .iter()
        .map(|t| times.iter().filter(|u| **u >= *t && **u < t + hour).count())
        .max()
        .unwrap_or(0);
    assert!(most <= 120, "{most} messages in one simulated hour");
    assert!(most >= 110, "the pace is used, not starved: {most}");
    let span = times[times.len() - 1] - times[0];
    assert!(
        span >= 2 * hour,
        "300 at 120 an hour take over two simulated hours: {span} ms"
    );
    assert_eq!(report["sent"], 300, "{report}");
    assert_eq!(report["users"], 300, "{report}");
    assert_eq!(report["not_on_target"], 20, "{report}");
    assert_eq!(report["state"], "done", "{report}");
    let state_and_log = format!(
        "{}{}",
        String::from_utf8_lossy(
            &cutover(p)
                .args(["log", "--json"])
                .output()
                .expect("log")
                .stdout
        ),
        report
    );
    assert!(
        !state_and_log.contains("user1@example.org"),
        "no email in the log or report"
    );
    common::assert_secret_absent(&p.join(".cutover"), "user1@example.org");
}

#[test]
fn a_killed_owner_resumes_the_waves_without_sending_twice() {
    let sim = simulator(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    // Waves of 1,000 (12,000 an hour): the first wave is cut by the kill.
    moved(p, &sim, 1_500, 12_000);
    let mut watch = owner(p, &["watch"]);
    cutover(p)
        .args(["reset", "eu", "--no-wait"])
        .assert()
        .success();
    let start = Instant::now();
    while count(&sim) < 100 {
        assert!(start.elapsed() < Duration::from_secs(30), "sending began");
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = watch.kill(); // SIGKILL
    let _ = watch.wait();
    let at_kill = count(&sim);
    assert!(at_kill < 1_000, "killed mid-wave: {at_kill}");

    let mut watch = owner(p, &["watch"]);
    cutover(p)
        .args(["reset", "eu", "--no-wait"])
        .assert()
        .success();
    let total = settled(&sim, Duration::from_secs(2), Duration::from_secs(60));
    let report = json(cutover(p).args(["reset", "eu", "--json"]));
    let _ = watch.kill();
    let _ = watch.wait();

    let got = received(&sim);
    assert!(
        got.values().all(|t| t.len() == 1),
        "a message went twice: {:?}",
        got.iter().find(|(_, t)| t.len() > 1)
    );
    let (sent, uncertain) = (
        report["sent"].as_u64().unwrap_or(0),
        report["uncertain"].as_u64().unwrap_or(9),
    );
    assert!(
        uncertain <= 1,
        "at most the send under way at the kill: {report}"
    );
    assert_eq!(sent + uncertain, 1_000, "the first wave, whole: {report}");
    assert!(
        total as u64 >= sent && total as u64 <= sent + uncertain,
        "{total} received, {report}"
    );
    assert_eq!(
        report["state"], "sending",
        "the next wave waits 5 min: {report}"
    );
}

#[test]
fn keycloak_sends_its_execute_actions_email_once_a_user() {
    let sim = simulator(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let keys = format!(
        "target = \"keycloak\"\nurl = \"{}\"\nrealm = \"acme\"\nclient_id = \"cutover\"\nclient_secret = \"env:FA_KEY\"",
        sim.1
    );
    moved_into(p, &keys, 40, 3_600);
    // The journal names users by export line: a rewritten export is refused, nothing sent.
    let export = std::fs::read_to_string(p.join("users.jsonl")).expect("export");
    std::fs::write(
        p.join("users.jsonl"),
        format!("{{\"user_id\": \"new\"}}\n{export}"),
    )
    .expect("rewrite");
    let refused = common::fails(cutover(p).env("FA_KEY", "key").args(["reset", "eu"]));
    assert!(refused.contains("changed"), "{refused}");
    assert!(received_by(&sim, "keycloak").is_empty(), "nothing sent");
    std::fs::write(p.join("users.jsonl"), export).expect("restore");
    let out = cutover(p)
        .env("FA_KEY", "key")
        .args(["reset", "eu", "--json"])
        .output()
        .expect("reset");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a report");
    assert_eq!(report["sent"], 40, "{report}");
    assert_eq!(report["not_on_target"], 20, "{report}");
    let got = received_by(&sim, "keycloak");
    assert_eq!(got.len(), 40);
    assert!(got.values().all(|t| t.len() == 1));
}
