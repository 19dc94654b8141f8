//! Exactly one guard, and failover, with real processes: two `cutover watch` on two "machines"
//! (two project folders, one real PostgreSQL). The guard (`status --json` → `team.guard`, read
//! from the server's own sessions) is killed with SIGKILL 50 times; every time the other
//! `watch` takes the guard within 10 s, and a third process's actions, made all along, are all
//! in the log (no acknowledged event lost).

mod common;

use common::pg_server::{Postgres, guard_pid};
use common::{bin, cutover, write_project};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const TOML: &str = "[project]\nname = \"Failover\"\n[state]\nbackend = \"postgres\"\nurl = \"env:CUTOVER_DATABASE_URL\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 1000\nlogin_probability = 0.1\ngoal = 0.9\n";

fn watch(dir: &Path, url: &str) -> Child {
    bin(dir)
        .arg("watch")
        .env("CUTOVER_DATABASE_URL", url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn watch")
}

fn wait_for_guard(db: &mut postgres::Client, not: Option<u32>, within: Duration) -> Option<u32> {
    let t0 = Instant::now();
    while t0.elapsed() < within {
        if let Some(pid) = guard_pid(db)
            && Some(pid) != not
        {
            return Some(pid);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn a_killed_guard_is_replaced_within_ten_seconds_fifty_times_and_nothing_is_lost() {
    let pg = Postgres::start();
    let url = pg.url();
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("tmp")).collect();
    for d in &dirs {
        write_project(d.path(), TOML);
    }
    let mut db = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    // Before any watch: the database exists, nobody guards, and status says so.
    let out = cutover(dirs[2].path())
        .env("CUTOVER_DATABASE_URL", &url)
        .args(["status"])
        .output()
        .expect("status");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("no process guards it"), "{text}");
    let mut watches: BTreeMap<u32, (PathBuf, Child)> = BTreeMap::new();
    for d in &dirs[..2] {
        let child = watch(d.path(), &url);
        watches.insert(child.id(), (d.path().to_path_buf(), child));
    }
    // A third machine acts all along; every event it was told of must survive.
    let stop = Arc::new(AtomicBool::new(false));
    let actor = {
        let (dir, url, stop) = (dirs[2].path().to_path_buf(), url.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut acked = Vec::new();
            let mut i = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let args: Vec<String> = if i.is_multiple_of(2) {
                    vec![
                        "pause".into(),
                        "eu".into(),
                        "--reason".into(),
                        format!("p{i}"),
                    ]
                } else {
                    vec!["resume".into(), "eu".into()]
                };
                i += 1;
                let out = cutover(&dir)
                    .env("CUTOVER_DATABASE_URL", &url)
                    .args(&args)
                    .output()
                    .expect("act");
                acked.extend(common::acked_seqs(&out.stdout));
            }
            acked
        })
    };
    let mut current = wait_for_guard(&mut db, None, Duration::from_secs(20)).expect("a guard");
    let mut worst = Duration::ZERO;
    for round in 0..50 {
        assert!(
            watches.contains_key(&current),
            "round {round}: the guard {current} is a watch"
        );
        let (dir, mut child) = watches.remove(&current).expect("guard");
        child.kill().expect("SIGKILL");
        let t0 = Instant::now();
        child.wait().expect("reap");
        let next = wait_for_guard(&mut db, Some(current), Duration::from_secs(10))
            .unwrap_or_else(|| panic!("round {round}: no new guard within 10 s"));
        worst = worst.max(t0.elapsed());
        assert!(
            watches.contains_key(&next),
            "round {round}: the survivor took over"
        );
        let child = watch(&dir, &url);
        watches.insert(child.id(), (dir, child));
        current = next;
        // Kill at varied moments of the standby's once-a-second ask, not only just after a
        // takeover (when the fresh standby's first ask would win at once).
        std::thread::sleep(Duration::from_millis(150 * (round % 8)));
    }
    stop.store(true, Ordering::Relaxed);
    let acked = actor.join().expect("actor");
    eprintln!(
        "50 takeovers, worst {worst:?}; {} acknowledged actions",
        acked.len()
    );
    assert!(acked.len() >= 10, "the actor was heard: {}", acked.len());
    let out = cutover(dirs[2].path())
        .env("CUTOVER_DATABASE_URL", &url)
        .args(["log", "--json"])
        .output()
        .expect("log");
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let seqs = common::gap_free_seqs(&log);
    for seq in &acked {
        assert!(seqs.contains(seq), "acknowledged event {seq} survived");
    }
    let status = common::json(
        cutover(dirs[2].path())
            .env("CUTOVER_DATABASE_URL", &url)
            .args(["status", "--json"]),
    );
    let shown = status["team"]["guard"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(shown.starts_with(&format!("pid {current} on ")), "{shown}");
    for (_, (_, mut child)) in watches {
        let _ = child.kill();
        let _ = child.wait();
    }
}
