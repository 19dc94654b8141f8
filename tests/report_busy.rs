//! A report of 1,000 segments is drawn beside the owner's loop, not in it (issue 24): while
//! `cutover report` writes a project of 1,000 segments through the cockpit's owner (100 of
//! them in cutover, each with its chart, 202 pictures in all), the cockpit answers every key
//! within the responsive bound and its polls (every 250 ms) keep reaching the screen.

mod common;

use chrono::Utc;
use common::{cutover, route, serve_routes, write_project};
use cutover::owner::link::{Link, LinkConfig};
use cutover::owner::protocol::{Reply, Request, Role};
use cutover::owner::{Owner, OwnerOptions, StopMode};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SEGMENTS: usize = 1_000;
/// Segments in cutover, each with a chart in the report.
const CUT_OVER: usize = 100;
/// Segments with a polled source.
const POLLED: usize = 10;

fn toml(url: &str) -> String {
    let mut t = String::from("[project]\nname = \"Wide\"\n\n");
    for s in 0..SEGMENTS {
        t += &format!(
            "[[segments]]\nid = \"seg-{s:04}\"\nstrategy = \"slow\"\nsize = 10000\nlogin_probability = 0.05\ngoal = 0.9\n"
        );
        if s < POLLED {
            t += &format!(
                "[segments.sources.migrated]\nkind = \"json\"\nurl = \"{url}/count\"\npointer = \"/total\"\nevery = \"250ms\"\ntimeout = \"2s\"\n"
            );
        }
        t += "\n";
    }
    t
}

/// The first [`CUT_OVER`] segments in cutover since 3 days ago, with a reading every 6 hours.
fn into_cutover(engine: &mut cutover::engine::Engine) {
    let t0 = Utc::now() - chrono::Duration::days(3);
    for s in 0..CUT_OVER {
        let id = format!("seg-{s:04}");
        common::engine_to_cutover(engine, &id, t0);
        for h in 1..12 {
            let at = t0 + chrono::Duration::hours(6 * h);
            engine
                .record_sample(&id, "migrated", at, (h * 120) as f64)
                .expect("sample");
        }
    }
}

use common::keys::key;

/// A drawn frame: when, keys handled so far, when the newest sample on screen was polled.
type Frame = (Instant, u64, Option<chrono::DateTime<Utc>>);

#[test]
fn a_report_of_1000_segments_stalls_neither_keys_nor_polls() {
    let server = serve_routes(vec![route("/count", 200, r#"{"total": 2500}"#)]);
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &toml(&server.url));
    let (project, _) = cutover::config::load(dir.path()).expect("project");
    let store = cutover::store::Store::open(&dir.path().join(".cutover")).expect("store");
    let mut engine =
        cutover::engine::Engine::new(project, dir.path().to_path_buf(), store).expect("engine");
    into_cutover(&mut engine);
    let rt = cutover::runtime::multi_thread().expect("runtime");
    let (mut link, snapshot) = rt.block_on(async {
        let owner = Owner::start(engine, OwnerOptions::new(Role::Cockpit)).expect("owner");
        let config = LinkConfig::new(
            dir.path().to_path_buf(),
            dir.path().join(".cutover"),
            Role::Cockpit,
        );
        let mut link = Link::owned(config, owner).await;
        let reply = link
            .session
            .call(Request::Subscribe { polls: false }, |_| {})
            .await
            .expect("subscribe");
        let Reply::Snapshot { snapshot } = reply else {
            panic!("no snapshot: {reply:?}");
        };
        (link, *snapshot)
    });
    let mut model = cutover::tui::app::Model::new(
        snapshot,
        vec![cutover::tui::theme::Theme::default_theme()],
        Utc::now(),
        (160, 48),
    );
    let frames: Arc<Mutex<Vec<Frame>>> = Arc::default();
    let sent: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let span: Arc<Mutex<Option<(Instant, Instant)>>> = Arc::default();
    let (tx, events) = common::keys::channel();
    let (sent_keys, report_span) = (sent.clone(), span.clone());
    let project_dir = dir.path().to_path_buf();
    let out = dir.path().join("report");
    let out_in = out.clone();
    let typist = std::thread::spawn(move || {
        // The pollers ramp up first.
        std::thread::sleep(Duration::from_millis(1_500));
        // Keys with no report, to compare.
        let quiet = Instant::now();
        let mut n = 0usize;
        while quiet.elapsed() < Duration::from_secs(3) {
            sent_keys.lock().expect("lock").push(Instant::now());
            let _ = tx.send(key(if n.is_multiple_of(2) { 'j' } else { 'k' }));
            n += 1;
            std::thread::sleep(Duration::from_millis(25));
        }
        // Another lead asks for the report, through the cockpit's owner.
        let report = std::thread::spawn(move || {
            let from = Instant::now();
            let run = cutover(&project_dir)
                .arg("report")
                .arg("--out")
                .arg(&out_in)
                .output()
                .expect("report");
            assert!(run.status.success(), "{run:?}");
            (from, Instant::now())
        });
        // Keys while it draws.
        while !report.is_finished() {
            sent_keys.lock().expect("lock").push(Instant::now());
            let _ = tx.send(key(if n.is_multiple_of(2) { 'j' } else { 'k' }));
            n += 1;
            std::thread::sleep(Duration::from_millis(25));
        }
        *report_span.lock().expect("lock") = Some(report.join().expect("report"));
        std::thread::sleep(Duration::from_millis(200));
        let _ = tx.send(key('q'));
    });
    let frames_in = frames.clone();
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).expect("terminal");
    rt.block_on(cutover::tui::drive(
        &mut terminal,
        events,
        &mut link,
        &mut model,
        |m| {
            let newest = m
                .snapshot
                .status
                .segments
                .iter()
                .flat_map(|s| &s.sources)
                .filter_map(|s| s.at)
                .max();
            frames_in
                .lock()
                .expect("lock")
                .push((Instant::now(), m.keys_seen, newest));
        },
    ))
    .expect("drive");
    rt.block_on(link.close(StopMode::Now)).expect("close");
    typist.join().expect("typist");

    let (from, until) = span.lock().expect("lock").expect("the report ran");
    let charts = std::fs::read_dir(&out)
        .expect("report folder")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
        .count();
    assert_eq!(
        charts,
        CUT_OVER + 1,
        "a chart per segment in cutover and the project's"
    );
    let summary = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    let last = format!("seg-{:04}", SEGMENTS - 1);
    assert!(summary.contains(&last), "every segment is in the summary");
    let frames = frames.lock().expect("lock").clone();
    let sent = sent.lock().expect("lock").clone();
    let latencies = common::keys::to_frame(&sent, frames.iter().map(|f| (f.0, f.1)), 0);
    let p99 = |from: Instant, until: Instant| {
        let mut during: Vec<f64> = sent
            .iter()
            .zip(&latencies)
            .filter(|(at, _)| **at >= from && **at < until)
            .map(|(_, l)| *l)
            .collect();
        during.sort_by(f64::total_cmp);
        common::keys::percentile(&during, 0.99)
    };
    let (quiet, p99) = (p99(sent[0], from), p99(from, until));
    // The age of the newest poll on screen, on every frame drawn while the report was drawn.
    let ages: Vec<f64> = frames
        .iter()
        .filter(|(t, _, _)| *t > from + Duration::from_millis(500) && *t < until)
        .filter_map(|(t, _, newest)| {
            let wall = Utc::now() - chrono::Duration::from_std(t.elapsed()).ok()?;
            Some((wall - (*newest)?).num_milliseconds() as f64 / 1000.0)
        })
        .collect();
    let worst = ages.iter().copied().fold(0.0, f64::max);
    eprintln!(
        "report of {SEGMENTS} segments in {:.1} s: {} keys, key-to-frame p99 {p99:.1} ms ({quiet:.1} ms without a report); newest poll on screen at most {worst:.2} s old over {} frames",
        (until - from).as_secs_f64(),
        sent.len(),
        ages.len()
    );
    // The bound: the responsive cockpit's 30 ms, or what this 1,000-segment overview costs
    // a key without a report (the test build draws it unoptimised) and 20 ms of the two cores
    // that the `report` process (a whole cutover starting on 1,000 segments) and the report's
    // lower-priority drawing thread still take: runs measured 1 to 13 ms more. What the old
    // loop broke is the polls, asserted below.
    let bound = (quiet + 20.0).max(30.0);
    assert!(p99 <= bound, "key-to-frame p99 {p99:.1} ms > {bound:.1} ms");
    assert!(
        ages.len() > 20,
        "frames drawn during the report: {}",
        ages.len()
    );
    assert!(
        worst < 1.5,
        "the polls stopped reaching the screen while the report was drawn: {worst:.1} s old"
    );
}
