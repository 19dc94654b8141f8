//! The owner's side of "who guards" (see [`crate::engine::guarding`]): a long-lived owner says
//! in the log when it starts and stops guarding, and records a guard the log thought running
//! as gone when it finds the project free.

use super::core::Core;
use super::protocol::Tone;

/// Why a guard the log says is running is recorded as stopped by the next owner.
const GUARD_GONE: &str =
    "the guard before this one ended without a word (killed, or its machine or lead went away)";

impl Core {
    /// Say in the log that this process guards from now on (once), after recording a guard
    /// the log thought running as gone, and the gaps this start ends.
    pub(super) fn begin_guarding(&mut self) {
        if self.guardian.is_some() {
            return;
        }
        let who = crate::engine::guarding::Guardian::this_process(
            &crate::os::actor(None),
            self.role.as_str(),
        );
        let now = self.now();
        match self.engine.start_guarding(&who, Some(GUARD_GONE), now) {
            Ok(gap) => {
                self.guardian = Some(who);
                if let Some(detail) = gap.and_then(|e| e.body.detail) {
                    self.notice(Tone::Warn, detail);
                }
            }
            Err(e) => tracing::warn!("cannot record that guarding started: {e}"),
        }
    }

    /// Say in the log that this process stops guarding, and why (if it said it started).
    pub(super) fn end_guarding(&mut self, why: &str) {
        if let Some(who) = self.guardian.take() {
            let now = self.now();
            if let Err(e) = self.engine.record_guarding(false, &who, why, now) {
                tracing::warn!("cannot record that guarding stopped: {e}");
            }
        }
    }

    /// The log says a guard runs, but this process holds the project and does not guard.
    pub(super) fn found_guard_gone(&mut self) {
        let who = crate::engine::guarding::Guardian::this_process("auto", self.role.as_str());
        let now = self.now();
        if let Err(e) = self.engine.record_guarding(false, &who, GUARD_GONE, now) {
            tracing::warn!("cannot record that the guard is gone: {e}");
        }
    }
}
