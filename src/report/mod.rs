//! `cutover report --out DIR`: adoption charts per segment and for the whole project (PNG and
//! SVG, drawn with plotters and embedded fonts, so no system font is needed), and a Markdown
//! summary `report.md` with the segments, finish estimates, gate outcomes and the audit log.
//!
//! A report is made in two steps, so the owner's loop never draws: [`Draft::of`] reads the
//! engine (in the loop, milliseconds: text and the charts' points) into an owned [`Draft`],
//! and [`Draft::write`] draws every PNG and SVG and writes the files, on a thread of its own.
//! This file makes the charts; `draft.rs` the summary around them.

pub mod chart;
mod draft;
pub mod fonts;
pub mod palette;
mod preflight;
pub mod screenshot;
pub mod text;

use crate::engine::Engine;
use crate::engine::view::days_between as days;
use crate::model::projection::{LoginModel, Plan};
use crate::model::{Action, Outcome, Phase, series};
use chart::{Chart, Line, Marker};
use chrono::{DateTime, Utc};
use std::path::PathBuf;

fn curve(model: &Plan, x_max: f64) -> Vec<(f64, f64)> {
    (0..=300)
        .map(|i| {
            let x = x_max * f64::from(i) / 300.0;
            (x, model.share(x) * 100.0)
        })
        .collect()
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "—".into(), |s| format!("{:.1} %", s * 100.0))
}

/// The chart of one segment, if it ever cut over.
pub fn segment_chart(
    engine: &Engine,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Chart>, ReportError> {
    let Some(seg) = engine.project().segment(id) else {
        return Ok(None);
    };
    let state = engine.state(id);
    let Some(at) = state.cutover_at else {
        return Ok(None);
    };
    let end = match state.phase {
        Phase::Cutover => now,
        _ => state.since.unwrap_or(now).max(at),
    };
    let raw: Vec<(f64, f64)> = engine
        .adoption_chart(id, now + chrono::Duration::seconds(1), 800)?
        .into_iter()
        .map(|(d, share)| (d, share * 100.0))
        .collect();
    let elapsed = days(at, end).max(raw.last().map_or(0.0, |p| p.0)).max(1.0);
    // The plan as this cutover measures against it (adopted, from the share at cutover).
    let plan = engine.projection_of(id);
    let finish = plan.as_ref().and_then(|m| m.days_to_goal(seg.goal));
    let forecast = engine.segment_status(seg, now)?.forecast;
    // Room for the planned finish and the forecast's latest finish, within reason.
    let forecast_end = forecast
        .as_ref()
        .and_then(|f| f.high.or(f.finish))
        .map(|t| days(at, t));
    let x_max = finish
        .unwrap_or(elapsed)
        .max(forecast_end.unwrap_or(0.0))
        .max(elapsed)
        .min((elapsed * 3.0).max(60.0))
        * 1.05;
    let mut lines = Vec::new();
    match &plan {
        Some(
            mix @ Plan {
                model: LoginModel::Mix(_),
                start,
            },
        ) => {
            lines.push(Line {
                label: "cohort mix S(D)".into(),
                points: curve(mix, x_max),
                color: chart::MIX,
                dashed: false,
                thick: false,
            });
            let p = mix.model.effective_p();
            lines.push(Line {
                label: format!("single P {p:.3}"),
                points: curve(&Plan::new(LoginModel::Single(p), *start), x_max),
                color: chart::PROJECTION,
                dashed: true,
                thick: false,
            });
        }
        Some(m) => lines.push(Line {
            label: format!("projection P {:.3}", m.model.effective_p()),
            points: curve(m, x_max),
            color: chart::PROJECTION,
            dashed: true,
            thick: false,
        }),
        None => {}
    }
    // The forecast's range, as a band.
    let band = forecast.map(|f| {
        let band = f
            .band
            .iter()
            .filter(|b| b.0 <= x_max)
            .map(|b| (b.0, b.1 * 100.0, b.2 * 100.0))
            .collect();
        (band, format!("forecast range: {}", f.describe()))
    });
    lines.push(Line {
        label: "actual".into(),
        points: series::min_max(&raw, 0.0, x_max, 800),
        color: chart::ACTUAL,
        dashed: false,
        thick: true,
    });
    let markers = engine
        .events()
        .iter()
        .filter(|e| e.body.segment == id && e.body.at >= at)
        .filter_map(|e| {
            let b = &e.body;
            let x = days(at, b.at);
            match (b.kind, b.outcome, b.to) {
                (Action::GuardFailed, _, _) => Some(Marker {
                    x,
                    label: "guard failed".into(),
                    danger: true,
                }),
                (_, Outcome::Succeeded | Outcome::Ok, Some(Phase::RolledBack)) => Some(Marker {
                    x,
                    label: format!("rolled back ({})", b.actor),
                    danger: true,
                }),
                (_, Outcome::Failed, _) if b.hook.is_some() => Some(Marker {
                    x,
                    label: "hook failed".into(),
                    danger: true,
                }),
                (_, Outcome::Succeeded | Outcome::Ok, Some(Phase::Done)) => Some(Marker {
                    x,
                    label: "done".into(),
                    danger: false,
                }),
                _ => None,
            }
        })
        .collect();
    Ok(Some(Chart {
        title: format!(
            "{} · {} · adoption since cutover on {}",
            seg.id,
            seg.name,
            at.format("%Y-%m-%d")
        ),
        x_desc: "days since cutover".into(),
        x_max,
        lines,
        band,
        goal: Some(seg.goal * 100.0),
        finish: finish
            .filter(|d| *d <= x_max)
            .map(|d| (d, format!("planned finish, day {d:.0}"))),
        markers,
    }))
}

/// The whole project: every segment's migrated share over the days since the first cutover.
pub fn project_chart(engine: &Engine, now: DateTime<Utc>) -> Result<Option<Chart>, ReportError> {
    let starts: Vec<DateTime<Utc>> = engine
        .project()
        .segments
        .iter()
        .filter_map(|s| engine.state(&s.id).cutover_at)
        .collect();
    let Some(first) = starts.into_iter().min() else {
        return Ok(None);
    };
    let mut lines = Vec::new();
    let mut markers = Vec::new();
    for (i, seg) in engine.project().segments.iter().enumerate() {
        let state = engine.state(&seg.id);
        let Some(at) = state.cutover_at else { continue };
        // The segment's adoption series, moved from its own cutover to the project's first.
        let offset = days(first, at);
        let raw: Vec<(f64, f64)> = engine
            .adoption_chart(&seg.id, now + chrono::Duration::seconds(1), 800)?
            .into_iter()
            .map(|(d, share)| (d + offset, share * 100.0))
            .collect();
        let span = days(first, now).max(1.0);
        lines.push(Line {
            label: seg.id.clone(),
            points: series::min_max(&raw, 0.0, span, 600),
            color: chart::PALETTE[i % chart::PALETTE.len()],
            dashed: false,
            thick: true,
        });
        if state.phase == Phase::RolledBack
            && let Some(t) = state.since
        {
            markers.push(Marker {
                x: days(first, t),
                label: format!("{} rolled back", seg.id),
                danger: true,
            });
        }
    }
    let x_max = days(first, now).max(1.0) * 1.02;
    Ok(Some(Chart {
        title: format!("{} · migrated share by segment", engine.project().name),
        x_desc: format!(
            "days since the first cutover ({})",
            first.format("%Y-%m-%d")
        ),
        x_max,
        lines,
        band: None,
        goal: None,
        finish: None,
        markers,
    }))
}

pub use draft::{Draft, write};

/// Why a report, a chart or a screenshot could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The state could not be read.
    #[error(transparent)]
    State(#[from] crate::store::StoreError),
    /// A picture could not be drawn.
    #[error("cannot draw '{}': {cause}", path.display())]
    Draw { path: PathBuf, cause: String },
    /// A file or folder could not be written.
    #[error("cannot write '{}': {cause}", path.display())]
    Write { path: PathBuf, cause: String },
    /// The screenshots' own sample project could not be shown.
    #[error("{0}")]
    Sample(String),
}

impl ReportError {
    pub(crate) fn write(path: &std::path::Path, cause: impl std::fmt::Display) -> ReportError {
        ReportError::Write {
            path: path.to_path_buf(),
            cause: cause.to_string(),
        }
    }

    pub(crate) fn draw(path: &std::path::Path, cause: impl std::fmt::Display) -> ReportError {
        ReportError::Draw {
            path: path.to_path_buf(),
            cause: cause.to_string(),
        }
    }
}
