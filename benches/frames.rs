//! Frame-time benchmarks of the cockpit (issue 3), beside bare ratatui baselines:
//! * overview with 1,000 segments at 200×60 vs a bare `Table` fed every row;
//! * detail over a 1,000,000-sample series (downsampled in update) vs `Chart` over raw points;
//! * the min/max downsampling of 1,000,000 samples itself.

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use cutover::engine::status::{ProjectStatus, SegmentStatus};
use cutover::model::{Action, Event, LoginModel, NewEvent, Outcome, Phase, PhaseShown, series};
use cutover::tui::app::{Model, SegmentPlan, Snapshot};
use cutover::tui::theme::Theme;
use cutover::tui::update::{Input, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Constraint;
use ratatui::symbols::Marker;
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Row, Table};
use std::collections::BTreeMap;
use std::hint::black_box;

fn segment(i: usize) -> SegmentStatus {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
        .single()
        .expect("date");
    SegmentStatus {
        id: format!("segment-{i:04}"),
        name: format!("Segment {i}"),
        strategy: cutover::config::Strategy::Slow,
        phase: [
            PhaseShown::Plan,
            PhaseShown::Test,
            PhaseShown::Gate,
            PhaseShown::Cutover,
            PhaseShown::Done,
            PhaseShown::RolledBack,
        ][i % 6],
        size: 10_000 + i as u64 * 37,
        migrated: Some(5_000 + i as u64),
        migrated_share: Some(0.5),
        migrated_at: Some(now),
        projected_share: Some(0.55),
        deviation_points: Some(-5.0 + (i % 10) as f64),
        behind: i.is_multiple_of(7),
        cutover_at: Some(now - chrono::Duration::days(21)),
        days_in_cutover: Some(21.0),
        goal: 0.9,
        deadline: None,
        projected_finish: Some(now + chrono::Duration::days(30)),
        days_to_goal: Some(45.0),
        gates: "3/3 pass".into(),
        gates_ok: true,
        criteria: Vec::new(),
        checks: Vec::new(),
        checks_at: None,
        audit: None,
        sources: Vec::new(),
        plateau: None,
        guard_streak: 0,
        unguarded_since: None,
        observed_p: None,
        adopted_plan: None,
        forecast: None,
        pending_hook: None,
        hold: None,
        last_failure: None,
        moving: None,
    }
}

fn snapshot(segments: usize, series_len: usize) -> Snapshot {
    let status = ProjectStatus {
        project: "Bench".into(),
        legacy: Some("LDAP".into()),
        target: Some("FusionAuth".into()),
        migrated_share: Some(0.5),
        state_unreachable_since: None,
        team: None,
        notify_failing: Vec::new(),
        approvals: Vec::new(),
        windows: Vec::new(),
        decommission: None,
        segments: (0..segments).map(segment).collect(),
    };
    let plans = status
        .segments
        .iter()
        .map(|s| SegmentPlan {
            id: s.id.clone(),
            login: Some(LoginModel::Single(0.05)),
            start: 0.0,
            goal: 0.9,
            cutover_hook: None,
            rollback_hook: Some("run true".into()),
            done_hook: None,
        })
        .collect();
    let mut series_map = BTreeMap::new();
    for s in &status.segments {
        series_map.insert(
            s.id.clone(),
            (0..12).map(|d| (d as f64, d as f64 / 20.0)).collect(),
        );
    }
    if series_len > 0 {
        let points: Vec<(f64, f64)> = raw_series(series_len);
        series_map.insert(status.segments[3].id.clone(), points);
    }
    // Each segment that reached cutover did so in one event: the project chart marks them.
    let events = status
        .segments
        .iter()
        .filter_map(|s| Some((s, s.cutover_at?)))
        .filter(|(s, _)| {
            matches!(
                s.phase,
                PhaseShown::Cutover | PhaseShown::Done | PhaseShown::RolledBack
            )
        })
        .enumerate()
        .map(|(i, (s, at))| {
            let mut body = NewEvent::new(at, &s.id, Action::Advance, "bench");
            body.from = Some(Phase::Gate);
            body.to = Some(Phase::Cutover);
            body.outcome = Outcome::Succeeded;
            Event {
                seq: i as u64 + 1,
                body,
            }
        })
        .collect();
    Snapshot {
        status,
        plans,
        events,
        series: series_map,
        running: Default::default(),
    }
}

fn raw_series(n: usize) -> Vec<(f64, f64)> {
    (0..n)
        .map(|i| {
            let d = 21.0 * i as f64 / n as f64;
            let jitter = ((i * 7919) % 1000) as f64 / 1e5;
            (d, (1.0 - 0.959f64.powf(d) + jitter).min(1.0))
        })
        .collect()
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 4, 0)
        .single()
        .expect("date")
}

fn overview(c: &mut Criterion) {
    let (w, h) = (200, 60);
    let model = Model::new(
        snapshot(1000, 0),
        vec![Theme::default_theme()],
        now(),
        (w, h),
    );
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    c.bench_function("overview frame, 1,000 segments, 200x60", |b| {
        b.iter(|| {
            terminal
                .draw(|f| cutover::tui::view::render(f, black_box(&model)))
                .expect("draw");
        })
    });
    // Baseline: a bare ratatui Table fed every row's cells.
    let rows: Vec<Vec<String>> = model
        .rows
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.strategy.to_string(),
                r.phase.to_string(),
                r.size.clone(),
                r.migrated.clone(),
                r.projected.clone(),
                r.deviation.clone(),
                r.finish.clone(),
                r.gates.clone(),
                r.spark.clone(),
            ]
        })
        .collect();
    let widths = [16, 8, 17, 9, 8, 9, 6, 10, 11, 10].map(Constraint::Length);
    c.bench_function("baseline: bare Table, all 1,000 rows, 200x60", |b| {
        b.iter(|| {
            terminal
                .draw(|f| {
                    let table = Table::new(
                        rows.iter().map(|r| Row::new(r.iter().map(String::as_str))),
                        widths,
                    );
                    f.render_widget(table, f.area());
                })
                .expect("draw");
        })
    });
}

fn detail(c: &mut Criterion) {
    let (w, h) = (200, 60);
    let mut model = Model::new(
        snapshot(10, 1_000_000),
        vec![Theme::default_theme()],
        now(),
        (w, h),
    );
    for _ in 0..3 {
        update(
            &mut model,
            Input::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)),
        );
    }
    update(
        &mut model,
        Input::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    assert!(
        model
            .detail
            .as_ref()
            .is_some_and(|d| d.actual.len() <= 2 * 200)
    );
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    c.bench_function("detail frame, 1,000,000-sample series, 200x60", |b| {
        b.iter(|| {
            terminal
                .draw(|f| cutover::tui::view::render(f, black_box(&model)))
                .expect("draw");
        })
    });
    c.bench_function(
        "detail update (downsample + curves), 1,000,000 samples",
        |b| b.iter(|| update(&mut model, Input::Resize(w, h))),
    );
    let points = raw_series(1_000_000);
    c.bench_function("downsample 1,000,000 samples to 200 columns", |b| {
        b.iter(|| series::min_max(black_box(&points), 0.0, 22.0, 200))
    });
    let small = series::min_max(&points, 0.0, 22.0, 200);
    let mut group = c.benchmark_group("baseline: ratatui Chart");
    group.sample_size(10);
    for (name, data) in [
        ("1,000,000 raw points", &points),
        ("downsampled points", &small),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                terminal
                    .draw(|f| {
                        let chart = Chart::new(vec![
                            Dataset::default()
                                .marker(Marker::Braille)
                                .graph_type(GraphType::Line)
                                .data(data),
                        ])
                        .x_axis(Axis::default().bounds([0.0, 22.0]))
                        .y_axis(Axis::default().bounds([0.0, 1.0]));
                        f.render_widget(chart, f.area());
                    })
                    .expect("draw");
            })
        });
    }
    group.finish();
}

/// What a change costs before the frame: the rows, "needs you", "since you last looked" and
/// the project chart worked out again over 1,000 segments (as after polled samples).
fn overview_update(c: &mut Criterion) {
    let snap = snapshot(1000, 0);
    let mut model = Model::new(snap.clone(), vec![Theme::default_theme()], now(), (200, 60));
    assert!(
        model.glance.chart.is_some(),
        "the chart is worked out at 200×60"
    );
    let statuses = snap.status.segments[..64].to_vec();
    c.bench_function(
        "overview update with the project chart, 1,000 segments, 200x60",
        |b| {
            b.iter(|| {
                update(
                    &mut model,
                    Input::SegmentsUpdated {
                        statuses: black_box(statuses.clone()),
                        series: Vec::new(),
                    },
                )
            })
        },
    );
}

criterion_group!(benches, overview, overview_update, detail);
criterion_main!(benches);
