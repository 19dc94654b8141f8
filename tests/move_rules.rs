//! The move's rules a lead relies on, against Google's Firebase Authentication emulator:
//! `duplicate_emails = "fail"` refuses to start, a resume refuses an export that changed (the
//! journal names users by their lines), and `--no-wait` leaves the move to the running owner.

mod common;

use common::firebase::Emulator;
use common::moving::*;
use common::{cutover, fails, json};
use std::path::Path;
use std::time::{Duration, Instant};

const ROWS: u64 = 5_000;

/// A project in gate moving into its own project of the emulator, `batch` users a batch.
fn in_gate(emulator: &Emulator, dir: &Path, project: &str, batch: u64, extra: &str) {
    write_export(&dir.join("users.jsonl"), ROWS);
    common::moving::project(dir, emulator, ROWS, batch);
    let toml = std::fs::read_to_string(dir.join("cutover.toml")).expect("project");
    let toml = toml.replace(
        &format!("project = \"{}\"", emulator.project),
        &format!("project = \"{project}\"\n{extra}"),
    );
    std::fs::write(dir.join("cutover.toml"), toml).expect("write project");
    for _ in 0..2 {
        cutover(dir).args(["advance", "eu"]).assert().success();
    }
}

#[test]
fn a_lead_s_rules_hold_before_during_and_after_a_move() {
    let emulator = Emulator::start("rules");

    // Shared emails with duplicate_emails = "fail": nothing moves, and the lead is told why.
    let dir = tempfile::tempdir().expect("tempdir");
    in_gate(
        &emulator,
        dir.path(),
        "demo-rules-fail",
        1000,
        "duplicate_emails = \"fail\"",
    );
    let err = fails(
        cutover(dir.path())
            .env("FB_TOKEN", "owner")
            .args(["move", "eu"]),
    );
    assert!(err.contains("shared by several users"), "{err}");
    assert!(err.contains("--duplicates"), "{err}");
    assert_eq!(emulator.project_count("demo-rules-fail"), 0);
    let status = json(cutover(dir.path()).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "gate", "{status}");
    // Rolled back with nothing moved: the undo deletes nothing and records no move.
    let rolled = json(
        cutover(dir.path())
            .env("FB_TOKEN", "owner")
            .args(["rollback", "eu", "--reason", "no move", "--json"]),
    );
    assert_eq!(rolled["undo_deletes"], 0, "{rolled}");
    let log = json(cutover(dir.path()).args(["log", "--json"]));
    let kinds: Vec<&str> = log
        .as_array()
        .expect("log")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(!kinds.contains(&"move"), "{kinds:?}");
    let status = json(cutover(dir.path()).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "rolled-back", "{status}");

    // --no-wait: the command returns while the owner moves; the move ends on its own.
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    in_gate(&emulator, p, "demo-rules-nowait", 10, "");
    let mut owner = token_watch(p);
    let out = cutover(p)
        .args(["move", "eu", "--no-wait"])
        .output()
        .expect("move");
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("under way"), "{said}");
    let expected = expected_ids(ROWS).len() as u64;
    assert!(
        emulator.project_count("demo-rules-nowait") < expected,
        "the command returned before the move ended"
    );
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let status = json(cutover(p).args(["status", "--json"]));
        if status["segments"][0]["phase"] == "cutover" {
            break;
        }
        assert!(Instant::now() < until, "the move did not end: {status}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(emulator.project_count("demo-rules-nowait"), expected);

    // A paused move whose export then changes: the resume refuses it, and says why.
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    in_gate(&emulator, p, "demo-rules-changed", 10, "");
    let _ = owner.kill();
    let _ = owner.wait();
    let mut owner = token_watch(p);
    cutover(p)
        .args(["move", "eu", "--no-wait"])
        .assert()
        .success();
    let until = Instant::now() + Duration::from_secs(60);
    while emulator.project_count("demo-rules-changed") < 200 {
        assert!(Instant::now() < until, "the move did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    cutover(p)
        .args(["pause", "eu", "--reason", "fix the export"])
        .assert()
        .success();
    write_export(&p.join("users.jsonl"), ROWS - 1);
    cutover(p).args(["resume", "eu"]).assert().success();
    let err = fails(cutover(p).args(["advance", "eu"]));
    assert!(err.contains("changed since this move started"), "{err}");
    let _ = owner.kill();
    let _ = owner.wait();
}
