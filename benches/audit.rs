//! The pre-flight audit on 1 M users: a bench binary that prints a table.
//!
//! It writes the simulator's export of a 1,000,000-user segment (Auth0-shaped JSON lines,
//! with its planted duplicates, mixed hash schemes and bad dates), the same users as CSV, and
//! as FusionAuth's import file (one document), then runs the real `cutover audit` on each:
//! whole process, median of 3, with peak RSS. Goal: 1 M users in ≤ 5 s, memory bounded apart
//! from the duplicate index.
//!
//! Run: `cargo bench --bench audit` (about a minute). `CUTOVER_BENCH_USERS=200000` runs a
//! smaller export.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const RUNS: usize = 3;

fn main() {
    if std::env::var("CUTOVER_BENCH_CHILD").is_ok() {
        return child();
    }
    let users: u64 = std::env::var("CUTOVER_BENCH_USERS")
        .ok()
        .and_then(|u| u.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let ndjson = dir.path().join("users.ndjson");
    eprintln!("writing the simulator's export of {users} users…");
    let seg = cutover::sim::SimSegment {
        id: "bench".into(),
        users,
        cohorts: vec![
            cutover::model::Cohort {
                share: 0.6,
                p: 0.05,
            },
            cutover::model::Cohort {
                share: 0.4,
                p: 0.002,
            },
        ],
        start_day: 0.0,
        bulk: false,
        stop_day: None,
        faults: Vec::new(),
    };
    let at = chrono::Utc::now();
    let mut out = BufWriter::new(std::fs::File::create(&ndjson).expect("create"));
    cutover::sim::export::write_export(&seg, at, 7, &mut out).expect("export");
    out.flush().expect("flush");
    drop(out);
    let csv = dir.path().join("users.csv");
    let document = dir.path().join("users.json");
    reshape(&ndjson, &csv, &document);

    println!("\n`cutover audit` on {users} users (whole process, median of {RUNS}):\n");
    println!(
        "| export | size | time | users/s | MB/s | peak RSS | goal |\n|---|---:|---:|---:|---:|---:|---|"
    );
    for (label, path) in [
        ("Auth0 JSON lines", &ndjson),
        ("CSV", &csv),
        ("FusionAuth import file", &document),
    ] {
        let mb = std::fs::metadata(path).expect("size").len() as f64 / 1e6;
        let mut runs: Vec<(f64, f64)> = (0..RUNS).map(|_| measure(path)).collect();
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (secs, rss_mb) = runs[RUNS / 2];
        let goal = if users >= 1_000_000 {
            if secs <= 5.0 {
                "≤ 5 s: met"
            } else {
                "≤ 5 s: MISSED"
            }
        } else {
            "(1 M users for the goal)"
        };
        println!(
            "| {label} | {mb:.0} MB | {secs:.2} s | {:.0} | {:.0} | {rss_mb:.0} MB | {goal} |",
            users as f64 / secs,
            mb / secs
        );
    }
}

/// The same users as CSV (a header, one row each) and as FusionAuth's import file.
fn reshape(ndjson: &Path, csv: &Path, document: &Path) {
    let input = BufReader::new(std::fs::File::open(ndjson).expect("open"));
    let mut c = BufWriter::new(std::fs::File::create(csv).expect("csv"));
    let mut d = BufWriter::new(std::fs::File::create(document).expect("json"));
    writeln!(
        c,
        "user_id,email,email_verified,blocked,created_at,last_login,password_hash,salt"
    )
    .expect("write");
    d.write_all(b"{\"users\": [\n").expect("write");
    for (i, line) in input.lines().enumerate() {
        let line = line.expect("line");
        let v: serde_json::Value = serde_json::from_str(&line).expect("json");
        let f = |k: &str| match &v[k] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        writeln!(
            c,
            "{},\"{}\",{},{},{},{},{},{}",
            f("user_id"),
            f("email"),
            f("email_verified"),
            f("blocked"),
            f("created_at"),
            f("last_login"),
            f("password_hash"),
            f("salt")
        )
        .expect("write");
        if i > 0 {
            d.write_all(b",\n").expect("write");
        }
        d.write_all(line.as_bytes()).expect("write");
    }
    d.write_all(b"\n]}\n").expect("write");
    c.flush().expect("flush");
    d.flush().expect("flush");
}

/// One audit in a child process that reports its own child's time and peak RSS.
fn measure(path: &Path) -> (f64, f64) {
    let out = Command::new(std::env::current_exe().expect("exe"))
        .env("CUTOVER_BENCH_CHILD", "1")
        .arg(path)
        .output()
        .expect("child");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text
        .split_whitespace()
        .map(|w| w.parse::<f64>().unwrap_or(f64::NAN));
    let (secs, kb) = (it.next().unwrap_or(f64::NAN), it.next().unwrap_or(f64::NAN));
    assert!(
        secs.is_finite(),
        "audit failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (secs, kb / 1024.0)
}

/// Run `cutover audit FILE` once; print "seconds peak-RSS-KB".
fn child() {
    let file = std::env::args().nth(1).expect("file");
    let project = tempfile::tempdir().expect("tempdir");
    let start = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .arg("--project")
        .arg(project.path())
        .args(["audit", "--no-record", "--target", "fusionauth", &file])
        .stdout(Stdio::null())
        .status()
        .expect("run");
    let secs = start.elapsed().as_secs_f64();
    assert!(status.success(), "audit of {file} failed");
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .expect("rusage");
    println!("{secs} {}", usage.max_rss());
}
