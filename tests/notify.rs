//! Notifications end to end, with a local receiver on a free port and the real binary:
//! an auto-rollback reaches the sink within 5 s with its readings; a receiver that is down
//! gets the message once it is back, exactly once; a `watch` killed with SIGKILL between an
//! event and its delivery still delivers it, once, through the next owner; a burst of 100
//! phase changes gives at most 5 messages (a digest folds the rest); `cutover notify test`.

mod common;

use common::receiver::Receiver;
use common::{bin, cutover, write_project, write_script};
use serde_json::Value;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

fn project(url: &str, extra: &str) -> String {
    format!(
        r#"[project]
name = "Notify"
[[notify]]
name = "leads"
webhook = "{url}"
{extra}
{}"#,
        common::GUARDED_US
    )
}

fn setup(receiver: &Receiver, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &project(&receiver.url(), extra));
    std::fs::write(dir.path().join("rate.txt"), "0.01\n").expect("rate");
    dir
}

fn watch(dir: &std::path::Path) -> Child {
    common::quiet_watch(dir)
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn an_auto_rollback_reaches_the_sink_within_five_seconds_with_its_readings() {
    let receiver = Receiver::start();
    let dir = setup(&receiver, "min_severity = \"warn\"");
    let p = dir.path();
    common::advance_segment_to_cutover(p, "us");
    let w = common::owning_watch(p);
    std::fs::write(p.join("rate.txt"), "0.5\n").expect("spike");
    let spiked = Instant::now();
    let bodies = receiver.wait(Duration::from_secs(10), "auto-rollback", |b| {
        b.iter().any(|m| m["kind"] == "auto-rollback")
    });
    let took = spiked.elapsed();
    stop(w);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let m = bodies
        .iter()
        .find(|m| m["kind"] == "auto-rollback")
        .expect("the message");
    assert_eq!(m["severity"], "critical");
    assert_eq!(m["project"], "Notify");
    assert_eq!(m["segment"], "us");
    assert!(m["event_id"].as_u64().is_some(), "{m}");
    for key in ["title", "text", "at"] {
        assert!(m[key].is_string(), "{key}: {m}");
    }
    let readings = m["readings"].to_string();
    assert!(readings.contains("failure_rate"), "{m}");
    assert!(
        m["text"]
            .as_str()
            .unwrap_or("")
            .contains("cutover replan us"),
        "{m}"
    );
    // Info is below this sink's min_severity: no phase changes were sent.
    assert!(
        bodies.iter().all(|m| m["severity"] != "info"),
        "{bodies:#?}"
    );
}

#[test]
fn a_receiver_down_gets_the_message_once_back_and_a_killed_owner_s_message_is_sent_once() {
    let receiver = Receiver::start();
    let dir = setup(&receiver, "min_severity = \"info\"");
    let p = dir.path();
    let w = common::owning_watch(p);
    receiver.down();
    let out = cutover(p)
        .args(["advance", "us"])
        .output()
        .expect("advance");
    assert!(out.status.success(), "{out:?}");
    // Down for a while: the watch retries with backoff (and shows the failure).
    std::thread::sleep(Duration::from_secs(30));
    let status = common::json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["notify_failing"][0]["sink"], "leads", "{status}");
    assert!(receiver.bodies().is_empty());
    receiver.up();
    let bodies = receiver.wait(Duration::from_secs(15), "the delayed message", |b| {
        !b.is_empty()
    });
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(receiver.bodies().len(), 1, "exactly once: {bodies:#?}");
    assert_eq!(receiver.bodies()[0]["title"], "us: plan → test");
    // Killed between an event and its delivery: the next owner delivers it, once.
    receiver.down();
    let out = cutover(p)
        .args(["advance", "us"])
        .output()
        .expect("advance");
    assert!(out.status.success(), "{out:?}");
    std::thread::sleep(Duration::from_millis(500));
    stop(w);
    receiver.up();
    let w = watch(p);
    receiver.wait(Duration::from_secs(15), "the killed owner's message", |b| {
        b.len() >= 2
    });
    std::thread::sleep(Duration::from_secs(3));
    stop(w);
    let titles: Vec<String> = receiver
        .bodies()
        .iter()
        .map(|m| m["title"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(titles, vec!["us: plan → test", "us: test → gate"]);
}

#[test]
fn a_burst_of_a_hundred_phase_changes_gives_at_most_five_messages() {
    let receiver = Receiver::start();
    let dir = setup(&receiver, "min_severity = \"info\"\nwindow = \"30s\"");
    let p = dir.path();
    cutover(p).args(["advance", "us"]).assert().success();
    let w = common::owning_watch(p);
    for i in 0..50 {
        cutover(p).args(["advance", "us"]).assert().success();
        cutover(p)
            .args(["retest", "us", "--reason", &format!("flap {i}")])
            .assert()
            .success();
    }
    let bodies = receiver.wait(Duration::from_secs(45), "a digest", |b| {
        b.iter().any(|m| m["kind"] == "digest")
    });
    std::thread::sleep(Duration::from_secs(2));
    stop(w);
    let all = receiver.bodies();
    assert!(all.len() <= 5, "{} messages: {bodies:#?}", all.len());
    let digest = all.iter().find(|m| m["kind"] == "digest").expect("digest");
    assert!(
        digest["title"].as_str().unwrap_or("").contains("events"),
        "{digest}"
    );
}

#[test]
fn notify_test_reports_each_sink() {
    let receiver = Receiver::start();
    let dir = setup(&receiver, "");
    let p = dir.path();
    write_script(p, "page.sh", "cat > paged.json");
    let toml = std::fs::read_to_string(p.join("cutover.toml")).expect("toml");
    write_project(
        p,
        &toml.replace(
            "[[segments]]",
            "[[notify]]\nname = \"pager\"\ncommand = [\"./page.sh\"]\n[[notify]]\nname = \"gone\"\nwebhook = \"http://127.0.0.1:9/nowhere\"\n[[segments]]",
        ),
    );
    let out = cutover(p).args(["notify", "test"]).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "one sink is down: {text}");
    assert!(text.contains("leads: delivered (HTTP 200)"), "{text}");
    assert!(text.contains("pager: delivered (exit 0)"), "{text}");
    assert!(text.contains("gone: FAILED"), "{text}");
    let paged: Value =
        serde_json::from_slice(&std::fs::read(p.join("paged.json")).expect("paged")).expect("json");
    assert_eq!(paged["kind"], "test");
    assert_eq!(receiver.bodies()[0]["kind"], "test");
    let out = cutover(p)
        .args(["notify", "test", "leads"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn a_slack_sink_gets_text_and_blocks_and_its_secret_url_is_never_shown() {
    let receiver = Receiver::start();
    let token = "T0K3N-never-shown-9d2e";
    let slack = format!("http://127.0.0.1:{}/services/{token}", receiver.port);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(
        p,
        &project("unused", "").replace(
            "webhook = \"unused\"",
            "slack = \"env:SLACK_WEBHOOK_URL\"\nmin_severity = \"info\"",
        ),
    );
    std::fs::write(p.join("rate.txt"), "0.01\n").expect("rate");
    receiver.down();
    let mut w = bin(p)
        .arg("watch")
        .env("SLACK_WEBHOOK_URL", &slack)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("watch");
    common::owner_pid(p, Duration::from_secs(10)).expect("the watch owns the project");
    let out = cutover(p)
        .args(["advance", "us"])
        .output()
        .expect("advance");
    assert!(out.status.success(), "{out:?}");
    std::thread::sleep(Duration::from_secs(3));
    let status = cutover(p)
        .args(["status", "--json"])
        .output()
        .expect("status");
    let text = String::from_utf8_lossy(&status.stdout).to_string();
    let json: Value = serde_json::from_str(&text).expect("status json");
    assert_eq!(json["notify_failing"][0]["sink"], "leads", "{text}");
    receiver.up();
    let bodies = receiver.wait(Duration::from_secs(15), "the Slack message", |b| {
        !b.is_empty()
    });
    let _ = w.kill();
    let out = w.wait_with_output().expect("watch output");
    let m = &bodies[0];
    assert!(
        m["text"].as_str().unwrap_or("").contains("us: plan → test"),
        "{m}"
    );
    assert!(m["blocks"].as_array().is_some_and(|b| !b.is_empty()), "{m}");
    for shown in [
        &text,
        &String::from_utf8_lossy(&out.stdout).to_string(),
        &String::from_utf8_lossy(&out.stderr).to_string(),
    ] {
        assert!(!shown.contains(token), "the secret URL was shown: {shown}");
    }
    common::assert_secret_absent(p, token);
}

/// The simulator's failure spike (its login failure ratio, read as Prometheus), frozen in
/// time and moved onto the spike by hand: the guard rolls `us` back, and the sink hears it.
#[test]
fn the_simulator_s_failure_spike_auto_rollback_reaches_the_sink_within_five_seconds() {
    use std::io::BufRead;
    let receiver = Receiver::start();
    let mut sim = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["simulate", "--listen", "127.0.0.1:0", "--paused"])
        .args([
            "--segment",
            "us:100000:0.2",
            "--fault",
            "us:failure-spike@5",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulate");
    let mut line = String::new();
    std::io::BufReader::new(sim.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let sim_url = line.trim().trim_start_matches("listening on ").to_string();
    assert!(sim_url.starts_with("http://127.0.0.1:"), "{line}");
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let toml = project(&receiver.url(), "").replace(
        "kind = \"command\"\ncommand = [\"cat\", \"rate.txt\"]",
        &format!(
            "kind = \"prometheus\"\nurl = \"{sim_url}\"\nquery = 'login_failure_ratio{{segment=\"us\"}}'"
        ),
    );
    assert!(toml.contains("prometheus"), "{toml}");
    write_project(p, &toml);
    common::advance_segment_to_cutover(p, "us");
    let w = common::owning_watch(p);
    // Move the simulator onto the spike: POST /sim/day?set=5.5.
    {
        use std::io::{Read, Write};
        let mut c =
            std::net::TcpStream::connect(sim_url.trim_start_matches("http://")).expect("simulator");
        c.write_all(
            b"POST /sim/day?set=5.5 HTTP/1.1\r\nhost: sim\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )
        .expect("move the day");
        let mut answer = String::new();
        let _ = c.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    let spiked = Instant::now();
    let bodies = receiver.wait(Duration::from_secs(15), "auto-rollback", |b| {
        b.iter().any(|m| m["kind"] == "auto-rollback")
    });
    let took = spiked.elapsed();
    stop(w);
    let _ = sim.kill();
    let _ = sim.wait();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let m = bodies
        .iter()
        .find(|m| m["kind"] == "auto-rollback")
        .expect("message");
    assert!(m["readings"].to_string().contains("failure_rate"), "{m}");
}
