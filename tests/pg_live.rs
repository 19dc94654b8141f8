//! Live across machines on the team backend (real PostgreSQL, real processes in two project
//! folders): an action taken on one machine reaches a `watch` on the other within a second,
//! through LISTEN/NOTIFY, and a key pressed in one cockpit shows in the other machine's
//! cockpit (real terminals, in tmux); and hooks stay intent-first: the intent is committed,
//! visible from the other machine, before the hook runs. A lead's "since you last looked"
//! marker and sort, kept in the shared state, follow them from one machine to the other.

mod common;

use common::pg_server::Postgres;
use common::{bin, cutover, write_project, write_script};
use std::time::{Duration, Instant};

fn toml(hook: bool) -> String {
    let hook = if hook {
        "[segments.hooks.cutover]\ncommand = [\"./hook.sh\"]\n"
    } else {
        ""
    };
    format!(
        "[project]\nname = \"Live\"\n[state]\nbackend = \"postgres\"\nurl = \"env:CUTOVER_DATABASE_URL\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 1000\nlogin_probability = 0.1\ngoal = 0.9\n{hook}"
    )
}

/// Two project folders ("machines") over the same team state.
fn two_machines() -> (tempfile::TempDir, tempfile::TempDir) {
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    write_project(a.path(), &toml(false));
    write_project(b.path(), &toml(false));
    (a, b)
}

#[test]
fn an_action_on_one_machine_reaches_a_watch_on_the_other_within_a_second() {
    let pg = Postgres::start();
    let url = pg.url();
    let (a, b) = two_machines();
    let mut watch_cmd = bin(b.path());
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
            t0.elapsed() < Duration::from_secs(15),
            "watch never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut worst = Duration::ZERO;
    for i in 0..5 {
        let args: Vec<String> = if i % 2 == 0 {
            vec![
                "pause".into(),
                "eu".into(),
                "--reason".into(),
                format!("round {i}"),
            ]
        } else {
            vec!["resume".into(), "eu".into()]
        };
        let out = cutover(a.path())
            .env("CUTOVER_DATABASE_URL", &url)
            .args(&args)
            .output()
            .expect("act");
        let acked = Instant::now();
        assert!(out.status.success(), "{out:?}");
        let ack = String::from_utf8_lossy(&out.stdout).to_string();
        let seq = ack
            .split("(event ")
            .nth(1)
            .and_then(|r| r.split(')').next())
            .expect("an acknowledged event")
            .to_string();
        let needle = format!("(event {seq})");
        let seen = loop {
            if let Some((t, _)) = lines
                .lock()
                .expect("lines")
                .iter()
                .find(|(_, l)| l.contains(&needle))
            {
                break *t;
            }
            assert!(
                acked.elapsed() < Duration::from_secs(5),
                "event {seq} never reached the other machine's watch"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        worst = worst.max(seen.saturating_duration_since(acked));
    }
    assert!(worst < Duration::from_secs(1), "worst {worst:?}");
    let _ = watch.kill();
    let _ = watch.wait();
}

#[test]
fn the_intent_is_committed_and_visible_elsewhere_before_the_hook_runs() {
    let pg = Postgres::start();
    let url = pg.url();
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    write_project(a.path(), &toml(true));
    write_project(b.path(), &toml(false));
    // The hook asks the other machine for the log while it runs.
    write_script(
        a.path(),
        "hook.sh",
        "\"$CUTOVER_BIN\" --project \"$OTHER\" log --json > \"$SEEN\"",
    );
    let seen = a.path().join("seen.json");
    for _ in 0..3 {
        let out = cutover(a.path())
            .env("CUTOVER_DATABASE_URL", &url)
            .env("CUTOVER_BIN", env!("CARGO_BIN_EXE_cutover"))
            .env("OTHER", b.path())
            .env("SEEN", &seen)
            .args(["advance", "eu"])
            .output()
            .expect("advance");
        assert!(out.status.success(), "{out:?}");
    }
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&seen).expect("the hook ran")).expect("json");
    let last = log
        .as_array()
        .and_then(|l| l.last())
        .expect("events")
        .clone();
    assert_eq!(last["hook"], "cutover", "{last}");
    assert_eq!(last["outcome"], "requested", "{last}");
}

#[test]
fn a_key_in_one_cockpit_shows_in_the_other_machine_s_cockpit() {
    let pg = Postgres::start();
    let url = pg.url();
    let (a, b) = two_machines();
    let tmux = common::tmux::Tmux::server("cutover-team");
    let env = format!("CUTOVER_DATABASE_URL='{url}'");
    tmux.cockpit_with("a", a.path(), &env, "");
    tmux.cockpit_with("b", b.path(), &env, "");
    for s in ["a", "b"] {
        tmux.wait_for(s, "the overview", |screen| {
            common::tmux::row(screen, "eu").contains("plan")
        });
    }
    tmux.keys("a", &["a"]);
    tmux.wait_for("a", "the advance dialog", |screen| {
        screen.contains("plan → test")
    });
    tmux.keys("a", &["y"]);
    tmux.wait_for("a", "eu in test", |screen| {
        common::tmux::row(screen, "eu").contains("test")
    });
    let seen = Instant::now();
    tmux.wait_secs("b", 10, "eu in test on the other machine", |screen| {
        common::tmux::row(screen, "eu").contains("test")
    });
    assert!(
        seen.elapsed() < Duration::from_secs(3),
        "{:?}",
        seen.elapsed()
    );
    // The other cockpit's log shows who did it.
    tmux.keys("b", &["Tab"]);
    tmux.keys("b", &["Tab"]);
    tmux.wait_for("b", "the log with the other machine's event", |screen| {
        screen.contains("advance plan→test")
    });
}

#[test]
fn a_lead_s_marker_and_sort_follow_them_to_the_other_machine() {
    let pg = Postgres::start();
    let url = pg.url();
    let (a, b) = two_machines();
    let me = cutover::os::actor(None);
    let tmux = common::tmux::Tmux::server("cutover-team-prefs");
    let env = format!("CUTOVER_DATABASE_URL='{url}'");
    // Evening, on machine a: a look, a sort, quit.
    tmux.cockpit_with("a", a.path(), &env, "");
    tmux.wait_for("a", "a first look", |screen| {
        screen.contains("the first time you")
    });
    tmux.keys("a", &["s"]);
    tmux.wait_for("a", "the phase sort", |screen| {
        screen.contains("Segments (1) · by phase")
    });
    tmux.quit("a");
    tmux.wait_for("a", "the cockpit to exit", |screen| {
        screen.contains("COCKPIT-EXITED 0")
    });
    // Overnight, a script moves eu on machine b.
    let out = cutover(b.path())
        .env("CUTOVER_DATABASE_URL", &url)
        .args(["advance", "eu", "--reason", "nightly"])
        .output()
        .expect("advance");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Morning, on machine b: the same reader, the same marker and sort.
    tmux.cockpit_with("b", b.path(), &env, "");
    let screen = tmux.wait_for("b", "the morning view", |screen| {
        screen.contains(&format!("Since you ({me}) last looked")) && screen.contains("· 1 event")
    });
    assert!(screen.contains("advance plan→test"), "{screen}");
    assert!(screen.contains("Segments (1) · by phase"), "{screen}");
}
