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
            270_000,
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
/// real poll interval; staleness is in simulated time.
pub fn project_file(url: &str, every: Duration) -> String {
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
        "# The cutover demo: four segments against a simulated identity provider (cutover simulate).\n[project]\nname = \"Acme demo\"\nlegacy = \"Acme LDAP\"\ntarget = \"FusionAuth (simulated)\"\n\n",
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
    t += "\n[[segments]]\nid = \"us\"\nname = \"US customers\"\nstrategy = \"slow\"\nsize = 520000\nlogin_probability = 0.07\ngoal = 0.9\n";
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
    t += "\n[[segments]]\nid = \"dormant\"\nname = \"Dormant accounts\"\nstrategy = \"big-bang\"\nsize = 270000\ngoal = 0.99\n";
    t += &src(
        "migrated",
        format!(
            "kind = \"keycloak\"\nurl = \"{url}\"\nrealm = \"acme\"\nquery = \"migrated:true segment:dormant\""
        ),
    );
    t += &hooks("dormant");
    t
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
