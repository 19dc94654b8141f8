//! The whole migration on one chart: the size-weighted migrated share of all segments over
//! calendar time, against the plan and the forecasts' range, with every segment's cutover and
//! rollback marked.
//!
//! Each segment counts with its size over the project's total, so a segment still in plan
//! counts as 0 % of its users moved and the line ends where the whole migration ends. Its
//! measured share comes from the adoption series of the snapshot, its daily closes (as of
//! each moment, the latest point at or before it: the line moves in daily steps); its plan
//! from its login model from its cutover on (a bulk strategy plans its goal at once); its
//! range from its live forecast where there is one, else
//! from its plan. A segment rolled back keeps the share it measures (the table's figure: users
//! moved stay moved until the lead says otherwise), and its plan stops growing at the rollback.
//! Pure.

use super::app::{BandEdges, Model};
use crate::engine::status::SegmentStatus;
use crate::engine::view::{days_after, days_between};
use crate::model::{Event, Outcome, Phase};
use chrono::{DateTime, Utc};

/// Strokes drawn on the chart (one per column that has marks), and marks named under it, at
/// most: the newest of each kind.
const MARKS_DRAWN: usize = 60;
const MARKS_NAMED: usize = 6;
/// Dots of one mark's vertical stroke.
const STROKE_DOTS: usize = 24;

/// Dots of vertical lines, (cutovers, rollbacks), as chart data.
pub type Strokes = (Vec<(f64, f64)>, Vec<(f64, f64)>);

/// A segment's cutover or rollback, at `x` days since the chart's start.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub x: f64,
    pub segment: String,
    pub rollback: bool,
}

/// The project chart, ready to draw: x in days since `start`, y in percent.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectChart {
    pub start: DateTime<Utc>,
    pub x_max: f64,
    pub now_x: f64,
    pub actual: Vec<(f64, f64)>,
    pub plan: Vec<(f64, f64)>,
    /// The forecasts' low and high edges, from now on.
    pub band: Option<BandEdges>,
    pub marks: Vec<Mark>,
    /// Vertical strokes for the marks, (cutovers, rollbacks), as chart data.
    pub strokes: Strokes,
    pub x_labels: Vec<String>,
    /// "▲ cutover staff 10-01 · eu-customers 10-20   ✗ rollback apac 11-10".
    pub legend: String,
    /// " Whole migration · share of all 1 441 200 users by date ".
    pub title: String,
}

/// The value at `d` of points sorted by their first field: the last point at or before `d`.
fn at<T: Copy>(points: &[(f64, T)], d: f64) -> Option<T> {
    let i = points.partition_point(|p| p.0 <= d);
    points.get(i.checked_sub(1)?).map(|p| p.1)
}

/// Where a segment went into cutover, and where a rollback ended (rolled back, or failed:
/// the users stay where they are then), oldest first.
fn marks_of(events: &[Event]) -> Vec<(DateTime<Utc>, String, bool)> {
    events
        .iter()
        .filter_map(|e| match (e.body.to?, e.body.outcome) {
            (Phase::Cutover, Outcome::Succeeded | Outcome::Ok)
                if e.body.from != Some(Phase::Cutover) =>
            {
                Some((e.body.at, e.body.segment.clone(), false))
            }
            (Phase::RolledBack, Outcome::Succeeded | Outcome::Ok | Outcome::Failed) => {
                Some((e.body.at, e.body.segment.clone(), true))
            }
            _ => None,
        })
        .collect()
}

/// One segment's part of the chart (one that has been cut over), as shares 0..1 at `x` days
/// since the chart's start.
struct Part<'a> {
    seg: &'a SegmentStatus,
    series: &'a [(f64, f64)],
    login: Option<crate::model::Plan>,
    /// Its cutover, in days since the chart's start.
    cut: f64,
    /// Rolled back then: its plan stops there (its measured share is what the series says).
    ends: Option<f64>,
}

impl Part<'_> {
    /// Days since cutover at `x`, if it was cut over by then.
    fn day(&self, x: f64) -> Option<f64> {
        let d = x - self.cut;
        (d >= 0.0).then_some(d)
    }
    fn actual(&self, x: f64) -> f64 {
        self.day(x).and_then(|d| at(self.series, d)).unwrap_or(0.0)
    }
    fn plan(&self, x: f64) -> f64 {
        let Some(d) = self.day(self.ends.map_or(x, |e| x.min(e))) else {
            return 0.0;
        };
        match &self.login {
            Some(model) => model.share(d),
            None => self.seg.goal,
        }
    }
    fn range(&self, x: f64) -> (f64, f64) {
        let Some(d) = self.day(self.ends.map_or(x, |e| x.min(e))) else {
            return (0.0, 0.0);
        };
        match self.seg.forecast.as_ref().filter(|f| !f.band.is_empty()) {
            Some(f) => {
                let i = f.band.partition_point(|b| b.0 <= d);
                let b = f.band[i.saturating_sub(1)];
                (b.1, b.2)
            }
            None => {
                let p = self.plan(x);
                (p, p)
            }
        }
    }
}

/// The chart of the model's project at about `width` columns; `None` before any cutover.
pub fn derive(m: &Model) -> Option<ProjectChart> {
    let segs = &m.snapshot.status.segments;
    let total: f64 = segs.iter().map(|s| s.size as f64).sum();
    let events = marks_of(&m.snapshot.events);
    let start = segs
        .iter()
        .filter_map(|s| s.cutover_at)
        .chain(events.iter().map(|e| e.0))
        .min()?;
    if total <= 0.0 || m.now <= start {
        return None;
    }
    let plans: std::collections::HashMap<&str, _> = m
        .snapshot
        .plans
        .iter()
        .map(|p| (p.id.as_str(), p.projection()))
        .collect();
    let rolled_back: std::collections::HashMap<&str, DateTime<Utc>> = events
        .iter()
        .filter(|e| e.2)
        .map(|e| (e.1.as_str(), e.0))
        .collect();
    let parts: Vec<Part<'_>> = segs
        .iter()
        .filter_map(|s| {
            Some(Part {
                seg: s,
                series: m.snapshot.series.get(&s.id).map_or(&[], Vec::as_slice),
                login: plans.get(s.id.as_str()).cloned().flatten(),
                cut: days_between(start, s.cutover_at?),
                ends: (s.phase == crate::model::PhaseShown::RolledBack)
                    .then(|| rolled_back.get(s.id.as_str()))
                    .flatten()
                    .map(|t| days_between(start, *t)),
            })
        })
        .collect();
    let now_x = days_between(start, m.now);
    // Out to the latest finish in sight, but never more than as far ahead as it goes back.
    let finish = segs
        .iter()
        .filter(|s| s.phase == crate::model::PhaseShown::Cutover)
        .filter_map(|s| {
            s.forecast
                .as_ref()
                .and_then(|f| f.high.or(f.finish))
                .or(s.projected_finish)
        })
        .max()
        .map_or(0.0, |f| days_between(start, f));
    let x_max = finish.clamp(now_x + now_x.max(14.0) * 0.25, now_x * 2.0 + 14.0);
    let width = usize::from(m.width).saturating_sub(12).clamp(20, 400);
    let weighted = |f: &dyn Fn(&Part<'_>) -> f64| -> f64 {
        parts.iter().map(|p| f(p) * p.seg.size as f64).sum::<f64>() / total * 100.0
    };
    let xs = (0..=width).map(|i| x_max * i as f64 / width as f64);
    let actual = xs
        .clone()
        .filter(|x| *x <= now_x)
        .chain(std::iter::once(now_x))
        .map(|x| (x, weighted(&|p| p.actual(x))))
        .collect();
    let plan = xs.clone().map(|x| (x, weighted(&|p| p.plan(x)))).collect();
    let has_forecast = segs.iter().any(|s| s.forecast.is_some());
    let band = has_forecast.then(|| {
        let ahead: Vec<f64> = std::iter::once(now_x)
            .chain(xs.clone().filter(|x| *x > now_x))
            .collect();
        let edge = |high: bool| {
            ahead
                .iter()
                .map(|x| {
                    let v = weighted(&|p| {
                        let (lo, hi) = p.range(*x);
                        if high { hi } else { lo }
                    });
                    (*x, v)
                })
                .collect::<Vec<_>>()
        };
        (edge(false), edge(true))
    });
    let marks: Vec<Mark> = events
        .iter()
        .map(|(t, seg, rollback)| Mark {
            x: days_between(start, *t),
            segment: seg.clone(),
            rollback: *rollback,
        })
        .collect();
    // A dotted vertical line per mark (the newest MARKS_DRAWN of each kind).
    // Marks that fall in one column of the chart are one stroke.
    let column = x_max / width as f64;
    let stroke = |rollback: bool| {
        let mut columns: Vec<i64> = marks
            .iter()
            .filter(|k| k.rollback == rollback)
            .map(|k| (k.x / column).round() as i64)
            .collect();
        columns.dedup();
        columns[columns.len().saturating_sub(MARKS_DRAWN)..]
            .iter()
            .flat_map(|c| {
                let x = *c as f64 * column;
                (0..=STROKE_DOTS).map(move |i| (x, 100.0 * i as f64 / STROKE_DOTS as f64))
            })
            .collect::<Vec<_>>()
    };
    let list = |rollback: bool| {
        let kind: Vec<&Mark> = marks.iter().filter(|k| k.rollback == rollback).collect();
        let shown = kind[kind.len().saturating_sub(MARKS_NAMED)..]
            .iter()
            .map(|k| format!("{} {}", k.segment, days_after(start, k.x).format("%m-%d")))
            .collect::<Vec<_>>()
            .join(" · ");
        match kind.len().saturating_sub(MARKS_NAMED) {
            0 => shown,
            more => format!("{more} earlier · {shown}"),
        }
    };
    let (cutovers, rollbacks) = (list(false), list(true));
    let legend = match (cutovers.is_empty(), rollbacks.is_empty()) {
        (false, false) => format!("▲ cutover {cutovers}   ✗ rollback {rollbacks}"),
        (false, true) => format!("▲ cutover {cutovers}"),
        (true, false) => format!("✗ rollback {rollbacks}"),
        (true, true) => String::new(),
    };
    Some(ProjectChart {
        start,
        x_max,
        now_x,
        actual,
        plan,
        band,
        strokes: (stroke(false), stroke(true)),
        marks,
        x_labels: [0.0, x_max / 2.0, x_max]
            .iter()
            .map(|x| days_after(start, *x).format("%m-%d").to_string())
            .collect(),
        legend,
        title: format!(
            " Whole migration · share of all {} users by date ",
            super::format::group_digits(segs.iter().map(|s| s.size).sum())
        ),
    })
}
