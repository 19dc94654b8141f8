//! Change control on the team backend: two "machines" (project folders) over one real
//! PostgreSQL, each logging in as its lead's own database role, made with the repository's
//! `docs/postgres-roles.sql`. Alice asks for a cutover on her machine and may not approve it
//! herself; Bob approves on his; the gate is checked when he approves; the log shows the
//! request, the approval, the cutover and its move of users with both names. A third role
//! with the script's read-only grants watches: every action of hers is refused, her cockpit
//! shows no action key, and her "since you last looked" marker is kept. An OS user listed as a
//! viewer stays one when attached to a lead's machine.

mod common;

use common::pg_server::Postgres;
use common::{bin, request_id, write_project};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

const PROJECT: &str = "[project]\nname = \"Team control\"\n[state]\nbackend = \"postgres\"\nurl = \"env:CUTOVER_DATABASE_URL\"\n[approvals]\nactions = [\"cutover\"]\napprovers = [\"alice\", \"bob\"]\nrequired = 1\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 1000\nlogin_probability = 0.1\ngoal = 0.9\n[segments.sources.failure_rate]\nkind = \"command\"\ncommand = [\"cat\", \"RATE\"]\nevery = \"1h\"\n[[segments.gates]]\nmetric = \"failure_rate\"\nmax = 0.02\n";

/// The team database with the schema made by its owner, the repository's role script run,
/// and three people: two leads and a viewer. Returns each person's connection string.
fn team(pg: &Postgres, first: &Path) -> [String; 3] {
    let made = run(first, &pg.url(), &["status"]);
    assert!(made.status.success(), "{}", said(&made));
    let script = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/postgres-roles.sql"),
    )
    .expect("docs/postgres-roles.sql");
    let mut db = ::postgres::Client::connect(&pg.url(), ::postgres::NoTls).expect("connect");
    db.batch_execute(&script).expect("the role script runs");
    db.batch_execute(
        "CREATE ROLE alice LOGIN IN ROLE cutover_lead;
         CREATE ROLE bob LOGIN IN ROLE cutover_lead;
         CREATE ROLE carol LOGIN IN ROLE cutover_viewer;",
    )
    .expect("roles");
    ["alice", "bob", "carol"].map(|who| pg.url().replace("postgres@", &format!("{who}@")))
}

/// A machine: its own project folder, its gate reading the failure rate from `rate` (a file
/// both machines read, standing for the shared monitoring).
fn machine(rate: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(
        dir.path(),
        &PROJECT.replace("RATE", &rate.display().to_string()),
    );
    dir
}

fn run(dir: &Path, url: &str, args: &[&str]) -> Output {
    bin(dir)
        .env("CUTOVER_DATABASE_URL", url)
        .env("FA_KEY", "key")
        .args(args)
        .output()
        .expect("run cutover")
}

fn said(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

fn ok(dir: &Path, url: &str, args: &[&str]) -> Output {
    let out = run(dir, url, args);
    assert!(out.status.success(), "{args:?}: {}", said(&out));
    out
}

fn json(dir: &Path, url: &str, args: &[&str]) -> Value {
    serde_json::from_slice(&ok(dir, url, args).stdout).expect("json")
}

#[test]
fn a_cutover_asked_on_one_machine_is_approved_on_another_by_database_role() {
    let pg = Postgres::start();
    let shared = tempfile::tempdir().expect("tempdir");
    let rate = shared.path().join("rate.txt");
    std::fs::write(&rate, "0.5\n").expect("rate");
    let (a, b) = (machine(&rate), machine(&rate));
    // The cutover moves 40 users to a simulated FusionAuth, from each machine's own export.
    let sim = common::vendors::simulator(&[]);
    for dir in [a.path(), b.path()] {
        common::vendors::write_export(&dir.join("users.jsonl"), 40);
        let toml = std::fs::read_to_string(dir.join("cutover.toml")).expect("toml");
        let moving = toml.replace(
            "strategy = \"slow\"\nsize = 1000\nlogin_probability = 0.1\n",
            "strategy = \"big-bang\"\nsize = 40\n",
        ) + &format!(
            "[segments.move]\nexport = \"users.jsonl\"\ntarget = \"fusionauth\"\nurl = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"acme\"\n",
            sim.1
        );
        assert!(moving.contains("big-bang"));
        write_project(dir, &moving);
    }
    let [alice, bob, _] = team(&pg, a.path());
    ok(a.path(), &alice, &["advance", "eu"]);
    ok(a.path(), &alice, &["advance", "eu"]);

    // Alice asks: recorded, not run, seen from Bob's machine with her role's name.
    let asked = run(
        a.path(),
        &alice,
        &["advance", "eu", "--reason", "eu wave 1"],
    );
    assert_eq!(asked.status.code(), Some(1), "{}", said(&asked));
    assert!(
        said(&asked).contains("waits for approval"),
        "{}",
        said(&asked)
    );
    let first = request_id(&said(&asked));
    let status = json(b.path(), &bob, &["status", "--json"]);
    assert_eq!(status["approvals"][0]["id"].to_string(), first, "{status}");
    assert_eq!(status["approvals"][0]["requested_by"], "alice", "{status}");

    // Alice may not approve it, from either machine.
    for dir in [a.path(), b.path()] {
        let own = run(dir, &alice, &["approve", &first]);
        assert_eq!(own.status.code(), Some(1), "{}", said(&own));
        assert!(
            said(&own).contains("self-approval is refused"),
            "{}",
            said(&own)
        );
    }

    // Bob approves on his machine: the gate is checked now, and refuses (0.5 > 0.02).
    let refused = run(b.path(), &bob, &["approve", &first]);
    assert!(!refused.status.success(), "{}", said(&refused));
    assert!(
        said(&refused).contains("failure_rate"),
        "{}",
        said(&refused)
    );
    assert_eq!(
        json(a.path(), &alice, &["status", "--json"])["segments"][0]["phase"],
        "gate"
    );

    // Asked again; the rate is good by the time Bob approves: the cutover runs.
    let again = run(
        a.path(),
        &alice,
        &["advance", "eu", "--reason", "eu wave 1, again"],
    );
    let second = request_id(&said(&again));
    std::fs::write(&rate, "0.01\n").expect("rate");
    ok(
        b.path(),
        &bob,
        &["approve", &second, "--reason", "looks fine"],
    );
    let status = json(a.path(), &alice, &["status", "--json"]);
    assert_eq!(status["segments"][0]["phase"], "cutover", "{status}");

    // One log: the request by alice, the approval by bob, the cutover and its move in
    // alice's name.
    let log = json(a.path(), &alice, &["log", "--json"]);
    let events = log.as_array().expect("events");
    let by = |kind: &str, actor: &str| {
        events
            .iter()
            .any(|e| e["kind"] == kind && e["actor"] == actor)
    };
    assert!(by("approval", "alice"), "{log}");
    assert!(by("approval", "bob"), "{log}");
    assert!(by("move", "alice"), "the move: {log}");
    let cut = events
        .iter()
        .rev()
        .find(|e| e["kind"] == "advance" && e["to"] == "cutover")
        .expect("the cutover");
    assert_eq!(cut["actor"], "alice", "{cut}");
    assert!(
        cut["reason"]
            .as_str()
            .is_some_and(|r| r.contains("approved by bob")),
        "{cut}"
    );
}

#[test]
fn a_read_only_role_watches_every_action_refused_and_keeps_its_marker() {
    let pg = Postgres::start();
    let shared = tempfile::tempdir().expect("tempdir");
    let rate = shared.path().join("rate.txt");
    std::fs::write(&rate, "0\n").expect("rate");
    let (a, c) = (machine(&rate), machine(&rate));
    let [alice, _, carol] = team(&pg, a.path());
    ok(a.path(), &alice, &["advance", "eu"]);

    // Carol sees everything.
    let status = json(c.path(), &carol, &["status", "--json"]);
    assert_eq!(status["segments"][0]["phase"], "test", "{status}");
    ok(c.path(), &carol, &["log"]);
    // Every action of hers is refused by name, and nothing changes.
    for args in [
        &["advance", "eu"][..],
        &["pause", "eu", "--reason", "x"],
        &["rollback", "eu", "--reason", "x"],
        &["record", "eu", "migrated", "5"],
        &["poll"],
    ] {
        let out = run(c.path(), &carol, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", said(&out));
        assert!(
            said(&out).contains("the database role carol may only read"),
            "{args:?}: {}",
            said(&out)
        );
    }
    let status = json(a.path(), &alice, &["status", "--json"]);
    assert_eq!(status["segments"][0]["phase"], "test", "{status}");
    assert!(status["segments"][0]["migrated"].is_null(), "{status}");

    // Her cockpit: no action key; her marker is kept (by her role) across sessions.
    let tmux = common::tmux::Tmux::server("cutover-pg-viewer");
    let env = format!("CUTOVER_DATABASE_URL='{carol}'");
    tmux.cockpit_with("c", c.path(), &env, "");
    let screen = tmux.wait_for("c", "a first look", |s| {
        s.contains("the first time you") && common::tmux::row(s, "eu").contains("test")
    });
    let hints = screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    assert!(hints.contains("help"), "{screen}");
    for hint in ["advance", "roll back", "pause", "checks"] {
        assert!(!hints.contains(hint), "a viewer sees no '{hint}': {hints}");
    }
    tmux.keys("c", &["a"]);
    tmux.wait_for("c", "the refusal", |s| {
        s.contains("you are a viewer of this project")
    });
    tmux.quit("c");
    tmux.wait_for("c", "the cockpit to exit", |s| {
        s.contains("COCKPIT-EXITED 0")
    });
    ok(
        a.path(),
        &alice,
        &["advance", "eu", "--reason", "overnight"],
    );
    tmux.cockpit_with("c2", c.path(), &env, "");
    let screen = tmux.wait_for("c2", "the next look", |s| {
        s.contains("Since you (carol) last looked") && s.contains("· 1 event")
    });
    assert!(screen.contains("advance test→gate"), "{screen}");
    tmux.quit("c2");
    // The marker is the one note her role wrote; the log holds only the leads' events.
    let mut db = ::postgres::Client::connect(&pg.url(), ::postgres::NoTls).expect("connect");
    let keys: Vec<Vec<u8>> = db
        .query(
            "SELECT key FROM cutover_series WHERE key >= 'nuser-prefs:' AND key < 'nuser-prefs;'",
            &[],
        )
        .expect("notes")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(keys, vec![b"nuser-prefs:carol".to_vec()]);
}

/// `cutover advance eu` by the machine's `nobody`, attached to alice's running `watch` whose
/// project adds `access` (it lets `nobody` reach the socket); the project's phase after it.
fn nobody_advances_on_alice_s_machine(access: &str) -> (Output, Value) {
    use std::os::unix::fs::PermissionsExt;
    let pg = Postgres::start();
    let shared = tempfile::tempdir().expect("tempdir");
    let rate = shared.path().join("rate.txt");
    std::fs::write(&rate, "0\n").expect("rate");
    let a = machine(&rate);
    let [alice, _, _] = team(&pg, a.path());
    let toml = std::fs::read_to_string(a.path().join("cutover.toml")).expect("toml");
    write_project(
        a.path(),
        &toml.replace(
            "[project]\nname = \"Team control\"\n",
            &format!("[project]\nname = \"Team control\"\nsocket_group = \"nogroup\"\n{access}"),
        ),
    );
    std::fs::set_permissions(a.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut watch = bin(a.path())
        .arg("watch")
        .env("CUTOVER_DATABASE_URL", &alice)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("watch");
    let t0 = std::time::Instant::now();
    while std::os::unix::net::UnixStream::connect(a.path().join(".cutover").join("sock")).is_err() {
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(15),
            "no socket"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let as_nobody = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_cutover"))
        .arg("--project")
        .arg(a.path())
        .args(["advance", "eu"])
        .output()
        .expect("setpriv runs the binary as nobody");
    let _ = watch.kill();
    let _ = watch.wait();
    (as_nobody, json(a.path(), &alice, &["status", "--json"]))
}

#[test]
fn an_os_user_listed_as_viewer_stays_one_on_a_lead_s_machine() {
    let (out, status) = nobody_advances_on_alice_s_machine("[access]\nviewers = [\"nobody\"]\n");
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("nobody is a viewer of this project"),
        "{}",
        said(&out)
    );
    assert_eq!(status["segments"][0]["phase"], "plan", "{status}");
}

#[test]
fn another_os_user_on_a_lead_s_machine_may_not_act_in_the_lead_s_role() {
    // No viewers: `nobody` is let into the socket, but alice's process acts as alice.
    let (out, status) = nobody_advances_on_alice_s_machine("");
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains(
            "nobody may watch here but not act: this process acts as the database role alice"
        ),
        "{}",
        said(&out)
    );
    assert_eq!(status["segments"][0]["phase"], "plan", "{status}");
}
