//! One owner, many cockpits (issue 9): a bench binary that prints a table.
//!
//! The owner is the real `cutover watch` process; cockpits are the real cockpit loop
//! (`cutover::tui::drive` on a `TestBackend`) in this process, attached through the project's
//! Unix socket. Measured, with goals:
//! * first frame of a cockpit attaching to a project of 1,000 segments (≤ 150 ms);
//! * an action taken in one attached cockpit, until another attached cockpit has drawn it
//!   (≤ 100 ms p99);
//! * key-to-frame in each of 20 attached cockpits while 1,000 sources poll (≤ 30 ms p99).
//!
//! And `/metrics` (issue 31), on 1,000 segments in cutover with a day of hourly samples, the
//! owner a real `cutover watch --metrics`:
//! * a scrape, request to last byte (≤ 20 ms);
//! * key-to-frame p99 in an attached cockpit, without scrapes and while scrapes run back to
//!   back (unmoved: within the runs' noise).
//!
//! Run: `cargo bench --bench attach` (`CUTOVER_BENCH_PART=metrics` runs only the last).

#[path = "../tests/common/mod.rs"]
mod common;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use cutover::model::Action;
use cutover::owner::link::{Link, LinkConfig};
use cutover::owner::protocol::{Reply, Request, Role};
use cutover::tui::app::Model;
use cutover::tui::theme::Theme;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

fn project(segments: usize, sources_each: usize, url: &str) -> String {
    let mut t = String::from("[project]\nname = \"Bench\"\n");
    for s in 0..segments {
        t += &format!(
            "\n[[segments]]\nid = \"seg-{s:04}\"\nstrategy = \"slow\"\nsize = 100000\nlogin_probability = 0.05\ngoal = 0.9\n"
        );
        for m in 0..sources_each {
            let metric = if m == 0 {
                "migrated".to_string()
            } else {
                format!("m{m}")
            };
            t += &format!(
                "[segments.sources.{metric}]\nkind = \"json\"\nurl = \"{url}/count\"\npointer = \"/total\"\nevery = \"1s\"\ntimeout = \"2s\"\n"
            );
        }
    }
    t
}

struct Watch(Child);

impl Watch {
    fn start(dir: &Path) -> Watch {
        let child = common::bin(dir)
            .arg("watch")
            .stderr(Stdio::null())
            .spawn()
            .expect("watch");
        let start = Instant::now();
        while std::os::unix::net::UnixStream::connect(dir.join(".cutover/sock")).is_err() {
            assert!(start.elapsed() < Duration::from_secs(30), "no owner");
            std::thread::sleep(Duration::from_millis(20));
        }
        Watch(child)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn config(dir: &Path) -> LinkConfig {
    let mut c = LinkConfig::new(dir.to_path_buf(), dir.join(".cutover"), Role::Cockpit);
    // An owner busy starting 1,000 segments' forecasts answers late, not never.
    c.patience = Duration::from_secs(30);
    c
}

/// Attach, subscribe, build the model and draw the first frame.
async fn attach(dir: &Path, size: (u16, u16)) -> (Link, Model) {
    let mut link = Link::establish(config(dir)).await.expect("attach");
    assert!(!link.owns(), "the bench attaches to the watch");
    let reply = link
        .session
        .call(Request::Subscribe { polls: false }, |_| {})
        .await
        .expect("subscribe");
    let Reply::Snapshot { snapshot } = reply else {
        panic!("{reply:?}");
    };
    let model = Model::new(
        *snapshot,
        vec![Theme::default_theme()],
        chrono::Utc::now(),
        size,
    );
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(size.0, size.1)).expect("t");
    terminal
        .draw(|f| cutover::tui::view::render(f, &model))
        .expect("draw");
    (link, model)
}

fn percentiles(mut v: Vec<f64>) -> (f64, f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    (at(0.0), at(0.5), at(0.99), v[v.len() - 1])
}

fn row(what: &str, samples: Vec<f64>, goal: &str) {
    let n = samples.len();
    let (min, p50, p99, max) = percentiles(samples);
    println!("| {what} | {n} | {min:.1} | {p50:.1} | {p99:.1} | {max:.1} | {goal} |");
}

type Frames = Arc<Mutex<Vec<(Instant, u64, bool)>>>;

/// A cockpit running the real loop on a TestBackend; keys come from the returned sender.
fn cockpit(
    rt: &tokio::runtime::Runtime,
    mut link: Link,
    mut model: Model,
    watched: &'static str,
) -> (
    mpsc::UnboundedSender<std::io::Result<Event>>,
    Frames,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = mpsc::unbounded_channel::<std::io::Result<Event>>();
    let frames: Frames = Arc::default();
    let seen = frames.clone();
    let task = rt.spawn(async move {
        let events = Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|e| (e, rx))
        }));
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).expect("t");
        let _ = cutover::tui::drive(&mut terminal, events, &mut link, &mut model, |m| {
            let held = m
                .snapshot
                .status
                .segments
                .iter()
                .any(|s| s.id == watched && s.hold.is_some());
            seen.lock()
                .expect("lock")
                .push((Instant::now(), m.keys_seen, held));
        })
        .await;
    });
    (tx, frames, task)
}

fn key(c: char) -> std::io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

/// Send `n` keys (j, k, …) to every cockpit, 20 ms apart, and return each key's time until
/// its cockpit drew it.
fn key_to_frame(
    cockpits: &[(mpsc::UnboundedSender<std::io::Result<Event>>, Frames)],
    n: usize,
) -> Vec<f64> {
    let before: Vec<u64> = cockpits
        .iter()
        .map(|(_, f)| f.lock().expect("lock").last().map_or(0, |x| x.1))
        .collect();
    let mut sent: Vec<Vec<Instant>> = vec![Vec::new(); cockpits.len()];
    for i in 0..n {
        for (c, (keys, _)) in cockpits.iter().enumerate() {
            sent[c].push(Instant::now());
            let _ = keys.send(key(if i % 2 == 0 { 'j' } else { 'k' }));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let mut latencies = Vec::new();
    for (c, (_, frames)) in cockpits.iter().enumerate() {
        let frames = frames.lock().expect("lock").clone();
        for (i, at) in sent[c].iter().enumerate() {
            let frame = frames
                .iter()
                .find(|(t, k, _)| *k > before[c] + i as u64 && t >= at)
                .unwrap_or_else(|| panic!("cockpit {c}: key {i} never drawn"));
            latencies.push((frame.0 - *at).as_secs_f64() * 1000.0);
        }
    }
    latencies
}

fn main() {
    let rt = cutover::runtime::multi_thread().expect("runtime");
    println!("| measure | n | min ms | p50 ms | p99 ms | max ms | goal |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    if std::env::var("CUTOVER_BENCH_PART").as_deref() == Ok("metrics") {
        return metrics(&rt);
    }

    // 1. Attaching to 1,000 segments.
    let server = common::serve_routes(vec![common::route("/count", 200, r#"{"total": 4321}"#)]);
    let big = tempfile::tempdir().expect("tempdir");
    common::write_project(big.path(), &project(1000, 0, &server.url));
    let owner = Watch::start(big.path());
    let mut firsts = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        let (link, _model) = rt.block_on(attach(big.path(), (160, 48)));
        firsts.push(start.elapsed().as_secs_f64() * 1000.0);
        rt.block_on(link.close(cutover::owner::StopMode::Now))
            .expect("close");
    }
    row(
        "first frame, attaching to 1,000 segments",
        firsts,
        "≤ 150 ms",
    );

    // 2. An action in cockpit A, drawn by cockpit B.
    let (link_b, model_b) = rt.block_on(attach(big.path(), (160, 48)));
    let (_keys_b, frames_b, task_b) = cockpit(&rt, link_b, model_b, "seg-0000");
    let (mut link_a, _) = rt.block_on(attach(big.path(), (160, 48)));
    let mut spans = Vec::new();
    for i in 0..200 {
        let action = if i % 2 == 0 {
            Action::Pause
        } else {
            Action::Resume
        };
        let want_held = action == Action::Pause;
        let sent = Instant::now();
        let request = Request::Act {
            segment: "seg-0000".into(),
            action,
            reason: Some("bench".into()),
            expect: None,
            delete_active: false,
            override_window: false,
        };
        rt.block_on(link_a.session.call(request, |_| {}))
            .expect("act");
        loop {
            let shown = frames_b
                .lock()
                .expect("lock")
                .iter()
                .find(|(t, _, held)| *t >= sent && *held == want_held)
                .map(|(t, _, _)| *t);
            if let Some(t) = shown {
                spans.push((t - sent).as_secs_f64() * 1000.0);
                break;
            }
            assert!(sent.elapsed() < Duration::from_secs(10), "never shown");
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    row(
        "action in one cockpit → frame in another",
        spans,
        "≤ 100 ms p99",
    );
    task_b.abort();
    drop(link_a);
    drop(owner);

    // 3. 20 attached cockpits while 1,000 sources poll.
    let load = tempfile::tempdir().expect("tempdir");
    common::write_project(load.path(), &project(100, 10, &server.url));
    let _owner = Watch::start(load.path());
    let cockpits: Vec<_> = (0..20)
        .map(|_| {
            let (link, model) = rt.block_on(attach(load.path(), (160, 48)));
            cockpit(&rt, link, model, "seg-0000")
        })
        .collect();
    std::thread::sleep(Duration::from_millis(2_500));
    let keyed: Vec<_> = cockpits
        .iter()
        .map(|(keys, frames, _)| (keys.clone(), frames.clone()))
        .collect();
    let latencies = key_to_frame(&keyed, 100);
    let requests = server.seen.lock().expect("lock").len();
    row(
        &format!("key-to-frame, 20 attached cockpits, 1,000 sources ({requests} polls served)"),
        latencies,
        "≤ 30 ms p99",
    );
    for (_, _, task) in cockpits {
        task.abort();
    }
    drop(_owner);
    metrics(&rt);
}

/// `/metrics` of 1,000 segments in cutover: the scrape, and key-to-frame beside it.
fn metrics(rt: &tokio::runtime::Runtime) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    common::write_project(p, &common::history::project(1000));
    let t0 = chrono::Utc::now() - chrono::Duration::days(1);
    common::history::cut_over_at(p, t0);
    common::history::import(p, 1000, t0, 1, 3600);
    let (mut watch, _lines, addr) = common::prom::metrics_watch(p, &[]);
    let scrape = move || common::prom::scrape(&addr, "text/plain").1;
    let start = Instant::now();
    while scrape().matches("phase=\"cutover\"} 1").count() < 1000 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the board never filled"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (link, model) = rt.block_on(attach(p, (160, 48)));
    let (keys, frames, task) = cockpit(rt, link, model, "seg-00");
    let one = [(keys, frames)];
    std::thread::sleep(Duration::from_millis(1_000));
    // 500 keys, 10 s: every run spans one of the owner's full refreshes (every 10 s), so the
    // runs compare like for like.
    let quiet = key_to_frame(&one, 500);
    let mut scrapes = Vec::new();
    let mut bytes = 0;
    for _ in 0..100 {
        let t = Instant::now();
        bytes = scrape().len();
        scrapes.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    // A request through the owner loop (the log's newest event), 500 times 20 ms apart: what
    // a scrape would delay if it took the loop's time.
    let (mut probe, _) = rt.block_on(attach(p, (160, 48)));
    let mut round_trips = || {
        (0..500)
            .map(|_| {
                let t = Instant::now();
                let ask = Request::Log {
                    segment: None,
                    before: None,
                    limit: Some(1),
                };
                rt.block_on(probe.session.call(ask, |_| {})).expect("log");
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                std::thread::sleep(Duration::from_millis(20));
                ms
            })
            .collect::<Vec<f64>>()
    };
    let loop_quiet = round_trips();
    // `measure` while a scraper runs every `pace` (zero: back to back), and how many scrapes
    // ran.
    let beside = |pace: Duration, measure: &mut dyn FnMut() -> Vec<f64>| {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (flag, scrape) = (stop.clone(), scrape.clone());
        let scraper = std::thread::spawn(move || {
            let mut n = 0;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = scrape();
                n += 1;
                std::thread::sleep(pace);
            }
            n
        });
        let latencies = measure();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        (latencies, scraper.join().expect("scraper"))
    };
    let (loop_paced, _) = beside(Duration::from_millis(100), &mut round_trips);
    let (paced, paced_n) = beside(Duration::from_millis(100), &mut || key_to_frame(&one, 500));
    let (busy, busy_n) = beside(Duration::ZERO, &mut || key_to_frame(&one, 500));
    let quiet_again = key_to_frame(&one, 500);
    row(
        &format!(
            "/metrics scrape, 1,000 segments in cutover ({} KB)",
            bytes / 1024
        ),
        scrapes,
        "≤ 20 ms",
    );
    row(
        "a request through the owner loop, no scrapes",
        loop_quiet,
        "—",
    );
    row(
        "a request through the owner loop, a scrape every 100 ms",
        loop_paced,
        "p99 unmoved",
    );
    row("key-to-frame, attached cockpit, no scrapes", quiet, "—");
    row(
        &format!("key-to-frame, attached cockpit, a scrape every 100 ms ({paced_n} scrapes)"),
        paced,
        "p99 unmoved",
    );
    row(
        &format!("key-to-frame, attached cockpit, scrapes back to back ({busy_n} scrapes)"),
        busy,
        "—",
    );
    row(
        "key-to-frame, attached cockpit, no scrapes (again)",
        quiet_again,
        "—",
    );
    task.abort();
    let _ = watch.kill();
    let _ = watch.wait();
}
