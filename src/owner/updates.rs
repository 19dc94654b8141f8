//! What the owner tells every subscribed client as things happen ([`Update`]), apart from what
//! it answers one request with ([`super::protocol`]): events appended, segments changed, hooks
//! and moves under way, sources failing or answering again. A cockpit redraws from these.

use crate::engine::live::SourceHealth;
use crate::engine::status::SegmentStatus;
use crate::engine::view::Snapshot;
use crate::model::{Event, HookAction};
use crate::source::Polled;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::protocol::Tone;

/// Something that happened, told to every subscribed client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "update", rename_all = "kebab-case")]
pub enum Update {
    /// Everything, anew (after subscribing).
    Snapshot { snapshot: Box<Snapshot> },
    /// Fresh status (and adoption series) of some segments, and the legacy switch-off view
    /// when the project asks for one (`[legacy.decommission]`).
    SegmentsChanged {
        segments: Vec<SegmentView>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decommission: Option<crate::model::decommission::Decommission>,
    },
    /// A new line of the audit log, flushed.
    EventAppended { event: Event },
    HookStarted {
        segment: String,
        action: HookAction,
        key: u64,
    },
    HookFinished {
        segment: String,
        action: HookAction,
        key: u64,
        ok: bool,
        detail: String,
    },
    /// One source's answer (only to subscribers that asked for polls).
    Polled { polled: Polled },
    /// A source started failing, or recovered.
    SourceHealth { health: SourceHealth },
    /// A message for every operator (an error of the owner, a takeover, ...).
    Notice { tone: Tone, text: String },
    /// The team backend's database stopped answering (since when), or answers again (null).
    StateDatabase {
        unreachable_since: Option<DateTime<Utc>>,
    },
    /// The notification sinks failing now (empty: all deliver).
    NotifyHealth {
        failing: Vec<crate::engine::status::SinkFailing>,
    },
    /// A running move's (or undo's) progress, every 250 ms while it runs; `progress` null
    /// when it ended.
    MoveProgress {
        segment: String,
        progress: Option<MoveNow>,
    },
}

/// How far a running move (or undo) is, for a cockpit's row and detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoveNow {
    /// Users settled so far, of about `of`.
    pub done: u64,
    pub of: u64,
    /// Users a second since it started (this run).
    pub rate: f64,
    /// Seconds left at that rate; null before the first batch.
    pub left_seconds: Option<f64>,
    /// An undo (a rollback's), not a move.
    pub undo: bool,
    /// Reset messages (`cutover reset`), not a move: `done` counts users settled.
    #[serde(default)]
    pub reset: bool,
}

/// One segment's fresh status, with its adoption series (daily closes, as a snapshot's) when
/// it has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentView {
    pub status: SegmentStatus,
    pub series: Option<Vec<(f64, f64)>>,
}
