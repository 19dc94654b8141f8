//! Adopting the forecast's fit as a segment's plan (issue 12): recorded in the log with old
//! and new, the projection measures against it, the project file stays as written.

mod common;

use chrono::{Duration, Utc};
use common::{cutover, json, one_segment, write_project};

#[test]
fn adopt_records_old_and_new_and_the_projection_follows() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &one_segment("", ""));
    let before = std::fs::read_to_string(dir.path().join("cutover.toml")).expect("read");
    cutover(dir.path())
        .args(["adopt", "eu"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("eu has no forecast to adopt"));
    // Cut over 13 days ago (the engine takes the moment as its clock), then twelve days of a
    // mix slower than the plan's P 0.1: half at 0.1, half at 0.01.
    let cut = Utc::now() - Duration::days(13);
    common::history::cut_over_at(dir.path(), cut);
    for d in 1..=12 {
        let share = 0.5 * (1.0 - 0.9_f64.powi(d)) + 0.5 * (1.0 - 0.99_f64.powi(d));
        let when = cut + Duration::days(i64::from(d));
        cutover(dir.path())
            .args([
                "record",
                "eu",
                "migrated",
                &format!("{}", (share * 1000.0).floor()),
                "--at",
                &when.to_rfc3339(),
            ])
            .assert()
            .success();
    }
    let status = json(cutover(dir.path()).args(["status", "--json"]));
    let seg = &status["segments"][0];
    assert!(
        seg["forecast"]["fitted_cohorts"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{seg}"
    );
    assert!(seg["adopted_plan"].is_null());
    let planned = seg["days_to_goal"].as_f64().expect("planned days");
    cutover(dir.path())
        .args([
            "--actor",
            "ana",
            "adopt",
            "eu",
            "--reason",
            "the tail is real",
        ])
        .assert()
        .success();
    let status = json(cutover(dir.path()).args(["status", "--json"]));
    let seg = &status["segments"][0];
    let adopted = seg["adopted_plan"].as_str().expect("adopted");
    assert!(adopted.contains("adopted by ana"), "{adopted}");
    let days = seg["days_to_goal"].as_f64();
    assert!(
        days.is_none_or(|d| d > planned * 1.5),
        "the slower mix finishes later: {days:?} vs {planned}"
    );
    let log = json(cutover(dir.path()).args(["log", "--json"]));
    let event = log
        .as_array()
        .and_then(|a| a.last())
        .expect("event")
        .clone();
    assert_eq!(event["kind"], "adopt-fit");
    assert_eq!(event["actor"], "ana");
    assert_eq!(event["reason"], "the tail is real");
    let detail = event["detail"].as_str().expect("detail");
    assert!(detail.starts_with("plan: P 0.100 → "), "{detail}");
    assert!(event["plan"].as_array().is_some_and(|p| !p.is_empty()));
    let after = std::fs::read_to_string(dir.path().join("cutover.toml")).expect("read");
    assert_eq!(
        before, after,
        "the project file's plan stays what the lead wrote"
    );
}
