//! Drift on the live legacy system: after a move from a real `slapd`, users changed or added
//! in the directory are counted by a `drift` source, and its `max_drift` gate holds `done`
//! (as it holds the gate) until they are moved too, which `cutover move --changed-since-move`
//! does; a rollback then takes back what the move and the pass created. A drift source on a
//! file export is refused by `check`.

mod common;

use common::slapd::{self, PEOPLE, READER, READER_PW, Slapd};
use common::vendors::{self, simulator};
use common::{cutover, json, write_project};
use std::collections::BTreeSet;

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

    // Three users change their email and two sign up on the legacy system (users whose
    // hashes FusionAuth takes: PBKDF2, or none).
    let mut change = String::new();
    for i in [5, 17, 50] {
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

    // The directory keeps change times to the second: the pass starts in a later one than the
    // changes, so none of them is counted again after it.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let before = vendors::users(&sim, "fusionauth", "acme");
    let run = |args: &[&str]| {
        json(
            cutover(p)
                .env("LDAP_PW", READER_PW)
                .env("FA_KEY", "key")
                .args(args),
        )
    };
    let pass = run(&["move", "eu", "--changed-since-move", "--json"]);
    assert_eq!(pass["which"], "drift", "{pass}");
    assert_eq!(pass["state"], "moved", "{pass}");
    assert_eq!(pass["total"], 5, "only the changed users are read: {pass}");
    assert_eq!(pass["created"], 2, "{pass}");
    assert_eq!(pass["updated"], 3, "{pass}");
    assert_eq!(pass["failed"], serde_json::json!({}), "{pass}");

    // Exactly the three changed users were updated (FusionAuth stamps an update), with their
    // new emails; the two who signed up are there; nobody else was touched.
    let after = vendors::users(&sim, "fusionauth", "acme");
    assert_eq!(after.len(), before.len() + 2);
    let stamped: BTreeSet<&str> = after
        .iter()
        .filter(|(_, u)| u["lastUpdateInstant"].is_i64())
        .map(|(id, _)| id.as_str())
        .collect();
    let changed: Vec<String> = [5, 17, 50].iter().map(|&i| slapd::uid(i)).collect();
    assert_eq!(
        stamped,
        changed.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
    for i in [5, 17, 50] {
        assert_eq!(
            after[&slapd::uid(i)]["email"],
            format!("new{i}@example.org")
        );
    }
    for i in [USERS + 1, USERS + 2] {
        assert_eq!(
            after[&slapd::uid(i)]["email"],
            format!("user{i}@example.org")
        );
    }
    for (id, u) in &before {
        if !changed.contains(id) {
            assert_eq!(&after[id], u, "{id} was not changed and must stay as moved");
        }
    }

    // The segment's users on the target: what the move left and what the pass created.
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["migrated"], after.len(), "{status}");

    // Nothing changed since the pass: the next pass reads no one, and the drift gate lets
    // `done` through.
    let again = run(&["move", "eu", "--changed-since-move", "--json"]);
    assert_eq!(again["total"], 0, "{again}");
    let out = cutover(p)
        .env("LDAP_PW", READER_PW)
        .env("FA_KEY", "key")
        .args(["advance", "eu"])
        .output()
        .expect("advance");
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !said.contains("legacy users changed since the move"),
        "{said}"
    );

    // A rollback takes back what the move and the pass created alike; its preview says so.
    let delta = run(&["rollback", "eu", "--dry-run", "--json"]);
    assert_eq!(delta["moved"], after.len(), "{delta}");
    assert_eq!(delta["delete"], after.len(), "{delta}");
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(
        status["segments"][0]["move"]["drift_created"], 2,
        "{status}"
    );
    rolled_back_to_nobody(p, &sim);
}

/// A drift pass killed with a batch in flight: the journal holds the batch's users and what
/// the target had before, and the target got one of its two new users before the kill.
#[test]
fn a_drift_pass_cut_short_resumes_without_sending_anyone_twice() {
    use cutover::moving::journal::{Header, Journal, Record, State, Which};
    let dir = Slapd::start(&slapd::people(60, chrono::Utc::now()));
    let sim = simulator(&[]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path();
    let url = dir.url(PEOPLE, "(objectClass=inetOrgPerson)");
    write_project(
        p,
        &format!(
            "[project]\nname = \"Drift\"\n[legacy]\nbind_dn = \"{READER}\"\nbind_password = \"env:LDAP_PW\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = 60\ngoal = 0.3\n[segments.move]\nexport = \"{url}\"\ntarget = \"fusionauth\"\nurl = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"acme\"\n",
            sim.1
        ),
    );
    let run = |args: &[&str]| {
        json(
            cutover(p)
                .env("LDAP_PW", READER_PW)
                .env("FA_KEY", "key")
                .args(args),
        )
    };
    for _ in 0..3 {
        cutover(p)
            .env("LDAP_PW", READER_PW)
            .env("FA_KEY", "key")
            .args(["advance", "eu"])
            .assert()
            .success();
    }
    let moved = run(&["move", "eu", "--json"]);
    dir.modify(&format!(
        "dn: uid={},{PEOPLE}\nchangetype: modify\nreplace: mail\nmail: new5@example.org\n\n{}{}",
        slapd::uid(5),
        signup(61),
        signup(62)
    ));
    std::thread::sleep(std::time::Duration::from_millis(1100));

    // The pass as a kill left it: its batch of the two new users journaled, no answer kept,
    // and user 61 imported by the send whose answer was lost.
    {
        let store = cutover::store::Store::open(&p.join(".cutover")).expect("store");
        let samples = cutover::store::Storage::samples(&store).clone();
        let drift = Journal::new(samples, "eu", Which::Drift);
        let started = chrono::DateTime::parse_from_rfc3339(moved["started"].as_str().expect("t"))
            .expect("a time")
            .with_timezone(&chrono::Utc);
        drift
            .set_header(&Header {
                run: 1,
                state: State::Moving,
                export_sha256: String::new(),
                batch: 1000,
                started: chrono::Utc::now(),
                seconds: 0.0,
                rows: 0,
                skipped: Default::default(),
                without_password: 0,
                moving: 0,
                kept: 0,
                since: Some(started),
            })
            .expect("header");
        let record = Record {
            lines: vec![2, 3],
            present: vec![false, false],
            ids: Some(vec![slapd::uid(61), slapd::uid(62)]),
            ..Record::default()
        };
        drift.set_record(1, 0, &record).expect("record");
        drift.flush().expect("flush");
    }
    common::firebase::block_on(async {
        let user = serde_json::json!({"id": cutover::moving::target::user_id(&slapd::uid(61)), "email": "user61@example.org", "data": {"legacyId": slapd::uid(61)}});
        let answer = reqwest::Client::new()
            .post(format!("{}/api/user/import", sim.1))
            .header("Authorization", "key")
            .header("X-FusionAuth-TenantId", "acme")
            .json(&serde_json::json!({"users": [user], "validateDbConstraints": true}))
            .send()
            .await
            .expect("an import");
        assert_eq!(answer.status().as_u16(), 200);
    });

    // The resume: 61 counts as created by the pass (not sent again: FusionAuth would refuse
    // a duplicate), 62 is sent, 5 updated.
    let pass = run(&["move", "eu", "--changed-since-move", "--json"]);
    assert_eq!(pass["created"], 2, "{pass}");
    assert_eq!(pass["updated"], 1, "{pass}");
    assert_eq!(pass["failed"], serde_json::json!({}), "{pass}");
    let users = vendors::users(&sim, "fusionauth", "acme");
    assert!(users.contains_key(&slapd::uid(61)) && users.contains_key(&slapd::uid(62)));
    assert_eq!(users[&slapd::uid(5)]["email"], "new5@example.org");
    // The journal holds every user once, each with an answer: the batch in flight was settled
    // (61 created there), not left open beside a second send.
    {
        let store = cutover::store::Store::open(&p.join(".cutover")).expect("store");
        let samples = cutover::store::Storage::samples(&store).clone();
        let records = Journal::new(samples, "eu", Which::Drift)
            .records(1)
            .expect("records");
        assert!(records.iter().all(|(_, r)| r.outcomes.is_some()));
        let mut ids: Vec<String> = records
            .iter()
            .flat_map(|(_, r)| r.ids.clone().unwrap_or_default())
            .collect();
        ids.sort();
        let mut want = vec![slapd::uid(5), slapd::uid(61), slapd::uid(62)];
        want.sort();
        assert_eq!(ids, want);
    }

    // Both are the pass's: the rollback takes them back with the move's users.
    rolled_back_to_nobody(p, &sim);
}

/// Roll `eu` back, and find the simulator's FusionAuth empty: the move's users and the
/// drift passes' alike taken back.
fn rolled_back_to_nobody(p: &std::path::Path, sim: &common::vendors::Simulator) {
    let out = cutover(p)
        .env("LDAP_PW", READER_PW)
        .env("FA_KEY", "key")
        .args(["rollback", "eu", "--reason", "drill"])
        .output()
        .expect("rollback");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(vendors::users(sim, "fusionauth", "acme").len(), 0);
}

/// An LDIF add of a user who signed up on the legacy system.
fn signup(i: u64) -> String {
    format!(
        "dn: uid={},{PEOPLE}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: {}\ncn: New {i}\nsn: {i}\nmail: user{i}@example.org\n\n",
        slapd::uid(i),
        slapd::uid(i)
    )
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
