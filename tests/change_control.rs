//! Change control as a lead meets it: an action outside its window is refused with the next
//! opening (on the project's clock), a rollback never is; a viewer (`[access] viewers`) sees
//! everything through the socket and every action of theirs is refused.
//!
//! The viewer is the machine's `nobody`, run with `setpriv` (util-linux) against a real
//! `cutover watch`, as the socket tests do.

mod common;

use common::raw::Owner;
use common::{cutover, json, write_project};
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

const SEGMENT: &str =
    "[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = 100\ngoal = 0.9\n";

#[test]
fn an_action_outside_its_window_is_refused_with_the_next_opening_and_a_rollback_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    // A window that opens two hours from now (UTC) and lasts an hour: closed now.
    let now = chrono::Utc::now();
    let from = now + chrono::Duration::hours(2);
    let to = now + chrono::Duration::hours(3);
    write_project(
        p,
        &format!(
            "[project]\nname = \"Windows\"\n[[windows]]\nactions = [\"cutover\"]\nfrom = \"{}\"\nto = \"{}\"\nzone = \"UTC\"\n{SEGMENT}",
            from.format("%H:%M"),
            to.format("%H:%M")
        ),
    );
    cutover(p).arg("check").assert().success();
    // plan → test → gate are not windowed.
    for _ in 0..2 {
        cutover(p).args(["advance", "eu"]).assert().success();
    }
    let out = cutover(p)
        .args(["advance", "eu"])
        .output()
        .expect("advance");
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("cutover of eu refused"), "{said}");
    assert!(said.contains("outside its window"), "{said}");
    let opens = from.format("%Y-%m-%dT%H:%M:00+00:00").to_string();
    assert!(said.contains(&opens), "the next opening {opens}: {said}");
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "gate");
    // A rollback is never held by a window.
    cutover(p)
        .args(["rollback", "eu", "--reason", "window drill"])
        .assert()
        .success();
}

/// A project whose viewer is the machine's `nobody` (let into the socket by its group), and
/// its running owner.
fn watched_by_nobody() -> (tempfile::TempDir, Owner) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    write_project(
        p,
        &format!(
            "[project]\nname = \"Viewers\"\nsocket_group = \"nogroup\"\n[access]\nviewers = [\"nobody\"]\n{SEGMENT}"
        ),
    );
    let owner = Owner::start(p);
    (dir, owner)
}

#[test]
fn a_viewer_sees_everything_and_every_action_of_theirs_is_refused() {
    let (dir, _owner) = watched_by_nobody();
    let p = dir.path();
    let as_nobody = |args: &[&str]| {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_cutover"))
            .arg("--project")
            .arg(p)
            .args(args)
            .output()
            .expect("setpriv (util-linux) runs the binary as nobody")
    };
    let status = as_nobody(&["status", "--json"]);
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let log = as_nobody(&["log"]);
    assert!(
        log.status.success(),
        "{}",
        String::from_utf8_lossy(&log.stderr)
    );
    for args in [
        &["advance", "eu"][..],
        &["pause", "eu", "--reason", "x"],
        &["rollback", "eu", "--reason", "x"],
        &["record", "eu", "migrated", "5"],
        &["checks", "eu"],
        &["poll"],
    ] {
        let out = as_nobody(args);
        let said = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {said}");
        assert!(
            said.contains("nobody is a viewer of this project"),
            "{args:?}: {said}"
        );
    }
    // Nothing happened to the project; the owner's own user still acts.
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "plan");
    assert!(status["segments"][0]["migrated"].is_null(), "{status}");
    cutover(p).args(["advance", "eu"]).assert().success();
}

#[test]
fn a_viewer_s_cockpit_shows_no_action_keys_and_its_help_says_why() {
    let (dir, _owner) = watched_by_nobody();
    let p = dir.path();
    let tmux = common::tmux::Tmux::server("cutover-viewer");
    // The cockpit runs as nobody, attached to the owner.
    tmux.cockpit_with(
        "viewer",
        p,
        "setpriv --reuid=65534 --regid=65534 --clear-groups -- env",
        "",
    );
    let screen = tmux.wait_for("viewer", "the overview", |s| s.contains("Segments (1)"));
    for hint in ["advance", "roll back", "pause", "checks"] {
        assert!(
            !screen.contains(hint),
            "a viewer sees no '{hint}': {screen}"
        );
    }
    assert!(screen.contains("help"), "{screen}");
    tmux.keys("viewer", &["a"]);
    tmux.wait_for("viewer", "the refusal on the status line", |s| {
        s.contains("you are a viewer of this project")
    });
    tmux.keys("viewer", &["?"]);
    tmux.wait_for("viewer", "the help's reason", |s| {
        s.contains("You are a viewer of this project ([access] viewers, or a")
    });
    // `?` closes the help (an Escape followed at once by `q` reads as Alt-q in tmux).
    tmux.keys("viewer", &["?"]);
    tmux.wait_for("viewer", "the help closed", |s| {
        !s.contains("You are a viewer of this project ([access] viewers, or a")
    });
    tmux.quit("viewer");
    drop(tmux);
    // Nothing happened to the project.
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "plan");
}
