//! Test checks in the cockpit: `c` asks the owner to run a segment's checks (and says so
//! when it has none), the advance dialog from test names the checks that will run, and the
//! detail lists each check's latest verdict (without a terminal); and `c` in the real cockpit
//! in tmux runs them and shows the result.

#[path = "common/cockpit.rs"]
mod cockpit;
mod common;

use cockpit::{key, model, select};
use crossterm::event::KeyCode;
use cutover::tui::app::{Dialog, Tone};
use cutover::tui::update::Effect;

#[test]
fn c_runs_the_checks_of_a_segment_that_has_some() {
    let mut m = model(160, 48);
    select(&mut m, "latam");
    let effects = key(&mut m, KeyCode::Char('c'));
    assert_eq!(
        effects,
        vec![Effect::RunChecks {
            segment: "latam".into()
        }]
    );
    assert_eq!(
        m.status_line,
        Some((Tone::Info, "running 2 checks of latam…".into()))
    );
    select(&mut m, "eu-customers");
    assert!(key(&mut m, KeyCode::Char('c')).is_empty());
    let (tone, text) = m.status_line.clone().expect("a status line");
    assert_eq!(tone, Tone::Warn);
    assert!(text.contains("declares no test checks"), "{text}");
}

#[test]
fn advancing_from_test_names_the_checks_and_the_detail_shows_their_verdicts() {
    let mut m = model(160, 48);
    select(&mut m, "latam");
    key(&mut m, KeyCode::Char('a'));
    match &m.dialog {
        Some(Dialog::Confirm { lines, .. }) => {
            assert_eq!(lines[0], "test → gate");
            assert_eq!(
                lines[1],
                "runs 2 checks first, each must pass: synthetic login, export audit"
            );
        }
        other => panic!("{other:?}"),
    }
    key(&mut m, KeyCode::Esc);
    key(&mut m, KeyCode::Enter);
    let d = m.detail.as_ref().expect("detail");
    assert_eq!(d.checks.len(), 2);
    assert!(d.checks[1].reason.contains("212 duplicate users > max 0"));
    assert!(d.checks_at.is_some());
}

/// The real cockpit in a real terminal: `c` on a segment in test runs its check (the script
/// leaves a mark), the result shows on screen, and the segment stays in test.
#[test]
fn c_in_a_real_terminal_runs_the_checks_and_shows_the_result() {
    use common::tmux::{Tmux, row};
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    common::write_project(
        p,
        &common::staff_with(
            "[[segments.checks]]\nname = \"probe\"\nkind = \"command\"\ncommand = [\"./probe.sh\"]",
        ),
    );
    common::write_script(p, "probe.sh", "touch probed; echo probe ok");
    common::cutover(p)
        .args(["advance", "staff"])
        .assert()
        .success();
    let tmux = Tmux::server("cutover-checks");
    tmux.cockpit("checks", p, "");
    let screen = tmux.wait_for("checks", "the overview", |s| s.contains("Segments (1)"));
    assert!(row(&screen, "staff").contains("● test"), "{screen}");
    tmux.keys("checks", &["c"]);
    let screen = tmux.wait_for("checks", "the check's result", |s| {
        s.contains("run-checks") && s.contains("checks 1/1 pass")
    });
    assert!(
        row(&screen, "staff").contains("● test"),
        "checks never advance: {screen}"
    );
    assert!(p.join("probed").exists(), "the check ran");
    tmux.quit("checks");
    tmux.wait_for("checks", "the cockpit to exit", |s| {
        s.contains("COCKPIT-EXITED 0")
    });
}
