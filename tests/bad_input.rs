//! Bad input gets a one-line error naming the thing and the fix; never a panic (issue 2).
//! One fixture file per bad project file, in tests/invalid_configs/.

mod common;

use common::{cutover, fails, write_project};
use std::path::Path;

/// (fixture, expected line, text the first line must contain)
const FIXTURES: &[(&str, usize, &[&str])] = &[
    (
        "unknown_key",
        8,
        &[
            "segments[0].sizee",
            "unknown key 'sizee'",
            "did you mean 'size'",
        ],
    ),
    (
        "wrong_type",
        8,
        &["segments[0].size = \"many\"", "whole number"],
    ),
    (
        "p_zero",
        9,
        &["segments[0].login_probability = 0", "(0, 1]"],
    ),
    (
        "p_too_big",
        9,
        &["segments[0].login_probability = 1.5", "(0, 1]"],
    ),
    (
        "cohorts_not_summing",
        9,
        &["segments[0].cohorts", "sum to 0.9000", "must sum to 1"],
    ),
    (
        "duplicate_id",
        13,
        &["segments[1].id = \"staff\"", "duplicate segment id 'staff'"],
    ),
    (
        "missing_goal",
        4,
        &["segments[0].goal", "'goal' is missing here"],
    ),
    (
        "hook_both",
        12,
        &["segments[0].hooks.rollback", "exactly one of"],
    ),
    ("inline_secret", 14, &["headers.Authorization", "env:"]),
    ("not_toml", 1, &["expected `]`"]),
    (
        "plain_http_source",
        13,
        &[
            "segments[0].sources.migrated.url",
            "plain http",
            "insecure = true",
        ],
    ),
    (
        "inline_api_key",
        15,
        &[
            "segments[0].sources.migrated.api_key = (value hidden)",
            "env:FUSIONAUTH_API_KEY",
        ],
    ),
    (
        "gate_without_bound",
        11,
        &["segments[0].gates[0]", "min and/or max"],
    ),
    (
        "reconciled_without_move",
        11,
        &["segments[0].gates[0].kind", "needs [segments.move]"],
    ),
    (
        "canary_inline_password",
        12,
        &["segments[0].canaries[0].password", "env:"],
    ),
    (
        "canary_without_move",
        14,
        &["segments[0].sources.canary", "add [segments.move]"],
    ),
    (
        "canary_gate_without_source",
        14,
        &["segments[0].gates[0]", "kind = \"canary\""],
    ),
    (
        "move_scope_unknown",
        15,
        &["segments[0].move.scope", "use \"tag\""],
    ),
    (
        "reset_without_move",
        10,
        &["segments[0].reset", "add [segments.move]"],
    ),
    ("window_bad_zone", 9, &["windows[0].zone", "Europe/Berlin"]),
    (
        "window_rollback",
        7,
        &["freezes[0].actions", "rollback is never held"],
    ),
    (
        "approvals_without_approvers",
        4,
        &["approvals.approvers", "group:leads"],
    ),
    (
        "metrics_host_name",
        3,
        &["project.metrics", "127.0.0.1:9464"],
    ),
];

#[test]
fn every_bad_project_file_gets_a_located_one_line_error() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_configs");
    for (name, line, needles) in FIXTURES {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = std::fs::read_to_string(fixtures.join(format!("{name}.toml"))).expect("fixture");
        write_project(dir.path(), &src);
        let stderr = fails(cutover(dir.path()).arg("check"));
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.contains(&format!("cutover.toml:{line}: ")),
            "{name}: first line does not name cutover.toml:{line}: {first}"
        );
        for needle in *needles {
            assert!(
                first.contains(needle),
                "{name}: '{needle}' missing from: {first}"
            );
        }
        // Every command refuses the same file with the same first line.
        let stderr = fails(cutover(dir.path()).arg("status"));
        assert!(
            stderr
                .lines()
                .next()
                .unwrap_or_default()
                .contains(&format!("cutover.toml:{line}")),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn a_secret_written_in_the_file_is_not_echoed() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_configs");
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(
        dir.path(),
        &std::fs::read_to_string(fixtures.join("inline_secret.toml")).expect("fixture"),
    );
    let stderr = fails(cutover(dir.path()).arg("check"));
    assert!(!stderr.contains("s3cr3t"), "{stderr}");
}

#[test]
fn check_lists_every_problem_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(
        dir.path(),
        r#"[project]
name = "Many problems"

[[segments]]
id = "Staff!"
strategy = "slow"
size = 10
login_probability = 0
goal = 2
"#,
    );
    let stderr = fails(cutover(dir.path()).arg("check"));
    assert!(
        stderr.contains("cutover.toml:5: segments[0].id"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cutover.toml:8: segments[0].login_probability"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cutover.toml:9: segments[0].goal = 2"),
        "{stderr}"
    );
    assert!(stderr.contains("3 problem(s)"), "{stderr}");
}

#[test]
fn a_missing_project_file_says_how_to_create_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stderr = fails(cutover(dir.path()).arg("status"));
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains("cutover.toml") && first.contains("cutover init"),
        "{first}"
    );
}

const GOOD: &str = r#"[project]
name = "Good"

[[segments]]
id = "staff"
strategy = "slow"
size = 100
login_probability = 0.5
goal = 0.9
"#;

#[test]
fn an_unusable_state_dir_is_named_with_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), GOOD);
    // A file where the state folder should be (running as root, permissions do not stop us).
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").expect("write");
    let stderr = fails(
        cutover(dir.path())
            .arg("--state")
            .arg(&blocker)
            .arg("status"),
    );
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains("state dir") && first.contains("not-a-dir") && first.contains("--state"),
        "{first}"
    );
}

#[test]
fn a_locked_state_names_the_process_that_holds_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), GOOD);
    let held = cutover::store::Store::open(&dir.path().join(".cutover")).expect("open");
    let stderr = fails(cutover(dir.path()).args(["advance", "staff"]));
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains(&format!(
            "project is open in another cutover (pid {})",
            std::process::id()
        )),
        "{first}"
    );
    drop(held);
    cutover(dir.path())
        .args(["advance", "staff"])
        .assert()
        .success();
}

#[test]
fn a_database_from_a_newer_schema_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), GOOD);
    cutover(dir.path())
        .args(["advance", "staff"])
        .assert()
        .success();
    {
        let db = sled::open(dir.path().join(".cutover/state")).expect("sled");
        db.open_tree("meta")
            .and_then(|m| m.insert("schema_version", &99u32.to_be_bytes()))
            .expect("write version");
        db.flush().expect("flush");
    }
    let stderr = fails(cutover(dir.path()).arg("status"));
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains("newer cutover (schema 99") && first.contains("upgrade"),
        "{first}"
    );
    // Nothing was rewritten: the version is still 99.
    let db = sled::open(dir.path().join(".cutover/state")).expect("sled");
    let v = db
        .open_tree("meta")
        .and_then(|m| m.get("schema_version"))
        .expect("read");
    assert_eq!(v.as_deref(), Some(&99u32.to_be_bytes()[..]));
}

#[test]
fn a_corrupt_database_is_reported_not_panicked() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), GOOD);
    cutover(dir.path())
        .args(["advance", "staff"])
        .assert()
        .success();
    let state = dir.path().join(".cutover/state");
    for entry in std::fs::read_dir(&state).expect("state dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            std::fs::write(&path, vec![0xA5u8; 4096]).expect("corrupt");
        }
    }
    let stderr = fails(cutover(dir.path()).arg("status"));
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.contains(".cutover"), "{first}");
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = cutover(dir.path())
        .args(["rollback", "staff"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = cutover(dir.path())
        .args(["project", "--p", "0.2"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = cutover(dir.path())
        .args(["frobnicate"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn project_prints_the_computed_projection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = cutover(dir.path())
        .args(["project", "--p", "0.2", "--days", "10"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("89.26 %"));
    let out = cutover(dir.path())
        .args(["project", "--p", "0.2", "--goal", "0.9"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("10.3 days"));
    let v: serde_json::Value = serde_json::from_slice(
        &cutover(dir.path())
            .args(["project", "--p", "0.2", "--days", "10", "--json"])
            .output()
            .expect("run")
            .stdout,
    )
    .expect("json");
    assert!((v["share"].as_f64().expect("share") - 0.892_625_8).abs() < 1e-6);
    assert_eq!(v["p"], 0.2);
    let v: serde_json::Value = serde_json::from_slice(
        &cutover(dir.path())
            .args(["project", "--p", "0.2", "--goal", "0.9", "--json"])
            .output()
            .expect("run")
            .stdout,
    )
    .expect("json");
    assert!((v["days"].as_f64().expect("days") - 10.3189).abs() < 1e-3);
    let stderr = fails(cutover(dir.path()).args(["project", "--p", "0", "--days", "3"]));
    assert!(stderr.contains("--p 0"), "{stderr}");
}

#[test]
fn a_number_too_large_names_its_key_line_and_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_project(
        dir.path(),
        "[project]\nname = \"Big\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 18446744073709551616\nlogin_probability = 0.1\ngoal = 0.9\n",
    );
    let stderr = common::fails(common::cutover(dir.path()).arg("check"));
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains(":6:") && first.contains("size") && first.contains("64 bits"),
        "{stderr}"
    );
}

/// `check` stays linear in the number of problems: 4× the segments takes well under 16× the
/// time (it was quadratic: 7.8 s at 20,000 invalid segments, 49 s at 50,000).
#[test]
fn check_on_many_invalid_segments_is_linear() {
    let time = |n: usize| {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut t = String::from("[project]\nname = \"Many\"\n");
        for i in 0..n {
            t +=
                &format!("[[segments]]\nid = \"s{i}\"\nstrategy = \"slow\"\nsize = 10\ngoal = 7\n");
        }
        common::write_project(dir.path(), &t);
        let start = std::time::Instant::now();
        let out = common::cutover(dir.path())
            .arg("check")
            .output()
            .expect("check");
        assert_eq!(out.status.code(), Some(1));
        start.elapsed().as_secs_f64()
    };
    let small = time(3_000);
    let large = time(12_000);
    eprintln!("check: 3,000 bad segments {small:.2} s, 12,000 {large:.2} s");
    assert!(
        large < small * 9.0,
        "3,000: {small:.2} s, 12,000: {large:.2} s"
    );
}
