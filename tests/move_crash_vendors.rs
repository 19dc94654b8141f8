//! A move into the simulator's FusionAuth killed with `kill -9` at 50 moments, then resumed:
//! the tenant ends with exactly the expected users, the report counts the whole move (what it
//! created, not what a killed run created, as "already present"), and no user fails as one
//! the move itself had already imported (a re-sent user would be refused as a duplicate id).
//! FusionAuth's import is all or nothing and synchronous, the hardest case for a resume.

mod common;

use common::vendors::*;
use common::{bin, cutover, json};
use std::collections::BTreeSet;

const ROWS: u64 = 5_000;
const KILLS: usize = 50;

#[test]
fn a_fusionauth_move_killed_at_fifty_moments_lands_every_user_once() {
    // Paced so that the whole move (about 2,400 users, 50 a batch, 250 a second) outlasts the
    // 50 kills' windows together, and most kills land mid-move.
    let sim = simulator(&["--import-rate", "250"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_export(&p.join("users.jsonl"), ROWS);
    let keys = format!(
        "url = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"acme\"",
        sim.1
    );
    let rehearsal = format!(
        "url = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"acme-test\"",
        sim.1
    );
    project(p, ROWS, "fusionauth", 50, &keys, &rehearsal);
    plant(&sim, "fusionauth", "acme");
    let before = users(&sim, "fusionauth", "acme");
    for _ in 0..2 {
        cutover(p).args(["advance", "eu"]).assert().success();
    }
    let expected = expected("fusionauth", ROWS);
    let mid_move = common::moving::kill_moves(
        KILLS,
        0xfa5e,
        || {
            bin(p)
                .env("FA_KEY", "key")
                .args(["move", "eu"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("spawn cutover move")
        },
        || (users(&sim, "fusionauth", "acme").len() as u64) < expected.len() as u64,
    );
    assert!(
        mid_move >= 10,
        "only {mid_move} of {KILLS} kills landed mid-move"
    );

    // Resume to the end.
    for _ in 0..3 {
        let _ = cutover(p)
            .env("FA_KEY", "key")
            .args(["move", "eu"])
            .output();
        let status = json(cutover(p).args(["status", "--json"]));
        if status["segments"][0]["phase"] == "cutover" {
            break;
        }
    }
    let report = json(
        cutover(p)
            .env("FA_KEY", "key")
            .args(["move", "eu", "--json"]),
    );
    assert_eq!(report["state"], "moved", "{report}");
    let mut want: BTreeSet<String> = expected.clone();
    want.extend(before.keys().cloned());
    let after = users(&sim, "fusionauth", "acme");
    assert_eq!(after.keys().cloned().collect::<BTreeSet<_>>(), want);
    let there_before = (101..=110).filter(|&i| importable("fusionauth", i)).count() as u64;
    assert_eq!(report["already_present"], there_before, "{report}");
    assert_eq!(
        report["created"],
        expected.len() as u64 - there_before,
        "{report}"
    );
    assert_eq!(
        report["failed"],
        serde_json::json!({"[duplicate]user.email": 1}),
        "{report}"
    );
    eprintln!("{mid_move} of {KILLS} kills landed mid-move");
}
