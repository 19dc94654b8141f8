//! The cockpit's update function and keys, without a terminal: what a key press does to the
//! model and which effects it asks the driver for.

#[path = "common/cockpit.rs"]
mod cockpit;

use cockpit::{key, keys, model, render, select, text};
use crossterm::event::KeyCode;
use cutover::model::{Action, HookAction, PhaseShown};
use cutover::tui::app::{Dialog, Screen, Tone};
use cutover::tui::update::{Effect, Input, update};

#[test]
fn r_asks_for_a_reason_in_a_danger_dialog_then_rolls_back() {
    let mut m = model(160, 48);
    select(&mut m, "eu-customers");
    assert!(key(&mut m, KeyCode::Char('r')).is_empty());
    match &m.dialog {
        Some(Dialog::Confirm {
            title,
            lines,
            danger,
            reason,
            ..
        }) => {
            assert!(title.contains("eu-customers"));
            assert!(*danger);
            assert_eq!(lines[0], "cutover → rolled-back");
            assert!(
                lines[1].contains("rollback hook") && lines[1].contains("run true"),
                "{lines:?}"
            );
            assert_eq!(reason.as_deref(), Some(""));
        }
        other => panic!("{other:?}"),
    }
    // Confirming without a reason is refused in place.
    assert!(key(&mut m, KeyCode::Enter).is_empty());
    assert!(m.dialog.is_some());
    assert_eq!(m.status_line.as_ref().map(|s| s.0), Some(Tone::Warn));
    // y and n are text here, not answers.
    assert!(keys(&mut m, "yes, errors up").is_empty());
    assert!(m.dialog.is_some());
    key(&mut m, KeyCode::Backspace);
    let effects = key(&mut m, KeyCode::Enter);
    assert_eq!(
        effects,
        vec![Effect::Apply {
            segment: "eu-customers".into(),
            action: Action::RollBack,
            reason: Some("yes, errors u".into()),
            // What the operator saw: refused if another lead moved it meanwhile.
            expect: Some(cutover::model::Phase::Cutover),
        }]
    );
    assert!(m.dialog.is_none());
}

#[test]
fn escape_cancels_a_dialog_and_nothing_happens() {
    let mut m = model(80, 24);
    select(&mut m, "eu-customers");
    key(&mut m, KeyCode::Char('r'));
    keys(&mut m, "oops");
    assert!(key(&mut m, KeyCode::Esc).is_empty());
    assert!(m.dialog.is_none());
    assert_eq!(
        m.screen,
        Screen::Overview,
        "Esc closed the dialog, not the screen"
    );
}

#[test]
fn advance_names_the_transition_and_the_hook_and_y_confirms() {
    let mut m = model(160, 48);
    select(&mut m, "us-customers");
    key(&mut m, KeyCode::Char('a'));
    match &m.dialog {
        Some(Dialog::Confirm {
            lines,
            danger,
            reason,
            ..
        }) => {
            assert_eq!(lines[0], "gate → cutover");
            assert!(lines[1].contains("no cutover hook"), "{lines:?}");
            assert!(!*danger);
            assert!(reason.is_none());
        }
        other => panic!("{other:?}"),
    }
    // Keys that mean something elsewhere are swallowed by the dialog.
    for c in ['r', 'q', 'j', 't'] {
        assert!(key(&mut m, KeyCode::Char(c)).is_empty());
    }
    assert_eq!(m.rows[m.selected].id, "us-customers");
    let effects = key(&mut m, KeyCode::Char('y'));
    assert_eq!(
        effects,
        vec![Effect::Apply {
            segment: "us-customers".into(),
            action: Action::Advance,
            reason: None,
            expect: Some(cutover::model::Phase::Gate),
        }]
    );
}

#[test]
fn advancing_a_done_segment_goes_straight_to_the_machine_for_its_reason() {
    let mut m = model(80, 24);
    select(&mut m, "staff");
    assert_eq!(m.rows[m.selected].phase, PhaseShown::Done);
    let effects = key(&mut m, KeyCode::Char('a'));
    assert_eq!(effects.len(), 1);
    assert!(m.dialog.is_none());
}

#[test]
fn a_failed_rollback_is_retried_with_capital_r_and_plain_r_points_there() {
    let mut m = model(160, 48);
    select(&mut m, "apac");
    assert_eq!(m.rows[m.selected].phase, PhaseShown::RollbackFailed);
    assert!(key(&mut m, KeyCode::Char('r')).is_empty());
    assert!(m.dialog.is_none());
    assert!(
        m.status_line
            .as_ref()
            .is_some_and(|(_, t)| t.contains("press R"))
    );
    key(&mut m, KeyCode::Char('R'));
    assert!(matches!(
        &m.dialog,
        Some(Dialog::Confirm {
            action: Action::RetryRollBack,
            ..
        })
    ));
    let effects = key(&mut m, KeyCode::Enter);
    assert_eq!(
        effects,
        vec![Effect::Apply {
            segment: "apac".into(),
            action: Action::RetryRollBack,
            reason: None,
            expect: None,
        }]
    );
}

#[test]
fn p_resumes_a_paused_segment_at_once_and_asks_a_reason_to_pause_another() {
    let mut m = model(80, 24);
    select(&mut m, "latam");
    assert_eq!(
        key(&mut m, KeyCode::Char('p')),
        vec![Effect::Apply {
            segment: "latam".into(),
            action: Action::Resume,
            reason: None,
            expect: None,
        }]
    );
    select(&mut m, "eu-customers");
    key(&mut m, KeyCode::Char('p'));
    keys(&mut m, "black friday");
    assert_eq!(
        key(&mut m, KeyCode::Enter),
        vec![Effect::Apply {
            segment: "eu-customers".into(),
            action: Action::Pause,
            reason: Some("black friday".into()),
            expect: None,
        }]
    );
}

#[test]
fn quitting_while_a_hook_runs_asks_first() {
    let mut m = model(80, 24);
    update(
        &mut m,
        Input::HookStarted {
            segment: "eu-customers".into(),
            action: HookAction::Rollback,
        },
    );
    assert!(m.rows.iter().any(|r| {
        r.badge
            .as_ref()
            .is_some_and(|(b, _)| b.contains("rollback…"))
    }));
    assert!(key(&mut m, KeyCode::Char('q')).is_empty());
    assert!(matches!(m.dialog, Some(Dialog::Quit { .. })));
    assert!(key(&mut m, KeyCode::Char('n')).is_empty());
    assert!(!m.quit);
    key(&mut m, KeyCode::Char('q'));
    assert_eq!(key(&mut m, KeyCode::Char('y')), vec![Effect::Quit]);
    assert!(m.quit);

    // Nothing running, but eu-customers is in cutover and this cockpit guards it: it asks,
    // naming the segment, and says how to keep it guarded.
    let mut m = model(80, 24);
    assert!(key(&mut m, KeyCode::Char('q')).is_empty());
    match &m.dialog {
        Some(Dialog::Quit { running, guarded }) => {
            assert!(running.is_empty());
            assert_eq!(guarded, &vec!["eu-customers".to_string()]);
        }
        other => panic!("no quit question: {other:?}"),
    }
    let screen = text(&render(&m));
    assert!(
        screen.contains("Quit and leave segments unguarded?"),
        "{screen}"
    );
    assert!(screen.contains("cutover watch"), "{screen}");
    assert_eq!(key(&mut m, KeyCode::Char('y')), vec![Effect::Quit]);

    // An attached cockpit leaving stops no guard: it quits at once.
    let mut m = model(80, 24);
    m.attached = Some("pid 4242 (watch)".into());
    assert_eq!(
        key(&mut m, KeyCode::Char('q')),
        vec![Effect::Quit],
        "attached: quit at once"
    );
}

#[test]
fn a_hook_outcome_shows_in_the_status_line() {
    let mut m = model(80, 24);
    update(
        &mut m,
        Input::HookStarted {
            segment: "apac".into(),
            action: HookAction::Rollback,
        },
    );
    update(
        &mut m,
        Input::HookFinished {
            segment: "apac".into(),
            action: HookAction::Rollback,
            ok: false,
            detail: "exit 2".into(),
        },
    );
    let (tone, text) = m.status_line.clone().expect("status");
    assert_eq!(tone, Tone::Danger);
    assert!(
        text.contains("apac") && text.contains("FAILED") && text.contains("exit 2"),
        "{text}"
    );
    assert!(m.running.is_empty());
}

#[test]
fn filter_narrows_the_rows_and_escape_clears_it() {
    let mut m = model(80, 24);
    let all = m.rows.len();
    assert_eq!(all, 6);
    key(&mut m, KeyCode::Char('/'));
    keys(&mut m, "cust");
    assert_eq!(m.rows.len(), 4, "filters while typing, on ids and names");
    key(&mut m, KeyCode::Enter);
    assert_eq!(m.segment_filter.kept, "cust");
    assert_eq!(m.rows.len(), 4);
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.rows.len(), all, "Esc on the overview clears the filter");
    key(&mut m, KeyCode::Char('/'));
    keys(&mut m, "cutover");
    assert!(
        m.rows.iter().all(|r| r.phase == PhaseShown::Cutover),
        "matches phases too"
    );
}

#[test]
fn tab_cycles_screens_and_enter_opens_the_detail_with_a_downsampled_chart() {
    let mut m = model(160, 48);
    select(&mut m, "eu-customers");
    key(&mut m, KeyCode::Enter);
    assert_eq!(m.screen, Screen::Detail);
    let d = m.detail.clone().expect("detail");
    assert_eq!(d.id, "eu-customers");
    assert!(!d.actual.is_empty() && d.actual.len() <= 2 * 160);
    assert!(
        d.fit_line
            .contains("forecast 2026-12-27 (2026-12-27 – 2027-01-01)"),
        "{}",
        d.fit_line
    );
    let (low, high) = d.band.clone().expect("the forecast range as a band");
    assert!(!low.is_empty() && low.len() == high.len());
    assert!(low.iter().zip(&high).all(|(l, h)| l.1 <= h.1));
    assert!(d.x_max >= 21.0);
    // j moves to the next segment's detail without leaving the screen.
    key(&mut m, KeyCode::Char('j'));
    assert_eq!(m.detail.as_ref().map(|d| d.id.as_str()), Some("apac"));
    key(&mut m, KeyCode::Tab);
    assert_eq!(m.screen, Screen::Log);
    assert!(m.log_lines.len() > 10);
    key(&mut m, KeyCode::Tab);
    assert_eq!(m.screen, Screen::Overview);
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::Char('q'));
    assert_eq!(m.screen, Screen::Overview, "q goes back from the detail");
    assert!(!m.quit);
}

#[test]
fn t_cycles_themes_and_refresh_keeps_the_selection() {
    let mut m = model(80, 24);
    m.themes.push(cutover::tui::theme::Theme::monochrome());
    key(&mut m, KeyCode::Char('t'));
    assert_eq!(m.theme().name, "no-color");
    key(&mut m, KeyCode::Char('t'));
    assert_eq!(m.theme().name, "default");

    select(&mut m, "latam");
    let mut snap = m.snapshot.clone();
    snap.status.segments.rotate_left(2);
    update(&mut m, Input::Refreshed(Box::new(snap)));
    assert_eq!(m.rows[m.selected].id, "latam");
}

#[test]
fn overview_rows_carry_what_a_lead_scans_for() {
    let m = model(160, 48);
    let row = |id: &str| m.rows.iter().find(|r| r.id == id).expect("row").clone();
    let eu = row("eu-customers");
    assert_eq!(eu.phase, PhaseShown::Cutover);
    assert!(
        eu.behind,
        "0.041 against 0.05 planned is more than 5 points behind by day 21"
    );
    assert!(eu.deviation.starts_with('−'), "{}", eu.deviation);
    assert_eq!(eu.size, "410 000");
    assert!(!eu.spark.is_empty());
    assert_eq!(row("apac").badge.map(|b| b.1), Some(Tone::Danger));
    assert_eq!(
        row("latam").badge.map(|b| b.0),
        Some("‖ paused".to_string())
    );
    assert_eq!(row("staff").finish, "reached");
    assert!(row("us-customers").finish.starts_with('~'));
}

#[test]
fn the_tick_moves_the_detail_s_ages() {
    let mut m = model(160, 48);
    select(&mut m, "eu-customers");
    key(&mut m, KeyCode::Enter);
    let before = m.detail.clone().expect("detail");
    assert!(
        before
            .sources
            .iter()
            .any(|(_, l)| l.contains("failure_rate (prometheus): 0.024 · 3 min ago")),
        "{:?}",
        before.sources
    );
    update(
        &mut m,
        Input::Tick(cutover::sample_project::now() + chrono::Duration::minutes(60)),
    );
    let after = m.detail.clone().expect("detail");
    assert!(
        after
            .sources
            .iter()
            .any(|(_, l)| l.contains("0.024 · 63 min ago")),
        "{:?}",
        after.sources
    );
    assert_eq!(after.actual, before.actual, "the chart stays as it was");
}

#[test]
fn capital_f_in_the_detail_offers_the_fit_as_the_plan_with_old_and_new() {
    let mut m = model(160, 48);
    select(&mut m, "eu-customers");
    key(&mut m, KeyCode::Enter);
    assert_eq!(m.screen, Screen::Detail);
    assert!(key(&mut m, KeyCode::Char('F')).is_empty());
    match &m.dialog {
        Some(Dialog::Confirm { title, lines, .. }) => {
            assert_eq!(title, "Adopt the forecast as eu-customers's plan?");
            assert_eq!(lines[0], "plan now: P 0.050");
            assert!(
                lines[1].starts_with("fitted:   ") && lines[1].contains("@ P"),
                "{lines:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        key(&mut m, KeyCode::Char('y')),
        vec![Effect::Apply {
            segment: "eu-customers".into(),
            action: Action::AdoptFit,
            reason: None,
            expect: None,
        }]
    );
}
