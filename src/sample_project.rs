//! A believable migration at a fixed moment: the project behind the cockpit's tests,
//! benchmarks and screenshots. Six segments in every situation a lead meets: one done, one in
//! cutover lagging its projection, one with a failed rollback, one at the gate with a cohort
//! mix, one paused in test, one bulk segment still in plan.
//!
//! Everything is written through the real engine (the same path as the commands) with an
//! injected clock, so the state, the log and the samples are exactly reproducible.

use crate::config;
use crate::engine::{Command, Engine, MIGRATED};
use crate::model::Action;
use crate::model::gate::{Status, Verdict};
use crate::model::projection::projected_share;
use crate::store::Store;
use anyhow::{Context, Result};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::path::Path;

/// The moment the sample project is looked at: 2026-11-23 12:04 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 4, 0)
        .single()
        .unwrap_or_default()
}

/// The sample project file.
pub const PROJECT: &str = r#"[project]
name = "Acme"
legacy = "Acme LDAP"
target = "FusionAuth"

[[segments]]
id = "staff"
name = "Internal staff"
strategy = "slow"
size = 1200
login_probability = 0.6
goal = 0.95

[[segments]]
id = "eu-customers"
name = "EU customers"
strategy = "slow"
size = 410000
login_probability = 0.05
goal = 0.9
deadline = "2027-03-31"
[segments.hooks.cutover]
command = ["true"]
[segments.hooks.rollback]
command = ["true"]
[segments.sources.migrated]
kind = "fusionauth"
url = "http://127.0.0.1:9"
query = "data.migrated:true AND data.region:eu"
api_key = "env:FUSIONAUTH_API_KEY"
stale_after = "1d"
[segments.sources.failure_rate]
kind = "prometheus"
url = "http://127.0.0.1:9"
query = 'sum(rate(login_failures_total{region="eu"}[5m])) / sum(rate(logins_total{region="eu"}[5m]))'
stale_after = "1d"
[[segments.gates]]
name = "login failure rate ≤ 2 %"
metric = "failure_rate"
max = 0.02
[[segments.gates]]
kind = "projection"
tolerance = 5
[[segments.gates]]
kind = "soak"
hours = 24

[[segments]]
id = "apac"
name = "APAC customers"
strategy = "slow"
size = 90000
login_probability = 0.08
goal = 0.9
[segments.hooks.rollback]
command = ["sh", "-c", "echo 'router 10.0.0.7 unreachable' >&2; exit 2"]

[[segments]]
id = "us-customers"
name = "US customers"
strategy = "slow"
size = 520000
cohorts = [ { share = 0.5, p = 0.1 }, { share = 0.5, p = 0.01 } ]
goal = 0.8
[[segments.gates]]
name = "login failure rate ≤ 2 %"
metric = "failure_rate"
max = 0.02
[[segments.gates]]
kind = "soak"
hours = 48

[[segments]]
id = "latam"
name = "LATAM customers"
strategy = "slow"
size = 150000
login_probability = 0.04
goal = 0.85

[[segments.checks]]
name = "synthetic login"
kind = "command"
command = ["./synthetic-login.sh", "latam"]

[[segments.checks]]
name = "export audit"
kind = "audit"
max_duplicates = 0
max_age = "7d"

[[segments]]
id = "dormant"
name = "Dormant accounts"
strategy = "big-bang"
size = 270000
goal = 1.0
"#;

fn at(days_before_now: f64) -> DateTime<Utc> {
    now() - Duration::milliseconds((days_before_now * 86_400_000.0) as i64)
}

/// Write the sample project into `dir` and build its state. Returns the engine (holding the
/// state's lock) positioned at [`now`].
pub fn build(dir: &Path) -> Result<Engine> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create '{}'", dir.display()))?;
    crate::files::write(&dir.join(config::FILE_NAME), PROJECT)
        .context("cannot write the sample project")?;
    let (project, _) = config::load(dir)?;
    let store = Store::open(&dir.join(".cutover"))?;
    let mut engine = Engine::new(project, dir.to_path_buf(), store)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let act = |engine: &mut Engine,
               seg: &str,
               action: Action,
               actor: &str,
               reason: Option<&str>,
               when: DateTime<Utc>| {
        let cmd = Command {
            segment: seg.to_string(),
            action,
            actor: actor.to_string(),
            reason: reason.map(str::to_string),
            expect: None,
        };
        // Outcomes (including a failing hook) are part of the story; errors are not fatal here.
        let _ = runtime.block_on(engine.apply(&cmd, || when, |_| {}));
    };
    // The migrated counts first (they live in their own tree), then every operator action in
    // the order it happened, so the audit log reads chronologically.
    for day in 0..=5 {
        let share = projected_share(0.62, f64::from(day));
        engine.record_sample(
            "staff",
            MIGRATED,
            at(22.0 - f64::from(day)),
            (share * 1200.0).round(),
        )?;
    }
    // eu-customers lags: observed P 0.041 against 0.05 planned.
    for q in 0..=(21 * 4) {
        let d = f64::from(q) / 4.0;
        let share = projected_share(0.041, d);
        engine.record_sample(
            "eu-customers",
            MIGRATED,
            at(21.12 - d),
            (share * 410_000.0).round(),
        )?;
    }
    for q in 0..=(6 * 4) {
        let d = f64::from(q) / 4.0;
        let share = projected_share(0.08, d);
        engine.record_sample("apac", MIGRATED, at(7.0 - d), (share * 90_000.0).round())?;
    }
    // The failure rate eu-customers' gate saw before its cutover.
    engine.record_sample("eu-customers", "failure_rate", at(21.2), 0.009)?;
    let mut story: Vec<(f64, &str, Action, &str, Option<&str>)> = vec![
        // staff: fast, done.
        (25.0, "staff", Action::Advance, "ana", None),
        (24.0, "staff", Action::Advance, "ana", None),
        (22.0, "staff", Action::Advance, "ana", Some("pilot group")),
        (16.9, "staff", Action::Advance, "ana", Some("goal reached")),
        // eu-customers: in cutover for 21 days.
        (24.0, "eu-customers", Action::Advance, "ana", None),
        (23.0, "eu-customers", Action::Advance, "ana", None),
        (
            21.12,
            "eu-customers",
            Action::Advance,
            "ana",
            Some("gates green"),
        ),
        // apac: cut over a week ago; rolled back after a failure spike, and the hook failed.
        (9.0, "apac", Action::Advance, "bo", None),
        (8.0, "apac", Action::Advance, "bo", None),
        (7.0, "apac", Action::Advance, "bo", None),
        (
            0.8,
            "apac",
            Action::RollBack,
            "bo",
            Some("login failure spike"),
        ),
        // us-customers: at the gate.
        (3.0, "us-customers", Action::Advance, "cy", None),
        (1.0, "us-customers", Action::Advance, "cy", None),
        // latam: paused in test.
        (2.0, "latam", Action::Advance, "cy", None),
        (
            1.5,
            "latam",
            Action::Pause,
            "cy",
            Some("waiting on legal review until 2026-11-22"),
        ),
    ];
    // A watch on a server has guarded the project all along (the sample is a project in use).
    let server = crate::engine::guarding::Guardian {
        actor: "ops".into(),
        pid: 4242,
        host: "guard-1".into(),
        role: "watch".into(),
    };
    engine.record_guarding(true, &server, "guarding every segment in cutover", at(26.0))?;
    story.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (days, seg, action, actor, reason) in story {
        act(&mut engine, seg, action, actor, reason, at(days));
    }
    // latam's test checks, run while it waits in test: the login works, the export's
    // duplicates are not merged yet.
    engine.record_check_run(
        "latam",
        vec![
            Verdict {
                name: "synthetic login".into(),
                status: Status::Pass,
                reason: "exit 0: logged in as probe-latam in 412 ms".into(),
            },
            Verdict {
                name: "export audit".into(),
                status: Status::Fail,
                reason: "audit of latam-users.csv: 212 duplicate users > max 0".into(),
            },
        ],
        "cy",
        at(1.2),
    )?;
    // Recorded after the story, as they would have arrived.
    // Login failure rates: eu-customers has been failing for the last hours; us is healthy.
    for h in 0..48 {
        let rate = if h < 6 { 0.024 } else { 0.011 };
        engine.record_sample(
            "eu-customers",
            "failure_rate",
            at(f64::from(h) / 24.0 + 0.002),
            rate,
        )?;
        engine.record_sample(
            "us-customers",
            "failure_rate",
            at(f64::from(h) / 24.0 + 0.002),
            0.012,
        )?;
    }
    Ok(engine)
}
