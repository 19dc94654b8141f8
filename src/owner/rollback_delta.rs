//! What a rollback would lose, as the owner knows it: `cutover rollback --dry-run` and the
//! cockpit's rollback dialog ask ([`Core::rollback_delta`]); the answer is read from the target
//! as a job off the loop ([`crate::reconcile::delta`]) and kept, so a reading at most
//! [`FRESH`] old answers the next ask (the detail screen asks again every few minutes, not on
//! every frame). The rollback itself always reads the target afresh, right before its undo.
//!
//! It also keeps which rollbacks a lead allowed to delete active users (`--delete-active`,
//! typed confirmation in the client), taken by the undo of that segment's next rollback.

use super::clients::Waiter;
use super::core::Core;
use super::protocol::{FailureKind, Reply};
use crate::model::moved::RollbackDelta;
use std::collections::{BTreeMap, BTreeSet};

/// How old a reading may be and still answer.
pub const FRESH: chrono::Duration = chrono::Duration::minutes(3);

#[derive(Debug, Default)]
pub struct Deltas {
    latest: BTreeMap<String, RollbackDelta>,
    delete_active: BTreeSet<String>,
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

    /// The next rollback of `segment` deletes active users too.
    pub fn allow_delete_active(&mut self, segment: &str) {
        self.delete_active.insert(segment.to_string());
    }

    /// Whether the rollback starting now may delete active users (asked once).
    pub fn take_delete_active(&mut self, segment: &str) -> bool {
        self.delete_active.remove(segment)
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
        let (plan, client) = match crate::moving::plan::Plan::of(
            self.engine.project(),
            self.engine.project_dir(),
            &segment,
            &target,
        ) {
            Ok(p) => p,
            Err(e) => return self.clients.fail(waiter, FailureKind::Invalid, e),
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
