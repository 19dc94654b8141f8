//! Moving users (issue 25): a bench binary that prints a table.
//!
//! * cutover's own share of a move: read the export, judge and convert each hash, and encode
//!   the Firebase requests, for 1,000,000 users, with no network, reading and encoding on two
//!   threads as the move does (goal ≥ 200,000 users/s), and
//!   the process's peak memory meanwhile (goal ≤ 100 MB, flat in the export's size);
//! * the journal's size on disk for 1,000,000 users in a sled state (goal ≤ 16 bytes a user);
//! * the rate into Google's Firebase Authentication emulator, through the real `cutover move`
//!   (20,000 users; skipped when `firebase` is not installed);
//! * a rehearsal's predicted duration against the real move's, both into the simulator's
//!   target at the same configured rate (5,000 users a second; 20,000 users; goal ±25 %).
//!
//! Run: `cargo bench --bench moving` (about a minute). `CUTOVER_BENCH_USERS` sets the export's
//! size (default 1,000,000).

#[path = "../tests/common/mod.rs"]
mod common;

use cutover::moving::Form;
use cutover::moving::journal::{Journal, Outcome, Record, Which};
use cutover::moving::prepare::{self, Rules};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        total += if p.is_dir() {
            dir_bytes(&p)
        } else {
            p.metadata().map_or(0, |m| m.len())
        };
    }
    total
}

/// cutover's own share of a move into `kind` (`firebase` or `fusionauth`): users a second,
/// and the peak RSS before and after, in MB.
fn own_share(users: u64, kind: &str) -> (f64, f64, f64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let export = dir.path().join("users.jsonl");
    common::moving::write_export(&export, users);
    let rss_before = common::peak_rss_mb("self");
    let fields = cutover::audit::roles::fields(&cutover::config::AuditFile::default());
    let table = cutover::audit::compat::Table::built_in();
    let column = kind.trim_end_matches("-100k");
    let verdicts = table.target(column).expect("the target's column").clone();
    let (convert, batch): (cutover::moving::target::Convert, usize) = match kind {
        "firebase" => (
            |s, h, salt| cutover::moving::firebase_form::convert(s, h, salt).map(Form::Firebase),
            1000,
        ),
        other => (
            |s, h, salt| {
                cutover::moving::fusionauth_form::convert(s, h, salt).map(Form::FusionAuth)
            },
            if other == "fusionauth-100k" {
                100_000
            } else {
                25_000
            },
        ),
    };
    let firebase = kind == "firebase";
    let rules = Rules {
        fields: &fields,
        verdicts: &verdicts,
        convert,
        usernames: !firebase,
        unverifiable: cutover::config::moves::Unverifiable::Skip,
        duplicate_emails: cutover::config::moves::DuplicateEmails::Skip,
        only: None,
        tag: None,
    };
    // As the move runs it: the export read and converted on a thread of its own and handed
    // over in chunks of at most 10,000 users (a channel of one chunk), gathered into batches
    // and encoded on another.
    let started = Instant::now();
    let export = cutover::export::Source::File(export.clone());
    let sha = prepare::digest(&export, &fields).expect("digest");
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<prepare::Outgoing<_>>>(1);
    let encoder = std::thread::spawn(move || {
        let mut bytes = 0usize;
        let mut chunks = rx.into_iter().peekable();
        while chunks.peek().is_some() {
            let mut batch_users = Vec::with_capacity(batch);
            while batch_users.len() < batch
                && let Some(mut c) = chunks.next()
            {
                batch_users.append(&mut c);
            }
            let refs: Vec<_> = batch_users.iter().collect();
            if firebase {
                for (_, body) in cutover::moving::firebase::requests(&refs, false).expect("encodes")
                {
                    bytes += body.len();
                }
            } else {
                let all: Vec<usize> = (0..refs.len()).collect();
                bytes += cutover::moving::fusionauth::encode(&refs, &all)
                    .expect("encodes")
                    .len();
            }
        }
        bytes
    });
    let passed = prepare::batches(&export, &rules, batch.min(10_000), |_, c| {
        tx.send(c).is_ok()
    })
    .expect("batches");
    drop(tx);
    let bytes = encoder.join().expect("the encoder");
    prepare::unchanged(&export, &fields, &sha).expect("the same export");
    assert!(passed.rows > 0);
    let seconds = started.elapsed().as_secs_f64();
    assert!(bytes > 0);
    (
        users as f64 / seconds,
        rss_before,
        common::peak_rss_mb("self"),
    )
}

fn journal_bytes(users: u64) -> f64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = sled::open(dir.path().join("state")).expect("sled");
    let tree = db.open_tree("series").expect("tree");
    let kv = cutover::store::kv::SledKv {
        tree,
        dir: dir.path().to_path_buf(),
    };
    let samples = cutover::store::Samples::new(Arc::new(kv), None);
    let journal = Journal::new(samples, "eu", Which::Real);
    db.flush().expect("flush");
    let empty = dir_bytes(dir.path());
    let batch = 1000;
    for n in 0..users / batch {
        let mut r = Record {
            lines: (0..batch).map(|i| 2 + n * batch + i).collect(),
            present: vec![false; batch as usize],
            ..Record::default()
        };
        let failed = r.code("DUPLICATE_EMAIL");
        r.outcomes = Some(
            (0..batch)
                .map(|i| {
                    if i % 97 == 0 {
                        Outcome::Failed(failed)
                    } else {
                        Outcome::Created
                    }
                })
                .collect(),
        );
        journal.set_record(1, n, &r).expect("record");
        journal.flush().expect("flush");
    }
    db.flush().expect("flush");
    drop(journal);
    drop(db);
    (dir_bytes(dir.path()) - empty) as f64 / users as f64
}

fn emulator_rate() -> Option<(f64, f64)> {
    if std::process::Command::new("firebase")
        .arg("--version")
        .output()
        .is_err()
    {
        return None;
    }
    let emulator = common::firebase::Emulator::start("bench");
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let users = 20_000;
    common::moving::write_export(&p.join("users.jsonl"), users);
    common::moving::project(p, &emulator, users, 1000);
    for _ in 0..2 {
        common::cutover(p)
            .args(["advance", "eu"])
            .assert()
            .success();
    }
    let started = Instant::now();
    let report = common::json(
        common::cutover(p)
            .env("FB_TOKEN", "owner")
            .args(["move", "eu", "--json"]),
    );
    let wall = started.elapsed().as_secs_f64();
    Some((report["rate"].as_f64().unwrap_or(0.0), users as f64 / wall))
}

/// The rehearsal's predicted seconds and the real move's, into the same paced simulator.
fn prediction() -> (f64, f64) {
    // Stopped when dropped, at the end of the measure.
    let sim = common::vendors::simulator(&["--import-rate", "5000"]);
    let addr = &sim.1;
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let users = 20_000;
    common::moving::write_export(&p.join("users.jsonl"), users);
    common::write_project(
        p,
        &format!(
            "[project]\nname = \"Bench\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = {users}\ngoal = 0.9\n[segments.move]\nexport = \"users.jsonl\"\ntarget = \"firebase\"\nproject = \"bench-real\"\ntoken = \"env:FB_TOKEN\"\nurl = \"{addr}/identitytoolkit.googleapis.com\"\n[segments.move.rehearsal]\nproject = \"bench-test\"\ntoken = \"env:FB_TOKEN\"\nurl = \"{addr}/identitytoolkit.googleapis.com\"\n"
        ),
    );
    common::cutover(p)
        .args(["advance", "eu"])
        .assert()
        .success();
    common::cutover(p)
        .env("FB_TOKEN", "t")
        .args(["move", "eu", "--rehearse"])
        .assert()
        .success();
    let status = common::json(common::cutover(p).args(["status", "--json"]));
    let predicted = status["segments"][0]["move"]["predicted_seconds"]
        .as_f64()
        .expect("a prediction");
    common::cutover(p)
        .args(["advance", "eu"])
        .assert()
        .success();
    let real = common::json(
        common::cutover(p)
            .env("FB_TOKEN", "t")
            .args(["move", "eu", "--json"]),
    );
    drop(sim);
    (predicted, real["seconds"].as_f64().unwrap_or(0.0))
}

/// A whole `cutover move` of `users` rows into the simulator's FusionAuth, unpaced, in its
/// default batches: (users created, whole-command seconds).
fn into_fusionauth(users: u64) -> (u64, f64) {
    let sim = common::vendors::simulator(&[]);
    let addr = &sim.1;
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    common::moving::write_export(&p.join("users.jsonl"), users);
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
    let started = Instant::now();
    let report = common::json(
        common::cutover(p)
            .env("FA_KEY", "k")
            .args(["move", "eu", "--json"]),
    );
    let seconds = started.elapsed().as_secs_f64();
    drop(sim);
    (report["created"].as_u64().unwrap_or(0), seconds)
}

fn main() {
    let users: u64 = std::env::var("CUTOVER_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let (rate, rss_before, rss) = own_share(users, "firebase");
    let (fa_rate, _, fa_rss) = own_share(users, "fusionauth");
    let (fa_big_rate, _, fa_big_rss) = own_share(users, "fusionauth-100k");
    let journal = journal_bytes(users);
    println!("| measure | goal | result |");
    println!("|---|---|---|");
    println!(
        "| own share: read, convert, encode ({users} users) | ≥ 200,000 users/s | {rate:.0} users/s |"
    );
    println!(
        "| peak memory of that pass | ≤ 100 MB | {rss:.0} MB (before it: {rss_before:.0} MB) |"
    );
    println!(
        "| own share into FusionAuth (default batches, 25,000) | ≥ 200,000 users/s, ≤ 100 MB | {fa_rate:.0} users/s, peak {fa_rss:.0} MB |"
    );
    println!(
        "| the same with batches of 100,000 (the guide's largest) | reported | {fa_big_rate:.0} users/s, peak {fa_big_rss:.0} MB |"
    );
    println!("| journal on disk (sled) | ≤ 16 bytes a user | {journal:.1} bytes a user |");
    let (created, seconds) = into_fusionauth(users);
    println!(
        "| {users} rows into the simulator's FusionAuth, whole `cutover move` | ≤ 30 s | {seconds:.1} s ({created} users created) |"
    );
    let (predicted, real) = prediction();
    println!(
        "| rehearsal's prediction vs the real move (paced simulator, 5,000 users/s) | within ±25 % | predicted {predicted:.1} s, took {real:.1} s ({:+.0} %) |",
        (predicted - real) / real * 100.0
    );
    match emulator_rate() {
        Some((sending, whole)) => println!(
            "| into the Firebase emulator (20,000 users) | reported | {sending:.0} users/s sending, {whole:.0} users/s for the whole command |"
        ),
        None => println!(
            "| into the Firebase emulator | reported | skipped: `firebase` is not installed |"
        ),
    }
}
