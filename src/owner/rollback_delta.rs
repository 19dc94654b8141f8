//! What a rollback would lose, as the owner knows it: `cutover rollback --dry-run` and the
//! cockpit's rollback dialog ask ([`Core::rollback_delta`]); the answer is read from the target
//! as a job off the loop ([`crate::reconcile::delta`]) and kept, so a reading at most
//! [`FRESH`] old answers the next ask (the detail screen asks again every few minutes, not on
//! every frame). The rollback itself always reads the target afresh, right before its undo.
//!
//! It also keeps which rollbacks a lead allowed to delete active users (`--delete-active`,
//! typed confirmation in the client), taken by the undo of that lead's rollback of the
//! segment asked with it, and by no other.

use super::clients::Waiter;
use super::core::Core;
use super::protocol::{FailureKind, Reply};
use crate::model::moved::RollbackDelta;
use std::collections::BTreeMap;

/// How old a reading may be and still answer (longer than the detail screen's 3 minutes
/// between asks, so an open detail screen reads the target every other ask).
pub const FRESH: chrono::Duration = chrono::Duration::minutes(5);

/// How long a lead's `--delete-active` waits for the rollback it came with.
const ALLOWED_FOR: std::time::Duration = std::time::Duration::from_secs(120);

#[derive(Debug, Default)]
pub struct Deltas {
    latest: BTreeMap<String, RollbackDelta>,
    /// Segment → the lead who allowed it, and when.
    delete_active: BTreeMap<String, (String, std::time::Instant)>,
}

impl Deltas {
    /// Keep a reading.
    pub fn keep(&mut self, delta: RollbackDelta) {
        self.latest.insert(delta.segment.clone(), delta);
    }

    /// The latest reading of `segment`, if at most [`FRESH`] old at `now`.
    pub fn fresh(
        &self,
        segment: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<&RollbackDelta> {
        self.latest.get(segment).filter(|d| now - d.at <= FRESH)
    }

    /// `actor`'s rollback of `segment`, asked now, deletes active users too.
    pub fn allow_delete_active(&mut self, segment: &str, actor: &str) {
        self.delete_active.insert(
            segment.to_string(),
            (actor.to_string(), std::time::Instant::now()),
        );
    }

    /// Whether the rollback of `segment` by `actor` starting now may delete active users:
    /// only the one its lead asked for, within [`ALLOWED_FOR`] (taken once). Another lead's
    /// rollback, the guard's, or one long after a refused ask keep them.
    pub fn take_delete_active(&mut self, segment: &str, actor: &str) -> bool {
        self.delete_active
            .remove(segment)
            .is_some_and(|(who, at)| who == actor && at.elapsed() <= ALLOWED_FOR)
    }
}

impl Core {
    /// Answer what a rollback of `segment` would lose.
    pub(super) fn rollback_delta(&mut self, segment: String, waiter: Waiter) {
        if let Some(d) = self.deltas.fresh(&segment, chrono::Utc::now()) {
            let delta = Box::new(d.clone());
            return self.clients.reply(waiter, Reply::RollbackDelta { delta });
        }
        let Some(target) = self
            .engine
            .project()
            .segment(&segment)
            .and_then(|s| s.moving.as_ref())
            .map(|m| m.target.clone())
        else {
            return self.clients.fail(
                waiter,
                FailureKind::Invalid,
                format!(
                    "'{segment}' moves no users ([segments.move]): its rollback deletes no one"
                ),
            );
        };
        let (plan, client) =
            match self.plan_for(&segment, crate::moving::journal::Which::Real, &target) {
                Ok((plan, client, _)) => (plan, client),
                Err((kind, e)) => return self.clients.fail(waiter, kind, e),
            };
        let journal = crate::moving::journal::Journal::new(
            self.engine.store().samples().clone(),
            &segment,
            crate::moving::journal::Which::Real,
        );
        self.running.job(waiter, async move {
            match crate::reconcile::delta::active(&plan, &client, &journal, target.kind()).await {
                Ok(a) => Reply::RollbackDelta {
                    delta: Box::new(a.delta),
                },
                Err(e) => Reply::Failed {
                    kind: FailureKind::Invalid,
                    message: format!("{segment}: cannot read what a rollback would lose: {e}"),
                },
            }
        });
    }
}
