//! The event log: the whole audit log, newest at the bottom, filterable.

use super::tone;
use crate::tui::app::Model;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

pub fn render(frame: &mut Frame<'_>, model: &Model, theme: &Theme, area: Rect) {
    let title = if model.active_filter().is_empty() {
        format!(" Event log ({}) ", model.log_lines.len())
    } else {
        format!(
            " Event log ({}, filter '{}') ",
            model.log_lines.len(),
            model.active_filter()
        )
    };
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
    let end = model
        .log_lines
        .len()
        .saturating_sub(model.log_scroll_from_bottom);
    let start = end.saturating_sub(h);
    let lines: Vec<Line> = model.log_lines[start..end]
        .iter()
        .map(|(t, text)| {
            Line::from(Span::styled(
                text.clone(),
                tone(theme, *t).remove_modifier(Modifier::BOLD),
            ))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
