//! End to end: the real binary in a real terminal (tmux). Open the cockpit on a project, move
//! to a segment in cutover, press `r`, type a reason, confirm, and see the segment rolled back
//! on screen and in `cutover log --json`. Needs tmux (`.ci/run` installs it).

mod common;

use common::tmux::{Tmux, row};

#[test]
fn roll_back_a_segment_in_cutover_from_the_cockpit() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(cutover::sample_project::build(dir.path()).expect("sample project"));
    let tmux = Tmux::server("cutover-e2e");
    tmux.cockpit("e2e", dir.path(), "");

    let screen = tmux.wait_for("e2e", "the overview", |s| s.contains("Segments (6)"));
    assert!(
        row(&screen, "eu-customers").contains("● cutover"),
        "{screen}"
    );

    tmux.keys("e2e", &["j"]);
    tmux.keys("e2e", &["r"]);
    let screen = tmux.wait_for("e2e", "the rollback dialog", |s| {
        s.contains("Roll back eu-customers?")
    });
    assert!(
        screen.contains("fires the rollback hook: run true"),
        "{screen}"
    );
    tmux.text("e2e", "login errors at 3 %");
    tmux.wait_for("e2e", "the typed reason", |s| {
        s.contains("Reason: login errors at 3 %")
    });
    tmux.keys("e2e", &["Enter"]);
    let screen = tmux.wait_for("e2e", "the rollback on screen", |s| {
        row(s, "eu-customers").contains("● rolled-back")
    });
    assert!(
        screen.contains("eu-customers: rollback hook succeeded"),
        "{screen}"
    );

    tmux.quit("e2e");
    tmux.wait_for("e2e", "the cockpit to exit", |s| {
        s.contains("COCKPIT-EXITED 0")
    });
    drop(tmux);

    let log = common::json(common::cutover(dir.path()).args([
        "log",
        "--json",
        "--segment",
        "eu-customers",
    ]));
    let events = log.as_array().expect("array");
    let n = events.len();
    let (requested, outcome) = (&events[n - 2], &events[n - 1]);
    assert_eq!(requested["kind"], "rollback");
    assert_eq!(requested["outcome"], "requested");
    assert_eq!(requested["actor"], cutover::os::actor(None), "the OS user");
    assert_eq!(requested["reason"], "login errors at 3 %");
    assert_eq!(outcome["outcome"], "succeeded");
    assert_eq!(outcome["to"], "rolled-back");
    assert_eq!(outcome["key"], requested["seq"]);
    let status = common::json(common::cutover(dir.path()).args(["status", "--json"]));
    let eu = status["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .find(|s| s["id"] == "eu-customers")
        .expect("eu");
    assert_eq!(eu["phase"], "rolled-back");
}

#[test]
fn the_cockpit_refuses_to_start_without_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(cutover::sample_project::build(dir.path()).expect("sample project"));
    let stderr = common::fails(common::cutover(dir.path()).arg("tui"));
    assert!(
        stderr.contains("needs a terminal") && stderr.contains("cutover status"),
        "{stderr}"
    );
}
