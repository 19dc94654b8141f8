//! The cockpit as a user sees it: whole-screen snapshots of every screen and dialog at 80×24,
//! 100×30 and 160×48 over the sample project at its fixed moment, colours of specific cells, and
//! tiny terminals.

#[path = "common/cockpit.rs"]
mod cockpit;

use cockpit::{find, key, keys, model, render, select, text};
use crossterm::event::KeyCode;
use cutover::model::HookAction;
use cutover::tui::app::Model;
use cutover::tui::theme::Theme;
use cutover::tui::update::{Input, update};
use ratatui::style::{Color, Modifier};

/// Every screen and dialog, reached by keys from a fresh model.
fn screens(w: u16, h: u16) -> Vec<(&'static str, Model)> {
    let mut out = Vec::new();
    let m = model(w, h);
    out.push(("overview", m.clone()));
    let mut d = m.clone();
    select(&mut d, "eu-customers");
    key(&mut d, KeyCode::Enter);
    out.push(("detail", d.clone()));
    let mut mix = m.clone();
    select(&mut mix, "us-customers");
    key(&mut mix, KeyCode::Enter);
    out.push(("detail_cohorts", mix));
    let mut l = m.clone();
    key(&mut l, KeyCode::Tab);
    key(&mut l, KeyCode::Tab);
    out.push(("log", l.clone()));
    let mut help = m.clone();
    key(&mut help, KeyCode::Char('?'));
    out.push(("help", help));
    let mut rb = d.clone();
    key(&mut rb, KeyCode::Char('r'));
    keys(&mut rb, "login failures at 3 %");
    out.push(("rollback_dialog", rb));
    let mut adv = m.clone();
    select(&mut adv, "us-customers");
    key(&mut adv, KeyCode::Char('a'));
    out.push(("advance_dialog", adv));
    let mut pause = m.clone();
    select(&mut pause, "eu-customers");
    key(&mut pause, KeyCode::Char('p'));
    keys(&mut pause, "freeze");
    out.push(("pause_dialog", pause));
    let mut retry = m.clone();
    select(&mut retry, "apac");
    key(&mut retry, KeyCode::Char('R'));
    out.push(("retry_dialog", retry));
    let mut quit = m.clone();
    update(
        &mut quit,
        Input::HookStarted {
            segment: "eu-customers".into(),
            action: HookAction::Rollback,
        },
    );
    key(&mut quit, KeyCode::Char('q'));
    out.push(("quit_dialog", quit));
    // Attached to another process's owner, with a rollback that owner left pending.
    let mut attached = m.clone();
    update(
        &mut attached,
        Input::Attached(Some("pid 4242 (watch)".into())),
    );
    let mut staff = attached
        .snapshot
        .status
        .segments
        .iter()
        .find(|s| s.id == "staff")
        .cloned()
        .expect("staff");
    staff.pending_hook = Some(HookAction::Rollback);
    update(
        &mut attached,
        Input::SegmentsUpdated {
            statuses: vec![staff],
            series: Vec::new(),
        },
    );
    out.push(("attached_pending", attached));
    let mut retest = m.clone();
    select(&mut retest, "us-customers");
    key(&mut retest, KeyCode::Char('T'));
    out.push(("retest_dialog", retest));
    // The failed rollback's event, opened whole from the log.
    let mut event = l.clone();
    key(&mut event, KeyCode::Up);
    key(&mut event, KeyCode::Enter);
    out.push(("event", event));
    let mut filter = m;
    key(&mut filter, KeyCode::Char('/'));
    keys(&mut filter, "cust");
    out.push(("filter", filter));
    out
}

#[test]
fn every_screen_and_dialog_at_80x24() {
    for (name, m) in screens(80, 24) {
        insta::assert_snapshot!(format!("80x24_{name}"), text(&render(&m)));
    }
}

#[test]
fn every_screen_and_dialog_at_100x30() {
    for (name, m) in screens(100, 30) {
        insta::assert_snapshot!(format!("100x30_{name}"), text(&render(&m)));
    }
}

#[test]
fn every_screen_and_dialog_at_160x48() {
    for (name, m) in screens(160, 48) {
        insta::assert_snapshot!(format!("160x48_{name}"), text(&render(&m)));
    }
}

#[test]
fn every_screen_renders_in_tiny_terminals_without_panicking() {
    for (w, h) in [(1, 1), (20, 5), (2, 30), (200, 3)] {
        for (name, mut m) in screens(80, 24) {
            m.width = w;
            m.height = h;
            update(&mut m, Input::Resize(w, h));
            let buffer = render(&m);
            assert_eq!(buffer.area.width, w, "{name}");
        }
    }
}

#[test]
fn phases_are_coloured_and_a_lagging_segment_is_red() {
    let m = model(160, 48);
    let theme = Theme::default_theme();
    let b = render(&m);
    let (x, y) = find(&b, "● cutover").expect("cutover phase on screen");
    assert_eq!(b[(x, y)].fg, theme.phase_cutover);
    let (x, y) = find(&b, "● done").expect("done phase");
    assert_eq!(b[(x, y)].fg, theme.phase_done);
    let (x, y) = find(&b, "● rollback-failed").expect("rollback-failed phase");
    assert_eq!(b[(x, y)].fg, theme.rolled_back);
    let (x, y) = find(&b, "⚠ guard failing").expect("guard badge");
    assert_eq!(b[(x, y)].fg, theme.danger);
    let (x, y) = find(&b, "−7").expect("deviation of eu-customers");
    assert_eq!(b[(x, y)].fg, theme.danger);
    // The selected row (the first) is highlighted.
    let (x, y) = find(&b, "staff").expect("staff row");
    assert_eq!(b[(x, y)].bg, theme.selected);
}

#[test]
fn the_rollback_dialog_is_drawn_in_the_danger_colour_with_the_segment_and_hook() {
    let mut m = model(160, 48);
    select(&mut m, "eu-customers");
    key(&mut m, KeyCode::Char('r'));
    let b = render(&m);
    let (x, y) = find(&b, "Roll back eu-customers?").expect("title");
    assert_eq!(b[(x, y)].fg, Theme::default_theme().danger);
    assert!(text(&b).contains("fires the rollback hook: run true"));
}

#[test]
fn no_color_keeps_every_cell_uncoloured_and_the_phase_readable() {
    let mut m = model(160, 48);
    m.themes = vec![Theme::monochrome()];
    m.theme = 0;
    let b = render(&m);
    for cell in b.content() {
        assert_eq!(cell.fg, Color::Reset);
        assert_eq!(cell.bg, Color::Reset);
    }
    let t = text(&b);
    assert!(t.contains("● rollback-failed") && t.contains("● cutover"));
    let (x, y) = find(&b, "staff").expect("staff row");
    assert!(
        b[(x, y)].modifier.contains(Modifier::REVERSED),
        "selection without colour"
    );
}

#[test]
fn the_header_shows_the_project_route_and_weighted_share() {
    let m = model(160, 48);
    let t = text(&render(&m));
    let header = t.lines().next().expect("header");
    assert!(header.contains("Acme · Acme LDAP → FusionAuth"), "{header}");
    assert!(
        header.contains("% migrated") && header.contains("2026-11-23 12:04"),
        "{header}"
    );
}

#[test]
fn the_header_says_whether_the_legacy_system_may_be_switched_off() {
    use cutover::model::decommission::{Condition, Decommission};
    let mut m = model(160, 48);
    let header = |m: &Model| text(&render(m)).lines().next().expect("header").to_string();
    assert!(!header(&m).contains("legacy"), "not asked, not shown");
    let condition = |name: &str, holds: bool| Condition {
        name: name.into(),
        holds,
        detail: String::new(),
        last_true: None,
    };
    update(
        &mut m,
        Input::Decommission(Box::new(Decommission::of(vec![
            condition("segments", true),
            condition("traffic", false),
            condition("drift", false),
        ]))),
    );
    assert!(
        header(&m).contains("· legacy held by traffic, drift"),
        "{}",
        header(&m)
    );
    update(
        &mut m,
        Input::Decommission(Box::new(Decommission::of(vec![condition(
            "segments", true,
        )]))),
    );
    assert!(
        header(&m).contains("legacy: ready to switch off"),
        "{}",
        header(&m)
    );
}

#[test]
fn the_header_says_when_the_state_database_is_out_of_reach_and_when_it_is_back() {
    let mut m = model(160, 48);
    let since = chrono::DateTime::parse_from_rfc3339("2026-11-23T12:01:30Z")
        .expect("time")
        .to_utc();
    update(&mut m, Input::StateDatabase(Some(since)));
    let t = text(&render(&m));
    let header = t.lines().next().expect("header");
    assert!(
        header.contains("⚠ state database unreachable since 12:01:30"),
        "{header}"
    );
    assert!(!header.contains("% migrated"), "{header}");
    update(&mut m, Input::StateDatabase(None));
    let t = text(&render(&m));
    let header = t.lines().next().expect("header");
    assert!(
        header.contains("% migrated") && !header.contains("unreachable"),
        "{header}"
    );
}

#[test]
fn the_detail_screen_sets_the_plans_never_returning_share_beside_the_datas() {
    let mut m = model(100, 30);
    select(&mut m, "eu-customers");
    let mut eu = m
        .snapshot
        .status
        .segments
        .iter()
        .find(|s| s.id == "eu-customers")
        .cloned()
        .expect("eu-customers");
    let forecast = eu.forecast.as_mut().expect("eu-customers has a forecast");
    forecast.churn = Some(cutover::model::forecast::churn::ChurnSeen {
        plan_never: 0.18,
        data_never: 0.31,
        day: 180,
        plan_share: 0.27,
        data_share: 0.23,
    });
    update(
        &mut m,
        Input::SegmentsUpdated {
            statuses: vec![eu],
            series: Vec::new(),
        },
    );
    key(&mut m, KeyCode::Enter);
    let b = render(&m);
    let t = text(&b);
    // At 100 columns the short form of the first half, and all of the second.
    assert!(t.contains("↘ never to return: plan 18 %, data 31 %"), "{t}");
    assert!(
        t.contains("the plan assumed 27 % by day 180; the data says 23 %"),
        "{t}"
    );
    // Behind the plan: said in the warning colour.
    let (x, y) = find(&b, "↘ never to return").expect("the line");
    assert_eq!(b[(x, y)].fg, Theme::default_theme().warn);
    insta::assert_snapshot!("100x30_detail_churn", t);
    // Wide enough, the whole sentence.
    update(&mut m, Input::Resize(160, 48));
    let t = text(&render(&m));
    assert!(
        t.contains(
            "↘ the plan expected 18 % never to return; the data implies 31 % · the plan assumed 27 % by day 180; the data says 23 %"
        ),
        "{t}"
    );
}
