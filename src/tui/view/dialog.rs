//! Dialogs: confirm an action (a rollback in the danger colour, with its reason typed in),
//! decide a request waiting for approval, or confirm quitting while a hook runs.

use super::centered;
use crate::tui::app::Dialog;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn render(frame: &mut Frame<'_>, dialog: &Dialog, theme: &Theme, area: Rect) {
    let (title, mut lines, color, hint) = match dialog {
        Dialog::Confirm {
            title,
            lines,
            danger,
            reason,
            reason_required,
            ..
        } => confirm(
            theme,
            title,
            lines,
            *danger,
            reason.as_deref(),
            *reason_required,
        ),
        Dialog::Decide(d) => confirm(
            theme,
            &d.title,
            &d.lines,
            !d.approve,
            Some(&d.reason),
            !d.approve,
        ),
        Dialog::Quit { running, guarded } => {
            let mut out = Vec::new();
            if !running.is_empty() {
                out.push(Line::from(Span::styled(
                    " Hooks are still running:",
                    Style::default().fg(theme.text),
                )));
                out.extend(running.iter().map(|r| {
                    Line::from(Span::styled(
                        format!("  • {r}"),
                        Style::default().fg(theme.warn),
                    ))
                }));
                out.push(Line::from(Span::styled(
                    " Quitting now leaves them without a recorded outcome (shown as pending next time).",
                    Style::default().fg(theme.muted),
                )));
            }
            if !guarded.is_empty() {
                out.push(Line::from(Span::styled(
                    format!(
                        " In cutover, guarded by this cockpit: {}",
                        guarded.join(", ")
                    ),
                    Style::default().fg(theme.danger),
                )));
                out.push(Line::from(Span::styled(
                    " Quitting stops its guard: unless another cockpit or a watch is attached to take over, nothing guards them (status says \"unguarded since\"). Keep one guarding with `cutover watch` on a machine that stays up.",
                    Style::default().fg(theme.muted),
                )));
            }
            let title = if guarded.is_empty() {
                "Quit while a hook runs?"
            } else {
                "Quit and leave segments unguarded?"
            };
            (title.to_string(), out, theme.warn, " y/⏎ quit · n/Esc stay")
        }
    };
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        hint,
        Style::default().fg(theme.muted),
    )));
    // As tall as its lines once wrapped in the dialog's width.
    let inner = usize::from(area.width.min(64).saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let popup = centered(
        area,
        64,
        u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2),
    );
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(Style::default().fg(color).add_modifier(Modifier::BOLD))
                .title(Span::styled(
                    format!(" {title} "),
                    Style::default().fg(color).add_modifier(Modifier::BOLD),
                )),
        ),
        popup,
    );
}

/// A confirmation's title, lines, colour and hint: an action's, or a decision on a request
/// waiting for approval (a rejection in the danger colour, its reason required).
fn confirm(
    theme: &Theme,
    title: &str,
    lines: &[String],
    danger: bool,
    reason: Option<&str>,
    reason_required: bool,
) -> (String, Vec<Line<'static>>, Color, &'static str) {
    let color = if danger { theme.danger } else { theme.accent };
    let mut out: Vec<Line> = lines
        .iter()
        .map(|l| {
            Line::from(Span::styled(
                format!(" {l}"),
                Style::default().fg(theme.text),
            ))
        })
        .collect();
    let hint = match reason {
        Some(r) => {
            out.push(Line::from(""));
            out.push(Line::from(vec![
                Span::styled(
                    " Reason: ",
                    Style::default().fg(color).add_modifier(Modifier::BOLD),
                ),
                Span::styled(format!("{r}▏"), Style::default().fg(theme.text)),
            ]));
            if reason_required {
                " type a reason · ⏎ confirm · Esc cancel"
            } else {
                " reason (optional) · ⏎ confirm · Esc cancel"
            }
        }
        None => " y/⏎ confirm · n/Esc cancel",
    };
    (title.to_string(), out, color, hint)
}
