//! `cutover reconcile` against Google's Firebase Authentication emulator: after a move of
//! 3,000 rows the reconciliation passes (users listed with `accounts:batchGet` page tokens,
//! every moved user with its password), then four changes made through the emulator's own API
//! (a user deleted, a user the export lacks, an email changed, a second user carrying a moved
//! user's legacy id) are found exactly, by legacy id, and `done` is refused.

mod common;

use common::cutover;
use common::firebase::Emulator;
use common::moving::*;
use serde_json::{Value, json};

const ROWS: u64 = 3_000;

fn reconcile(p: &std::path::Path) -> (bool, Value) {
    let out = cutover(p)
        .env("FB_TOKEN", "owner")
        .args(["reconcile", "eu", "--json"])
        .output()
        .expect("reconcile");
    let body = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "reconcile --json: {e}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), body)
}

#[test]
fn reconcile_with_the_emulator_finds_exactly_what_changed_after_a_move() {
    let emulator = Emulator::start("reconcile");
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_export(&p.join("users.jsonl"), ROWS);
    let landed: Vec<String> = expected_ids(ROWS).into_iter().collect();
    project(p, &emulator, landed.len() as u64, 1000);
    for _ in 0..2 {
        cutover(p).args(["advance", "eu"]).assert().success();
    }
    cutover(p)
        .env("FB_TOKEN", "owner")
        .args(["advance", "eu"])
        .assert()
        .success();

    let (ok, clean) = reconcile(p);
    assert!(ok, "{clean}");
    assert_eq!(clean["target_users"], landed.len() as u64, "{clean}");
    for count in [
        "missing",
        "extra",
        "duplicated",
        "changed",
        "without_password",
    ] {
        assert_eq!(clean[count], 0, "{count}: {clean}");
    }

    let (gone, changed, twice) = (&landed[3], &landed[7], &landed[11]);
    emulator.post("accounts:delete", &json!({"localId": gone}));
    emulator.post(
        "accounts:update",
        &json!({"localId": changed, "email": "moved.on@example.net"}),
    );
    let claims = |legacy: &str| json!({ "legacyId": legacy }).to_string();
    emulator.post(
        "accounts:batchCreate",
        &json!({"users": [
            {"localId": "X-stranger", "email": "stranger@example.net", "customAttributes": claims("X-stranger")},
            {"localId": "imported-again", "email": "twice@example.net", "customAttributes": claims(twice)},
        ]}),
    );

    let (ok, found) = reconcile(p);
    assert!(!ok, "{found}");
    assert_eq!(found["missing_ids"], json!([gone]), "{found}");
    assert_eq!(found["extra_ids"], json!(["X-stranger"]), "{found}");
    assert_eq!(found["changed_ids"], json!([changed]), "{found}");
    assert_eq!(found["duplicated_ids"], json!([twice]), "{found}");
    for count in ["missing", "extra", "duplicated", "changed"] {
        assert_eq!(found[count], 1, "{count}: {found}");
    }
    assert_eq!(found["without_password"], 0, "{found}");
    assert!(!found.to_string().contains("example."), "{found}");

    let refused = cutover(p)
        .args(["advance", "eu"])
        .output()
        .expect("advance");
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("1 missing"), "{why}");
}
