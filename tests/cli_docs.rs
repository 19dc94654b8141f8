//! The command line documents itself: the shell completion scripts parse (`bash -n`, and
//! `zsh -n` / `fish -n` where installed) and name the subcommands, and the man pages render
//! with `man -l` without a warning, the main page and one per subcommand.

mod common;

use std::path::Path;
use std::process::Output;

fn cutover(dir: &Path) -> assert_cmd::Command {
    common::cutover(dir)
}

fn run(cmd: &mut assert_cmd::Command) -> Output {
    let out = cmd.output().expect("run cutover");
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn installed(program: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn completion_scripts_parse_and_name_the_subcommands() {
    let dir = tempfile::tempdir().expect("tempdir");
    for shell in ["bash", "zsh", "fish"] {
        let out = run(cutover(dir.path()).args(["completions", shell]));
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for word in ["advance", "rollback", "status", "completions", "man"] {
            assert!(script.contains(word), "{shell} script lacks '{word}'");
        }
        // Flags too (fish writes them `-l json`).
        assert!(script.contains("json") && script.contains("quiet") && script.contains("verbose"));
        let file = dir.path().join(format!("cutover.{shell}"));
        std::fs::write(&file, &script).expect("write script");
        // bash is always here; zsh and fish only when installed.
        if shell == "bash" || installed(shell) {
            let check = std::process::Command::new(shell)
                .arg("-n")
                .arg(&file)
                .output()
                .expect("run the shell");
            assert!(
                check.status.success(),
                "{shell} -n rejects the script: {}",
                text(&check.stderr)
            );
        }
    }
    // An unknown shell is a usage error naming the ones there are.
    let out = run(cutover(dir.path()).args(["completions", "tcsh"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("bash"), "{}", text(&out.stderr));
}

/// `man -l FILE` with warnings on: its output, and stderr (the warnings).
fn man(file: &Path) -> (String, String) {
    assert!(
        installed("man"),
        "these tests need `man` (Debian: apt-get install man-db; .ci/test installs it)"
    );
    let out = std::process::Command::new("man")
        .args(["--warnings", "-l"])
        .arg(file)
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .env("LANG", "C.UTF-8")
        .output()
        .expect("run man");
    assert!(
        out.status.success(),
        "man -l {} failed: {}",
        file.display(),
        text(&out.stderr)
    );
    (text(&out.stdout), text(&out.stderr))
}

#[test]
fn the_man_page_renders_with_man_and_without_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(cutover(dir.path()).arg("man"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = dir.path().join("cutover.1");
    std::fs::write(&page, &out.stdout).expect("write page");
    let (shown, warnings) = man(&page);
    assert!(shown.contains("cutover"), "{shown}");
    for word in "advance status poll completions --quiet NO_COLOR".split(' ') {
        assert!(shown.contains(word), "the page lacks '{word}':\n{shown}");
    }
    assert_eq!(warnings.trim(), "", "man warns about the page");

    // --out DIR: one page per subcommand, each one renders; -q says nothing about them.
    let pages = dir.path().join("man1");
    let out = run(cutover(dir.path()).args(["man", "--out"]).arg(&pages));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("cutover-status.1"));
    for name in ["cutover.1", "cutover-status.1", "cutover-state-verify.1"] {
        let (shown, warnings) = man(&pages.join(name));
        assert!(shown.contains("cutover"), "{name}: {shown}");
        assert_eq!(warnings.trim(), "", "man warns about {name}");
    }
    let quiet = run(cutover(dir.path()).args(["-q", "man", "--out"]).arg(&pages));
    assert!(quiet.status.success());
    assert_eq!(text(&quiet.stdout), "");
}
