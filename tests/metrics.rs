//! cutover in the team's dashboards (`cutover watch --metrics`): a real Prometheus scrapes a
//! real `watch` on a project moved through phases, and PromQL answers each segment's phase,
//! the migrated ratio as `status --json` shows it, and the guard's streak after a failing
//! reading; the shipped alert fires. The shipped rules pass `promtool check rules` and their
//! unit tests, every expression of the rules and the dashboard evaluates, and the endpoint's
//! text passes `promtool check metrics`.

mod common;

use common::prom::{self, Prometheus};
use common::{cutover, json, route, serve_routes, write_project};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn shipped(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/metrics")
        .join(file)
}

fn project(counts: &str, prometheus: u16) -> String {
    format!(
        r#"[project]
name = "Dashboards"

[[segments]]
id = "eu"
strategy = "slow"
size = 1000
login_probability = 0.1
goal = 0.9
deadline = 2099-01-31

[segments.sources.migrated]
kind = "json"
url = "{counts}/count"
pointer = "/total"
every = "1s"

[segments.sources.failure_rate]
kind = "prometheus"
url = "http://127.0.0.1:{prometheus}"
query = 'login_failure_ratio{{segment="eu"}}'
every = "1s"
stale_after = "30s"

[[segments.gates]]
name = "login failure rate ≤ 2 %"
metric = "failure_rate"
max = 0.02

[[segments]]
id = "us"
strategy = "slow"
size = 500
login_probability = 0.1
goal = 0.9

[[segments]]
id = "apac"
strategy = "slow"
size = 300
login_probability = 0.1
goal = 0.9

[[segments]]
id = "staff"
strategy = "slow"
size = 20
login_probability = 0.1
goal = 0.9
"#
    )
}

/// Every `cutover_…` name an expression uses.
fn names_in(expr: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = expr;
    while let Some(i) = rest.find("cutover_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        out.insert(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

/// Every expression of the shipped rules and dashboard, with the dashboard's `$segment` as
/// "any segment", and whether the project of this test must give it an answer (a dashboard
/// panel on what the project has: no forecast yet, no move).
fn shipped_expressions() -> Vec<(String, bool)> {
    let rules = std::fs::read_to_string(shipped("rules.yml")).expect("rules.yml");
    let mut exprs: Vec<(String, bool)> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("expr: "))
        .map(|e| (e.to_string(), false))
        .collect();
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(shipped("dashboard.json")).expect("json"))
            .expect("the dashboard is JSON");
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().expect("expr");
            let answers = !expr.contains("cutover_forecast_") && !expr.contains("cutover_move_");
            exprs.push((expr.replace("$segment", ".*"), answers));
        }
    }
    assert!(exprs.len() >= 20, "{exprs:?}");
    exprs
}

#[test]
fn the_shipped_rules_pass_promtool_and_their_unit_tests() {
    let check = Command::new("promtool")
        .args(["check", "rules"])
        .arg(shipped("rules.yml"))
        .output()
        .expect("promtool (Debian's prometheus package; .ci/run installs it)");
    assert!(check.status.success(), "{check:?}");
    let test = Command::new("promtool")
        .args(["test", "rules", "rules.test.yml"])
        .current_dir(shipped(""))
        .output()
        .expect("promtool");
    assert!(test.status.success(), "{test:?}");
}

#[test]
fn prometheus_scraping_watch_answers_phases_ratio_and_guard_streak() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let page = Arc::new(Mutex::new(prom::failure_page(0.01)));
    let idp = prom::page(page.clone());
    let counts = serve_routes(vec![route("/count", 200, r#"{"total": 412}"#)]);
    let prom_port = common::free_port();
    write_project(p, &project(&counts.url, prom_port));
    let (mut watch, lines, addr) = prom::metrics_watch(p, &[]);
    let prometheus = Prometheus::start(
        p,
        prom_port,
        &[("idp", &idp), ("cutover", &addr)],
        Some(&shipped("rules.yml")),
    );

    // Phases: eu into cutover (its gate reads 1 % failures), us to gate, staff rolled back.
    prometheus.wait(
        r#"login_failure_ratio{segment="eu"}"#,
        Duration::from_secs(60),
        |r| r.iter().any(|s| prom::value(s) == 0.01),
    );
    for (segment, advances) in [("eu", 3), ("us", 2), ("staff", 3)] {
        for _ in 0..advances {
            cutover(p).args(["advance", segment]).assert().success();
        }
    }
    cutover(p)
        .args(["rollback", "staff", "--reason", "a drill"])
        .assert()
        .success();
    let status = json(cutover(p).args(["status", "--json"]));
    let phases: BTreeMap<String, String> = status["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|s| {
            (
                s["id"].as_str().expect("id").to_string(),
                s["phase"].as_str().expect("phase").to_string(),
            )
        })
        .collect();
    assert_eq!(phases["eu"], "cutover");
    assert_eq!(phases["staff"], "rolled-back");
    let seen = prometheus.wait("cutover_segment_phase == 1", Duration::from_secs(60), |r| {
        let now: BTreeMap<String, String> = r
            .iter()
            .map(|s| {
                (
                    s["metric"]["segment"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    s["metric"]["phase"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect();
        now == phases
    });
    assert_eq!(seen.len(), 4, "one current phase per segment: {seen:?}");
    let zeros = prometheus.query("count(cutover_segment_phase == 0)");
    assert_eq!(prom::value(&zeros["data"]["result"][0]), 24.0, "{zeros}");

    // The migrated ratio, as `status --json` says it (the count holds still: within a poll).
    let ratio = prometheus.wait(
        r#"cutover_segment_migrated_ratio{segment="eu"}"#,
        Duration::from_secs(30),
        |r| !r.is_empty(),
    );
    let status = json(cutover(p).args(["status", "--json"]));
    let eu = &status["segments"][0];
    assert_eq!(eu["id"], "eu");
    assert_eq!(
        prom::value(&ratio[0]),
        eu["migrated_share"].as_f64().expect("a migrated share")
    );
    assert_eq!(prom::value(&ratio[0]), 0.412);

    // A failing reading: the streak shows in PromQL, and the shipped alert goes off.
    assert_eq!(
        prom::value(
            &prometheus.query(r#"cutover_guard_failing_streak{segment="eu"}"#)["data"]["result"][0]
        ),
        0.0
    );
    *page.lock().expect("lock") = prom::failure_page(0.05);
    let streak = prometheus.wait(
        r#"cutover_guard_failing_streak{segment="eu"} >= 1"#,
        Duration::from_secs(60),
        |r| !r.is_empty(),
    );
    let status = json(cutover(p).args(["status", "--json"]));
    assert!(
        status["segments"][0]["guard_streak"]
            .as_u64()
            .expect("a streak")
            >= 1,
        "{status}"
    );
    assert!(prom::value(&streak[0]) >= 1.0);
    prometheus.wait(
        r#"ALERTS{alertname="CutoverGuardFailing", segment="eu"}"#,
        Duration::from_secs(30),
        |r| !r.is_empty(),
    );

    // Every shipped expression evaluates, on names the endpoint exports.
    let (text_type, text) = prom::scrape(&addr, "text/plain");
    assert!(
        text_type.starts_with("text/plain; version=0.0.4"),
        "{text_type}"
    );
    let exported: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    for (expr, answers) in shipped_expressions() {
        let answer = prometheus.query(&expr);
        assert_eq!(answer["status"], "success", "{expr}: {answer}");
        let empty = answer["data"]["result"]
            .as_array()
            .is_none_or(Vec::is_empty);
        assert!(!(answers && empty), "{expr} answers nothing: {answer}");
        for name in names_in(&expr) {
            assert!(
                exported.contains(&name),
                "{expr} reads {name}, which is not exported"
            );
        }
    }

    // promtool reads the endpoint's text; OpenMetrics when asked, ended as it must be.
    let checked = prom::promtool_check(&text);
    assert!(checked.status.success(), "{checked:?}");
    let (om_type, om) = prom::scrape(
        &addr,
        "application/openmetrics-text;version=1.0.0,text/plain;q=0.5",
    );
    assert!(
        om_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{om_type}"
    );
    assert!(om.ends_with("# EOF\n") && om.contains("# TYPE cutover_log_events counter"));

    Command::new("kill")
        .args(["-TERM", &watch.id().to_string()])
        .status()
        .expect("kill");
    assert!(
        watch.wait().expect("wait").success(),
        "{:?}",
        lines.lock().expect("lines")
    );
}
