//! Nobody guards, and everybody knows: long-lived owners record when guarding starts and stops
//! (who, pid, host, why); `status` says "unguarded since" for a segment in cutover while
//! nothing guards it; a guard killed without a word is found gone by the next owner; and the
//! next guard to start raises one notification for the gap.

#[path = "common/cockpit.rs"]
mod cockpit;
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
    // Killed once it has said it guards.
    let start = std::time::Instant::now();
    while !guarding(p).iter().any(|e| e["reason"] == "started") {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the watch never said it guards"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
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

/// In a real terminal: quitting the last cockpit with a segment in cutover asks first and
/// names it; after `y`, `status --json` says it is unguarded since then; a later `watch`
/// raises the gap as one notification.
#[test]
fn quitting_the_guarding_cockpit_asks_and_the_next_watch_tells_the_gap() {
    let receiver = Receiver::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, &project(&receiver.url()));
    std::fs::write(p.join("rate.txt"), "0.01\n").expect("rate");
    common::advance_segment_to_cutover(p, "us");
    let tmux = common::tmux::Tmux::server("cutover-unguarded");
    tmux.cockpit("quit", p, "");
    tmux.wait_for("quit", "the overview", |s| s.contains("Segments (1)"));
    // Guarded while the cockpit is open: nothing in the header says otherwise.
    assert!(us(p)["unguarded_since"].is_null());
    tmux.keys("quit", &["q"]);
    let asked = tmux.wait_for("quit", "the question", |s| {
        s.contains("Quit and leave segments unguarded?")
    });
    assert!(asked.contains("guarded by this cockpit: us"), "{asked}");
    assert!(asked.contains("cutover watch"), "{asked}");
    // `n` stays: still guarded.
    tmux.keys("quit", &["n"]);
    tmux.wait_for("quit", "the question to close", |s| {
        !s.contains("Quit and leave segments unguarded?")
    });
    assert!(us(p)["unguarded_since"].is_null());
    tmux.keys("quit", &["q"]);
    tmux.wait_for("quit", "the question again", |s| {
        s.contains("Quit and leave segments unguarded?")
    });
    tmux.keys("quit", &["y"]);
    tmux.wait_for("quit", "the cockpit to exit", |s| {
        s.contains("COCKPIT-EXITED 0")
    });
    drop(tmux);

    let s = us(p);
    let since = s["unguarded_since"].as_str().expect("unguarded since");
    let stop = guarding(p).last().cloned().expect("a stop record");
    assert_eq!(stop["reason"], "stopped");
    assert!(
        stop["detail"]
            .as_str()
            .expect("detail")
            .contains("the cockpit quit"),
        "{stop}"
    );
    let at = |t: &str| t.parse::<chrono::DateTime<chrono::Utc>>().expect("time");
    assert_eq!(at(since), at(stop["at"].as_str().expect("at")));

    std::thread::sleep(Duration::from_secs(6));
    let mut w = common::owning_watch(p);
    let bodies = receiver.wait(Duration::from_secs(10), "the gap", |b| {
        b.iter().any(|m| m["kind"] == "unguarded")
    });
    sigterm(&mut w);
    let gap = bodies
        .iter()
        .find(|m| m["kind"] == "unguarded")
        .expect("the gap");
    assert!(
        gap["text"]
            .as_str()
            .expect("text")
            .contains("us was unguarded from"),
        "{gap}"
    );
}

/// The cockpit's header and "needs you" say it when a segment in cutover has no guard (an
/// attached cockpit whose owner does not guard, or a status read while nobody guards).
#[test]
fn the_header_and_needs_you_say_a_segment_is_unguarded() {
    use cockpit::{model, render, text};
    let mut m = model(160, 48);
    let mut snapshot = m.snapshot.clone();
    let since = cutover::sample_project::now() - chrono::Duration::minutes(42);
    for s in &mut snapshot.status.segments {
        if s.id == "eu-customers" {
            s.unguarded_since = Some(since);
        }
    }
    cutover::tui::update::update(
        &mut m,
        cutover::tui::update::Input::Refreshed(Box::new(snapshot)),
    );
    let screen = text(&render(&m));
    let header = screen.lines().next().expect("header");
    assert!(
        header.contains(&format!(
            "⚠ eu-customers unguarded since {}",
            since.format("%H:%M")
        )),
        "{header}"
    );
    assert!(
        screen.contains("unguarded since") && screen.contains("run `cutover watch`"),
        "{screen}"
    );
    let need = screen
        .lines()
        .find(|l| l.contains("eu-customers") && l.contains("look at the segment"))
        .unwrap_or_else(|| panic!("not in needs you:\n{screen}"));
    assert!(need.contains("unguarded since"), "{need}");
}
