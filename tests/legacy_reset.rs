//! Reset waves after the directory changed: a move from a real `slapd` keeps each user's legacy
//! id in its journal, so `cutover reset` finds the users it carried without a password by id,
//! after users were removed from and added to the directory since (which renumbers everyone
//! after them), and sends each exactly one message; a user who left the directory since is
//! not reachable (no email to send to) and is not counted. The rollback then deletes every
//! user the move created, the one who left included.

mod common;

use common::slapd::{self, PEOPLE, READER, READER_PW, Slapd};
use common::vendors::simulator;
use common::{cutover, json, write_project};
use serde_json::Value;
use std::collections::BTreeSet;

const USERS: u64 = 120;

#[test]
fn resets_reach_exactly_the_users_moved_without_a_password_after_the_directory_changed() {
    let dir = Slapd::start(&slapd::people(USERS, chrono::Utc::now()));
    let sim = simulator(&[]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path();
    write_project(
        p,
        &format!(
            "[project]\nname = \"Resets\"\n[legacy]\nbind_dn = \"{READER}\"\nbind_password = \"env:LDAP_PW\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = {USERS}\ngoal = 0.3\n[segments.reset]\nper_hour = 100000\n[segments.move]\nexport = \"{}\"\ntarget = \"fusionauth\"\nunverifiable = \"without-password\"\nurl = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"acme\"\n",
            dir.url(PEOPLE, "(objectClass=inetOrgPerson)"),
            sim.1
        ),
    );
    let cmd = |args: &[&str]| {
        let mut c = cutover(p);
        c.env("LDAP_PW", READER_PW).env("FA_KEY", "key").args(args);
        c
    };
    for _ in 0..3 {
        cmd(&["advance", "eu"]).assert().success();
    }
    let moved = json(&mut cmd(&["move", "eu", "--json"]));
    // FusionAuth takes the PBKDF2 hashes (every third user); the others, and those without
    // a hash, moved without a password. Every 40th shares the email before it: skipped.
    let without: BTreeSet<u64> = (1..=USERS)
        .filter(|i| i % 40 != 0 && (i % 50 == 0 || i % 3 != 2))
        .collect();
    assert_eq!(moved["without_password"], without.len(), "{moved}");

    // User 3 leaves the directory (everyone after it is numbered one less now), one joins.
    dir.modify(&format!(
        "dn: uid={},{PEOPLE}\nchangetype: delete\n\ndn: uid={},{PEOPLE}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: {}\ncn: New\nsn: New\nmail: new@example.org\n\n",
        slapd::uid(3),
        slapd::uid(USERS + 1),
        slapd::uid(USERS + 1)
    ));

    let report = json(&mut cmd(&["reset", "eu", "--json"]));
    let reachable: BTreeSet<String> = without
        .iter()
        .filter(|&&i| i != 3)
        .map(|&i| cutover::moving::target::user_id(&slapd::uid(i)))
        .collect();
    assert_eq!(report["users"], reachable.len(), "{report}");
    assert_eq!(report["sent"], reachable.len(), "{report}");
    let list: Vec<Value> = common::firebase::block_on(async {
        reqwest::get(format!("{}/sim/target/fusionauth/acme/resets", sim.1))
            .await
            .expect("the simulator answers")
            .json()
            .await
            .expect("resets")
    });
    let got: Vec<String> = list
        .iter()
        .map(|r| r["user"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(got.len(), reachable.len(), "each user once");
    assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), reachable);

    // The rollback finds the move's users by id too, user 3 among them.
    cmd(&["rollback", "eu", "--reason", "drill"])
        .assert()
        .success();
    assert!(common::vendors::users(&sim, "fusionauth", "acme").is_empty());
}
