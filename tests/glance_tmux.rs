//! End to end in a real terminal (tmux, 160×48): the overview's "needs you" list offers `R` for
//! a segment whose rollback failed, and pressing it retries; "since you last looked" and the
//! chosen sort survive from one session to the next, through the project's state.

mod common;

use common::tmux::{Tmux, row};

/// The sample project, with apac's rollback hook answering again (the router is back).
fn router_back() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(cutover::sample_project::build(dir.path()).expect("sample project"));
    let file = dir.path().join("cutover.toml");
    let toml = std::fs::read_to_string(&file).expect("project file");
    let failing = r#"command = ["sh", "-c", "echo 'router 10.0.0.7 unreachable' >&2; exit 2"]"#;
    assert!(toml.contains(failing), "the sample's failing hook");
    std::fs::write(&file, toml.replace(failing, r#"command = ["true"]"#)).expect("write");
    dir
}

#[test]
fn needs_you_offers_r_for_a_failed_rollback_and_pressing_it_retries() {
    let dir = router_back();
    let tmux = Tmux::server("cutover-needs");
    tmux.cockpit("needs", dir.path(), "");

    // Live, the sample's sources (a closed port) fail too: they need the lead as well.
    let screen = tmux.wait_for("needs", "the needs-you list", |s| {
        s.contains("Needs you (") && s.contains("retry the rollback")
    });
    let item = screen
        .lines()
        .find(|l| l.contains("retry the rollback"))
        .unwrap_or_else(|| panic!("no retry item:\n{screen}"));
    assert!(item.contains(" R ") && item.contains("apac"), "{item}");
    assert!(
        row(&screen, "staff").contains("● done"),
        "the selection starts on the first row (staff, done): R must find apac by itself"
    );

    tmux.keys("needs", &["R"]);
    tmux.wait_for("needs", "the retry dialog", |s| {
        s.contains("Retry the rollback of apac?")
    });
    tmux.keys("needs", &["Enter"]);
    tmux.wait_for("needs", "the rollback retried on screen", |s| {
        row(s, "apac").contains("● rolled-back")
    });
    let screen = tmux.wait_for("needs", "apac off the needs-you list", |s| {
        !s.contains("retry the rollback")
    });
    assert!(screen.contains("Needs you ("), "{screen}");

    tmux.quit("needs");
    tmux.wait_for("needs", "the cockpit to exit", |s| {
        s.contains("COCKPIT-EXITED 0")
    });
    drop(tmux);
    let log =
        common::json(common::cutover(dir.path()).args(["log", "--json", "--segment", "apac"]));
    let events = log.as_array().expect("array");
    let last = &events[events.len() - 1];
    assert_eq!(last["kind"], "rollback");
    assert_eq!(last["outcome"], "succeeded");
    assert_eq!(last["to"], "rolled-back");
    assert_eq!(last["actor"], cutover::os::actor(None));
}

#[test]
fn since_you_last_looked_and_the_sort_carry_over_to_the_next_session() {
    let dir = router_back();
    let me = cutover::os::actor(None);
    let tmux = Tmux::server("cutover-since");

    tmux.cockpit("first", dir.path(), "");
    tmux.wait_for("first", "a first look", |s| {
        s.contains(&format!("Latest events · the first time you ({me}) look"))
    });
    tmux.keys("first", &["s"]);
    tmux.wait_for("first", "the phase sort", |s| {
        s.contains("Segments (6) · by phase")
    });
    tmux.quit("first");
    tmux.wait_for("first", "the cockpit to exit", |s| {
        s.contains("COCKPIT-EXITED 0")
    });

    // Overnight, someone pauses the bulk segment from a script.
    let out = common::cutover(dir.path())
        .args(["pause", "dormant", "--reason", "budget freeze"])
        .output()
        .expect("pause");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    tmux.cockpit("second", dir.path(), "");
    let screen = tmux.wait_for("second", "the morning view", |s| {
        // The pause; and, on a slow machine, the gap between the two cockpits' guards.
        s.contains(&format!("Since you ({me}) last looked"))
            && (s.contains("· 1 event") || (s.contains("· 2 events") && s.contains("guarding gap")))
    });
    let line = screen
        .lines()
        .find(|l| l.contains("dormant") && l.contains("pause"))
        .unwrap_or_else(|| panic!("the pause is not listed:\n{screen}"));
    assert!(!line.contains("Segments"), "{line}");
    assert!(
        screen.contains("Segments (6) · by phase"),
        "the sort is remembered:\n{screen}"
    );
    tmux.quit("second");
    tmux.wait_for("second", "the cockpit to exit", |s| {
        s.contains("COCKPIT-EXITED 0")
    });
}
