//! What a first week with the cockpit found (issue 22, §5): FINISH for bulk strategies, a
//! filter per screen, events opened whole and refusals that keep their reason, keys for
//! `replan` and `retest`, a hint line that starts with `? help` and `q quit` and drops whole
//! hints, table columns dropped only when they do not fit, and the events' wording. Pure
//! update tests and TestBackend renders over the sample project at its fixed moment.

#[path = "common/cockpit.rs"]
mod cockpit;

use cockpit::{key, keys, model, render, select, status, text};
use crossterm::event::KeyCode;
use cutover::engine::status::SegmentStatus;
use cutover::model::{Action, Event, NewEvent, Outcome, Phase, PhaseShown};
use cutover::tui::app::{Dialog, Model, Screen, Tone};
use cutover::tui::update::{Effect, Input, update};

fn set(m: &mut Model, s: SegmentStatus) {
    update(
        m,
        Input::SegmentsUpdated {
            statuses: vec![s],
            series: Vec::new(),
        },
    );
}

fn append(m: &mut Model, body: NewEvent) -> u64 {
    let seq = m.snapshot.events.last().map_or(1, |e| e.seq + 1);
    update(m, Input::EventAppended(Box::new(Event { seq, body })));
    seq
}

fn row_finish(m: &Model, id: &str) -> String {
    m.rows
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.finish.clone())
        .expect("row")
}

#[test]
fn a_bulk_segment_in_cutover_finishes_reached_at_its_goal_and_never_says_never() {
    let mut m = model(160, 48);
    let mut dormant = status(&m, "dormant");
    dormant.phase = PhaseShown::Cutover;
    dormant.cutover_at = Some(cutover::sample_project::now());
    dormant.migrated_share = Some(0.4);
    set(&mut m, dormant.clone());
    assert_eq!(
        row_finish(&m, "dormant"),
        "—",
        "below its goal, a big-bang has no date"
    );
    dormant.migrated_share = Some(1.0);
    set(&mut m, dormant);
    assert_eq!(row_finish(&m, "dormant"), "reached");
    let screen = text(&render(&m));
    let line = screen
        .lines()
        .find(|l| l.contains("dormant"))
        .expect("dormant's row");
    assert!(
        line.contains("reached") && !line.contains("never"),
        "{line}"
    );
    // A slow segment whose plan never reaches the goal still says so.
    let mut eu = status(&m, "eu-customers");
    eu.forecast = None;
    eu.projected_finish = None;
    set(&mut m, eu);
    assert_eq!(row_finish(&m, "eu-customers"), "never");
}

#[test]
fn a_filter_typed_in_the_event_log_stays_in_the_log() {
    let mut m = model(160, 48);
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Tab);
    assert_eq!(m.screen, Screen::Log);
    key(&mut m, KeyCode::Char('/'));
    keys(&mut m, "latam");
    key(&mut m, KeyCode::Enter);
    assert!(m.log_lines.iter().all(|l| l.text.contains("latam")));
    let log = text(&render(&m));
    assert!(
        log.contains(" Event log (3 of 19) · filter 'latam'"),
        "{log}"
    );
    // The overview keeps every segment and its panels.
    key(&mut m, KeyCode::Tab);
    assert_eq!(m.screen, Screen::Overview);
    assert_eq!(m.rows.len(), 6);
    let overview = text(&render(&m));
    assert!(overview.contains(" Segments (6) "), "{overview}");
    assert!(!overview.contains("filter"), "{overview}");
    assert!(overview.contains("Needs you (3)"), "{overview}");
    // The overview's own filter shows in its title while typed and once kept.
    key(&mut m, KeyCode::Char('/'));
    keys(&mut m, "cust");
    assert!(text(&render(&m)).contains(" Segments (4) · filter 'cust' "));
    key(&mut m, KeyCode::Enter);
    assert!(text(&render(&m)).contains(" Segments (4) · filter 'cust' "));
    // Back in the log, its filter is as it was; Esc clears it, and Esc again goes back.
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Tab);
    assert_eq!(m.event_filter.kept, "latam");
    assert_eq!(m.log_lines.len(), 3);
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.log_lines.len(), 19);
    assert_eq!(m.screen, Screen::Log);
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Overview);
    assert_eq!(m.rows.len(), 4, "the overview's filter is its own");
}

#[test]
fn enter_on_an_event_opens_it_whole_with_its_hook_output_and_key() {
    let mut m = model(80, 24);
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Tab);
    // The newest is selected; one up is apac's failed rollback (event 18, key 17).
    key(&mut m, KeyCode::Up);
    key(&mut m, KeyCode::Enter);
    let view = m.event_view.clone().expect("the event opened");
    assert_eq!(view.seq, 18);
    let field = |name: &str| {
        view.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| panic!("no {name} in {:?}", view.fields))
    };
    assert_eq!(field("reason"), "login failure spike");
    assert!(field("hook output").contains("router 10.0.0.7 unreachable"));
    assert!(field("idempotency key").starts_with("17 "));
    let screen = text(&render(&m));
    assert!(screen.contains("Event 18 · apac · rollback"), "{screen}");
    assert!(screen.contains("router 10.0.0.7 unreachable"), "{screen}");
    // A new event below keeps the same one selected.
    let mut body = NewEvent::new(
        cutover::sample_project::now(),
        "staff",
        Action::Pause,
        "ana",
    );
    body.reason = Some("audit".into());
    append(&mut m, body);
    assert_eq!(m.log_lines.len(), 20);
    // Keys scroll it or close it; nothing else happens meanwhile.
    assert!(key(&mut m, KeyCode::Char('r')).is_empty());
    key(&mut m, KeyCode::Esc);
    assert!(m.event_view.is_none());
    assert_eq!(m.screen, Screen::Log);
    key(&mut m, KeyCode::Enter);
    assert_eq!(m.event_view.as_ref().map(|v| v.seq), Some(18));
    key(&mut m, KeyCode::Esc);
    // The checks' readings of event 19 are there whole too.
    key(&mut m, KeyCode::Char('G'));
    key(&mut m, KeyCode::Up);
    key(&mut m, KeyCode::Enter);
    let view = m.event_view.clone().expect("event 19");
    assert_eq!(view.seq, 19);
    assert!(
        view.fields
            .iter()
            .any(|(n, t)| *n == "reading" && t.contains("212 duplicate users")),
        "{:?}",
        view.fields
    );
}

#[test]
fn a_refused_guard_keeps_its_reason_in_needs_you_and_since_you_last_looked() {
    let why = "eu-customers is paused (waiting on legal review): the guard may not act; roll back by hand once the lead agrees, then resume";
    for (w, h) in [(80, 24), (160, 48)] {
        let mut m = model(w, h);
        let mut body = NewEvent::new(
            cutover::sample_project::now(),
            "eu-customers",
            Action::RollBack,
            "auto",
        );
        body.outcome = Outcome::Refused;
        body.from = Some(Phase::Cutover);
        body.to = Some(Phase::RolledBack);
        body.detail = Some(why.to_string());
        append(&mut m, body);
        let refused = m
            .glance
            .needs
            .iter()
            .find(|n| n.what.contains("was refused"))
            .expect("the refusal needs you");
        assert!(refused.whole && refused.what.ends_with(why));
        let screen = text(&render(&m));
        // The reason's end is on screen (wrapped, not cut away), in both lists.
        assert!(
            screen.matches("agrees, then resume").count() >= 1,
            "{screen}"
        );
        let needs_end = screen
            .lines()
            .position(|l| l.contains("agrees, then resume"))
            .expect("the reason's end");
        assert!(
            screen
                .lines()
                .take(needs_end)
                .any(|l| l.contains("roll back by hand ·")),
            "{screen}"
        );
        assert!(
            m.glance.since[0].1.ends_with(why),
            "{:?}",
            m.glance.since[0]
        );
    }
}

#[test]
fn capital_p_and_t_replan_and_retest_through_the_same_dialog_as_the_other_actions() {
    let mut m = model(160, 48);
    select(&mut m, "us-customers");
    assert!(key(&mut m, KeyCode::Char('T')).is_empty());
    match &m.dialog {
        Some(Dialog::Confirm {
            title,
            lines,
            reason,
            reason_required,
            ..
        }) => {
            assert_eq!(title, "Send us-customers back to test?");
            assert_eq!(lines[0], "gate → test");
            assert_eq!(reason.as_deref(), Some(""));
            assert!(!reason_required);
        }
        other => panic!("{other:?}"),
    }
    let dialog = text(&render(&m));
    assert!(dialog.contains("reason (optional) · ⏎ confirm"), "{dialog}");
    keys(&mut m, "soak again");
    assert_eq!(
        key(&mut m, KeyCode::Enter),
        vec![Effect::Apply {
            segment: "us-customers".into(),
            action: Action::Retest,
            reason: Some("soak again".into()),
            expect: Some(Phase::Gate),
        }]
    );
    // P on a rolled-back segment asks; anywhere else the machine says why not, at once.
    let mut staff = status(&m, "staff");
    staff.phase = PhaseShown::RolledBack;
    set(&mut m, staff);
    select(&mut m, "staff");
    key(&mut m, KeyCode::Char('P'));
    assert!(matches!(
        &m.dialog,
        Some(Dialog::Confirm { action: Action::Replan, title, .. }) if title == "Re-plan staff?"
    ));
    assert_eq!(
        key(&mut m, KeyCode::Enter),
        vec![Effect::Apply {
            segment: "staff".into(),
            action: Action::Replan,
            reason: None,
            expect: Some(Phase::RolledBack),
        }]
    );
    select(&mut m, "eu-customers");
    assert_eq!(
        key(&mut m, KeyCode::Char('P')),
        vec![Effect::Apply {
            segment: "eu-customers".into(),
            action: Action::Replan,
            reason: None,
            expect: Some(Phase::Cutover),
        }]
    );
    key(&mut m, KeyCode::Char('?'));
    let help = text(&render(&m));
    assert!(help.contains("P re-plan a rolled-back segment"), "{help}");
    assert!(
        help.contains("T send a segment in gate back to test"),
        "{help}"
    );
}

/// The hint line (the last line) of a screen.
fn hints(m: &Model) -> String {
    text(&render(m))
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_hint_line_starts_with_help_and_quit_and_drops_whole_hints() {
    for (w, h) in [(80, 24), (100, 30), (160, 48), (200, 60), (24, 10)] {
        let mut m = model(w, h);
        let line = hints(&m);
        assert!(line.starts_with(" ? help  q quit"), "{w}: {line}");
        // Every hint shown is whole: the line ends with a hint's last word.
        let shorts: Vec<&str> = cutover::tui::keys::footer_for(Screen::Overview, false)
            .iter()
            .map(|h| h.short)
            .collect();
        assert!(shorts.iter().any(|s| line.ends_with(s)), "{w}: {line}");
        select(&mut m, "eu-customers");
        key(&mut m, KeyCode::Enter);
        assert!(
            hints(&m).starts_with(" ? help  q Esc back"),
            "{w}: {}",
            hints(&m)
        );
    }
}

#[test]
fn the_needs_you_title_is_never_cut() {
    for (w, h) in [(80, 24), (160, 48), (200, 60)] {
        let mut m = model(w, h);
        m.glance.needs.clear();
        let screen = text(&render(&m));
        let title = screen
            .lines()
            .find(|l| l.contains("Needs you"))
            .expect("the panel");
        assert!(
            title.contains("Needs you · nothing ─")
                || title.contains("or source ─")
                || title.contains("guard or source ─"),
            "{w}: {title}"
        );
        let m = model(w, h);
        let screen = text(&render(&m));
        let title = screen
            .lines()
            .find(|l| l.contains("Needs you"))
            .expect("panel");
        assert!(
            title.contains("Needs you (3) ─")
                || title.contains("selects each ─")
                || title.contains("acts on it ─"),
            "{w}: {title}"
        );
    }
}

#[test]
fn at_100_columns_the_table_keeps_finish_and_gates() {
    let m = model(100, 30);
    let screen = text(&render(&m));
    let header = screen.lines().nth(2).expect("the table's header");
    for column in [
        "SEGMENT",
        "PHASE",
        "MIGRATED",
        "PROJECTED",
        "Δ PTS",
        "FINISH",
        "GATES",
    ] {
        assert!(header.contains(column), "{column}: {header}");
    }
    // At 80 the least important go, one at a time, and the row still carries its badge.
    let m = model(80, 24);
    let screen = text(&render(&m));
    let apac = screen.lines().find(|l| l.contains("apac")).expect("apac");
    assert!(apac.contains("✗ rollback failed"), "{apac}");
}

#[test]
fn events_say_guard_failed_as_a_warning_and_count_checks_in_words() {
    let mut m = model(160, 48);
    let mut body = NewEvent::new(
        cutover::sample_project::now(),
        "eu-customers",
        Action::GuardFailed,
        "auto",
    );
    body.from = Some(Phase::Cutover);
    body.detail = Some("login failure rate ≤ 2 %: 0.09 > max 0.02".into());
    append(&mut m, body);
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Tab);
    let last = m.log_lines.last().expect("the guard's event");
    assert!(last.text.contains("guard-failed ⚠"), "{}", last.text);
    assert!(!last.text.contains('✓'), "{}", last.text);
    assert_eq!(last.tone, Tone::Danger);
    // One check is "1 check".
    let mut m = model(160, 48);
    let mut latam = status(&m, "latam");
    latam.checks.truncate(1);
    latam.hold = None;
    set(&mut m, latam);
    select(&mut m, "latam");
    key(&mut m, KeyCode::Char('a'));
    match &m.dialog {
        Some(Dialog::Confirm { lines, .. }) => {
            assert!(lines[1].starts_with("runs 1 check first"), "{lines:?}")
        }
        other => panic!("{other:?}"),
    }
}
