//! Segment detail: the adoption chart (actual vs projection vs goal, finish marker, the
//! forecast's range as a band) beside the gate criteria and the segment's recent events, under
//! a title, the plan against the fit, and where the data speaks of it, the plan against the
//! data on who will not return. The series are already downsampled.

use super::legend::Corner;
use crate::model::Status;
use crate::tui::app::Model;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph, Wrap};

pub fn render(frame: &mut Frame<'_>, model: &Model, theme: &Theme, area: Rect) {
    let Some(d) = &model.detail else {
        frame.render_widget(
            Paragraph::new(Span::styled(
                " no segment selected",
                Style::default().fg(theme.muted),
            )),
            area,
        );
        return;
    };
    let mut title_lines = vec![
        Line::from(Span::styled(
            format!(" {}", d.title),
            Style::default()
                .fg(theme.accent)
                .add_modifier(Modifier::BOLD),
        )),
        Line::from(Span::styled(
            format!(" {}", d.subtitle),
            Style::default().fg(theme.muted),
        )),
    ];
    if let Some((tone, lines)) = &d.churn_line {
        let line = super::fitting(lines, area.width.saturating_sub(1));
        title_lines.push(Line::from(Span::styled(
            format!(" {line}"),
            super::tone(theme, *tone),
        )));
    }
    let [titles, body] = Layout::vertical([
        Constraint::Length(title_lines.len() as u16),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(title_lines), titles);
    let [chart_area, side] =
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(body);
    let [gates_area, events_area] =
        Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(side);

    let mut datasets = vec![
        Dataset::default()
            .name(format!("goal {:.0} %", d.goal_line[0].1))
            .marker(Marker::Dot)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(theme.chart_goal))
            .data(&d.goal_line),
    ];
    if let Some(f) = &d.finish_marker {
        datasets.push(
            Dataset::default()
                .name("finish")
                .marker(Marker::Dot)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(theme.chart_goal))
                .data(f),
        );
    }
    if let Some((low, high)) = &d.band {
        // Two edges, one legend entry.
        let edge = |data| {
            Dataset::default()
                .marker(Marker::Dot)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(theme.chart_band))
                .data(data)
        };
        datasets.push(edge(low).name("forecast range"));
        datasets.push(edge(high));
    }
    if let Some(mix) = &d.mix {
        datasets.push(
            Dataset::default()
                .name("cohort mix")
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(theme.chart_mix))
                .data(mix),
        );
    }
    if !d.projection.is_empty() {
        datasets.push(
            Dataset::default()
                .name(if d.mix.is_some() {
                    "single P"
                } else {
                    "S(D) projection"
                })
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(theme.chart_projection))
                .data(&d.projection),
        );
    }
    datasets.push(
        Dataset::default()
            .name("actual")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(
                Style::default()
                    .fg(theme.chart_actual)
                    .add_modifier(Modifier::BOLD),
            )
            .data(&d.actual),
    );
    let axis_style = Style::default().fg(theme.muted);
    let mut entries = vec![(
        format!("goal {:.0} %", d.goal_line[0].1),
        Style::default().fg(theme.chart_goal),
    )];
    if d.finish_marker.is_some() {
        entries.push(("finish".into(), Style::default().fg(theme.chart_goal)));
    }
    if d.band.is_some() {
        entries.push((
            "forecast range".into(),
            Style::default().fg(theme.chart_band),
        ));
    }
    if d.mix.is_some() {
        entries.push(("cohort mix".into(), Style::default().fg(theme.chart_mix)));
    }
    if !d.projection.is_empty() {
        let name = if d.mix.is_some() {
            "single P"
        } else {
            "S(D) projection"
        };
        entries.push((name.into(), Style::default().fg(theme.chart_projection)));
    }
    entries.push((
        "actual".into(),
        Style::default()
            .fg(theme.chart_actual)
            .add_modifier(Modifier::BOLD),
    ));
    let chart = Chart::new(datasets)
        .legend_position(None)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(axis_style)
                .title(Span::styled(
                    " Adoption · days since cutover ",
                    Style::default().fg(theme.accent),
                )),
        )
        .x_axis(
            Axis::default()
                .style(axis_style)
                .bounds([0.0, d.x_max])
                .labels(d.x_labels.clone()),
        )
        .y_axis(
            Axis::default()
                .style(axis_style)
                .bounds([0.0, 100.0])
                .labels(["0%", "50%", "100%"]),
        );
    frame.render_widget(chart, chart_area);
    let inner = Block::default().borders(Borders::ALL).inner(chart_area);
    super::legend::render(frame, &entries, axis_style, inner, Corner::BottomRight);

    let verdict = |v: &crate::model::gate::Verdict| {
        let (mark, color) = match v.status {
            Status::Pass => ("✓", theme.ok),
            Status::Fail => ("✗", theme.danger),
            Status::Unknown => ("?", theme.warn),
        };
        Line::from(vec![
            Span::styled(format!(" {mark} {}", v.name), Style::default().fg(color)),
            Span::styled(format!("  {}", v.reason), Style::default().fg(theme.muted)),
        ])
    };
    let mut gate_lines: Vec<Line> = if d.gates.is_empty() {
        vec![Line::from(Span::styled(
            " ✓ no criteria (passes)",
            Style::default().fg(theme.ok),
        ))]
    } else {
        d.gates.iter().map(verdict).collect()
    };
    if !d.checks.is_empty() {
        let when = d
            .checks_at
            .as_ref()
            .map_or_else(|| "never run".to_string(), |t| format!("ran {t}"));
        gate_lines.push(Line::from(Span::styled(
            format!(" test checks ({when}; c re-runs)"),
            Style::default().fg(theme.accent),
        )));
        gate_lines.extend(d.checks.iter().map(verdict));
    }
    for (t, text) in d.alerts.iter().chain(&d.sources) {
        gate_lines.push(Line::from(Span::styled(
            format!(" {text}"),
            super::tone(theme, *t),
        )));
    }
    frame.render_widget(
        Paragraph::new(gate_lines).wrap(Wrap { trim: true }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(axis_style)
                .title(Span::styled(
                    " Gates · checks · sources ",
                    Style::default().fg(theme.accent),
                )),
        ),
        gates_area,
    );
    let inner_h = usize::from(events_area.height.saturating_sub(2));
    let events: Vec<Line> = d.events[d.events.len().saturating_sub(inner_h)..]
        .iter()
        .map(|e| {
            Line::from(Span::styled(
                format!(" {e}"),
                Style::default().fg(theme.text),
            ))
        })
        .collect();
    frame.render_widget(
        Paragraph::new(events).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(axis_style)
                .title(Span::styled(" Events ", Style::default().fg(theme.accent))),
        ),
        events_area,
    );
}
