//! The demo's migration: who the simulated users are, the project file pointing at the
//! simulator, and the operator's schedule.

use crate::model::{Cohort, Phase};
use crate::sim::{Fault, FaultKind, SimSegment};
use std::time::Duration;

/// The simulated population of the demo: (segment, users, cohorts, cutover day, bulk).
pub fn population(eu_spike_day: Option<f64>) -> Vec<SimSegment> {
    let seg = |id: &str, users: u64, cohorts: Vec<Cohort>, start_day: f64, bulk: bool| SimSegment {
        id: id.to_string(),
        users,
        cohorts,
        start_day,
        bulk,
        stop_day: None,
        faults: Vec::new(),
    };
    let mut eu = seg(
        "eu",
        410_000,
        vec![Cohort {
            share: 1.0,
            p: 0.05,
        }],
        1.0,
        false,
    );
    if let Some(day) = eu_spike_day {
        eu.faults.push(Fault {
            kind: FaultKind::FailureSpike,
            from_day: day,
            days: 3.0,
        });
    }
    vec![
        seg(
            "staff",
            1_200,
            vec![Cohort { share: 1.0, p: 0.6 }],
            0.5,
            false,
        ),
        eu,
        // Half the US users log in often, half hardly ever: behind any single-P projection.
        seg(
            "us",
            520_000,
            vec![
                Cohort {
                    share: 0.5,
                    p: 0.12,
                },
                Cohort {
                    share: 0.5,
                    p: 0.012,
                },
            ],
            2.0,
            false,
        ),
        seg(
            "dormant",
            DORMANT,
            vec![Cohort {
                share: 1.0,
                p: 0.01,
            }],
            20.0,
            true,
        ),
    ]
}

/// The demo's project file, its sources pointing at the simulator at `url`. `every` is the
/// real poll interval; staleness is in simulated time. `us_plan` is the mix planned for `us`
/// from its last-login export (see [`plan_us`]).
pub fn project_file(url: &str, every: Duration, us_plan: &[Cohort]) -> String {
    let every = format!("{}ms", every.as_millis().max(10));
    let src = |metric: &str, body: String| {
        format!(
            "[segments.sources.{metric}]\n{body}\nevery = \"{every}\"\ntimeout = \"2s\"\nstale_after = \"2d\"\n"
        )
    };
    let failure = |seg: &str| {
        src(
            "failure_rate",
            format!(
                "kind = \"prometheus\"\nurl = \"{url}\"\nquery = 'login_failure_ratio{{segment=\"{seg}\"}}'"
            ),
        )
    };
    let gate_failure = "[[segments.gates]]\nname = \"login failure rate ≤ 2 %\"\nmetric = \"failure_rate\"\nmax = 0.02\n";
    let hooks = |seg: &str| {
        format!(
            "[segments.hooks.cutover]\ncommand = [\"echo\", \"route {seg} to FusionAuth\"]\n[segments.hooks.rollback]\ncommand = [\"echo\", \"route {seg} back to Acme LDAP\"]\n"
        )
    };
    let mut t = String::from(
        "# The cutover demo: four segments against a simulated identity provider (cutover simulate).\n[project]\nname = \"Acme demo\"\nlegacy = \"Acme LDAP\"\ntarget = \"FusionAuth (simulated)\"\n\n[audit]\ntarget = \"fusionauth\"\n\n",
    );
    t += "[[segments]]\nid = \"staff\"\nname = \"Internal staff\"\nstrategy = \"slow\"\nsize = 1200\nlogin_probability = 0.6\ngoal = 0.95\n";
    t += &src(
        "migrated",
        format!(
            "kind = \"fusionauth\"\nurl = \"{url}\"\nquery = \"data.migrated:true AND data.segment:staff\""
        ),
    );
    t += &failure("staff");
    t += gate_failure;
    t += &hooks("staff");
    t += "\n[[segments]]\nid = \"eu\"\nname = \"EU customers\"\nstrategy = \"slow\"\nsize = 410000\nlogin_probability = 0.05\ngoal = 0.9\nauto_rollback = true\nfailures_before_rollback = 3\n";
    t += &src(
        "migrated",
        format!(
            "kind = \"elasticsearch\"\nurl = \"{url}\"\nindex = \"fusionauth_user\"\nquery = \"data.migrated:true AND data.segment:eu\""
        ),
    );
    t += &failure("eu");
    t += gate_failure;
    t += &hooks("eu");
    let cohorts: Vec<String> = us_plan
        .iter()
        .map(|c| format!("{{ share = {:.4}, p = {:.5} }}", c.share, c.p))
        .collect();
    // The shares as written must sum to 1: the last takes the remainder.
    let plan = if cohorts.is_empty() {
        "login_probability = 0.07".to_string()
    } else {
        format!(
            "# planned from exports/us-sample.ndjson: `cutover plan us --logins exports/us-sample.ndjson`\ncohorts = [{}]",
            cohorts.join(", ")
        )
    };
    t += &format!(
        "\n[[segments]]\nid = \"us\"\nname = \"US customers\"\nstrategy = \"slow\"\nsize = 520000\n{plan}\ngoal = 0.9\n"
    );
    t += &src(
        "migrated",
        format!(
            "kind = \"fusionauth\"\nurl = \"{url}\"\nquery = \"data.migrated:true AND data.segment:us\""
        ),
    );
    t += &failure("us");
    t += &src(
        "p95_login",
        format!(
            "kind = \"prometheus\"\nurl = \"{url}\"\nquery = 'login_p95_seconds{{segment=\"us\"}}'"
        ),
    );
    t += gate_failure;
    t += "[[segments.gates]]\nname = \"p95 login ≤ 800 ms\"\nmetric = \"p95_login\"\nmax = 0.8\n";
    t += "[[segments.gates]]\nkind = \"projection\"\ntolerance = 10\n";
    t += &hooks("us");
    t += &format!(
        "\n[[segments]]\nid = \"dormant\"\nname = \"Dormant accounts\"\nstrategy = \"big-bang\"\nsize = {DORMANT}\ngoal = 0.99\n"
    );
    // The bulk import may go ahead with the export's known problems, within bounds: the
    // duplicates are merged after it, the users without a password reset theirs.
    t +=
        "# audited at the start: `cutover audit exports/dormant-sample.ndjson --segment dormant`\n";
    t += "[[segments.checks]]\nname = \"export audit\"\nkind = \"audit\"\nmax_duplicates = 150\nmax_unmovable_hashes = 400\nmax_bad_rows = 0\nmax_age = \"30d\"\n";
    // Its users are moved by cutover itself into the simulated FusionAuth: the move records
    // the migrated count, so no source is needed. Rehearsed first, into a test tenant.
    t += "[[segments.checks]]\nname = \"rehearsal\"\nkind = \"rehearsal\"\nmax_failed = 100\nmax_duration = \"10m\"\n";
    t += &format!(
        "[segments.move]\nexport = \"exports/dormant-sample.ndjson\"\ntarget = \"fusionauth\"\nurl = \"{url}\"\napi_key = \"env:{key}\"\ntenant = \"acme\"\nunverifiable = \"without-password\"\n[segments.move.rehearsal]\nurl = \"{url}\"\napi_key = \"env:{key}\"\ntenant = \"acme-test\"\n",
        key = super::TARGET_KEY
    );
    t += &hooks("dormant");
    t
}

/// Dormant accounts: its export (`exports/dormant-sample.ndjson`) is the whole segment, which
/// cutover moves itself.
pub const DORMANT: u64 = 5_000;

/// Users in the sample of the US export the demo plans from (the recency curve of 20,000
/// users is as good as 520,000's, and quick to write).
pub const US_SAMPLE: u64 = 20_000;

/// Write a sample of `us`'s user export as of its cutover (`at`) into `dir/exports/`, read it
/// back as `cutover plan` does, and return the fitted mix: the demo plans `us` from data.
pub fn plan_us(
    dir: &std::path::Path,
    at: chrono::DateTime<chrono::Utc>,
) -> std::io::Result<Vec<Cohort>> {
    let mut us = population(None)
        .into_iter()
        .find(|s| s.id == "us")
        .ok_or_else(|| std::io::Error::other("no us segment"))?;
    us.users = US_SAMPLE;
    let exports = dir.join("exports");
    std::fs::create_dir_all(&exports)?;
    let path = exports.join("us-sample.ndjson");
    let mut out = std::io::BufWriter::new(crate::files::create(&path)?);
    crate::sim::export::write_export(&us, at, 42, &mut out)?;
    std::io::Write::flush(&mut out)?;
    let read = crate::export::logins::read(
        &crate::export::Source::File(path.clone()),
        None,
        None,
        None,
        at,
    )
    .map_err(std::io::Error::other)?;
    Ok(crate::model::recency::rounded(
        &read.recency.plan(0.9).cohorts,
    ))
}

/// Write a sample of `dormant`'s user export as of `at` into `dir/exports/` and audit it for
/// FusionAuth, as a lead would before the bulk import: the demo records it, and dormant's
/// `audit` check reads it.
pub fn audit_dormant(
    dir: &std::path::Path,
    at: chrono::DateTime<chrono::Utc>,
) -> std::io::Result<crate::model::audit::Audit> {
    let mut dormant = population(None)
        .into_iter()
        .find(|s| s.id == "dormant")
        .ok_or_else(|| std::io::Error::other("no dormant segment"))?;
    dormant.users = DORMANT;
    let exports = dir.join("exports");
    std::fs::create_dir_all(&exports)?;
    let path = exports.join("dormant-sample.ndjson");
    let mut out = std::io::BufWriter::new(crate::files::create(&path)?);
    crate::sim::export::write_export(&dormant, at, 43, &mut out)?;
    std::io::Write::flush(&mut out)?;
    let table = crate::audit::compat::Table::built_in();
    let options = crate::audit::Options {
        mapping: &crate::config::AuditFile::default(),
        table: &table,
        target: Some("fusionauth"),
        at,
    };
    crate::audit::run(&path, &options, &mut |_| {}).map_err(std::io::Error::other)
}

/// The scripted operator: (simulated day, segment, phase to reach).
pub const SCHEDULE: [(f64, &str, Phase); 10] = [
    (0.2, "dormant", Phase::Test),
    (0.5, "staff", Phase::Cutover),
    (1.0, "eu", Phase::Cutover),
    (2.0, "us", Phase::Cutover),
    (3.0, "dormant", Phase::Gate),
    (4.0, "staff", Phase::Done),
    (20.0, "dormant", Phase::Cutover),
    (21.5, "dormant", Phase::Done),
    (60.0, "eu", Phase::Done),
    (90.0, "us", Phase::Done),
];
