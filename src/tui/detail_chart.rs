//! The detail screen's full adoption chart, read from the owner for the one segment shown.
//!
//! Snapshots and updates carry each segment's daily closes only: all the overview draws (its
//! sparks, the project chart by date). Reading every segment's full chart for them (raw
//! samples, or minute, hour or day rollups, as its age asks) was most of a large project's
//! first frame, for charts nobody looks at. The detail screen asks the owner for the segment
//! it shows ([`Effect::AskChart`]), draws the daily closes until the answer comes, and asks
//! again when that segment's samples move on (its last answer stays drawn meanwhile), after a
//! new snapshot, or when an answer does not come within a few seconds (then less and less
//! often).

use super::app::{Model, Screen};
use super::update::Effect;

/// Slow ticks (four a second, on the wall clock whatever the owner's clock) an answer may
/// take before it is asked for again; each further try waits twice as long as the one before
/// (at most 64 times), so an owner that fails the request is not pressed.
const ASK_AGAIN_TICKS: u32 = 20;

/// The full chart of the segment the detail screen showed last, and what was asked.
#[derive(Debug, Clone, Default)]
pub struct DetailChart {
    /// The last answer kept: the segment, and its (days since cutover, share) points.
    shown: Option<(String, Vec<(f64, f64)>)>,
    /// Samples of that segment came since the answer was read.
    stale: bool,
    /// The answer awaited.
    asked: Option<Asked>,
}

#[derive(Debug, Clone)]
struct Asked {
    segment: String,
    /// Slow ticks since it was asked.
    ticks: u32,
    /// Tries before this one.
    tries: u32,
}

impl DetailChart {
    /// The full chart of `segment`, if the owner sent it.
    pub fn points_of(&self, segment: &str) -> Option<&Vec<(f64, f64)>> {
        self.shown
            .as_ref()
            .filter(|(s, _)| s == segment)
            .map(|(_, p)| p)
    }

    /// New samples for these segments: the chart of one of them is old.
    pub fn moved<'a>(&mut self, mut segments: impl Iterator<Item = &'a str>) {
        if let Some((shown, _)) = &self.shown
            && segments.any(|s| s == shown)
        {
            self.stale = true;
        }
    }

    /// A new snapshot (after a takeover too, which subscribes afresh): the chart is old, and
    /// an answer awaited from an owner that may be gone is not awaited any more.
    pub fn all_moved(&mut self) {
        self.stale = self.shown.is_some();
        self.asked = None;
    }

    /// The slow tick: an awaited answer is a tick later.
    pub fn tick(&mut self) {
        if let Some(a) = &mut self.asked {
            a.ticks = a.ticks.saturating_add(1);
        }
    }
}

/// Ask the owner for the detail screen's segment's chart when it has none, or an old one,
/// and no answer is awaited. Nothing on the other screens, or before cutover.
pub fn chart_due(m: &mut Model) -> Vec<Effect> {
    if m.screen != Screen::Detail {
        return Vec::new();
    }
    let Some(seg) = m.selected_status().filter(|s| s.cutover_at.is_some()) else {
        return Vec::new();
    };
    let id = seg.id.clone();
    let c = &mut m.chart;
    if c.points_of(&id).is_some() && !c.stale {
        return Vec::new();
    }
    let tries = match &c.asked {
        Some(a) if a.segment == id => {
            if a.ticks < ASK_AGAIN_TICKS << a.tries.min(6) {
                return Vec::new();
            }
            a.tries + 1
        }
        _ => 0,
    };
    c.asked = Some(Asked {
        segment: id.clone(),
        ticks: 0,
        tries,
    });
    vec![Effect::AskChart { segment: id }]
}

/// The owner's answer: kept and drawn when it is the selected segment's. An answer for a
/// segment the lead has moved on from is dropped, rather than push out the chart shown.
pub fn chart_came(m: &mut Model, segment: String, points: Vec<(f64, f64)>) {
    if m.chart.asked.as_ref().is_some_and(|a| a.segment == segment) {
        m.chart.asked = None;
    }
    if m.selected_status().is_some_and(|s| s.id == segment) {
        m.chart.shown = Some((segment, points));
        m.chart.stale = false;
        // Only the detail screen draws it: the rows and the other panels are as they were.
        if m.screen == Screen::Detail {
            super::derive::derive_detail(m);
        }
    }
}
