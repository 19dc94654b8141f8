//! The detail screen's full adoption chart, read from the owner for the one segment shown.
//!
//! Snapshots and updates carry each segment's daily closes only: all the overview draws (its
//! sparks, the project chart by date). Reading every segment's hour or minute buckets for
//! them was most of a large project's first frame, for charts nobody looks at. The detail
//! screen asks the owner for the segment it shows ([`Effect::AskChart`]), draws the daily
//! closes until the answer comes, and asks again when that segment's samples move on (its
//! last answer stays drawn meanwhile) or when an answer does not come within a few seconds.

use super::app::{Model, Screen};
use super::update::Effect;
use chrono::{DateTime, Duration, Utc};

/// An answer not come after this long (the owner went away, the request failed) is asked
/// for again.
const ASK_AGAIN_AFTER: Duration = Duration::seconds(5);

/// The full chart of the segment the detail screen showed last, and what was asked.
#[derive(Debug, Clone, Default)]
pub struct DetailChart {
    /// The last answer: the segment, and its (days since cutover, share) points.
    shown: Option<(String, Vec<(f64, f64)>)>,
    /// Samples of that segment came since the answer was read.
    stale: bool,
    /// The segment asked for, and when (on the model's clock), while the answer is awaited.
    asked: Option<(String, DateTime<Utc>)>,
}

impl DetailChart {
    /// The full chart of `segment`, if the owner sent it.
    pub fn points_of(&self, segment: &str) -> Option<&Vec<(f64, f64)>> {
        self.shown
            .as_ref()
            .filter(|(s, _)| s == segment)
            .map(|(_, p)| p)
    }

    /// New samples (or a new snapshot) for these segments: the chart of one of them is old.
    pub fn moved<'a>(&mut self, mut segments: impl Iterator<Item = &'a str>) {
        if let Some((shown, _)) = &self.shown
            && segments.any(|s| s == shown)
        {
            self.stale = true;
        }
    }

    /// Everything moved (a fresh snapshot, a takeover).
    pub fn all_moved(&mut self) {
        self.stale = self.shown.is_some();
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
    if c.asked
        .as_ref()
        .is_some_and(|(s, at)| *s == id && m.now - *at < ASK_AGAIN_AFTER)
    {
        return Vec::new();
    }
    c.asked = Some((id.clone(), m.now));
    vec![Effect::AskChart { segment: id }]
}

/// The owner's answer: drawn when the detail screen shows that segment.
pub fn chart_came(m: &mut Model, segment: String, points: Vec<(f64, f64)>) {
    let c = &mut m.chart;
    if c.asked.as_ref().is_some_and(|(s, _)| *s == segment) {
        c.asked = None;
    }
    c.shown = Some((segment, points));
    c.stale = false;
    super::derive::derive(m);
}
