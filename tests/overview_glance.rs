//! The overview uses its space: under the segment table, "needs you" (each item with the key
//! that acts on it), "since you last looked" (from this user's marker in the state) and the
//! whole migration's chart, giving way by priority as the terminal shrinks. Rows sort (`s`)
//! and group by strategy (`S`), and the choice is saved. Drawn over the sample project at its
//! fixed moment.

#[path = "common/cockpit.rs"]
mod cockpit;

use cockpit::{key, model, render, text};
use crossterm::event::KeyCode;
use cutover::model::Action;
use cutover::model::prefs::{SortKey, UserPrefs};
use cutover::tui::app::{Dialog, Model};
use cutover::tui::update::{Effect, Input, update};

/// The sample's cockpit for `ana`, who last looked `back` events before the newest.
fn looked(width: u16, height: u16, back: u64) -> Model {
    let mut m = model(width, height);
    let newest = m.snapshot.events.last().expect("events").seq;
    let at = cutover::sample_project::now() - chrono::Duration::hours(14);
    m.remember(
        "ana".into(),
        UserPrefs {
            seen_seq: Some(newest - back),
            seen_at: Some(at),
            ..UserPrefs::default()
        },
    );
    m
}

fn ids(m: &Model) -> Vec<&str> {
    m.rows.iter().map(|r| r.id.as_str()).collect()
}

#[test]
fn the_overview_at_80x24_100x30_160x48_and_200x60() {
    for (w, h) in [(80, 24), (100, 30), (160, 48), (200, 60)] {
        let m = looked(w, h, 3);
        insta::assert_snapshot!(format!("overview_{w}x{h}"), text(&render(&m)));
    }
}

#[test]
fn a_small_terminal_keeps_the_whole_table_and_says_what_needs_you_below_it() {
    let screen = text(&render(&looked(80, 24, 3)));
    for id in [
        "staff",
        "eu-customers",
        "apac",
        "us-customers",
        "latam",
        "dormant",
    ] {
        assert!(screen.contains(id), "{id} missing:\n{screen}");
    }
    assert!(
        screen.contains("SEGMENT") && screen.contains("MIGRATED"),
        "{screen}"
    );
    assert!(screen.contains("Needs you (3)"), "{screen}");
    assert!(
        !screen.contains("Whole migration"),
        "no room for the chart:\n{screen}"
    );
}

#[test]
fn a_large_terminal_has_no_run_of_empty_lines_and_shows_every_panel() {
    let screen = text(&render(&looked(200, 60, 3)));
    for panel in [
        "Whole migration",
        "Needs you (3)",
        "Since you (ana) last looked",
    ] {
        assert!(screen.contains(panel), "{panel} missing:\n{screen}");
    }
    // The complaint was 50 empty lines under 4 rows: every line of the body is in a panel
    // now, and the chart takes at least half the lines under the table.
    let lines: Vec<&str> = screen.lines().collect();
    let body = &lines[1..lines.len() - 2];
    assert!(
        body.iter().all(|l| l.starts_with(['┌', '│', '└'])),
        "a line outside every panel:\n{screen}"
    );
    let chart_lines = body.iter().filter(|l| l.contains("││")).count();
    assert!(chart_lines >= 30, "{chart_lines} chart lines:\n{screen}");
    // Each segment's cutover and the rollback are named under the chart.
    assert!(screen.contains("▲ cutover staff 11-"), "{screen}");
    assert!(screen.contains("✗ rollback apac"), "{screen}");
}

#[test]
fn needs_you_offers_the_key_that_acts_on_each_item() {
    let m = looked(160, 48, 3);
    let needs: Vec<(&str, &str)> = m
        .glance
        .needs
        .iter()
        .map(|n| (n.key, n.segment.as_str()))
        .collect();
    // Danger first: the failing guard and the failed rollback; then the overdue pause.
    assert_eq!(
        needs,
        [("r", "eu-customers"), ("R", "apac"), ("p", "latam")]
    );
    let latam = &m.glance.needs[2];
    assert!(latam.what.contains("paused past 2026-11-22"), "{latam:?}");
    let screen = text(&render(&m));
    let apac = screen
        .lines()
        .find(|l| l.contains("retry the rollback"))
        .expect("an item for apac");
    assert!(apac.contains(" R ") && apac.contains("apac"), "{apac}");
}

#[test]
fn pressing_r_from_anywhere_in_the_overview_retries_the_rollback_that_needs_you() {
    let mut m = looked(160, 48, 3);
    assert_eq!(
        m.rows[m.selected].id, "staff",
        "the selection starts elsewhere"
    );
    key(&mut m, KeyCode::Char('R'));
    match &m.dialog {
        Some(Dialog::Confirm {
            segment, action, ..
        }) => {
            assert_eq!(segment, "apac");
            assert_eq!(*action, Action::RetryRollBack);
        }
        other => panic!("expected the retry dialog, got {other:?}"),
    }
    assert_eq!(
        m.rows[m.selected].id, "apac",
        "the table shows whom it is about"
    );
    let effects = key(&mut m, KeyCode::Enter);
    assert!(
        effects.iter().any(|e| matches!(e,
            Effect::Apply { segment, action: Action::RetryRollBack, .. } if segment == "apac")),
        "{effects:?}"
    );
}

#[test]
fn since_you_last_looked_lists_exactly_the_newer_events_newest_first() {
    let m = looked(160, 48, 3);
    let events = &m.snapshot.events;
    let newest: Vec<&str> = events[events.len() - 3..]
        .iter()
        .rev()
        .map(|e| e.body.segment.as_str())
        .collect();
    assert_eq!(m.glance.since.len(), 3);
    for (line, seg) in m.glance.since.iter().zip(newest) {
        assert!(line.1.starts_with(seg), "{line:?} is not {seg}'s");
    }
    assert!(
        m.glance.since_title.contains("3 events"),
        "{}",
        m.glance.since_title
    );
    assert!(
        m.glance.since_title.contains("Sun 22:04"),
        "{}",
        m.glance.since_title
    );

    let none = looked(160, 48, 0);
    assert!(none.glance.since.is_empty());
    assert!(none.glance.since_title.contains("nothing new"));

    // Never looked: the latest events, said as such.
    let mut first = model(160, 48);
    first.remember("bo".into(), UserPrefs::default());
    assert!(
        first
            .glance
            .since_title
            .contains("the first time you (bo) look"),
        "{}",
        first.glance.since_title
    );
    assert!(!first.glance.since.is_empty());
    // The memory could not be read: the latest events, and no claim about this user.
    let unknown = model(160, 48);
    assert_eq!(unknown.glance.since_title, " Latest events ");
    assert!(!unknown.glance.since.is_empty());
}

#[test]
fn quitting_saves_how_far_this_user_has_seen() {
    let mut m = looked(160, 48, 3);
    let newest = m.snapshot.events.last().expect("events").seq;
    // The sample's eu-customers is in cutover: the cockpit asks first, and `y` quits.
    assert!(key(&mut m, KeyCode::Char('q')).is_empty());
    let effects = key(&mut m, KeyCode::Char('y'));
    let saved = effects.iter().find_map(|e| match e {
        Effect::SavePrefs(p) => Some(p.clone()),
        _ => None,
    });
    assert_eq!(saved.and_then(|p| p.seen_seq), Some(newest), "{effects:?}");
    assert!(effects.contains(&Effect::Quit));

    // A cockpit whose memory could not be read saves nothing over it.
    let mut unknown = model(160, 48);
    key(&mut unknown, KeyCode::Char('q'));
    let effects = key(&mut unknown, KeyCode::Char('y'));
    assert_eq!(effects, [Effect::Quit]);
}

#[test]
fn an_open_cockpit_saves_what_its_user_has_seen_about_once_a_minute() {
    let mut m = looked(160, 48, 3);
    let t0 = m.now;
    let newest = m.snapshot.events.last().expect("events").seq;
    // Nobody has touched it: left open overnight, it has seen nothing.
    assert!(update(&mut m, Input::Tick(t0 + chrono::Duration::seconds(61))).is_empty());
    key(&mut m, KeyCode::Char('j'));
    let effects = update(&mut m, Input::Tick(t0 + chrono::Duration::seconds(90)));
    assert!(
        matches!(effects.as_slice(), [Effect::SavePrefs(p)] if p.seen_seq == Some(newest)),
        "{effects:?}"
    );
    // Not again within the minute; and nothing new since: nothing to save.
    key(&mut m, KeyCode::Char('k'));
    assert!(update(&mut m, Input::Tick(t0 + chrono::Duration::seconds(120))).is_empty());
    assert!(update(&mut m, Input::Tick(t0 + chrono::Duration::seconds(300))).is_empty());
}

#[test]
fn s_cycles_the_sort_and_capital_s_groups_by_strategy_keeping_the_selection() {
    let mut m = looked(160, 48, 3);
    assert_eq!(
        ids(&m),
        [
            "staff",
            "eu-customers",
            "apac",
            "us-customers",
            "latam",
            "dormant"
        ]
    );
    cockpit::select(&mut m, "latam");

    let effects = key(&mut m, KeyCode::Char('s'));
    assert_eq!(m.prefs.sort, SortKey::Phase);
    assert_eq!(
        ids(&m),
        [
            "apac",
            "eu-customers",
            "us-customers",
            "latam",
            "dormant",
            "staff"
        ]
    );
    assert_eq!(m.rows[m.selected].id, "latam");
    assert!(
        matches!(effects.as_slice(), [Effect::SavePrefs(p)] if p.sort == SortKey::Phase),
        "{effects:?}"
    );
    assert!(text(&render(&m)).contains("Segments (6) · by phase"));

    key(&mut m, KeyCode::Char('s'));
    assert_eq!(m.prefs.sort, SortKey::Behind);
    // Most points behind first (eu −7.7, apac −4.9), then the ones with no projection.
    assert_eq!(&ids(&m)[..2], ["eu-customers", "apac"]);

    key(&mut m, KeyCode::Char('s'));
    assert_eq!(m.prefs.sort, SortKey::Finish);
    // Reached first; then the earliest finish; none in sight (rolled back, no plan) last.
    assert_eq!(ids(&m)[0], "staff");
    assert_eq!(&ids(&m)[4..], ["apac", "dormant"]);

    key(&mut m, KeyCode::Char('s'));
    assert_eq!(m.prefs.sort, SortKey::File);
    key(&mut m, KeyCode::Char('S'));
    assert!(m.prefs.group);
    // The big-bang segment after every slow one.
    assert_eq!(*ids(&m).last().expect("rows"), "dormant");
    let screen = text(&render(&m));
    assert!(screen.contains("grouped by strategy"), "{screen}");
    // Each group is headed in the table, and the selection still finds its row.
    assert!(screen.contains("│── slow · 5 segments"), "{screen}");
    assert!(screen.contains("│── big-bang · 1 segment "), "{screen}");
    assert_eq!(m.rows[m.selected].id, "latam");
}

#[test]
fn a_remembered_sort_is_in_force_when_the_cockpit_opens() {
    let mut m = model(160, 48);
    m.remember(
        "ana".into(),
        UserPrefs {
            sort: SortKey::Behind,
            ..UserPrefs::default()
        },
    );
    assert_eq!(&ids(&m)[..2], ["eu-customers", "apac"]);
}

#[test]
fn the_project_chart_weighs_segments_by_size_and_ends_its_measured_line_now() {
    let m = looked(200, 60, 3);
    let c = m.glance.chart.as_ref().expect("a chart at 200×60");
    let (x, last) = *c.actual.last().expect("points");
    assert!((x - c.now_x).abs() < 1e-9, "the measured line ends now");
    // staff 1 200 × 99 % + eu 410 000 × 58.5 % + apac 90 000 × 39.4 % of 1 441 200 users.
    let expect = (1_200.0 * 0.992 + 410_000.0 * 0.585 + 90_000.0 * 0.394) / 1_441_200.0 * 100.0;
    assert!((last - expect).abs() < 1.0, "{last} vs {expect}");
    assert!(c.plan.iter().all(|p| (0.0..=100.0).contains(&p.1)));
    assert_eq!(
        c.marks.iter().filter(|k| !k.rollback).count(),
        3,
        "{:?}",
        c.marks
    );
    assert_eq!(
        c.marks.iter().filter(|k| k.rollback).count(),
        1,
        "{:?}",
        c.marks
    );
    // Too small for a chart: it is not even worked out.
    assert!(looked(80, 24, 3).glance.chart.is_none());
}

#[test]
fn n_walks_the_needs_you_list_and_the_item_s_key_then_acts_on_it() {
    let mut m = looked(160, 48, 3);
    let mut visited = Vec::new();
    for _ in 0..4 {
        key(&mut m, KeyCode::Char('n'));
        visited.push(m.rows[m.selected].id.clone());
    }
    assert_eq!(visited, ["eu-customers", "apac", "latam", "eu-customers"]);
    let status = m.status_line.clone().expect("a status line").1;
    assert!(
        status.starts_with("needs you 1/3: eu-customers · r roll back · guard failing"),
        "{status}"
    );
    key(&mut m, KeyCode::Char('r'));
    assert!(
        matches!(&m.dialog, Some(Dialog::Confirm { segment, action: Action::RollBack, .. }) if segment == "eu-customers"),
        "{:?}",
        m.dialog
    );
}

#[test]
fn a_rolled_back_segment_keeps_its_measured_share_and_its_plan_stops_growing() {
    use cutover::model::{Event, NewEvent, Outcome, Phase, PhaseShown};
    let mut m = looked(200, 60, 3);
    let before = m.glance.chart.clone().expect("chart");
    // apac's rollback succeeds on retry, a day before the fixed moment.
    let at = cutover::sample_project::now() - chrono::Duration::days(1);
    let mut body = NewEvent::new(at, "apac", Action::RetryRollBack, "ana");
    body.to = Some(Phase::RolledBack);
    body.outcome = Outcome::Succeeded;
    let seq = m.snapshot.events.last().expect("events").seq + 1;
    let mut snapshot = m.snapshot.clone();
    snapshot.events.push(Event { seq, body });
    let apac = snapshot.status.segments.iter_mut().find(|s| s.id == "apac");
    apac.expect("apac").phase = PhaseShown::RolledBack;
    update(&mut m, Input::Refreshed(Box::new(snapshot)));
    let after = m.glance.chart.as_ref().expect("chart");
    let last = |c: &[(f64, f64)]| c.last().expect("points").1;
    assert!(
        (last(&after.actual) - last(&before.actual)).abs() < 1e-9,
        "users moved stay moved"
    );
    // The plan from the rollback on is flat for apac, so the project's plan ends lower.
    assert!(
        last(&after.plan) < last(&before.plan) - 0.1,
        "{} vs {}",
        last(&after.plan),
        last(&before.plan)
    );
    assert!(after.legend.contains("✗ rollback apac"), "{}", after.legend);
}

#[test]
fn the_overview_draws_in_any_terminal_size_without_panicking() {
    for (w, h) in [
        (1, 1),
        (2, 3),
        (20, 5),
        (80, 29),
        (80, 30),
        (59, 40),
        (120, 31),
        (300, 1500),
    ] {
        let m = looked(w, h, 3);
        let screen = text(&render(&m));
        if h >= 12 && w >= 40 {
            assert!(screen.contains("Segments (6)"), "{w}×{h}:\n{screen}");
        }
    }
}

#[test]
fn a_stale_source_needs_you_and_n_reaches_each_item_of_one_segment() {
    let mut m = looked(160, 48, 3);
    let mut snapshot = m.snapshot.clone();
    let eu = snapshot
        .status
        .segments
        .iter_mut()
        .find(|s| s.id == "eu-customers");
    let eu = eu.expect("eu");
    let src = eu.sources.first_mut().expect("a source");
    assert_eq!(
        src.stale_after_secs,
        Some(86_400.0),
        "the sample's stale_after = 1d"
    );
    src.error = None;
    src.at = Some(cutover::sample_project::now() - chrono::Duration::hours(30));
    // A planned finish far past any calendar must not break the finish sort.
    let dormant = snapshot
        .status
        .segments
        .iter_mut()
        .find(|s| s.id == "dormant");
    dormant.expect("dormant").days_to_goal = Some(2e12);
    update(&mut m, Input::Refreshed(Box::new(snapshot)));
    let stale: Vec<&str> = m
        .glance
        .needs
        .iter()
        .filter(|n| n.what.contains("stale"))
        .map(|n| n.what.as_str())
        .collect();
    assert_eq!(stale.len(), 1, "{:?}", m.glance.needs);
    assert!(
        stale[0].ends_with("newest sample is 30 h old (stale after 24 h)"),
        "{}",
        stale[0]
    );
    // eu-customers has two items now (guard, stale source): n visits every item in the
    // list's order (danger first), both of eu's included.
    let mut seen = Vec::new();
    for _ in 0..5 {
        key(&mut m, KeyCode::Char('n'));
        seen.push(m.status_line.clone().expect("status").1);
    }
    assert!(
        seen[0].starts_with("needs you 1/4: eu-customers · r roll back"),
        "{seen:?}"
    );
    assert!(seen[1].starts_with("needs you 2/4: apac · R"), "{seen:?}");
    assert!(
        seen[2].starts_with("needs you 3/4: eu-customers · ⏎"),
        "{seen:?}"
    );
    assert!(seen[3].starts_with("needs you 4/4: latam · p"), "{seen:?}");
    assert!(seen[4].starts_with("needs you 1/4"), "{seen:?}");
    for _ in 0..3 {
        key(&mut m, KeyCode::Char('s'));
    }
    assert_eq!(m.prefs.sort, SortKey::Finish);
    assert_eq!(m.rows.len(), 6);
}
