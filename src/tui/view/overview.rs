//! The overview: one row per segment. Only the rows that fit are built.

use super::tone;
use crate::tui::app::{Model, Row};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row as TableRow, Table};

/// A column: header, width, and how to draw a row's cell.
struct Column {
    title: &'static str,
    width: u16,
    /// Columns are dropped from the highest priority number down when the screen is narrow.
    priority: u8,
    cell: fn(&Row, &Theme) -> Cell<'static>,
}

fn text(s: &str, color: ratatui::style::Color) -> Cell<'static> {
    Cell::from(Span::styled(s.to_string(), Style::default().fg(color)))
}

fn right(s: &str, color: ratatui::style::Color) -> Cell<'static> {
    Cell::from(Line::from(Span::styled(s.to_string(), Style::default().fg(color))).right_aligned())
}

const COLUMNS: [Column; 11] = [
    Column {
        title: "SEGMENT",
        width: 16,
        priority: 0,
        cell: |r, t| text(&r.id, t.text),
    },
    Column {
        title: "STRATEGY",
        width: 8,
        priority: 4,
        cell: |r, t| text(r.strategy, t.muted),
    },
    Column {
        title: "PHASE",
        width: 17,
        priority: 0,
        cell: |r, t| {
            Cell::from(Span::styled(
                format!("● {}", r.phase),
                Style::default()
                    .fg(t.phase(r.phase))
                    .add_modifier(Modifier::BOLD),
            ))
        },
    },
    Column {
        title: "SIZE",
        width: 9,
        priority: 3,
        cell: |r, t| right(&r.size, t.text),
    },
    Column {
        title: "MIGRATED",
        width: 8,
        priority: 0,
        cell: |r, t| right(&r.migrated, t.text),
    },
    Column {
        title: "PROJECTED",
        width: 9,
        priority: 1,
        cell: |r, t| right(&r.projected, t.muted),
    },
    Column {
        title: "Δ PTS",
        width: 6,
        priority: 1,
        cell: |r, t| right(&r.deviation, if r.behind { t.danger } else { t.text }),
    },
    Column {
        title: "FINISH",
        width: 10,
        priority: 2,
        cell: |r, t| text(&r.finish, t.text),
    },
    Column {
        title: "GATES",
        width: 19,
        priority: 2,
        cell: |r, t| text(&r.gates, if r.gates_fail { t.danger } else { t.ok }),
    },
    Column {
        title: "TREND",
        width: 10,
        priority: 5,
        cell: |r, t| text(&r.spark, t.chart_actual),
    },
    Column {
        title: "",
        // Takes what is left; 12 is what it needs to be worth showing.
        width: 12,
        priority: 0,
        cell: |r, t| match &r.badge {
            Some((b, tn)) => Cell::from(Span::styled(b.clone(), tone(t, *tn))),
            None => Cell::from(""),
        },
    },
];

/// The columns that fit in `width` (the badge column takes what is left).
fn visible_columns(width: u16) -> Vec<&'static Column> {
    let mut max_priority = 5;
    loop {
        let cols: Vec<&Column> = COLUMNS
            .iter()
            .filter(|c| c.priority <= max_priority)
            .collect();
        let need: u16 = cols.iter().map(|c| c.width + 1).sum();
        if need <= width || max_priority == 0 {
            return cols;
        }
        max_priority -= 1;
    }
}

pub fn render(frame: &mut Frame<'_>, model: &Model, theme: &Theme, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.muted))
        .title(Span::styled(
            format!(" Segments ({}) ", model.rows.len()),
            Style::default()
                .fg(theme.accent)
                .add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let cols = visible_columns(inner.width);
    let visible = usize::from(inner.height.saturating_sub(1)).max(1);
    let offset = (model.selected + 1).saturating_sub(visible);
    let end = (offset + visible).min(model.rows.len());
    let selected_style = if theme.colored {
        Style::default()
            .bg(theme.selected)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    let rows = model.rows[offset.min(end)..end]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let row = TableRow::new(cols.iter().map(|c| (c.cell)(r, theme)));
            if offset + i == model.selected {
                row.style(selected_style)
            } else {
                row
            }
        });
    let header = TableRow::new(cols.iter().map(|c| {
        Cell::from(Span::styled(
            c.title,
            Style::default()
                .fg(theme.muted)
                .add_modifier(Modifier::BOLD),
        ))
    }));
    let widths = cols.iter().map(|c| {
        if c.title.is_empty() {
            Constraint::Min(0)
        } else {
            Constraint::Length(c.width)
        }
    });
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    frame.render_widget(table, inner);
    if model.rows.is_empty() {
        let msg = if model.active_filter().is_empty() {
            " no segments: add [[segments]] to cutover.toml".to_string()
        } else {
            format!(
                " no segment matches '{}' (Esc clears the filter)",
                model.active_filter()
            )
        };
        let r = Rect {
            y: inner.y + 1.min(inner.height.saturating_sub(1)),
            height: 1,
            ..inner
        };
        frame.render_widget(Span::styled(msg, Style::default().fg(theme.muted)), r);
    }
}
