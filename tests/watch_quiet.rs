//! `cutover watch -q` logs a source's changes of state, not its polls: a command source that
//! fails on every poll (six times, every 100 ms and backing off) gives one "failing" line, one more when its error
//! changes, and one "answering again" when it recovers.

mod common;

use common::{write_project, write_script};
use std::path::Path;
use std::time::{Duration, Instant};

const PROJECT: &str = r#"
[project]
name = "Quiet"

[[segments]]
id = "staff"
strategy = "slow"
size = 1000
login_probability = 0.2
goal = 0.99
[segments.sources.migrated]
kind = "command"
command = ["echo", "10"]
every = "100ms"
[segments.sources.failure_rate]
kind = "command"
command = ["./probe.sh"]
every = "100ms"
"#;

/// Polls of the probe so far (it appends a line to `polls` each time).
fn polls(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("polls")).map_or(0, |s| s.lines().count())
}

/// Wait until the probe has run `more` more times.
fn wait_polls(dir: &Path, more: usize) {
    let goal = polls(dir) + more;
    let start = Instant::now();
    while polls(dir) < goal {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the probe ran {} times, not {goal}",
            polls(dir)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn quiet_watch_says_each_change_of_a_source_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, PROJECT);
    write_script(
        p,
        "probe.sh",
        "echo x >> polls\nmode=$(cat mode)\nif [ \"$mode\" = ok ]; then echo 0.01; else echo \"down: $mode\" >&2; exit 1; fi",
    );
    std::fs::write(p.join("mode"), "first\n").expect("mode");
    let watch = common::bin(p)
        .args(["watch", "-q"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("watch");
    // A failing source backs off (100 ms doubling), so few polls take a while.
    wait_polls(p, 6);
    std::fs::write(p.join("mode"), "second\n").expect("mode");
    wait_polls(p, 2);
    std::fs::write(p.join("mode"), "ok\n").expect("mode");
    wait_polls(p, 3);
    std::process::Command::new("kill")
        .args(["-TERM", &watch.id().to_string()])
        .status()
        .expect("kill");
    let out = watch.wait_with_output().expect("wait");
    let log = String::from_utf8_lossy(&out.stderr);
    let count = |what: &str| log.lines().filter(|l| l.contains(what)).count();
    assert_eq!(count("staff failure_rate"), 3, "{log}");
    assert_eq!(count("staff failure_rate: failing:"), 1, "{log}");
    assert_eq!(count("still failing, now:"), 1, "{log}");
    assert!(log.contains("second"), "{log}");
    assert_eq!(count("staff failure_rate: answering again"), 1, "{log}");
    assert_eq!(
        count("staff migrated"),
        0,
        "an answering source is never logged: {log}"
    );
}
