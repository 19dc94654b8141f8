//! Moves into the simulator's FusionAuth and Keycloak, under the faults their APIs are known
//! for: 429s with `Retry-After`, a 504 after the import was done, a connection cut after the
//! import, and (Keycloak) admin tokens that expire and are revoked mid-run. Each move lands
//! exactly the users the compatibility table lets the target verify, under their legacy ids
//! and in the target's own hash form; users there before are counted as already present, a user
//! whose email someone else holds fails with the target's code; the report's counts equal the
//! planted ones; nothing personal is kept; and a rollback leaves the target as it was.

mod common;

use common::vendors::*;
use common::{cutover, json};
use serde_json::Value;

const ROWS: u64 = 3_000;

/// Move into `kind` under faults, check every user, roll back.
/// One target's case: its kind, batch, scope, the simulators of the real move and of its
/// rehearsal, the connection keys of each, and the secret's variable and value.
struct Case<'a> {
    kind: &'a str,
    batch: u64,
    scope: &'a str,
    sim: &'a Simulator,
    rehearsal_sim: &'a Simulator,
    keys: &'a str,
    rehearsal: &'a str,
    env: (&'a str, &'a str),
}

fn move_and_roll_back(case: Case<'_>) {
    let Case {
        kind,
        batch,
        scope,
        sim,
        rehearsal_sim,
        keys,
        rehearsal,
        env,
    } = case;
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_export(&p.join("users.jsonl"), ROWS);
    project(p, ROWS, kind, batch, keys, rehearsal);
    plant(sim, kind, scope);
    let before = users(sim, kind, scope);
    assert_eq!(before.len(), 11);

    cutover(p).args(["advance", "eu"]).assert().success();
    // A rehearsal into the test tenant or realm measures the move and deletes what it created.
    let rehearsal_scope = format!("{scope}-test");
    let rehearsed = json(
        cutover(p)
            .env(env.0, env.1)
            .args(["move", "eu", "--rehearse", "--json"]),
    );
    let moved = expected(kind, ROWS).len() as u64 + 1;
    assert_eq!(rehearsed["created"], moved, "{rehearsed}");
    assert_eq!(rehearsed["deleted"], moved, "{rehearsed}");
    assert!(users(rehearsal_sim, kind, &rehearsal_scope).is_empty());
    cutover(p).args(["advance", "eu"]).assert().success();
    let out = cutover(p)
        .env(env.0, env.1)
        .args(["move", "eu", "--json"])
        .output()
        .expect("move");
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{said}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");

    let expected = expected(kind, ROWS);
    let present_before = (101..=110).filter(|&i| importable(kind, i)).count() as u64;
    assert_eq!(report["already_present"], present_before, "{report}");
    assert_eq!(
        report["created"],
        expected.len() as u64 - present_before,
        "{report}"
    );
    let code = match kind {
        "fusionauth" => "[duplicate]user.email",
        "auth0" => "DUPLICATED_USER",
        "authgear" => "SKIPPED_RECORD",
        _ => "SKIPPED_EXISTS",
    };
    assert_eq!(report["failed"], serde_json::json!({ code: 1 }), "{report}");
    assert_eq!(
        report["skipped"]["unreadable"],
        planted(ROWS, unreadable),
        "{report}"
    );
    assert_eq!(
        report["skipped"]["duplicate-email"],
        planted(ROWS, duplicate_email),
        "{report}"
    );
    assert_eq!(
        report["skipped"]["unverifiable"].as_u64().unwrap_or(0),
        unverifiable(kind, ROWS),
        "{report}"
    );

    // Exactly the expected users, once each, with the hash in the target's form.
    let after = users(sim, kind, scope);
    let mut want: std::collections::BTreeSet<String> = expected.clone();
    want.extend(before.keys().cloned());
    assert_eq!(
        after
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        want
    );
    for i in (1..=ROWS).filter(|i| expected.contains(&id(*i)) && !already_there(*i)) {
        let u = &after[&id(i)];
        if kind == "auth0" {
            assert_eq!(u["user_id"], format!("auth0|{}", id(i)), "{u}");
        } else if kind == "authgear" {
            assert_eq!(u["custom_attributes"]["legacy_id"], id(i), "{u}");
        } else {
            assert_eq!(u["id"], cutover::moving::target::user_id(&id(i)), "{u}");
        }
        assert_eq!(
            u["email"].as_str().map(str::to_lowercase),
            Some(email(i)),
            "{u}"
        );
        check_hash(kind, i, u);
    }

    // Nothing personal in the report, the log or the state.
    let log = cutover(p).args(["log", "--json"]).output().expect("log");
    for text in [
        String::from_utf8_lossy(&log.stdout).to_string(),
        report.to_string(),
        said,
    ] {
        assert!(!text.contains("example.org"), "{text}");
        assert!(!text.contains("c2FsdHNhbHQ"), "{text}");
    }
    common::assert_secret_absent(&p.join(".cutover"), "example.org");

    // The rollback deletes exactly what the move created.
    let rolled = json(
        cutover(p)
            .env(env.0, env.1)
            .args(["rollback", "eu", "--reason", "test", "--json"]),
    );
    assert_eq!(rolled["undo_deletes"], report["created"], "{rolled}");
    assert_eq!(users(sim, kind, scope), before);
}

fn check_hash(kind: &str, i: u64, u: &Value) {
    if no_hash(i) {
        match kind {
            "keycloak" => assert_eq!(u["requiredActions"][0], "UPDATE_PASSWORD", "{u}"),
            "auth0" => assert!(u.get("custom_password_hash").is_none(), "{u}"),
            "authgear" => assert!(u.get("password").is_none(), "{u}"),
            _ => assert!(u.get("password").is_none(), "{u}"),
        }
        return;
    }
    match (kind, kind_of(i)) {
        ("authgear", _) => {
            assert_eq!(u["password"]["type"], "bcrypt", "{u}");
            assert_eq!(u["password"]["password_hash"], bcrypt(i), "{u}");
        }
        ("auth0", k) => {
            let want = ["bcrypt", "pbkdf2", "argon2", "sha512"][k as usize];
            assert_eq!(u["custom_password_hash"]["algorithm"], want, "{u}");
            if k == 0 {
                assert_eq!(u["custom_password_hash"]["hash"]["value"], bcrypt(i), "{u}");
            }
        }
        ("fusionauth", 0) => {
            let b = bcrypt(i);
            assert_eq!(u["encryptionScheme"], "bcrypt", "{u}");
            assert_eq!(u["factor"], 10, "{u}");
            assert_eq!(u["salt"], b[7..29], "{u}");
            assert_eq!(u["password"], b[29..], "{u}");
        }
        ("fusionauth", _) => {
            assert_eq!(u["encryptionScheme"], "salted-pbkdf2-hmac-sha256", "{u}");
            assert_eq!(u["factor"], 27500, "{u}");
        }
        (_, k) => {
            let data: Value = serde_json::from_str(
                u["credentials"][0]["credentialData"]
                    .as_str()
                    .expect("credentialData"),
            )
            .expect("JSON");
            let want = if k == 1 { "pbkdf2-sha256" } else { "argon2" };
            assert_eq!(data["algorithm"], want, "{u}");
        }
    }
}

fn kind_of(i: u64) -> u64 {
    kind(i)
}

#[test]
fn fusionauth_under_429s_a_504_and_a_cut_connection_lands_every_user_once() {
    let sim = simulator(&[
        "--target-fault",
        "429@4",
        "--target-fault",
        "504@3",
        "--target-fault",
        "cut@5",
    ]);
    let keys = format!(
        "url = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"acme\"",
        sim.1
    );
    let rehearsal = format!(
        "url = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"acme-test\"",
        sim.1
    );
    move_and_roll_back(Case {
        kind: "fusionauth",
        batch: 500,
        scope: "acme",
        sim: &sim,
        rehearsal_sim: &sim,
        keys: &keys,
        rehearsal: &rehearsal,
        env: ("FA_KEY", "key"),
    });
}

#[test]
fn keycloak_with_tokens_that_expire_and_are_revoked_lands_every_user_once() {
    // Tokens live 2 s and imports are paced (500 users in about 0.8 s), so the move outlives
    // several; every third import finds its token revoked.
    let sim = simulator(&[
        "--token-ttl",
        "2",
        "--import-rate",
        "600",
        "--target-fault",
        "expire@3",
        "--target-fault",
        "429@4",
        "--target-fault",
        "cut@5",
    ]);
    let keys = format!(
        "url = \"{}\"\nrealm = \"acme\"\nclient_id = \"cutover\"\nclient_secret = \"env:KC_SECRET\"",
        sim.1
    );
    let rehearsal = format!(
        "url = \"{}\"\nrealm = \"acme-test\"\nclient_id = \"cutover\"\nclient_secret = \"env:KC_SECRET\"",
        sim.1
    );
    move_and_roll_back(Case {
        kind: "keycloak",
        batch: 500,
        scope: "acme",
        sim: &sim,
        rehearsal_sim: &sim,
        keys: &keys,
        rehearsal: &rehearsal,
        env: ("KC_SECRET", "s"),
    });
}

#[test]
fn auth0_with_failing_jobs_429s_and_lost_answers_lands_every_user_once() {
    // One batch of 3,000 users goes out as two job files under 500 KB, two jobs at a time;
    // every third job fails as a whole, and jobs are paced so that a lost answer's job is
    // still running when the next is asked for (a third running job is answered 429).
    let sim = simulator(&[
        "--import-rate",
        "4000",
        "--target-fault",
        "fail@3",
        "--target-fault",
        "429@4",
        "--target-fault",
        "cut@5",
        "--target-fault",
        "504@7",
    ]);
    let keys = format!(
        "domain = \"acme.eu.auth0.com\"\nurl = \"{}\"\ntoken = \"env:A0_TOKEN\"\nconnection_id = \"con_acme\"",
        sim.1
    );
    // Auth0's user ids are unique across a tenant's connections: the rehearsal goes to a test
    // tenant of its own.
    let test_tenant = simulator(&[]);
    let rehearsal = format!(
        "domain = \"acme-test.eu.auth0.com\"\nurl = \"{}\"\ntoken = \"env:A0_TOKEN\"\nconnection_id = \"con_acme-test\"",
        test_tenant.1
    );
    move_and_roll_back(Case {
        kind: "auth0",
        batch: 3000,
        scope: "con_acme",
        sim: &sim,
        rehearsal_sim: &test_tenant,
        keys: &keys,
        rehearsal: &rehearsal,
        env: ("A0_TOKEN", "t"),
    });
}

#[test]
fn authgear_with_failing_tasks_and_lost_answers_lands_every_user_once() {
    // Tasks are asynchronous and paced; every third fails as a whole, every fourth start is
    // answered 429 and every fifth is cut after the task was made. cutover signs its own
    // Admin API JWT with a fresh RSA key.
    let sim = simulator(&[
        "--import-rate",
        "4000",
        "--target-fault",
        "fail@3",
        "--target-fault",
        "429@4",
        "--target-fault",
        "cut@5",
    ]);
    let test_project = simulator(&[]);
    let keys = format!(
        "url = \"{}\"\nkey_id = \"k1\"\nprivate_key = \"env:AG_KEY\"",
        sim.1
    );
    let rehearsal = format!(
        "url = \"{}\"\nkey_id = \"k1\"\nprivate_key = \"env:AG_KEY\"",
        test_project.1
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let key = rsa_key(dir.path());
    move_and_roll_back(Case {
        kind: "authgear",
        batch: 1000,
        scope: "acme",
        sim: &sim,
        rehearsal_sim: &test_project,
        keys: &keys,
        rehearsal: &rehearsal,
        env: ("AG_KEY", &key),
    });
}
