//! Canary logins prove the target verifies passwords. Two canaries (rows of the export with
//! PBKDF2 hashes of known passwords) move with their segment into the simulator's FusionAuth,
//! which checks each login against the hash it imported. The canary check passes on the
//! rehearsal's tenant before the gate; in cutover the canary source reads 1 and the guard
//! holds; once the target stops verifying a canary's password (its hash replaced, as a bad
//! re-import would), the guard rolls the segment back after its failing readings. The
//! simulator's Keycloak and Auth0 answer the same canaries through their direct grant and
//! password-realm grant.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use common::vendors::*;
use common::{bin, cutover, fails, json, owner_pid, write_project};
use serde_json::json;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

const PASSWORDS: [(&str, &str); 2] = [
    ("CANARY_ONE", "first-canary-pw"),
    ("CANARY_TWO", "second-canary-pw"),
];

/// `$pbkdf2-sha256$…` of `password`, as a legacy system would store it.
fn pbkdf2(password: &str, salt: &[u8]) -> String {
    let mut key = [0u8; 32];
    let rounds = std::num::NonZeroU32::new(1000).expect("rounds");
    aws_lc_rs::pbkdf2::derive(
        aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256,
        rounds,
        salt,
        password.as_bytes(),
        &mut key,
    );
    format!(
        "$pbkdf2-sha256$i=1000,l=32${}${}",
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(key)
    )
}

/// An export of 20 users, the first two the canaries; every hash PBKDF2-SHA256.
fn export(p: &Path) {
    let mut out = std::fs::File::create(p.join("users.jsonl")).expect("export");
    for i in 1..=20u32 {
        let password = PASSWORDS
            .get(i as usize - 1)
            .map_or("someone-else", |(_, pw)| pw);
        let salt = format!("salt-of-{i}");
        let row = json!({"user_id": format!("legacy-{i}"), "email": format!("user{i}@example.org"),
            "email_verified": true, "password_hash": pbkdf2(password, salt.as_bytes())});
        writeln!(out, "{row}").expect("write");
    }
}

fn project(p: &Path, kind: &str, target: &str, check: &str) {
    write_project(
        p,
        &format!(
            r#"[project]
name = "Canaries"
[[segments]]
id = "eu"
strategy = "big-bang"
size = 20
goal = 0.9
auto_rollback = true
failures_before_rollback = 2
[[segments.canaries]]
login = "user1@example.org"
password = "env:CANARY_ONE"
[[segments.canaries]]
login = "user2@example.org"
password = "env:CANARY_TWO"
[segments.sources.canary]
kind = "canary"
every = "1s"
stale_after = "1m"
[segments.sources.canary_latency]
kind = "canary"
measure = "latency"
every = "1s"
[[segments.gates]]
kind = "canary"
{check}
[segments.move]
export = "users.jsonl"
target = "{kind}"
{target}
"#
        ),
    );
}

/// The simulator's FusionAuth tenant `acme` as the move's target.
fn fusionauth_keys(sim: &Simulator) -> String {
    format!(
        "url = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"acme\"",
        sim.1
    )
}

fn with_env(mut c: assert_cmd::Command) -> assert_cmd::Command {
    c.env("FA_KEY", "key");
    for (var, pw) in PASSWORDS {
        c.env(var, pw);
    }
    c
}

#[test]
fn a_canary_guard_rolls_back_when_the_target_stops_verifying_its_password() {
    let sim = simulator(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    export(p);
    let keys = fusionauth_keys(&sim);
    project(p, "fusionauth", &keys, "");
    with_env(cutover(p)).arg("check").assert().success();
    // The canary gate applies from cutover on: the canaries move with the cutover.
    for _ in 0..3 {
        with_env(cutover(p))
            .args(["advance", "eu"])
            .assert()
            .success();
    }
    assert_eq!(
        users(&sim, "fusionauth", "acme").len(),
        20,
        "every user moved"
    );

    let mut watch = bin(p);
    watch.arg("watch").env("FA_KEY", "key");
    for (var, pw) in PASSWORDS {
        watch.env(var, pw);
    }
    let mut watch = watch
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("watch");
    owner_pid(p, Duration::from_secs(10)).expect("the watch owns the project");
    let reading = |metric: &str| {
        let s = json(cutover(p).args(["status", "--json"]));
        s["segments"][0]["sources"]
            .as_array()
            .and_then(|all| all.iter().find(|x| x["metric"] == metric))
            .and_then(|x| x["value"].as_f64())
    };
    let until = |what: &str, ok: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !ok() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "waited for {what}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    until("the canaries to log in", &|| reading("canary") == Some(1.0));
    assert!(reading("canary_latency").is_some_and(|ms| ms > 0.0));
    std::thread::sleep(Duration::from_secs(3));
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(
        status["segments"][0]["phase"], "cutover",
        "the guard holds while canaries pass"
    );

    // A bad re-import: the target stops verifying the first canary's password.
    change(
        &sim,
        "fusionauth",
        "acme",
        json!({"op": "hash", "legacy": "legacy-1"}),
    );
    until("the guard's rollback", &|| {
        json(cutover(p).args(["status", "--json"]))["segments"][0]["phase"] == "rolled-back"
    });
    let log = json(cutover(p).args(["log", "--json"]));
    let rollback = log
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "rollback" && e["outcome"] == "requested")
        .expect("a rollback event");
    assert_eq!(
        rollback["actor"], "auto",
        "the guard rolled back: {rollback}"
    );
    let _ = watch.kill();
    let _ = watch.wait();
    for secret in ["first-canary-pw", "second-canary-pw"] {
        common::assert_secret_absent(p, secret);
    }
}

/// Move the export into the simulator's `kind` (its keys, with `[segments.move.login]`), then
/// poll the canaries: both log in, and after the second's hash is broken on the target, half.
fn polls_half_once_a_hash_breaks(kind: &str, keys: &str, scope: &str, sim: &Simulator) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    export(p);
    project(p, kind, keys, "");
    with_env(cutover(p)).arg("check").assert().success();
    for _ in 0..3 {
        with_env(cutover(p))
            .args(["advance", "eu"])
            .assert()
            .success();
    }
    let polled = with_env(cutover(p)).arg("poll").output().expect("poll");
    let out = String::from_utf8_lossy(&polled.stdout);
    assert!(out.contains("eu canary = 1"), "{kind}: {out}");
    change(
        sim,
        kind,
        scope,
        json!({"op": "hash", "legacy": "legacy-2"}),
    );
    let polled = with_env(cutover(p)).arg("poll").output().expect("poll");
    let out = String::from_utf8_lossy(&polled.stdout);
    assert!(out.contains("eu canary = 0.5"), "{kind}: {out}");
}

#[test]
fn keycloak_and_auth0_answer_canaries_through_their_own_grants() {
    let sim = simulator(&[]);
    let keycloak = format!(
        "url = \"{}\"\nrealm = \"acme\"\nclient_id = \"cutover\"\nclient_secret = \"env:FA_KEY\"\n[segments.move.login]\nclient_id = \"canary-login\"",
        sim.1
    );
    polls_half_once_a_hash_breaks("keycloak", &keycloak, "acme", &sim);
    let auth0 = format!(
        "domain = \"acme.auth0.com\"\nurl = \"{}\"\ntoken = \"env:FA_KEY\"\nconnection_id = \"con_1\"\n[segments.move.login]\nclient_id = \"canary-login\"\nclient_secret = \"env:FA_KEY\"\nrealm = \"Username-Password-Authentication\"",
        sim.1
    );
    polls_half_once_a_hash_breaks("auth0", &auth0, "con_1", &sim);
}

#[test]
fn a_canary_check_holds_the_test_phase_until_its_canaries_log_in() {
    let sim = simulator(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    export(p);
    let keys = fusionauth_keys(&sim);
    project(
        p,
        "fusionauth",
        &keys,
        "[[segments.checks]]\nkind = \"canary\"",
    );
    let toml = std::fs::read_to_string(p.join("cutover.toml")).expect("project");
    write_project(
        p,
        &toml
            .replace("user1@example.org", "canary-a@example.org")
            .replace("user2@example.org", "canary-b@example.org"),
    );
    with_env(cutover(p))
        .args(["advance", "eu"])
        .assert()
        .success();
    let refused = fails(with_env(cutover(p)).args(["advance", "eu"]));
    assert!(refused.contains("0 of 2 canaries logged in"), "{refused}");
    assert!(
        !refused.contains("canary-a@"),
        "canaries by number, never by login: {refused}"
    );

    // The lead creates the canaries on the target, through FusionAuth's own import.
    let canaries: Vec<serde_json::Value> = PASSWORDS
        .iter()
        .zip(["a", "b"])
        .map(|((_, pw), n)| {
            let hash = pbkdf2(pw, n.as_bytes());
            let key = hash.rsplit('$').next().expect("key");
            let std = |b: &str| base64::engine::general_purpose::STANDARD.encode(STANDARD_NO_PAD.decode(b).expect("b64"));
            json!({"id": format!("00000000-0000-4000-a000-00000000000{}", if n == "a" { 1 } else { 2 }),
                "email": format!("canary-{n}@example.org"), "encryptionScheme": "salted-pbkdf2-hmac-sha256",
                "factor": 1000, "salt": base64::engine::general_purpose::STANDARD.encode(n), "password": std(key),
                "data": {"legacyId": format!("canary-{n}")}})
        })
        .collect();
    let status = common::firebase::block_on(async {
        reqwest::Client::new()
            .post(format!("{}/api/user/import", sim.1))
            .header("Authorization", "key")
            .header("X-FusionAuth-TenantId", "acme")
            .json(&json!({"users": canaries, "validateDbConstraints": true}))
            .send()
            .await
            .expect("the simulator answers")
            .status()
    });
    assert!(status.is_success(), "{status}");
    with_env(cutover(p))
        .args(["advance", "eu"])
        .assert()
        .success();
    let log = json(cutover(p).args(["log", "--json"]));
    let text = log.to_string();
    assert!(text.contains("2 of 2 canaries logged in"), "{text}");
}
