//! Where the cockpit's cursor is: moving the selection (rows, pages, the log's lines), a new
//! sort or grouping that keeps the selected segment selected, and a filter that starts the
//! rows again from the first. Part of [`super::update`]'s state changes, kept apart because
//! they own the selection and nothing else.

use super::app::{Model, Screen, Tone};
use super::derive::{derive, derive_detail};
use super::keys::UiAction;
use super::update::{Effect, save_prefs, selected_id};

/// `s` and `S`: the next sort, or grouping on or off; the selected segment stays selected.
pub(super) fn resort(m: &mut Model, action: UiAction) -> Vec<Effect> {
    let keep = selected_id(m);
    if action == UiAction::CycleSort {
        m.prefs.sort = m.prefs.sort.next();
    } else {
        m.prefs.group = !m.prefs.group;
    }
    derive(m);
    if let Some(i) = keep.and_then(|id| m.rows.iter().position(|r| r.id == id)) {
        m.selected = i;
    }
    let order = m
        .prefs
        .order()
        .unwrap_or_else(|| "in file order".to_string());
    m.status_line = Some((Tone::Info, format!("rows {order}")));
    save_prefs(m)
}

pub(super) fn navigate(m: &mut Model, action: UiAction) {
    let page = usize::from(m.height.saturating_sub(8)).max(1);
    if m.screen == Screen::Log {
        let s = &mut m.log_selected_from_bottom;
        let max = m.log_lines.len().saturating_sub(1);
        *s = match action {
            UiAction::Up => (*s + 1).min(max),
            UiAction::Down => s.saturating_sub(1),
            UiAction::PageUp => (*s + page).min(max),
            UiAction::PageDown => s.saturating_sub(page),
            UiAction::Top => max,
            _ => 0,
        };
        return;
    }
    let last = m.rows.len().saturating_sub(1);
    m.selected = match action {
        UiAction::Up => m.selected.saturating_sub(1),
        UiAction::Down => (m.selected + 1).min(last),
        UiAction::PageUp => m.selected.saturating_sub(page),
        UiAction::PageDown => (m.selected + page).min(last),
        UiAction::Top => 0,
        _ => last,
    };
    if m.screen == Screen::Detail {
        derive_detail(m);
    }
}

/// A filter changed: the rows (or log lines) follow, from their first (or newest).
pub(super) fn refiltered(m: &mut Model) {
    if m.screen == Screen::Log {
        m.log_selected_from_bottom = 0;
    } else {
        m.selected = 0;
    }
    derive(m);
}
