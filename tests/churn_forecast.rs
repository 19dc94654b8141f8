//! A slow segment whose users leave (issue 27): the plan says 2 % log in each day, the data
//! runs at 70 % of it for 40 days. `status --json`, the text status and the report say it in
//! the lead's words: the plan's never-returning share beside the one the data implies (three
//! in ten), and the plan's share by day 180 beside the forecast's.

mod common;

use chrono::{Duration, Utc};
use common::{cutover, json, write_project};

const SIZE: f64 = 10_000.0;

#[test]
fn data_that_runs_behind_the_plan_says_who_will_not_return() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(
        p,
        "[project]\nname = \"Churn\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 10000\nlogin_probability = 0.02\ngoal = 0.5\n",
    );
    let (project, _) = cutover::config::load(p).expect("project");
    let store = cutover::store::Store::open(&p.join(".cutover")).expect("store");
    let mut engine = cutover::engine::Engine::new(project, p.to_path_buf(), store).expect("engine");
    let t0 = Utc::now() - Duration::days(40) - Duration::hours(1);
    common::engine_to_cutover(&mut engine, "eu", t0);
    let plan = |d: f64| 1.0 - 0.98f64.powf(d);
    for d in 1..=40 {
        let share = 0.7 * plan(f64::from(d));
        engine
            .record_sample(
                "eu",
                "migrated",
                t0 + Duration::days(i64::from(d)),
                (share * SIZE).round(),
            )
            .expect("sample");
    }
    drop(engine);

    let v = json(cutover(p).args(["status", "--json"]));
    let churn = &v["segments"][0]["forecast"]["churn"];
    let num = |k: &str| churn[k].as_f64().unwrap_or(f64::NAN);
    assert_eq!(num("plan_never"), 0.0, "{v}");
    // Three in ten will not return, by the data alone.
    assert!((num("data_never") - 0.3).abs() < 0.03, "{churn}");
    assert_eq!(churn["day"], 180, "{churn}");
    assert!((num("plan_share") - plan(180.0)).abs() < 1e-9, "{churn}");
    // The forecast's central curve leans on the plan, but less than the plan.
    assert!(num("data_share") < num("plan_share") - 0.02, "{churn}");

    let text = cutover(p).arg("status").output().expect("status");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("↘ the plan expected 0.0 % never to return; the data implies ")
            && text.contains("the plan assumed 97 % by day 180; the data says "),
        "{text}"
    );

    let out = p.join("report");
    cutover(p)
        .args(["report", "--out"])
        .arg(&out)
        .assert()
        .success();
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(
        md.contains("- the plan expected 0.0 % never to return; the data implies ")
            && md.contains("the plan assumed 97 % by day 180"),
        "{md}"
    );
}
