//! Reconciling (issue 26): a bench binary that prints a table.
//!
//! * end to end: `cutover reconcile` of 1,000,000 users moved into the simulator's FusionAuth
//!   (the listing paged with `nextResults`, the export read by the move's rules, the ids read
//!   back), whole-command seconds (goal ≤ 60 s) and the command's peak memory, sampled from
//!   `/proc` as it runs (goal ≤ 150 MB);
//! * cutover's own comparison: 1,000,000 listed users matched against 1,000,000 expected ones
//!   by legacy id, in process (goal ≥ 500,000 users/s).
//!
//! Run: `cargo bench --bench reconcile` (about two minutes in all, most of it the move that
//! sets the target up). `CUTOVER_BENCH_USERS` sets the size (default 1,000,000).

#[path = "../tests/common/mod.rs"]
mod common;

use cutover::moving::held::Held;
use cutover::reconcile::expected::{Expect, Expected, email_key};
use cutover::reconcile::tally::Tally;
use std::time::{Duration, Instant};

/// The peak resident memory of process `pid` so far, in MB (`None` once it is gone).
fn peak_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// `users` rows FusionAuth imports every one of (PBKDF2-SHA256 hashes), as JSON lines.
fn write_export(path: &std::path::Path, users: u64) {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for i in 0..users {
        writeln!(
            out,
            "{{\"user_id\":\"L{i:07}\",\"email\":\"user{i}@example.org\",\"email_verified\":true,\"password_hash\":\"$pbkdf2-sha256$i=27500,l=32$c2FsdHNhbHQ{}$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g\"}}",
            i % 10
        )
        .expect("write");
    }
    out.flush().expect("write the export");
}

/// Move `users` rows into the simulator's FusionAuth, then time `cutover reconcile`:
/// (seconds, peak MB, the counts).
fn end_to_end(users: u64) -> (f64, f64, serde_json::Value) {
    let sim = common::vendors::simulator(&[]);
    let addr = &sim.1;
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_export(&p.join("users.jsonl"), users);
    common::write_project(
        p,
        &format!(
            "[project]\nname = \"Bench\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = {users}\ngoal = 0.9\n[segments.move]\nexport = \"users.jsonl\"\ntarget = \"fusionauth\"\nurl = \"{addr}\"\napi_key = \"env:FA_KEY\"\n"
        ),
    );
    for _ in 0..2 {
        common::cutover(p)
            .args(["advance", "eu"])
            .assert()
            .success();
    }
    common::cutover(p)
        .env("FA_KEY", "k")
        .args(["move", "eu", "--json"])
        .assert()
        .success();
    let out = p.join("ids.json");
    let started = Instant::now();
    let mut child = common::bin(p)
        .env("FA_KEY", "k")
        .args(["reconcile", "eu", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("reconcile");
    let mut peak: f64 = 0.0;
    while child.try_wait().expect("wait").is_none() {
        if let Some(mb) = peak_mb(child.id()) {
            peak = peak.max(mb);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let seconds = started.elapsed().as_secs_f64();
    let found: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).expect("the ids")).expect("JSON");
    (seconds, peak, found)
}

/// cutover's own comparison of `users` listed users with as many expected ones: users/s.
fn comparison(users: u64) -> f64 {
    let email = |i: u64| Held::email_digest(Some(&format!("user{i}@example.org")));
    let users_expected: Vec<Expect> = (0..users)
        .map(|i| Expect {
            key: cutover::audit::values::folded_exact(&format!("L{i:07}")),
            line: i as u32 + 2,
            email: email_key(email(i)),
            verified: Some(true),
            disabled: false,
            password: true,
            seen: 0,
            changed: false,
            no_password: false,
        })
        .collect();
    let mut expected = Expected::new(users_expected, Default::default(), Default::default());
    // Listed as pages of 1,000, as a target answers.
    let pages: Vec<Vec<Held>> = (0..users)
        .collect::<Vec<_>>()
        .chunks(1000)
        .map(|c| {
            c.iter()
                .map(|&i| Held {
                    legacy: format!("L{i:07}"),
                    email: email(i),
                    verified: Some(true),
                    disabled: Some(false),
                    password: Some(true),
                    ..Held::default()
                })
                .collect()
        })
        .collect();
    let mut tally = Tally::default();
    let started = Instant::now();
    for page in &pages {
        for h in page {
            tally.add(&mut expected, h);
        }
    }
    let lines = Tally::lines(&expected);
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(tally.target_users, users);
    assert!(lines.missing.is_empty() && lines.changed.is_empty());
    users as f64 / seconds
}

fn main() {
    let users: u64 = std::env::var("CUTOVER_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rate = comparison(users);
    println!("| measure | goal | result |");
    println!("|---|---|---|");
    println!(
        "| cutover's own comparison, {users} users by legacy id | ≥ 500,000 users/s | {rate:.0} users/s |"
    );
    let (seconds, peak, found) = end_to_end(users);
    println!(
        "| `cutover reconcile` of {} users on the simulator's FusionAuth, whole command | ≤ 60 s | {seconds:.1} s ({} missing, {} extra) |",
        found["target_users"], found["missing"], found["extra"]
    );
    println!("| its peak memory (sampled) | ≤ 150 MB | {peak:.0} MB |");
}
