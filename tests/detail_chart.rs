//! Charts on demand (issue 30): a snapshot carries each segment's daily closes, all the
//! overview draws; the detail screen asks the owner for the full chart of the segment it
//! shows, draws it when it comes, and asks again when that segment's samples move on.
//!
//! Over the sample project: through a real owner in this process, through a `watch`'s socket
//! (the wire's JSON), and through the cockpit's own pure update.

#[path = "common/cockpit.rs"]
mod cockpit;
mod common;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use cutover::owner::link::{Link, LinkConfig};
use cutover::owner::protocol::{Reply, Request, Role};
use cutover::owner::{Owner, OwnerOptions, StopMode};
use cutover::tui::app::Model;
use cutover::tui::update::{Effect, Input, update};
use futures_util::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const SEGMENT: &str = "eu-customers";

fn press(m: &mut Model, code: KeyCode) -> Vec<Effect> {
    update(m, Input::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn asks(effects: &[Effect]) -> Vec<&str> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::AskChart { segment } => Some(segment.as_str()),
            _ => None,
        })
        .collect()
}

/// A model on the detail screen of `SEGMENT`, and what opening it asked for.
fn detail() -> (Model, Vec<Effect>) {
    let mut m = cockpit::model(160, 48);
    assert!(asks(&press(&mut m, KeyCode::Char('g'))).is_empty());
    for _ in 0..m.rows.len() {
        if m.selected_status().map(|s| s.id.as_str()) == Some(SEGMENT) {
            break;
        }
        assert!(
            asks(&press(&mut m, KeyCode::Char('j'))).is_empty(),
            "the overview asks for no chart"
        );
    }
    assert_eq!(m.selected_status().map(|s| s.id.as_str()), Some(SEGMENT));
    let opened = press(&mut m, KeyCode::Enter);
    (m, opened)
}

#[test]
fn the_detail_screen_asks_once_draws_the_answer_and_asks_again_when_samples_move() {
    let (mut m, opened) = detail();
    assert_eq!(asks(&opened), [SEGMENT]);
    let daily = m.snapshot.series[SEGMENT].clone();
    let drawn_from_daily = m.detail.as_ref().expect("detail").actual.clone();
    assert!(
        !drawn_from_daily.is_empty(),
        "the daily closes are drawn until the chart comes"
    );

    // Waiting for the answer: no second ask until it is five seconds (20 slow ticks) late,
    // then ten more, on the ticks whatever the owner's clock says (a demo runs days ahead).
    let now = m.now;
    let tick = |m: &mut Model, secs| update(m, Input::Tick(now + chrono::Duration::days(secs)));
    let ticks_to_ask = |m: &mut Model| (1..=100).find(|_| !asks(&tick(m, 1)).is_empty());
    assert_eq!(
        ticks_to_ask(&mut m),
        Some(20),
        "a lost answer is asked for again"
    );
    assert_eq!(ticks_to_ask(&mut m), Some(40), "and then less often");

    // The answer: a finer chart than the daily closes, drawn, and not asked for again.
    let full: Vec<(f64, f64)> = (0..=400)
        .map(|i| (i as f64 * 0.05, i as f64 / 1000.0))
        .collect();
    assert!(full.len() > daily.len());
    let fx = update(
        &mut m,
        Input::Chart {
            segment: SEGMENT.into(),
            points: full.clone(),
        },
    );
    assert!(asks(&fx).is_empty());
    let drawn = m.detail.as_ref().expect("detail").actual.clone();
    assert_ne!(
        drawn, drawn_from_daily,
        "the full chart replaces the daily closes"
    );
    assert!(
        drawn.iter().all(|(x, _)| *x <= 20.0 + 1e-9),
        "drawn from the answer: {drawn:?}"
    );
    assert!(ticks_to_ask(&mut m).is_none());

    // Another segment's samples leave it alone; this segment's make it ask again.
    let staff = Input::SegmentsUpdated {
        statuses: vec![cockpit::status(&m, "staff")],
        series: vec![("staff".into(), vec![(0.0, 0.5)])],
    };
    assert!(asks(&update(&mut m, staff)).is_empty());
    let moved = Input::SegmentsUpdated {
        statuses: vec![cockpit::status(&m, SEGMENT)],
        series: vec![(SEGMENT.into(), daily)],
    };
    assert_eq!(asks(&update(&mut m, moved)), [SEGMENT]);
    assert_eq!(
        m.detail.as_ref().expect("detail").actual,
        drawn,
        "the last answer stays drawn"
    );

    // Back on the overview, nothing is asked.
    assert!(asks(&press(&mut m, KeyCode::Esc)).is_empty());
    assert!(ticks_to_ask(&mut m).is_none());
}

#[test]
fn an_answer_for_a_segment_left_behind_keeps_the_chart_shown() {
    let (mut m, _) = detail();
    let full = vec![(0.0, 0.0), (0.5, 0.1), (1.0, 0.2)];
    update(
        &mut m,
        Input::Chart {
            segment: SEGMENT.into(),
            points: full.clone(),
        },
    );
    // On to the next segment (which asks), and back before its answer comes.
    let next = press(&mut m, KeyCode::Char('j'));
    let other = asks(&next).first().map(|s| s.to_string()).expect("asked");
    assert_ne!(other, SEGMENT);
    assert!(
        asks(&press(&mut m, KeyCode::Char('k'))).is_empty(),
        "{SEGMENT}'s chart is kept"
    );
    update(
        &mut m,
        Input::Chart {
            segment: other,
            points: vec![(0.0, 0.9)],
        },
    );
    assert_eq!(m.chart.points_of(SEGMENT), Some(&full));

    // A new snapshot (a new owner, say): asked again at once, the old chart drawn meanwhile.
    let snapshot = Box::new(m.snapshot.clone());
    assert_eq!(asks(&update(&mut m, Input::Refreshed(snapshot))), [SEGMENT]);

    // An empty answer (the owner holds no view of it yet) leaves the daily closes drawn.
    let (mut fresh, _) = detail();
    let daily_drawn = fresh.detail.as_ref().expect("detail").actual.clone();
    update(
        &mut fresh,
        Input::Chart {
            segment: SEGMENT.into(),
            points: Vec::new(),
        },
    );
    assert_eq!(fresh.detail.as_ref().expect("detail").actual, daily_drawn);
}

#[test]
fn a_segment_before_cutover_asks_for_no_chart() {
    let mut m = cockpit::model(160, 48);
    cockpit::select(&mut m, "dormant");
    assert!(asks(&press(&mut m, KeyCode::Enter)).is_empty());
}

/// The sample project built in `p`: its engine, its moment, and `SEGMENT`'s daily closes.
fn sample_in(
    p: &std::path::Path,
) -> (
    cutover::engine::Engine,
    chrono::DateTime<chrono::Utc>,
    Vec<(f64, f64)>,
) {
    let engine = cutover::sample_project::build(p).expect("sample project");
    let at = cutover::sample_project::now();
    let daily = engine.daily_adoption(SEGMENT, at).expect("daily");
    (engine, at, daily)
}

#[test]
fn the_owner_sends_daily_closes_in_snapshots_and_the_full_chart_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let (engine, at, daily) = sample_in(p);
    let full = engine.client_series(SEGMENT, at).expect("chart");
    assert!(
        full.len() > 2 * daily.len(),
        "{} against {}",
        full.len(),
        daily.len()
    );

    let rt = cutover::runtime::multi_thread().expect("runtime");
    rt.block_on(async {
        let mut options = OwnerOptions::new(Role::Cockpit);
        options.poll = false;
        // The sample's moment, running at the wall clock's pace from there.
        options.clock = cutover::clock::Clock::simulated(at, 86_400.0);
        let owner = Owner::start(engine, options).expect("owner");
        let config = LinkConfig::new(p.to_path_buf(), p.join(".cutover"), Role::Cockpit);
        let mut link = Link::owned(config, owner).await;
        let mut call = async |request| link.session.call(request, |_| {}).await.expect("call");

        let Reply::Snapshot { snapshot } = call(Request::Subscribe { polls: false }).await else {
            panic!("no snapshot");
        };
        // One point a day: each day's last sample since cutover.
        assert_eq!(snapshot.series[SEGMENT], daily);
        let days: Vec<i64> = daily.iter().map(|(d, _)| d.floor() as i64).collect();
        assert!(days.windows(2).all(|w| w[0] < w[1]), "{days:?}");
        assert!(
            !snapshot.series.contains_key("dormant"),
            "no series before cutover"
        );

        let chart = call(Request::Chart {
            segment: SEGMENT.into(),
        })
        .await;
        assert_eq!(
            chart,
            Reply::Chart {
                segment: SEGMENT.into(),
                points: full.clone()
            }
        );
        let Reply::Chart { points, .. } = call(Request::Chart {
            segment: "dormant".into(),
        })
        .await
        else {
            panic!("no chart");
        };
        assert!(points.is_empty(), "no chart before cutover: {points:?}");
        let Reply::Failed { message, .. } = call(Request::Chart {
            segment: "nope".into(),
        })
        .await
        else {
            panic!("an unknown segment is refused");
        };
        assert!(message.contains("nope"), "{message}");

        // The cockpit itself: open the detail screen, and the full chart arrives.
        let mut model = Model::new(
            *snapshot,
            vec![cutover::tui::theme::Theme::default_theme()],
            at,
            (160, 48),
        );
        let keys = [KeyCode::Char('g'), KeyCode::Char('j'), KeyCode::Enter];
        let events = futures_util::stream::iter(keys.map(|k| {
            Ok::<Event, std::io::Error>(Event::Key(KeyEvent::new(k, KeyModifiers::NONE)))
        }))
        .chain(futures_util::stream::pending());
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).expect("term");
        let came = Arc::new(AtomicBool::new(false));
        let seen = came.clone();
        let drive = cutover::tui::drive(&mut terminal, Box::pin(events), &mut link, &mut model, {
            let full = full.clone();
            move |m: &Model| {
                if m.chart.points_of(SEGMENT) == Some(&full)
                    && m.detail.as_ref().is_some_and(|d| d.id == SEGMENT)
                {
                    seen.store(true, Ordering::SeqCst);
                }
            }
        });
        let arrived = async {
            while !came.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::select! {
            _ = drive => panic!("the cockpit stopped"),
            _ = arrived => {}
            _ = tokio::time::sleep(Duration::from_secs(60)) => panic!("no chart came"),
        }
        link.close(StopMode::Drain).await.expect("close");
    });
}

#[test]
fn a_cockpit_attached_through_the_socket_reads_the_chart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let (engine, _, daily) = sample_in(p);
    drop(engine);
    // A `watch` owns the project, stopped when dropped (even by a failed assertion).
    let watch = common::raw::Owner::start(p);
    let rt = cutover::runtime::multi_thread().expect("runtime");
    rt.block_on(async {
        let config = LinkConfig::new(p.to_path_buf(), p.join(".cutover"), Role::Cockpit);
        let mut link = Link::establish(config).await.expect("attach");
        assert!(link.attached_to().is_some(), "through the watch's socket");
        let mut call = async |request| link.session.call(request, |_| {}).await.expect("call");
        let chart = call(Request::Chart {
            segment: SEGMENT.into(),
        })
        .await;
        let Reply::Chart { segment, points } = chart else {
            panic!("{chart:?}");
        };
        assert_eq!(segment, SEGMENT);
        let most = cutover::engine::view::SERIES_POINTS;
        assert!(
            points.len() > 2 * daily.len() && points.len() <= most,
            "{}",
            points.len()
        );
        assert!(points.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
        let refused = call(Request::Chart {
            segment: "nope".into(),
        })
        .await;
        assert!(matches!(refused, Reply::Failed { .. }), "{refused:?}");
        link.close(StopMode::Now).await.expect("close");
    });
    drop(watch);
}
