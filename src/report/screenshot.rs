//! `cutover screenshot --out DIR`: PNG images of the real cockpit, rendered off-screen.
//!
//! The sample project (`crate::sample_project`) is built at its fixed moment, the cockpit's own
//! `update` and `render` run on a ratatui `TestBackend`, and each cell of the buffer is painted
//! into a bitmap: box-drawing, block and braille characters as shapes (so lines join and no font
//! needs them), everything else as text in the embedded DejaVu fonts. Same input, same bytes.

use super::ReportError;
use super::fonts::{MONO_FAMILY, SANS_FAMILY, register};
use crate::tui::offscreen::{self, Press};
use crossterm::event::KeyCode;
use plotters::prelude::*;
use ratatui::buffer::Buffer;
use ratatui::style::{Color as TermColor, Modifier};
use std::path::{Path, PathBuf};

const CELL_W: i32 = 10;
const CELL_H: i32 = 20;
const FG: RGBColor = RGBColor(220, 220, 220);
const BG: RGBColor = RGBColor(24, 26, 31);

fn rgb(c: TermColor, default: RGBColor) -> RGBColor {
    match c {
        TermColor::Reset => default,
        TermColor::Black => RGBColor(0, 0, 0),
        TermColor::Red => RGBColor(224, 82, 82),
        TermColor::Green => RGBColor(80, 200, 120),
        TermColor::Yellow => RGBColor(229, 192, 60),
        TermColor::Blue => RGBColor(70, 130, 220),
        TermColor::Magenta => RGBColor(198, 100, 210),
        TermColor::Cyan => RGBColor(60, 190, 210),
        TermColor::Gray => RGBColor(190, 190, 190),
        TermColor::DarkGray => RGBColor(120, 120, 120),
        TermColor::LightRed => RGBColor(255, 110, 110),
        TermColor::LightGreen => RGBColor(120, 230, 150),
        TermColor::LightYellow => RGBColor(250, 230, 110),
        TermColor::LightBlue => RGBColor(120, 170, 250),
        TermColor::LightMagenta => RGBColor(230, 140, 240),
        TermColor::LightCyan => RGBColor(120, 220, 235),
        TermColor::White => RGBColor(240, 240, 240),
        TermColor::Rgb(r, g, b) => RGBColor(r, g, b),
        TermColor::Indexed(i) => {
            if i >= 232 {
                let v = 8 + 10 * (i - 232);
                RGBColor(v, v, v)
            } else if i >= 16 {
                let i = i - 16;
                let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
                RGBColor(level(i / 36), level((i / 6) % 6), level(i % 6))
            } else {
                default
            }
        }
    }
}

/// Which edges of a box-drawing character are drawn: (left, right, up, down).
fn box_edges(c: char) -> Option<(bool, bool, bool, bool)> {
    Some(match c {
        '─' => (true, true, false, false),
        '│' => (false, false, true, true),
        '┌' => (false, true, false, true),
        '┐' => (true, false, false, true),
        '└' => (false, true, true, false),
        '┘' => (true, false, true, false),
        '├' => (false, true, true, true),
        '┤' => (true, false, true, true),
        '┬' => (true, true, false, true),
        '┴' => (true, true, true, false),
        '┼' => (true, true, true, true),
        _ => return None,
    })
}

/// Paint a buffer into a PNG at `path`.
pub fn write_png(buffer: &Buffer, path: &Path) -> Result<(), ReportError> {
    register();
    let area = buffer.area;
    let size = (
        u32::from(area.width) * CELL_W as u32,
        u32::from(area.height) * CELL_H as u32,
    );
    // Drawn in memory, then written without following a link (crate::files).
    let mut pixels = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        let err = |e: DrawingAreaErrorKind<_>| ReportError::draw(path, e);
        root.fill(&BG).map_err(err)?;
        for y in 0..area.height {
            for x in 0..area.width {
                let cell = &buffer[(x, y)];
                let (mut fg, mut bg) = (rgb(cell.fg, FG), rgb(cell.bg, BG));
                if cell.modifier.contains(Modifier::REVERSED) {
                    std::mem::swap(&mut fg, &mut bg);
                }
                let (px, py) = (i32::from(x) * CELL_W, i32::from(y) * CELL_H);
                if bg != BG {
                    root.draw(&Rectangle::new(
                        [(px, py), (px + CELL_W, py + CELL_H)],
                        bg.filled(),
                    ))
                    .map_err(err)?;
                }
                let Some(ch) = cell.symbol().chars().next() else {
                    continue;
                };
                let (cx, cy) = (px + CELL_W / 2, py + CELL_H / 2);
                if let Some((l, r, u, d)) = box_edges(ch) {
                    let style = fg.stroke_width(1);
                    if l {
                        root.draw(&PathElement::new(vec![(px, cy), (cx, cy)], style))
                            .map_err(err)?;
                    }
                    if r {
                        root.draw(&PathElement::new(vec![(cx, cy), (px + CELL_W, cy)], style))
                            .map_err(err)?;
                    }
                    if u {
                        root.draw(&PathElement::new(vec![(cx, py), (cx, cy)], style))
                            .map_err(err)?;
                    }
                    if d {
                        root.draw(&PathElement::new(vec![(cx, cy), (cx, py + CELL_H)], style))
                            .map_err(err)?;
                    }
                } else if ('\u{2800}'..='\u{28FF}').contains(&ch) {
                    // Braille: 2 × 4 dots, bit order 1 4 / 2 5 / 3 6 / 7 8.
                    let bits = ch as u32 - 0x2800;
                    let dots = [
                        (0, 0, 0),
                        (0, 1, 1),
                        (0, 2, 2),
                        (1, 0, 3),
                        (1, 1, 4),
                        (1, 2, 5),
                        (0, 3, 6),
                        (1, 3, 7),
                    ];
                    for (col, row, bit) in dots {
                        if bits & (1 << bit) != 0 {
                            let dx = px + 2 + col * 5;
                            let dy = py + 2 + row * 5;
                            root.draw(&Rectangle::new([(dx, dy), (dx + 2, dy + 2)], fg.filled()))
                                .map_err(err)?;
                        }
                    }
                } else if ('\u{2581}'..='\u{2588}').contains(&ch) {
                    // Lower blocks ▁..█ (sparklines).
                    let eighths = ch as i32 - 0x2580;
                    let top = py + CELL_H - CELL_H * eighths / 8;
                    root.draw(&Rectangle::new(
                        [(px, top), (px + CELL_W, py + CELL_H)],
                        fg.filled(),
                    ))
                    .map_err(err)?;
                } else if ch != ' ' {
                    let family = if ch.is_ascii() {
                        MONO_FAMILY
                    } else {
                        SANS_FAMILY
                    };
                    let mut font = (family, 15).into_font();
                    if cell.modifier.contains(Modifier::BOLD) {
                        font = font.style(FontStyle::Bold);
                    }
                    root.draw(&Text::new(
                        cell.symbol().to_string(),
                        (px, py + 2),
                        font.color(&fg),
                    ))
                    .map_err(err)?;
                }
            }
        }
        root.present().map_err(err)?;
    }
    super::chart::save_png(path, &pixels, size)
}

/// Build the sample project in `work` and write every screenshot into `out`.
pub fn write_all(work: &Path, out: &Path) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(out).map_err(|e| ReportError::write(out, e))?;
    let now = crate::sample_project::now();
    let engine =
        crate::sample_project::build(work).map_err(|e| ReportError::Sample(e.to_string()))?;
    let snapshot = engine.snapshot(now)?;
    let detail = [Press::Select("eu-customers"), Press::Key(KeyCode::Enter)];
    let rollback = [
        detail[0],
        detail[1],
        Press::Key(KeyCode::Char('r')),
        Press::Text("login failures above 2 %"),
    ];
    let checks = [Press::Select("latam"), Press::Key(KeyCode::Enter)];
    // A lead back in the morning: three events happened since they last looked.
    let morning = [Press::LastLooked("ana", 3)];
    let shots: [(&str, (u16, u16), &[Press<'_>]); 6] = [
        ("overview", (160, 48), &morning),
        ("overview-200x60", (200, 60), &morning),
        ("detail", (160, 48), &detail),
        ("checks", (160, 48), &checks),
        ("rollback", (160, 48), &rollback),
        ("help", (160, 48), &[Press::Key(KeyCode::Char('?'))]),
    ];
    let mut written = Vec::new();
    // The detail screen's chart, as the owner would answer it.
    let charts = |id: &str| engine.client_series(id, now).unwrap_or_default();
    for (name, size, presses) in shots {
        let path = out.join(format!("{name}.png"));
        let buffer = offscreen::render(snapshot.clone(), now, size, presses, &charts)
            .map_err(ReportError::Sample)?;
        write_png(&buffer, &path)?;
        written.push(path);
    }
    let chart = super::segment_chart(&engine, "eu-customers", now)?
        .ok_or_else(|| ReportError::Sample("eu-customers has no chart".into()))?;
    let chart_base = out.join("report-eu-customers");
    super::chart::write(&chart, &chart_base)?;
    let svg = chart_base.with_extension("svg");
    let _ = std::fs::remove_file(svg);
    written.push(chart_base.with_extension("png"));
    Ok(written)
}
