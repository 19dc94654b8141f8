//! The owner's house (issue 24, §1): a client call has a deadline on silence. An owner that
//! answers nothing at all gives a clear error within it; an owner that works for longer (a
//! hook that runs for seconds) but answers its liveness probes is waited for.

mod common;

use common::raw::{read_frame, socket};
use common::{cutover, write_project};
use std::io::Write;
use std::os::unix::net::UnixListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An "owner" that holds the project's lock, welcomes a client, then never answers.
fn silent_owner(dir: &std::path::Path) -> (std::fs::File, Arc<Mutex<Vec<serde_json::Value>>>) {
    let state = dir.join(".cutover");
    std::fs::create_dir_all(&state).expect("state dir");
    let mut lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(state.join("lock"))
        .expect("lock file");
    lock.lock().expect("hold the project's lock");
    write!(lock, "{}", std::process::id()).expect("pid");
    let listener = UnixListener::bind(socket(dir)).expect("bind");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let heard = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let heard = heard.clone();
            std::thread::spawn(move || {
                let _hello = read_frame(&mut s);
                let welcome = cutover::owner::protocol::ServerMsg::Welcome(
                    cutover::owner::protocol::Welcome {
                        protocol: cutover::owner::protocol::PROTOCOL_VERSION,
                        pid: std::process::id(),
                        role: cutover::owner::protocol::Role::Watch,
                        project: "Silent".into(),
                        actor: "tester".into(),
                        clock: cutover::owner::protocol::ClockSpec {
                            now: chrono::Utc::now(),
                            factor: 1.0,
                        },
                        viewer: false,
                        person: None,
                    },
                );
                let body = serde_json::to_vec(&welcome).expect("json");
                let _ = common::raw::frame(&mut s, &body);
                while let Some(msg) = read_frame(&mut s) {
                    heard.lock().expect("lock").push(msg);
                }
            });
        }
    });
    (lock, seen)
}

#[test]
fn a_silent_owner_gives_a_clear_error_within_the_deadline() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &common::staff_with(""));
    let (_lock, heard) = silent_owner(dir.path());
    let start = Instant::now();
    let out = cutover(dir.path())
        .args(["--deadline", "2s", "status"])
        .timeout(Duration::from_secs(30))
        .output()
        .expect("status");
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("has not answered for 2 s"), "{stderr}");
    assert!(
        stderr.contains(&format!("pid {}", std::process::id())),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let asked: Vec<String> = heard
        .lock()
        .expect("lock")
        .iter()
        .map(|m| {
            m["request"]["request"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(
        asked,
        ["status", "prefs"],
        "the request, then one liveness probe"
    );
}

#[test]
fn a_hook_that_outlasts_the_deadline_is_waited_for_while_the_owner_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(
        dir.path(),
        &common::staff_with("[segments.hooks.cutover]\ncommand = [\"sleep\", \"4\"]\n"),
    );
    for _ in 0..2 {
        cutover(dir.path())
            .arg("advance")
            .arg("staff")
            .assert()
            .success();
    }
    let mut watch = common::owning_watch(dir.path());
    let start = Instant::now();
    let out = cutover(dir.path())
        .args(["--deadline", "1s", "advance", "staff"])
        .output()
        .expect("advance");
    let _ = watch.kill();
    let _ = watch.wait();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(start.elapsed() >= Duration::from_secs(4), "the hook ran");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("gate → cutover"), "{stdout}");
}
