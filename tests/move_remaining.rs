//! A slow segment's long tail: its cutover moves no one (its users move as they log in); after
//! a third of them moved that way, `cutover move SEGMENT --remaining` moves exactly the
//! others, counted by a reconciliation taken as it starts, and a rollback takes back only
//! what that move created.

mod common;

use common::vendors::*;
use common::{cutover, json};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const ROWS: u64 = 600;

/// Users put on the tenant as a login-time migration would: under their legacy id.
fn migrated_by_login(sim: &Simulator, who: &[String]) {
    let users: Vec<Value> = who
        .iter()
        .map(|legacy| {
            let i: u64 = legacy[1..].parse().expect("an L-number");
            json!({"id": cutover::moving::target::user_id(legacy), "email": email(i),
                "data": {"legacyId": legacy}})
        })
        .collect();
    let url = format!("{}/api/user/import", sim.1);
    let status = common::firebase::block_on(async {
        reqwest::Client::new()
            .post(&url)
            .header("Authorization", "key")
            .header("X-FusionAuth-TenantId", "acme")
            .json(&json!({"users": users, "validateDbConstraints": true}))
            .send()
            .await
            .expect("an import")
            .status()
    });
    assert!(status.is_success());
}

#[test]
fn move_remaining_moves_exactly_the_users_not_yet_on_the_target() {
    let sim = simulator(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_export(&p.join("users.jsonl"), ROWS);
    let landed: Vec<String> = (1..=ROWS)
        .filter(|&i| !unreadable(i) && !duplicate_email(i) && importable("fusionauth", i))
        .map(id)
        .collect();
    let keys = |tenant: &str| {
        format!(
            "url = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"{tenant}\"\n",
            sim.1
        )
    };
    common::write_project(
        p,
        &format!(
            "[project]\nname = \"Tail\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = {}\ngoal = 0.9\nlogin_probability = 0.05\n[segments.move]\nexport = \"users.jsonl\"\ntarget = \"fusionauth\"\nbatch = 40\n{}[segments.move.rehearsal]\n{}",
            landed.len(),
            keys("acme"),
            keys("acme-test")
        ),
    );
    for _ in 0..3 {
        cutover(p)
            .env("FA_KEY", "key")
            .args(["advance", "eu"])
            .assert()
            .success();
    }
    assert!(
        users(&sim, "fusionauth", "acme").is_empty(),
        "a slow segment's cutover moves no one"
    );
    let refused = cutover(p)
        .env("FA_KEY", "key")
        .args(["move", "eu"])
        .output()
        .expect("move");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--remaining"));

    // A third logged in and moved; the rest is the long tail.
    let by_login: Vec<String> = landed.iter().step_by(3).cloned().collect();
    migrated_by_login(&sim, &by_login);
    let tail: BTreeSet<String> = landed
        .iter()
        .filter(|l| !by_login.contains(l))
        .cloned()
        .collect();

    let report =
        json(
            cutover(p)
                .env("FA_KEY", "key")
                .args(["move", "eu", "--remaining", "--json"]),
        );
    assert_eq!(report["created"], tail.len() as u64, "{report}");
    assert_eq!(report["already_present"], 0, "{report}");
    assert_eq!(
        report["skipped"]["on-target"],
        by_login.len() as u64,
        "{report}"
    );
    assert_eq!(report["failed"], json!({}), "{report}");
    let all: BTreeSet<String> = users(&sim, "fusionauth", "acme").into_keys().collect();
    assert_eq!(all, landed.iter().cloned().collect::<BTreeSet<_>>());
    // The reconciliation it started from is in the log.
    let log = json(cutover(p).args(["log", "--json", "--segment", "eu"]));
    let reconciled = log
        .as_array()
        .and_then(|l| l.iter().find(|e| e["kind"] == "reconcile"))
        .unwrap_or_else(|| panic!("a reconcile event: {log}"));
    assert_eq!(
        reconciled["reconciled"]["missing"],
        tail.len() as u64,
        "{reconciled}"
    );

    // A rollback takes back the long tail only.
    let rolled = json(
        cutover(p)
            .env("FA_KEY", "key")
            .args(["rollback", "eu", "--reason", "test", "--json"]),
    );
    assert_eq!(rolled["undo_deletes"], tail.len() as u64, "{rolled}");
    let left: BTreeSet<String> = users(&sim, "fusionauth", "acme").into_keys().collect();
    assert_eq!(left, by_login.into_iter().collect::<BTreeSet<_>>());
}
