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
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

const SEGMENTS: usize = 10;
const STEP_SECS: i64 = 30;
const RUNS: usize = 7;

fn main() {
    if let Ok(mode) = std::env::var("CUTOVER_BENCH_CHILD") {
        return child(&mode);
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
    let mut import = common::bin(full.path())
        .args(["import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("import");
    let rows = {
        let mut stdin = BufWriter::with_capacity(1 << 20, import.stdin.take().expect("stdin"));
        let rows = history::write_csv(&mut stdin, SEGMENTS, t0, days, STEP_SECS);
        stdin.flush().expect("flush");
        rows
    };
    assert!(import.wait().expect("import").success(), "import failed");
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

/// (milliseconds, peak RSS in MB) of each run.
type Runs = Vec<(f64, f64)>;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn line(what: &str, empty: &Runs, full: &Runs, goal: &str) {
    let ms = |r: &Runs| median(r.iter().map(|x| x.0).collect());
    let mb = |r: &Runs| median(r.iter().map(|x| x.1).collect());
    let range = |r: &Runs| {
        let v: Vec<f64> = r.iter().map(|x| x.0).collect();
        let (lo, hi) = v
            .iter()
            .fold((f64::MAX, 0.0_f64), |(a, b), x| (a.min(*x), b.max(*x)));
        format!("{lo:.1}–{hi:.1}")
    };
    println!(
        "| {what} | {:.1} ms ({}), {:.1} MB | {:.1} ms ({}), {:.1} MB | {:.2}× | {goal} |",
        ms(empty),
        range(empty),
        mb(empty),
        ms(full),
        range(full),
        mb(full),
        ms(full) / ms(empty)
    );
}

/// Run `cutover ARGS` RUNS times through a measuring child (wall time and peak RSS).
fn runs(args: &[&str], dir: &Path) -> Runs {
    (0..RUNS)
        .map(|_| {
            let exe = std::env::current_exe().expect("exe");
            let out = std::process::Command::new(exe)
                .env("CUTOVER_BENCH_CHILD", "rss")
                .arg(env!("CARGO_BIN_EXE_cutover"))
                .arg("--project")
                .arg(dir)
                .args(args)
                .output()
                .expect("measure");
            parse(&out)
        })
        .collect()
}

fn first_frames(dir: &Path) -> Runs {
    (0..RUNS)
        .map(|_| {
            let exe = std::env::current_exe().expect("exe");
            let out = std::process::Command::new(exe)
                .env("CUTOVER_BENCH_CHILD", "first-frame")
                .arg(dir)
                .output()
                .expect("measure");
            parse(&out)
        })
        .collect()
}

fn parse(out: &std::process::Output) -> (f64, f64) {
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text
        .split_whitespace()
        .map(|w| w.parse::<f64>().unwrap_or(f64::NAN));
    let (ms, kb) = (it.next().unwrap_or(f64::NAN), it.next().unwrap_or(f64::NAN));
    assert!(
        ms.is_finite(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (ms, kb / 1024.0)
}

/// Measuring children: print "milliseconds peak-RSS-KB".
fn child(mode: &str) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match mode {
        "rss" => {
            let start = Instant::now();
            let status = std::process::Command::new(&args[0])
                .args(&args[1..])
                .stdout(Stdio::null())
                .status()
                .expect("run");
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            assert!(status.success(), "{args:?} failed");
            let usage =
                nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
                    .expect("rusage");
            println!("{ms} {}", usage.max_rss());
        }
        _ => {
            let dir = Path::new(&args[0]);
            let start = Instant::now();
            first_frame(dir);
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                .unwrap_or(f64::NAN);
            println!("{ms} {hwm}");
            std::process::exit(0);
        }
    }
}

/// What opening the cockpit does up to its first frame: own the project, subscribe, draw.
fn first_frame(dir: &Path) {
    use cutover::owner::link::{Link, LinkConfig};
    use cutover::owner::protocol::{Reply, Request, Role};
    let rt = cutover::runtime::multi_thread().expect("runtime");
    rt.block_on(async {
        let config = LinkConfig::new(dir.to_path_buf(), dir.join(".cutover"), Role::Cockpit);
        let mut link = Link::establish(config).await.expect("open");
        let reply = link
            .session
            .call(Request::Subscribe { polls: false }, |_| {})
            .await
            .expect("subscribe");
        let Reply::Snapshot { snapshot } = reply else {
            panic!("{reply:?}");
        };
        let model = cutover::tui::app::Model::new(
            *snapshot,
            vec![cutover::tui::theme::Theme::default_theme()],
            Utc::now(),
            (160, 48),
        );
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).expect("t");
        terminal
            .draw(|f| cutover::tui::view::render(f, &model))
            .expect("draw");
    });
}

/// Bytes under `dir`.
fn du(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let meta = entry.metadata().expect("meta");
        total += if meta.is_dir() {
            du(&entry.path())
        } else {
            meta.len()
        };
    }
    total
}
