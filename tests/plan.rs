//! `cutover plan SEGMENT --logins EXPORT` (issue 12): the plan read from last-login data, on
//! the simulator's Auth0-shaped export, a FusionAuth-shaped export and CSV, with bad rows,
//! and written into cutover.toml with its comments kept.

mod common;

use chrono::{Duration, Utc};
use common::{cutover, json, write_project};
use cutover::model::Cohort;
use cutover::model::projection::mix_days_to_goal;
use predicates::prelude::*;

const PROJECT: &str = "# The migration of the US users.\n[project]\nname = \"Plan\"\n\n[[segments]]\nid = \"us\"   # the US users\nstrategy = \"slow\"\nsize = 20000\nlogin_probability = 0.07  # a guess\ngoal = 0.8\n";

#[test]
fn the_simulators_auth0_export_plans_the_true_mix() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), PROJECT);
    let out = dir.path().join("exports");
    cutover(dir.path())
        .args([
            "simulate",
            "--segment",
            "us:20000:0.5@0.12,0.5@0.012",
            "--export",
        ])
        .arg(&out)
        .assert()
        .success();
    let export = out.join("us.ndjson");
    let text = std::fs::read_to_string(&export).expect("export");
    assert_eq!(text.lines().count(), 20_000);
    assert!(
        text.lines()
            .next()
            .is_some_and(|l| l.contains("\"last_login\"") && l.contains("auth0|"))
    );
    let plan = json(
        cutover(dir.path())
            .args(["plan", "us", "--json", "--logins"])
            .arg(&export),
    );
    assert_eq!(plan["field"], "last_login");
    assert_eq!(plan["created"], "created_at");
    // The export's planted zero dates ("0000-00-00 00:00:00" creation dates) are its only bad
    // rows, each named by its line.
    let zero_dates = text.lines().filter(|l| l.contains("0000-00-00")).count() as u64;
    assert!(zero_dates > 0, "the simulator plants a few bad dates");
    assert_eq!(plan["bad_rows"], zero_dates);
    assert_eq!(plan["plan"]["users"], 20_000 - zero_dates);
    assert!(
        plan["first_bad_rows"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("creation date")),
        "{plan}"
    );
    let truth = [
        Cohort {
            share: 0.5,
            p: 0.12,
        },
        Cohort {
            share: 0.5,
            p: 0.012,
        },
    ];
    let s7 = plan["plan"]["shares"][0][1].as_f64().expect("S(7)");
    let want = cutover::model::projection::mix_share(&truth, 7.0);
    assert!((s7 - want).abs() < 0.015, "S(7) {s7} vs {want}");
    let days = plan["plan"]["days_to_goal"].as_f64().expect("reached");
    let true_days = mix_days_to_goal(&truth, 0.8).expect("truth");
    assert!(
        (days - true_days).abs() / true_days < 0.1,
        "{days} vs {true_days}"
    );
    assert!(plan["plan"]["fit_error"].as_f64().expect("fit") < 0.01);
    let cohorts = plan["plan"]["cohorts"].as_array().expect("cohorts");
    assert!((2..=3).contains(&cohorts.len()), "{cohorts:?}");
}

#[test]
fn a_fusionauth_export_with_epoch_milliseconds_and_users_who_never_logged_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), PROJECT);
    let at = Utc::now();
    let ms = |days: i64| (at - Duration::days(days) - Duration::hours(1)).timestamp_millis();
    let mut lines = Vec::new();
    for i in 0..1000 {
        let last = match i % 10 {
            0..=2 => format!(",\"lastLoginInstant\":{}", ms(0)),
            3 | 4 => format!(",\"lastLoginInstant\":{}", ms(10)),
            _ => String::new(),
        };
        lines.push(format!(
            "{{\"id\":\"{i:08x}-0000\",\"email\":\"person{i}@example.com\",\"active\":true,\"insertInstant\":{}{last}}}",
            ms(2000)
        ));
    }
    std::fs::write(dir.path().join("fa.jsonl"), lines.join("\n")).expect("write");
    let out = cutover(dir.path())
        .args(["plan", "us", "--logins", "fa.jsonl"])
        .current_dir(dir.path())
        .output()
        .expect("plan");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1000 users"), "{text}");
    assert!(
        text.contains("last login from 'lastLoginInstant', created from 'insertInstant'"),
        "{text}"
    );
    assert!(
        text.contains("last login within   7 days:   30.0 %"),
        "{text}"
    );
    assert!(
        text.contains("last login within  30 days:   50.0 %"),
        "{text}"
    );
    assert!(text.contains("goal 80.0 %: never within"), "{text}");
    assert!(text.contains("never logged in: 500 users"), "{text}");
    assert!(!text.contains("example.com"), "no personal data: {text}");
}

#[test]
fn csv_with_every_time_shape_and_bad_rows_then_write_keeps_comments() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), PROJECT);
    let at = Utc::now();
    let back = |days: i64| at - Duration::days(days) - Duration::hours(2);
    let mut csv = String::from("user_id,email,lastLogon,whenCreated\n");
    for i in 0..400 {
        let when = match i % 4 {
            0 => back(1).format("%Y%m%d%H%M%S.0Z").to_string(),
            1 => back(5).to_rfc3339(),
            2 => back(40).timestamp().to_string(),
            _ => String::new(),
        };
        csv += &format!(
            "u{i},u{i}@example.com,{when},{}\n",
            back(900).format("%Y-%m-%d %H:%M:%S")
        );
    }
    csv += "bad1,x@example.com,last tuesday,2020-01-01\n";
    csv += &format!(
        "bad2,y@example.com,{},2020-01-01\n",
        (at + Duration::days(3)).to_rfc3339()
    );
    std::fs::write(dir.path().join("users.csv"), csv).expect("write");
    let plan = json(
        cutover(dir.path())
            .args([
                "plan",
                "us",
                "--logins",
                "users.csv",
                "--field",
                "lastLogon",
                "--created",
                "whenCreated",
                "--json",
            ])
            .current_dir(dir.path()),
    );
    assert_eq!(plan["plan"]["users"], 400);
    assert_eq!(plan["plan"]["never"], 100);
    assert_eq!(plan["bad_rows"], 2);
    assert_eq!(plan["first_bad_rows"][0]["line"], 402);
    assert!(
        plan["first_bad_rows"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("a text of 12 characters is not a time")
    );
    assert_eq!(plan["first_bad_rows"][1]["line"], 403);
    assert_eq!(
        plan["plan"]["shares"][0][1], 0.5,
        "S(7): a quarter yesterday, a quarter 5 days ago"
    );
    assert_eq!(plan["plan"]["shares"][1][1], 0.5);
    assert_eq!(plan["plan"]["shares"][2][1], 0.75);

    cutover(dir.path())
        .args([
            "plan",
            "us",
            "--logins",
            "users.csv",
            "--field",
            "lastLogon",
            "--write",
        ])
        .current_dir(dir.path())
        .assert()
        .success()
        .stdout(predicates::str::contains("wrote the mix into cutover.toml"));
    let toml = std::fs::read_to_string(dir.path().join("cutover.toml")).expect("read");
    assert!(toml.contains("# The migration of the US users."), "{toml}");
    assert!(toml.contains("id = \"us\"   # the US users"), "{toml}");
    assert!(!toml.contains("login_probability"), "{toml}");
    assert!(toml.contains("cohorts = [{ share = "), "{toml}");
    assert!(
        toml.contains("p = 0.0 }"),
        "the never-share is a cohort with p 0: {toml}"
    );
    cutover(dir.path()).arg("check").assert().success();

    cutover(dir.path())
        .args(["plan", "us", "--logins", "users.csv", "--field", "nope"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .stderr(predicates::str::contains("the header has no column 'nope'"));
    // A wrong column: every row is bad, and no plan is printed from nothing.
    cutover(dir.path())
        .args(["plan", "us", "--logins", "users.csv", "--field", "email"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "holds no readable user (402 bad rows",
        ))
        .stderr(predicates::str::contains("example.com").not());
    cutover(dir.path())
        .args(["plan", "eu", "--logins", "users.csv"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .stderr(predicates::str::contains("unknown segment 'eu'"));
}
