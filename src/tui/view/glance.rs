//! The overview's whole screen: the segment table, and below it, as room allows, "needs you",
//! "since you last looked" and the project chart.
//!
//! The layout gives way by priority as the terminal shrinks: the table's rows first, then what
//! needs the lead, then what happened, then the chart. A short terminal (80×24 with a few
//! segments) keeps the table as it always was, with "needs you" under it when rows leave room;
//! many segments keep at least 45 % of a tall screen for the table.
//!
//! ```text
//! ┌ Segments ──────────────────────────────────────────────────────────────┐
//! └────────────────────────────────────────────────────────────────────────┘
//! ┌ Whole migration ───────────────────────┐┌ Needs you ───────────────────┐
//! │ share over dates, plan, range, marks   │└──────────────────────────────┘
//! │                                        │┌ Since you last looked ───────┐
//! └────────────────────────────────────────┘└──────────────────────────────┘
//! ```

use super::{fit, overview, tone};
use crate::tui::app::Model;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph};
use unicode_width::UnicodeWidthStr;

/// Below this, panels are not worth drawing.
const MIN_PANEL: u16 = 3;
/// The chart needs this much of a body, at least, to be legible.
const CHART_MIN: (u16, u16) = (60, 12);

/// Whether a terminal of this size can show the project chart at all (the model skips working
/// it out otherwise).
pub fn has_chart_room(width: u16, height: u16) -> bool {
    width >= CHART_MIN.0 && height >= 30
}

pub fn render(frame: &mut Frame<'_>, model: &Model, theme: &Theme, area: Rect) {
    let groups = if model.prefs.group {
        let mut strategies: Vec<_> = model.rows.iter().map(|r| r.strategy).collect();
        strategies.dedup();
        strategies.len()
    } else {
        0
    };
    let want = lines_for(model.rows.len().max(1) + groups).saturating_add(3);
    let table_h = if area.height >= 30 {
        // Many segments: the table scrolls in 45 % of the screen, the panels keep the rest.
        want.min((u32::from(area.height) * 45 / 100) as u16)
    } else {
        want.min(area.height)
    };
    let rest = area.height.saturating_sub(table_h);
    if rest < MIN_PANEL || !model.segment_filter.active().is_empty() {
        overview::render(frame, model, theme, area);
        return;
    }
    let [table, panels] =
        Layout::vertical([Constraint::Length(table_h), Constraint::Min(0)]).areas(area);
    overview::render(frame, model, theme, table);
    let g = &model.glance;
    // "Needs you" is as tall as its items: a refusal's reason wraps onto more lines.
    let needs_h = |width: u16| {
        lines_for(
            need_lines(model, theme, width.saturating_sub(2))
                .len()
                .max(1),
        )
        .saturating_add(2)
        .min(panels.height)
    };
    let chart = g
        .chart
        .as_ref()
        .filter(|_| panels.width >= CHART_MIN.0 && panels.height >= CHART_MIN.1);
    match chart {
        Some(_) if panels.width >= 120 => {
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                    .areas(panels);
            let needs_h = needs_h(right.width).min(right.height / 2).max(MIN_PANEL);
            let [needs, since] =
                Layout::vertical([Constraint::Length(needs_h), Constraint::Min(0)]).areas(right);
            render_chart(frame, model, theme, left);
            render_needs(frame, model, theme, needs);
            render_since(frame, model, theme, since);
        }
        _ => {
            let [needs, after] = Layout::vertical([
                Constraint::Length(needs_h(panels.width)),
                Constraint::Min(0),
            ])
            .areas(panels);
            render_needs(frame, model, theme, needs);
            if after.height < MIN_PANEL {
                return;
            }
            let since_want = lines_for(g.since.len().max(1))
                .saturating_add(2)
                .min(after.height);
            if chart.is_some() && after.height >= CHART_MIN.1 + MIN_PANEL {
                let since_h = since_want.min(after.height / 3).max(MIN_PANEL);
                let [since, chart] =
                    Layout::vertical([Constraint::Length(since_h), Constraint::Min(0)])
                        .areas(after);
                render_since(frame, model, theme, since);
                render_chart(frame, model, theme, chart);
            } else {
                render_since(frame, model, theme, after);
            }
        }
    }
}

/// A count of lines as terminal rows (a terminal has fewer than `u16::MAX`).
fn lines_for(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn block<'a>(theme: &Theme, title: Span<'a>) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme.muted))
        .title(title)
}

/// The lines of "needs you" in `width` cells, each with the index of its item: one line an
/// item, cut at the edge, except an item kept whole, which wraps under its segment.
fn need_lines(model: &Model, theme: &Theme, width: u16) -> Vec<(usize, Line<'static>)> {
    let width = usize::from(width);
    let mut out = Vec::new();
    for (i, n) in model.glance.needs.iter().enumerate() {
        let key = format!(" {:<2}", n.key);
        let segment = format!("{:<15}", n.segment);
        let does = format!("{} · ", n.does);
        let prefix = key.width() + segment.width() + does.width();
        let chunks = if n.whole {
            fit::wrap_words(
                &n.what,
                width.saturating_sub(prefix).max(1),
                width.saturating_sub(3).max(1),
            )
        } else {
            vec![n.what.clone()]
        };
        let mut chunks = chunks.into_iter();
        out.push((
            i,
            Line::from(vec![
                Span::styled(
                    key,
                    Style::default()
                        .fg(theme.accent)
                        .add_modifier(Modifier::BOLD),
                ),
                Span::styled(segment, Style::default().fg(theme.text)),
                Span::styled(does, Style::default().fg(theme.muted)),
                Span::styled(chunks.next().unwrap_or_default(), tone(theme, n.tone)),
            ]),
        ));
        out.extend(chunks.map(|c| {
            (
                i,
                Line::from(Span::styled(format!("   {c}"), tone(theme, n.tone))),
            )
        }));
    }
    out
}

fn render_needs(frame: &mut Frame<'_>, model: &Model, theme: &Theme, area: Rect) {
    let needs = &model.glance.needs;
    let inner = area.width.saturating_sub(2);
    let title = if needs.is_empty() {
        Span::styled(
            super::fitting(
                &[
                    " Needs you · nothing: no failed rollback, pending hook, failing guard or source "
                        .to_string(),
                    " Needs you · nothing: no failed rollback, hook, guard or source ".to_string(),
                    " Needs you · nothing ".to_string(),
                ],
                inner,
            ),
            Style::default().fg(theme.ok),
        )
    } else {
        let t = if needs
            .iter()
            .any(|n| n.tone == crate::tui::app::Tone::Danger)
        {
            theme.danger
        } else {
            theme.warn
        };
        Span::styled(
            super::fitting(
                &[
                    format!(
                        " Needs you ({}) · n selects each, its key acts on it ",
                        needs.len()
                    ),
                    format!(" Needs you ({}) · n selects each ", needs.len()),
                    format!(" Needs you ({}) ", needs.len()),
                ],
                inner,
            ),
            Style::default().fg(t).add_modifier(Modifier::BOLD),
        )
    };
    let room = usize::from(area.height.saturating_sub(2));
    let lines = fit::fit_lines(
        need_lines(model, theme, inner),
        needs.len(),
        room,
        |n| format!(" … {n} more"),
        theme,
    );
    fit::lines_in(frame, block(theme, title), lines, area);
}

fn render_since(frame: &mut Frame<'_>, model: &Model, theme: &Theme, area: Rect) {
    let g = &model.glance;
    let room = usize::from(area.height.saturating_sub(2));
    let width = usize::from(area.width.saturating_sub(2));
    // Long lines (a refusal with its reason) wrap under the event, past the segment's column.
    let mut lines = Vec::new();
    for (i, (t, text)) in g.since.iter().enumerate() {
        if lines.len() > room {
            break;
        }
        let chunks = fit::wrap_words(
            text,
            width.saturating_sub(1).max(1),
            width.saturating_sub(16).max(1),
        );
        for (j, c) in chunks.into_iter().enumerate() {
            let indent = if j == 0 { " " } else { "                " };
            lines.push((
                i,
                Line::from(Span::styled(format!("{indent}{c}"), tone(theme, *t))),
            ));
        }
    }
    let lines = fit::fit_lines(
        lines,
        g.since.len(),
        room,
        |n| format!(" … {n} more: Tab twice for the log"),
        theme,
    );
    let title = Span::styled(g.since_title.clone(), Style::default().fg(theme.accent));
    fit::lines_in(frame, block(theme, title), lines, area);
}

fn render_chart(frame: &mut Frame<'_>, model: &Model, theme: &Theme, area: Rect) {
    let Some(c) = &model.glance.chart else {
        return;
    };
    let outer = block(
        theme,
        Span::styled(c.title.as_str(), Style::default().fg(theme.accent)),
    );
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let [plot, legend] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
    let line = |data, color, marker| {
        Dataset::default()
            .marker(marker)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(color))
            .data(data)
    };
    let dots = |data, color| {
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Scatter)
            .style(Style::default().fg(color))
            .data(data)
    };
    // An empty dataset still costs the chart a layer of its own (a grid the plot's size,
    // allocated, saved and drawn cell by cell): marks are often none, so they are left out
    // then. The legend below is drawn apart from the datasets and loses nothing.
    let mut datasets = Vec::new();
    for (marks, color) in [
        (&c.strokes.0, theme.phase_cutover),
        (&c.strokes.1, theme.danger),
    ] {
        if !marks.is_empty() {
            datasets.push(dots(marks, color));
        }
    }
    if let Some((low, high)) = &c.band {
        // Two edges, one legend entry: an unnamed dataset has none.
        datasets.push(line(low, theme.chart_band, Marker::Dot).name("forecast range"));
        datasets.push(line(high, theme.chart_band, Marker::Dot));
    }
    datasets.push(line(&c.plan, theme.chart_projection, Marker::Braille).name("plan"));
    datasets.push(
        line(&c.actual, theme.chart_actual, Marker::Braille)
            .name("actual")
            .style(
                Style::default()
                    .fg(theme.chart_actual)
                    .add_modifier(Modifier::BOLD),
            ),
    );
    let axis = Style::default().fg(theme.muted);
    let mut entries = vec![
        (
            "cutover".to_string(),
            Style::default().fg(theme.phase_cutover),
        ),
        ("rollback".to_string(), Style::default().fg(theme.danger)),
    ];
    if c.band.is_some() {
        entries.push((
            "forecast range".into(),
            Style::default().fg(theme.chart_band),
        ));
    }
    entries.push(("plan".into(), Style::default().fg(theme.chart_projection)));
    entries.push((
        "actual".into(),
        Style::default()
            .fg(theme.chart_actual)
            .add_modifier(Modifier::BOLD),
    ));
    let chart = Chart::new(datasets)
        .legend_position(None)
        .x_axis(
            Axis::default()
                .style(axis)
                .bounds([0.0, c.x_max])
                .labels(c.x_labels.clone()),
        )
        .y_axis(
            Axis::default()
                .style(axis)
                .bounds([0.0, 100.0])
                .labels(["0%", "50%", "100%"]),
        );
    frame.render_widget(chart, plot);
    super::legend::render(frame, &entries, axis, plot, super::legend::Corner::TopLeft);
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!(" {}", c.legend),
            Style::default().fg(theme.muted),
        )),
        legend,
    );
}
