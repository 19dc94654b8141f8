//! The forecast on exact curves: pinned when the data pins it, wide when it cannot.

use super::*;
use crate::model::projection::mix_share;

fn target(goal: f64) -> Target {
    Target {
        goal,
        limit: None,
        size: 100_000,
    }
}

fn run(cohorts: &[Cohort], days: usize, goal: f64, plan: Option<LoginModel>) -> Forecast {
    let mut f = Forecaster::new(plan, target(goal));
    for d in 1..=days {
        f.push(d as i64, d as f64, mix_share(cohorts, d as f64));
    }
    f.assess().0.expect("a forecast")
}

#[test]
fn one_p_is_pinned_down_as_days_come() {
    // The truth: day 45. Two weeks in, the range is a few weeks wide; a month in, days.
    let f = run(
        &[Cohort {
            share: 1.0,
            p: 0.05,
        }],
        14,
        0.9,
        None,
    );
    let (lo, hi) = (f.low.expect("low"), f.high.expect("high"));
    assert!((40.0..=50.0).contains(&f.finish.expect("finish")), "{f:?}");
    assert!(lo >= 38.0 && (45.0..=75.0).contains(&hi), "{lo} {hi}");
    assert_eq!(f.reachable, Some(true));
    let f = run(
        &[Cohort {
            share: 1.0,
            p: 0.05,
        }],
        30,
        0.9,
        None,
    );
    let (lo, hi) = (f.low.expect("low"), f.high.expect("high"));
    assert!(lo >= 42.0 && hi <= 50.0, "{lo} {hi}");
}

#[test]
fn a_share_that_never_logs_in_is_never_a_confident_date() {
    let mix = [
        Cohort {
            share: 0.8,
            p: 0.05,
        },
        Cohort { share: 0.2, p: 0.0 },
    ];
    let f = run(&mix, 30, 0.9, None);
    assert_eq!(f.high, None, "{f:?}");
    assert_ne!(f.reachable, Some(true));
}

#[test]
fn an_early_tail_gives_a_wide_range() {
    let mix = [
        Cohort { share: 0.5, p: 0.1 },
        Cohort {
            share: 0.5,
            p: 0.002,
        },
    ];
    let truth = crate::model::projection::mix_days_to_goal(&mix, 0.8).expect("truth");
    let f = run(&mix, 14, 0.8, None);
    let lo = f.low.expect("low");
    assert!(
        lo <= truth && f.high.is_none_or(|h| h >= truth),
        "{truth} not in {f:?}"
    );
}

#[test]
fn the_plateau_is_silent_on_a_curve_that_makes_it_and_speaks_on_one_that_cannot() {
    let feed = |cohorts: &[Cohort], days: usize| {
        let mut f = Forecaster::new(
            None,
            Target {
                goal: 0.9,
                limit: Some(60.0),
                size: 100_000,
            },
        );
        let mut states = Vec::new();
        for d in 1..=days {
            f.push(d as i64, d as f64, mix_share(cohorts, d as f64));
            states.push(f.assess().1);
        }
        states
    };
    let healthy = feed(
        &[Cohort {
            share: 1.0,
            p: 0.05,
        }],
        60,
    );
    assert!(healthy.iter().all(Option::is_none), "{healthy:?}");
    let mix = [
        Cohort {
            share: 0.8,
            p: 0.05,
        },
        Cohort { share: 0.2, p: 0.0 },
    ];
    let tail = feed(&mix, 40);
    let first = tail.iter().position(Option::is_some).expect("fires");
    assert!(first < 20, "fired on day {}", first + 1);
    let flips = tail
        .windows(2)
        .filter(|w| w[0].is_some() != w[1].is_some())
        .count();
    assert_eq!(flips, 1, "{tail:?}");
    let left = tail[39].expect("on");
    assert!((8_000..=25_000).contains(&left), "{left}");
}

#[test]
fn no_forecast_without_two_days() {
    let mut f = Forecaster::new(
        None,
        Target {
            goal: 0.9,
            limit: None,
            size: 1000,
        },
    );
    assert_eq!(f.assess().0, None);
    f.push(0, 0.5, 0.1);
    f.push(0, 0.7, 0.12);
    assert_eq!(f.assess().0, None);
    f.push(1, 1.5, 0.2);
    assert!(f.assess().0.is_some());
}

#[test]
fn a_re_cutover_is_forecast_from_the_share_it_started_with() {
    // 30 % moved by an earlier attempt; the rest log in at p = 0.05. Fitted as if from 0, the
    // early days look like a fast population; from 30 %, the truth is found.
    let start = 0.3;
    let truth = super::super::projection::Plan::new(LoginModel::Single(0.05), start);
    let mut f = Forecaster::new(None, target(0.9)).from_share(start);
    for d in 1..=30 {
        f.push(d, d as f64, truth.share(d as f64));
    }
    let fc = f.assess().0.expect("a forecast");
    let want = truth.days_to_goal(0.9).expect("reached");
    let finish = fc.finish.expect("finish");
    assert!((finish - want).abs() < 1.5, "{finish} vs {want}");
    assert!(
        (fc.share(0.0) - start).abs() < 1e-12,
        "the curve starts at 30 %"
    );
    assert!(fc.band.iter().all(|b| b.1 >= start - 1e-12), "the band too");
}
