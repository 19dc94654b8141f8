//! Drift moved again on the simulator's Keycloak and Auth0 (their servers cannot run here; the
//! simulator answers in the shapes of their API references): after a move from a real `slapd`,
//! `cutover move --changed-since-move` updates exactly the users changed in the directory and
//! creates those who signed up; every user already there gets a profile update (neither takes
//! a hash for a user it holds). Authgear, which finds users by email, is refused before
//! anything is read.

mod common;

use common::slapd::{self, PEOPLE, READER, READER_PW, Slapd};
use common::vendors::{self, Simulator, simulator};
use common::{cutover, json, write_project};
use serde_json::Value;
use std::collections::BTreeMap;

const USERS: u64 = 60;

/// The project moving the directory into the simulator's `kind` with `keys`.
fn project(p: &std::path::Path, url: &str, kind: &str, keys: &str) {
    write_project(
        p,
        &format!(
            "[project]\nname = \"Drift\"\n[legacy]\nbind_dn = \"{READER}\"\nbind_password = \"env:LDAP_PW\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = {USERS}\ngoal = 0.3\n[segments.move]\nexport = \"{url}\"\ntarget = \"{kind}\"\n{keys}\n"
        ),
    );
}

/// Move, change users 5 and 17 (email), 8 (email; on the target before the move) and 29 (its
/// password), add two; then the drift pass. Returns the target's users before and after the
/// pass, and the pass's report.
fn drift_pass(
    sim: &Simulator,
    kind: &str,
    scope: &str,
    keys: &str,
    env: (&str, &str),
) -> (BTreeMap<String, Value>, BTreeMap<String, Value>, Value) {
    let dir = Slapd::start(&slapd::people(USERS, chrono::Utc::now()));
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path();
    project(
        p,
        &dir.url(PEOPLE, "(objectClass=inetOrgPerson)"),
        kind,
        keys,
    );
    vendors::put(
        sim,
        kind,
        scope,
        &[(slapd::uid(8), "before8@example.net".to_string())],
    );
    let cmd = |args: &[&str]| {
        let mut c = cutover(p);
        c.env("LDAP_PW", READER_PW).env(env.0, env.1).args(args);
        c
    };
    for _ in 0..3 {
        cmd(&["advance", "eu"]).assert().success();
    }
    let moved = json(&mut cmd(&["move", "eu", "--json"]));
    assert_eq!(moved["already_present"], 1, "{moved}");
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut change = String::new();
    for i in [5, 8, 17] {
        change += &format!(
            "dn: uid={},{PEOPLE}\nchangetype: modify\nreplace: mail\nmail: new{i}@example.org\n\n",
            slapd::uid(i)
        );
    }
    let hash = format!(
        "{{PBKDF2-SHA256}}10000$c2FsdHNhbHRzYWx0c2FsdA${}",
        b64.encode([9u8; 32])
            .trim_end_matches('=')
            .replace('+', ".")
    );
    change += &format!(
        "dn: uid={},{PEOPLE}\nchangetype: modify\nreplace: userPassword\nuserPassword:: {}\n\n",
        slapd::uid(29),
        b64.encode(hash)
    );
    for i in [USERS + 1, USERS + 2] {
        change += &format!(
            "dn: uid={},{PEOPLE}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: {}\ncn: New {i}\nsn: {i}\nmail: user{i}@example.org\n\n",
            slapd::uid(i),
            slapd::uid(i)
        );
    }
    dir.modify(&change);
    let before = vendors::users(sim, kind, scope);
    let pass = json(&mut cmd(&["move", "eu", "--changed-since-move", "--json"]));
    let after = vendors::users(sim, kind, scope);
    (before, after, pass)
}

/// Every user but `changed` is as the move left it; the two who signed up are there.
fn only_changed(
    before: &BTreeMap<String, Value>,
    after: &BTreeMap<String, Value>,
    changed: &[u64],
) {
    let changed: Vec<String> = changed.iter().map(|&i| slapd::uid(i)).collect();
    for (id, u) in before {
        if !changed.contains(id) {
            assert_eq!(&after[id], u, "{id} must stay as moved");
        }
    }
    for id in &changed {
        assert_ne!(after[id], before[id], "{id} must be updated");
    }
    assert_eq!(after.len(), before.len() + 2);
    for i in [USERS + 1, USERS + 2] {
        assert_eq!(
            after[&slapd::uid(i)]["email"],
            format!("user{i}@example.org")
        );
    }
}

#[test]
fn keycloak_updates_the_profile_of_every_user_it_holds() {
    let sim = simulator(&[]);
    let keys = format!(
        "url = \"{}\"\nrealm = \"acme\"\nclient_id = \"cutover\"\nclient_secret = \"env:KC_SECRET\"",
        sim.1
    );
    let (before, after, pass) = drift_pass(&sim, "keycloak", "acme", &keys, ("KC_SECRET", "s"));
    assert_eq!(pass["total"], 6, "{pass}");
    assert_eq!(pass["created"], 2, "{pass}");
    assert_eq!(pass["updated"], 4, "{pass}");
    assert_eq!(pass["failed"], serde_json::json!({}), "{pass}");
    // Keycloak takes no hash for a user it holds: user 29 (only its password changed) is
    // updated with the profile it already had, and keeps the credentials it moved with.
    only_changed(&before, &after, &[5, 8, 17]);
    assert_eq!(after[&slapd::uid(29)], before[&slapd::uid(29)]);
    for i in [5, 8, 17] {
        assert_eq!(
            after[&slapd::uid(i)]["email"],
            format!("new{i}@example.org")
        );
    }
    // User 8 is someone else's: its username stays.
    assert_eq!(after[&slapd::uid(8)]["username"], "before8@example.net");
}

#[test]
fn auth0_updates_the_profile_of_every_user_it_holds() {
    let sim = simulator(&[]);
    let keys = format!(
        "domain = \"acme.eu.auth0.com\"\nurl = \"{}\"\ntoken = \"env:A0_TOKEN\"\nconnection_id = \"con_acme\"",
        sim.1
    );
    let (before, after, pass) = drift_pass(&sim, "auth0", "con_acme", &keys, ("A0_TOKEN", "t"));
    assert_eq!(pass["total"], 6, "{pass}");
    assert_eq!(pass["created"], 2, "{pass}");
    assert_eq!(pass["updated"], 4, "{pass}");
    // Auth0 stamps every update, user 29's too (its hash cannot change there).
    only_changed(&before, &after, &[5, 8, 17, 29]);
    for i in [5, 8, 17] {
        assert_eq!(
            after[&slapd::uid(i)]["email"],
            format!("new{i}@example.org")
        );
    }
}

#[test]
fn authgear_is_refused_before_anything_is_read() {
    let sim = simulator(&[]);
    let dir = Slapd::start(&slapd::people(10, chrono::Utc::now()));
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path();
    let key = vendors::rsa_key(p);
    std::fs::write(p.join("key.pem"), &key).expect("write");
    project(
        p,
        &dir.url(PEOPLE, "(objectClass=inetOrgPerson)"),
        "authgear",
        &format!(
            "url = \"{}\"\nkey_id = \"test\"\nprivate_key = \"env:AG_KEY\"",
            sim.1
        ),
    );
    let cmd = |args: &[&str]| {
        let mut c = cutover(p);
        c.env("LDAP_PW", READER_PW).env("AG_KEY", &key).args(args);
        c
    };
    for _ in 0..3 {
        cmd(&["advance", "eu"]).assert().success();
    }
    let out = cmd(&["move", "eu", "--changed-since-move"])
        .output()
        .expect("move");
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("finds users by their email"), "{said}");
}
