//! Months of history (issue 11): `import` and `record --at`, the schema-1 conversion, and
//! what a kill during either leaves.

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::history::{self, backup, expected_totals, same_totals};
use common::{cutover, write_project};
use std::io::Write;
use std::process::Stdio;

#[test]
fn import_reports_bad_rows_by_line_and_imports_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &history::project(2));
    let csv = "segment,metric,at,value\n\
               seg-00,migrated,2026-03-01T08:00:00Z,100\n\
               seg-00,migrated,1772352060000,150\n\
               nope,migrated,2026-03-01T08:02:00Z,1\n\
               seg-01,errors,yesterday,0.1\n\
               seg-01,errors,2026-03-01T08:03:00Z,NaN\n\
               seg-01,migrated,2026-03-01T08:04:00Z,100001\n\
               \"seg-01\",errors,2026-03-01T08:05:00Z,0.02\n\
               seg-00,migrated,2062-03-01T08:00:00Z,100\n";
    std::fs::write(dir.path().join("counts.csv"), csv).expect("write");
    let out = cutover(dir.path())
        .args(["import", "counts.csv"])
        .current_dir(dir.path())
        .output()
        .expect("import");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "bad rows make the exit 1: {stderr}"
    );
    assert!(stdout.contains("imported 3 samples"), "{stdout}");
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.contains("5 bad rows not imported"), "{stderr}");
    for expected in [
        "line 4: unknown segment 'nope'",
        "line 5: 'yesterday' is neither RFC 3339",
        "line 6: value 'NaN' is not a finite number",
        "line 7: migrated count 100001 is out of range",
        "line 9: 2062-03-01T08:00:00+00:00 is more than a day in the future",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in {stderr}"
        );
    }
    let totals = backup(dir.path());
    assert_eq!(totals["seg-00/migrated"], (2, 250.0));
    assert_eq!(totals["seg-01/errors"], (1, 0.02));
    assert_eq!(totals.len(), 2);

    let header = "segment,metric,when,value\nseg-00,migrated,1,2\n";
    std::fs::write(dir.path().join("bad.csv"), header).expect("write");
    cutover(dir.path())
        .args(["import", "bad.csv"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .stderr(predicates::str::contains("the header has no column 'at'"));
}

#[test]
fn import_from_stdin_reaches_a_running_owner_and_record_takes_a_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &history::project(2));
    let mut watch = common::bin(dir.path())
        .arg("watch")
        .stderr(Stdio::null())
        .spawn()
        .expect("watch");
    let start = std::time::Instant::now();
    while std::os::unix::net::UnixStream::connect(dir.path().join(".cutover/sock")).is_err() {
        assert!(start.elapsed().as_secs() < 30, "no owner");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let from = Utc
        .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .single()
        .expect("time");
    let mut csv = Vec::new();
    let rows = history::write_csv(&mut csv, 2, from, 2, 60);
    let mut import = common::bin(dir.path())
        .args(["import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("import");
    import
        .stdin
        .take()
        .expect("stdin")
        .write_all(&csv)
        .expect("write");
    let out = import.wait_with_output().expect("import");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    // Through the socket the batches are small: many acknowledgements, the last one whole.
    assert!(
        stdout
            .lines()
            .filter(|l| l.contains("through line"))
            .count()
            > 3,
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("imported {rows} samples")),
        "{stdout}"
    );
    cutover(dir.path())
        .args([
            "record",
            "seg-00",
            "errors",
            "0.5",
            "--at",
            "2026-02-01T00:00:00Z",
        ])
        .assert()
        .success();
    cutover(dir.path())
        .args([
            "record",
            "seg-00",
            "errors",
            "0.25",
            "--at",
            "1769904060000",
        ])
        .assert()
        .success();
    cutover(dir.path())
        .args(["record", "seg-00", "errors", "1", "--at", "soon"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "--at: 'soon' is neither RFC 3339",
        ));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(watch.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("term");
    watch.wait().expect("watch");
    let mut want = expected_totals(history::samples(2, from, 2, 60));
    let errors = want.get_mut("seg-00/errors").expect("series");
    errors.0 += 2;
    errors.1 += 0.75;
    let got = backup(dir.path());
    assert!(same_totals(&got, &want), "{got:?}\n{want:?}");
    let text = std::fs::read_to_string(dir.path().join("backup/samples.jsonl")).expect("read");
    assert!(
        text.contains(r#""at":"2026-02-01T00:00:00Z","value":0.5"#),
        "record --at"
    );
    assert!(
        text.contains(r#""at":"2026-02-01T00:01:00Z","value":0.25"#),
        "epoch ms"
    );
}

/// A project of 2 segments in cutover and, beside it, a schema-1 state of `days` of samples.
fn schema_one_project(days: i64, step_secs: i64) -> (tempfile::TempDir, chrono::DateTime<Utc>) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &history::project(2));
    let from = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("time");
    let events = tempfile::tempdir().expect("tempdir");
    write_project(events.path(), &history::project(2));
    history::cut_over_at(events.path(), from);
    history::schema_one(
        &dir.path().join(".cutover"),
        Some(&events.path().join(".cutover")),
        history::samples(2, from, days, step_secs),
    );
    (dir, from)
}

#[test]
fn a_schema_one_state_converts_with_every_sample_and_its_log() {
    let (dir, from) = schema_one_project(20, 120);
    let out = cutover(dir.path())
        .args(["status", "--json"])
        .output()
        .expect("status");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    // No terminal: a plain line per tenth.
    assert!(
        stderr.contains("converting samples to schema 2: 10% ("),
        "{stderr}"
    );
    assert!(stderr.contains("converting samples to schema 2: 100% (57600 of 57600 samples)"));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(status["segments"][0]["phase"], "cutover");
    let want = expected_totals(history::samples(2, from, 20, 120));
    assert!(same_totals(&backup(dir.path()), &want));
    // Opened again: nothing left to convert.
    let again = cutover(dir.path()).arg("status").output().expect("status");
    assert!(!String::from_utf8_lossy(&again.stderr).contains("converting"));
    // A block-store state numbered 2 (before the day index) is read as it is, and numbered
    // as this build's.
    let schema = |dir: &std::path::Path, set: Option<u32>| {
        let db = sled::open(dir.join(".cutover/state")).expect("open");
        let meta = db.open_tree("meta").expect("meta");
        if let Some(v) = set {
            meta.insert("schema_version", &v.to_be_bytes())
                .expect("insert");
            db.flush().expect("flush");
        }
        let v = meta.get("schema_version").expect("get").expect("a version");
        u32::from_be_bytes(v.as_ref().try_into().expect("4 bytes"))
    };
    schema(dir.path(), Some(2));
    let two = cutover(dir.path())
        .args(["status", "--json"])
        .output()
        .expect("status");
    assert!(two.status.success());
    assert_eq!(schema(dir.path(), None), cutover::store::SCHEMA_VERSION);
    assert!(same_totals(&backup(dir.path()), &want));
    // A state from a newer cutover is refused, as before.
    let db = sled::open(dir.path().join(".cutover/state")).expect("open");
    db.open_tree("meta")
        .expect("meta")
        .insert(
            "schema_version",
            &(cutover::store::SCHEMA_VERSION + 1).to_be_bytes(),
        )
        .expect("insert");
    db.flush().expect("flush");
    drop(db);
    cutover(dir.path())
        .arg("status")
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "written by a newer cutover (schema 4",
        ));
}

fn kill_after(mut child: std::process::Child, ms: u64) -> bool {
    std::thread::sleep(std::time::Duration::from_millis(ms));
    let running = child.try_wait().expect("wait").is_none();
    let _ = child.kill();
    let _ = child.wait();
    running
}

#[test]
fn a_killed_conversion_resumes_and_loses_or_doubles_nothing() {
    let (dir, from) = schema_one_project(60, 60);
    // Killed as soon as the conversion reports 20 %, then (resumed) 60 %: mid-conversion
    // both times, whatever the machine's speed.
    for (round, mark) in ["20%", "60%"].iter().enumerate() {
        let err = dir.path().join(format!("err{round}.txt"));
        let mut child = common::bin(dir.path())
            .arg("status")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&err).expect("err"))
            .spawn()
            .expect("status");
        let start = std::time::Instant::now();
        loop {
            let text = std::fs::read_to_string(&err).unwrap_or_default();
            if text.contains(&format!("schema 2: {mark}")) {
                break;
            }
            assert!(
                child.try_wait().expect("wait").is_none(),
                "finished before {mark}: {text}"
            );
            assert!(start.elapsed().as_secs() < 60, "no progress: {text}");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        child.kill().expect("kill");
        child.wait().expect("wait");
    }
    let out = cutover(dir.path()).arg("status").output().expect("status");
    let resumed = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{resumed}");
    assert!(
        resumed.contains("converting samples to schema 2: 100%"),
        "{resumed}"
    );
    let want = expected_totals(history::samples(2, from, 60, 60));
    assert!(same_totals(&backup(dir.path()), &want), "after two kills");
}

#[test]
fn a_killed_import_keeps_every_acknowledged_batch_and_a_rerun_doubles_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &history::project(4));
    let from = Utc::now() - Duration::days(40);
    let mut csv = std::fs::File::create(dir.path().join("h.csv")).expect("create");
    let rows = history::write_csv(&mut csv, 4, from, 40, 60);
    drop(csv);
    let mut acknowledged = 0u64;
    for round in 0..6u64 {
        let out_path = dir.path().join(format!("out{round}.txt"));
        let child = common::bin(dir.path())
            .args(["import", "h.csv"])
            .current_dir(dir.path())
            .stdout(std::fs::File::create(&out_path).expect("out"))
            .stderr(Stdio::null())
            .spawn()
            .expect("import");
        if round == 0 {
            // The first kill comes right after the first acknowledged batch.
            let mut child = child;
            let start = std::time::Instant::now();
            while !std::fs::read_to_string(&out_path)
                .unwrap_or_default()
                .contains("through line")
            {
                assert!(
                    child.try_wait().expect("wait").is_none(),
                    "import ended unacknowledged"
                );
                assert!(start.elapsed().as_secs() < 60, "no batch acknowledged");
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            child.kill().expect("kill");
            child.wait().expect("wait");
        } else {
            kill_after(child, 100 + round * 70);
        }
        let text = std::fs::read_to_string(&out_path).expect("read");
        let last = text
            .lines()
            .filter_map(|l| {
                l.strip_prefix("imported ")?
                    .split(' ')
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .max()
            .unwrap_or(0);
        // Every acknowledged sample is there after the kill.
        let stored: u64 = backup(dir.path()).values().map(|t| t.0).sum();
        assert!(
            stored >= last,
            "round {round}: {stored} stored < {last} acknowledged"
        );
        acknowledged = acknowledged.max(last);
    }
    assert!(
        acknowledged > 0,
        "some batch was acknowledged before a kill"
    );
    cutover(dir.path())
        .args(["import", "h.csv"])
        .current_dir(dir.path())
        .assert()
        .success();
    let want = expected_totals(history::samples(4, from, 40, 60));
    let got = backup(dir.path());
    assert_eq!(got.values().map(|t| t.0).sum::<u64>(), rows);
    assert!(same_totals(&got, &want));
}
