//! A move that runs in a long-lived owner (`cutover watch`) can be paused, resumed, and rolled
//! back while it runs: it stops at the end of its batch in flight, the journal keeps what
//! moved, a resume goes on from there, and a rollback deletes exactly what it created. Against
//! Google's Firebase Authentication emulator.

mod common;

use common::firebase::Emulator;
use common::moving::*;
use common::{bin, cutover, json};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const ROWS: u64 = 20_000;

/// A project in gate whose move goes 20 users a batch (a thousand batches: seconds long), and
/// a watch that owns it with the target's token.
fn moving_project(emulator: &Emulator, dir: &std::path::Path) -> Child {
    write_export(&dir.join("users.jsonl"), ROWS);
    project(dir, emulator, ROWS, 20);
    plant_existing(emulator);
    for _ in 0..2 {
        cutover(dir).args(["advance", "eu"]).assert().success();
    }
    token_watch(dir)
}

/// Start `cutover move eu` through the watch, and wait until users are arriving.
fn start_move(emulator: &Emulator, dir: &std::path::Path) -> Child {
    let child = bin(dir)
        .args(["move", "eu", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("move");
    let until = Instant::now() + Duration::from_secs(60);
    while emulator.count() < 500 {
        assert!(Instant::now() < until, "the move did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn a_paused_move_stops_at_a_batch_and_resumes_where_it_stopped() {
    let emulator = Emulator::start("pause");
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let mut watch = moving_project(&emulator, p);
    let mover = start_move(&emulator, p);

    cutover(p)
        .args(["pause", "eu", "--reason", "window moved"])
        .assert()
        .success();
    let out = mover.wait_with_output().expect("move ends");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a paused move is not done: {said}");
    assert!(said.contains("move incomplete"), "{said}");
    assert!(said.contains("paused"), "{said}");
    let stopped_at = emulator.count();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        emulator.count(),
        stopped_at,
        "nothing moves after the pause"
    );
    let expected = expected_ids(ROWS);
    assert!(stopped_at < expected.len() as u64, "paused mid-move");
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "gate", "{status}");
    let text = cutover(p).arg("status").output().expect("status");
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("move incomplete"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );

    // Paused, the advance is refused; resumed, the move goes on from its journal.
    cutover(p).args(["advance", "eu"]).assert().failure();
    cutover(p).args(["resume", "eu"]).assert().success();
    let report = json(cutover(p).args(["move", "eu", "--json"]));
    assert_eq!(report["created"], expected.len() as u64 - 10, "{report}");
    assert_eq!(report["already_present"], 10, "{report}");
    assert_eq!(report["failed"], serde_json::json!({}), "{report}");
    assert_eq!(emulator.count(), expected.len() as u64);
    let _ = watch.kill();
    let _ = watch.wait();
}

#[test]
fn a_rollback_during_a_move_stops_it_and_deletes_what_it_created() {
    let emulator = Emulator::start("stop");
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let mut watch = moving_project(&emulator, p);
    let before = by_id(&emulator);
    let mover = start_move(&emulator, p);

    cutover(p)
        .args(["rollback", "eu", "--reason", "stop the line"])
        .assert()
        .success();
    let _ = mover.wait_with_output();
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "rolled-back", "{status}");
    assert_eq!(
        by_id(&emulator),
        before,
        "only what the move created is gone"
    );
    let _ = watch.kill();
    let _ = watch.wait();
}
