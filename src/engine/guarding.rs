//! Who guards, in the log: long-lived owners record when guarding starts and stops (who, pid,
//! host, why), so any invocation can tell that a segment in cutover has nobody watching it,
//! and since when. Nothing else knows: an owner that quits takes its pollers with it.
//!
//! * `guarding` events are project-wide (segment `*`); `reason` is `started`, `stopped` or
//!   `gap`, and `detail` says who and why (`ana · pid 4242 on lab-1 · watch: SIGINT or
//!   SIGTERM`).
//! * A segment in cutover is **unguarded since** the later of its cutover and the last
//!   `stopped` (or since its cutover when no guard ever started), until a `started`.
//! * An owner that finds the last record `started` while it holds the project itself (the
//!   guard was killed without a word) records `stopped` first, as found at that moment.
//! * A guard that starts records the gaps it ends as one `gap` event ("eu was unguarded from …
//!   to …"), which notifications tell once for all segments.

use super::Engine;
use super::checks::PROJECT_WIDE;
use crate::model::{Action, Event, NewEvent, Phase};
use crate::store::StoreError;
use chrono::{DateTime, Utc};

/// Gaps shorter than this are a hand-over between owners, not worth a notification.
pub const GAP_WORTH_TELLING: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

/// Who is (or was) guarding: the owner process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guardian {
    pub actor: String,
    pub pid: u32,
    pub host: String,
    /// `watch`, `cockpit`, `demo` or `command`.
    pub role: String,
}

impl Guardian {
    /// This process, acting for `actor` in `role`.
    pub fn this_process(actor: &str, role: &str) -> Guardian {
        Guardian {
            actor: actor.to_string(),
            pid: std::process::id(),
            host: crate::os::host_name(),
            role: role.to_string(),
        }
    }

    fn describe(&self) -> String {
        format!(
            "{} · pid {} on {} · {}",
            self.actor, self.pid, self.host, self.role
        )
    }
}

/// A `started` or `stopped` record: routine, unlike the `gap` a start reports.
pub fn is_routine(e: &Event) -> bool {
    is_change(e)
}

/// A `started` or `stopped` record.
fn is_change(e: &Event) -> bool {
    e.body.kind == Action::Guarding
        && matches!(e.body.reason.as_deref(), Some("started" | "stopped"))
}

impl Engine {
    /// The latest `started` or `stopped` record, if any.
    pub fn last_guarding(&self) -> Option<&Event> {
        self.latest.guarding.map(|i| &self.events[i])
    }

    /// Whether the log says a guard is running now (its last record is `started`).
    pub fn guard_recorded_running(&self) -> bool {
        self.last_guarding()
            .is_some_and(|e| e.body.reason.as_deref() == Some("started"))
    }

    /// Since when nothing has guarded `segment`, if it is in cutover and nothing guards it now.
    pub fn unguarded_since(&self, segment: &str) -> Option<DateTime<Utc>> {
        let state = self.state(segment);
        if state.phase != Phase::Cutover {
            return None;
        }
        let cutover_at = state.cutover_at?;
        match self.last_guarding() {
            Some(e) if e.body.reason.as_deref() == Some("started") => None,
            Some(e) => Some(e.body.at.max(cutover_at)),
            None => Some(cutover_at),
        }
    }

    /// Record that `who` started or stopped guarding, and why.
    pub fn record_guarding(
        &mut self,
        started: bool,
        who: &Guardian,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<Event, StoreError> {
        let what = if started { "started" } else { "stopped" };
        self.append(NewEvent {
            reason: Some(what.to_string()),
            detail: Some(format!("{}: {why}", who.describe())),
            ..NewEvent::new(now, PROJECT_WIDE, Action::Guarding, &who.actor)
        })
    }

    /// A guard's start, as the owner `who` records it: first a `stopped` for a guard the log
    /// says is running but is not (`lost`, the reason: it was killed, or lost its lead),
    /// then the gaps this start ends, then `started`. Returns the gap event, if any.
    pub fn start_guarding(
        &mut self,
        who: &Guardian,
        lost: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<Event>, StoreError> {
        if let Some(lost) = lost
            && let Some(last) = self.last_guarding()
            && last.body.reason.as_deref() == Some("started")
        {
            let was = last.body.detail.clone().unwrap_or_default();
            let was = was.split(": ").next().unwrap_or_default().to_string();
            self.append(NewEvent {
                reason: Some("stopped".into()),
                detail: Some(format!("{was}: {lost} (found at this time)")),
                ..NewEvent::new(now, PROJECT_WIDE, Action::Guarding, "auto")
            })?;
        }
        let gaps: Vec<String> = self
            .project()
            .segments
            .iter()
            .filter_map(|s| {
                let from = self.unguarded_since(&s.id)?;
                (now - from >= GAP_WORTH_TELLING).then(|| {
                    format!(
                        "{} was unguarded from {} to {}",
                        s.id,
                        from.format("%Y-%m-%d %H:%M:%S UTC"),
                        now.format("%H:%M:%S")
                    )
                })
            })
            .collect();
        self.record_guarding(true, who, "guarding every segment in cutover", now)?;
        if gaps.is_empty() {
            return Ok(None);
        }
        self.append(NewEvent {
            reason: Some("gap".into()),
            detail: Some(gaps.join("; ")),
            ..NewEvent::new(now, PROJECT_WIDE, Action::Guarding, "auto")
        })
        .map(Some)
    }
}

/// Note `e` in `latest` if it is a start or stop record.
pub(super) fn note(latest: &mut Option<usize>, index: usize, e: &Event) {
    if is_change(e) {
        *latest = Some(index);
    }
}
