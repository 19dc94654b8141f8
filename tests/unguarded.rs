//! Nobody guards, and everybody knows: long-lived owners record when guarding starts and stops
//! (who, pid, host, why); `status` says "unguarded since" for a segment in cutover while
//! nothing guards it; a guard killed without a word is found gone by the next owner; and the
//! next guard to start raises one notification for the gap.

mod common;

use common::receiver::Receiver;
use common::{cutover, json, write_project};
use std::path::Path;
use std::time::Duration;

fn project(url: &str) -> String {
    format!(
        "[project]\nname = \"Unguarded\"\n[[notify]]\nname = \"leads\"\nwebhook = \"{url}\"\n{}",
        common::GUARDED_US
    )
}

fn us(p: &Path) -> serde_json::Value {
    json(cutover(p).args(["status", "--json"]))["segments"][0].clone()
}

fn guarding(p: &Path) -> Vec<serde_json::Value> {
    json(cutover(p).args(["log", "--json"]))
        .as_array()
        .expect("log")
        .iter()
        .filter(|e| e["kind"] == "guarding")
        .cloned()
        .collect()
}

fn sigterm(child: &mut std::process::Child) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    let _ = child.wait();
}

#[test]
fn a_stopped_watch_leaves_the_segment_unguarded_and_the_next_one_tells_the_gap() {
    let receiver = Receiver::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, &project(&receiver.url()));
    std::fs::write(p.join("rate.txt"), "0.01\n").expect("rate");
    common::advance_segment_to_cutover(p, "us");
    // In cutover and nothing ever guarded it: unguarded since its cutover.
    let before = us(p);
    assert_eq!(before["phase"], "cutover");
    assert!(before["unguarded_since"].is_string(), "{before}");
    let text = String::from_utf8(cutover(p).arg("status").output().expect("status").stdout)
        .expect("utf-8");
    assert!(text.contains("⚠ unguarded since"), "{text}");

    // A watch guards it, through which status says so.
    let mut w = common::owning_watch(p);
    assert!(us(p)["unguarded_since"].is_null());
    let started = guarding(p);
    let last = started.last().expect("a guarding record");
    assert_eq!(last["reason"], "started");
    let detail = last["detail"].as_str().expect("detail");
    assert!(detail.contains(&format!("pid {}", w.id())), "{detail}");
    assert!(
        detail.contains(" on ") && detail.contains("watch"),
        "{detail}"
    );

    // SIGTERM: the watch says it stops, and why; the segment is unguarded since then.
    sigterm(&mut w);
    let records = guarding(p);
    let stop = records.last().expect("a stop record");
    assert_eq!(stop["reason"], "stopped");
    assert!(
        stop["detail"].as_str().expect("detail").contains("SIGTERM"),
        "{stop}"
    );
    let after = us(p);
    let time = |v: &serde_json::Value| -> chrono::DateTime<chrono::Utc> {
        v.as_str().expect("a time").parse().expect("RFC 3339")
    };
    assert_eq!(
        time(&after["unguarded_since"]),
        time(&stop["at"]),
        "{after}"
    );

    // Six seconds later a new watch guards again and tells the gap, once, for all segments.
    std::thread::sleep(Duration::from_secs(6));
    let w = common::owning_watch(p);
    let bodies = receiver.wait(Duration::from_secs(10), "the gap", |b| {
        b.iter().any(|m| m["kind"] == "unguarded")
    });
    let gap: Vec<_> = bodies.iter().filter(|m| m["kind"] == "unguarded").collect();
    assert_eq!(gap.len(), 1, "{bodies:?}");
    let text = gap[0]["text"].as_str().expect("text");
    assert!(text.contains("us was unguarded from"), "{text}");
    let mut w = w;
    sigterm(&mut w);
}

#[test]
fn a_guard_killed_without_a_word_is_found_gone_by_the_next_owner() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(
        p,
        &format!("[project]\nname = \"Killed\"\n{}", common::GUARDED_US),
    );
    std::fs::write(p.join("rate.txt"), "0.01\n").expect("rate");
    common::advance_segment_to_cutover(p, "us");
    let mut w = common::owning_watch(p);
    let _ = w.kill();
    let _ = w.wait();
    // The log still says "started"; the next command holds the project, so nobody guards.
    let s = us(p);
    assert!(s["unguarded_since"].is_string(), "{s}");
    let records = guarding(p);
    let gone = records.last().expect("a record");
    assert_eq!(gone["reason"], "stopped");
    assert!(
        gone["detail"]
            .as_str()
            .expect("detail")
            .contains("without a word"),
        "{gone}"
    );
}
