//! Forecast accuracy (issue 12): the simulator run through the real forecast code, day by day.
//!
//! For each scenario (a true population of 100,000 users), goal and plan, a project is put into
//! cutover at day 0 through the engine; each day the simulator's migrated count is recorded at
//! that day's moment, and `status` is read at days 0, 7, 14, 30 and 60. Two plans are tried:
//! the mix `cutover plan` fits to the simulator's last-login export (read by the same reader),
//! and the single average P a lead without data would declare. The truth is the day the true
//! mix reaches the goal, or never. Also measured: the plateau over 60 days with a deadline on
//! day 60, and what a new sample costs the forecast.
//!
//! Run: `cargo bench --bench forecast` (about a minute).

use chrono::{DateTime, Duration, TimeZone, Utc};
use cutover::engine::{Command, Engine, Step};
use cutover::model::projection::{HORIZON_DAYS, mix_days_to_goal};
use cutover::model::{Action, Cohort};
use cutover::sim::{Population, SimSegment};
use std::time::Instant;

#[path = "forecast/churned.rs"]
mod churned;

const USERS: u64 = 100_000;
const DAYS: [i64; 5] = [0, 7, 14, 30, 60];

fn c(share: f64, p: f64) -> Cohort {
    Cohort { share, p }
}

fn scenarios() -> Vec<(&'static str, Vec<Cohort>)> {
    vec![
        ("P 0.05", vec![c(1.0, 0.05)]),
        (
            "50 % @ 0.1 + 50 % @ 0.002",
            vec![c(0.5, 0.1), c(0.5, 0.002)],
        ),
        ("80 % @ 0.05 + 20 % never", vec![c(0.8, 0.05), c(0.2, 0.0)]),
        (
            "50 % @ 0.25 + 50 % @ 0.02",
            vec![c(0.5, 0.25), c(0.5, 0.02)],
        ),
    ]
}

/// A day number as shown: "45", or "never".
fn day(d: Option<f64>) -> String {
    d.map_or_else(|| "never".into(), |d| format!("{d:.0}"))
}

/// What status said on one day: central, low, high (days since cutover; None: never).
#[derive(Clone, Copy)]
struct Said {
    finish: Option<f64>,
    low: Option<f64>,
    high: Option<f64>,
}

struct Run {
    said: Vec<(i64, Said)>,
    /// The plateau on each day 1..=60.
    plateau: Vec<bool>,
    /// Milliseconds per recorded sample plus status.
    costs: Vec<f64>,
}

fn plan_from_export(truth: &[Cohort], at: DateTime<Utc>, seed: u64) -> Vec<Cohort> {
    let seg = sim_segment(truth);
    let mut export = Vec::new();
    cutover::sim::export::write_export(&seg, at, seed, &mut export).expect("export");
    let read = cutover::export::logins::read_from(&export[..], None, None, at).expect("read");
    // The simulator plants unreadable creation dates (about 1 %); nothing else may be bad.
    assert!(
        read.shown
            .iter()
            .all(|(_, why)| why.starts_with("creation date")),
        "{:?}",
        read.shown
    );
    assert!(read.bad * 50 < USERS, "{} bad rows", read.bad);
    read.recency.plan(0.9).cohorts
}

fn sim_segment(cohorts: &[Cohort]) -> SimSegment {
    SimSegment {
        id: "s".into(),
        users: USERS,
        cohorts: cohorts.to_vec(),
        start_day: 0.0,
        bulk: false,
        stop_day: None,
        faults: Vec::new(),
    }
}

/// Run a segment through cutover with `plan` while `migrated(day)` users have moved.
fn run(plan: &[Cohort], goal: f64, t0: DateTime<Utc>, mut migrated: impl FnMut(f64) -> u64) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let cohorts: Vec<String> = plan
        .iter()
        .map(|c| format!("{{ share = {}, p = {} }}", c.share, c.p))
        .collect();
    let deadline = (t0 + Duration::days(59)).format("%Y-%m-%d");
    std::fs::write(
        dir.path().join("cutover.toml"),
        format!(
            "[project]\nname = \"Harness\"\n[[segments]]\nid = \"s\"\nstrategy = \"slow\"\nsize = {USERS}\ngoal = {goal}\ndeadline = {deadline}\ncohorts = [{}]\n",
            cohorts.join(", ")
        ),
    )
    .expect("write");
    let (project, problems) = cutover::config::load(dir.path()).expect("project");
    assert!(
        problems
            .iter()
            .all(|p| p.severity != cutover::config::Severity::Error),
        "{problems:?}"
    );
    let store = cutover::store::Store::open(&dir.path().join(".cutover")).expect("store");
    let mut engine = Engine::new(project, dir.path().to_path_buf(), store).expect("engine");
    for _ in 0..3 {
        let cmd = Command {
            segment: "s".into(),
            action: Action::Advance,
            actor: "harness".into(),
            reason: None,
            expect: None,
        };
        assert!(matches!(
            engine.request(&cmd, t0).expect("advance"),
            Step::Done(_)
        ));
    }
    let mut said = Vec::new();
    let (mut plateau, mut costs) = (Vec::new(), Vec::new());
    let days_of =
        |t: Option<DateTime<Utc>>| t.map(|t| (t - t0).num_milliseconds() as f64 / 86_400_000.0);
    for d in 0..=60 {
        let now = t0 + Duration::days(d) + Duration::minutes(1);
        let start = Instant::now();
        if d > 0 {
            let migrated = migrated(d as f64) as f64;
            engine
                .record_sample("s", "migrated", t0 + Duration::days(d), migrated)
                .expect("record");
        }
        let status = engine.status(now).expect("status");
        costs.push(start.elapsed().as_secs_f64() * 1000.0);
        let s = &status.segments[0];
        if d > 0 {
            plateau.push(s.plateau.is_some());
        }
        if DAYS.contains(&d) {
            said.push((
                d,
                match &s.forecast {
                    Some(f) => Said {
                        finish: days_of(f.finish),
                        low: days_of(f.low),
                        high: days_of(f.high),
                    },
                    None => Said {
                        finish: s.days_to_goal,
                        low: s.days_to_goal,
                        high: s.days_to_goal,
                    },
                },
            ));
        }
    }
    Run {
        said,
        plateau,
        costs,
    }
}

/// The error of a central finish against the truth on day `d`, as a share of the true
/// remaining time (`None`: either is never, or the truth is past).
fn error(said: Option<f64>, real: Option<f64>, d: i64) -> Option<f64> {
    match (said, real) {
        (Some(f), Some(t)) if t > d as f64 => Some((f - t) / (t - d as f64)),
        _ => None,
    }
}

/// One table cell: the central finish, the range after day 0, and the error.
fn cell(d: i64, s: Said, real: Option<f64>) -> String {
    let err = match (error(s.finish, real, d), s.finish, real) {
        (Some(e), _, _) => format!(" {:+.0} %", e * 100.0),
        (None, None, None) => " ✓".into(),
        (None, Some(_), None) | (None, None, Some(_)) => " ✗".into(),
        _ => String::new(),
    };
    let range = if d == 0 {
        String::new()
    } else {
        format!(" [{}–{}]", day(s.low), day(s.high))
    };
    format!("{}{range}{err}", day(s.finish))
}

/// Whether the range holds the truth.
fn covers(s: Said, real: Option<f64>) -> bool {
    let above = s.low.is_some_and(|l| real.is_none_or(|t| l <= t));
    let below = s.high.is_none() || real.is_some_and(|t| s.high.is_some_and(|h| t <= h));
    above && below
}

/// The cohort scenarios: their rows, and the tallies their goal lines are made of.
#[derive(Default)]
struct Tally {
    rows: Vec<String>,
    export_err: Vec<f64>,
    export_never: (usize, usize),
    covered: usize,
    cases: usize,
    never_excluded: usize,
    confident_never: usize,
    plateau: Vec<String>,
    costs: Vec<f64>,
}

fn cohort_scenarios(t0: DateTime<Utc>) -> Tally {
    let mut t = Tally::default();
    for (si, (name, truth)) in scenarios().into_iter().enumerate() {
        let seed = 7 + si as u64;
        let exported = plan_from_export(&truth, t0, seed);
        let average = vec![c(1.0, truth.iter().map(|c| c.share * c.p).sum())];
        for goal in [0.8, 0.9] {
            // Reached: within half a user of the goal (a finite population gets there).
            let reach = goal - 0.5 / USERS as f64;
            let real = mix_days_to_goal(&truth, reach).filter(|d| *d < HORIZON_DAYS);
            for (plan_name, plan) in [("export", &exported), ("average P", &average)] {
                let mut population = Population::new(vec![sim_segment(&truth)], seed);
                let r = run(plan, goal, t0, |d| population.migrated(0, d));
                t.costs.extend(r.costs.iter().copied());
                for &(d, s) in &r.said {
                    if plan_name == "export" && [0, 7, 30].contains(&d) {
                        match error(s.finish, real, d) {
                            Some(e) => t.export_err.push(e.abs()),
                            None => {
                                t.export_never.1 += 1;
                                if s.finish.is_none() == real.is_none() {
                                    t.export_never.0 += 1
                                }
                            }
                        }
                    }
                    if plan_name == "average P" && d >= 14 {
                        t.cases += 1;
                        t.covered += usize::from(covers(s, real));
                        if real.is_none() && s.high.is_some() {
                            t.never_excluded += 1;
                        }
                        if real.is_none() && s.finish.is_some() && s.high.is_some() {
                            t.confident_never += 1;
                        }
                    }
                }
                let cells: Vec<String> = r.said.iter().map(|&(d, s)| cell(d, s, real)).collect();
                t.rows.push(format!(
                    "| {name} | {:.0} % | {plan_name} | {} | {} |",
                    goal * 100.0,
                    day(real),
                    cells.join(" | ")
                ));
                if goal == 0.9 && plan_name == "export" {
                    let first = r.plateau.iter().position(|p| *p).map(|i| i + 1);
                    let flips = r.plateau.windows(2).filter(|w| w[0] != w[1]).count();
                    t.plateau.push(format!(
                        "| {name} | {} | {} | {flips} |",
                        day(real),
                        first.map_or_else(|| "silent".to_string(), |d| format!("day {d}"))
                    ));
                }
            }
        }
    }
    t
}

fn main() {
    let t0 = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .expect("t0");
    let mut t = cohort_scenarios(t0);
    println!(
        "\nFinish day (since cutover) shown by `status`: central [range], error as a share of the true remaining time\n"
    );
    println!(
        "| scenario | goal | plan | truth | day 0 (plan) | day 7 | day 14 | day 30 | day 60 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    t.rows.iter().for_each(|r| println!("{r}"));
    let worst = t.export_err.iter().copied().fold(0.0_f64, f64::max);
    println!(
        "\nPlanned from the export, days 0, 7 and 30: worst error {:.1} % of the remaining time over {} finite cases (target ±10 %); \"never\" right in {} of {} cases.",
        worst * 100.0,
        t.export_err.len(),
        t.export_never.0,
        t.export_never.1
    );
    println!(
        "Planned with the average P, days 14 to 60: the range holds the truth in {} of {} cases ({:.0} %, target ≥ 90 %); a \"never\" truth excluded {} times; a confident date where the truth is never: {}.",
        t.covered,
        t.cases,
        t.covered as f64 * 100.0 / t.cases.max(1) as f64,
        t.never_excluded,
        t.confident_never
    );
    println!("\nPlateau, goal 90 %, deadline day 60, plan from the export:\n");
    println!("| scenario | truth | first fired | on/off changes |");
    println!("|---|---|---|---|");
    t.plateau.iter().for_each(|r| println!("{r}"));
    churned::scenario(t0).iter().for_each(|l| println!("{l}"));
    // A cold forecast: what a one-shot `status` pays per slow segment 180 days in.
    let mix = [c(0.5, 0.1), c(0.5, 0.002)];
    let mut cold = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        let mut f = cutover::model::forecast::Forecaster::new(
            Some(cutover::model::LoginModel::Single(0.05)),
            cutover::model::forecast::Target {
                goal: 0.9,
                limit: Some(240.0),
                size: USERS,
            },
        );
        for d in 1..=180 {
            f.push(
                d,
                d as f64,
                cutover::model::projection::mix_share(&mix, d as f64),
            );
        }
        std::hint::black_box(f.assess());
        cold.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    cold.sort_by(f64::total_cmp);
    println!(
        "\nA cold forecast and plateau of 180 daily points (one-shot `status`, per segment): median {:.2} ms.",
        cold[cold.len() / 2]
    );
    let costs = &mut t.costs;
    costs.sort_by(f64::total_cmp);
    let at = |p: f64| costs[((costs.len() - 1) as f64 * p) as usize];
    println!(
        "\nA new sample (record, forecast, plateau, status): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} samples (target ≤ 5 ms).",
        at(0.5),
        at(0.99),
        costs[costs.len() - 1],
        costs.len()
    );
}
