//! A second pair of eyes, with two real OS users (created by the test with `useradd`, run with
//! `setpriv`) working through a real `cutover watch`'s socket: alice asks for a cutover, may
//! not approve it herself, bob approves; the gate is checked when bob approves, not when alice
//! asked; the log shows the request, the approval, the cutover and the move with both actors.

mod common;

use common::vendors::{simulator, write_export};
use common::{cutover, json, request_id, write_project};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// OS users and their group, removed again on drop.
struct Users {
    group: String,
    names: Vec<String>,
}

impl Users {
    fn create(tag: &str, names: &[&str]) -> Users {
        let group = format!("cut{tag}");
        let _ = Command::new("groupadd").arg(&group).status();
        let names: Vec<String> = names.iter().map(|n| format!("{n}{tag}")).collect();
        for n in &names {
            let made = Command::new("useradd")
                .args(["-M", "-N", "-g", &group, "-s", "/usr/sbin/nologin", n])
                .output()
                .expect("useradd (passwd) runs");
            let said = String::from_utf8_lossy(&made.stderr);
            assert!(
                made.status.success() || said.contains("already exists"),
                "useradd {n}: {said}"
            );
        }
        Users { group, names }
    }

    /// Run cutover in `dir` as user `i`.
    fn run(&self, i: usize, dir: &std::path::Path, args: &[&str]) -> Output {
        Command::new("setpriv")
            .args([
                &format!("--reuid={}", self.names[i]),
                &format!("--regid={}", self.group),
                "--init-groups",
                "--",
            ])
            .arg(env!("CARGO_BIN_EXE_cutover"))
            .arg("--project")
            .arg(dir)
            .args(args)
            .output()
            .expect("setpriv (util-linux) runs the binary")
    }
}

impl Drop for Users {
    fn drop(&mut self) {
        for n in &self.names {
            let _ = Command::new("userdel").arg(n).status();
        }
        let _ = Command::new("groupdel").arg(&self.group).status();
    }
}

struct Watch(Child);

impl Watch {
    /// A `cutover watch` (as root, with the simulator's key) once its socket answers.
    fn start(p: &std::path::Path) -> Watch {
        let watch = Watch(
            common::bin(p)
                .arg("watch")
                .env("FA_KEY", "key")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("watch"),
        );
        let start = Instant::now();
        while std::os::unix::net::UnixStream::connect(p.join(".cutover").join("sock")).is_err() {
            assert!(start.elapsed() < Duration::from_secs(10), "no socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        watch
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn said(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn a_cutover_waits_for_someone_else_s_approval_and_its_gate_is_checked_then() {
    let users = Users::create(
        &format!("{}", std::process::id() % 100_000),
        &["alice", "bob"],
    );
    let (alice, bob) = (0, 1);
    let sim = simulator(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    write_export(&p.join("users.jsonl"), 40);
    std::fs::write(p.join("rate.txt"), "0.5\n").expect("rate");
    write_project(
        p,
        &format!(
            "[project]\nname = \"Approvals\"\nsocket_group = \"{group}\"\n[approvals]\nactions = [\"cutover\"]\napprovers = [\"group:{group}\"]\nrequired = 1\nexpires = \"24h\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = 40\ngoal = 0.9\n[segments.sources.failure_rate]\nkind = \"command\"\ncommand = [\"cat\", \"{rate}\"]\nevery = \"1h\"\n[[segments.gates]]\nmetric = \"failure_rate\"\nmax = 0.02\n[segments.move]\nexport = \"users.jsonl\"\ntarget = \"fusionauth\"\nurl = \"{url}\"\napi_key = \"env:FA_KEY\"\ntenant = \"acme\"\n",
            group = users.group,
            rate = p.join("rate.txt").display(),
            url = sim.1,
        ),
    );
    cutover(p).arg("check").assert().success();
    let _watch = Watch::start(p);
    for _ in 0..2 {
        let out = users.run(alice, p, &["advance", "eu"]);
        assert!(out.status.success(), "{}", said(&out));
    }

    // Alice asks for the cutover: recorded, not run.
    let asked = users.run(alice, p, &["advance", "eu", "--reason", "eu wave 1"]);
    let text = said(&asked);
    assert_eq!(asked.status.code(), Some(1), "{text}");
    assert!(text.contains("waits for approval"), "{text}");
    let first = request_id(&text);
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "gate");
    assert_eq!(status["approvals"][0]["id"].to_string(), first, "{status}");
    assert_eq!(status["approvals"][0]["action"], "cutover");
    assert_eq!(status["approvals"][0]["requested_by"], users.names[alice]);
    let text =
        String::from_utf8_lossy(&cutover(p).args(["status"]).output().expect("status").stdout)
            .to_string();
    assert!(
        text.contains(&format!(
            "request #{first}: {} asks to run cutover on eu",
            users.names[alice]
        )) && text.contains(&format!("cutover approve {first}")),
        "{text}"
    );

    // She may not approve it herself.
    let own = users.run(alice, p, &["approve", &first]);
    assert_eq!(own.status.code(), Some(1), "{}", said(&own));
    assert!(
        said(&own).contains("self-approval is refused"),
        "{}",
        said(&own)
    );

    // Bob approves: the gate is checked now, and fails (the failure rate is 0.5).
    let approved = users.run(bob, p, &["approve", &first, "--reason", "looks fine"]);
    let text = said(&approved);
    assert!(!approved.status.success(), "{text}");
    assert!(
        text.contains("failure_rate"),
        "the gate refuses at approval: {text}"
    );
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "gate");
    assert_eq!(
        status["approvals"],
        serde_json::json!([]),
        "consumed: {status}"
    );

    // Asked again; the rate is fixed before bob approves: the cutover runs, with the move.
    let again = users.run(alice, p, &["advance", "eu", "--reason", "eu wave 1, again"]);
    let second = request_id(&said(&again));
    std::fs::write(p.join("rate.txt"), "0.01\n").expect("rate");
    let approved = users.run(bob, p, &["approve", &second]);
    assert!(approved.status.success(), "{}", said(&approved));
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "cutover", "{status}");

    // The log: request and approvals by their actors, the cutover and its move as alice's.
    let log = json(cutover(p).args(["log", "--json"]));
    let events = log.as_array().expect("events");
    let by = |kind: &str, actor: &str| {
        events
            .iter()
            .any(|e| e["kind"] == kind && e["actor"] == actor)
    };
    assert!(by("approval", &users.names[alice]), "the request: {log}");
    assert!(by("approval", &users.names[bob]), "the approval: {log}");
    assert!(by("advance", &users.names[alice]), "the cutover: {log}");
    assert!(by("move", &users.names[alice]), "the move: {log}");
    let cut = events
        .iter()
        .rev()
        .find(|e| e["kind"] == "advance" && e["to"] == "cutover")
        .expect("the cutover");
    assert!(
        cut["reason"]
            .as_str()
            .is_some_and(|r| r.contains(&format!("approved by {}", users.names[bob]))),
        "{cut}"
    );
}

#[test]
fn an_override_of_a_closed_window_runs_once_approved_and_a_rollback_is_never_held() {
    let users = Users::create(
        &format!("w{}", std::process::id() % 100_000),
        &["alice", "bob"],
    );
    let (alice, bob) = (0, 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // A window for cutover that opens two hours from now: closed now. Cutover itself needs no
    // approval; an override of its window does.
    let from = chrono::Utc::now() + chrono::Duration::hours(2);
    let to = from + chrono::Duration::hours(1);
    write_project(
        p,
        &format!(
            "[project]\nname = \"Overrides\"\nsocket_group = \"{group}\"\n[approvals]\nactions = [\"delete-active\"]\napprovers = [\"group:{group}\"]\n[[windows]]\nactions = [\"cutover\"]\nfrom = \"{}\"\nto = \"{}\"\nzone = \"UTC\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = 40\ngoal = 0.9\n",
            from.format("%H:%M"),
            to.format("%H:%M"),
            group = users.group,
        ),
    );
    let _watch = Watch::start(p);
    for _ in 0..2 {
        let out = users.run(alice, p, &["advance", "eu"]);
        assert!(out.status.success(), "{}", said(&out));
    }
    let refused = users.run(alice, p, &["advance", "eu"]);
    assert_eq!(refused.status.code(), Some(1), "{}", said(&refused));
    assert!(
        said(&refused).contains("next opens at"),
        "{}",
        said(&refused)
    );

    // An override needs a reason, then someone else's approval; once approved it runs.
    let asked = users.run(
        alice,
        p,
        &["advance", "eu", "--override", "--reason", "hotfix"],
    );
    let text = said(&asked);
    assert!(text.contains("waits for approval"), "{text}");
    let id = request_id(&text);
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(
        status["approvals"][0]["action"], "cutover (override)",
        "{status}"
    );
    let approved = users.run(bob, p, &["approve", &id]);
    assert!(approved.status.success(), "{}", said(&approved));
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "cutover", "{status}");

    // A rollback runs at once, window or not; deleting active users would wait for approval.
    let rolled = users.run(alice, p, &["rollback", "eu", "--reason", "drill"]);
    assert!(rolled.status.success(), "{}", said(&rolled));
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "rolled-back", "{status}");
}

#[test]
fn a_lead_approves_from_the_cockpit_s_needs_you_and_its_header_shows_the_window() {
    let users = Users::create(
        &format!("c{}", std::process::id() % 100_000),
        &["alice", "bob"],
    );
    let (alice, bob) = (0, 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // A window open from an hour ago to three hours from now, so the header has one.
    let berlin = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Berlin);
    let (from, to) = (
        (berlin - chrono::Duration::hours(1)).format("%H:%M"),
        (berlin + chrono::Duration::hours(3)).format("%H:%M"),
    );
    write_project(
        p,
        &format!(
            "[project]\nname = \"Cockpit approvals\"\nsocket_group = \"{group}\"\n[approvals]\nactions = [\"cutover\"]\napprovers = [\"group:{group}\"]\n[[windows]]\nactions = [\"cutover\"]\nfrom = \"{from}\"\nto = \"{to}\"\nzone = \"Europe/Berlin\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 1000\nlogin_probability = 0.1\ngoal = 0.9\n",
            group = users.group,
        ),
    );
    let _watch = Watch::start(p);
    for _ in 0..2 {
        let out = users.run(alice, p, &["advance", "eu"]);
        assert!(out.status.success(), "{}", said(&out));
    }
    let asked = users.run(alice, p, &["advance", "eu", "--reason", "eu wave 1"]);
    let id = request_id(&said(&asked));

    // Bob's cockpit: the request in "needs you" with A; the window in the header.
    let tmux = common::tmux::Tmux::server(&format!("cutover-approve-{}", users.group));
    tmux.cockpit_with(
        "bob",
        p,
        &format!(
            "setpriv --reuid={} --regid={} --init-groups -- env",
            users.names[bob], users.group
        ),
        "",
    );
    let screen = tmux.wait_for("bob", "the request in needs you", |s| {
        s.contains(&format!(
            "request #{id}: {} asks to run cutover",
            users.names[alice]
        ))
    });
    let header = screen.lines().next().unwrap_or_default();
    assert!(
        header.contains("cutover open · closes") && header.contains("Europe/Berlin"),
        "{header}"
    );
    tmux.keys("bob", &["A"]);
    tmux.wait_for("bob", "the approval dialog", |s| {
        s.contains(&format!("Approve request #{id}?"))
    });
    tmux.keys("bob", &["l", "g", "t", "m", "Enter"]);
    tmux.wait_for("bob", "eu in cutover", |s| {
        common::tmux::row(s, "eu").contains("cutover")
    });
    tmux.quit("bob");
    drop(tmux);

    let log = json(cutover(p).args(["log", "--json"]));
    let events = log.as_array().expect("events");
    let approval = events
        .iter()
        .find(|e| e["kind"] == "approval" && e["actor"] == users.names[bob].as_str())
        .expect("bob's approval");
    assert_eq!(approval["reason"], "lgtm", "{approval}");
    let cut = events
        .iter()
        .find(|e| e["kind"] == "advance" && e["to"] == "cutover")
        .expect("the cutover");
    assert_eq!(cut["actor"], users.names[alice].as_str(), "{cut}");
}
