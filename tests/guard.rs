//! The guard counts fresh failing readings, not re-evaluations: the reproduction of a segment
//! with three sources at different rates, where one bad `failure_rate` reading must never roll
//! back, three fresh ones must (no sooner than two of its intervals after the first), and a
//! reading past its `stale_after` neither counts nor resets.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{advance_to_cutover, bin, cutover, json, write_project, write_script};
use cutover::engine::Engine;
use cutover::engine::live::Guard;
use cutover::source::Polled;
use std::path::Path;

/// The issue's reproduction: `failure_rate` every 10 s (stale after 30 s), `migrated` and
/// `tickets` every 3 s, rollback after 3 failing readings.
fn reproduction(rollback_hook: bool) -> String {
    let hook = if rollback_hook {
        "[segments.hooks.rollback]\ncommand = [\"./rollback.sh\"]\n"
    } else {
        ""
    };
    format!(
        r#"[project]
name = "Guard"
[[segments]]
id = "eu"
strategy = "slow"
size = 1000
login_probability = 0.05
goal = 0.9
auto_rollback = true
failures_before_rollback = 3
[segments.sources.failure_rate]
kind = "command"
command = ["cat", "rate.txt"]
every = "10s"
stale_after = "30s"
[segments.sources.migrated]
kind = "command"
command = ["echo", "100"]
every = "3s"
[segments.sources.tickets]
kind = "command"
command = ["echo", "100"]
every = "3s"
[[segments.gates]]
metric = "failure_rate"
max = 0.02
{hook}"#
    )
}

/// An engine on a project in cutover, and the time it entered cutover.
fn engine_in_cutover(p: &Path) -> (Engine, DateTime<Utc>) {
    write_project(p, &reproduction(false));
    std::fs::write(p.join("rate.txt"), "0.01\n").expect("rate");
    advance_to_cutover(p);
    let (project, _) = cutover::config::load(p).expect("project");
    let store = cutover::store::Store::open(&p.join(".cutover")).expect("store");
    let engine = Engine::new(project, p.to_path_buf(), store).expect("engine");
    let at = engine.state("eu").cutover_at.expect("in cutover");
    (engine, at)
}

fn reading(metric: &str, at: DateTime<Utc>, value: f64) -> Polled {
    Polled {
        segment: "eu".into(),
        metric: metric.into(),
        at,
        result: Ok(value),
    }
}

/// Feed the engine `secs` seconds of the three pollers from `from` (failure_rate at `from`
/// and every 10 s with `rate`, the others every 3 s), each absorbed when it was taken.
/// Returns the seconds (after `from`) at which a rollback was asked for, if one was.
fn poll_for(engine: &mut Engine, from: DateTime<Utc>, secs: i64, rate: f64) -> Option<i64> {
    for s in 0..secs {
        let at = from + Duration::seconds(s);
        let mut due = Vec::new();
        if s % 10 == 0 {
            due.push(reading("failure_rate", at, rate));
        }
        if s % 3 == 0 {
            due.push(reading("migrated", at, 100.0));
            due.push(reading("tickets", at, 100.0));
        }
        for p in due {
            if let Guard::RollBack(_) = engine.absorb(&p, at).expect("absorb") {
                return Some(s);
            }
        }
    }
    None
}

#[test]
fn one_bad_reading_never_rolls_back_three_do_no_sooner_than_twenty_seconds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut engine, cutover_at) = engine_in_cutover(dir.path());
    let t0 = cutover_at + Duration::minutes(1);

    // One bad reading, then 9 s of the other sources re-evaluating it (6 samples), then a
    // good reading: no rollback, and the streak never passed 1.
    assert_eq!(poll_for(&mut engine, t0, 10, 0.09), None);
    assert_eq!(
        engine.guard_streak("eu"),
        1,
        "six re-evaluations did not count"
    );
    assert_eq!(
        poll_for(&mut engine, t0 + Duration::seconds(10), 30, 0.01),
        None
    );
    assert_eq!(engine.guard_streak("eu"), 0, "a passing reading resets");
    let failed: Vec<_> = engine
        .events()
        .iter()
        .filter(|e| e.body.kind == cutover::model::Action::GuardFailed)
        .collect();
    assert_eq!(failed.len(), 1, "the alarm is said once");

    // Three fresh failing readings, 10 s apart: the rollback comes with the third, 20 s after
    // the first, and not one sample earlier.
    let t1 = t0 + Duration::seconds(40);
    let at = poll_for(&mut engine, t1, 60, 0.09).expect("rolled back");
    assert_eq!(
        at, 20,
        "the third failure_rate reading, 20 s after the first"
    );
}

#[test]
fn a_reading_past_stale_after_neither_counts_nor_resets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut engine, cutover_at) = engine_in_cutover(dir.path());
    let t0 = cutover_at + Duration::minutes(1);
    let at = |s: i64| t0 + Duration::seconds(s);
    for s in [0, 10] {
        let g = engine.absorb(&reading("failure_rate", at(s), 0.09), at(s));
        assert!(!matches!(g, Ok(Guard::RollBack(_))));
    }
    assert_eq!(engine.guard_streak("eu"), 2);
    // failure_rate goes silent; 40 s later its last reading is stale: the others' samples see
    // an unknown criterion, which neither counts nor resets.
    for s in (13..=50).step_by(3) {
        engine
            .absorb(&reading("migrated", at(s), 100.0), at(s))
            .expect("absorb");
    }
    assert_eq!(engine.guard_streak("eu"), 2);
    // Late readings arrive, taken 35 s before they are absorbed: a failing one does not count,
    // a passing one does not reset.
    let late_bad = engine.absorb(&reading("failure_rate", at(16), 0.09), at(51));
    assert!(
        !matches!(late_bad, Ok(Guard::RollBack(_))),
        "a stale reading never rolls back"
    );
    assert_eq!(engine.guard_streak("eu"), 2);
    engine
        .absorb(&reading("failure_rate", at(17), 0.01), at(52))
        .expect("absorb");
    assert_eq!(
        engine.guard_streak("eu"),
        2,
        "a stale pass does not reset either"
    );
    // The next fresh failing reading is the third.
    let third = engine.absorb(&reading("failure_rate", at(60), 0.09), at(60));
    assert!(matches!(third, Ok(Guard::RollBack(_))), "{third:?}");
}

/// The reproduction on the real binary, with the real pollers and clock: `watch` with
/// `failure_rate` every 10 s and two sources every 3 s.
#[test]
fn watch_rolls_back_on_the_third_fresh_failing_reading_not_the_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, &reproduction(true));
    write_script(p, "rollback.sh", "exit 0");
    std::fs::write(p.join("rate.txt"), "0.01\n").expect("rate");
    advance_to_cutover(p);
    let (mut watch, lines) = common::spawn_logged({
        let mut cmd = bin(p);
        cmd.arg("watch");
        cmd
    });
    let count = |needle: &str| {
        lines
            .lock()
            .expect("lines")
            .iter()
            .filter(|(_, l)| l.contains(needle))
            .count()
    };
    let wait_for = |what: &str, pred: &dyn Fn() -> bool| {
        let start = std::time::Instant::now();
        while !pred() {
            assert!(start.elapsed().as_secs() < 90, "waited 90 s for {what}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    let (bad, good) = ("eu failure_rate = 0.09", "eu failure_rate = 0.01");
    // The watch's first reading is good; then one bad reading, then good ones again.
    wait_for("a first reading", &|| count(good) >= 1);
    std::fs::write(p.join("rate.txt"), "0.09\n").expect("rate");
    wait_for("the bad reading", &|| count(bad) == 1);
    std::fs::write(p.join("rate.txt"), "0.01\n").expect("rate");
    let goods = count(good);
    wait_for("a good reading after it", &|| count(good) > goods);
    assert!(
        count("eu tickets = 100") >= 3,
        "the other sources re-evaluated the bad reading"
    );
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(
        status["segments"][0]["phase"], "cutover",
        "one bad reading rolled back"
    );

    // Now it stays bad: the rollback follows the third bad reading.
    std::fs::write(p.join("rate.txt"), "0.09\n").expect("rate");
    wait_for("the rollback", &|| count("rolled-back") >= 1);
    let _ = watch.kill();
    let _ = watch.wait();
    // The samples' and the rollback's own timestamps, from a backup of the state.
    let backup = dir.path().join("backup");
    cutover(p)
        .args(["state", "backup"])
        .arg(&backup)
        .assert()
        .success();
    let read = |name: &str| common::jsonl(&backup.join(name));
    let time = |v: &serde_json::Value| -> DateTime<Utc> {
        v["at"].as_str().expect("at").parse().expect("time")
    };
    let events = read("events.jsonl");
    let rollback = events
        .iter()
        .find(|e| e["kind"] == "roll-back" && e["outcome"] == "requested")
        .unwrap_or_else(|| {
            panic!(
                "no rollback event: {events:?}\n{:?}",
                lines.lock().expect("lines")
            )
        });
    assert_eq!(rollback["actor"], "auto");
    let rolled_at = time(rollback);
    let bad: Vec<DateTime<Utc>> = read("samples.jsonl")
        .iter()
        .filter(|s| s["metric"] == "failure_rate" && s["value"].as_f64() > Some(0.02))
        .map(time)
        .filter(|at| *at <= rolled_at)
        .collect();
    assert_eq!(bad.len(), 4, "one lone bad reading, then three: {bad:?}");
    assert!(
        rolled_at - bad[1] >= Duration::seconds(20),
        "rolled back {} s after the first of the three",
        (rolled_at - bad[1]).num_milliseconds() as f64 / 1000.0
    );
}
