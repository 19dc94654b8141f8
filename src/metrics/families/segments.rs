//! The series of each segment: its phase, shares and dates, its forecast, its guard and
//! hooks, and its sources.

use super::{PHASES, flag, gauge, per_segment, seconds};
use crate::engine::status::{SegmentStatus, SourceStatus};
use crate::metrics::board::Board;
use crate::metrics::exposition::{Exposition, Kind};
use crate::model::Phase;

pub(super) fn phases_and_shares(e: &mut Exposition, segs: &[SegmentStatus]) {
    e.family(
        "cutover_segment_phase",
        Kind::Gauge,
        "1 for the segment's current phase, 0 for the others.",
    );
    for s in segs {
        let now = s.phase.as_str();
        for phase in PHASES {
            e.sample(&[("segment", &s.id), ("phase", phase)], flag(phase == now));
        }
    }
    per_segment(
        e,
        segs,
        "cutover_segment_users",
        "The segment's size in users.",
        |s| Some(s.size as f64),
    );
    per_segment(
        e,
        segs,
        "cutover_segment_migrated_users",
        "Users migrated, as last polled.",
        |s| s.migrated.map(|m| m as f64),
    );
    per_segment(
        e,
        segs,
        "cutover_segment_migrated_ratio",
        "The share of the segment migrated, as last polled (0..1).",
        |s| s.migrated_share,
    );
    per_segment(
        e,
        segs,
        "cutover_segment_projected_ratio",
        "The share the plan projects by now (0..1), from cutover on.",
        |s| s.projected_share,
    );
    per_segment(
        e,
        segs,
        "cutover_segment_deviation_points",
        "Migrated minus projected, in percentage points (the unit of the segment's tolerance), while in cutover.",
        |s| s.deviation_points,
    );
    per_segment(
        e,
        segs,
        "cutover_segment_behind",
        "1 when the segment is behind its projection by more than its tolerance.",
        |s| s.deviation_points.map(|_| flag(s.behind)),
    );
    per_segment(
        e,
        segs,
        "cutover_segment_goal_ratio",
        "The share the segment aims for.",
        |s| Some(s.goal),
    );
    per_segment(
        e,
        segs,
        "cutover_segment_cutover_timestamp_seconds",
        "When the segment entered cutover, as a Unix time.",
        |s| s.cutover_at.map(seconds),
    );
    per_segment(
        e,
        segs,
        "cutover_segment_deadline_timestamp_seconds",
        "The end of the segment's deadline day (UTC), as a Unix time.",
        |s| {
            let end = s.deadline?.succ_opt()?.and_hms_opt(0, 0, 0)?.and_utc();
            Some(seconds(end))
        },
    );
    per_segment(
        e,
        segs,
        "cutover_segment_gates_passing",
        "1 when every gate criterion passes on the latest readings.",
        |s| Some(flag(s.gates_ok)),
    );
    per_segment(
        e,
        segs,
        "cutover_segment_held",
        "1 while the segment is paused (held).",
        |s| Some(flag(s.hold.is_some())),
    );
}

pub(super) fn forecasts(e: &mut Exposition, segs: &[SegmentStatus]) {
    e.family(
        "cutover_forecast_finish_timestamp_seconds",
        Kind::Gauge,
        "When the live forecast expects the segment's goal, as a Unix time: the central date and the 80 % range's low and high ends (an end that is never is left out).",
    );
    for s in segs {
        let Some(f) = &s.forecast else { continue };
        for (estimate, at) in [("central", f.finish), ("low", f.low), ("high", f.high)] {
            if let Some(at) = at {
                e.sample(&[("segment", &s.id), ("estimate", estimate)], seconds(at));
            }
        }
    }
    per_segment(
        e,
        segs,
        "cutover_forecast_late",
        "1 when the forecast's central date is past the segment's deadline, or never comes.",
        |s| s.forecast.as_ref().map(|f| flag(f.late)),
    );
}

pub(super) fn guards_and_hooks(e: &mut Exposition, board: &Board, segs: &[SegmentStatus]) {
    per_segment(
        e,
        segs,
        "cutover_guard_failing_streak",
        "Fresh failing readings in a row of the segment's guard (0: passing).",
        |s| Some(f64::from(s.guard_streak)),
    );
    per_segment(
        e,
        segs,
        "cutover_segment_guarded",
        "For a segment in cutover: 1 while a guard watches it, 0 while nothing does.",
        |s| (s.phase.phase() == Some(Phase::Cutover)).then(|| flag(s.unguarded_since.is_none())),
    );
    per_segment(
        e,
        segs,
        "cutover_rollback_failed",
        "1 when the segment's last rollback failed (its phase is rollback-failed).",
        |s| Some(flag(s.phase.as_str() == "rollback-failed")),
    );
    e.family(
        "cutover_hook_pending",
        Kind::Gauge,
        "1 for a hook whose intent is logged without an outcome (retry it, or see why it failed).",
    );
    for s in segs {
        if let Some(hook) = s.pending_hook {
            e.sample(&[("segment", &s.id), ("hook", hook.as_str())], 1.0);
        }
    }
    e.family(
        "cutover_hook_running",
        Kind::Gauge,
        "1 for a hook running now.",
    );
    for (segment, hook) in &board.running {
        e.sample(&[("segment", segment), ("hook", hook.as_str())], 1.0);
    }
}

pub(super) fn sources(e: &mut Exposition, segs: &[SegmentStatus]) {
    let each = |e: &mut Exposition,
                name: &str,
                help: &str,
                value: &dyn Fn(&SourceStatus) -> Option<f64>| {
        let samples = segs.iter().flat_map(|s| {
            s.sources.iter().map(move |src| {
                (
                    [("segment", s.id.as_str()), ("metric", src.metric.as_str())],
                    value(src),
                )
            })
        });
        gauge(e, name, help, samples);
    };
    each(
        e,
        "cutover_source_last_sample_timestamp_seconds",
        "When the source last answered with a sample, as a Unix time.",
        &|src| src.at.map(seconds),
    );
    each(
        e,
        "cutover_source_stale_after_seconds",
        "The source's stale_after: a newest sample older than this is stale.",
        &|src| src.stale_after_secs,
    );
    each(
        e,
        "cutover_source_up",
        "1 when the source's last poll answered, 0 when it failed.",
        &|src| {
            let failing = match (src.error_at, src.at) {
                (Some(err), Some(ok)) => err >= ok,
                (Some(_), None) => true,
                (None, _) => false,
            };
            Some(flag(src.error.is_none() || !failing))
        },
    );
}
