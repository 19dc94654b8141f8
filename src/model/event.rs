//! One line of the audit log, and the fold that turns the log into each segment's state.
//!
//! The event log is the source of truth: a segment's phase, hold, pending hook and cutover
//! moment are all derived here from the events, in order. Nothing in this module does I/O.

use super::phase::{Action, HookAction, Phase, PhaseShown};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How an action ended, as recorded in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Done, with no hook involved.
    Ok,
    /// A hook is about to fire (written and flushed before it runs).
    Requested,
    /// The hook reported success; the transition took effect.
    Succeeded,
    /// The hook failed; the transition did not take effect.
    Failed,
    /// The machine refused the action; nothing changed.
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Requested => "requested",
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Refused => "refused",
        }
    }
}

/// An event before the store gives it a sequence number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub at: DateTime<Utc>,
    pub segment: String,
    pub kind: Action,
    pub from: Option<Phase>,
    pub to: Option<Phase>,
    pub actor: String,
    pub reason: Option<String>,
    pub outcome: Outcome,
    /// The hook this event is about, if any.
    pub hook: Option<HookAction>,
    /// For hook outcomes and retries: the sequence number of the original request, which is
    /// also the hook's idempotency key.
    pub intent: Option<u64>,
    /// Hook output, refusal reason or other detail (secrets redacted before it gets here).
    pub detail: Option<String>,
    /// The segment's size recorded at the moment of cutover (the base of the migrated share).
    pub size: Option<u64>,
    /// The segment's migrated count at the moment of cutover (its latest `migrated` sample):
    /// the projection of this cutover starts from it. Absent in older logs: from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrated: Option<u64>,
    /// For `adopt-fit`: the mix that becomes the segment's plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Vec<crate::model::Cohort>>,
    /// Test check results: of an advance from test, or of a run without advancing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<Vec<crate::model::gate::Verdict>>,
    /// For `audit`: what the audit of a user export found (counts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<Box<crate::model::audit::Audit>>,
    /// For `move`: what a move of users did (counts and codes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved: Option<Box<crate::model::moved::MoveReport>>,
    /// For `reconcile`: what a reconciliation of legacy and target found (counts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciled: Option<Box<crate::model::reconciled::Reconciliation>>,
    /// For `approval`: a request of an action, an approval or a rejection of one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Box<crate::model::approval::ApprovalBody>>,
}

impl NewEvent {
    /// `actor`'s `kind` on `segment` at `at`, done (outcome ok), with nothing else recorded:
    /// the start every event is built from.
    pub fn new(at: DateTime<Utc>, segment: &str, kind: Action, actor: &str) -> NewEvent {
        NewEvent {
            at,
            segment: segment.to_string(),
            kind,
            from: None,
            to: None,
            actor: actor.to_string(),
            reason: None,
            outcome: Outcome::Ok,
            hook: None,
            intent: None,
            detail: None,
            size: None,
            migrated: None,
            plan: None,
            checks: None,
            audit: None,
            moved: None,
            reconciled: None,
            approval: None,
        }
    }
}

/// An event as stored: a [`NewEvent`] with its sequence number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    #[serde(flatten)]
    pub body: NewEvent,
}

impl Event {
    /// The idempotency key of the hook this event belongs to.
    pub fn hook_key(&self) -> u64 {
        self.body.intent.unwrap_or(self.seq)
    }

    /// The acknowledgement line of a flushed event, as commands print it and the cockpit
    /// shows it: `eu: rollback cutover → rolled-back: rollback hook succeeded (event 9, key 8) — …`.
    pub fn ack_line(&self) -> String {
        use std::fmt::Write;
        let event = self;
        let e = &event.body;
        let mut line = format!("{}: {}", e.segment, e.kind);
        match (e.from, e.to) {
            (Some(from), Some(to)) => {
                let _ = write!(line, " {from} → {to}");
            }
            (Some(from), None) => {
                let _ = write!(line, " (in {from})");
            }
            _ => {}
        }
        if let Some(hook) = e.hook {
            let _ = write!(line, ": {hook} hook {}", e.outcome.as_str());
        } else {
            let _ = write!(line, ": {}", e.outcome.as_str());
        }
        let _ = write!(line, " (event {}", event.seq);
        if let Some(intent) = e.intent {
            let _ = write!(line, ", key {intent}");
        }
        line.push(')');
        if let Some(d) = &e.detail {
            let _ = write!(line, " — {d}");
        }
        line
    }
}

/// A hook that was requested and whose outcome is not (yet) recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingHook {
    pub action: HookAction,
    /// Idempotency key: the sequence number of the original request.
    pub key: u64,
    pub from: Phase,
    pub to: Phase,
}

/// A freeze on a segment: blocks every advance until resumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub reason: String,
    pub actor: String,
    pub since: DateTime<Utc>,
}

/// Everything the log says about one segment now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentState {
    pub phase: Phase,
    /// When the segment entered its current phase (None: never moved).
    pub since: Option<DateTime<Utc>>,
    /// When the segment last entered `cutover`.
    pub cutover_at: Option<DateTime<Utc>>,
    /// The segment's size recorded at that moment.
    pub size_at_cutover: Option<u64>,
    /// The migrated count recorded at that moment (a re-cutover starts from it).
    pub migrated_at_cutover: Option<u64>,
    pub hold: Option<Hold>,
    pub pending: Option<PendingHook>,
    /// A rollback whose hook failed: the segment is still in `phase`, visibly.
    pub rollback_failed: Option<PendingHook>,
    /// The last hook failure of any kind, for display.
    pub last_failure: Option<String>,
    /// A plan adopted from the forecast's fit, overriding the project file's.
    pub adopted: Option<AdoptedPlan>,
}

/// A plan adopted from the forecast (`adopt-fit`): who, when, and the mix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdoptedPlan {
    pub cohorts: Vec<crate::model::Cohort>,
    pub actor: String,
    pub at: DateTime<Utc>,
}

impl Default for SegmentState {
    fn default() -> Self {
        SegmentState {
            phase: Phase::Plan,
            since: None,
            cutover_at: None,
            size_at_cutover: None,
            migrated_at_cutover: None,
            hold: None,
            pending: None,
            rollback_failed: None,
            last_failure: None,
            adopted: None,
        }
    }
}

impl SegmentState {
    /// The share of the segment already migrated when it (last) entered cutover: where this
    /// cutover's projection starts. 0 before a cutover, and for logs that did not record it.
    pub fn start_share(&self) -> f64 {
        match (self.migrated_at_cutover, self.size_at_cutover) {
            (Some(m), Some(size)) if size > 0 => (m as f64 / size as f64).clamp(0.0, 1.0),
            _ => 0.0,
        }
    }

    /// The phase as an operator should read it: `rollback-failed` wins over the machine phase.
    pub fn display_phase(&self) -> PhaseShown {
        if self.rollback_failed.is_some() && self.pending.is_none() {
            PhaseShown::RollbackFailed
        } else {
            self.phase.into()
        }
    }

    fn enter(&mut self, to: Phase, at: DateTime<Utc>, e: &NewEvent) {
        self.phase = to;
        self.since = Some(at);
        if to == Phase::Cutover {
            self.cutover_at = Some(at);
            self.size_at_cutover = e.size;
            self.migrated_at_cutover = e.migrated;
        }
        if to == Phase::RolledBack {
            self.rollback_failed = None;
            self.pending = None;
        }
        if matches!(to, Phase::Plan) {
            self.cutover_at = None;
            self.size_at_cutover = None;
            self.migrated_at_cutover = None;
        }
    }

    /// Apply one event of this segment.
    pub fn apply(&mut self, event: &Event) {
        let e = &event.body;
        match e.outcome {
            Outcome::Refused => {}
            Outcome::Ok => match e.kind {
                Action::Pause => {
                    self.hold = Some(Hold {
                        reason: e.reason.clone().unwrap_or_default(),
                        actor: e.actor.clone(),
                        since: e.at,
                    });
                }
                Action::Resume => self.hold = None,
                Action::AdoptFit => {
                    if let Some(cohorts) = &e.plan {
                        self.adopted = Some(AdoptedPlan {
                            cohorts: cohorts.clone(),
                            actor: e.actor.clone(),
                            at: e.at,
                        });
                    }
                }
                _ => {
                    if let Some(to) = e.to {
                        self.enter(to, e.at, e);
                    }
                }
            },
            Outcome::Requested => {
                if let (Some(action), Some(from), Some(to)) = (e.hook, e.from, e.to) {
                    self.pending = Some(PendingHook {
                        action,
                        key: event.hook_key(),
                        from,
                        to,
                    });
                }
            }
            Outcome::Succeeded => {
                if self.pending.map(|p| p.key) == Some(event.hook_key()) {
                    self.pending = None;
                }
                self.last_failure = None;
                if let Some(to) = e.to {
                    self.enter(to, e.at, e);
                }
            }
            Outcome::Failed => {
                let key = event.hook_key();
                let failed = self.pending.filter(|p| p.key == key);
                if failed.is_some() {
                    self.pending = None;
                }
                self.last_failure = Some(format!(
                    "{} hook failed (event {}): {}",
                    e.hook.map(HookAction::as_str).unwrap_or("a"),
                    event.seq,
                    e.detail.as_deref().unwrap_or("no output")
                ));
                if e.hook == Some(HookAction::Rollback) {
                    self.rollback_failed = failed.or(self.rollback_failed).or(Some(PendingHook {
                        action: HookAction::Rollback,
                        key,
                        from: e.from.unwrap_or(self.phase),
                        to: Phase::RolledBack,
                    }));
                }
            }
        }
    }
}

/// Fold the whole log into per-segment state (segments never mentioned are absent: in `plan`).
pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> BTreeMap<String, SegmentState> {
    let mut states: BTreeMap<String, SegmentState> = BTreeMap::new();
    for event in events {
        states
            .entry(event.body.segment.clone())
            .or_default()
            .apply(event);
    }
    states
}
