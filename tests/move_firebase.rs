//! Moving users into Google's Firebase Authentication emulator (npm `firebase-tools`): a
//! 20,000-user export with planted problems lands exactly (each user under its legacy id, with
//! its hash in the form its scheme imports as), the report's counts are the planted ones, a
//! rollback leaves the project exactly as it was, and no email or hash reaches the state, the
//! log or the output.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::firebase::Emulator;
use common::{cutover, json, write_project};
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha512};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub const USERS: u64 = 20_000;

/// What was planted where (by the user's number `i`, from 1).
fn unreadable(i: u64) -> bool {
    i % 500 == 7
}
fn duplicate_email(i: u64) -> bool {
    i % 400 == 13
}
fn unverifiable(i: u64) -> bool {
    i % 300 == 17
}
fn no_hash(i: u64) -> bool {
    i % 250 == 33
}
/// Users on the target before the move (their own emails): 101 to 110.
fn already_there(i: u64) -> bool {
    (101..=110).contains(&i)
}

fn id(i: u64) -> String {
    format!("L{i:06}")
}

fn bcrypt(i: u64) -> String {
    let alphabet = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let body: String = (0..53)
        .map(|k| alphabet[((i * 7919 + k * 31) % 64) as usize] as char)
        .collect();
    format!("$2b$10${body}")
}

/// The export, JSON lines shaped like Auth0's (`user_id`, `email`, `email_verified`,
/// `password_hash`, `salt`).
pub fn write_export(path: &Path, users: u64) {
    let mut out = String::new();
    for i in 1..=users {
        if unreadable(i) {
            out.push_str(&format!("{{\"user_id\": \"{}\", broken\n", id(i)));
            continue;
        }
        let email = if duplicate_email(i) {
            format!("USER{}@Example.org", i - 1)
        } else {
            format!("user{i}@example.org")
        };
        let mut row = json!({"user_id": id(i), "email": email, "email_verified": i % 3 != 0});
        if unverifiable(i) {
            row["password_hash"] =
                json!("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA");
        } else if !no_hash(i) {
            match i % 3 {
                0 => row["password_hash"] = json!(bcrypt(i)),
                1 => {
                    let salt = format!("s{i}");
                    let digest = Sha256::digest(format!("{salt}pw{i}"));
                    row["password_hash"] = json!(hex(&digest));
                    row["salt"] = json!(salt);
                }
                _ => row["password_hash"] = json!(hex(&Sha512::digest(format!("pw{i}")))),
            }
        }
        out.push_str(&row.to_string());
        out.push('\n');
    }
    std::fs::write(path, out).expect("write the export");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What Firebase should hold for user `i` after the move: (passwordHash, salt) in base64.
fn expected_hash(i: u64) -> (Option<String>, Option<String>) {
    if no_hash(i) {
        return (None, None);
    }
    match i % 3 {
        0 => (Some(STANDARD.encode(bcrypt(i))), None),
        1 => {
            let salt = format!("s{i}");
            let digest = Sha256::digest(format!("{salt}pw{i}"));
            (Some(STANDARD.encode(digest)), Some(STANDARD.encode(salt)))
        }
        _ => (
            Some(STANDARD.encode(Sha512::digest(format!("pw{i}")))),
            None,
        ),
    }
}

/// A project whose segment `eu` moves `users.jsonl` into the emulator's project.
pub fn project(dir: &Path, emulator: &Emulator, batch: u64) {
    write_project(
        dir,
        &format!(
            "[project]\nname = \"Moving\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = {USERS}\ngoal = 0.9\n[segments.move]\nexport = \"users.jsonl\"\ntarget = \"firebase\"\nproject = \"{}\"\ntoken = \"env:FB_TOKEN\"\nurl = \"{}\"\nbatch = {batch}\n",
            emulator.project,
            emulator.url()
        ),
    );
}

/// Put users 101–110 on the target before the move, with emails of their own.
pub fn plant_existing(emulator: &Emulator) {
    let users: Vec<Value> = (1..=USERS)
        .filter(|&i| already_there(i))
        .map(|i| json!({"localId": id(i), "email": format!("before{i}@example.net")}))
        .collect();
    emulator.post("accounts:batchCreate", &json!({ "users": users }));
}

/// Every user on the target, by localId.
pub fn by_id(emulator: &Emulator) -> BTreeMap<String, Value> {
    emulator
        .users()
        .into_iter()
        .map(|u| (u["localId"].as_str().unwrap_or_default().to_string(), u))
        .collect()
}

#[test]
fn a_planted_export_moves_exactly_and_a_rollback_takes_back_only_what_it_created() {
    let emulator = Emulator::start("move");
    let dir = tempfile::tempdir().expect("test setup");
    let p = dir.path();
    write_export(&p.join("users.jsonl"), USERS);
    project(p, &emulator, 1000);
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

    // A rollback deletes exactly what the move created.
    cutover(p)
        .env("FB_TOKEN", "owner")
        .args(["rollback", "eu", "--reason", "test"])
        .assert()
        .success();
    assert_eq!(by_id(&emulator), before);

    // Nothing personal at rest or in any output.
    let log = cutover(p).args(["log", "--json"]).output().expect("test setup");
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
