//! The cockpit: a ratatui app, and a client of the project's owner.
//!
//! The UI task owns the [`app::Model`]; `update` is pure and returns effects; the driver sends
//! them to the owner as requests and turns the owner's updates into inputs. The owner (in this
//! process or another) runs the pollers, guards and hooks, so the screen keeps drawing (with a
//! spinner on the segment) while a rollback hook runs. Drawing happens only when something
//! changed, plus a 4 Hz tick for the clock and spinner. Nothing is printed while the TUI is
//! up: tracing goes to `<state dir>/cutover.log`.

mod actions;
pub mod app;
pub mod approvals;
pub mod derive;
pub mod detail_chart;
mod driver;
pub mod event_view;
mod format;
pub mod glance;
mod hints;
pub mod keys;
mod leave;
mod log_lines;
mod messages;
mod moving;
mod navigate;
pub mod offscreen;
mod order;
pub mod project_chart;
mod since;
pub mod theme;
pub mod update;
pub mod view;
pub mod windows;

use crate::owner::StopMode;
use crate::owner::link::Link;

use anyhow::{Result, bail};
use app::{Model, Tone};
use crossterm::event::EventStream;
pub use driver::{attached_mark, drive};
use std::io::IsTerminal;
use std::path::Path;

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

/// Fail early, before owning anything, when there is no terminal to draw on.
pub fn ensure_terminal() -> Result<()> {
    if !std::io::stdout().is_terminal() {
        bail!(
            "the cockpit needs a terminal; for scripts use `cutover status`, `cutover log` and the other commands"
        );
    }
    Ok(())
}

/// Open the cockpit on a project (owned or attached through `link`) until the operator quits.
/// An owner in this process stops when the cockpit closes; attached cockpits and `watch` take
/// over from it.
pub async fn run(mut link: Link, project_dir: &Path, theme_name: Option<&str>) -> Result<()> {
    ensure_terminal()?;
    init_tracing(&link.config.state_dir);
    let (themes, index, problems) = themes(project_dir, theme_name);
    // This user's memory: the sort they chose and where "since you last looked" starts. Asked
    // before subscribing, so no update can arrive while waiting for it (a call drops what is
    // not its answer). A state that cannot say opens the cockpit without it, and the cockpit
    // then never overwrites it.
    let memory = match link.session.prefs().await {
        Ok(memory) => Some(memory),
        Err(e) => {
            tracing::warn!("cockpit memory: {e}");
            None
        }
    };
    let snapshot = *link.session.subscribe(false).await?;
    let size = crossterm::terminal::size().unwrap_or((80, 24));
    let now = link.session.clock.now();
    let mut model = Model::new(snapshot, themes, now, size);
    model.theme = index;
    model.guards_on_quit = link.config.role != crate::owner::protocol::Role::Demo;
    model.viewer = link.session.welcome.viewer;
    model.person = link.session.welcome.person.clone();
    if let Some((user, prefs)) = memory {
        model.remember(user, prefs);
    }
    if let Some(p) = problems.first() {
        model.status_line = Some((Tone::Warn, p.clone()));
        tracing::warn!("{}", problems.join("; "));
    }
    let mut terminal = ratatui::init();
    let result = drive(
        &mut terminal,
        EventStream::new(),
        &mut link,
        &mut model,
        |_| {},
    )
    .await;
    ratatui::restore();
    let closed = link.close(StopMode::Now).await;
    result.and(closed)
}

fn init_tracing(state_dir: &Path) {
    let path = state_dir.join("cutover.log");
    // Never through a link planted as `cutover.log` (crate::files); the cockpit then runs
    // without its log file and says why before it takes the screen.
    match crate::files::append(&path) {
        Err(e) => eprintln!("cutover: no cockpit log: {e}"),
        Ok(file) => {
            let _ = tracing_subscriber::fmt()
                .with_writer(std::sync::Mutex::new(file))
                .with_ansi(false)
                .try_init();
        }
    }
}
