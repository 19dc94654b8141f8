//! `cutover check` finds everything in one run: unknown keys at any depth (with "did you
//! mean"), wrong types, bad values, each on its own line; unset `env:` variables and missing
//! hook programs as warnings; and `cutover init`'s project passes with no warning at all.

mod common;

use common::{cutover, write_project};

/// Seven planted mistakes, each on a line of its own (the line numbers below).
const SEVEN: &str = r#"[project]
name = "Seven"
legcy = "Acme LDAP"

[[segments]]
id = "eu"
strategy = "slow"
size = -5
login_probability = 0.05
goal = 0.9
deadline = "2027-02-30"

[segments.hooks.rollback]
command = ["./nope.sh", "eu"]

[[segments]]
id = "us"
strategy = "slow"
size = 1000
goal = "high"
login_probability = 0.1

[segments.sources.migrated]
kind = "fusionauth"
url = "https://idp.example.com"
api_key = "env:CUTOVER_TEST_NEVER_SET"
query = "data.migrated:true"
stale_aftr = "10m"
"#;

#[test]
fn check_lists_all_seven_mistakes_with_their_lines_in_one_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, SEVEN);
    let out = cutover(p)
        .env_remove("CUTOVER_TEST_NEVER_SET")
        .arg("check")
        .output()
        .expect("check");
    assert!(!out.status.success(), "errors fail check");
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    let line_of = |needle: &str| -> String {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
            .to_string()
    };
    // A typo at the top level of a section, with a suggestion.
    let l = line_of("legcy");
    assert!(l.contains("cutover.toml:3: project.legcy"), "{l}");
    assert!(l.contains("did you mean 'legacy'"), "{l}");
    // A typo deeper down (a source's key), with a suggestion.
    let l = line_of("stale_aftr");
    assert!(
        l.contains("cutover.toml:28: segments[1].sources.migrated.stale_aftr"),
        "{l}"
    );
    assert!(l.contains("did you mean 'stale_after'"), "{l}");
    // A wrong type, in words.
    let l = line_of("segments[1].goal");
    assert!(l.contains("cutover.toml:20:"), "{l}");
    assert!(
        l.contains("is a number") && !l.contains("invalid type"),
        "{l}"
    );
    // A negative size, not "fits in 64 bits".
    let l = line_of("segments[0].size");
    assert!(
        l.contains("cutover.toml:8:") && l.contains("-5") && l.contains("0 or more"),
        "{l}"
    );
    assert!(!l.contains("64 bits"), "{l}");
    // A date that does not exist.
    let l = line_of("deadline");
    assert!(
        l.contains("cutover.toml:11:") && l.contains("2027-02-30"),
        "{l}"
    );
    // Warnings: an unset variable (its name, never a value) and a missing hook program.
    let l = line_of("CUTOVER_TEST_NEVER_SET");
    assert!(
        l.starts_with("warning: ") && l.contains(":26: segments[1].sources.migrated.api_key"),
        "{l}"
    );
    let l = line_of("nope.sh");
    assert!(
        l.starts_with("warning: ") && l.contains(":14: segments[0].hooks.rollback.command"),
        "{l}"
    );
    assert!(
        l.contains("'./nope.sh' not found") && !l.contains("././"),
        "{l}"
    );
}

#[test]
fn a_missing_key_is_reported_on_its_own_segment_and_a_string_command_in_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(
        p,
        "[project]\nname = \"M\"\n[[segments]]\nid = \"a\"\nstrategy = \"slow\"\nsize = 10\nlogin_probability = 0.1\ngoal = 0.9\n[[segments]]\nid = \"b\"\nstrategy = \"slow\"\nsize = 10\ngoal = 0.9\n[segments.hooks.rollback]\ncommand = \"./route.sh b\"\n",
    );
    let out = cutover(p).arg("check").output().expect("check");
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    let missing = text
        .lines()
        .find(|l| l.contains("segments[1].login_probability"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        missing.contains("cutover.toml:9:"),
        "segment b's own header: {missing}"
    );
    let command = text
        .lines()
        .find(|l| l.contains("hooks.rollback.command"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        command.contains("is a list of the program and its arguments"),
        "{command}"
    );
    assert!(!command.contains("sequence"), "{command}");
}

#[test]
fn init_writes_a_project_that_passes_check_with_no_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("new");
    cutover(dir.path()).arg("init").arg(&p).assert().success();
    let out = cutover(&p).arg("check").output().expect("check");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!all.contains("warning"), "{all}");
    assert!(p.join("route.sh").exists(), "the hook it names is written");
}

/// `check` only warns about a missing hook program (it may run on another machine), but
/// `watch` refuses to guard a segment in cutover that it could not roll back.
#[test]
fn watch_refuses_to_guard_a_segment_whose_rollback_hook_cannot_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(
        p,
        "[project]\nname = \"R\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 100\nlogin_probability = 0.1\ngoal = 0.9\n[segments.hooks.rollback]\ncommand = [\"./rollback.sh\"]\n",
    );
    common::write_script(p, "rollback.sh", "exit 0");
    common::advance_to_cutover(p);
    std::fs::remove_file(p.join("rollback.sh")).expect("remove the hook");
    let out = common::bin(p).arg("watch").output().expect("watch");
    assert!(
        !out.status.success(),
        "watch must not guard what it cannot roll back"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("eu: its rollback hook cannot run here")
            && stderr.contains("'./rollback.sh' not found"),
        "{stderr}"
    );
}
