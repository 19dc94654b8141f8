//! An event opened whole (`Enter` in the event log), over the screen: each field labelled,
//! its text wrapped, scrolled with `↑↓`; `Esc` closes it.

use super::centered;
use crate::tui::event_view::EventView;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

pub fn render(frame: &mut Frame<'_>, e: &EventView, theme: &Theme, area: Rect) {
    let width = area.width.saturating_sub(2).min(110);
    let label = Style::default()
        .fg(theme.accent)
        .add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = e
        .fields
        .iter()
        .map(|(name, text)| {
            Line::from(vec![
                Span::styled(format!(" {name}: "), label),
                Span::styled(text.as_str(), Style::default().fg(theme.text)),
            ])
        })
        .collect();
    lines.push(Line::from(Span::styled(
        " ↑↓ scroll · Esc or ⏎ closes",
        Style::default().fg(theme.muted),
    )));
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let inner_w = width.saturating_sub(2);
    // About as many lines as the wrapped text takes (words moved whole add a few at most).
    let total: usize = e
        .fields
        .iter()
        .map(|(name, text)| (name.width() + text.width() + 3).div_ceil(usize::from(inner_w.max(1))))
        .sum::<usize>()
        + 1;
    let total = u16::try_from(total).unwrap_or(u16::MAX);
    // As tall as the event, at most the screen less a line above and below.
    let popup = centered(
        area,
        width,
        total.saturating_add(2).min(area.height.saturating_sub(2)),
    );
    let room = popup.height.saturating_sub(2);
    let scroll = e.scroll.min(total.saturating_sub(room));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        paragraph.scroll((scroll, 0)).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(Style::default().fg(theme.accent))
                .title(Span::styled(e.title.as_str(), label)),
        ),
        popup,
    );
}
