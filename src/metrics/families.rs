//! Which series a scrape shows, and what each means: the contract a dashboard and alert rules
//! are written against (`docs/metrics.md` lists them all).
//!
//! Names follow Prometheus' conventions: the `cutover_` prefix, base units (`_seconds`,
//! `_timestamp_seconds`, `_users`, `_ratio` for 0..1), `_total` for the one counter. Labels
//! are segment ids, metric and sink names from the project file, and fixed words; never a
//! value from a user export or a secret (a source's error text, a hold's reason and the log's
//! details are not exported).
//!
//! On the team backend only the leader exports the project: a standby shows the owner series
//! alone, so a dashboard summing over every process never counts a segment twice.

use super::board::Board;
use super::exposition::{Exposition, Format, Kind};
use crate::engine::status::SegmentStatus;
use crate::model::Phase;
use crate::model::moved::MoveReport;
use chrono::{DateTime, Utc};

/// Every phase a segment shows, as `cutover_segment_phase`'s `phase` label.
pub const PHASES: [&str; 7] = [
    "plan",
    "test",
    "gate",
    "cutover",
    "done",
    "rolled-back",
    "rollback-failed",
];

const _: () = assert!(Phase::ALL.len() + 1 == PHASES.len());

/// The scrape's text.
pub fn render(board: &Board, format: Format) -> String {
    let mut e = Exposition::new(format);
    owner(&mut e, board);
    if board.leads()
        && let Some(status) = &board.status
    {
        project(&mut e, board, status);
        let segs = &status.segments;
        segments(&mut e, segs);
        forecasts(&mut e, segs);
        guards_and_hooks(&mut e, board, segs);
        sources(&mut e, segs);
        moves(&mut e, board, segs);
    }
    e.finish()
}

fn seconds(at: DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64 / 1000.0
}

fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

fn owner(e: &mut Exposition, board: &Board) {
    let o = &board.owner;
    e.family(
        "cutover_owner_info",
        Kind::Info,
        "The process that owns the project: its role and build.",
    );
    e.sample(
        "cutover_owner_info",
        &[
            ("role", o.role.as_str()),
            ("version", env!("CARGO_PKG_VERSION")),
        ],
        1.0,
    );
    e.family("cutover_owner_pid", Kind::Gauge, "The owning process's id.");
    e.sample("cutover_owner_pid", &[], f64::from(o.pid));
    e.family(
        "cutover_owner_start_time_seconds",
        Kind::Gauge,
        "When the owning process started, as a Unix time.",
    );
    e.sample("cutover_owner_start_time_seconds", &[], seconds(o.started));
    e.family(
        "cutover_owner_leader",
        Kind::Gauge,
        "1 when this process runs the pollers and guards (always on sled; the leader on the team backend). Only a leader exports segments.",
    );
    e.sample("cutover_owner_leader", &[], flag(board.leads()));
    e.family(
        "cutover_owner_state_reachable",
        Kind::Gauge,
        "1 while the project's state answers (0: the team backend's database is unreachable).",
    );
    let reachable = board
        .status
        .as_ref()
        .is_none_or(|s| s.state_unreachable_since.is_none());
    e.sample("cutover_owner_state_reachable", &[], flag(reachable));
    e.family(
        "cutover_owner_snapshot_ready",
        Kind::Gauge,
        "1 once the owner has told the exporter the project's state.",
    );
    e.sample(
        "cutover_owner_snapshot_ready",
        &[],
        flag(board.status.is_some()),
    );
}

fn project(e: &mut Exposition, board: &Board, status: &crate::engine::status::ProjectStatus) {
    e.family(
        "cutover_log_events_total",
        Kind::Counter,
        "Events in the project's audit log.",
    );
    e.sample("cutover_log_events_total", &[], board.events as f64);
    e.family(
        "cutover_project_migrated_ratio",
        Kind::Gauge,
        "The share of all users migrated, weighted by segment size, over segments whose count is known.",
    );
    if let Some(s) = status.migrated_share {
        e.sample("cutover_project_migrated_ratio", &[], s);
    }
    e.family(
        "cutover_approvals_pending",
        Kind::Gauge,
        "Actions waiting for a second person's approval.",
    );
    e.sample(
        "cutover_approvals_pending",
        &[],
        status.approvals.len() as f64,
    );
    e.family(
        "cutover_notify_sink_failing",
        Kind::Gauge,
        "1 for each notification sink failing to deliver now.",
    );
    for f in &status.notify_failing {
        e.sample("cutover_notify_sink_failing", &[("sink", &f.sink)], 1.0);
    }
    e.family(
        "cutover_notify_pending_messages",
        Kind::Gauge,
        "Notifications waiting for a failing sink.",
    );
    for f in &status.notify_failing {
        e.sample(
            "cutover_notify_pending_messages",
            &[("sink", &f.sink)],
            f.pending as f64,
        );
    }
}

/// One gauge family with one sample per segment where `value` has one.
fn per_segment(
    e: &mut Exposition,
    segs: &[SegmentStatus],
    name: &str,
    help: &str,
    value: impl Fn(&SegmentStatus) -> Option<f64>,
) {
    e.family(name, Kind::Gauge, help);
    for s in segs {
        if let Some(v) = value(s) {
            e.sample(name, &[("segment", &s.id)], v);
        }
    }
}

fn segments(e: &mut Exposition, segs: &[SegmentStatus]) {
    e.family(
        "cutover_segment_phase",
        Kind::Gauge,
        "1 for the segment's current phase, 0 for the others.",
    );
    for s in segs {
        let now = s.phase.as_str();
        for phase in PHASES {
            e.sample(
                "cutover_segment_phase",
                &[("segment", &s.id), ("phase", phase)],
                flag(phase == now),
            );
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

fn forecasts(e: &mut Exposition, segs: &[SegmentStatus]) {
    e.family(
        "cutover_forecast_finish_timestamp_seconds",
        Kind::Gauge,
        "When the live forecast expects the segment's goal, as a Unix time: the central date and the 80 % range's low and high ends (an end that is never is left out).",
    );
    for s in segs {
        let Some(f) = &s.forecast else { continue };
        for (estimate, at) in [("central", f.finish), ("low", f.low), ("high", f.high)] {
            if let Some(at) = at {
                e.sample(
                    "cutover_forecast_finish_timestamp_seconds",
                    &[("segment", &s.id), ("estimate", estimate)],
                    seconds(at),
                );
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

fn guards_and_hooks(e: &mut Exposition, board: &Board, segs: &[SegmentStatus]) {
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
            e.sample(
                "cutover_hook_pending",
                &[("segment", &s.id), ("hook", hook.as_str())],
                1.0,
            );
        }
    }
    e.family(
        "cutover_hook_running",
        Kind::Gauge,
        "1 for a hook running now.",
    );
    for (segment, hook) in &board.running {
        e.sample(
            "cutover_hook_running",
            &[("segment", segment), ("hook", hook.as_str())],
            1.0,
        );
    }
}

fn sources(e: &mut Exposition, segs: &[SegmentStatus]) {
    let each =
        |e: &mut Exposition,
         name: &str,
         help: &str,
         value: &dyn Fn(&crate::engine::status::SourceStatus) -> Option<f64>| {
            e.family(name, Kind::Gauge, help);
            for s in segs {
                for src in &s.sources {
                    if let Some(v) = value(src) {
                        e.sample(name, &[("segment", &s.id), ("metric", &src.metric)], v);
                    }
                }
            }
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

fn moves(e: &mut Exposition, board: &Board, segs: &[SegmentStatus]) {
    e.family(
        "cutover_move_running",
        Kind::Gauge,
        "1 while users are being moved (kind move), taken back (undo) or sent reset messages (reset).",
    );
    for (segment, m) in &board.moves {
        let kind = if m.reset {
            "reset"
        } else if m.undo {
            "undo"
        } else {
            "move"
        };
        e.sample(
            "cutover_move_running",
            &[("segment", segment), ("kind", kind)],
            1.0,
        );
    }
    let live = |e: &mut Exposition,
                name: &str,
                help: &str,
                value: &dyn Fn(&crate::owner::protocol::MoveNow) -> Option<f64>| {
        e.family(name, Kind::Gauge, help);
        for (segment, m) in &board.moves {
            if let Some(v) = value(m) {
                e.sample(name, &[("segment", segment)], v);
            }
        }
    };
    live(
        e,
        "cutover_move_settled_users",
        "Users the running move has settled so far (a stalled move stops growing).",
        &|m| Some(m.done as f64),
    );
    live(
        e,
        "cutover_move_planned_users",
        "Users the running move will settle, about.",
        &|m| Some(m.of as f64),
    );
    live(
        e,
        "cutover_move_users_per_second",
        "The running move's rate since it started.",
        &|m| Some(m.rate),
    );
    live(
        e,
        "cutover_move_remaining_seconds",
        "Seconds the running move needs at its rate.",
        &|m| m.left_seconds,
    );
    e.family(
        "cutover_move_users",
        Kind::Gauge,
        "Users of the segment's latest recorded move (which: real or rehearsal), by outcome.",
    );
    for s in segs {
        for (which, r) in recorded(s) {
            let skipped: u64 = r.skipped.values().sum();
            let failed: u64 = r.failed.values().sum();
            for (outcome, n) in [
                ("created", r.created),
                ("already_present", r.already_present),
                ("updated", r.updated),
                ("skipped", skipped),
                ("failed", failed),
                ("deleted", r.deleted),
                ("kept", r.kept),
            ] {
                e.sample(
                    "cutover_move_users",
                    &[("segment", &s.id), ("which", which), ("outcome", outcome)],
                    n as f64,
                );
            }
        }
    }
    e.family(
        "cutover_move_refused_users",
        Kind::Gauge,
        "Users the latest recorded move skipped or the target refused, by code (codes only, never the target's text).",
    );
    for s in segs {
        for (which, r) in recorded(s) {
            for (outcome, codes) in [("skipped", &r.skipped), ("failed", &r.failed)] {
                for (code, n) in codes {
                    e.sample(
                        "cutover_move_refused_users",
                        &[
                            ("segment", &s.id),
                            ("which", which),
                            ("outcome", outcome),
                            ("code", code),
                        ],
                        *n as f64,
                    );
                }
            }
        }
    }
    e.family(
        "cutover_move_state",
        Kind::Gauge,
        "1 for the state of the segment's latest recorded move: moving, moved, undoing or undone.",
    );
    for s in segs {
        for (which, r) in recorded(s) {
            e.sample(
                "cutover_move_state",
                &[("segment", &s.id), ("which", which), ("state", &r.state)],
                1.0,
            );
        }
    }
}

/// A segment's latest recorded moves: (`real` or `rehearsal`, its report).
fn recorded(s: &SegmentStatus) -> Vec<(&'static str, &MoveReport)> {
    let Some(m) = &s.moving else {
        return Vec::new();
    };
    [
        ("real", m.real.as_ref()),
        ("rehearsal", m.rehearsal.as_ref()),
    ]
    .into_iter()
    .filter_map(|(w, r)| Some((w, r?)))
    .collect()
}
