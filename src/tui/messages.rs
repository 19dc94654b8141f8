//! What goes into the cockpit's `update` and what comes out of it: the [`Input`]s the driver
//! feeds it (keys, the owner's updates and replies, the tick) and the [`Effect`]s it hands
//! back for the driver to send. Plain data, so a test can drive the cockpit without a
//! terminal or an owner.

use super::app::{Snapshot, Tone};
use crate::model::prefs::UserPrefs;
use crate::model::{Action, HookAction};
use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Input {
    Key(KeyEvent),
    /// The slow tick: relative times and the spinner move on.
    Tick(DateTime<Utc>),
    Resize(u16, u16),
    Refreshed(Box<Snapshot>),
    HookStarted {
        segment: String,
        action: HookAction,
    },
    HookFinished {
        segment: String,
        action: HookAction,
        ok: bool,
        detail: String,
    },
    /// Fresh status (and series) of some segments, after polled samples.
    SegmentsUpdated {
        statuses: Vec<crate::engine::status::SegmentStatus>,
        series: Vec<(String, Vec<(f64, f64)>)>,
    },
    /// The legacy switch-off view, anew.
    Decommission(Box<crate::model::decommission::Decommission>),
    /// A message for the status line (an outcome, a refusal, an error).
    Notice(Tone, String),
    /// A running move's progress (none: it ended).
    MoveProgress {
        segment: String,
        progress: Option<crate::owner::protocol::MoveNow>,
    },
    /// The state database is out of reach since then, or answers again (`None`).
    StateDatabase(Option<DateTime<Utc>>),
    /// The notification sinks failing now.
    NotifyHealth(Vec<crate::engine::status::SinkFailing>),
    /// A new line of the audit log.
    EventAppended(Box<crate::model::Event>),
    /// What a rollback would lose, asked for by [`Effect::AskDelta`].
    Delta(Box<crate::model::moved::RollbackDelta>),
    /// An older page of the audit log, asked for by [`Effect::OlderLog`].
    OlderEvents(Vec<crate::model::Event>),
    /// A segment's full chart, asked for by [`Effect::AskChart`].
    Chart {
        segment: String,
        points: Vec<(f64, f64)>,
    },
    /// The owner this cockpit is attached to changed (`None`: this cockpit owns the project).
    Attached(Option<String>),
}

/// Something the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Run an action through the engine (the same path as the headless commands).
    Apply {
        segment: String,
        action: Action,
        reason: Option<String>,
        /// The phase the operator saw: refused if the segment has moved since.
        expect: Option<crate::model::Phase>,
    },
    /// Run a segment's test checks without advancing.
    RunChecks {
        segment: String,
    },
    /// Ask the owner for a fresh snapshot (a window's next change has passed).
    Refresh,
    /// Approve (or reject) a request waiting for approval.
    Decide {
        request: u64,
        approve: bool,
        reason: Option<String>,
    },
    /// Save this user's cockpit memory (sort, grouping, the newest event shown) in the state.
    SavePrefs(UserPrefs),
    /// Read the page of the log before event `before` (see `log_lines`).
    OlderLog {
        before: u64,
    },
    /// Ask what a rollback of `segment` would lose (see `tui::moving::ask_delta`).
    AskDelta {
        segment: String,
    },
    /// Ask for the full chart of the segment the detail screen shows (see
    /// `tui::detail_chart`).
    AskChart {
        segment: String,
    },
    Quit,
}
