//! Terminal styles for the text renderings, by meaning (a phase, ok, warn, danger) rather than
//! by place, in the cockpit's default colours. A renderer paints with a palette; whether the
//! escapes reach the terminal is the output stream's decision (the command line prints through
//! `anstream`, which drops them when stdout is not a terminal or NO_COLOR is set). The plain
//! palette paints nothing, for files and the demo's summary.

use crate::model::PhaseShown;
use anstyle::{AnsiColor, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// Passing checks and sources, an `ok` verdict.
    pub ok: Style,
    /// Warnings: the ⚠ lines, a paused segment, an unknown check.
    pub warn: Style,
    /// Failures: a failed source, hook or check, a segment behind its projection.
    pub danger: Style,
    /// Column headers.
    pub header: Style,
    /// The colour of each phase, in `PhaseShown` order.
    phases: [Style; 7],
}

impl Palette {
    /// Styles that write no escape at all.
    pub const fn plain() -> Palette {
        let none = Style::new();
        Palette {
            ok: none,
            warn: none,
            danger: none,
            header: none,
            phases: [none; 7],
        }
    }

    /// ANSI colours, matching the cockpit's default theme.
    pub const fn ansi() -> Palette {
        Palette {
            ok: fg(AnsiColor::Green),
            warn: fg(AnsiColor::Yellow),
            danger: fg(AnsiColor::Red),
            header: Style::new().bold(),
            phases: [
                Style::new().dimmed(),
                fg(AnsiColor::BrightBlue),
                fg(AnsiColor::Magenta),
                fg(AnsiColor::Yellow),
                fg(AnsiColor::Green),
                fg(AnsiColor::Red),
                fg(AnsiColor::Red).bold(),
            ],
        }
    }

    /// The style of a phase badge.
    pub fn phase(&self, phase: PhaseShown) -> Style {
        let i = match phase {
            PhaseShown::Plan => 0,
            PhaseShown::Test => 1,
            PhaseShown::Gate => 2,
            PhaseShown::Cutover => 3,
            PhaseShown::Done => 4,
            PhaseShown::RolledBack => 5,
            PhaseShown::RollbackFailed => 6,
        };
        self.phases[i]
    }
}

const fn fg(c: AnsiColor) -> Style {
    Style::new().fg_color(Some(anstyle::Color::Ansi(c)))
}

/// `text` wrapped in `style` (nothing added for a plain style). Pad before painting: the
/// escapes have no width, but `{:<16}` would count them.
pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}
