//! The cockpit drawn off-screen: the entry point through which other modules (the
//! screenshots of `cutover screenshot`) render it without reaching into its model.

use super::app::{Model, Snapshot};
use super::theme::Theme;
use super::update::{Effect, Input, update};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;

/// What an operator does before the frame is taken.
#[derive(Debug, Clone, Copy)]
pub enum Press<'a> {
    Key(KeyCode),
    /// Type each character of the text.
    Text(&'a str),
    /// Move the selection to this segment's row, as `g` then `j` would.
    Select(&'a str),
    /// Open as this user, who last looked this many events ago, 14 hours before the moment.
    LastLooked(&'a str, u64),
}

/// A segment's full chart, as the owner answers the detail screen's `chart` request.
pub type Charts<'a> = &'a dyn Fn(&str) -> Vec<(f64, f64)>;

/// Press a key; the chart the detail screen then asks for is answered by `charts` (every
/// other effect is dropped: nothing runs off-screen).
fn key(m: &mut Model, code: KeyCode, charts: Charts<'_>) {
    for effect in update(m, Input::Key(KeyEvent::new(code, KeyModifiers::NONE))) {
        if let Effect::AskChart { segment } = effect {
            let points = charts(&segment);
            update(m, Input::Chart { segment, points });
        }
    }
}

/// Draw the cockpit over `snapshot` at `now` in a `size` terminal, after `presses`, with the
/// default theme; the detail screen's full charts come from `charts`.
pub fn render(
    snapshot: Snapshot,
    now: DateTime<Utc>,
    (width, height): (u16, u16),
    presses: &[Press<'_>],
    charts: Charts<'_>,
) -> Result<Buffer, String> {
    let mut m = Model::new(snapshot, vec![Theme::default_theme()], now, (width, height));
    let key = |m: &mut Model, code| key(m, code, charts);
    for press in presses {
        match press {
            Press::Key(code) => key(&mut m, *code),
            Press::Text(text) => text.chars().for_each(|c| key(&mut m, KeyCode::Char(c))),
            Press::LastLooked(user, back) => {
                let newest = m.snapshot.events.last().map_or(0, |e| e.seq);
                let prefs = crate::model::prefs::UserPrefs {
                    seen_seq: Some(newest.saturating_sub(*back)),
                    seen_at: Some(now - chrono::Duration::hours(14)),
                    ..Default::default()
                };
                m.remember((*user).to_string(), prefs);
            }
            Press::Select(id) => {
                key(&mut m, KeyCode::Char('g'));
                for _ in 0..m.rows.len() {
                    if m.rows.get(m.selected).is_some_and(|r| r.id == *id) {
                        break;
                    }
                    key(&mut m, KeyCode::Char('j'));
                }
            }
        }
    }
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height))
        .map_err(|e| e.to_string())?;
    terminal
        .draw(|f| super::view::render(f, &m))
        .map_err(|e| e.to_string())?;
    Ok(terminal.backend().buffer().clone())
}
