//! Adoption charts with plotters, drawn once per backend (PNG and SVG share the code).

use super::ReportError;
use super::fonts::{SANS_FAMILY, register};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// A vertical marker on the time axis (a phase change or a rollback).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub label: String,
    pub danger: bool,
}

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub color: RGBColor,
    pub dashed: bool,
    pub thick: bool,
}

/// Everything a chart shows; `x` in days, `y` in percent.
/// (x, low %, high %) points of a band, and its legend.
pub type Band = (Vec<(f64, f64, f64)>, String);

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    pub x_desc: String,
    pub x_max: f64,
    pub lines: Vec<Line>,
    /// The forecast's range: (x, low %, high %), drawn as a shaded band, and its legend.
    pub band: Option<Band>,
    pub goal: Option<f64>,
    pub finish: Option<(f64, String)>,
    pub markers: Vec<Marker>,
}

pub const ACTUAL: RGBColor = RGBColor(22, 128, 60);
pub const PROJECTION: RGBColor = RGBColor(9, 105, 218);
pub const MIX: RGBColor = RGBColor(130, 80, 223);
/// The edges of the forecast's range.
pub const BAND: RGBColor = RGBColor(191, 135, 0);
pub const GOAL: RGBColor = RGBColor(110, 110, 110);
pub const DANGER: RGBColor = RGBColor(207, 34, 46);
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(9, 105, 218),
    RGBColor(22, 128, 60),
    RGBColor(207, 34, 46),
    RGBColor(130, 80, 223),
    RGBColor(154, 103, 0),
    RGBColor(87, 96, 106),
];

fn dashed(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    // Split a polyline into short pieces, skipping every other one.
    points
        .chunks(2)
        .step_by(2)
        .map(<[(f64, f64)]>::to_vec)
        .collect()
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    c: &Chart,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(&c.title, (SANS_FAMILY, 26))
        .margin(18)
        .x_label_area_size(48)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..c.x_max.max(1.0), 0f64..100f64)?;
    chart
        .configure_mesh()
        .x_desc(c.x_desc.as_str())
        .y_desc("% migrated")
        .label_style((SANS_FAMILY, 15))
        .axis_desc_style((SANS_FAMILY, 16))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    if let Some((band, label)) = &c.band {
        let shade = BAND.mix(0.25);
        let outline: Vec<(f64, f64)> = band
            .iter()
            .map(|b| (b.0, b.1))
            .chain(band.iter().rev().map(|b| (b.0, b.2)))
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(outline, shade.filled())))?
            .label(label.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], shade.filled()));
    }
    if let Some(goal) = c.goal {
        chart
            .draw_series(
                dashed(
                    &(0..=80)
                        .map(|i| (c.x_max * f64::from(i) / 80.0, goal))
                        .collect::<Vec<_>>(),
                )
                .into_iter()
                .map(|seg| PathElement::new(seg, GOAL.stroke_width(2))),
            )?
            .label(format!("goal {goal:.0} %"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GOAL.stroke_width(2)));
    }
    for line in &c.lines {
        let style = line.color.stroke_width(if line.thick { 3 } else { 2 });
        let series = if line.dashed {
            chart.draw_series(
                dashed(&line.points)
                    .into_iter()
                    .map(move |seg| PathElement::new(seg, style)),
            )?
        } else {
            chart.draw_series(LineSeries::new(line.points.clone(), style))?
        };
        // An unlabelled line (the second edge of a band) stays out of the legend.
        if !line.label.is_empty() {
            series
                .label(line.label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
    }
    if let Some((x, label)) = &c.finish {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(*x, 0.0), (*x, 100.0)],
            GOAL.stroke_width(1),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            label.clone(),
            (*x, 50.0),
            (SANS_FAMILY, 14)
                .into_font()
                .color(&GOAL)
                .pos(Pos::new(HPos::Right, VPos::Center)),
        )))?;
    }
    for (i, m) in c.markers.iter().enumerate() {
        let color = if m.danger { DANGER } else { GOAL };
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(m.x, 0.0), (m.x, 100.0)],
            color.stroke_width(1),
        )))?;
        let y = 96.0 - (i % 4) as f64 * 5.0;
        chart.draw_series(std::iter::once(Text::new(
            m.label.clone(),
            (m.x, y),
            (SANS_FAMILY, 13).into_font().color(&color),
        )))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((SANS_FAMILY, 15))
        // Opaque: the lines and markers behind the legend must not show through it.
        .background_style(WHITE)
        .border_style(RGBColor(200, 200, 200))
        .draw()?;
    root.present()?;
    Ok(())
}

/// Write the chart as `base.png` and `base.svg`.
pub fn write(c: &Chart, base: &Path) -> Result<(), ReportError> {
    register();
    let size = (1100, 620);
    // Drawn in memory, then written without following a link (crate::files).
    let png = base.with_extension("png");
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    draw(
        BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area(),
        c,
    )
    .map_err(|e| ReportError::draw(&png, e))?;
    save_png(&png, &rgb, size)?;
    let svg = base.with_extension("svg");
    let mut text = String::new();
    draw(
        SVGBackend::with_string(&mut text, size).into_drawing_area(),
        c,
    )
    .map_err(|e| ReportError::draw(&svg, e))?;
    crate::files::write(&svg, text).map_err(|e| ReportError::write(&svg, e))
}

/// Encode an RGB picture as a PNG at `path`, never through a link.
pub(crate) fn save_png(path: &Path, rgb: &[u8], (w, h): (u32, u32)) -> Result<(), ReportError> {
    use image::ImageEncoder;
    let fail = |e: &dyn std::fmt::Display| ReportError::write(path, e);
    let file = crate::files::create(path).map_err(|e| fail(&e))?;
    let mut out = std::io::BufWriter::new(file);
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(rgb, w, h, image::ColorType::Rgb8)
        .map_err(|e| fail(&e))?;
    std::io::Write::flush(&mut out).map_err(|e| fail(&e))
}
