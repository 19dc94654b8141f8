//! A chart's legend, drawn over the plot on a cleared box: ratatui's own legend only draws its
//! border and names, so plot dots under the rest of each line showed through ("overdrawn").

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Clear};
use unicode_width::UnicodeWidthStr;

/// Where the legend sits in the plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    TopLeft,
    BottomRight,
}

/// Columns of the y axis's labels and its line ("100%│"), and rows of the x axis's line and
/// labels, around the plot inside a chart's area.
const Y_AXIS_COLUMNS: u16 = 5;
const X_AXIS_ROWS: u16 = 2;

/// Draw `entries` (name, style) in a bordered, cleared box at `corner` of the plot of a chart
/// drawn in `chart` (its inner area). Like ratatui's, the legend is left out where it would
/// take more than a quarter of the chart's width or height.
pub fn render(
    frame: &mut Frame<'_>,
    entries: &[(String, Style)],
    border: Style,
    chart: Rect,
    corner: Corner,
) {
    if entries.is_empty() {
        return;
    }
    let w = entries
        .iter()
        .map(|(n, _)| u16::try_from(n.width()).unwrap_or(u16::MAX))
        .max()
        .unwrap_or(0)
        .saturating_add(2);
    let h = u16::try_from(entries.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let plot = Rect {
        x: chart.x + Y_AXIS_COLUMNS.min(chart.width),
        y: chart.y,
        width: chart.width.saturating_sub(Y_AXIS_COLUMNS),
        height: chart.height.saturating_sub(X_AXIS_ROWS),
    };
    if w > chart.width / 4 || h > chart.height / 4 || w > plot.width || h > plot.height {
        return;
    }
    let area = match corner {
        Corner::TopLeft => Rect {
            width: w,
            height: h,
            ..plot
        },
        Corner::BottomRight => Rect {
            x: plot.right() - w,
            y: plot.bottom() - h,
            width: w,
            height: h,
        },
    };
    frame.render_widget(Clear, area);
    frame.render_widget(
        Block::default().borders(Borders::ALL).border_style(border),
        area,
    );
    let buf = frame.buffer_mut();
    for (i, (name, style)) in entries.iter().enumerate() {
        let y = area.y + 1 + u16::try_from(i).unwrap_or(u16::MAX);
        buf.set_span(area.x + 1, y, &Span::styled(name.as_str(), *style), w - 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    #[test]
    fn the_legend_clears_the_plot_under_it() {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
        let frame = terminal
            .draw(|f| {
                let area = f.area();
                // A plot full of dots, as a dense curve or a stroke leaves it.
                for y in area.top()..area.bottom() {
                    for x in area.left()..area.right() {
                        f.buffer_mut()[(x, y)].set_symbol("⣿");
                    }
                }
                let entries = [
                    ("goal 90 %".to_string(), Style::default()),
                    ("actual".to_string(), Style::default()),
                ];
                render(f, &entries, Style::default(), area, Corner::BottomRight);
            })
            .expect("draw");
        let b = frame.buffer;
        // The box: 11 wide, 4 high, above the x axis's two rows, at the right edge.
        let (x0, y0) = (80 - 11, 24 - 2 - 4);
        let row = |y: u16| (x0..80).map(|x| b[(x, y)].symbol()).collect::<String>();
        assert_eq!(row(y0), "┌─────────┐");
        assert_eq!(row(y0 + 1), "│goal 90 %│");
        assert_eq!(row(y0 + 2), "│actual   │", "no dot after a short name");
        assert_eq!(row(y0 + 3), "└─────────┘");
    }
}
