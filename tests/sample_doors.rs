//! Hardening, round two (issue 23, §4): one rule for a sample at every door. Over the raw
//! protocol, `record` gets no more latitude than `import`: a metric name is 1 to 64 of ASCII
//! letters, digits, `_`, `-` and `.`, a `migrated` count is in range whatever the spelling,
//! and whatever was acknowledged is exactly what `state verify` and `state backup` find.

mod common;

use common::raw::{Owner, frame, hello, read_frame, socket};
use common::{cutover, json, write_project};
use std::os::unix::net::UnixStream;

const PROJECT: &str = r#"[project]
name = "Doors"

[[segments]]
id = "s5"
strategy = "slow"
size = 1000
login_probability = 0.1
goal = 0.9
"#;

/// Send one request and read frames until its final reply.
fn ask(stream: &mut UnixStream, id: u64, request: serde_json::Value) -> serde_json::Value {
    let body = serde_json::json!({"msg": "request", "id": id, "request": request});
    frame(stream, body.to_string().as_bytes()).expect("send");
    loop {
        let reply = read_frame(stream).expect("a reply");
        if reply["id"] == id && !matches!(reply["reply"]["reply"].as_str(), Some("event")) {
            return reply["reply"].clone();
        }
    }
}

fn record(metric: &str, value: f64) -> serde_json::Value {
    serde_json::json!({
        "request": "record", "segment": "s5", "metric": metric, "value": value,
        "at": "2026-03-01T08:00:00Z"
    })
}

#[test]
fn a_raw_record_obeys_the_sample_rule_and_verify_counts_what_was_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), PROJECT);
    let owner = Owner::start(dir.path());
    let mut s = UnixStream::connect(socket(dir.path())).expect("connect");
    assert_eq!(hello(&mut s)["msg"], "welcome");
    let long = "m".repeat(60_000);
    let refused = [
        ("a\u{0}b", 1.0),
        (long.as_str(), 1.0),
        ("migrated\u{0}", 9e9),
        ("", 1.0),
        ("tab\tname", 1.0),
        ("migrated", -5.0),
        ("migrated", 1e308),
    ];
    for (i, (metric, value)) in refused.iter().enumerate() {
        let reply = ask(&mut s, i as u64 + 1, record(metric, *value));
        assert_eq!(reply["reply"], "failed", "{metric:?} {value}: {reply}");
        let message = reply["message"].as_str().unwrap_or_default();
        assert!(
            message.len() < 300,
            "the refusal quotes a short prefix: {message}"
        );
    }
    let ok = ask(&mut s, 100, record("p99.latency-ms", 12.5));
    assert_eq!(ok["reply"], "done", "{ok}");
    let ok = ask(&mut s, 101, record("migrated", 10.0));
    assert_eq!(ok["reply"], "done", "{ok}");
    // An unknown segment with a NUL is refused, and named only by a short escaped prefix.
    let bad_segment = serde_json::json!({
        "request": "record", "segment": format!("s5\u{0}{}", "x".repeat(10_000)),
        "metric": "migrated", "value": 1.0
    });
    let reply = ask(&mut s, 102, bad_segment);
    assert_eq!(reply["reply"], "failed", "{reply}");
    assert!(reply["message"].as_str().unwrap_or_default().len() < 300);
    drop(s);

    let verified = cutover(dir.path())
        .args(["state", "verify"])
        .output()
        .expect("verify");
    let out = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{out}");
    assert!(
        out.contains("2 samples"),
        "exactly the acknowledged two: {out}"
    );
    let backup = dir.path().join("backup");
    cutover(dir.path())
        .args(["state", "backup"])
        .arg(&backup)
        .assert()
        .success();
    let totals = common::history::backup_totals(&backup);
    assert_eq!(totals.len(), 2, "{totals:?}");
    assert_eq!(totals["s5/p99.latency-ms"], (1, 12.5));
    drop(owner);
}

#[test]
fn source_names_follow_the_metric_rule_and_check_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let long = "m".repeat(65);
    write_project(
        dir.path(),
        &format!(
            "{PROJECT}[segments.sources.{long}]\nkind = \"command\"\ncommand = [\"echo\", \"1\"]\n"
        ),
    );
    let out = cutover(dir.path()).arg("check").output().expect("check");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("is not a metric name"), "{text}");
    assert!(text.contains("1 to 64"), "{text}");
    // A dotted name is a metric name.
    write_project(
        dir.path(),
        &format!(
            "{PROJECT}[segments.sources.\"p99.ms\"]\nkind = \"command\"\ncommand = [\"echo\", \"1\"]\n"
        ),
    );
    let status = json(cutover(dir.path()).args(["status", "--json"]));
    assert_eq!(status["project"], "Doors");
}

#[test]
fn a_raw_backup_or_report_with_a_relative_path_is_refused_not_written_in_the_owner_s_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), PROJECT);
    let owner = Owner::start(dir.path());
    let mut s = UnixStream::connect(socket(dir.path())).expect("connect");
    assert_eq!(hello(&mut s)["msg"], "welcome");
    for (id, request) in [
        (
            1,
            serde_json::json!({"request": "backup", "out": "rel-backup"}),
        ),
        (
            2,
            serde_json::json!({"request": "report", "out": "rel-report", "at": null}),
        ),
    ] {
        let reply = ask(&mut s, id, request);
        assert_eq!(reply["reply"], "failed", "{reply}");
        assert!(
            reply["message"]
                .as_str()
                .unwrap_or_default()
                .contains("give an absolute path"),
            "{reply}"
        );
    }
    drop(owner);
    // The command itself resolves a relative path against the caller's folder.
    let caller = tempfile::tempdir().expect("caller");
    cutover(dir.path())
        .args(["state", "backup", "mine"])
        .current_dir(caller.path())
        .assert()
        .success();
    assert!(caller.path().join("mine/backup.json").exists());
}

#[test]
fn an_actor_the_log_could_not_hold_is_refused_before_anything_is_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), PROJECT);
    let long = "a".repeat(300);
    let stderr = common::fails(
        cutover(dir.path()).args(["--actor", &long, "pause", "s5", "--reason", "freeze"]),
    );
    assert!(stderr.contains("--actor"), "{stderr}");
    assert!(stderr.contains("is not an actor name"), "{stderr}");
    assert!(stderr.len() < 400, "a short message: {stderr}");
    let log = json(cutover(dir.path()).args(["log", "--json"]));
    assert_eq!(
        log.as_array().map(Vec::len),
        Some(0),
        "nothing recorded: {log}"
    );
}
