//! Test checks (`[[segments.checks]]`) through the real binary: `advance` from test runs them
//! fresh and is refused with every failing check named; it passes once they pass. Command
//! checks (exit status, timeout), http checks against a local server (status, a JSON pointer
//! with bounds, no redirect followed), audit checks over `cutover audit`; `cutover checks`
//! re-runs them without advancing, and the results show in `status --json` and the log.

mod common;

use common::{cutover, fails, json, route, serve_routes, write_project, write_script};
use std::path::Path;

fn project(dir: &Path, checks: &str) {
    write_project(dir, &common::staff_with(checks));
}

fn phase(dir: &Path) -> String {
    let s = json(cutover(dir).args(["status", "--json"]));
    s["segments"][0]["phase"]
        .as_str()
        .expect("phase")
        .to_string()
}

fn to_test(dir: &Path) {
    cutover(dir).args(["advance", "staff"]).assert().success();
    assert_eq!(phase(dir), "test");
}

#[test]
fn a_failing_command_check_refuses_the_advance_and_a_passing_one_allows_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    project(
        p,
        r#"[[segments.checks]]
name = "synthetic login"
kind = "command"
command = ["./login.sh", "staff"]
[[segments.checks]]
name = "fallback path"
kind = "command"
command = ["sleep", "30"]
timeout = "300ms"
"#,
    );
    write_script(
        p,
        "login.sh",
        "echo \"login as $1 failed: 401\" >&2; exit 3",
    );
    to_test(p);
    let err = fails(cutover(p).args(["advance", "staff"]));
    assert!(err.contains("advance staff refused: test:"), "{err}");
    assert!(
        err.contains("synthetic login: exited with 3: login as staff failed: 401"),
        "{err}"
    );
    assert!(
        err.contains("fallback path: did not finish within 300ms"),
        "{err}"
    );
    assert_eq!(phase(p), "test");
    // The refusal is in the log with each check's verdict.
    let log = json(cutover(p).args(["log", "--json"]));
    let refused = log
        .as_array()
        .expect("log")
        .iter()
        .rfind(|e| e["outcome"] == "refused")
        .expect("refused event");
    assert_eq!(refused["checks"][0]["status"], "fail");
    assert_eq!(refused["checks"][1]["name"], "fallback path");

    write_script(p, "login.sh", "echo ok");
    project(
        p,
        r#"[[segments.checks]]
name = "synthetic login"
kind = "command"
command = ["./login.sh", "staff"]
"#,
    );
    cutover(p)
        .args(["advance", "staff"])
        .assert()
        .success()
        .stdout(predicates::str::contains("checks 1/1 pass"));
    assert_eq!(phase(p), "gate");
}

#[test]
fn http_checks_read_the_status_and_a_bounded_number() {
    let server = serve_routes(vec![
        route("/health", 200, r#"{"login":{"ok":1,"p95_ms":250}}"#),
        route("/down", 503, "maintenance"),
        common::Route {
            location: Some("https://elsewhere.example/health".into()),
            ..route("/moved", 302, "")
        },
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let checks = |max: u32| {
        format!(
            r#"[[segments.checks]]
name = "login latency"
kind = "http"
url = "{0}/health"
pointer = "/login/p95_ms"
max = {max}
[[segments.checks]]
name = "legacy up"
kind = "http"
url = "{0}/down"
[[segments.checks]]
name = "moved"
kind = "http"
url = "{0}/moved"
"#,
            server.url
        )
    };
    project(p, &checks(200));
    to_test(p);
    let err = fails(cutover(p).args(["advance", "staff"]));
    assert!(
        err.contains("login latency: /login/p95_ms = 250, expected <= 200"),
        "{err}"
    );
    assert!(
        err.contains("legacy up:") && err.contains("answered HTTP 503, expected 200"),
        "{err}"
    );
    assert!(
        err.contains("moved:") && err.contains("follow no redirects"),
        "{err}"
    );
    assert_eq!(phase(p), "test");

    project(
        p,
        &format!(
            r#"[[segments.checks]]
name = "login latency"
kind = "http"
url = "{}/health"
pointer = "/login/p95_ms"
max = 300
"#,
            server.url
        ),
    );
    cutover(p).args(["advance", "staff"]).assert().success();
    assert_eq!(phase(p), "gate");
}

#[test]
fn an_audit_check_reads_the_latest_audit_of_the_segment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    project(
        p,
        r#"[audit]
target = "fusionauth"
[[segments.checks]]
kind = "audit"
max_duplicates = 0
max_unmovable_hashes = 0
max_age = "7d"
"#,
    );
    let exports = tempfile::tempdir().expect("tempdir");
    let b = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
    let dup = exports.path().join("dup.csv");
    std::fs::write(
        &dup,
        format!("user_id,email,password_hash\nu1,a@example.org,{b}\nu2,A@example.org ,{b}\nu3,c@example.org,\n"),
    )
    .expect("write");
    to_test(p);
    let err = fails(cutover(p).args(["advance", "staff"]));
    assert!(err.contains("audit: no audit recorded"), "{err}");

    cutover(p)
        .args(["audit", "--segment", "staff"])
        .arg(&dup)
        .assert()
        .success()
        .stdout(predicates::str::contains("staff: audit"));
    let err = fails(cutover(p).args(["advance", "staff"]));
    assert!(err.contains("1 duplicate users > max 0"), "{err}");
    assert!(
        err.contains("1 users whose hash cannot move > max 0"),
        "{err}"
    );

    let clean = exports.path().join("clean.csv");
    std::fs::write(
        &clean,
        format!("user_id,email,password_hash\nu1,a@example.org,{b}\nu2,b@example.org,{b}\n"),
    )
    .expect("write");
    cutover(p)
        .args(["--actor", "ana", "audit", "--segment", "staff"])
        .arg(&clean)
        .assert()
        .success();
    cutover(p).args(["advance", "staff"]).assert().success();
    assert_eq!(phase(p), "gate");
    // The audit is in the log: file, digest, counts, who.
    let log = json(cutover(p).args(["log", "--json"]));
    let audits: Vec<_> = log
        .as_array()
        .expect("log")
        .iter()
        .filter(|e| e["kind"] == "audit")
        .collect();
    assert_eq!(audits.len(), 2);
    assert_eq!(audits[1]["actor"], "ana");
    assert_eq!(audits[1]["audit"]["file"], "clean.csv");
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(std::fs::read(&clean).expect("read"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        audits[1]["audit"]["sha256"], digest,
        "the digest of the file audited"
    );
    assert!(audits[1]["audit"].get("examples").is_none());
}

#[test]
fn an_old_audit_fails_its_max_age() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    project(
        p,
        r#"[[segments.checks]]
kind = "audit"
max_age = "1s"
"#,
    );
    let exports = tempfile::tempdir().expect("tempdir");
    let clean = exports.path().join("u.csv");
    std::fs::write(&clean, "user_id,email\nu1,a@example.org\n").expect("write");
    cutover(p)
        .args(["audit", "--target", "keycloak"])
        .arg(&clean)
        .assert()
        .success();
    to_test(p);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let err = fails(cutover(p).args(["advance", "staff"]));
    assert!(err.contains("old, max 1s: audit the export again"), "{err}");
}

#[test]
fn checks_rerun_without_advancing_and_show_in_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    project(
        p,
        r#"[[segments.checks]]
name = "probe"
kind = "command"
command = ["./probe.sh"]
"#,
    );
    write_script(p, "probe.sh", "exit 1");
    to_test(p);
    let before = json(cutover(p).args(["status", "--json"]));
    assert_eq!(before["segments"][0]["checks"][0]["status"], "unknown");
    assert!(before["segments"][0]["checks_at"].is_null());
    let err = fails(cutover(p).args(["checks", "staff"]));
    assert!(err.contains("probe: exited with 1"), "{err}");
    write_script(p, "probe.sh", "echo all good");
    let out = cutover(p)
        .args(["checks", "staff", "--json"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let verdicts: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(verdicts[0]["status"], "pass");
    assert_eq!(verdicts[0]["reason"], "exit 0: all good");
    assert_eq!(phase(p), "test", "checks never advance");
    let after = json(cutover(p).args(["status", "--json"]));
    assert_eq!(after["segments"][0]["checks"][0]["status"], "pass");
    assert!(after["segments"][0]["checks_at"].is_string());
    let log = json(cutover(p).args(["log", "--json"]));
    let runs = log
        .as_array()
        .expect("log")
        .iter()
        .filter(|e| e["kind"] == "run-checks")
        .count();
    assert_eq!(runs, 2);
    // The text status, the project check and the report name them too.
    cutover(p)
        .arg("status")
        .assert()
        .success()
        .stdout(predicates::str::contains("checks 1/1 pass (ran "));
    cutover(p)
        .arg("check")
        .assert()
        .success()
        .stdout(predicates::str::contains("checks: probe"));
    let report = p.join("report");
    cutover(p)
        .args(["report", "--out"])
        .arg(&report)
        .assert()
        .success();
    let md = std::fs::read_to_string(report.join("report.md")).expect("report");
    assert!(md.contains("### Test checks of staff"), "{md}");
    assert!(md.contains("- ✓ probe: exit 0: all good"), "{md}");
}

/// `cutover init`'s example documents the checks and `[audit]` as comments; uncommented, they
/// are a valid project.
#[test]
fn the_example_checks_and_audit_table_are_valid_once_uncommented() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    cutover(p).arg("init").arg(p).assert().success();
    let text = std::fs::read_to_string(p.join("cutover.toml")).expect("example");
    let keys = [
        "[audit]",
        "[[segments.checks]]",
        "target =",
        "email =",
        "last_login =",
        "required =",
        "name = \"synthetic",
        "kind =",
        "command = [\"./synthetic",
        "url = \"https://auth",
        "pointer =",
        "max =",
        "max_duplicates",
        "max_unmovable",
        "max_age",
    ];
    let mut uncommented = 0;
    let out: Vec<String> = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if keys.iter().any(|k| rest.starts_with(k)) => {
                uncommented += 1;
                rest.to_string()
            }
            _ => l.to_string(),
        })
        .collect();
    assert!(uncommented >= 15, "{uncommented} lines: {text}");
    write_project(p, &out.join("\n"));
    cutover(p)
        .arg("check")
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "checks: synthetic login; http auth.acme.com/api/status; audit",
        ));
}

#[test]
fn bad_check_declarations_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    project(
        p,
        r#"[[segments.checks]]
kind = "http"
url = "http://id.example.com/health"
pointer = "/ok"
[[segments.checks]]
kind = "http"
url = "https://id.example.com/x"
headers = { Authorization = "Bearer abc" }
[[segments.checks]]
kind = "command"
[[segments.checks]]
kind = "audit"
max_duplicates = 0
url = "https://x.example"
timeout = "5s"
[[segments.checks]]
kind = "audit"
max_age = "a week"
"#,
    );
    let err = fails(cutover(p).arg("check"));
    assert!(err.contains("segments[0].checks[0].url"), "{err}");
    assert!(err.contains("plain http"), "{err}");
    assert!(err.contains("a pointer needs a bound"), "{err}");
    assert!(err.contains("checks[1].headers.Authorization"), "{err}");
    assert!(!err.contains("Bearer abc"), "{err}");
    assert!(err.contains("checks[2].command"), "{err}");
    assert!(err.contains("url, timeout do not apply"), "{err}");
    assert!(err.contains("checks[4].max_age"), "{err}");
}

#[test]
fn an_advance_whose_segment_left_test_while_its_checks_ran_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    project(
        p,
        r#"[[segments.checks]]
name = "slow probe"
kind = "command"
command = ["./probe.sh"]
"#,
    );
    write_script(p, "probe.sh", "touch started; sleep 3");
    to_test(p);
    // The advance owns the project while its check runs; the rollback goes through it.
    let advance = common::bin(p)
        .args(["advance", "staff"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("advance");
    let started = p.join("started");
    let t0 = std::time::Instant::now();
    while !started.exists() {
        assert!(t0.elapsed().as_secs() < 20, "the check never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    cutover(p)
        .args(["rollback", "staff", "--reason", "wrong export"])
        .assert()
        .success();
    let out = advance.wait_with_output().expect("advance");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("staff left test while its checks ran (it is in rolled-back now)"),
        "{stderr}"
    );
    assert_eq!(phase(p), "rolled-back");
}
