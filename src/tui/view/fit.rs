//! Text fitted into the overview's panels: words wrapped to a panel's width, lines cut to its
//! height with a last line saying how many items were left out, and lines drawn one a row.
//! Kept apart from the panels that use them because their rules (what counts as shown, where
//! a word breaks) are tested on their own.

use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;
use unicode_width::UnicodeWidthStr;

/// Words of `text` in lines: the first at most `first` cells wide, the others `rest` wide (a
/// word longer than a line is cut by the panel's edge).
pub(super) fn wrap_words(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    // The width of the last line so far: measured word by word, not again for each word.
    let mut used = 0;
    for word in text.split(' ') {
        let limit = if lines.len() == 1 { first } else { rest };
        let Some(line) = lines.last_mut() else {
            break;
        };
        let w = word.width();
        if line.is_empty() || used + 1 + w <= limit {
            if !line.is_empty() {
                line.push(' ');
                used += 1;
            }
            line.push_str(word);
            used += w;
        } else {
            lines.push(word.to_string());
            used = w;
        }
    }
    lines
}

/// Keep the first `room` lines; when items are left out, the last line says how many.
pub(super) fn fit_lines(
    mut lines: Vec<(usize, Line<'static>)>,
    items: usize,
    room: usize,
    more: impl Fn(usize) -> String,
    theme: &Theme,
) -> Vec<Line<'static>> {
    if lines.len() > room && room > 0 {
        // Items whose every line is kept; one cut short counts as left out.
        let next = lines[room - 1].0;
        lines.truncate(room - 1);
        let shown = match lines.last() {
            Some((last, _)) if *last == next => *last,
            Some((last, _)) => last + 1,
            None => 0,
        };
        lines.push((
            0,
            Line::from(Span::styled(
                more(items.saturating_sub(shown)),
                Style::default().fg(theme.muted),
            )),
        ));
    }
    lines.truncate(room);
    lines.into_iter().map(|(_, l)| l).collect()
}

/// Draw `lines` in `block`, one line a row, each cut at the inner edge. A `Paragraph` does the
/// same with a second pass over every character (its truncation): drawn through one, "since you
/// last looked" took a fifth of the overview's frame.
pub(super) fn lines_in(frame: &mut Frame<'_>, block: Block<'_>, lines: Vec<Line<'_>>, area: Rect) {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    for (line, y) in lines.into_iter().zip(inner.top()..inner.bottom()) {
        frame.render_widget(
            line,
            Rect {
                y,
                height: 1,
                ..inner
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_at_the_first_width_then_the_rest() {
        let lines = wrap_words("gate refused: error rate 3.1 % above 2 %", 12, 20);
        assert_eq!(lines, ["gate", "refused: error rate", "3.1 % above 2 %"]);
        assert!(lines.iter().skip(1).all(|l| l.width() <= 20));
        // A word longer than the line keeps a line to itself (the panel's edge cuts it).
        assert_eq!(
            wrap_words("a verylongword b", 4, 4),
            ["a", "verylongword", "b"]
        );
        // Wide characters count by their cells.
        assert_eq!(wrap_words("日本 語", 5, 5), ["日本", "語"]);
        assert_eq!(wrap_words("", 5, 5), [""]);
    }

    #[test]
    fn lines_cut_to_the_room_say_how_many_items_are_left_out() {
        let theme = Theme::default_theme();
        let lines: Vec<(usize, Line<'static>)> = [0, 1, 1, 2, 3]
            .into_iter()
            .map(|i| (i, Line::from(format!("item {i}"))))
            .collect();
        let text = |v: Vec<Line<'static>>| v.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        let all = fit_lines(lines.clone(), 4, 5, |n| format!("{n} more"), &theme);
        assert_eq!(text(all).len(), 5);
        // Room for 3: item 0 and the first line of item 1 would show; item 1 cut short counts
        // as left out, so 3 of the 4 items are said to be left out.
        let cut = fit_lines(lines, 4, 3, |n| format!("{n} more"), &theme);
        assert_eq!(text(cut), ["item 0", "item 1", "3 more"]);
    }
}
