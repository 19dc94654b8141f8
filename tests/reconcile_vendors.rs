//! `cutover reconcile` against the simulator's FusionAuth, Keycloak, Auth0 and Authgear: after
//! a move, a reconciliation passes; then four changes are planted on the target (a user
//! deleted, a user the export lacks, an email changed, a user moved twice under one legacy id)
//! and the next reconciliation finds exactly those, by legacy id, and nothing else. `done` is
//! refused before any reconciliation and while the latest one fails, and the ids never carry an
//! email.

mod common;

use common::cutover;
use common::vendors::*;
use serde_json::{Value, json};

const ROWS: u64 = 400;

/// The users a move of `rows` into `kind` lands when nothing was on the target before.
fn landed(kind: &str, rows: u64) -> Vec<String> {
    (1..=rows)
        .filter(|&i| !unreadable(i) && !duplicate_email(i) && importable(kind, i))
        .map(id)
        .collect()
}

fn reconcile(p: &std::path::Path, env: (&str, &str)) -> (bool, Value) {
    let out = cutover(p)
        .env(env.0, env.1)
        .args(["reconcile", "eu", "--json"])
        .output()
        .expect("reconcile");
    let body: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "reconcile --json: {e}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), body)
}

fn advance_refused(p: &std::path::Path) -> String {
    let out = cutover(p)
        .args(["advance", "eu"])
        .output()
        .expect("advance");
    assert!(!out.status.success(), "done must be refused");
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// The real target's keys and its rehearsal's (which must be another destination), and the
/// export's rows.
struct Keys<'a> {
    real: &'a str,
    rehearsal: &'a str,
    rows: u64,
}

fn reconcile_finds_what_was_planted(
    kind: &str,
    scope: &str,
    sim: &Simulator,
    keys: Keys<'_>,
    env: (&str, &str),
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_export(&p.join("users.jsonl"), keys.rows);
    let landed = landed(kind, keys.rows);
    let batch = (landed.len() as u64 / 4).clamp(100, 5000);
    project(
        p,
        landed.len() as u64,
        kind,
        batch,
        keys.real,
        keys.rehearsal,
    );
    for _ in 0..2 {
        cutover(p).args(["advance", "eu"]).assert().success();
    }
    cutover(p)
        .env(env.0, env.1)
        .args(["advance", "eu"])
        .assert()
        .success();

    let why = advance_refused(p);
    assert!(why.contains("cutover reconcile eu"), "{why}");

    let (ok, clean) = reconcile(p, env);
    assert!(ok, "{clean}");
    assert_eq!(clean["target_users"], landed.len() as u64, "{clean}");
    assert_eq!(clean["expected"], landed.len() as u64, "{clean}");
    for count in ["missing", "extra", "duplicated", "changed"] {
        assert_eq!(clean[count], 0, "{count}: {clean}");
    }
    assert_eq!(clean["ok"], true, "{clean}");

    // Four changes made on the target since the move.
    let (gone, changed, twice) = (&landed[3], &landed[7], &landed[11]);
    change(sim, kind, scope, json!({"op": "delete", "legacy": gone}));
    change(
        sim,
        kind,
        scope,
        json!({"op": "extra", "legacy": "X-stranger", "email": "stranger@example.net"}),
    );
    if kind == "fusionauth" {
        // Through FusionAuth's own API, as a lead's admin would.
        let url = format!(
            "{}/api/user/{}",
            sim.1,
            cutover::moving::target::user_id(changed)
        );
        let status = common::firebase::block_on(async {
            reqwest::Client::new()
                .patch(&url)
                .header("Authorization", "key")
                .header("X-FusionAuth-TenantId", scope)
                .json(&json!({"user": {"email": "moved.on@example.net"}}))
                .send()
                .await
                .expect("a PATCH")
                .status()
        });
        assert!(status.is_success(), "{status}");
    } else if kind == "auth0" {
        // Through the Management API, as a lead's admin would.
        let url = format!("{}/api/v2/users/auth0%7C{changed}", sim.1);
        let status = common::firebase::block_on(async {
            reqwest::Client::new()
                .patch(&url)
                .bearer_auth("t")
                .json(&json!({"email": "moved.on@example.net"}))
                .send()
                .await
                .expect("a PATCH")
                .status()
        });
        assert!(status.is_success(), "{status}");
    } else {
        change(
            sim,
            kind,
            scope,
            json!({"op": "email", "legacy": changed, "email": "moved.on@example.net"}),
        );
    }
    change(
        sim,
        kind,
        scope,
        json!({"op": "copy", "legacy": twice, "email": "twice@example.net"}),
    );

    let (ok, found) = reconcile(p, env);
    assert!(!ok, "a failing reconciliation exits non-zero: {found}");
    assert_eq!(found["ok"], false, "{found}");
    assert_eq!(found["target_users"], landed.len() as u64 + 1, "{found}");
    assert_eq!(found["missing"], 1, "{found}");
    assert_eq!(found["missing_ids"], json!([gone]), "{found}");
    assert_eq!(found["extra"], 1, "{found}");
    assert_eq!(found["extra_ids"], json!(["X-stranger"]), "{found}");
    assert_eq!(found["changed"], 1, "{found}");
    assert_eq!(found["changed_ids"], json!([changed]), "{found}");
    assert_eq!(found["duplicated"], 1, "{found}");
    assert_eq!(found["duplicated_ids"], json!([twice]), "{found}");
    assert!(
        found["without_password"] == 0 || found["without_password"].is_null(),
        "{found}"
    );
    assert!(!found.to_string().contains("example."), "ids only: {found}");

    let why = advance_refused(p);
    assert!(why.contains("1 missing"), "{why}");

    // The log holds the counts, never an id.
    let log = cutover(p).args(["log", "--json"]).output().expect("log");
    let log = String::from_utf8_lossy(&log.stdout);
    assert!(log.contains("\"reconcile\""), "{log}");
    assert!(!log.contains(gone.as_str()), "{log}");
    assert!(!log.contains("example."), "{log}");
}

#[test]
fn fusionauth_reconciliation_pages_past_the_search_window_and_finds_exactly_what_changed() {
    let sim = simulator(&[]);
    let keys = |tenant: &str| {
        format!(
            "url = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"{tenant}\"",
            sim.1
        )
    };
    let (real, rehearsal) = (keys("acme"), keys("acme-test"));
    reconcile_finds_what_was_planted(
        "fusionauth",
        "acme",
        &sim,
        Keys {
            real: &real,
            rehearsal: &rehearsal,
            // About 12,000 users land: the listing goes past FusionAuth's 10,000 window.
            rows: 24_000,
        },
        ("FA_KEY", "key"),
    );
}

#[test]
fn keycloak_reconciliation_finds_exactly_what_changed() {
    let sim = simulator(&[]);
    let keys = |realm: &str| {
        format!(
            "url = \"{}\"\nrealm = \"{realm}\"\nclient_id = \"cutover\"\nclient_secret = \"env:KC_SECRET\"",
            sim.1
        )
    };
    let (real, rehearsal) = (keys("acme"), keys("acme-test"));
    reconcile_finds_what_was_planted(
        "keycloak",
        "acme",
        &sim,
        Keys {
            real: &real,
            rehearsal: &rehearsal,
            rows: ROWS,
        },
        ("KC_SECRET", "s"),
    );
}

#[test]
fn auth0_reconciliation_reads_an_export_job_and_finds_exactly_what_changed() {
    let (sim, test_tenant) = (simulator(&[]), simulator(&[]));
    let keys = |sim: &Simulator, tenant: &str| {
        format!(
            "domain = \"{tenant}.eu.auth0.com\"\nurl = \"{}\"\ntoken = \"env:A0_TOKEN\"\nconnection_id = \"con_acme\"",
            sim.1
        )
    };
    let (real, rehearsal) = (keys(&sim, "acme"), keys(&test_tenant, "acme-test"));
    reconcile_finds_what_was_planted(
        "auth0",
        "con_acme",
        &sim,
        Keys {
            real: &real,
            rehearsal: &rehearsal,
            rows: ROWS,
        },
        ("A0_TOKEN", "t"),
    );
}

#[test]
fn authgear_reconciliation_pages_graphql_and_finds_exactly_what_changed() {
    let (sim, test_project) = (simulator(&[]), simulator(&[]));
    let dir = tempfile::tempdir().expect("tempdir");
    let pem = rsa_key(dir.path());
    let keys = |sim: &Simulator| {
        format!(
            "url = \"{}\"\nkey_id = \"k1\"\nprivate_key = \"env:AG_KEY\"",
            sim.1
        )
    };
    let (real, rehearsal) = (keys(&sim), keys(&test_project));
    reconcile_finds_what_was_planted(
        "authgear",
        "acme",
        &sim,
        Keys {
            real: &real,
            rehearsal: &rehearsal,
            rows: ROWS,
        },
        ("AG_KEY", &pem),
    );
}
