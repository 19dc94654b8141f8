//! Moving users into Google's Firebase Authentication emulator (npm `firebase-tools`): a
//! 20,000-user export with planted problems lands exactly (each user under its legacy id, with
//! its hash in the form its scheme imports as), the report's counts are the planted ones, a
//! rollback leaves the project exactly as it was, and no email or hash reaches the state, the
//! log or the output.

mod common;

use common::firebase::Emulator;
use common::moving::*;
use common::{cutover, json};
use serde_json::json;
use std::collections::BTreeSet;

#[test]
fn a_planted_export_moves_exactly_and_a_rollback_takes_back_only_what_it_created() {
    let emulator = Emulator::start("move");
    let dir = tempfile::tempdir().expect("test setup");
    let p = dir.path();
    write_export(&p.join("users.jsonl"), USERS);
    project(p, &emulator, USERS, 1000);
    plant_existing(&emulator);
    let before = by_id(&emulator);
    assert_eq!(before.len(), 10);

    for _ in 0..2 {
        cutover(p).args(["advance", "eu"]).assert().success();
    }
    // gate → cutover runs the move, then (no hook) reaches cutover.
    let advanced = cutover(p)
        .env("FB_TOKEN", "owner")
        .args(["advance", "eu"])
        .output()
        .expect("test setup");
    let said = String::from_utf8_lossy(&advanced.stdout).to_string()
        + &String::from_utf8_lossy(&advanced.stderr);
    assert!(advanced.status.success(), "{said}");
    assert!(said.contains("move: ok"), "{said}");

    // The report: every planted problem counted as planted.
    let report = json(
        cutover(p)
            .env("FB_TOKEN", "owner")
            .args(["move", "eu", "--json"]),
    );
    let planted = |f: fn(u64) -> bool| (1..=USERS).filter(|&i| f(i)).count() as u64;
    let skipped = planted(unreadable) + planted(duplicate_email) + planted(unverifiable);
    assert_eq!(report["total"], USERS);
    assert_eq!(report["already_present"], 10);
    assert_eq!(report["created"], USERS - skipped - 10);
    assert_eq!(report["without_password"], planted(no_hash));
    assert_eq!(report["skipped"]["unreadable"], planted(unreadable));
    assert_eq!(
        report["skipped"]["duplicate-email"],
        planted(duplicate_email)
    );
    assert_eq!(report["skipped"]["unverifiable"], planted(unverifiable));
    assert_eq!(report["failed"], json!({}));
    assert!(report["seconds"].as_f64().expect("seconds") > 0.0);

    // The target: exactly the expected users, each under its legacy id, hashes as imported.
    let after = by_id(&emulator);
    let expected: BTreeSet<String> = (1..=USERS)
        .filter(|&i| !unreadable(i) && !duplicate_email(i) && !unverifiable(i))
        .map(id)
        .collect();
    assert_eq!(after.keys().cloned().collect::<BTreeSet<_>>(), expected);
    for i in (1..=USERS).filter(|&i| expected.contains(&id(i)) && !already_there(i)) {
        let u = &after[&id(i)];
        let (hash, salt) = expected_hash(i);
        assert_eq!(
            u["passwordHash"].as_str().map(str::to_string),
            hash,
            "user {i}"
        );
        assert_eq!(u["salt"].as_str().map(str::to_string), salt, "user {i}");
        assert_eq!(u["email"], format!("user{i}@example.org"), "user {i}");
        assert_eq!(u["emailVerified"], i % 3 != 0, "user {i}");
    }
    for i in (1..=USERS).filter(|&i| already_there(i)) {
        assert_eq!(
            after[&id(i)],
            before[&id(i)],
            "a user there before is untouched"
        );
    }
    // The segment's migrated count is the users on the target.
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "cutover", "{status}");
    assert_eq!(
        status["segments"][0]["migrated"].as_f64(),
        Some((USERS - skipped) as f64),
        "{status}"
    );

    // A rollback says what it will delete, then deletes exactly what the move created.
    let rolled = json(
        cutover(p)
            .env("FB_TOKEN", "owner")
            .args(["rollback", "eu", "--reason", "test", "--json"]),
    );
    assert_eq!(rolled["undo_deletes"], report["created"], "{rolled}");
    let undo = rolled["events"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["kind"] == "move"))
        .unwrap_or_else(|| panic!("the undo's move event: {rolled}"));
    assert_eq!(undo["moved"]["deleted"], report["created"], "{undo}");
    assert_eq!(by_id(&emulator), before);

    // Nothing personal at rest or in any output.
    let log = cutover(p)
        .args(["log", "--json"])
        .output()
        .expect("test setup");
    for text in [
        String::from_utf8_lossy(&log.stdout).to_string(),
        report.to_string(),
        said,
    ] {
        assert!(!text.contains("example.org"), "{text}");
        assert!(!text.contains("$2b$"), "{text}");
    }
    common::assert_secret_absent(&p.join(".cutover"), "example.org");
    common::assert_secret_absent(&p.join(".cutover"), "Example.org");
    common::assert_secret_absent(&p.join(".cutover"), &bcrypt(3)[7..30]);
}

#[test]
fn a_rehearsal_predicts_the_real_move_and_leaves_its_project_as_it_was() {
    let emulator = Emulator::start("rehearse");
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_export(&p.join("users.jsonl"), USERS);
    project(p, &emulator, USERS, 1000);
    let rehearsal_project = format!("{}-test", emulator.project);
    let toml = std::fs::read_to_string(p.join("cutover.toml")).expect("project");
    std::fs::write(
        p.join("cutover.toml"),
        format!(
            "{toml}[segments.move.rehearsal]\nproject = \"{rehearsal_project}\"\ntoken = \"env:FB_TOKEN\"\nurl = \"{}\"\n[[segments.checks]]\nkind = \"rehearsal\"\nmax_failed = 0\nmax_duration = \"1h\"\n",
            emulator.url()
        ),
    )
    .expect("write project");

    // Only in test.
    let refused =
        common::fails(
            cutover(p)
                .env("FB_TOKEN", "owner")
                .args(["move", "eu", "--rehearse"]),
        );
    assert!(refused.contains("a rehearsal runs in test"), "{refused}");
    cutover(p).args(["advance", "eu"]).assert().success();
    // The rehearsal check holds the segment in test until a rehearsal ran.
    let held = common::fails(cutover(p).args(["advance", "eu"]));
    assert!(held.contains("no rehearsal recorded"), "{held}");

    let rehearsal =
        json(
            cutover(p)
                .env("FB_TOKEN", "owner")
                .args(["move", "eu", "--rehearse", "--json"]),
        );
    let moved = expected_ids(USERS).len() as u64;
    assert_eq!(rehearsal["which"], "rehearsal");
    assert_eq!(rehearsal["created"], moved, "{rehearsal}");
    assert_eq!(rehearsal["deleted"], moved, "{rehearsal}");
    let rehearsed = emulator.project_count(&rehearsal_project);
    assert_eq!(rehearsed, 0, "the rehearsal deletes what it created");
    assert_eq!(emulator.count(), 0, "the real project is untouched");

    let status = json(cutover(p).args(["status", "--json"]));
    let m = &status["segments"][0]["move"];
    let predicted = m["predicted_seconds"].as_f64().expect("a prediction");
    let words = m["prediction"].as_str().expect("a prediction in words");
    let grouped = format!("{},{:03} users: about ", moved / 1000, moved % 1000);
    assert!(words.starts_with(&grouped), "{words}");
    let text = cutover(p).arg("status").output().expect("status");
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("move predicted from the rehearsal"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );

    // The real move, as the cutover: `cutover move` in gate advances, and prints the report.
    cutover(p).args(["advance", "eu"]).assert().success();
    let real = json(
        cutover(p)
            .env("FB_TOKEN", "owner")
            .args(["move", "eu", "--json"]),
    );
    assert_eq!(real["created"], moved, "{real}");
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "cutover", "{status}");
    // How close the prediction came is a benchmark's question (a timed assertion here would
    // measure the machine's load and the emulator's warm-up, not cutover): it is printed.
    let seconds = real["seconds"].as_f64().expect("seconds");
    eprintln!("predicted {predicted:.2} s, moved in {seconds:.2} s");
    assert!(predicted > 0.0 && seconds > 0.0);
    let after = json(cutover(p).args(["status", "--json"]));
    assert_eq!(
        after["segments"][0]["move"]["real"]["state"], "moved",
        "{after}"
    );
    assert_eq!(
        after["segments"][0]["move"]["predicted_seconds"].as_f64(),
        Some(predicted),
        "the prediction stays beside the real move"
    );
}
