//! The help overlay: every key that works on the current screen.

use super::centered;
use crate::tui::app::Model;
use crate::tui::keys;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn render(frame: &mut Frame<'_>, model: &Model, theme: &Theme, area: Rect) {
    let keys = keys::help_for(model.screen, model.viewer);
    let mut lines: Vec<Line> = keys
        .iter()
        .map(|h| {
            Line::from(vec![
                Span::styled(
                    format!(" {:>7} ", h.keys),
                    Style::default()
                        .fg(theme.accent)
                        .add_modifier(Modifier::BOLD),
                ),
                Span::styled(h.does, Style::default().fg(theme.text)),
            ])
        })
        .collect();
    // A blank line before the notes, where the terminal has the row for it (a row of the
    // screen stays visible beside the help).
    let notes = if model.viewer { 5 } else { 2 };
    if lines.len() + 1 + notes + 2 < usize::from(area.height) {
        lines.push(Line::from(""));
    }
    if model.viewer {
        lines.push(Line::from(Span::styled(
            " You are a viewer of this project ([access] viewers, or a",
            Style::default().fg(theme.warn),
        )));
        lines.push(Line::from(Span::styled(
            " read-only role on the team database): you may watch and save",
            Style::default().fg(theme.warn),
        )));
        lines.push(Line::from(Span::styled(
            " your marker; the action keys are hidden, and a lead acts.",
            Style::default().fg(theme.warn),
        )));
    }
    lines.push(Line::from(Span::styled(
        " In dialogs: ⏎ confirms, Esc cancels (y/n too where no reason is typed).",
        Style::default().fg(theme.muted),
    )));
    lines.push(Line::from(Span::styled(
        " ? or Esc closes this help.",
        Style::default().fg(theme.muted),
    )));
    let popup = centered(area, 72, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(Style::default().fg(theme.accent))
                .title(Span::styled(
                    " Help ",
                    Style::default()
                        .fg(theme.accent)
                        .add_modifier(Modifier::BOLD),
                )),
        ),
        popup,
    );
}
