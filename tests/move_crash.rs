//! A move killed with `kill -9` at 50 moments, then resumed: the Firebase emulator ends with
//! every user exactly once, the report counts the whole move (what it created, not what an
//! earlier, killed run created, as "already present"), and no user was ever sent twice (a
//! re-sent user would fail as a duplicate `localId`).

mod common;

use common::firebase::Emulator;
use common::moving::*;
use common::{bin, cutover, json};
use std::collections::BTreeSet;

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
    let mid_move = kill_moves(
        KILLS,
        0x5eed,
        || {
            bin(p)
                .env("FB_TOKEN", "owner")
                .env("USER", "tester")
                .args(["move", "eu"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("spawn cutover move")
        },
        || emulator.count() < expected.len() as u64,
    );
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
