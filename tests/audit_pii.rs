//! No personal data at rest or on screen: an export with distinctive planted emails, names,
//! usernames, hashes, salts and an email used as an id is audited and recorded; then every
//! way out of cutover is read (the audit's own output, `status`, `log`, `checks`, the report,
//! a backup, the state's files, and the cockpit's screens in tmux). None holds a planted
//! value; each holds the counts.

mod common;

use common::tmux::Tmux;
use common::{assert_secret_absent, cutover, write_project};

const PLANTED: &[&str] = &[
    "zq.planted.7731@pii-example.org",
    "ZQ.PLANTED.7731@PII-EXAMPLE.ORG",
    "id.planted.5521@pii-example.org",
    "Zebulon Plantedname",
    "PlantedUserName9931",
    "PLANTEDHASHplantedhashPLANTEDHASHplantedhashPLANTEDHA",
    "b1946ac92492d2347c6235b4d2611184",
    "5a1tPlanted",
    "PlantedPassw0rd!",
];

fn export(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("legacy-users.csv");
    let csv = format!(
        "user_id,name,email,username,password_hash,salt,last_login,created_at\n\
         u1,Zebulon Plantedname,{e},PlantedUserName9931,$2b$10${h},,2026-11-20T10:00:00Z,2024-01-01\n\
         u2,Zebulon Plantedname, {E} ,plantedusername9931,b1946ac92492d2347c6235b4d2611184,5a1tPlanted,2026-11-21T10:00:00Z,2024-01-01\n\
         {i},Someone Else,{i},PLANTEDUSERNAME9931,PlantedPassw0rd!,,2026-11-22T10:00:00Z,2024-01-01\n\
         u4,Zebulon Plantedname,not-an-address-but-{e},x,,,2099-01-01,2024-01-01\n",
        e = PLANTED[0],
        E = PLANTED[1],
        i = PLANTED[2],
        h = PLANTED[5],
    );
    std::fs::write(&path, csv).expect("write export");
    path
}

#[test]
fn no_planted_value_reaches_the_state_logs_report_or_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(
        p,
        r#"[project]
name = "PII"
[audit]
target = "keycloak"
[[segments]]
id = "eu"
strategy = "big-bang"
size = 4
goal = 0.9
[[segments.checks]]
kind = "audit"
max_duplicates = 0
"#,
    );
    let outside = tempfile::tempdir().expect("tempdir");
    let file = export(outside.path());
    let mut said = String::new();
    let mut run = |args: &[&str], ok: bool| {
        let out = cutover(p).args(args).output().expect("run cutover");
        assert_eq!(
            out.status.success(),
            ok,
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        said.push_str(&String::from_utf8_lossy(&out.stdout));
        said.push_str(&String::from_utf8_lossy(&out.stderr));
    };
    let f = file.to_str().expect("utf-8 path");
    run(&["audit", f, "--segment", "eu"], true);
    run(&["audit", f, "--json"], true);
    run(&["advance", "eu"], true);
    run(&["advance", "eu"], false);
    run(&["checks", "eu"], false);
    run(&["status"], true);
    run(&["status", "--json"], true);
    run(&["log"], true);
    run(&["log", "--json"], true);
    let report = p.join("report");
    run(&["report", "--out", report.to_str().expect("path")], true);
    let backup = p.join("backup");
    run(&["state", "backup", backup.to_str().expect("path")], true);

    // The counts are there: the audit did find the planted problems.
    assert!(said.contains("same email (trimmed, case-folded)"), "{said}");
    // One user repeats an email, two repeat a username (case-folded).
    assert!(said.contains("3 duplicate users > max 0"), "{said}");
    assert!(said.contains("\"email_shaped\": 1"), "{said}");
    assert!(
        said.contains("line 4"),
        "the email-shaped id is shown as its line: {said}"
    );
    let md = std::fs::read_to_string(report.join("report.md")).expect("report");
    assert!(
        md.contains("## Pre-flight") && md.contains("legacy-users.csv"),
        "{md}"
    );

    // The cockpit's screens: overview, the segment's detail, the log.
    let tmux = Tmux::server("cutover-pii");
    tmux.cockpit("pii", p, "");
    let mut screens = tmux.wait_for("pii", "the overview", |s| s.contains("Segments (1)"));
    tmux.keys("pii", &["Enter"]);
    screens += &tmux.wait_for("pii", "the detail", |s| s.contains("test checks"));
    tmux.keys("pii", &["Tab"]);
    screens += &tmux.wait_for("pii", "the log", |s| s.contains("audit"));
    // q leaves the log for the overview, and q there quits.
    tmux.keys("pii", &["q"]);
    tmux.wait_for("pii", "the overview", |s| s.contains("Segments (1)"));
    tmux.keys("pii", &["q"]);
    tmux.wait_for("pii", "the cockpit to exit", |s| {
        s.contains("COCKPIT-EXITED 0")
    });
    drop(tmux);

    for planted in PLANTED {
        let lower = planted.to_lowercase();
        assert!(
            !said.to_lowercase().contains(&lower),
            "'{planted}' reached a command's output:\n{said}"
        );
        assert!(
            !screens.to_lowercase().contains(&lower),
            "'{planted}' reached the screen:\n{screens}"
        );
        assert_secret_absent(p, planted);
    }
}
