//! The largest migration, flat: a bench binary that prints a table.
//!
//! It builds the second migration: 1,000 slow segments (`CUTOVER_BENCH_SEGMENTS`),
//! two sources each, all put into cutover a week ago, a sample an hour of both metrics
//! imported through the real `cutover import -`; beside it the same project in plan with no
//! samples. Then, whole process, median of 7 runs, with peak RSS:
//! * one-shot `cutover status --json` in plan and in cutover (≤ 100 ms, ≤ 3× in plan), the
//!   first run after the import apart (it fits every forecast, and keeps them for the next);
//! * `cutover status --json` through a running `cutover watch` (≤ 30 ms);
//! * the cockpit's first frame at 160×48 in a fresh process (≤ 150 ms), until the frame is
//!   drawn (the owner's teardown after it is not part of the wait);
//! * RSS of each (≤ 60 MB).
//!
//! `CUTOVER_BENCH_KEEP=DIR` only builds the projects under DIR, for a profiler.
//! `CUTOVER_BENCH_DAYS` (7) sets the days of hourly samples of the 1,000 segments (and of a
//! kept project); the curve's points have one.
//! `CUTOVER_BENCH_CURVE=N` adds the cost curve of a one-shot status in cutover at 1k, 10k
//! and 100k segments up to N (a day of hourly samples each; the first run, which fits every
//! forecast, left out; the 100k point takes many minutes).
//!
//! It builds the first migration too: a year (`CUTOVER_BENCH_YEAR_DAYS`, 365) behind
//! 100 slow segments, two metrics each at 30 s, all in cutover (210 M samples through the
//! real `cutover import -`), beside the same project with no samples, and prints:
//! * the import's rate over the whole year (≥ 1,000,000 samples/s) and the state's bytes on
//!   disk per sample (≤ 1.3);
//! * one-shot `cutover status --json` (≤ 50 ms, ≤ 3× the empty project) and its peak RSS
//!   (≤ 60 MB);
//! * the cockpit's first frame at 160×48 in a fresh process (≤ 100 ms).
//!
//! `CUTOVER_BENCH_PART=wide` or `=year` runs only one of the two (the year takes about half
//! an hour and 400 MB of disk).
//!
//! Run: `cargo bench --bench scale`.

#[path = "../tests/common/mod.rs"]
mod common;

use chrono::{Duration as Days, Utc};
use common::history;
use common::measure::{self, Runs, first_frames, median, runs};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const HOUR: i64 = 3600;

fn main() {
    if measure::child_if_asked() {
        return;
    }
    let part = std::env::var("CUTOVER_BENCH_PART").unwrap_or_default();
    let keep = std::env::var("CUTOVER_BENCH_KEEP").ok();
    if part != "wide" {
        year(
            env_or("CUTOVER_BENCH_YEAR_DAYS", 365) as i64,
            keep.as_deref().map(Path::new),
        );
    }
    if part != "year" {
        wide();
    }
}

/// The year behind 100 segments (built under `keep`, year-empty/ and year-full/, and no more
/// when a profiler asks for it).
fn year(days: i64, keep: Option<&Path>) {
    const SEGMENTS: usize = 100;
    const STEP_SECS: i64 = 30;
    let t0 = Utc::now() - Days::days(days);
    let (empty, full) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let (empty, full) = match keep {
        Some(keep) => (keep.join("year-empty"), keep.join("year-full")),
        None => (empty.path().to_path_buf(), full.path().to_path_buf()),
    };
    let (empty, full) = (empty.as_path(), full.as_path());
    for dir in [empty, full] {
        std::fs::create_dir_all(dir).expect("create the project folder");
        common::write_project(dir, &history::project(SEGMENTS));
        history::cut_over_at(dir, t0);
    }
    eprintln!("importing {days} days of 30-second samples behind {SEGMENTS} segments…");
    let start = Instant::now();
    let rows = history::import(full, SEGMENTS, t0, days, STEP_SECS);
    if keep.is_some() {
        return;
    }
    let import_secs = start.elapsed().as_secs_f64();
    let disk = measure::du(&full.join(".cutover/state"));
    let disk_empty = measure::du(&empty.join(".cutover/state"));
    // The first status after an import fits the forecasts and keeps them, as any lead's
    // first look does.
    let mut s_empty = runs(&["status", "--json"], empty);
    let mut s_full = runs(&["status", "--json"], full);
    let cold = (s_empty.remove(0), s_full.remove(0));
    let (f_empty, f_full) = (first_frames(empty), first_frames(full));
    let n = rows as f64;
    println!(
        "\nA year: {SEGMENTS} segments × 2 metrics × {days} days at {STEP_SECS} s = {rows} samples\n"
    );
    println!("| measure | no samples | {rows} samples | ratio | goal |");
    println!("|---|---|---|---|---|");
    println!(
        "| `import -` | — | {import_secs:.0} s, {:.0} samples/s | — | ≥ 1,000,000 samples/s |",
        n / import_secs
    );
    println!(
        "| state on disk | {:.1} MB | {:.1} MB, {:.2} bytes/sample | — | ≤ 1.3 bytes/sample |",
        disk_empty as f64 / 1e6,
        disk as f64 / 1e6,
        disk.saturating_sub(disk_empty) as f64 / n
    );
    measure::line(
        "one-shot `status --json`, first after the import",
        &vec![cold.0],
        &vec![cold.1],
        "—",
    );
    measure::line(
        "one-shot `status --json`",
        &s_empty,
        &s_full,
        "≤ 50 ms, ≤ 3×, RSS ≤ 60 MB",
    );
    measure::line(
        "cockpit first frame (160×48)",
        &f_empty,
        &f_full,
        "≤ 100 ms, RSS ≤ 60 MB",
    );
}

/// The 1,000 segments in cutover.
fn wide() {
    let segments: usize = env_or("CUTOVER_BENCH_SEGMENTS", 1000);
    let days = env_or("CUTOVER_BENCH_DAYS", 7) as i64;
    // `CUTOVER_BENCH_KEEP=DIR`: build both projects under DIR (plan/, cutover/) and stop, for
    // a profiler to run `cutover status` on.
    if let Ok(keep) = std::env::var("CUTOVER_BENCH_KEEP") {
        let keep = Path::new(&keep);
        let (p, c) = (keep.join("plan"), keep.join("cutover"));
        for d in [&p, &c] {
            std::fs::create_dir_all(d).expect("create the kept folders");
        }
        build(&p, &c, segments, days);
        return;
    }
    let (plan, cut) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let rows = build(plan.path(), cut.path(), segments, days);
    let one_plan = runs(&["status", "--json"], plan.path());
    // The first status fits every forecast and keeps them; the others take them.
    let mut one_cut = runs(&["status", "--json"], cut.path());
    let cold = one_cut.remove(0);
    let frame = first_frames(cut.path());
    let through = through_watch(cut.path());

    println!(
        "\nScale: {segments} segments in cutover × 2 metrics × {days} days hourly = {rows} samples\n"
    );
    println!("| measure | result | goal |");
    println!("|---|---|---|");
    row("one-shot `status --json`, all in plan", &one_plan, "—");
    row(
        "one-shot `status --json`, all in cutover, first after new samples (every forecast fitted)",
        &vec![cold],
        "—",
    );
    row(
        "one-shot `status --json`, all in cutover (forecasts kept)",
        &one_cut,
        &format!(
            "≤ 100 ms and ≤ 3× plan ({:.1}×), RSS ≤ 60 MB",
            ms(&one_cut) / ms(&one_plan)
        ),
    );
    row(
        "`status --json` through a running `watch`",
        &through,
        "≤ 30 ms",
    );
    row(
        "cockpit first frame (160×48)",
        &frame,
        "≤ 150 ms, RSS ≤ 60 MB",
    );
    let largest = env_or("CUTOVER_BENCH_CURVE", 0);
    if largest > 0 {
        println!(
            "\n| segments in cutover | one-shot `status --json`, forecasts kept | per segment |"
        );
        println!("|---|---|---|");
        for n in [1_000, 10_000, 100_000]
            .into_iter()
            .filter(|&n| n <= largest)
        {
            let (p, c) = (
                tempfile::tempdir().expect("tempdir"),
                tempfile::tempdir().expect("tempdir"),
            );
            build(p.path(), c.path(), n, 1);
            let mut r = runs(&["status", "--json"], c.path());
            r.remove(0);
            println!(
                "| {n} | {:.0} ms, {:.0} MB | {:.3} ms |",
                ms(&r),
                mb(&r),
                ms(&r) / n as f64
            );
        }
    }
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(r: &Runs) -> f64 {
    median(r.iter().map(|x| x.0).collect())
}

fn mb(r: &Runs) -> f64 {
    median(r.iter().map(|x| x.1).collect())
}

fn row(what: &str, r: &Runs, goal: &str) {
    println!("| {what} | {:.1} ms, {:.0} MB | {goal} |", ms(r), mb(r));
}

/// The project in plan (no samples) in `plan`, and in cutover since `days` ago with hourly
/// samples in `cut`. Returns the samples imported.
fn build(plan: &Path, cut: &Path, segments: usize, days: i64) -> u64 {
    let t0 = Utc::now() - Days::days(days);
    for dir in [plan, cut] {
        common::write_project(dir, &history::project(segments));
    }
    eprintln!("putting {segments} segments into cutover…");
    history::cut_over_at(cut, t0);
    // A first status in plan makes its state, as the cutover one has.
    let made = common::bin(plan)
        .arg("status")
        .stdout(Stdio::null())
        .status()
        .expect("status");
    assert!(made.success());
    eprintln!("importing {days} days of hourly samples…");
    history::import(cut, segments, t0, days, HOUR)
}

/// `status --json` runs while a `watch` owns the project (its pollers fail: their URLs lead
/// nowhere, as in a project whose monitoring is down, which costs the owner nothing).
fn through_watch(dir: &Path) -> Runs {
    let mut watch = common::bin(dir)
        .arg("watch")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("watch");
    let start = Instant::now();
    while std::os::unix::net::UnixStream::connect(dir.join(".cutover").join("sock")).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "watch never served"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // One status first: the owner's views are then warm, as for a lead who asks again.
    let _ = runs(&["status", "--json"], dir);
    let r = runs(&["status", "--json"], dir);
    let _ = watch.kill();
    let _ = watch.wait();
    r
}
