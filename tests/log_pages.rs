//! The log in pages (issue 24): a subscribe ships the newest 1,000 events, not the whole log;
//! a client reads older pages with `before` and `limit`; and the cockpit reads the page before
//! its oldest line when the lead moves past it, keeping every page read when a new snapshot
//! comes. The engine runs on the in-memory store, so 2,500 events cost no disk.

#[path = "common/cockpit.rs"]
mod cockpit;
mod common;

use chrono::{TimeZone, Utc};
use crossterm::event::KeyCode;
use cutover::engine::view::LOG_PAGE;
use cutover::engine::{Command, Engine};
use cutover::model::Action;
use cutover::owner::protocol::Role;
use cutover::owner::{Owner, OwnerOptions, StopMode};
use cutover::store::memory::MemStore;
use cutover::tui::app::Screen;
use cutover::tui::update::{Effect, Input, update};

const EVENTS: u64 = 2_500;

/// An engine on memory with a log of [`EVENTS`] events (pause, resume, ... of `eu`).
fn busy_engine(dir: &std::path::Path) -> Engine {
    common::write_project(
        dir,
        "[project]\nname = \"Paged\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 1000\nlogin_probability = 0.1\ngoal = 0.9\n",
    );
    let (project, _) = cutover::config::load(dir).expect("project");
    let mut engine = Engine::new(project, dir.to_path_buf(), MemStore::new(dir)).expect("engine");
    let t0 = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
    for i in 0..EVENTS {
        let action = if i % 2 == 0 {
            Action::Pause
        } else {
            Action::Resume
        };
        let cmd = Command {
            segment: "eu".into(),
            action,
            actor: "lead".into(),
            reason: Some(format!("round {i}")),
            expect: None,
        };
        engine
            .request(&cmd, t0 + chrono::Duration::minutes(i as i64))
            .expect("pause or resume");
    }
    assert_eq!(engine.events().len() as u64, EVENTS);
    engine
}

fn seqs(events: &[cutover::model::Event]) -> (u64, u64, usize) {
    (
        events.first().map_or(0, |e| e.seq),
        events.last().map_or(0, |e| e.seq),
        events.len(),
    )
}

#[test]
fn a_subscribe_ships_the_newest_page_and_older_pages_are_read_by_number() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = busy_engine(dir.path());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let mut options = OwnerOptions::new(Role::Command);
        options.serve = false;
        let owner = Owner::start(engine, options).expect("owner");
        let mut session = owner.connect(None).await;
        let snapshot = session.subscribe(false).await.expect("subscribe");
        assert_eq!(seqs(&snapshot.events), (1_501, 2_500, LOG_PAGE));
        let page = session
            .log_page(None, Some(1_501), 1_000)
            .await
            .expect("page");
        assert_eq!(seqs(&page), (501, 1_500, 1_000));
        let first = session
            .log_page(None, Some(501), 1_000)
            .await
            .expect("page");
        assert_eq!(seqs(&first), (1, 500, 500), "the first page is short");
        let capped = session.log_page(None, None, 50_000).await.expect("page");
        assert_eq!(capped.len(), LOG_PAGE, "a page holds at most {LOG_PAGE}");
        let none = session.log_page(None, Some(1), 10).await.expect("page");
        assert!(none.is_empty(), "nothing is before event 1");
        // Without paging, the whole log, as every client before paging asked.
        assert_eq!(
            seqs(&session.log(None).await.expect("log")),
            (1, 2_500, 2_500)
        );
        drop(session);
        owner.stop(StopMode::Now).await.expect("stop");
    });
}

#[test]
fn the_cockpit_reads_older_pages_as_the_lead_scrolls_past_its_oldest_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = busy_engine(dir.path());
    let now = Utc.timestamp_opt(1_790_000_000, 0).unwrap() + chrono::Duration::days(3);
    let snapshot = engine.snapshot(now).expect("snapshot");
    let mut m = cutover::tui::app::Model::new(
        snapshot,
        vec![cutover::tui::theme::Theme::default_theme()],
        now,
        (160, 48),
    );
    while m.screen != Screen::Log {
        cockpit::key(&mut m, KeyCode::Tab);
    }
    let title = cockpit::text(&cockpit::render(&m));
    assert!(
        title.contains("1000 of the newest 1000, 2500 in all"),
        "the title says the log is partial:\n{title}"
    );
    // To the oldest line held: the page before it is asked for, once.
    let effects = cockpit::key(&mut m, KeyCode::Home);
    assert!(
        matches!(effects.as_slice(), [Effect::OlderLog { before: 1_501 }]),
        "{effects:?}"
    );
    assert!(m.older_asked);
    assert!(
        cockpit::key(&mut m, KeyCode::Up).is_empty(),
        "asked once: further keys wait for the page"
    );
    let older = engine.events()[500..1_500].to_vec();
    update(&mut m, Input::OlderEvents(older));
    assert_eq!(seqs(&m.snapshot.events), (501, 2_500, 2_000));
    assert!(!m.older_asked);
    // The selection stayed on the line it was on: event 1501, now in the middle.
    let selected = m.log_lines.len() - 1 - m.log_selected_from_bottom;
    assert_eq!(m.log_lines[selected].seq, 1_501);
    // A new snapshot keeps the pages read so far above its own.
    let fresh = engine.snapshot(now).expect("snapshot");
    update(&mut m, Input::Refreshed(Box::new(fresh)));
    assert_eq!(seqs(&m.snapshot.events), (501, 2_500, 2_000));
}
