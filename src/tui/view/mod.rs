//! Rendering: borrows the model and the theme, draws, never mutates or computes.
//!
//! ```text
//! ┌ header: project · legacy → target · migrated share ·················· clock ┐
//! │ body: overview table | detail (chart │ gates / events) | event log         │
//! │ status line: the last outcome or refusal, else the selected segment's alert │
//! └ footer: the keys that work here ────────────────────────────────────────────┘
//!   overlays: help (?), an event opened whole (⏎ in the log) and dialogs (confirm, quit)
//!   drawn on top
//! ```

mod detail;
mod dialog;
mod event;
mod fit;
mod glance;
mod help;
mod legend;
mod log;
mod overview;

pub use overview::table_widths;

use super::app::{Model, Screen, Tone};
use super::keys;
use super::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

/// Draw the whole cockpit.
pub fn render(frame: &mut Frame<'_>, model: &Model) {
    let theme = model.theme();
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    render_header(frame, model, theme, header);
    match model.screen {
        Screen::Overview => glance::render(frame, model, theme, body),
        Screen::Detail => detail::render(frame, model, theme, body),
        Screen::Log => log::render(frame, model, theme, body),
    }
    render_status(frame, model, theme, status);
    render_footer(frame, model, theme, footer);
    if let Some(e) = &model.event_view {
        event::render(frame, e, theme, frame.area());
    }
    if model.help {
        help::render(frame, model, theme, frame.area());
    }
    if let Some(d) = &model.dialog {
        dialog::render(frame, d, theme, frame.area());
    }
}

/// Whether the overview of a terminal this size has room for the project chart.
pub fn overview_has_chart_room(width: u16, height: u16) -> bool {
    glance::has_chart_room(width, height)
}

/// The style of a status-line tone.
pub fn tone(theme: &Theme, tone: Tone) -> Style {
    let s = Style::default();
    match tone {
        Tone::Info => s.fg(theme.text),
        Tone::Ok => s.fg(theme.ok),
        Tone::Warn => s.fg(theme.warn).add_modifier(Modifier::BOLD),
        Tone::Danger => s.fg(theme.danger).add_modifier(Modifier::BOLD),
    }
}

/// A rectangle of at most `w` × `h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn render_header(frame: &mut Frame<'_>, model: &Model, theme: &Theme, area: Rect) {
    let s = &model.snapshot.status;
    let mut route = match (&s.legacy, &s.target) {
        (Some(l), Some(t)) => format!(" · {l} → {t}"),
        _ => String::new(),
    };
    let share = s.migrated_share.map_or_else(
        || "— migrated".to_string(),
        |x| format!("{:.1} % migrated", x * 100.0),
    );
    let (ok, failing) = model.sources_health;
    let sources = match (ok, failing) {
        (0, 0) => String::new(),
        (ok, 0) => format!("{ok} sources ok · "),
        (ok, f) => format!("{ok} ok, {f} failing · "),
    };
    let clock = format!("{} ", model.now.format("%Y-%m-%d %H:%M"));
    let attached = model
        .attached
        .as_ref()
        .map_or_else(String::new, |a| format!("⇄ {a} · "));
    // Whom an attached cockpit is attached to outranks the migration's route.
    let fixed = format!(" cutover · {} · {share} ", s.project)
        .chars()
        .count();
    let wanted = fixed + route.chars().count() + attached.chars().count() + clock.chars().count();
    if !attached.is_empty() && wanted > usize::from(area.width) {
        route.clear();
    }
    let left = vec![
        Span::styled(
            " cutover",
            Style::default()
                .fg(theme.accent)
                .add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!(" · {}{route}", s.project),
            Style::default().fg(theme.text),
        ),
        match (s.state_unreachable_since, s.notify_failing.first()) {
            // Nothing guards a segment in cutover: that outranks every other warning.
            _ if model.unguarded.is_some() => Span::styled(
                format!(" · ⚠ {}", model.unguarded.as_deref().unwrap_or_default()),
                Style::default()
                    .fg(theme.danger)
                    .add_modifier(Modifier::BOLD),
            ),
            (None, Some(f)) => Span::styled(
                format!(" · ⚠ notify '{}' failing ({} waiting)", f.sink, f.pending),
                Style::default()
                    .fg(theme.danger)
                    .add_modifier(Modifier::BOLD),
            ),
            _ => match s.state_unreachable_since {
                Some(since) => Span::styled(
                    format!(
                        " · ⚠ state database unreachable since {}",
                        since.format("%H:%M:%S")
                    ),
                    Style::default()
                        .fg(theme.danger)
                        .add_modifier(Modifier::BOLD),
                ),
                None => Span::styled(
                    format!(" · {share}"),
                    Style::default().fg(theme.text).add_modifier(Modifier::BOLD),
                ),
            },
        },
    ];
    let mut left = left;
    if let Some(d) = &s.decommission {
        // The switch-off view, when the project asks for it: ready, or what holds it back
        // (`status` and the report say why and since when).
        left.push(if d.ready {
            Span::styled(
                " · legacy: ready to switch off",
                Style::default().fg(theme.ok),
            )
        } else {
            let back: Vec<&str> = d
                .conditions
                .iter()
                .filter(|c| !c.holds)
                .map(|c| c.name.as_str())
                .collect();
            Span::styled(
                format!(" · legacy held by {}", back.join(", ")),
                Style::default().fg(theme.warn),
            )
        });
    }
    if let Some((words, tone)) = crate::tui::windows::header(model) {
        let color = if tone == crate::tui::app::Tone::Ok {
            theme.ok
        } else {
            theme.warn
        };
        left.push(Span::styled(
            format!(" · {words}"),
            Style::default().fg(color),
        ));
    }
    let left_width: usize = left.iter().map(|s| s.content.chars().count()).sum();
    frame.render_widget(Paragraph::new(Line::from(left)), area);
    // The right side (source health, clock) only where it fits beside the left.
    let room = usize::from(area.width).saturating_sub(left_width + 1);
    let right = [
        format!("{attached}{sources}{clock}"),
        format!("{attached}{clock}"),
        format!("{sources}{clock}"),
        clock,
    ]
    .into_iter()
    .find(|r| r.chars().count() <= room);
    if let Some(right) = right {
        let w = right.chars().count() as u16;
        let r = Rect {
            x: area.right().saturating_sub(w),
            width: w,
            ..area
        };
        let color = if failing > 0 {
            theme.danger
        } else {
            theme.muted
        };
        frame.render_widget(
            Paragraph::new(Span::styled(right, Style::default().fg(color))),
            r,
        );
    }
}

fn render_status(frame: &mut Frame<'_>, model: &Model, theme: &Theme, area: Rect) {
    if let Some(input) = model.typing_filter() {
        let line = Line::from(vec![
            Span::styled(
                " / ",
                Style::default()
                    .fg(theme.accent)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!("{input}▏"), Style::default().fg(theme.text)),
            Span::styled("  ⏎ keep · Esc clear", Style::default().fg(theme.muted)),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let (t, text) = match &model.status_line {
        Some((t, text)) => (*t, text.clone()),
        None => match (
            model.screen,
            model.rows.get(model.selected),
            model.selected_status(),
        ) {
            (Screen::Log, _, _) | (_, None, _) | (_, _, None) => (Tone::Info, String::new()),
            (_, Some(row), Some(seg)) => match &row.alert {
                Some((t, text)) => (*t, format!("{} {text}", seg.id)),
                None if seg.behind => (
                    Tone::Danger,
                    format!(
                        "{} ▼ {:.1} points behind its projection",
                        seg.id,
                        -seg.deviation_points.unwrap_or_default()
                    ),
                ),
                None => (Tone::Info, String::new()),
            },
        },
    };
    // The screen's own title says which filter is in force.
    let spans = vec![Span::styled(format!(" {text}"), tone(theme, t))];
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The hint line: `? help` and `q quit` first, then as many whole hints as fit (a hint is
/// dropped whole, never cut in a word).
fn render_footer(frame: &mut Frame<'_>, model: &Model, theme: &Theme, area: Rect) {
    let mut spans = Vec::new();
    let mut used = 0;
    for h in keys::footer_for(model.screen, model.viewer) {
        let key = format!(" {}", h.keys);
        let what = format!(" {} ", h.short);
        let w = key.width() + what.width();
        if used + w > usize::from(area.width) {
            break;
        }
        used += w;
        spans.push(Span::styled(
            key,
            Style::default()
                .fg(theme.accent)
                .add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled(what, Style::default().fg(theme.muted)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The first of `candidates` (longest first) that fits in `width` cells, else the last: a
/// title gives up whole phrases, never half a word.
pub fn fitting(candidates: &[String], width: u16) -> String {
    candidates
        .iter()
        .find(|c| c.width() <= usize::from(width))
        .or(candidates.last())
        .cloned()
        .unwrap_or_default()
}
