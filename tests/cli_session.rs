//! A scripted session through the real binary (issue 2): init → edit → check → advance to
//! cutover → rollback with a failing hook → retry with a working hook → replan.

mod common;

use common::{cutover, fails, json, write_script};
use predicates::str::contains;

#[test]
fn a_migration_lead_s_session_from_init_to_replan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();

    // init writes a commented example that checks clean, and never overwrites it.
    cutover(p).arg("init").assert().success();
    let example = std::fs::read_to_string(p.join("cutover.toml")).expect("example");
    assert!(example.contains("login_probability") && example.contains("# "));
    cutover(p)
        .arg("check")
        .assert()
        .success()
        .stdout(contains("ok: project"));
    let stderr = fails(cutover(p).arg("init"));
    assert!(stderr.contains("already exists"), "{stderr}");

    // Edit: our own hooks. The rollback hook fails until we fix it.
    let edited = example
        .replace(
            r#"command = ["./route.sh", "staff", "new"]"#,
            r#"command = ["./route.sh", "new"]"#,
        )
        .replace(
            r#"command = ["./route.sh", "staff", "legacy"]"#,
            r#"command = ["./rollback.sh"]"#,
        );
    std::fs::write(p.join("cutover.toml"), edited).expect("edit");
    write_script(
        p,
        "route.sh",
        r#"echo "$CUTOVER_SEGMENT -> $1 ($CUTOVER_FROM to $CUTOVER_TO, key $CUTOVER_EVENT_ID)""#,
    );
    write_script(
        p,
        "rollback.sh",
        r#"echo "$CUTOVER_EVENT_ID" >> keys.txt; echo "router unreachable" >&2; exit 3"#,
    );
    cutover(p).arg("check").assert().success();

    // Advance to cutover: plan → test → gate → cutover (the cutover hook fires).
    cutover(p)
        .args(["advance", "staff", "--actor", "ana"])
        .assert()
        .success()
        .stdout(contains("plan → test"));
    cutover(p)
        .args(["advance", "staff", "--actor", "ana"])
        .assert()
        .success()
        .stdout(contains("test → gate"));
    cutover(p)
        .args([
            "advance",
            "staff",
            "--actor",
            "ana",
            "--reason",
            "gates green",
        ])
        .assert()
        .success()
        .stdout(contains("cutover hook succeeded"))
        .stdout(contains("staff -> new (gate to cutover, key"));
    let status = json(cutover(p).args(["status", "--json"]));
    let staff = &status["segments"][0];
    assert_eq!(staff["phase"], "cutover");
    assert!(staff["cutover_at"].is_string());
    assert!(staff["projected_share"].is_number());

    // Roll back with a failing hook: the segment is visibly rollback-failed, exit 1.
    let stderr = fails(cutover(p).args([
        "rollback",
        "staff",
        "--reason",
        "login errors",
        "--actor",
        "bo",
    ]));
    assert!(
        stderr
            .lines()
            .next()
            .unwrap_or_default()
            .contains("rollback hook failed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("router unreachable") && stderr.contains("exit 3"),
        "{stderr}"
    );
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "rollback-failed");
    cutover(p)
        .arg("status")
        .assert()
        .success()
        .stdout(contains("rollback-failed"));
    // A plain rollback or an advance is refused with the way out.
    let stderr = fails(cutover(p).args(["rollback", "staff", "--reason", "again"]));
    assert!(stderr.contains("--retry"), "{stderr}");
    let stderr = fails(cutover(p).args(["advance", "staff"]));
    assert!(stderr.contains("--retry"), "{stderr}");

    // Fix the hook, retry: same idempotency key, and the segment is rolled back.
    write_script(
        p,
        "rollback.sh",
        r#"echo "$CUTOVER_EVENT_ID" >> keys.txt; echo routed back"#,
    );
    cutover(p)
        .args(["rollback", "staff", "--retry", "--actor", "bo"])
        .assert()
        .success()
        .stdout(contains("rollback hook succeeded"));
    let keys = std::fs::read_to_string(p.join("keys.txt")).expect("keys");
    let keys: Vec<&str> = keys.lines().collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(keys[0], keys[1], "the retry must reuse the idempotency key");
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "rolled-back");
    assert!(status["segments"][0]["pending_hook"].is_null());

    // Re-plan.
    cutover(p)
        .args(["replan", "staff", "--reason", "fix the router"])
        .assert()
        .success();
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "plan");
    assert!(status["segments"][0]["cutover_at"].is_null());

    // The log shows every step, in order, with its outcome.
    let log = json(cutover(p).args(["log", "--json", "--segment", "staff"]));
    let steps: Vec<(String, String, String, String)> = log
        .as_array()
        .expect("array")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or_default().to_string(),
                e["from"].as_str().unwrap_or("-").to_string(),
                e["to"].as_str().unwrap_or("-").to_string(),
                e["outcome"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let want = [
        ("advance", "plan", "test", "ok"),
        ("advance", "test", "gate", "ok"),
        ("advance", "gate", "cutover", "requested"),
        ("advance", "gate", "cutover", "succeeded"),
        ("rollback", "cutover", "rolled-back", "requested"),
        ("rollback", "cutover", "rolled-back", "failed"),
        ("rollback", "cutover", "-", "refused"),
        ("advance", "cutover", "-", "refused"),
        ("rollback", "cutover", "rolled-back", "requested"),
        ("rollback", "cutover", "rolled-back", "succeeded"),
        ("replan", "rolled-back", "plan", "ok"),
    ];
    let got: Vec<(&str, &str, &str, &str)> = steps
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str()))
        .collect();
    assert_eq!(got, want);
    for e in log.as_array().expect("array") {
        for field in [
            "seq", "at", "segment", "kind", "from", "to", "actor", "reason", "outcome",
        ] {
            assert!(e.get(field).is_some(), "{field} missing in {e}");
        }
        assert!(chrono::DateTime::parse_from_rfc3339(e["at"].as_str().expect("at")).is_ok());
    }
    assert_eq!(log[4]["actor"], "bo");
    assert_eq!(log[4]["reason"], "login errors");
    assert_eq!(log[5]["key"], log[4]["seq"]);
    assert_eq!(
        log[8]["key"], log[4]["seq"],
        "the retry carries the first request's key"
    );
    assert_eq!(log[0]["actor"], "ana");
    assert_eq!(
        log[10]["actor"],
        cutover::os::actor(None),
        "the actor defaults to the OS user ($USER is not trusted)"
    );
}

#[test]
fn pause_blocks_advance_until_resume_and_never_blocks_rollback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    common::write_project(
        p,
        r#"[project]
name = "Hold"
[[segments]]
id = "eu"
strategy = "slow"
size = 100
login_probability = 0.1
goal = 0.9
"#,
    );
    cutover(p).args(["advance", "eu"]).assert().success();
    cutover(p)
        .args(["pause", "eu", "--reason", "Black Friday freeze"])
        .assert()
        .success();
    let stderr = fails(cutover(p).args(["advance", "eu"]));
    assert!(
        stderr.contains("Black Friday freeze") && stderr.contains("cutover resume eu"),
        "{stderr}"
    );
    cutover(p)
        .arg("status")
        .assert()
        .success()
        .stdout(contains("paused"));
    cutover(p).args(["resume", "eu"]).assert().success();
    cutover(p)
        .args(["advance", "eu"])
        .assert()
        .success()
        .stdout(contains("test → gate"));
    cutover(p)
        .args(["pause", "eu", "--reason", "incident"])
        .assert()
        .success();
    cutover(p)
        .args(["rollback", "eu", "--reason", "incident"])
        .assert()
        .success()
        .stdout(contains("rolled-back"));
}

#[test]
fn a_recorded_migrated_count_drives_status_and_the_done_transition() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    common::write_project(
        p,
        r#"[project]
name = "Counts"
[[segments]]
id = "eu"
strategy = "slow"
size = 1000
login_probability = 0.2
goal = 0.9
"#,
    );
    for _ in 0..3 {
        cutover(p).args(["advance", "eu"]).assert().success();
    }
    cutover(p)
        .args(["record", "eu", "migrated", "500"])
        .assert()
        .success();
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["migrated"], 500);
    assert_eq!(status["segments"][0]["migrated_share"], 0.5);
    let stderr = fails(cutover(p).args(["advance", "eu"]));
    assert!(stderr.contains("50.0 % migrated, goal 90.0 %"), "{stderr}");
    cutover(p)
        .args(["record", "eu", "migrated", "930"])
        .assert()
        .success();
    cutover(p)
        .args(["advance", "eu"])
        .assert()
        .success()
        .stdout(contains("cutover → done"));
    let stderr = fails(cutover(p).args(["record", "nope", "migrated", "1"]));
    assert!(stderr.contains("unknown segment 'nope'"), "{stderr}");
}
