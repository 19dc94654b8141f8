//! Helpers shared by the integration tests: the real binary, temporary projects.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::Path;

/// The real `cutover` binary, run in `dir` as its project, with a fixed actor.
pub fn cutover(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutover"));
    cmd.arg("--project")
        .arg(dir)
        .env("USER", "tester")
        .env_remove("NO_COLOR");
    cmd
}

/// Write `cutover.toml` into `dir`.
pub fn write_project(dir: &Path, toml: &str) {
    std::fs::write(dir.join("cutover.toml"), toml).expect("write cutover.toml");
}

/// Write an executable shell script (a test's hook) into `dir`.
pub fn write_script(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// stdout of a successful run, parsed as JSON.
pub fn json(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().expect("run cutover");
    assert!(
        out.status.success(),
        "cutover failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// Runs a command that must fail with exit 1, and returns its stderr. Fails the test on a
/// panic or a multi-line first message without the expected text.
pub fn fails(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run cutover");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit 1, stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    stderr
}
