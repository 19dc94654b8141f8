//! The event log: the whole audit log, newest at the bottom, filterable (its own filter, not
//! the overview's). One line per event, cut at the screen's edge; the selected one opens whole
//! with `Enter`.

use super::tone;
use crate::tui::app::Model;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

pub fn render(frame: &mut Frame<'_>, model: &Model, theme: &Theme, area: Rect) {
    let (held, all) = crate::tui::log_lines::held_of_all(model);
    let shown = model.log_lines.len();
    let count = match (shown == held, held as u64 == all) {
        (true, true) => format!("{all}"),
        (false, true) => format!("{shown} of {all}"),
        // The newest pages only: ↑ past the oldest line reads the page before it.
        (_, false) => format!("{shown} of the newest {held}, {all} in all · ↑ reads older"),
    };
    let title = super::fitting(
        &[
            format!(
                " Event log ({count}){} · ⏎ opens one whole ",
                model.event_filter.note()
            ),
            format!(" Event log ({count}){} ", model.event_filter.note()),
        ],
        area.width.saturating_sub(2),
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.muted))
        .title(Span::styled(
            title,
            Style::default()
                .fg(theme.accent)
                .add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let h = usize::from(inner.height);
    // The selected line, and the page that shows it with the newest lines in view.
    let selected = shown.saturating_sub(1 + model.log_selected_from_bottom);
    let (start, end) = if shown - selected <= h {
        (shown.saturating_sub(h), shown)
    } else {
        (selected, selected + h)
    };
    let selected_style = if theme.colored {
        Style::default().bg(theme.selected)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    let lines: Vec<Line> = model.log_lines[start..end]
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let style = tone(theme, l.tone).remove_modifier(Modifier::BOLD);
            let line = Line::from(Span::styled(l.text.as_str(), style));
            if start + i == selected {
                line.style(selected_style)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
