//! Webhook and command hooks through the real binary against a local server (issue 2):
//! idempotency keys, retries with backoff, 4xx not retried, timeouts, and secrets that never
//! reach the state, the log or the output.

mod common;

use common::{cutover, fails, json, serve, write_project, write_script};
use predicates::str::contains;
use std::path::Path;

const TOKEN: &str = "Bearer planted-secret-4242";

fn project(dir: &Path, url: &str, retries: u32, timeout: &str) {
    write_project(
        dir,
        &format!(
            r#"[project]
name = "Hooks"
[[segments]]
id = "eu"
strategy = "slow"
size = 100
login_probability = 0.1
goal = 0.9
[segments.hooks.cutover]
command = ["./cutover.sh"]
[segments.hooks.rollback]
webhook = "{url}/hooks/rollback"
headers = {{ Authorization = "env:ROUTER_TOKEN", X-Tenant = "acme" }}
retries = {retries}
timeout = "{timeout}"
"#
        ),
    );
    // The cutover command prints the secret it inherited: it must be scrubbed from the log.
    write_script(dir, "cutover.sh", r#"echo "token is $ROUTER_TOKEN""#);
}

fn to_cutover(dir: &Path) {
    for _ in 0..3 {
        cutover(dir)
            .env("ROUTER_TOKEN", TOKEN)
            .args(["advance", "eu"])
            .assert()
            .success();
    }
}

#[test]
fn a_webhook_is_retried_with_the_same_idempotency_key_until_it_succeeds() {
    let server = serve(vec![
        (503, 0, "busy".into()),
        (502, 0, "bad gateway".into()),
        (200, 0, "{}".into()),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    project(dir.path(), &server.url, 3, "2s");
    to_cutover(dir.path());
    cutover(dir.path())
        .env("ROUTER_TOKEN", TOKEN)
        .args(["rollback", "eu", "--reason", "errors up"])
        .assert()
        .success()
        .stdout(contains("HTTP 200 after 3 attempt(s)"));
    let seen = server.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 3);
    let log = json(cutover(dir.path()).args(["log", "--json"]));
    let requested = log
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["kind"] == "rollback" && e["outcome"] == "requested")
        .expect("requested event");
    let key = requested["seq"].as_u64().expect("seq").to_string();
    for s in &seen {
        assert_eq!(s.request_line, "POST /hooks/rollback HTTP/1.1");
        assert_eq!(s.header("idempotency-key"), Some(key.as_str()));
        assert_eq!(
            s.header("authorization"),
            Some(TOKEN),
            "env: resolved at use"
        );
        assert_eq!(s.header("x-tenant"), Some("acme"));
        let body: serde_json::Value = serde_json::from_str(&s.body).expect("JSON body");
        assert_eq!(body["segment"], "eu");
        assert_eq!(body["action"], "rollback");
        assert_eq!(body["from"], "cutover");
        assert_eq!(body["to"], "rolled-back");
        assert_eq!(body["event_id"].to_string(), key);
        assert_eq!(body["reason"], "errors up");
    }
    let status = json(cutover(dir.path()).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "rolled-back");
}

#[test]
fn a_client_error_is_not_retried_and_leaves_rollback_failed_then_retry_reuses_the_key() {
    let server = serve(vec![
        (400, 0, "{\"error\":\"unknown route\"}".into()),
        (200, 0, "{}".into()),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    project(dir.path(), &server.url, 3, "2s");
    to_cutover(dir.path());
    let stderr = fails(
        cutover(dir.path())
            .env("ROUTER_TOKEN", TOKEN)
            .args(["rollback", "eu", "--reason", "x"]),
    );
    assert!(
        stderr.contains("HTTP 400 after 1 attempt(s)") && stderr.contains("unknown route"),
        "{stderr}"
    );
    assert_eq!(server.seen.lock().expect("lock").len(), 1);
    let status = json(cutover(dir.path()).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "rollback-failed");
    cutover(dir.path())
        .env("ROUTER_TOKEN", TOKEN)
        .args(["rollback", "eu", "--retry"])
        .assert()
        .success();
    let seen = server.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].header("idempotency-key"),
        seen[1].header("idempotency-key")
    );
}

#[test]
fn a_webhook_that_does_not_answer_in_time_fails_with_the_timeout_named() {
    let server = serve(vec![(200, 3_000, "{}".into())]);
    let dir = tempfile::tempdir().expect("tempdir");
    project(dir.path(), &server.url, 0, "300ms");
    to_cutover(dir.path());
    let stderr = fails(
        cutover(dir.path())
            .env("ROUTER_TOKEN", TOKEN)
            .args(["rollback", "eu", "--reason", "x"]),
    );
    assert!(stderr.contains("no answer within 300ms"), "{stderr}");
}

#[test]
fn a_webhook_to_nowhere_and_an_unset_secret_fail_cleanly() {
    // A port nobody listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let dir = tempfile::tempdir().expect("tempdir");
    project(dir.path(), &format!("http://127.0.0.1:{port}"), 1, "1s");
    to_cutover(dir.path());
    let stderr = fails(
        cutover(dir.path())
            .env("ROUTER_TOKEN", TOKEN)
            .args(["rollback", "eu", "--reason", "x"]),
    );
    assert!(
        stderr.contains("cannot connect") && stderr.contains("2 attempt(s)"),
        "{stderr}"
    );
    let stderr = fails(
        cutover(dir.path())
            .env_remove("ROUTER_TOKEN")
            .args(["rollback", "eu", "--retry"]),
    );
    assert!(
        stderr.contains("ROUTER_TOKEN") && stderr.contains("not set"),
        "{stderr}"
    );
}

#[test]
fn a_hook_that_hangs_is_killed_at_its_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(
        dir.path(),
        r#"[project]
name = "Slow hook"
[[segments]]
id = "eu"
strategy = "slow"
size = 100
login_probability = 0.1
goal = 0.9
[segments.hooks.cutover]
command = ["sleep", "30"]
timeout = "300ms"
"#,
    );
    cutover(dir.path())
        .args(["advance", "eu"])
        .assert()
        .success();
    cutover(dir.path())
        .args(["advance", "eu"])
        .assert()
        .success();
    let started = std::time::Instant::now();
    let stderr = fails(cutover(dir.path()).args(["advance", "eu"]));
    assert!(stderr.contains("did not finish within 300ms"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let status = json(cutover(dir.path()).args(["status", "--json"]));
    assert_eq!(
        status["segments"][0]["phase"], "gate",
        "a failed cutover hook does not cut over"
    );
}

#[test]
fn a_planted_secret_appears_nowhere_in_state_log_or_output() {
    let server = serve(vec![(200, 0, "{}".into())]);
    let dir = tempfile::tempdir().expect("tempdir");
    project(dir.path(), &server.url, 0, "2s");
    let mut outputs = String::new();
    let mut run = |args: &[&str]| {
        let out = cutover(dir.path())
            .env("ROUTER_TOKEN", TOKEN)
            .args(args)
            .output()
            .expect("run");
        outputs.push_str(&String::from_utf8_lossy(&out.stdout));
        outputs.push_str(&String::from_utf8_lossy(&out.stderr));
    };
    for args in [
        &["check"][..],
        &["advance", "eu"],
        &["advance", "eu"],
        &["advance", "eu"],
        &["rollback", "eu", "--reason", "r"],
        &["status"],
        &["status", "--json"],
        &["log"],
        &["log", "--json"],
    ] {
        run(args);
    }
    assert!(
        outputs.contains("token is ***"),
        "the hook's echo is scrubbed, not dropped: {outputs}"
    );
    assert!(!outputs.contains("planted-secret-4242"), "{outputs}");
    common::assert_secret_absent(dir.path(), "planted-secret-4242");
}
