//! Hardening, round two (issue 23, §6): `state restore` replays a backup through the rules the
//! live engine follows and refuses, before writing anything, any backup `state verify` would
//! reject, naming the file, the line and what is wrong.

mod common;

use common::{cutover, fails};
use std::path::Path;

/// A backup of the sample project (every phase, hooks, samples), as lines to tamper with.
fn real_backup(p: &Path) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
    drop(cutover::sample_project::build(p).expect("sample project"));
    let backup = p.join("backup");
    cutover(p)
        .args(["state", "backup"])
        .arg(&backup)
        .assert()
        .success();
    (
        common::jsonl(&backup.join("events.jsonl")),
        common::jsonl(&backup.join("samples.jsonl")),
    )
}

/// Write a backup folder `name` holding these lines.
fn write_backup(
    p: &Path,
    name: &str,
    events: &[serde_json::Value],
    samples: &[serde_json::Value],
) -> std::path::PathBuf {
    let dir = p.join(name);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let lines =
        |v: &[serde_json::Value]| -> String { v.iter().map(|l| format!("{l}\n")).collect() };
    std::fs::write(dir.join("events.jsonl"), lines(events)).expect("events");
    std::fs::write(dir.join("samples.jsonl"), lines(samples)).expect("samples");
    std::fs::write(dir.join("rollups.jsonl"), "").expect("rollups");
    let info = serde_json::json!({
        "schema": 2, "events": events.len(), "samples": samples.len(), "rollups": 0,
        "written_at": "2026-11-23T12:04:00Z"
    });
    std::fs::write(dir.join("backup.json"), info.to_string()).expect("info");
    dir
}

/// Restore `backup` into a new state `state`, which succeeds.
fn restores(p: &Path, backup: &Path, state: &str) {
    cutover(p)
        .arg("--state")
        .arg(p.join(state))
        .args(["state", "restore"])
        .arg(backup)
        .assert()
        .success();
}

/// Restore `backup` into a new state `state`: the stderr of its refusal.
fn refused(p: &Path, backup: &Path, state: &str) -> String {
    let stderr = fails(
        cutover(p)
            .arg("--state")
            .arg(p.join(state))
            .args(["state", "restore"])
            .arg(backup),
    );
    // Nothing was written: the new state holds no event.
    let verify = cutover(p)
        .arg("--state")
        .arg(p.join(state))
        .args(["state", "verify"])
        .output()
        .expect("verify");
    let out = String::from_utf8_lossy(&verify.stdout);
    assert!(out.contains("0 events, 0 samples"), "{state}: {out}");
    stderr
}

#[test]
fn a_crafted_backup_is_refused_by_its_first_offending_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let (events, samples) = real_backup(p);
    // The untouched backup restores, and verifies.
    let good = write_backup(p, "good", &events, &samples);
    restores(p, &good, "good-state");
    cutover(p)
        .arg("--state")
        .arg(p.join("good-state"))
        .args(["state", "verify"])
        .assert()
        .success();

    let first_move = events
        .iter()
        .position(|e| e["from"] == "plan" && e["to"] == "test" && e["outcome"] == "ok")
        .expect("an advance from plan");
    let line = first_move + 1;
    type Tamper = Box<dyn Fn(&mut Vec<serde_json::Value>, &mut Vec<serde_json::Value>)>;
    let cases: Vec<(&str, Tamper, String)> = vec![
        (
            "a jump the phase machine forbids",
            Box::new(move |e, _| e[first_move]["to"] = "cutover".into()),
            format!("events.jsonl line {line}: event {line}: plan → cutover is not a transition"),
        ),
        (
            "an outcome for a missing intent",
            Box::new(move |e, _| {
                e[first_move]["outcome"] = "succeeded".into();
                e[first_move]["hook"] = "cutover".into();
                e[first_move]["intent"] = 999_999.into();
            }),
            format!("events.jsonl line {line}: event {line}: answers intent 999999"),
        ),
        (
            "a segment id with a NUL",
            Box::new(move |e, _| e[first_move]["segment"] = "sta\u{0}ff".into()),
            format!("events.jsonl line {line}: event {line}: 'sta\\0ff' is not a segment id"),
        ),
        (
            "a time in year 262143",
            Box::new(move |e, _| e[first_move]["at"] = "+262142-12-31T00:00:00Z".into()),
            format!("events.jsonl line {line}: event {line}: +262142"),
        ),
        (
            "a 1 MB reason",
            Box::new(move |e, _| e[first_move]["reason"] = "r".repeat(1 << 20).into()),
            format!("events.jsonl line {line}: event {line}: the reason is 1048576 characters"),
        ),
        (
            "a migrated count of 1e308",
            Box::new(
                |_, s| s[0] = serde_json::json!({"segment": "staff", "metric": "migrated", "at": "2026-11-01T00:00:00Z", "value": 1e308}),
            ),
            "samples.jsonl line 1: migrated count".to_string(),
        ),
        (
            "a migrated count of -5",
            Box::new(
                |_, s| s[0] = serde_json::json!({"segment": "staff", "metric": "migrated", "at": "2026-11-01T00:00:00Z", "value": -5.0}),
            ),
            "samples.jsonl line 1: migrated count -5 is out of range".to_string(),
        ),
        (
            "a metric with a NUL",
            Box::new(|_, s| s[0]["metric"] = "migrated\u{0}".into()),
            "samples.jsonl line 1: 'migrated\\0' is not a metric name".to_string(),
        ),
    ];
    for (i, (what, tamper, expected)) in cases.iter().enumerate() {
        let (mut e, mut s) = (events.clone(), samples.clone());
        tamper(&mut e, &mut s);
        let backup = write_backup(p, &format!("bad-{i}"), &e, &s);
        let stderr = refused(p, &backup, &format!("state-{i}"));
        assert!(
            stderr.contains(expected),
            "{what}: expected {expected:?} in {stderr}"
        );
        assert!(stderr.len() < 2_000, "{what}: a short message: {stderr}");
        assert!(
            !stderr.contains("permissions"),
            "{what}: says what is wrong with the backup, not the folder: {stderr}"
        );
    }
    // A malformed file is the backup's fault too.
    let broken = write_backup(p, "broken", &events, &samples);
    std::fs::write(broken.join("events.jsonl"), "{not json\n").expect("write");
    let stderr = refused(p, &broken, "state-broken");
    assert!(stderr.contains("events.jsonl line 1"), "{stderr}");
    assert!(stderr.contains("cannot be restored"), "{stderr}");
    assert!(!stderr.contains("permissions"), "{stderr}");
}

#[test]
fn a_project_wide_audit_verifies_and_restores() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    common::write_project(p, &common::staff_with(""));
    let export =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit/auth0.ndjson");
    cutover(p)
        .arg("audit")
        .arg(&export)
        .args(["--target", "fusionauth"])
        .assert()
        .success();
    cutover(p).args(["state", "verify"]).assert().success();
    let backup = p.join("backup");
    cutover(p)
        .args(["state", "backup"])
        .arg(&backup)
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(backup.join("events.jsonl"))
            .expect("events")
            .contains(r#""segment":"*""#),
        "the audit is recorded for the whole project"
    );
    restores(p, &backup, "restored");
}
