//! `raw_retention` (issue 11): raw samples older than the retention go, their rollups stay,
//! and a backup carries them through a restore.

mod common;

use chrono::{TimeZone, Utc};
use common::history::{self, backup};
use common::{cutover, write_project};
use std::path::Path;

#[test]
fn raw_retention_drops_old_raw_samples_but_keeps_their_rollups_through_backup_and_restore() {
    let dir = tempfile::tempdir().expect("tempdir");
    let toml = history::project(1).replace(
        "name = \"History\"\n",
        "name = \"History\"\nraw_retention = \"3d\"\n",
    );
    write_project(dir.path(), &toml);
    let from = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("time");
    history::cut_over_at(dir.path(), from);
    let mut csv = std::fs::File::create(dir.path().join("h.csv")).expect("create");
    history::write_csv(&mut csv, 1, from, 10, 600);
    drop(csv);
    cutover(dir.path())
        .args(["import", "h.csv"])
        .current_dir(dir.path())
        .assert()
        .success();
    // Days 6 to 9 stay raw (the newest day and 3 behind it), 144 samples a day per series.
    let totals = backup(dir.path());
    assert_eq!(totals["seg-00/migrated"].0, 4 * 144, "{totals:?}");
    let info: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("backup/backup.json")).expect("read"),
    )
    .expect("json");
    // Days 0 to 5 as minute rollups (one sample each every 10 minutes), both series.
    assert_eq!(info["rollups"], 2 * 6 * 144);
    let status = common::json(cutover(dir.path()).args(["status", "--json"]));
    assert!(
        status["segments"][0]["observed_p"].as_f64().is_some(),
        "the fit still reads every day"
    );

    // Restored elsewhere, the state backs up identically.
    let restored = tempfile::tempdir().expect("tempdir");
    write_project(restored.path(), &toml);
    cutover(restored.path())
        .args(["state", "restore"])
        .arg(dir.path().join("backup"))
        .assert()
        .success();
    assert_eq!(backup(restored.path()), totals);
    let read = |d: &Path| std::fs::read_to_string(d.join("backup/rollups.jsonl")).expect("read");
    let (a, b) = (read(restored.path()), read(dir.path()));
    let differ = a.lines().zip(b.lines()).find(|(x, y)| x != y);
    assert!(a == b, "rollups differ: {differ:?}");

    let bad = history::project(1).replace(
        "name = \"History\"\n",
        "name = \"H\"\nraw_retention = \"36h\"\n",
    );
    write_project(dir.path(), &bad);
    cutover(dir.path())
        .arg("check")
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "project.raw_retention = \"36h\": must be a whole number of days",
        ));
}
