//! The overview: one row per segment. Only the rows that fit are drawn, straight into the
//! buffer: a ratatui `Table` styles every cell's area on every frame, which costs more than the
//! text itself at 1,000 segments (see `benches/frames.rs`).

use super::tone;
use crate::tui::app::{Model, Row};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders};
use unicode_width::UnicodeWidthStr;

/// A column: header, width, alignment, and the text and style of a row's cell.
struct Column {
    title: &'static str,
    /// The most it takes (a longer cell is cut); it takes less when no row needs it all.
    width: u16,
    /// Columns are dropped one at a time, from the highest priority number down, while the
    /// table does not fit (0: never dropped).
    priority: u8,
    right: bool,
    /// Borrows the row: no allocation per cell per frame.
    cell: for<'a> fn(&'a Row, &Theme) -> (&'a str, Style),
}

fn fg(c: ratatui::style::Color) -> Style {
    Style::default().fg(c)
}

const COLUMNS: [Column; 11] = [
    Column {
        title: "SEGMENT",
        width: 16,
        priority: 0,
        right: false,
        cell: |r, t| (&r.id, fg(t.text)),
    },
    Column {
        title: "STRATEGY",
        width: 8,
        priority: 6,
        right: false,
        cell: |r, t| (r.strategy.as_str(), fg(t.muted)),
    },
    Column {
        title: "PHASE",
        width: 17,
        priority: 0,
        right: false,
        cell: |r, t| {
            (
                &r.phase_label,
                fg(t.phase(r.phase)).add_modifier(Modifier::BOLD),
            )
        },
    },
    Column {
        title: "SIZE",
        width: 9,
        priority: 5,
        right: true,
        cell: |r, t| (&r.size, fg(t.text)),
    },
    Column {
        title: "MIGRATED",
        width: 8,
        priority: 0,
        right: true,
        cell: |r, t| (&r.migrated, fg(t.text)),
    },
    Column {
        title: "PROJECTED",
        width: 9,
        priority: 2,
        right: true,
        cell: |r, t| (&r.projected, fg(t.muted)),
    },
    Column {
        title: "Δ PTS",
        width: 6,
        priority: 1,
        right: true,
        cell: |r, t| (&r.deviation, fg(if r.behind { t.danger } else { t.text })),
    },
    Column {
        title: "FINISH",
        width: 10,
        priority: 3,
        right: false,
        cell: |r, t| (&r.finish, fg(if r.finish_late { t.danger } else { t.text })),
    },
    Column {
        title: "GATES",
        width: 19,
        priority: 4,
        right: false,
        cell: |r, t| (&r.gates, fg(if r.gates_fail { t.danger } else { t.ok })),
    },
    Column {
        title: "TREND",
        width: 10,
        priority: 7,
        right: false,
        cell: |r, t| (&r.spark, fg(t.chart_actual)),
    },
    Column {
        title: "",
        // Takes what is left; 12 is what it needs to be worth showing.
        width: 12,
        priority: 0,
        right: false,
        cell: |r, t| match &r.badge {
            Some((b, tn)) => (b.as_str(), tone(t, *tn)),
            None => ("", Style::default()),
        },
    },
];

/// Each column's width for these rows: its widest cell or title, at most its `width`. The
/// badge (last) counts at most 12, what it needs to be worth showing; it takes what is left.
/// Worked out with the rows, in update, not per frame.
pub fn table_widths(rows: &[Row], theme: &Theme) -> Vec<u16> {
    COLUMNS
        .iter()
        .map(|c| {
            let widest = rows
                .iter()
                .map(|r| (c.cell)(r, theme).0.width())
                .max()
                .unwrap_or(0)
                .max(c.title.width());
            u16::try_from(widest).unwrap_or(u16::MAX).min(c.width)
        })
        .collect()
}

/// The columns that fit in `width`, each with its width: the least important is dropped, one
/// at a time, only while the rest does not fit.
fn visible_columns(width: u16, widths: &[u16]) -> Vec<(&'static Column, u16)> {
    let mut cols: Vec<(&Column, u16)> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| (c, widths.get(i).copied().unwrap_or(c.width)))
        .collect();
    loop {
        let need: u32 = cols.iter().map(|(_, w)| u32::from(*w) + 1).sum();
        if need <= u32::from(width) + 1 {
            return cols;
        }
        let Some(drop) = cols
            .iter()
            .enumerate()
            .filter(|(_, (c, _))| c.priority > 0)
            .max_by_key(|(_, (c, _))| c.priority)
            .map(|(i, _)| i)
        else {
            return cols;
        };
        cols.remove(drop);
    }
}

/// A line of the table's body: a segment's row, or the heading of a strategy's group.
#[derive(Debug, PartialEq)]
enum BodyLine {
    Row(usize),
    Group(String),
}

/// The body's lines: the rows, each group headed by "── slow · 4 segments" when grouped.
fn display_lines(model: &Model) -> Vec<BodyLine> {
    let mut lines = Vec::with_capacity(model.rows.len() + 3);
    for (i, r) in model.rows.iter().enumerate() {
        if model.prefs.group && (i == 0 || model.rows[i - 1].strategy != r.strategy) {
            let n = model.rows[i..]
                .iter()
                .take_while(|x| x.strategy == r.strategy)
                .count();
            let s = if n == 1 { "" } else { "s" };
            lines.push(BodyLine::Group(format!(
                "── {} · {n} segment{s}",
                r.strategy.as_str()
            )));
        }
        lines.push(BodyLine::Row(i));
    }
    lines
}

/// " · by phase, grouped by strategy": the order, when it is not the project file's.
fn order_note(model: &Model) -> String {
    model
        .prefs
        .order()
        .map_or_else(String::new, |o| format!(" · {o}"))
}

/// Draw one line of cells at row `y`.
fn draw_cells<'a>(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    y: u16,
    cols: &[(&Column, u16)],
    cell: impl Fn(&Column) -> (&'a str, Style),
) {
    let mut x = area.x;
    for (i, (c, width)) in cols.iter().enumerate() {
        if x >= area.right() {
            break;
        }
        let room = area.right() - x;
        let w = if i + 1 == cols.len() {
            room
        } else {
            (*width).min(room)
        };
        let (text, style) = cell(c);
        let tw = (text.width() as u16).min(w);
        let at = if c.right { x + w - tw } else { x };
        buf.set_stringn(at, y, text, usize::from(w), style);
        x = x.saturating_add(w + 1);
    }
}

pub fn render(frame: &mut Frame<'_>, model: &Model, theme: &Theme, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.muted))
        .title(Span::styled(
            format!(
                " Segments ({}){}{} ",
                model.rows.len(),
                order_note(model),
                model.segment_filter.note()
            ),
            Style::default()
                .fg(theme.accent)
                .add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let cols = visible_columns(inner.width, &model.table_widths);
    let lines = display_lines(model);
    let visible = usize::from(inner.height.saturating_sub(1)).max(1);
    let at = lines
        .iter()
        .position(|l| *l == BodyLine::Row(model.selected))
        .unwrap_or(0);
    let offset = (at + 1).saturating_sub(visible);
    let end = (offset + visible).min(lines.len());
    let selected_style = if theme.colored {
        Style::default()
            .bg(theme.selected)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    let header = Style::default()
        .fg(theme.muted)
        .add_modifier(Modifier::BOLD);
    let buf = frame.buffer_mut();
    draw_cells(buf, inner, inner.y, &cols, |c| (c.title, header));
    for (i, line) in lines[offset.min(end)..end].iter().enumerate() {
        let y = inner.y + 1 + i as u16;
        if y >= inner.bottom() {
            break;
        }
        let index = match line {
            BodyLine::Row(index) => *index,
            BodyLine::Group(label) => {
                buf.set_stringn(inner.x, y, label, usize::from(inner.width), header);
                continue;
            }
        };
        let r = &model.rows[index];
        if index == model.selected {
            buf.set_style(
                Rect {
                    y,
                    height: 1,
                    ..inner
                },
                selected_style,
            );
        }
        draw_cells(buf, inner, y, &cols, |c| (c.cell)(r, theme));
    }
    if model.rows.is_empty() && inner.height > 1 {
        let msg = match model.segment_filter.active() {
            "" => " no segments: add [[segments]] to cutover.toml".to_string(),
            f => format!(" no segment matches '{f}' (Esc clears the filter)"),
        };
        buf.set_stringn(
            inner.x,
            inner.y + 1,
            msg,
            usize::from(inner.width),
            Style::default().fg(theme.muted),
        );
    }
}
