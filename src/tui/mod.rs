//! The cockpit: a ratatui app over the engine.
//!
//! The UI task owns the [`app::Model`] and the [`Engine`]; `update` is pure and returns
//! effects; this driver executes them. Hooks run as tokio tasks in a `JoinSet`, so the screen
//! keeps drawing (with a spinner on the segment) while a rollback hook runs, and a hook task
//! that panics is reported, not fatal. Drawing happens only when something changed, plus a
//! 4 Hz tick for the clock and spinner. Nothing is printed while the TUI is up: tracing goes to
//! `<state dir>/cutover.log`.

mod actions;
pub mod app;
pub mod derive;
mod driver;
mod format;
pub mod keys;
pub mod theme;
pub mod update;
pub mod view;

use crate::engine::{Engine, MIGRATED};
use crate::store::StoreError;
use anyhow::{Context, Result, bail};
use app::{Model, SegmentPlan, Snapshot, Tone};
use chrono::{DateTime, Duration, Utc};
use crossterm::event::EventStream;
pub use driver::{DriveOptions, drive};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;

/// Build the snapshot the model is derived from: status, plans, the log and the series.
pub fn snapshot(engine: &Engine, now: DateTime<Utc>) -> Result<Snapshot, StoreError> {
    let status = engine.status(now)?;
    let plans = engine
        .project()
        .segments
        .iter()
        .map(|s| SegmentPlan {
            id: s.id.clone(),
            login: s.login.clone(),
            goal: s.goal,
            cutover_hook: s.hooks.cutover.as_ref().map(|h| h.describe()),
            rollback_hook: s.hooks.rollback.as_ref().map(|h| h.describe()),
            done_hook: s.hooks.done.as_ref().map(|h| h.describe()),
        })
        .collect();
    let mut series = BTreeMap::new();
    for seg in &status.segments {
        let (Some(at), Some(state)) = (seg.cutover_at, engine.project().segment(&seg.id)) else {
            continue;
        };
        let base = engine
            .state(&seg.id)
            .size_at_cutover
            .unwrap_or(state.size)
            .max(1) as f64;
        let points: Vec<(f64, f64)> = engine
            .store()
            .series(&seg.id, MIGRATED, at, now + Duration::days(1))?
            .into_iter()
            .map(|(t, v)| {
                (
                    (t - at).num_milliseconds() as f64 / 86_400_000.0,
                    (v / base).clamp(0.0, 1.0),
                )
            })
            .collect();
        series.insert(seg.id.clone(), points);
    }
    Ok(Snapshot {
        status,
        plans,
        events: engine.events().to_vec(),
        series,
    })
}

/// Pick the themes: NO_COLOR wins; then `--theme`, then the project's `theme`, else default.
pub fn themes(project_dir: &Path, wanted: Option<&str>) -> (Vec<theme::Theme>, usize, Vec<String>) {
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return (vec![theme::Theme::monochrome()], 0, Vec::new());
    }
    let (themes, mut problems) = theme::load_all(project_dir);
    let index = match wanted {
        None => 0,
        Some(name) => themes
            .iter()
            .position(|t| t.name == name)
            .unwrap_or_else(|| {
                let names: Vec<&str> = themes.iter().map(|t| t.name.as_str()).collect();
                problems.push(format!(
                    "unknown theme '{name}'; available: {}",
                    names.join(", ")
                ));
                0
            }),
    };
    (themes, index, problems)
}

/// Open the cockpit on a project until the operator quits.
pub fn run(
    engine: Engine,
    project_dir: &Path,
    theme_name: Option<&str>,
    options: DriveOptions,
) -> Result<()> {
    if !std::io::stdout().is_terminal() {
        bail!(
            "the cockpit needs a terminal; for scripts use `cutover status`, `cutover log` and the other commands"
        );
    }
    init_tracing(engine.store().dir());
    let (themes, index, problems) = themes(project_dir, theme_name);
    let runtime = crate::runtime::multi_thread().context("cannot start the async runtime")?;
    let size = crossterm::terminal::size().unwrap_or((80, 24));
    let now = options.clock.now();
    let mut model = Model::new(snapshot(&engine, now)?, themes, now, size);
    model.theme = index;
    if let Some(p) = problems.first() {
        model.status_line = Some((Tone::Warn, p.clone()));
        tracing::warn!("{}", problems.join("; "));
    }
    let mut terminal = ratatui::init();
    let result = runtime.block_on(drive(
        &mut terminal,
        EventStream::new(),
        engine,
        &mut model,
        options,
        |_| {},
    ));
    ratatui::restore();
    result
}

fn init_tracing(state_dir: &Path) {
    let path = state_dir.join("cutover.log");
    if let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .try_init();
    }
}
