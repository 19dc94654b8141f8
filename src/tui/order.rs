//! The order of the overview's rows: the project file's, or by phase, by how far behind the
//! projection, or by finish (`s` cycles), optionally grouped by strategy (`S`). Every sort is
//! stable, so ties keep the project file's order. The choice is remembered per user in the
//! state (see [`crate::model::prefs`]).

use crate::config::Strategy;
use crate::engine::finish::Finish;
use crate::engine::status::SegmentStatus;
use crate::engine::view::days_between;
use crate::model::PhaseShown;
use crate::model::prefs::SortKey;
use chrono::{DateTime, Utc};
use std::cmp::Ordering;

/// Where a phase sorts: what is under way and in trouble first, what is over last.
fn phase_rank(p: PhaseShown) -> u8 {
    match p {
        PhaseShown::RollbackFailed => 0,
        PhaseShown::Cutover => 1,
        PhaseShown::Gate => 2,
        PhaseShown::Test => 3,
        PhaseShown::Plan => 4,
        PhaseShown::RolledBack => 5,
        PhaseShown::Done => 6,
    }
}

fn strategy_rank(s: Strategy) -> u8 {
    match s {
        Strategy::Slow => 0,
        Strategy::Segment => 1,
        Strategy::BigBang => 2,
    }
}

/// In how many days (from now) a segment should reach its goal: already (done, or at its
/// goal), the forecast or the plan in cutover, and before cutover its planned days counted from
/// now. `None`: never or unknown, which sorts last. Days, not dates: a tiny login probability
/// plans billions of days, past any calendar.
fn finish(s: &SegmentStatus, now: DateTime<Utc>) -> Option<f64> {
    // The FINISH column's rule, in days.
    let days = match s.finish() {
        Finish::Reached => Some(f64::NEG_INFINITY),
        Finish::On(d) => Some(days_between(now, d)),
        Finish::InDays(d) => Some(d),
        Finish::Never | Finish::Unknown => None,
    };
    days.filter(|d| !d.is_nan())
}

/// Smallest first, unknown last.
fn known_first(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Order `segs` in place.
pub fn sort(segs: &mut [&SegmentStatus], key: SortKey, group: bool, now: DateTime<Utc>) {
    match key {
        SortKey::File => {}
        SortKey::Phase => segs.sort_by_key(|s| phase_rank(s.phase)),
        // Most points behind first; no projection (not in cutover) last.
        SortKey::Behind => {
            let behind = |s: &SegmentStatus| s.deviation_points.filter(|d| d.is_finite());
            segs.sort_by(|a, b| known_first(behind(a), behind(b)));
        }
        SortKey::Finish => segs.sort_by(|a, b| known_first(finish(a, now), finish(b, now))),
    }
    if group {
        segs.sort_by_key(|s| strategy_rank(s.strategy));
    }
}
