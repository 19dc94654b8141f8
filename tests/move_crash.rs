//! A move killed with `kill -9` at 50 moments, then resumed: the Firebase emulator ends with
//! every user exactly once, the report counts the whole move (what it created, not what an
//! earlier, killed run created, as "already present"), and no user was ever sent twice (a
//! re-sent user would fail as a duplicate `localId`).

mod common;

use common::firebase::Emulator;
use common::moving::*;
use common::{bin, cutover, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const ROWS: u64 = 20_000;
const KILLS: usize = 50;

#[test]
fn a_move_killed_at_fifty_moments_lands_every_user_once() {
    let emulator = Emulator::start("crash");
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_export(&p.join("users.jsonl"), ROWS);
    // Small batches: many journal records, many moments between them.
    project(p, &emulator, ROWS, 50);
    plant_existing(&emulator);
    for _ in 0..2 {
        cutover(p).args(["advance", "eu"]).assert().success();
    }
    let expected = expected_ids(ROWS);
    // A fixed sequence of moments (a splitmix walk), 20 to 400 ms after the start.
    let mut seed: u64 = 0x5eed;
    let mut mid_move = 0;
    for _ in 0..KILLS {
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let wait = Duration::from_millis(20 + (z ^ (z >> 31)) % 380);
        let mut child = bin(p)
            .env("FB_TOKEN", "owner")
            .env("USER", "tester")
            .args(["move", "eu"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn cutover move");
        let started = Instant::now();
        while started.elapsed() < wait {
            if child.try_wait().expect("wait").is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let still_running = child.try_wait().expect("wait").is_none();
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if still_running && emulator.count() < expected.len() as u64 {
            mid_move += 1;
        }
    }
    assert!(
        mid_move >= 10,
        "only {mid_move} of {KILLS} kills landed while users were still moving"
    );

    // Resume to the end.
    let mut report = serde_json::Value::Null;
    for _ in 0..3 {
        let out = cutover(p)
            .env("FB_TOKEN", "owner")
            .args(["move", "eu", "--json"])
            .output()
            .expect("run move");
        if out.status.success() {
            report = serde_json::from_slice(&out.stdout).unwrap_or_default();
        }
        let status = json(cutover(p).args(["status", "--json"]));
        if status["segments"][0]["phase"] == "cutover" {
            break;
        }
    }
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "cutover", "{status}");
    if report.is_null() || report["state"] != "moved" {
        report = json(
            cutover(p)
                .env("FB_TOKEN", "owner")
                .args(["move", "eu", "--json"]),
        );
    }
    let users = by_id(&emulator);
    assert_eq!(users.keys().cloned().collect::<BTreeSet<_>>(), expected);
    assert_eq!(report["failed"], serde_json::json!({}), "{report}");
    assert_eq!(report["already_present"], 10, "{report}");
    assert_eq!(
        report["created"],
        expected.len() as u64 - 10,
        "{report} after {mid_move} kills mid-move"
    );
    let skipped =
        planted(ROWS, unreadable) + planted(ROWS, duplicate_email) + planted(ROWS, unverifiable);
    let counted: u64 = report["skipped"]
        .as_object()
        .map(|m| m.values().filter_map(|v| v.as_u64()).sum())
        .unwrap_or(0);
    assert_eq!(counted, skipped, "{report}");
    eprintln!("{mid_move} of {KILLS} kills landed mid-move");
}
