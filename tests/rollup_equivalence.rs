//! The chart, the fit, the plateau and the report's chart read rollups instead of raw samples
//! (issue 11); over a generated series they agree with the raw samples within one bucket.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use cutover::engine::Engine;
use cutover::model::LoginModel;
use cutover::model::forecast::{Forecaster, Target};
use cutover::model::projection::fit_p;
use cutover::store::SampleLine;

const SIZE: f64 = 100_000.0;

fn engine(dir: &std::path::Path) -> Engine {
    let (project, _) = cutover::config::load(dir).expect("project");
    let store = cutover::store::Store::open(&dir.join(".cutover")).expect("store");
    Engine::new(project, dir.to_path_buf(), store).expect("engine")
}

/// A mix of an active and a dormant cohort, with a dip of the count for 6 hours on day 20.
fn share(d: f64) -> f64 {
    let s = 0.6 * (1.0 - 0.92_f64.powf(d)) + 0.2 * (1.0 - 0.995_f64.powf(d));
    if (20.0..20.25).contains(&d) {
        s - 0.05
    } else {
        s
    }
}

fn setup(days: i64) -> (tempfile::TempDir, Engine, DateTime<Utc>, Vec<(f64, f64)>) {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_project(
        dir.path(),
        "[project]\nname = \"Eq\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 100000\nlogin_probability = 0.05\ngoal = 0.9\n",
    );
    let mut engine = engine(dir.path());
    let t0 = Utc
        .with_ymd_and_hms(2026, 1, 1, 9, 30, 0)
        .single()
        .expect("time");
    common::engine_to_cutover(&mut engine, "eu", t0);
    let mut raw = Vec::new();
    let mut lines = Vec::new();
    for i in 0..days * 144 {
        let d = i as f64 / 144.0;
        let value = (share(d) * SIZE).floor();
        let at = t0 + Duration::minutes(10 * i);
        raw.push((d, value / SIZE));
        lines.push(SampleLine {
            segment: "eu".into(),
            metric: "migrated".into(),
            at,
            value,
        });
    }
    for chunk in lines.chunks(5_000) {
        let done = engine
            .import(chunk, t0 + Duration::days(days))
            .expect("import");
        assert_eq!(
            (done.written as usize, done.rejected.len()),
            (chunk.len(), 0)
        );
    }
    (dir, engine, t0, raw)
}

/// Each chart point is a raw point (same share) within `bucket` days of it.
fn within_a_bucket(chart: &[(f64, f64)], raw: &[(f64, f64)], bucket: f64) {
    assert!(!chart.is_empty());
    for &(x, y) in chart {
        assert!(
            raw.iter()
                .any(|&(rx, ry)| (rx - x).abs() <= bucket && ry == y),
            "chart point ({x}, {y}) is no raw point within {bucket} days"
        );
    }
}

#[test]
fn chart_fit_and_plateau_agree_with_the_raw_samples() {
    let (_dir, engine, t0, raw) = setup(50);
    let now = t0 + Duration::days(50);
    let hour = 1.0 / 24.0;

    let status = engine.status(now).expect("status");
    let seg = &status.segments[0];
    let p_raw = fit_p(&raw).expect("raw fit");
    let p = seg.observed_p.expect("fit");
    assert!((p - p_raw).abs() / p_raw < 0.03, "fit {p} vs raw {p_raw}");
    // The forecast and its plateau read one rollup a day; fed the raw samples' last of each
    // day instead, the same forecaster says the same.
    let mut from_raw = Forecaster::new(
        Some(LoginModel::Single(0.05)),
        Target {
            goal: 0.9,
            limit: None,
            size: 100_000,
        },
    );
    let day_ms = 86_400_000_i64;
    for &(d, share) in &raw {
        let at = t0 + Duration::milliseconds((d * day_ms as f64).round() as i64);
        from_raw.push(at.timestamp_millis().div_euclid(day_ms), d, share);
    }
    let (want, plateau) = from_raw.assess();
    let want = want.expect("a forecast from raw samples");
    let got = seg.forecast.as_ref().expect("a forecast from rollups");
    let days =
        |t: Option<DateTime<Utc>>| t.map(|t| (t - t0).num_milliseconds() as f64 / 86_400_000.0);
    for (a, b) in [
        (days(got.finish), want.finish),
        (days(got.low), want.low),
        (days(got.high), want.high),
    ] {
        assert!(
            match (a, b) {
                (Some(a), Some(b)) => (a - b).abs() < 1e-6,
                (a, b) => a == b,
            },
            "{got:?} vs {want:?}"
        );
    }
    assert_eq!(
        seg.plateau.is_some(),
        plateau.is_some(),
        "{:?}",
        seg.plateau
    );

    let chart = engine.client_series("eu", now).expect("chart");
    assert!(chart.len() <= cutover::engine::view::SERIES_POINTS);
    within_a_bucket(&chart, &raw, hour);
    let dip = |pts: &[(f64, f64)]| {
        pts.iter()
            .filter(|p| (19.9..20.4).contains(&p.0))
            .map(|p| p.1)
            .fold(f64::MAX, f64::min)
    };
    assert_eq!(dip(&chart), dip(&raw), "the dip survives the chart");
    assert_eq!(chart.last().map(|p| p.1), raw.last().map(|p| p.1));
    assert!(chart.first().is_some_and(|p| p.0 <= hour));

    let report = engine.adoption_chart("eu", now, 800).expect("report chart");
    within_a_bucket(&report, &raw, hour);
    assert_eq!(dip(&report), dip(&raw));
}

#[test]
fn a_short_span_charts_raw_samples_and_new_samples_move_the_view_as_a_reread_would() {
    let (dir, mut engine, t0, raw) = setup(2);
    let early = engine
        .adoption_chart("eu", t0 + Duration::hours(3), 512)
        .expect("chart");
    let raw_early: Vec<(f64, f64)> = raw.iter().copied().filter(|p| p.0 < 0.125).collect();
    assert_eq!(
        early, raw_early,
        "three hours in, the chart is the raw samples"
    );

    let now = t0 + Duration::days(2);
    let before = engine.client_series("eu", now).expect("chart");
    within_a_bucket(&before, &raw, 1.0 / 1440.0);
    for i in 0..300 {
        let at = now + Duration::minutes(i);
        let d = 2.0 + i as f64 / 1440.0;
        engine
            .record_sample("eu", "migrated", at, (share(d) * SIZE).floor())
            .expect("record");
    }
    let later = now + Duration::minutes(300);
    let moved = engine.client_series("eu", later).expect("chart");
    let daily = engine.daily_adoption("eu", later).expect("daily");
    drop(engine);
    let fresh = self::engine(dir.path());
    assert_eq!(moved, fresh.client_series("eu", later).expect("chart"));
    assert_eq!(daily, fresh.daily_adoption("eu", later).expect("daily"));
}
