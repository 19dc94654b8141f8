//! Hardening, round two (issue 23, §2 and §3): `import` bounds its rows by bytes, quotes a
//! bad value by a short prefix only, and ends the same way whether it writes the state itself
//! or goes through a running owner's socket.

mod common;

use common::history::{self, backup};
use common::{cutover, write_project};
use std::io::Write;
use std::path::Path;

/// One run of `cutover import FILE` in `dir`: exit code, stdout, stderr.
fn import(dir: &Path, file: &str) -> (Option<i32>, String, String) {
    let out = cutover(dir)
        .args(["import", file])
        .current_dir(dir)
        .output()
        .expect("import");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What a user sees of an import: its exit, its last summary line and its bad-row lines.
fn outcome(run: &(Option<i32>, String, String)) -> (Option<i32>, String, Vec<String>) {
    let summary = run
        .1
        .lines()
        .rfind(|l| l.starts_with("imported") && l.contains(" from "))
        .unwrap_or_default()
        .to_string();
    let bad: Vec<String> = run
        .2
        .lines()
        .filter(|l| l.contains("bad rows") || l.trim_start().starts_with("line "))
        .map(str::to_string)
        .collect();
    (run.0, summary, bad)
}

/// The hostile files of the issue, each with valid rows around the bad ones.
fn hostile_files(dir: &Path) -> Vec<&'static str> {
    let ok = |minute: u32| format!("seg-00,migrated,2026-03-01T08:{minute:02}:00Z,{minute}\n");
    // 400 rows whose metric is 190 bytes of \x01 (six bytes each once JSON-escaped).
    let mut control = String::from("segment,metric,at,value\n");
    control += &ok(1);
    let metric = "\u{1}".repeat(190);
    for i in 0..400 {
        control += &format!("seg-00,{metric},2026-03-01T09:00:00Z,{i}\n");
    }
    control += &ok(2);
    // One row with a 100 KB metric between valid rows.
    let mut wide = String::from("segment,metric,at,value\n");
    wide += &ok(3);
    wide += &format!("seg-00,{},2026-03-01T09:00:00Z,1\n", "m".repeat(100_000));
    wide += &ok(4);
    // A row of 3 MiB (longer than the 1 MiB row limit), a NUL in a segment and a metric, a
    // megabyte-long bad value.
    let mut long = String::from("segment,metric,at,value\n");
    long += &ok(5);
    long += &format!(
        "seg-00,migrated,2026-03-01T09:00:00Z,{}\n",
        "\0".repeat(3 << 20)
    );
    long += "seg\u{0}00,migrated,2026-03-01T09:01:00Z,1\n";
    long += "seg-00,migrated\u{0},2026-03-01T09:02:00Z,1\n";
    long += &format!(
        "seg-00,errors,2026-03-01T09:03:00Z,{}\n",
        "9x".repeat(400_000)
    );
    long += &ok(6);
    for (name, text) in [
        ("control.csv", &control),
        ("wide.csv", &wide),
        ("long.csv", &long),
    ] {
        std::fs::write(dir.join(name), text).expect("write");
    }
    vec!["control.csv", "wide.csv", "long.csv"]
}

#[test]
fn hostile_imports_end_the_same_with_and_without_an_owner() {
    let alone = tempfile::tempdir().expect("tempdir");
    let through = tempfile::tempdir().expect("tempdir");
    for d in [alone.path(), through.path()] {
        write_project(d, &history::project(2));
    }
    let files = hostile_files(alone.path());
    hostile_files(through.path());
    let mut watch = common::owning_watch(through.path());
    for file in &files {
        let a = import(alone.path(), file);
        let t = import(through.path(), file);
        assert!(
            !t.2.contains("owner stopped"),
            "{file}: the owner did not stop: {}",
            t.2
        );
        assert_eq!(
            outcome(&a),
            outcome(&t),
            "{file}: alone vs through the owner"
        );
        assert_eq!(a.0, Some(1), "{file}: bad rows make the exit 1: {}", a.2);
        assert!(
            a.2.len() < 4_000,
            "{file}: a bad value is quoted by a short prefix, not echoed: {} bytes of stderr",
            a.2.len()
        );
    }
    let (control, wide, long) = (
        outcome(&import(alone.path(), "control.csv")),
        outcome(&import(alone.path(), "wide.csv")),
        outcome(&import(alone.path(), "long.csv")),
    );
    assert!(control.2[0].contains("400 bad rows"), "{control:?}");
    assert!(control.2[1].contains("is not a metric name"), "{control:?}");
    assert!(wide.2[0].contains("1 bad rows"), "{wide:?}");
    assert!(long.2[0].contains("4 bad rows"), "{long:?}");
    assert!(
        long.2
            .iter()
            .any(|l| l.contains("longer than the 1 MiB limit")),
        "{long:?}"
    );
    assert!(long.2.iter().any(|l| l.contains("seg\\0")), "{long:?}");
    let _ = watch.kill();
    let _ = watch.wait();
    // Both states hold the same samples: the six valid rows, and nothing with a control byte.
    let (a, t) = (backup(alone.path()), backup(through.path()));
    assert_eq!(a, t);
    assert_eq!(a["seg-00/migrated"].0, 6, "{a:?}");
    assert_eq!(a.len(), 1, "{a:?}");
}

/// A sparse file: a header, a valid row, a field of `len` NUL bytes, a valid row.
fn sparse_export(path: &Path, len: u64) {
    let mut f = std::fs::File::create(path).expect("create");
    f.write_all(b"segment,metric,at,value\nseg-00,migrated,2026-03-01T08:00:00Z,1\nseg-00,migrated,2026-03-01T08:01:00Z,")
        .expect("write");
    let at = f.metadata().expect("meta").len() + len;
    f.set_len(at).expect("hole");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("reopen");
    f.write_all(b"\nseg-00,migrated,2026-03-01T08:02:00Z,2\n")
        .expect("write");
}

#[test]
fn a_one_gib_field_imports_the_good_rows_within_a_1_gib_address_space() {
    if std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("prlimit (util-linux) is needed by this test");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &history::project(1));
    sparse_export(&dir.path().join("huge.csv"), 1 << 30);
    let out = std::process::Command::new("prlimit")
        .arg(format!("--as={}", 1u64 << 30))
        .arg(env!("CARGO_BIN_EXE_cutover"))
        .args(["import", "huge.csv"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("import");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stdout.contains("imported 2 samples"), "{stdout}");
    assert!(stderr.contains("1 bad rows"), "{stderr}");
    assert!(stderr.contains("longer than the 1 MiB limit"), "{stderr}");
    assert!(stderr.len() < 4_000, "{} bytes of stderr", stderr.len());
}
