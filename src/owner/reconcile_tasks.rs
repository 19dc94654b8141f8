//! Reconciliations the owner runs itself, as tasks off its loop (the demo's, after its move):
//! the same work as `cutover reconcile` ([`crate::reconcile::run`]) with the target's keys
//! from the owner's environment, recorded as a `reconcile` event when it ends. A failure is a
//! notice, never a lost state: nothing is recorded, and the lead can run it again.

use super::core::Core;
use super::inflight::Crashed;
use super::protocol::Tone;
use super::running::Reconciled;
use crate::moving::journal::Which;

impl Core {
    /// Reconcile `segment`'s real target as a task, unless one runs.
    pub(super) fn start_reconcile(&mut self, segment: String, actor: String) {
        if self.running.is_reconciling(&segment) {
            return;
        }
        let project = self.engine.project();
        let Some(target) = project
            .segment(&segment)
            .and_then(|s| s.moving.as_ref())
            .map(|m| m.target.clone())
        else {
            return;
        };
        let (plan, client) = match self.plan_for(&segment, Which::Real, &target) {
            Ok((plan, client, _)) => (plan, client),
            Err((_, e)) => {
                return self
                    .clients
                    .notice(Tone::Danger, format!("{segment}: cannot reconcile: {e}"));
            }
        };
        self.running.reconciling(segment, actor, async move {
            crate::reconcile::run(&plan, &client, "real", target.kind(), &mut |_, _| {})
                .await
                .map(|found| found.counts)
                .map_err(|e| e.to_string())
        });
    }

    pub(super) fn on_reconciled(
        &mut self,
        (segment, actor): (String, String),
        done: Result<Reconciled, Crashed>,
    ) {
        let found = match done {
            Ok(Ok(found)) => found,
            Ok(Err(e)) => {
                return self.clients.notice(
                    Tone::Danger,
                    format!("{segment}: the reconciliation failed: {e}"),
                );
            }
            Err(crashed) => {
                return self.clients.notice(
                    Tone::Danger,
                    format!(
                        "{segment}: the reconciliation ended without an outcome ({})",
                        crashed.0
                    ),
                );
            }
        };
        let now = self.now();
        match self.engine.record_reconciled(found, &actor, now) {
            Ok(_) => {
                self.sync();
                self.publish_events();
            }
            Err(e) => self.clients.notice(
                Tone::Danger,
                format!("{segment}: cannot record the reconciliation: {e}"),
            ),
        }
    }
}
