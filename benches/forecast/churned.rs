//! The forecast bench's churned population (issue 27): BG/NBD users with the published CDNOW
//! parameters, planned from their export's login counts and from recency alone, run through
//! the same day-by-day harness as the cohort scenarios.

use super::{USERS, cell, covers, day, error, run};
use chrono::{DateTime, Utc};
use cutover::model::projection::mix_share;

/// The churned population: its rows and goal lines.
pub fn scenario(t0: DateTime<Utc>) -> Vec<String> {
    let params = cutover::sim::churned::published();
    let mut lines = Vec::new();
    let (mut counted, mut counted_never) = (Vec::new(), (0, 0));
    let (mut recency_30, mut recency_60) = (Vec::new(), Vec::new());
    let (mut covered, mut cases) = (0, 0);
    let (mut rows, mut ratios) = (Vec::new(), Vec::new());
    for (seed, ages) in [
        (31u64, (365.0, 1095.0)),
        (32, (730.0, 1825.0)),
        (33, (189.0, 273.0)),
    ] {
        let population =
            cutover::sim::churned::Churned::simulate(&params, USERS, ages, seed).expect("simulate");
        let mut export = Vec::new();
        population.write_export(t0, &mut export).expect("export");
        let read = cutover::export::logins::read_from(&export[..], None, None, t0).expect("read");
        assert_eq!(read.bad, 0, "{:?}", read.shown);
        let churn = cutover::model::bgnbd::plan(&read.histories, &read.recency, &[30])
            .expect("churn-aware plan");
        let recency = read.recency.plan(0.2).cohorts;
        // How soon the data tells: the observed share as a share of the recency plan's.
        let of_plan = |d: f64| {
            let observed = population.migrated(d) as f64 / USERS as f64;
            observed / mix_share(&recency, d).max(1e-12) * 100.0
        };
        let late = population.days_to(0.2).unwrap_or(365.0).round();
        ratios.push(format!(
            "Accounts {:.0}–{:.0} days old: observed as a share of the recency plan: {:.0} % on day 30, {:.0} % on day 60, {:.0} % on day {late:.0}.",
            ages.0,
            ages.1,
            of_plan(30.0),
            of_plan(60.0),
            of_plan(late)
        ));
        let name = format!(
            "BG/NBD, accounts {:.0}–{:.0} days old ({:.0} % never return)",
            ages.0,
            ages.1,
            population.never_share() * 100.0
        );
        for goal in [0.1, 0.2] {
            let real = population.days_to(goal);
            for (plan_name, plan) in [("counts", &churn.cohorts), ("recency", &recency)] {
                let r = run(plan, goal, t0, |d| population.migrated(d));
                for &(d, s) in &r.said {
                    let e = error(s.finish, real, d);
                    match plan_name {
                        "counts" if [0, 7, 30].contains(&d) => match e {
                            Some(e) => counted.push(e.abs()),
                            None => {
                                counted_never.1 += 1;
                                if s.finish.is_none() == real.is_none() {
                                    counted_never.0 += 1
                                }
                            }
                        },
                        // A truth already past says nothing of the forecast; a "never" against a
                        // finite truth is the worst error there is.
                        "recency" if d == 30 && real.is_some_and(|t| t > 30.0) => {
                            recency_30.push(e.map_or(f64::INFINITY, f64::abs))
                        }
                        "recency" if d == 60 && real.is_some_and(|t| t > 60.0) => {
                            recency_60.push(e.map_or(f64::INFINITY, f64::abs))
                        }
                        _ => {}
                    }
                    if d >= 14 {
                        cases += 1;
                        covered += usize::from(covers(s, real));
                    }
                }
                let cells: Vec<String> = r.said.iter().map(|&(d, s)| cell(d, s, real)).collect();
                rows.push(format!(
                    "| {name} | {:.0} % | {plan_name} | {} | {} |",
                    goal * 100.0,
                    day(real),
                    cells.join(" | ")
                ));
            }
        }
    }
    let worst = |v: &[f64]| v.iter().copied().fold(0.0_f64, f64::max) * 100.0;
    lines.push(
        "\nA churned population (BG/NBD with the published CDNOW parameters, α in days), planned from its export's login counts and from recency alone\n"
            .to_string(),
    );
    lines.push(
        "| scenario | goal | plan | truth | day 0 (plan) | day 7 | day 14 | day 30 | day 60 |"
            .to_string(),
    );
    lines.push("|---|---|---|---|---|---|---|---|---|".to_string());
    lines.extend(rows);
    lines.push(format!(
        "\nPlanned with counts, days 0, 7 and 30: within ±10 % of the remaining time in {} of {} finite cases, worst error {:.1} % (target ±10 %); \"never\" right in {} of {} cases.",
        counted.iter().filter(|e| **e <= 0.1).count(),
        counted.len(),
        worst(&counted),
        counted_never.0,
        counted_never.1
    ));
    let shown = |v: &[f64]| {
        let w = worst(v);
        if w.is_finite() {
            format!("{w:.1} %")
        } else {
            "a \"never\" against a finite truth".to_string()
        }
    };
    lines.push(format!(
        "Planned from recency only: worst error {} on day 30 (target ±15 %), {} on day 60 (target ±10 %).",
        shown(&recency_30),
        shown(&recency_60)
    ));
    lines.push(String::new());
    lines.extend(ratios);
    lines.push(format!(
        "\nBoth plans, days 14 to 60: the range holds the truth in {covered} of {cases} cases ({:.0} %, target ≥ 90 %).",
        covered as f64 * 100.0 / cases.max(1) as f64
    ));
    lines
}
