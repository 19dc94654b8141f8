//! Months of history cost nothing (issue 11): a bench binary that prints a table.
//!
//! It builds the history of the issue through the real `cutover import -`: 10 slow segments
//! in cutover since 180 days ago, 2 metrics each, a sample every 30 s (10.4 M samples), next
//! to the same project with no samples. Then it measures, with goals:
//! * `import` rate (≥ 200,000 samples/s) and disk per sample (≤ 16 bytes, stretch ≤ 4);
//! * `cutover status`, whole process, median of 7 runs (≤ 50 ms, ≤ 3× the empty project),
//!   and its peak RSS;
//! * the cockpit's first frame (open the project, snapshot, draw at 160×48) in a fresh
//!   process (≤ 150 ms, RSS ≤ 60 MB);
//! * converting the same 10.4 M samples from a schema-1 state (≤ 60 s).
//!
//! Run: `cargo bench --bench history` (about 5 minutes). `CUTOVER_BENCH_DAYS=30` runs a
//! shorter history.

#[path = "../tests/common/mod.rs"]
mod common;

use chrono::{Duration as Days, Utc};
use common::history;
use common::measure::{self, du, first_frames, line, runs};
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

const SEGMENTS: usize = 10;
const STEP_SECS: i64 = 30;

fn main() {
    if measure::child_if_asked() {
        return;
    }
    let days: i64 = std::env::var("CUTOVER_BENCH_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(180);
    let t0 = Utc::now() - Days::days(days);
    let empty = tempfile::tempdir().expect("tempdir");
    let full = tempfile::tempdir().expect("tempdir");
    for dir in [empty.path(), full.path()] {
        common::write_project(dir, &history::project(SEGMENTS));
        history::cut_over_at(dir, t0);
    }
    eprintln!("importing {days} days of history…");
    let start = Instant::now();
    let rows = history::import(full.path(), SEGMENTS, t0, days, STEP_SECS);
    let import_secs = start.elapsed().as_secs_f64();
    let disk = du(&full.path().join(".cutover/state"));
    let disk_empty = du(&empty.path().join(".cutover/state"));

    let status = |dir: &Path| runs(&["status"], dir);
    let (s_empty, s_full) = (status(empty.path()), status(full.path()));
    let frame = |dir: &Path| first_frames(dir);
    let (f_empty, f_full) = (frame(empty.path()), frame(full.path()));

    let n = rows as f64;
    println!(
        "\nHistory: {SEGMENTS} segments × 2 metrics × {days} days at {STEP_SECS} s = {rows} samples\n"
    );
    println!("| measure | no samples | {rows} samples | ratio | goal |");
    println!("|---|---|---|---|---|");
    println!(
        "| `import` | — | {import_secs:.1} s, {:.0} samples/s | — | ≥ 200,000 samples/s |",
        n / import_secs
    );
    println!(
        "| state on disk | {:.1} MB | {:.1} MB, {:.2} bytes/sample | — | ≤ 16 (stretch ≤ 4) |",
        disk_empty as f64 / 1e6,
        disk as f64 / 1e6,
        disk.saturating_sub(disk_empty) as f64 / n
    );
    line(
        "`cutover status` (whole process, median)",
        &s_empty,
        &s_full,
        "≤ 50 ms, ≤ 3×",
    );
    line(
        "cockpit first frame (median)",
        &f_empty,
        &f_full,
        "≤ 150 ms, RSS ≤ 60 MB",
    );
    // Printed first: the conversion below needs the most memory of all the steps.
    eprintln!("building a schema-1 state of the same samples…");
    let old = tempfile::tempdir().expect("tempdir");
    common::write_project(old.path(), &history::project(SEGMENTS));
    history::schema_one(
        &old.path().join(".cutover"),
        Some(&empty.path().join(".cutover")),
        history::samples(SEGMENTS, t0, days, STEP_SECS),
    );
    let start = Instant::now();
    let converted = common::bin(old.path())
        .arg("status")
        .stdout(Stdio::null())
        .status()
        .expect("status");
    assert!(converted.success(), "conversion failed");
    let convert_secs = start.elapsed().as_secs_f64();

    println!("| schema 1 → 2 conversion (then `status`) | — | {convert_secs:.1} s | — | ≤ 60 s |");
}
