//! Drift on the live legacy system: after a move from a real `slapd`, users changed or added
//! in the directory are counted by a `drift` source, and its `max_drift` gate holds `done`
//! (as it holds the gate) until they are moved too. A drift source on a file export is
//! refused by `check`.

mod common;

use common::slapd::{self, PEOPLE, READER, READER_PW, Slapd};
use common::vendors::simulator;
use common::{cutover, json, write_project};

const USERS: u64 = 300;

#[test]
fn users_changed_in_the_directory_after_a_move_are_counted_and_hold_done() {
    let dir = Slapd::start(&slapd::people(USERS, chrono::Utc::now()));
    let sim = simulator(&[]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path();
    let url = dir.url(PEOPLE, "(objectClass=inetOrgPerson)");
    write_project(
        p,
        &format!(
            "[project]\nname = \"Drift\"\n[legacy]\nbind_dn = \"{READER}\"\nbind_password = \"env:LDAP_PW\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = {USERS}\ngoal = 0.3\n[segments.sources.drift]\nkind = \"drift\"\n[[segments.gates]]\nkind = \"drift\"\n[segments.move]\nexport = \"{url}\"\ntarget = \"fusionauth\"\nurl = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"acme\"\n",
            sim.1
        ),
    );
    cutover(p).args(["check"]).assert().success();
    let phase = || json(cutover(p).args(["status", "--json"]))["segments"][0]["phase"].clone();
    // Up to the gate; before any move nothing has drifted, so the gate passes and the
    // cutover moves the users.
    while phase() != "cutover" {
        cutover(p)
            .env("LDAP_PW", READER_PW)
            .env("FA_KEY", "key")
            .args(["advance", "eu"])
            .assert()
            .success();
    }
    let moved = json(
        cutover(p)
            .env("LDAP_PW", READER_PW)
            .env("FA_KEY", "key")
            .args(["move", "eu", "--json"]),
    );
    assert_eq!(moved["total"], USERS, "{moved}");
    assert!(moved["started"].is_string(), "{moved}");

    // Three users change their email and two sign up on the legacy system.
    let mut change = String::new();
    for i in [5, 17, 42] {
        change += &format!(
            "dn: uid={},{PEOPLE}\nchangetype: modify\nreplace: mail\nmail: new{i}@example.org\n\n",
            slapd::uid(i)
        );
    }
    for i in [USERS + 1, USERS + 2] {
        change += &format!(
            "dn: uid={},{PEOPLE}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: {}\ncn: New {i}\nsn: {i}\nmail: user{i}@example.org\n\n",
            slapd::uid(i),
            slapd::uid(i)
        );
    }
    dir.modify(&change);

    let out = cutover(p)
        .env("LDAP_PW", READER_PW)
        .env("FA_KEY", "key")
        .args(["advance", "eu"])
        .output()
        .expect("advance");
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "drift must hold done: {said}");
    assert!(
        said.contains("legacy users changed since the move ≤ 0: 5 > max 0"),
        "{said}"
    );
    assert!(said.contains("move them again"), "{said}");
    assert_eq!(phase(), "cutover");
}

#[test]
fn a_drift_source_on_a_file_export_is_refused_by_check() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path();
    write_project(
        p,
        "[project]\nname = \"Drift\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = 10\ngoal = 0.9\n[segments.sources.drift]\nkind = \"drift\"\n[segments.move]\nexport = \"users.jsonl\"\ntarget = \"fusionauth\"\nurl = \"http://127.0.0.1:9\"\napi_key = \"env:FA_KEY\"\ntenant = \"acme\"\n",
    );
    let out = cutover(p).args(["check"]).output().expect("check");
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("a file, which cannot tell who changed"),
        "{said}"
    );

    let text = std::fs::read_to_string(p.join("cutover.toml")).expect("read");
    std::fs::write(
        p.join("cutover.toml"),
        text.replace(
            "kind = \"drift\"\n",
            "kind = \"drift\"\nsince = \"last week\"\n",
        ),
    )
    .expect("write");
    let out = cutover(p).args(["check"]).output().expect("check");
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("since") && said.contains("RFC 3339"),
        "{said}"
    );
}
