//! What a rollback would lose: after a move into the simulator's FusionAuth, some users log in
//! on the target, some change their password, some enrol a second factor (one logged in only
//! before the move, which is no change). `rollback --dry-run --json` and the cockpit's
//! rollback dialog (in tmux) give those counts exactly; the default rollback keeps exactly the
//! active users on the target and deletes the rest; `--delete-active` needs a typed
//! confirmation.

mod common;

use common::tmux::Tmux;
use common::vendors::*;
use common::{cutover, json};
use serde_json::json;
use std::collections::BTreeSet;

const ROWS: u64 = 400;

/// A project whose segment `eu` moved `ROWS` rows into the simulator's `kind` (real scope
/// "acme", rehearsal "acme-test", keys from `keys(scope)`, its secret `env`): the project's
/// folder and the legacy ids that landed.
fn moved_into(
    kind: &str,
    keys: impl Fn(&str) -> String,
    env: (&str, &str),
) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_export(&p.join("users.jsonl"), ROWS);
    let landed: Vec<String> = (1..=ROWS)
        .filter(|&i| !unreadable(i) && !duplicate_email(i) && importable(kind, i))
        .map(id)
        .collect();
    project(
        p,
        landed.len() as u64,
        kind,
        50,
        &keys("acme"),
        &keys("acme-test"),
    );
    for _ in 0..2 {
        cutover(p).args(["advance", "eu"]).assert().success();
    }
    cutover(p)
        .env(env.0, env.1)
        .args(["advance", "eu"])
        .assert()
        .success();
    (dir, landed)
}

#[test]
fn a_rollback_says_what_it_would_lose_and_keeps_users_active_since_the_move() {
    let sim = simulator(&[]);
    let keys = |tenant: &str| {
        format!(
            "url = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"{tenant}\"",
            sim.1
        )
    };
    let (dir, landed) = moved_into("fusionauth", keys, ("FA_KEY", "key"));
    let p = dir.path();
    assert_eq!(users(&sim, "fusionauth", "acme").len(), landed.len());

    // Since the move: five log in, four change their password (two of them also logged in),
    // two enrol MFA; one logged in only long before the move.
    let plant = |op: &str, who: &[String]| {
        for legacy in who {
            change(
                &sim,
                "fusionauth",
                "acme",
                json!({"op": op, "legacy": legacy}),
            );
        }
    };
    plant("login", &landed[0..5]);
    plant("password", &landed[3..7]);
    plant("mfa", &landed[10..12]);
    change(
        &sim,
        "fusionauth",
        "acme",
        json!({"op": "login", "legacy": landed[20], "at_ms": 1_000_000_000_000i64}),
    );
    let active: BTreeSet<String> = landed[0..7]
        .iter()
        .chain(&landed[10..12])
        .cloned()
        .collect();

    let delta =
        json(
            cutover(p)
                .env("FA_KEY", "key")
                .args(["rollback", "eu", "--dry-run", "--json"]),
        );
    assert_eq!(delta["segment"], "eu", "{delta}");
    assert_eq!(delta["moved"], landed.len() as u64, "{delta}");
    assert_eq!(delta["logged_in_since"], 5, "{delta}");
    assert_eq!(delta["password_changed_since"], 4, "{delta}");
    assert_eq!(delta["mfa_enrolled_since"], 2, "{delta}");
    assert_eq!(delta["keep"], active.len() as u64, "{delta}");
    assert_eq!(
        delta["delete"],
        (landed.len() - active.len()) as u64,
        "{delta}"
    );
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(
        status["segments"][0]["phase"], "cutover",
        "a dry run does nothing"
    );

    // The cockpit's rollback dialog says the same.
    let tmux = Tmux::server("delta");
    tmux.cockpit_with("c", p, "FA_KEY=key", "");
    tmux.wait_for("c", "the cockpit", |s| s.contains("eu"));
    tmux.keys("c", &["r"]);
    let dialog = tmux.wait_for("c", "the dialog with the delta", |s| {
        s.contains("Roll back eu?") && s.contains("would lose")
    });
    for said in [
        format!("{} users on fusionauth", landed.len()),
        "5 have logged in".to_string(),
        "4 changed their password".to_string(),
        "2 enrolled MFA".to_string(),
        format!("keeps the {} active", active.len()),
    ] {
        assert!(dialog.contains(&said), "{said}: {dialog}");
    }
    tmux.keys("c", &["Escape"]);
    tmux.quit("c");

    // --delete-active without its typed confirmation does nothing.
    let out = cutover(p)
        .env("FA_KEY", "key")
        .args(["rollback", "eu", "--reason", "x", "--delete-active"])
        .output()
        .expect("rollback");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--confirm eu"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The default rollback keeps exactly the active users.
    let rolled = json(
        cutover(p)
            .env("FA_KEY", "key")
            .args(["rollback", "eu", "--reason", "test", "--json"]),
    );
    assert_eq!(
        rolled["undo_deletes"],
        (landed.len() - active.len()) as u64,
        "{rolled}"
    );
    assert_eq!(rolled["undo_keeps"], active.len() as u64, "{rolled}");
    let left: BTreeSet<String> = users(&sim, "fusionauth", "acme").into_keys().collect();
    assert_eq!(left, active);
    let undo = rolled["events"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["kind"] == "move"))
        .unwrap_or_else(|| panic!("the undo's event: {rolled}"));
    assert_eq!(undo["moved"]["kept"], active.len() as u64, "{undo}");
}

#[test]
fn a_keycloak_realm_that_saves_events_says_who_was_active_and_one_that_does_not_says_it_cannot() {
    let sim = simulator(&[]);
    let keys = |realm: &str| {
        format!(
            "url = \"{}\"\nrealm = \"{realm}\"\nclient_id = \"cutover\"\nclient_secret = \"env:KC_SECRET\"",
            sim.1
        )
    };
    let (dir, landed) = moved_into("keycloak", keys, ("KC_SECRET", "s"));
    let p = dir.path();
    let dry_run = || {
        json(
            cutover(p)
                .env("KC_SECRET", "s")
                .args(["rollback", "eu", "--dry-run", "--json"]),
        )
    };
    // No events saved: nothing is known, and a rollback would delete everyone it moved.
    let blind = dry_run();
    assert!(blind["logged_in_since"].is_null(), "{blind}");
    assert_eq!(blind["delete"], landed.len() as u64, "{blind}");

    for (op, who) in [
        ("login", &landed[0..2]),
        ("password", &landed[2..3]),
        ("mfa", &landed[3..4]),
    ] {
        for legacy in who {
            change(
                &sim,
                "keycloak",
                "acme",
                json!({"op": op, "legacy": legacy}),
            );
        }
    }
    let delta = dry_run();
    assert_eq!(delta["logged_in_since"], 2, "{delta}");
    assert_eq!(delta["password_changed_since"], 1, "{delta}");
    assert_eq!(delta["mfa_enrolled_since"], 1, "{delta}");
    assert_eq!(delta["keep"], 4, "{delta}");
    cutover(p)
        .env("KC_SECRET", "s")
        .args(["rollback", "eu", "--reason", "test"])
        .assert()
        .success();
    let left: BTreeSet<String> = users(&sim, "keycloak", "acme").into_keys().collect();
    assert_eq!(left, landed[0..4].iter().cloned().collect::<BTreeSet<_>>());
}
