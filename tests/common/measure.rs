//! Whole-process measures for the benchmarks: a command's wall time and peak RSS over several
//! runs (through a measuring child of the bench binary, so the figure is the command's own),
//! the cockpit's first frame in a fresh process, and the bytes a state takes on disk.

use chrono::Utc;
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

/// How many runs each measure takes (the median is reported).
pub const RUNS: usize = 7;

/// (milliseconds, peak RSS in MB) of each run.
pub type Runs = Vec<(f64, f64)>;

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn line(what: &str, empty: &Runs, full: &Runs, goal: &str) {
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
pub fn runs(args: &[&str], dir: &Path) -> Runs {
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

pub fn first_frames(dir: &Path) -> Runs {
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

/// In a bench binary's `main`, first: when this process is one of the measuring children
/// [`runs`] and [`first_frames`] start, measure and return true (the bench then stops).
pub fn child_if_asked() -> bool {
    match std::env::var("CUTOVER_BENCH_CHILD") {
        Ok(mode) => {
            child(&mode);
            true
        }
        Err(_) => false,
    }
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
            let drawn = first_frame(dir);
            let ms = drawn.duration_since(start).as_secs_f64() * 1000.0;
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
/// Returns when the frame was drawn: what the lead waits for (tearing the owner down after
/// it is not part of that wait).
fn first_frame(dir: &Path) -> Instant {
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
        Instant::now()
    })
}

/// Bytes under `dir`.
pub fn du(dir: &Path) -> u64 {
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
