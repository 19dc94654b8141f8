//! Hardening, round two (issue 23, §5): a symbolic link planted where cutover writes is never
//! written through. The cockpit's `cutover.log`, a backup's files, a report's files and sled's
//! own files are refused by name, and the file the link points at stays as it was.

mod common;

use common::{cutover, fails, write_project};
use std::path::Path;

/// A file someone else owns, and a link to it at `at`.
fn plant(dir: &Path, at: &Path) -> std::path::PathBuf {
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "precious\n").expect("victim");
    std::os::unix::fs::symlink(&victim, at).expect("symlink");
    victim
}

fn untouched(victim: &Path) {
    assert_eq!(
        std::fs::read_to_string(victim).expect("victim"),
        "precious\n",
        "the link's target was written through"
    );
}

#[test]
fn the_cockpit_never_appends_its_log_through_a_planted_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, &common::staff_with(""));
    cutover(p).arg("status").assert().success();
    let victim = plant(p, &p.join(".cutover/cutover.log"));
    let tmux = common::tmux::Tmux::server("cutover-nofollow");
    tmux.cockpit("log", p, "");
    let screen = tmux.wait_for("log", "the cockpit", |s| s.contains("staff"));
    assert!(screen.contains("staff"), "{screen}");
    // An action through the cockpit's owner is logged ("action"): without the link,
    // `cutover.log` gets it.
    cutover(p)
        .args(["pause", "staff", "--reason", "freeze"])
        .assert()
        .success();
    let _ = tmux.quit("log");
    std::thread::sleep(std::time::Duration::from_millis(500));
    untouched(&victim);
    std::fs::remove_file(p.join(".cutover/cutover.log")).expect("rm link");
    tmux.cockpit("plain", p, "");
    tmux.wait_for("plain", "the cockpit", |s| s.contains("staff"));
    cutover(p).args(["resume", "staff"]).assert().success();
    let _ = tmux.quit("plain");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let log = std::fs::read_to_string(p.join(".cutover/cutover.log")).expect("a log file");
    assert!(!log.is_empty(), "the cockpit logs when it may");
}

#[test]
fn backups_reports_and_the_state_refuse_links_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, &common::staff_with(""));
    cutover(p)
        .args(["record", "staff", "migrated", "10"])
        .assert()
        .success();

    let backup = p.join("backup");
    std::fs::create_dir(&backup).expect("mkdir");
    let victim = plant(p, &backup.join("events.jsonl"));
    let stderr = fails(cutover(p).args(["state", "backup"]).arg(&backup));
    assert!(
        stderr.contains("events.jsonl' is a symbolic link"),
        "{stderr}"
    );
    untouched(&victim);
    std::fs::remove_file(&victim).expect("rm");

    let report = p.join("report");
    std::fs::create_dir(&report).expect("mkdir");
    let victim = plant(p, &report.join("report.md"));
    let stderr = fails(cutover(p).args(["report", "--out"]).arg(&report));
    assert!(stderr.contains("report.md' is a symbolic link"), "{stderr}");
    untouched(&victim);
    std::fs::remove_file(&victim).expect("rm");

    let conf = p.join(".cutover/state/conf");
    std::fs::remove_file(&conf).expect("sled's conf");
    let victim = plant(p, &conf);
    let stderr = fails(cutover(p).arg("status"));
    assert!(stderr.contains("conf' is a symbolic link"), "{stderr}");
    untouched(&victim);
}
