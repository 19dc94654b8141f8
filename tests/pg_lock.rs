//! A lock another session holds on the team backend stalls only what needs it (issue 24):
//! while a second session holds segment `eu` and the event table for 10 s (up to the server's
//! `lock_timeout`), a lead advances `eu` in a cockpit attached to a `watch` that owns the
//! project. The advance waits for the lock and lands after it; meanwhile the cockpit answers
//! every key within the responsive bound, and `us`'s polls keep reaching its screen.

mod common;

use chrono::Utc;
use common::pg_server::Postgres;
use common::{bin, route, serve_routes, write_project};
use cutover::model::PhaseShown;
use cutover::owner::StopMode;
use cutover::owner::link::{Link, LinkConfig};
use cutover::owner::protocol::{Reply, Request, Role};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LOCK_HELD: Duration = Duration::from_secs(10);

fn toml(url: &str) -> String {
    let mut t = String::from(
        "[project]\nname = \"Locked\"\n[state]\nbackend = \"postgres\"\nurl = \"env:CUTOVER_DATABASE_URL\"\n",
    );
    for id in ["eu", "us"] {
        t += &format!(
            "[[segments]]\nid = \"{id}\"\nstrategy = \"slow\"\nsize = 1000\nlogin_probability = 0.1\ngoal = 0.9\n\
             [segments.sources.migrated]\nkind = \"json\"\nurl = \"{url}/count\"\npointer = \"/total\"\nevery = \"250ms\"\ntimeout = \"2s\"\n"
        );
    }
    t
}

/// A frame: when, keys handled so far, `eu`'s phase, and when `us` was last polled.
type Frame = (
    Instant,
    u64,
    Option<PhaseShown>,
    Option<chrono::DateTime<Utc>>,
);

use common::keys::key;

#[test]
fn a_lock_held_10_s_stalls_only_its_segment_s_action_not_keys_or_other_polls() {
    let pg = Postgres::start();
    let url = pg.url();
    let server = serve_routes(vec![route("/count", 200, r#"{"total": 120}"#)]);
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &toml(&server.url));
    // The owner: a watch in its own process, polling both segments.
    let mut watch_cmd = bin(dir.path());
    watch_cmd.arg("watch").env("CUTOVER_DATABASE_URL", &url);
    let (mut watch, lines) = common::spawn_logged(watch_cmd);
    let t0 = Instant::now();
    while !lines
        .lock()
        .expect("lines")
        .iter()
        .any(|(_, l)| l.contains("watching"))
    {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "watch never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let rt = cutover::runtime::multi_thread().expect("runtime");
    let config = LinkConfig::new(
        dir.path().to_path_buf(),
        dir.path().join(".cutover"),
        Role::Cockpit,
    );
    let (mut link, snapshot) = rt.block_on(async {
        let mut link = Link::establish(config).await.expect("attach");
        assert!(!link.owns(), "the cockpit attaches to the watch");
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
    let locked: Arc<Mutex<Option<(Instant, Instant)>>> = Arc::default();
    let (tx, events) = common::keys::channel();
    let (sent_keys, lock_span, lock_url) = (sent.clone(), locked.clone(), url.clone());
    let typist = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1_500));
        // Another session holds `eu` (as a lead's process deciding on it would) and the event
        // table, for 10 s.
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let holder = std::thread::spawn(move || {
            let mut db = postgres::Client::connect(&lock_url, postgres::NoTls).expect("session");
            let mut tx = db.transaction().expect("begin");
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('eu', 7))",
                &[],
            )
            .expect("segment lock");
            tx.batch_execute("LOCK TABLE cutover_events IN EXCLUSIVE MODE")
                .expect("table lock");
            let from = Instant::now();
            held_tx.send(from).expect("held");
            std::thread::sleep(LOCK_HELD);
            let until = Instant::now();
            tx.commit().expect("commit");
            (from, until)
        });
        let from = held_rx.recv().expect("the lock is held");
        // The lead advances eu (the first row): `a`, then confirm.
        for c in ['a', 'y'] {
            let _ = tx.send(key(c));
            std::thread::sleep(Duration::from_millis(100));
        }
        // Then moves about the overview while the action waits.
        while from.elapsed() < LOCK_HELD - Duration::from_millis(1_000) {
            sent_keys.lock().expect("lock").push(Instant::now());
            let c = if sent_keys.lock().expect("lock").len() % 2 == 0 {
                'k'
            } else {
                'j'
            };
            let _ = tx.send(key(c));
            std::thread::sleep(Duration::from_millis(40));
        }
        let span = holder.join().expect("holder");
        *lock_span.lock().expect("lock") = Some(span);
        // Long enough for the advance to land.
        std::thread::sleep(Duration::from_millis(3_000));
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
            let segment = |id: &str| m.snapshot.status.segments.iter().find(|s| s.id == id);
            let eu = segment("eu").map(|s| s.phase);
            let us = segment("us").and_then(|s| s.sources.iter().filter_map(|x| x.at).max());
            frames_in
                .lock()
                .expect("lock")
                .push((Instant::now(), m.keys_seen, eu, us));
        },
    ))
    .expect("drive");
    rt.block_on(link.close(StopMode::Now)).expect("close");
    typist.join().expect("typist");
    let _ = watch.kill();
    let _ = watch.wait();

    let frames = frames.lock().expect("lock").clone();
    let sent = sent.lock().expect("lock").clone();
    let (from, until) = locked.lock().expect("lock").expect("the lock was held");
    assert!(sent.len() >= 150, "keys sent while locked: {}", sent.len());
    // Key to frame: the 'a' and 'y' before them make 2 keys handled first.
    let mut latencies = common::keys::to_frame(&sent, frames.iter().map(|f| (f.0, f.1)), 2);
    latencies.sort_by(f64::total_cmp);
    let p99 = common::keys::percentile(&latencies, 0.99);
    // How old `us`'s newest poll on screen was, on every frame drawn while the lock was held.
    let stale: Vec<f64> = frames
        .iter()
        .filter(|(t, _, _, _)| *t > from + Duration::from_secs(1) && *t < until)
        .filter_map(|(t, _, _, us)| {
            let shown = (*us)?;
            let wall = Utc::now() - chrono::Duration::from_std(t.elapsed()).ok()?;
            Some((wall - shown).num_milliseconds() as f64 / 1000.0)
        })
        .collect();
    let worst = stale.iter().copied().fold(0.0, f64::max);
    eprintln!(
        "lock held {:.1} s: {} keys, key-to-frame p99 {p99:.1} ms; {} frames, us's newest poll at most {worst:.2} s old",
        (until - from).as_secs_f64(),
        sent.len(),
        stale.len()
    );
    assert!(p99 <= 30.0, "key-to-frame p99 {p99:.1} ms > 30 ms");
    assert!(
        stale.len() > 50,
        "frames drawn while locked: {}",
        stale.len()
    );
    assert!(
        worst < 2.0,
        "us's polls stopped reaching the cockpit while eu was locked: {worst:.1} s old"
    );
    // The action really waited for the lock, and landed after it.
    let before = frames
        .iter()
        .rfind(|(t, _, _, _)| *t < until)
        .and_then(|f| f.2);
    assert_eq!(
        before,
        Some(PhaseShown::Plan),
        "eu advanced while another session held it"
    );
    let last = frames.last().and_then(|f| f.2);
    assert_eq!(
        last,
        Some(PhaseShown::Test),
        "eu's advance landed once the lock was gone"
    );
}
