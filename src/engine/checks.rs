//! The engine's side of test checks and audits: recording what a check run or an audit found,
//! and reading the latest of each from the log (the log is where they live; nothing else
//! keeps them). Fresh results reach an advance from test as an argument of
//! [`Engine::request_checked`].
//!
//! Checks themselves run elsewhere ([`crate::check_run`], on the owner's tasks): the engine only
//! takes their verdicts, so deciding stays synchronous and pure.

use super::{Command, Engine, EngineError};
use crate::check_run::LatestAudit;
use crate::config::Segment;
use crate::model::audit::Audit;
use crate::model::gate::{self, Status, Verdict};
use crate::model::{Action, Event, NewEvent, Outcome};
use chrono::{DateTime, Utc};

/// The segment name project-wide audits (no `--segment`) are recorded under; no segment id
/// can take it, and every segment's `audit` check falls back to it.
pub const PROJECT_WIDE: &str = "*";

impl Engine {
    /// The latest audit recorded for `segment`, else the latest project-wide one.
    pub fn latest_audit(&self, segment: &str) -> Option<LatestAudit> {
        [segment, PROJECT_WIDE].iter().find_map(|s| {
            let &i = self.latest.audits.get(*s)?;
            let e = &self.events[i];
            Some(LatestAudit {
                audit: (**e.body.audit.as_ref()?).clone(),
                at: e.body.at,
                seq: e.seq,
            })
        })
    }

    /// The event that holds the segment's latest audit (its own, else project-wide).
    pub fn latest_audit_event(&self, segment: &str) -> Option<&Event> {
        [segment, PROJECT_WIDE]
            .iter()
            .find_map(|s| self.latest.audits.get(*s).map(|&i| &self.events[i]))
    }

    /// Each declared check with its latest result (unknown until run), and when they ran.
    pub fn check_status(&self, seg: &Segment) -> (Vec<Verdict>, Option<DateTime<Utc>>) {
        let last = self
            .latest
            .checks
            .get(&seg.id)
            .map(|&i| &self.events[i].body);
        let verdicts = seg
            .checks
            .iter()
            .map(|c| {
                last.and_then(|e| e.checks.as_ref()?.iter().find(|v| v.name == c.name))
                    .cloned()
                    .unwrap_or_else(|| not_run(&c.name, &seg.id))
            })
            .collect();
        (verdicts, last.map(|e| e.at))
    }

    /// Record `cmd` as refused for `reason` (decided outside the machine, e.g. stale checks),
    /// and return the error that says so.
    pub fn record_refusal(
        &mut self,
        cmd: &Command,
        now: DateTime<Utc>,
        reason: String,
    ) -> EngineError {
        let from = Some(self.state(&cmd.segment).phase);
        let body = NewEvent {
            from,
            outcome: Outcome::Refused,
            reason: cmd.reason.clone(),
            detail: Some(reason.clone()),
            ..NewEvent::new(now, &cmd.segment, cmd.action, &cmd.actor)
        };
        match self.append(body) {
            Ok(_) => EngineError::Refused {
                segment: cmd.segment.clone(),
                action: cmd.action,
                reason,
            },
            Err(e) => e.into(),
        }
    }

    /// Record a run of the checks without advancing.
    pub fn record_check_run(
        &mut self,
        segment: &str,
        verdicts: Vec<Verdict>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Event, EngineError> {
        if self.project.segment(segment).is_none() {
            return Err(EngineError::UnknownSegment(segment.to_string()));
        }
        let detail = match gate::blockers(&verdicts) {
            None => format!("checks {}", gate::summary(&verdicts)),
            Some(why) => format!("checks {}: {why}", gate::summary(&verdicts)),
        };
        let phase = self.state(segment).phase;
        Ok(self.append(NewEvent {
            from: Some(phase),
            detail: Some(detail),
            checks: Some(verdicts),
            ..NewEvent::new(now, segment, Action::RunChecks, actor)
        })?)
    }

    /// Record an audit of a user export, for `segment` or the whole project.
    pub fn record_audit(
        &mut self,
        segment: Option<&str>,
        audit: Audit,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Event, EngineError> {
        let segment = match segment {
            Some(s) if self.project.segment(s).is_none() => {
                return Err(EngineError::UnknownSegment(s.to_string()));
            }
            Some(s) => s,
            None => PROJECT_WIDE,
        };
        let audit = audit.for_state();
        let detail = audit.summary();
        Ok(self.append(NewEvent {
            detail: Some(detail),
            audit: Some(Box::new(audit)),
            ..NewEvent::new(now, segment, Action::Audit, actor)
        })?)
    }
}

impl Engine {
    /// Record a reconciliation of `segment` (counts only), judged by the segment's limits.
    pub fn record_reconciled(
        &mut self,
        mut found: crate::model::reconciled::Reconciliation,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Event, EngineError> {
        let Some(seg) = self.project.segment(&found.segment) else {
            return Err(EngineError::UnknownSegment(found.segment));
        };
        found.limits = seg.reconciled_limits();
        found.ok = found.failing(&found.limits).is_empty();
        let segment = found.segment.clone();
        Ok(self.append(NewEvent {
            detail: Some(found.summary()),
            reconciled: Some(Box::new(found)),
            ..NewEvent::new(now, &segment, Action::Reconcile, actor)
        })?)
    }

    /// The segment's latest reconciliation of `which` (`real` or `rehearsal`), its age, and
    /// whether a move there ended after it.
    pub fn latest_reconciled(
        &self,
        segment: &str,
        which: &str,
        now: DateTime<Utc>,
    ) -> Option<crate::model::criteria::ReconciledSeen> {
        let key = (segment.to_string(), which.to_string());
        let &i = self.latest.reconciled.get(&key)?;
        let e = &self.events[i];
        let moved_after = self.latest.moves.get(&key).is_some_and(|&m| m > i);
        Some(crate::model::criteria::ReconciledSeen {
            found: (**e.body.reconciled.as_ref()?).clone(),
            age_secs: (now - e.body.at).num_milliseconds().max(0) as f64 / 1000.0,
            before_move: moved_after,
        })
    }

    /// Record the end of a move of `segment`'s users (counts and codes only).
    pub fn record_move(
        &mut self,
        segment: &str,
        report: crate::model::moved::MoveReport,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Event, EngineError> {
        if self.project.segment(segment).is_none() {
            return Err(EngineError::UnknownSegment(segment.to_string()));
        }
        Ok(self.append(NewEvent {
            detail: Some(report.summary()),
            moved: Some(Box::new(report)),
            ..NewEvent::new(now, segment, Action::Move, actor)
        })?)
    }
}

/// Each declared check of `seg`, not run (unknown, which never passes).
pub(super) fn not_run_all(seg: &Segment) -> Vec<Verdict> {
    seg.checks
        .iter()
        .map(|c| not_run(&c.name, &seg.id))
        .collect()
}

fn not_run(name: &str, segment: &str) -> Verdict {
    Verdict {
        name: name.to_string(),
        status: Status::Unknown,
        reason: format!("not run yet: press c on {segment}, or `cutover checks {segment}`"),
    }
}

/// Where the latest audit and check run of each segment are in the log.
#[derive(Debug, Default)]
pub(super) struct Latest {
    pub audits: std::collections::BTreeMap<String, usize>,
    pub checks: std::collections::BTreeMap<String, usize>,
    /// The latest `guarding` start or stop record (see [`super::guarding`]).
    pub guarding: Option<usize>,
    /// The latest move of each segment, by (segment, `real` or `rehearsal`).
    pub moves: std::collections::BTreeMap<(String, String), usize>,
    /// The latest reconciliation of each segment, by (segment, `real` or `rehearsal`).
    pub reconciled: std::collections::BTreeMap<(String, String), usize>,
}

impl Latest {
    /// Note the event at `index` if it is an audit or carries check results.
    pub(super) fn note(&mut self, index: usize, e: &Event) {
        if e.body.audit.is_some() {
            self.audits.insert(e.body.segment.clone(), index);
        }
        if e.body.checks.is_some() {
            self.checks.insert(e.body.segment.clone(), index);
        }
        if let Some(r) = &e.body.reconciled {
            self.reconciled
                .insert((e.body.segment.clone(), r.which.clone()), index);
        }
        if let Some(m) = &e.body.moved {
            self.moves
                .insert((e.body.segment.clone(), m.which.clone()), index);
        }
        super::guarding::note(&mut self.guarding, index, e);
    }
}
