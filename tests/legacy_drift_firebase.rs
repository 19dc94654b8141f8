//! Drift moved again on Google's Firebase Authentication emulator: after a move from a real
//! `slapd`, users change on the directory, and `cutover move --changed-since-move` updates
//! exactly them on Firebase. A user this move created is imported again with `allowOverwrite`,
//! carrying a changed password; a user who was on Firebase before the move gets its profile
//! updated and keeps its own password; users who signed up are created; nobody else is touched.

mod common;

use common::firebase::Emulator;
use common::slapd::{self, PEOPLE, READER, READER_PW, Slapd};
use common::{cutover, json, write_project};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const USERS: u64 = 120;

/// Every user on the project, by uid.
fn by_id(emulator: &Emulator) -> BTreeMap<String, Value> {
    emulator
        .users()
        .into_iter()
        .map(|u| (u["localId"].as_str().unwrap_or_default().to_string(), u))
        .collect()
}

#[test]
fn changed_since_move_updates_exactly_the_changed_users_on_firebase() {
    let dir = Slapd::start(&slapd::people(USERS, chrono::Utc::now()));
    let emulator = Emulator::start("drift");
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path();
    let url = dir.url(PEOPLE, "(objectClass=inetOrgPerson)");
    write_project(
        p,
        &format!(
            "[project]\nname = \"Drift\"\n[legacy]\nbind_dn = \"{READER}\"\nbind_password = \"env:LDAP_PW\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = {USERS}\ngoal = 0.3\n[segments.sources.drift]\nkind = \"drift\"\n[[segments.gates]]\nkind = \"drift\"\n[segments.move]\nexport = \"{url}\"\ntarget = \"firebase\"\nproject = \"{}\"\ntoken = \"env:FB_TOKEN\"\nurl = \"{}\"\n",
            emulator.project,
            emulator.url()
        ),
    );
    let run = |args: &[&str]| {
        let out = cutover(p)
            .env("LDAP_PW", READER_PW)
            .env("FB_TOKEN", "owner")
            .args(args)
            .output()
            .expect("run cutover");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    // User 8 is on Firebase before the move, with a password of its own: someone else's.
    emulator.post(
        "accounts:batchCreate",
        &json!({"users": [{"localId": slapd::uid(8), "email": "before8@example.net", "passwordHash": "b3du", "salt": "c2FsdA=="}], "hashAlgorithm": "SHA256", "rounds": 1}),
    );
    for _ in 0..3 {
        run(&["advance", "eu"]);
    }
    let moved = json(
        cutover(p)
            .env("LDAP_PW", READER_PW)
            .env("FB_TOKEN", "owner")
            .args(["move", "eu", "--json"]),
    );
    assert_eq!(moved["already_present"], 1, "{moved}");

    // Users 5 and 8 change their email, user 42 ({SSHA}) its password, two users sign up.
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let new_hash = format!("{{SSHA}}{}", b64.encode([7u8; 24]));
    let mut change = String::new();
    for i in [5, 8] {
        change += &format!(
            "dn: uid={},{PEOPLE}\nchangetype: modify\nreplace: mail\nmail: new{i}@example.org\n\n",
            slapd::uid(i)
        );
    }
    change += &format!(
        "dn: uid={},{PEOPLE}\nchangetype: modify\nreplace: userPassword\nuserPassword:: {}\n\n",
        slapd::uid(42),
        b64.encode(&new_hash)
    );
    for i in [USERS + 1, USERS + 2] {
        change += &format!(
            "dn: uid={},{PEOPLE}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: {}\ncn: New {i}\nsn: {i}\nmail: user{i}@example.org\n\n",
            slapd::uid(i),
            slapd::uid(i)
        );
    }
    dir.modify(&change);
    // The directory keeps change times to the second: the pass starts in a later one.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let before = by_id(&emulator);
    // Counted by the drift source, and held by its gate.
    let out = cutover(p)
        .env("LDAP_PW", READER_PW)
        .env("FB_TOKEN", "owner")
        .args(["advance", "eu"])
        .output()
        .expect("advance");
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("5 > max 0"), "{said}");

    let pass: Value = serde_json::from_str(&run(&["move", "eu", "--changed-since-move", "--json"]))
        .expect("a report");
    assert_eq!(pass["which"], "drift", "{pass}");
    assert_eq!(pass["total"], 5, "{pass}");
    assert_eq!(pass["created"], 2, "{pass}");
    assert_eq!(pass["updated"], 3, "{pass}");
    assert_eq!(pass["failed"], json!({}), "{pass}");

    let after = by_id(&emulator);
    assert_eq!(after.len(), before.len() + 2);
    // Ours, re-imported: the new email; user 42's new hash (the SSHA digest, its salt apart).
    assert_eq!(after[&slapd::uid(5)]["email"], "new5@example.org");
    assert_eq!(
        after[&slapd::uid(42)]["passwordHash"].as_str(),
        Some(b64.encode([7u8; 20]).as_str()),
        "{}",
        after[&slapd::uid(42)]
    );
    assert_ne!(
        after[&slapd::uid(42)]["passwordHash"],
        before[&slapd::uid(42)]["passwordHash"]
    );
    // Someone else's: the profile updated, its own password kept.
    assert_eq!(after[&slapd::uid(8)]["email"], "new8@example.org");
    assert_eq!(after[&slapd::uid(8)]["passwordHash"], "b3du");
    for i in [USERS + 1, USERS + 2] {
        assert_eq!(
            after[&slapd::uid(i)]["email"],
            format!("user{i}@example.org")
        );
    }
    // Nobody else was touched: every other user is as the move left it.
    let touched = [5, 8, 42].map(slapd::uid);
    for (id, u) in &before {
        if !touched.contains(id) {
            assert_eq!(&after[id], u, "{id} must stay as moved");
        }
    }

    // The drift is moved: a drift count from the pass on finds nobody, and the log says so.
    let again: Value =
        serde_json::from_str(&run(&["move", "eu", "--changed-since-move", "--json"]))
            .expect("a report");
    assert_eq!(again["total"], 0, "{again}");
    let log = run(&["log", "--json"]);
    assert!(log.contains("drift move moved"), "{log}");
    assert!(
        !log.contains("new5@example.org"),
        "no email reaches the log"
    );
}
