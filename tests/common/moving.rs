//! A user export with problems planted at known rows, for the move tests: what each row is,
//! what Firebase should hold for it after a move, and a project that moves it into an
//! emulator.
#![allow(dead_code)]

use super::firebase::Emulator;
use super::write_project;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha512};
use std::collections::BTreeMap;
use std::path::Path;

pub const USERS: u64 = 20_000;

/// What was planted where (by the user's number `i`, from 1).
pub fn unreadable(i: u64) -> bool {
    i % 500 == 7
}
pub fn duplicate_email(i: u64) -> bool {
    i % 400 == 13
}
pub fn unverifiable(i: u64) -> bool {
    i % 300 == 17
}
pub fn no_hash(i: u64) -> bool {
    i % 250 == 33
}
/// Users on the target before the move (their own emails): 101 to 110.
pub fn already_there(i: u64) -> bool {
    (101..=110).contains(&i)
}

pub fn id(i: u64) -> String {
    format!("L{i:06}")
}

pub fn bcrypt(i: u64) -> String {
    let alphabet = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let body: String = (0..53)
        .map(|k| alphabet[((i * 7919 + k * 31) % 64) as usize] as char)
        .collect();
    format!("$2b$10${body}")
}

/// The export, JSON lines shaped like Auth0's (`user_id`, `email`, `email_verified`,
/// `password_hash`, `salt`).
pub fn write_export(path: &Path, users: u64) {
    use std::io::Write as _;
    let file = std::fs::File::create(path).expect("create the export");
    let mut out = std::io::BufWriter::new(file);
    for i in 1..=users {
        if unreadable(i) {
            writeln!(out, "{{\"user_id\": \"{}\", broken", id(i)).expect("write");
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
        writeln!(out, "{row}").expect("write");
    }
    out.flush().expect("write the export");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What Firebase should hold for user `i` after the move: (passwordHash, salt) in base64.
pub fn expected_hash(i: u64) -> (Option<String>, Option<String>) {
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
pub fn project(dir: &Path, emulator: &Emulator, size: u64, batch: u64) {
    write_project(
        dir,
        &format!(
            "[project]\nname = \"Moving\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = {size}\ngoal = 0.9\n[segments.move]\nexport = \"users.jsonl\"\ntarget = \"firebase\"\nproject = \"{}\"\ntoken = \"env:FB_TOKEN\"\nurl = \"{}\"\nbatch = {batch}\n",
            emulator.project,
            emulator.url()
        ),
    );
}

/// Put users 101–110 on the target before the move, with emails of their own.
pub fn plant_existing(emulator: &Emulator) {
    let users: Vec<Value> = (101..=110)
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

/// The users of an export of `users` rows that a move lands (planted skips left out).
pub fn expected_ids(users: u64) -> std::collections::BTreeSet<String> {
    (1..=users)
        .filter(|&i| !unreadable(i) && !duplicate_email(i) && !unverifiable(i))
        .map(id)
        .collect()
}

/// How many of `users` rows have a planted problem.
pub fn planted(users: u64, problem: fn(u64) -> bool) -> u64 {
    (1..=users).filter(|&i| problem(i)).count() as u64
}

/// `cutover watch` on `dir` with the target's token (`FB_TOKEN=owner`), once it owns the
/// project.
pub fn token_watch(dir: &Path) -> std::process::Child {
    let w = super::bin(dir)
        .arg("watch")
        .env("FB_TOKEN", "owner")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("watch");
    super::owner_pid(dir, std::time::Duration::from_secs(10)).expect("the watch owns the project");
    w
}

/// `cutover move` started by `spawn` and killed with SIGKILL `kills` times, each at a moment
/// 20 to 400 ms after its start (a fixed splitmix walk from `seed`, so a failure replays):
/// how many kills landed while the move still ran and `unfinished()` said users were missing.
pub fn kill_moves(
    kills: usize,
    seed: u64,
    mut spawn: impl FnMut() -> std::process::Child,
    mut unfinished: impl FnMut() -> bool,
) -> usize {
    use std::time::{Duration, Instant};
    let mut seed = seed;
    let mut mid_move = 0;
    for _ in 0..kills {
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let wait = Duration::from_millis(20 + (z ^ (z >> 31)) % 380);
        let mut child = spawn();
        let started = Instant::now();
        while started.elapsed() < wait {
            if child.try_wait().expect("wait").is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let still_running = child.try_wait().expect("wait").is_none();
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if still_running && unfinished() {
            mid_move += 1;
        }
    }
    mid_move
}
