//! `cutover plan --logins` on an Auth0-shaped export with `logins_count`: the CDNOW sample
//! (`tests/fixtures/cdnow_customers_summary.csv`) written as 2,357 users whose creation date,
//! last login and login count carry each customer's history in days. The plan prints the
//! recency plan and, beside it, the churn-aware one, whose fitted parameters are the
//! published ones in days (α × 7).

mod common;

use common::{cutover, json, write_project};
use std::io::Write as _;

#[test]
fn a_login_count_adds_the_churn_aware_plan_beside_the_recency_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(
        p,
        "[project]\nname = \"Churn\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 2357\nlogin_probability = 0.02\ngoal = 0.2\n",
    );
    let at = chrono::DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
        .expect("a time")
        .with_timezone(&chrono::Utc);
    let fixture = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cdnow_customers_summary.csv"),
    )
    .expect("the fixture");
    let mut out = std::fs::File::create(p.join("users.jsonl")).expect("export");
    let weeks = |w: f64| chrono::Duration::minutes((w * 7.0 * 1440.0).round() as i64);
    for (i, l) in fixture
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("ID"))
        .enumerate()
    {
        let v: Vec<f64> = l
            .split(',')
            .skip(1)
            .map(|f| f.parse().expect("a number"))
            .collect();
        let created = at - weeks(v[2]);
        let last = created + weeks(v[1]);
        let row = serde_json::json!({"user_id": format!("auth0|{i}"), "email": format!("u{i}@example.org"),
            "created_at": created.to_rfc3339(), "last_login": last.to_rfc3339(), "logins_count": v[0] as u64 + 1});
        writeln!(out, "{row}").expect("write");
    }
    drop(out);
    let export = p.join("users.jsonl").display().to_string();
    let args = [
        "plan",
        "eu",
        "--logins",
        export.as_str(),
        "--at",
        "2026-06-01T00:00:00Z",
    ];
    let ran = cutover(p).args(args).output().expect("plan");
    let text = String::from_utf8_lossy(&ran.stdout);
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(
        text.contains("last login within   7 days"),
        "the recency plan: {text}"
    );
    assert!(
        text.contains("churn-aware plan (BG/NBD, from 2357 users' login counts in 'logins_count')"),
        "{text}"
    );
    assert!(text.contains("day   recency  churn-aware"), "{text}");
    assert!(!text.contains("@example.org"), "counts only: {text}");

    let mut with_json = args.to_vec();
    with_json.push("--json");
    let v = json(cutover(p).args(&with_json));
    let c = &v["churn"]["params"];
    for (name, published) in [
        ("r", 0.243),
        ("alpha", 4.414 * 7.0),
        ("a", 0.793),
        ("b", 2.426),
    ] {
        let got = c[name].as_f64().expect("a parameter");
        assert!(
            (got - published).abs() / published < 0.02,
            "{name} = {got}, published {published}: {v}"
        );
    }
    let never = v["churn"]["never_returning"].as_f64().expect("a share");
    assert!((0.0..1.0).contains(&never), "{never}");
    let shares = v["churn"]["shares"].as_array().expect("shares");
    assert_eq!(shares.len(), 5, "7/30/90/180/365: {v}");
    let s: Vec<f64> = shares[..4]
        .iter()
        .map(|d| d[1].as_f64().unwrap_or(-1.0))
        .collect();
    assert!(
        s[0] > 0.0 && s.windows(2).all(|w| w[0] <= w[1]),
        "growing: {s:?}"
    );
    // No account is a year old (the panel spans 39 weeks): like the recency plan, the
    // churn-aware one has no share at day 365 rather than one from younger accounts.
    assert!(shares[4][1].is_null(), "{v}");
    assert!(
        v["plan"]["shares"][4][1].is_null(),
        "the recency plan's day 365: {v}"
    );
    let mix_error = v["churn"]["fit_error"].as_f64().expect("a mix");
    assert!(mix_error < 0.005, "a mix follows the curve: {mix_error}");

    // --write stores the churn-aware plan's mix: the forecast's prior.
    let mut write = args.to_vec();
    write.push("--write");
    let wrote = cutover(p).args(&write).output().expect("plan --write");
    assert!(
        String::from_utf8_lossy(&wrote.stdout).contains("wrote the churn-aware plan's mix"),
        "{}",
        String::from_utf8_lossy(&wrote.stdout)
    );
    let toml = std::fs::read_to_string(p.join("cutover.toml")).expect("project");
    assert!(
        toml.contains("cohorts") && !toml.contains("login_probability"),
        "{toml}"
    );
    cutover(p).arg("check").assert().success();
}

#[test]
fn a_blank_or_broken_count_costs_the_history_not_the_user() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(
        p,
        "[project]\nname = \"Churn\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 40\nlogin_probability = 0.02\ngoal = 0.2\n",
    );
    let mut csv = String::from("id,last_login,created_at,logins_count\n");
    for i in 0..40 {
        let count = match i {
            0 => String::new(),
            1 => "lots".to_string(),
            _ => (1 + i % 7).to_string(),
        };
        csv.push_str(&format!(
            "{i},2026-05-{:02}T00:00:00Z,2025-01-01T00:00:00Z,{count}\n",
            1 + i % 28
        ));
    }
    std::fs::write(p.join("users.csv"), csv).expect("export");
    let export = p.join("users.csv").display().to_string();
    let v = json(cutover(p).args([
        "plan",
        "eu",
        "--logins",
        export.as_str(),
        "--at",
        "2026-06-01T00:00:00Z",
        "--json",
    ]));
    assert_eq!(
        v["plan"]["users"], 40,
        "every user in the recency plan: {v}"
    );
    assert_eq!(v["bad_rows"], 0, "{v}");
    assert_eq!(v["churn"]["fitted"], 38, "two without a history: {v}");
}
