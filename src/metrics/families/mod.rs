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

mod moves;
mod segments;

use super::board::Board;
use super::exposition::{Exposition, Format, Kind};
use crate::engine::status::SegmentStatus;
use crate::model::Phase;
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
        segments::phases_and_shares(&mut e, segs);
        segments::forecasts(&mut e, segs);
        segments::guards_and_hooks(&mut e, board, segs);
        segments::sources(&mut e, segs);
        moves::running(&mut e, board);
        moves::recorded(&mut e, segs);
    }
    e.finish()
}

pub(super) fn seconds(at: DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64 / 1000.0
}

pub(super) fn flag(b: bool) -> f64 {
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
        &[
            ("role", o.role.as_str()),
            ("version", env!("CARGO_PKG_VERSION")),
        ],
        1.0,
    );
    e.family("cutover_owner_pid", Kind::Gauge, "The owning process's id.");
    e.sample(&[], f64::from(o.pid));
    e.family(
        "cutover_owner_start_time_seconds",
        Kind::Gauge,
        "When the owning process started, as a Unix time.",
    );
    e.sample(&[], seconds(o.started));
    e.family(
        "cutover_owner_leader",
        Kind::Gauge,
        "1 when this process runs the pollers and guards (always on sled; the leader on the team backend). Only a leader exports segments.",
    );
    e.sample(&[], flag(board.leads()));
    e.family(
        "cutover_owner_state_reachable",
        Kind::Gauge,
        "1 while the project's state answers (0: the team backend's database is unreachable).",
    );
    let reachable = board
        .status
        .as_ref()
        .is_none_or(|s| s.state_unreachable_since.is_none());
    e.sample(&[], flag(reachable));
    e.family(
        "cutover_owner_snapshot_ready",
        Kind::Gauge,
        "1 once the owner has told the exporter the project's state.",
    );
    e.sample(&[], flag(board.status.is_some()));
}

fn project(e: &mut Exposition, board: &Board, status: &crate::engine::status::ProjectStatus) {
    e.family(
        "cutover_log_events_total",
        Kind::Counter,
        "Events in the project's audit log.",
    );
    e.sample(&[], board.events as f64);
    e.family(
        "cutover_project_migrated_ratio",
        Kind::Gauge,
        "The share of all users migrated, weighted by segment size, over segments whose count is known.",
    );
    if let Some(s) = status.migrated_share {
        e.sample(&[], s);
    }
    e.family(
        "cutover_approvals_pending",
        Kind::Gauge,
        "Actions waiting for a second person's approval.",
    );
    e.sample(&[], status.approvals.len() as f64);
    e.family(
        "cutover_notify_sink_failing",
        Kind::Gauge,
        "1 for each notification sink failing to deliver now.",
    );
    for f in &status.notify_failing {
        e.sample(&[("sink", &f.sink)], 1.0);
    }
    e.family(
        "cutover_notify_pending_messages",
        Kind::Gauge,
        "Notifications waiting for a failing sink.",
    );
    for f in &status.notify_failing {
        e.sample(&[("sink", &f.sink)], f.pending as f64);
    }
}

/// One gauge family with one sample per segment where `value` has one.
/// One gauge family: a sample for each `(labels, value)` whose value is known.
pub(super) fn gauge<'a, const N: usize>(
    e: &mut Exposition,
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = ([(&'a str, &'a str); N], Option<f64>)>,
) {
    e.family(name, Kind::Gauge, help);
    for (labels, value) in samples {
        if let Some(v) = value {
            e.sample(&labels, v);
        }
    }
}

/// A gauge family with one sample per segment where `value` has one.
pub(super) fn per_segment(
    e: &mut Exposition,
    segs: &[SegmentStatus],
    name: &str,
    help: &str,
    value: impl Fn(&SegmentStatus) -> Option<f64>,
) {
    gauge(
        e,
        name,
        help,
        segs.iter()
            .map(|s| ([("segment", s.id.as_str())], value(s))),
    );
}
