//! The team backend end to end: real `cutover` processes in separate project folders (two
//! "machines") over one real PostgreSQL, started by the test on 127.0.0.1 with a free port.
//! One log for both machines; racing actions fold to a valid, gap-free history with every
//! acknowledged event in it; a database stopped and restarted mid-run is a clear state and
//! loses nothing; a project moves sled → PostgreSQL → sled through backups unchanged; the
//! connection string's password never reaches files, the database or output.

mod common;

use common::pg_server::Postgres;
use common::{cutover, write_project};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const PASSWORD: &str = "Pw-9f3c1e-never-shown";

fn team_toml(backend: &str) -> String {
    let state = match backend {
        "postgres" => "[state]\nbackend = \"postgres\"\nurl = \"env:CUTOVER_DATABASE_URL\"\n",
        _ => "",
    };
    format!(
        "[project]\nname = \"Team\"\n{state}[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 1000\nlogin_probability = 0.1\ngoal = 0.9\n[[segments]]\nid = \"us\"\nstrategy = \"slow\"\nsize = 500\nlogin_probability = 0.1\ngoal = 0.9\n"
    )
}

/// A machine: its own folder, the team's database (a password in the URL, which trust
/// authentication ignores: it is there to be looked for).
fn machine(pg: &Postgres) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &team_toml("postgres"));
    let url = pg
        .url()
        .replace("postgres@", &format!("postgres:{PASSWORD}@"));
    (dir, url)
}

fn run(dir: &Path, url: &str, args: &[&str]) -> std::process::Output {
    cutover(dir)
        .env("CUTOVER_DATABASE_URL", url)
        .args(args)
        .output()
        .expect("run cutover")
}

fn json(dir: &Path, url: &str, args: &[&str]) -> Value {
    let out = run(dir, url, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn phase(status: &Value, segment: &str) -> String {
    status["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .find(|s| s["id"] == segment)
        .map(|s| s["phase"].as_str().unwrap_or_default().to_string())
        .expect("segment")
}

#[test]
fn two_machines_steer_one_log() {
    let pg = Postgres::start();
    let (a, url) = machine(&pg);
    let (b, _) = machine(&pg);
    let out = run(a.path(), &url, &["advance", "eu"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        phase(&json(b.path(), &url, &["status", "--json"]), "eu"),
        "test"
    );
    let out = run(b.path(), &url, &["advance", "eu"]);
    assert!(out.status.success(), "{out:?}");
    let log_a = json(a.path(), &url, &["log", "--json"]);
    let log_b = json(b.path(), &url, &["log", "--json"]);
    assert_eq!(log_a, log_b, "one log, whichever machine reads it");
    assert_eq!(log_a.as_array().map(Vec::len), Some(2));
    // No sled state in either folder: only the lock.
    assert!(!a.path().join(".cutover/state").exists());
    // The password is in no file, no output and no row of the database.
    let mut seen: Vec<Vec<u8>> = vec![out.stdout.clone(), out.stderr.clone()];
    for dir in [a.path(), b.path()] {
        for entry in walk(dir) {
            seen.push(std::fs::read(entry).unwrap_or_default());
        }
    }
    let mut db = ::postgres::Client::connect(&pg.url(), ::postgres::NoTls).expect("connect");
    for table in ["cutover_events", "cutover_series", "cutover_meta"] {
        let rows = db
            .query(&format!("SELECT t::text FROM {table} t"), &[])
            .expect("dump");
        seen.extend(rows.iter().map(|r| r.get::<_, String>(0).into_bytes()));
    }
    assert!(seen.len() > 5);
    for bytes in &seen {
        assert!(
            !bytes
                .windows(PASSWORD.len())
                .any(|w| w == PASSWORD.as_bytes()),
            "the database password leaked"
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(p) = todo.pop() {
        if p.is_dir() {
            todo.extend(
                std::fs::read_dir(&p)
                    .expect("dir")
                    .flatten()
                    .map(|e| e.path()),
            );
        } else if p.is_file() {
            out.push(p);
        }
    }
    out
}

#[test]
fn racing_processes_leave_a_valid_gap_free_history() {
    let pg = Postgres::start();
    let (a, url) = machine(&pg);
    let (b, _) = machine(&pg);
    let lead = |dir: std::path::PathBuf, url: String, n: usize, salt: usize| {
        std::thread::spawn(move || {
            let mut acknowledged = Vec::new();
            for i in 0..n {
                let args: Vec<String> = match (i + salt) % 4 {
                    0 | 1 => vec!["advance".into(), "eu".into()],
                    2 => vec![
                        "rollback".into(),
                        "eu".into(),
                        "--reason".into(),
                        format!("r{i}"),
                    ],
                    _ => vec!["replan".into(), "eu".into()],
                };
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let out = run(&dir, &url, &args);
                acknowledged.extend(common::acked_seqs(&out.stdout));
            }
            acknowledged
        })
    };
    let n = 200;
    let ta = lead(a.path().to_path_buf(), url.clone(), n, 0);
    let tb = lead(b.path().to_path_buf(), url.clone(), n, 1);
    let mut acknowledged = ta.join().expect("a");
    acknowledged.extend(tb.join().expect("b"));
    let log = json(a.path(), &url, &["log", "--json"]);
    let events = log.as_array().expect("log");
    let seqs = common::gap_free_seqs(&log);
    for seq in &acknowledged {
        assert!(seqs.contains(seq), "acknowledged event {seq} is in the log");
    }
    assert!(
        acknowledged.len() >= n,
        "both leads were heard: {}",
        acknowledged.len()
    );
    // Every transition starts where the previous one left the segment.
    let mut at: BTreeMap<String, String> = BTreeMap::new();
    let mut moves = 0;
    for e in events {
        let (Some(from), Some(to)) = (e["from"].as_str(), e["to"].as_str()) else {
            continue;
        };
        if !matches!(e["outcome"].as_str(), Some("ok" | "succeeded")) {
            continue;
        }
        let segment = e["segment"].as_str().expect("segment").to_string();
        let current = at.get(&segment).map_or("plan", String::as_str);
        assert_eq!(from, current, "impossible transition at event {}", e["seq"]);
        at.insert(segment, to.to_string());
        moves += 1;
    }
    assert!(
        moves >= 10,
        "the race moved the segment: {moves} transitions"
    );
}

#[test]
fn a_database_restart_is_a_clear_state_and_loses_nothing() {
    let pg = Postgres::start();
    let (a, url) = machine(&pg);
    assert!(run(a.path(), &url, &["advance", "eu"]).status.success());
    pg.stop();
    let out = run(a.path(), &url, &["advance", "eu"]);
    assert!(!out.status.success(), "an action is refused, never queued");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach the state database"), "{err}");
    assert!(!err.contains(PASSWORD), "{err}");
    // `status` on a machine with no running owner says so too.
    let out = run(a.path(), &url, &["status"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("state database unreachable"), "{err}");
    assert!(!err.contains(PASSWORD), "{err}");
    pg.launch();
    let log = json(a.path(), &url, &["log", "--json"]);
    assert_eq!(
        log.as_array().map(Vec::len),
        Some(1),
        "nothing lost, nothing queued"
    );
    assert!(run(a.path(), &url, &["advance", "eu"]).status.success());
    assert_eq!(
        phase(&json(a.path(), &url, &["status", "--json"]), "eu"),
        "gate"
    );
}

#[test]
fn a_project_moves_from_sled_to_postgres_and_back_unchanged() {
    let pg = Postgres::start();
    let url = pg.url();
    let sled = tempfile::tempdir().expect("tempdir");
    write_project(sled.path(), &team_toml("sled"));
    for args in [
        &["advance", "eu"][..],
        &["advance", "eu"],
        &["record", "eu", "migrated", "120"],
        &["record", "us", "migrated", "7.5"],
        &["advance", "us"],
    ] {
        let out = run(sled.path(), &url, args);
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
    let backup = tempfile::tempdir().expect("tempdir");
    let b1 = backup.path().join("one");
    let out = run(
        sled.path(),
        &url,
        &["state", "backup", b1.to_str().expect("utf-8")],
    );
    assert!(out.status.success(), "{out:?}");
    let (team, _) = machine(&pg);
    let out = run(
        team.path(),
        &url,
        &["state", "restore", b1.to_str().expect("utf-8")],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("PostgreSQL"));
    let log_sled = json(sled.path(), &url, &["log", "--json"]);
    assert_eq!(json(team.path(), &url, &["log", "--json"]), log_sled);
    let b2 = backup.path().join("two");
    let out = run(
        team.path(),
        &url,
        &["state", "backup", b2.to_str().expect("utf-8")],
    );
    assert!(out.status.success(), "{out:?}");
    let back = tempfile::tempdir().expect("tempdir");
    write_project(back.path(), &team_toml("sled"));
    let out = run(
        back.path(),
        &url,
        &["state", "restore", b2.to_str().expect("utf-8")],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(json(back.path(), &url, &["log", "--json"]), log_sled);
    let samples = |dir: &Path| -> Vec<String> {
        std::fs::read_to_string(dir.join("samples.jsonl"))
            .expect("samples")
            .lines()
            .map(String::from)
            .collect()
    };
    assert_eq!(samples(&b1), samples(&b2), "the same samples both ways");
    assert_eq!(samples(&b1).len(), 2);
}

#[test]
fn the_database_url_must_come_from_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(
        dir.path(),
        &team_toml("postgres").replace(
            "env:CUTOVER_DATABASE_URL",
            &format!("postgres://u:{PASSWORD}@db/x"),
        ),
    );
    let out = cutover(dir.path()).arg("check").output().expect("run");
    assert!(!out.status.success());
    let err =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        err.contains("state.url") && err.contains("env:CUTOVER_DATABASE_URL"),
        "{err}"
    );
    assert!(!err.contains(PASSWORD), "{err}");
    // Declared right but not exported: the variable is named, with the fix.
    write_project(dir.path(), &team_toml("postgres"));
    let out = cutover(dir.path())
        .env_remove("CUTOVER_DATABASE_URL")
        .args(["status"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CUTOVER_DATABASE_URL") && err.contains("not set"),
        "{err}"
    );
}
