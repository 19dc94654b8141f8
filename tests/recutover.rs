//! A second cutover after a rollback starts its projection from the share the first attempt
//! already migrated (`m0 + (1 − m0) · S(D)`), so those users do not count as ahead of the plan
//! and the projection gate cannot pass trivially.

mod common;

use common::{advance_to_cutover, cutover, json, write_project};
use std::path::Path;

const PROJECT: &str = r#"[project]
name = "Again"
[[segments]]
id = "eu"
strategy = "slow"
size = 1000
login_probability = 0.1
goal = 0.99
[segments.sources.migrated]
kind = "command"
command = ["cat", "migrated.txt"]
[[segments.gates]]
kind = "projection"
tolerance = 5
"#;

fn eu(p: &Path) -> serde_json::Value {
    json(cutover(p).args(["status", "--json"]))["segments"][0].clone()
}

fn migrated(p: &Path, count: u32) {
    std::fs::write(p.join("migrated.txt"), format!("{count}\n")).expect("migrated");
    cutover(p).arg("poll").assert().success();
}

#[test]
fn a_re_cutover_projects_from_the_share_already_migrated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, PROJECT);
    std::fs::write(p.join("migrated.txt"), "0\n").expect("migrated");
    advance_to_cutover(p);
    let first = eu(p);
    assert!(first["projected_share"].as_f64().expect("projected") < 0.001);
    let fresh_days = first["days_to_goal"].as_f64().expect("days to goal");

    // The first attempt moves 279 users, then is rolled back and planned again.
    migrated(p, 279);
    cutover(p)
        .args(["rollback", "eu", "--reason", "router bug"])
        .assert()
        .success();
    cutover(p)
        .args(["replan", "eu", "--reason", "router fixed"])
        .assert()
        .success();
    advance_to_cutover(p);

    let again = eu(p);
    assert_eq!(again["phase"], "cutover");
    assert!((again["migrated_share"].as_f64().expect("share") - 0.279).abs() < 1e-9);
    let projected = again["projected_share"].as_f64().expect("projected");
    assert!(
        (0.279..0.285).contains(&projected),
        "the projection starts at 27.9 %, not 0: {projected}"
    );
    let deviation = again["deviation_points"].as_f64().expect("deviation");
    assert!(deviation.abs() < 0.6, "not +27.9 points ahead: {deviation}");
    // The goal is nearer: 71 % of the users are left to reach 99 %.
    let days = again["days_to_goal"].as_f64().expect("days to goal");
    let want = (0.01_f64 / 0.721).ln() / 0.9_f64.ln();
    assert!(
        (days - want).abs() < 0.01,
        "{days} vs {want} (fresh: {fresh_days})"
    );
    // The projection gate measures against the same curve: 27.9 % vs 27.9 %.
    let reason = again["criteria"][0]["reason"]
        .as_str()
        .expect("reason")
        .to_string();
    assert!(reason.contains("vs projection 27.9 %"), "{reason}");
}
