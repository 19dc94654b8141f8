//! The command line's manners through the real binary (completions and man pages are in
//! `cli_docs.rs`): `check --json` and `poll --json` with
//! their documented fields on success and failure (same exit codes as the text), `--quiet`
//! and `--verbose`, and colour only when asked for (a terminal, or CLICOLOR_FORCE), never with
//! NO_COLOR, never in JSON.

mod common;

use common::{json, staff_with, write_project, write_script};
use serde_json::Value;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

/// The binary on the project in `dir`, with the colour variables of the caller's environment
/// removed: each test sets the ones it is about.
fn cutover(dir: &Path) -> assert_cmd::Command {
    let mut cmd = common::cutover(dir);
    cmd.env_remove("CLICOLOR_FORCE").env_remove("CLICOLOR");
    cmd
}

fn run(cmd: &mut assert_cmd::Command) -> Output {
    let out = cmd.output().expect("run cutover");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    out
}

/// The text at a JSON value, or "" when it is not a string.
fn str_at(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const ESC: &str = "\u{1b}[";

/// `text` without its SGR escapes (`ESC [ ... m`).
fn strip(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(ESC) {
        out.push_str(&rest[..i]);
        let after = &rest[i + ESC.len()..];
        let end = after.find('m').expect("an SGR escape ends with m");
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn check_json_gives_the_verdict_and_every_problem_with_the_usual_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();

    // No file: one problem that says how to make one; exit 1; stdout is still JSON.
    let out = run(cutover(p).args(["check", "--json"]));
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["ok"], false);
    assert!(str_at(&v["problems"][0]["message"]).contains("cutover init"));

    // A good file (no gates: a warning): ok, the project, its segments, the warning.
    write_project(p, &staff_with(""));
    let v = json(cutover(p).args(["check", "--json"]));
    assert_eq!(v["ok"], true);
    assert_eq!(v["project"], "Checks");
    assert!(str_at(&v["file"]).ends_with("cutover.toml"));
    let staff = &v["segments"][0];
    assert_eq!(staff["id"], "staff");
    assert_eq!(staff["strategy"], "slow");
    assert_eq!(staff["size"], 100);
    assert_eq!(staff["goal"], 0.9);
    assert!(staff["gates"].as_array().is_some_and(Vec::is_empty));
    assert!(staff["hooks"].is_object());
    let warning = &v["problems"][0];
    assert_eq!(warning["severity"], "warning");
    assert!(warning["line"].is_number() && warning["message"].is_string());

    // A bad file: every problem, errors first, located; exit 1; stderr only the summary.
    write_project(
        p,
        "[project]\nname = \"Bad\"\n[[segments]]\nid = \"Staff!\"\nstrategy = \"slow\"\nsize = 10\nlogin_probability = 0\ngoal = 2\n",
    );
    let out = run(cutover(p).args(["check", "--json"]));
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["ok"], false);
    assert_eq!(v["project"], Value::Null);
    let problems = v["problems"].as_array().expect("problems");
    let severities: Vec<&str> = problems
        .iter()
        .filter_map(|p| p["severity"].as_str())
        .collect();
    assert_eq!(
        severities,
        ["error", "error", "error", "warning"],
        "{problems:?}"
    );
    assert_eq!(problems[0]["line"], 4);
    assert_eq!(problems[0]["key"], "segments[0].id");
    assert!(
        problems
            .iter()
            .any(|p| p["key"] == "segments[0].goal" && p["value"] == "2")
    );
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("3 problem(s)"), "{stderr}");
}

/// A project whose `staff` segment has a source that answers 42 and, with `failing`, one
/// that exits 3 (command sources: no network, no port).
fn polled_project(dir: &Path, failing: bool) {
    write_script(dir, "count.sh", "echo 42");
    write_script(dir, "broken.sh", "echo 'no route to the IdP' >&2; exit 3");
    let mut sources =
        "[segments.sources.migrated]\nkind = \"command\"\ncommand = [\"./count.sh\"]\n".to_string();
    if failing {
        sources.push_str(
            "[segments.sources.failure_rate]\nkind = \"command\"\ncommand = [\"./broken.sh\"]\n",
        );
    }
    write_project(dir, &staff_with(&sources));
}

#[test]
fn poll_json_gives_one_object_per_source_and_exits_1_when_one_failed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();

    polled_project(p, false);
    let v = json(cutover(p).args(["poll", "--json"]));
    assert_eq!(v["ok"], true);
    let sources = v["sources"].as_array().expect("sources");
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0]["segment"], "staff");
    assert_eq!(sources[0]["metric"], "migrated");
    assert_eq!(sources[0]["ok"], true);
    assert_eq!(sources[0]["value"], 42.0);
    assert_eq!(sources[0]["error"], Value::Null);
    assert_eq!(sources[0]["kind"], Value::Null);
    assert!(sources[0]["at"].is_string());
    assert!(v["events"].is_array());

    polled_project(p, true);
    let out = run(cutover(p).args(["poll", "--json"]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["ok"], false);
    let sources = v["sources"].as_array().expect("sources");
    assert_eq!(sources.len(), 2);
    let broken = sources
        .iter()
        .find(|s| s["metric"] == "failure_rate")
        .expect("the failing source");
    assert_eq!(broken["ok"], false);
    assert_eq!(broken["value"], Value::Null);
    assert!(
        str_at(&broken["error"]).contains("no route to the IdP"),
        "{broken}"
    );
    // What failed, for a program: the source's command, not the network or a number.
    assert_eq!(broken["kind"], "command", "{broken}");
    let counted = sources
        .iter()
        .find(|s| s["metric"] == "migrated")
        .expect("migrated");
    assert_eq!(counted["value"], 42.0);
    assert!(
        text(&out.stderr).contains("1 of 2 source(s) failed"),
        "{}",
        text(&out.stderr)
    );

    // The text form: one line per source, the same exit code.
    let out = run(cutover(p).arg("poll"));
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("staff migrated = 42"), "{stdout}");
    assert!(stdout.contains("staff failure_rate: error:"), "{stdout}");
}

#[test]
fn quiet_drops_acknowledgements_but_keeps_data_errors_and_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let out = run(cutover(p).args(["-q", "init"]));
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "", "init's 'wrote' line is gone");

    let loud = run(cutover(p).args(["advance", "staff"]));
    assert!(loud.status.success());
    assert!(text(&loud.stdout).contains("plan → test"));
    let quiet = run(cutover(p).args(["advance", "staff", "--quiet"]));
    assert!(quiet.status.success(), "{}", text(&quiet.stderr));
    assert_eq!(text(&quiet.stdout), "", "the acknowledgement is gone");
    // ...but the advance happened, and the data commands still answer.
    let status = json(cutover(p).args(["-q", "status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "gate");
    let table = run(cutover(p).args(["-q", "status"]));
    assert!(
        text(&table.stdout).contains("staff"),
        "status keeps its table"
    );
    let log = run(cutover(p).args(["-q", "log"]));
    assert!(
        text(&log.stdout).contains("test → gate"),
        "log keeps its lines"
    );

    // A refusal is still an error with exit 1; check's verdict line goes, its warnings stay.
    let refused = run(cutover(p).args(["-q", "advance", "nobody"]));
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("nobody"));
    // init's project checks clean; a missing hook program is a warning.
    std::fs::remove_file(p.join("route.sh")).expect("remove route.sh");
    let check = run(cutover(p).args(["-q", "check"]));
    assert!(check.status.success());
    assert_eq!(text(&check.stdout), "");
    assert!(text(&check.stderr).contains("warning:"));
    let record = run(cutover(p).args(["-q", "record", "staff", "migrated", "5"]));
    assert!(record.status.success());
    assert_eq!(text(&record.stdout), "");

    // -q and -v together is a usage error.
    let both = run(cutover(p).args(["-q", "-v", "status"]));
    assert_eq!(both.status.code(), Some(2));
    assert!(text(&both.stderr).contains("cannot be used with"));
}

#[test]
fn quiet_hides_import_progress_and_its_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, &staff_with(""));
    // Over 1 MiB, so a piped import shows plain progress lines on stderr.
    let mut csv = String::from("segment,metric,at,value\n");
    let start = 1_786_000_000_000u64;
    for i in 0..40_000u64 {
        csv.push_str(&format!("staff,logins,{},{}\n", start + i * 60_000, i % 97));
    }
    assert!(csv.len() > 1 << 20);
    std::fs::write(p.join("samples.csv"), &csv).expect("write csv");

    let file = p.join("samples.csv");
    let loud = run(cutover(p).arg("import").arg(&file));
    assert!(loud.status.success(), "{}", text(&loud.stderr));
    assert!(
        text(&loud.stderr).contains("importing: 100%"),
        "{}",
        text(&loud.stderr)
    );
    assert!(text(&loud.stdout).contains("imported 40000 samples"));

    let quiet = run(cutover(p).args(["-q", "import"]).arg(&file));
    assert!(quiet.status.success(), "{}", text(&quiet.stderr));
    assert_eq!(text(&quiet.stderr), "");
    assert_eq!(text(&quiet.stdout), "");
}

#[test]
fn verbose_says_which_process_served_the_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, &staff_with(""));
    let plain = run(cutover(p).arg("status"));
    assert_eq!(text(&plain.stderr), "");
    let verbose = run(cutover(p).args(["-v", "status"]));
    assert!(verbose.status.success());
    assert!(
        text(&verbose.stderr).contains("served by this process"),
        "{}",
        text(&verbose.stderr)
    );
    assert_eq!(verbose.stdout, plain.stdout, "stdout is the same data");
    let advance = run(cutover(p).args(["--verbose", "advance", "staff"]));
    assert!(advance.status.success());
    assert!(text(&advance.stderr).contains("served by"));
    assert!(text(&advance.stdout).contains("plan → test"));
}

/// `status` on the project in `dir` with `env` set: its stdout.
fn status_with(dir: &Path, env: &[(&str, &str)]) -> String {
    let mut cmd = cutover(dir);
    cmd.arg("status").envs(env.iter().copied());
    text(&run(&mut cmd).stdout)
}

#[test]
fn colour_shows_only_when_forced_and_never_with_no_color_or_in_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    polled_project(p, true);
    cutover(p).args(["advance", "staff"]).assert().success();

    // Piped: no escape at all. CLICOLOR_FORCE: the same table with the phase painted (test:
    // bright blue), no text added, no column moved.
    let piped = status_with(p, &[]);
    assert!(!piped.contains(ESC), "{piped:?}");
    let forced = status_with(p, &[("CLICOLOR_FORCE", "1")]);
    assert!(forced.contains(&format!("{ESC}94mtest")), "{forced:?}");
    assert_eq!(strip(&forced), piped);

    // NO_COLOR wins over CLICOLOR_FORCE; an empty NO_COLOR does not count.
    let no_color = status_with(p, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert_eq!(no_color, piped);
    let empty = status_with(p, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")]);
    assert!(empty.contains(ESC));

    // A failing source is red in poll's text, and JSON never carries colour.
    let poll = run(cutover(p).arg("poll").env("CLICOLOR_FORCE", "1"));
    assert!(text(&poll.stdout).contains(&format!("{ESC}31mstaff failure_rate: error:")));
    for args in [
        &["poll", "--json"][..],
        &["status", "--json"],
        &["check", "--json"],
        &["log", "--json"],
    ] {
        let out = run(cutover(p).args(args).env("CLICOLOR_FORCE", "1"));
        let stdout = text(&out.stdout);
        assert!(!stdout.contains(ESC), "{args:?}: {stdout:?}");
        serde_json::from_str::<Value>(&stdout).expect("JSON");
    }
}

/// `watch` (with `flags`) on `p` until an advance through it is logged, plus `linger`: its
/// stderr lines.
fn watch_through_an_advance(p: &Path, flags: &[&str], linger: Duration) -> Vec<String> {
    let mut cmd = common::bin(p);
    cmd.env_remove("CLICOLOR_FORCE").args(flags).arg("watch");
    let (mut watch, lines) = common::spawn_logged(cmd);
    common::owner_pid(p, Duration::from_secs(10)).expect("the watch owns the project");
    let advance = run(cutover(p).args(["advance", "staff"]));
    assert!(advance.status.success(), "{}", text(&advance.stderr));
    let logged = |needle: &str| {
        let lines = lines.lock().expect("lines");
        lines.iter().any(|(_, l)| l.contains(needle))
    };
    let start = Instant::now();
    while !logged("staff: advance") {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no acknowledgement logged"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(linger);
    let _ = std::process::Command::new("kill")
        .arg(watch.id().to_string())
        .status();
    let _ = watch.wait();
    let lines = lines.lock().expect("lines");
    lines.iter().map(|(_, l)| l.clone()).collect()
}

#[test]
fn quiet_watch_logs_actions_but_not_each_answered_poll() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let source = "[segments.sources.migrated]\nkind = \"command\"\ncommand = [\"echo\", \"5\"]\nevery = \"100ms\"\n";
    write_project(p, &staff_with(source));
    // Without -q, a second of watching logs the answered polls (every 100 ms)...
    let loud = watch_through_an_advance(p, &[], Duration::from_secs(1));
    assert!(
        loud.iter().any(|l| l.contains("staff migrated = 5")),
        "{loud:#?}"
    );
    // ...with -q, the same second logs the action and no answered poll.
    let quiet = watch_through_an_advance(p, &["-q"], Duration::from_secs(1));
    assert!(
        quiet
            .iter()
            .any(|l| l.contains("staff: advance test → gate")),
        "{quiet:#?}"
    );
    assert!(
        !quiet.iter().any(|l| l.contains("migrated = ")),
        "{quiet:#?}"
    );
}
