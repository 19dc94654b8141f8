//! The owner's whole interface: what a client may ask ([`Request`]), what it is answered
//! ([`Reply`]) and what it is told as things happen ([`Update`]).
//!
//! The same types travel over an in-process channel (the cockpit that owns the project) and
//! over the project's Unix socket (every other cockpit and command), so an attached client
//! sees exactly what an owning one sees. Everything here is owned data that serializes and
//! deserializes; phases, actions and hooks are enums, never strings compared as text.
//!
//! On the socket each message is one JSON document in a length-delimited frame (a 4-byte
//! big-endian length, then the bytes). A client sends [`ClientMsg::Hello`] first; the owner
//! answers [`ServerMsg::Welcome`], then each [`ClientMsg::Request`] gets zero or more
//! progress replies and exactly one final reply ([`Reply::is_final`]) under the request's id.

use crate::engine::status::ProjectStatus;
use crate::engine::view::Snapshot;
use crate::model::prefs::UserPrefs;
use crate::model::{Action, Event};
use crate::source::Polled;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

pub use super::updates::{MoveNow, SegmentView, Update};

/// Bumped whenever a message changes shape; a client and an owner must agree on it.
/// 4: `log` takes `before` and `limit` (pages), and a snapshot carries the newest page.
/// 7: `reset` (request and reply) and `reset` on a move's progress (reset waves).
/// 11: `status-json` (request and reply: the status as the owner's JSON text).
/// 12: `chart` (request and reply); a snapshot's `series` are each segment's daily closes.
pub const PROTOCOL_VERSION: u32 = 12;

/// What kind of process owns (or attaches to) a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// `cutover watch`: the headless guard.
    Watch,
    /// The cockpit.
    Cockpit,
    /// `cutover demo`.
    Demo,
    /// A one-shot command (`status`, `advance`, ...).
    Command,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Watch => "watch",
            Role::Cockpit => "cockpit",
            Role::Demo => "demo",
            Role::Command => "command",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// How a notice should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tone {
    Info,
    Ok,
    Warn,
    Danger,
}

/// Something a client asks of the owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "kebab-case")]
pub enum Request {
    /// An operator action on a segment (advance, roll back, retry, pause, resume, ...).
    Act {
        segment: String,
        action: Action,
        reason: Option<String>,
        /// The phase the operator saw when deciding (the cockpit sends it): if the segment is
        /// in another phase by the time the action is decided, because another lead acted
        /// first, it is refused, naming that lead's event. `None`: decide on the phase as it is.
        #[serde(default)]
        expect: Option<crate::model::Phase>,
        /// For a rollback of a segment that moved its users: its undo deletes the users active
        /// on the target since they moved too (by default it keeps them). The clients ask for
        /// a typed confirmation first.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        delete_active: bool,
        /// Run it outside its window (`[[windows]]`, `[[freezes]]`), once approved: it is
        /// recorded as a request that `[approvals] approvers` decide.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        override_window: bool,
    },
    /// Approve a request waiting for approval (`cutover approve ID`): answered with the
    /// approval's event, then, when it was the last needed, the action's events.
    Approve {
        id: u64,
        #[serde(default)]
        reason: Option<String>,
    },
    /// Reject a request (`cutover reject ID --reason …`), or withdraw one's own.
    Reject { id: u64, reason: String },
    /// Store one sample by hand (`cutover record`), at `at` (default: now).
    Record {
        segment: String,
        metric: String,
        value: f64,
        #[serde(default)]
        at: Option<DateTime<Utc>>,
    },
    /// Store a batch of samples (`cutover import`), flushed before the answer. Rows that
    /// break the rules of polled samples are answered by their index in the batch.
    Import {
        samples: Vec<crate::store::SampleLine>,
    },
    /// Poll every source now (or one segment's), and guard what comes back.
    PollNow { segment: Option<String> },
    /// The status of every segment, read now.
    Status,
    /// [`Request::Status`] answered as the JSON the owner writes for it ([`StatusJson`]),
    /// for a client that only prints it (`cutover status --json` into a pipe): a thousand
    /// segments are megabytes that it need not read into numbers and write back out.
    StatusJson,
    /// The audit log, optionally of one segment, oldest first. Paged: only events numbered
    /// below `before`, and of those the newest `limit` (at most
    /// [`crate::engine::view::LOG_PAGE`]); without them,
    /// the whole log (as before paging).
    Log {
        segment: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// One snapshot of everything a cockpit draws.
    Snapshot,
    /// A snapshot now, then every [`Update`] until the connection closes; with `polls`, also
    /// every polled sample ([`Update::Polled`]; `watch` logs them).
    Subscribe { polls: bool },
    /// Check the event log and the samples.
    Verify,
    /// Write a portable copy of the state (JSON lines) into `out`, an absolute path (the
    /// owner runs in its own folder; a relative `out` is refused).
    Backup { out: PathBuf },
    /// Run a segment's test checks now, without advancing, and record what they found.
    RunChecks { segment: String },
    /// Record an audit of a user export (`cutover audit`; counts only), for a segment or,
    /// with none, the whole project.
    RecordAudit {
        segment: Option<String>,
        audit: Box<crate::model::audit::Audit>,
    },
    /// What a rollback of `segment` would lose now (`cutover rollback --dry-run`, the
    /// cockpit's rollback dialog): read from the target, or from the owner's reading of it
    /// when that is at most a few minutes old.
    RollbackDelta { segment: String },
    /// One segment's adoption chart at full resolution: the cockpit's detail screen asks for
    /// the segment it shows (snapshots and updates carry each segment's daily closes only).
    Chart { segment: String },
    /// Record a reconciliation of a segment's export and target (`cutover reconcile`;
    /// counts only, judged by the segment's limits when recorded).
    RecordReconciled {
        reconciled: Box<crate::model::reconciled::Reconciliation>,
    },
    /// Write the report (charts and `report.md`) into `out`, an absolute path (as for
    /// `Backup`), read at `at` (default: now).
    Report {
        out: PathBuf,
        at: Option<DateTime<Utc>>,
    },
    /// The asking user's cockpit memory ([`UserPrefs`]), read from the state; answered with
    /// [`Reply::Prefs`]. The user is the peer's OS user name (the actor without a known uid).
    Prefs,
    /// Save the asking user's cockpit memory; the seen marker never moves back.
    SavePrefs { prefs: UserPrefs },
    /// Move a segment's users into its `[segments.move]` target (in cutover), or into its
    /// rehearsal target (in test: measured, then deleted again unless `keep`). Answered with
    /// [`Reply::MoveProgress`] as it goes and [`Reply::Moved`] at the end.
    Move {
        segment: String,
        #[serde(default)]
        rehearse: bool,
        #[serde(default)]
        keep: bool,
        /// A slow segment's long tail: only the users a reconciliation taken as it starts
        /// finds missing on the target (`cutover move --remaining`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        remaining: bool,
        /// A drift pass: the legacy users created or changed since the segment's last move,
        /// moved again (`cutover move --changed-since-move`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        changed_since_move: bool,
    },
    /// Send the reset waves of a segment (`cutover reset`): answered with
    /// [`Reply::MoveProgress`] (users settled) as they go and [`Reply::Reset`] when every user
    /// is settled; already under way, with where they stand at once.
    Reset { segment: String },
}

/// Why a request did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// The phase machine refused the action (the event is in the log).
    Refused,
    /// The action's hook failed (the outcome is in the log).
    HookFailed,
    UnknownSegment,
    /// The request itself is wrong (a value that is not a number, ...).
    Invalid,
    /// The state could not be read or written.
    Store,
    /// Some sources failed to answer a poll.
    SourcesFailed,
    /// The owner stopped before the outcome was known.
    Stopped,
}

/// The answer to one request. `Event` and `Polled` are progress; the others end the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "kebab-case")]
pub enum Reply {
    /// An event the request caused, flushed to disk: the acknowledgement.
    Event {
        event: Event,
    },
    /// One source's answer to a poll.
    Polled {
        polled: Polled,
    },
    Status {
        status: Box<ProjectStatus>,
    },
    /// The answer to [`Request::StatusJson`]: on the wire the same `status` object as
    /// [`Reply::Status`]'s. Read it with [`decode::server_msg`]: serde's derived reading of an
    /// internally tagged enum cannot keep raw JSON.
    StatusJson {
        status: StatusJson,
    },
    Log {
        events: Vec<Event>,
    },
    Snapshot {
        snapshot: Box<Snapshot>,
    },
    /// Files written (a report, a backup).
    Written {
        files: Vec<PathBuf>,
    },
    /// What `verify` found.
    Verified {
        verified: crate::store::Verified,
    },
    /// What an import batch did: samples written (and flushed), rows refused by index.
    Imported {
        written: u64,
        rejected: Vec<(usize, String)>,
    },
    /// A user's cockpit memory, defaults when none is stored.
    Prefs {
        user: String,
        prefs: UserPrefs,
    },
    /// How far a move is: users settled, of about `of` (progress).
    MoveProgress {
        done: u64,
        of: u64,
    },
    /// What a rollback would lose.
    RollbackDelta {
        delta: Box<crate::model::moved::RollbackDelta>,
    },
    /// The answer to [`Request::Chart`]: (days since cutover, share) in time order, at most
    /// [`crate::engine::view::SERIES_POINTS`]; none before cutover.
    Chart {
        segment: String,
        points: Vec<(f64, f64)>,
    },
    /// A move's end report.
    Moved {
        report: Box<crate::model::moved::MoveReport>,
    },
    /// Where a segment's reset waves stand.
    Reset {
        report: Box<crate::reset::ResetReport>,
    },
    /// The request is complete.
    Done,
    Failed {
        kind: FailureKind,
        message: String,
    },
}

impl Request {
    /// Whether it only reads, or saves the asker's own preferences (all a viewer may do).
    pub fn watches(&self) -> bool {
        self.reads_only() || matches!(self, Request::SavePrefs { .. })
    }

    /// Whether answering it leaves the state as it was (a snapshot taken for one such request
    /// may serve the next).
    pub fn reads_only(&self) -> bool {
        matches!(
            self,
            Request::Snapshot
                | Request::Subscribe { .. }
                | Request::Status
                | Request::StatusJson
                | Request::Log { .. }
                | Request::Verify
                | Request::Prefs
                | Request::RollbackDelta { .. }
                | Request::Chart { .. }
        )
    }
}

impl Reply {
    /// Whether this reply ends its request.
    pub fn is_final(&self) -> bool {
        !matches!(
            self,
            Reply::Event { .. } | Reply::Polled { .. } | Reply::MoveProgress { .. }
        )
    }
}

/// The time the owner lives in, so an attached client shows the same "now" (a demo runs on a
/// simulated clock, days ahead of the wall clock).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClockSpec {
    pub now: DateTime<Utc>,
    /// Simulated seconds per real second (1 for the wall clock).
    pub factor: f64,
}

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "msg", rename_all = "kebab-case")]
pub enum ClientMsg {
    /// First message of a connection. `actor` is `--actor` when given; otherwise the owner
    /// names the actor after the peer's OS user.
    Hello {
        protocol: u32,
        role: Role,
        actor: Option<String>,
    },
    Request {
        id: u64,
        request: Request,
    },
}

/// What the owner sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "msg", rename_all = "kebab-case")]
pub enum ServerMsg {
    Welcome(Welcome),
    Reply {
        id: u64,
        reply: Reply,
    },
    Update {
        update: Update,
    },
    /// The connection is refused or ended, and why; the owner closes it after this.
    Goodbye {
        reason: String,
    },
}

/// Who the owner is, told to a client when it connects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Welcome {
    pub protocol: u32,
    pub pid: u32,
    pub role: Role,
    pub project: String,
    /// The actor this client's actions are recorded under.
    pub actor: String,
    pub clock: ClockSpec,
    /// The client is one of `[access] viewers`: it may watch, and its actions are refused
    /// (a cockpit hides its action keys).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub viewer: bool,
    /// Who change control takes this client for: its OS user by the socket's credentials, or
    /// on the team backend the owner's database role (a cockpit tells the lead's own requests
    /// waiting for approval from those they may approve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
}

pub(super) mod decode;
pub use decode::StatusJson;
#[cfg(test)]
mod tests;
