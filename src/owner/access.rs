//! The owner's change control at the door: a viewer (`[access] viewers`, or on the team
//! backend a database role with read-only grants) may watch but not act, and an action outside its window (`[[windows]]`) or inside a freeze (`[[freezes]]`) is
//! refused with the moment it may next run. Rollbacks are never held: safety first, and the
//! guard's auto-rollback never passes through here at all.
//!
//! The rules themselves are [`crate::model::change_control`]; this module applies them to a
//! client's request, on the owner's clock (the project's: a simulated one in a demo).

use super::clients::Waiter;
use super::core::Core;
use super::protocol::{FailureKind, Request};
use crate::engine::Command;

impl Core {
    /// Whether `actor` is one of the project's viewers.
    pub(super) fn is_viewer(&self, actor: &str) -> bool {
        self.engine
            .project()
            .change
            .viewers
            .iter()
            .any(|p| p.holds(actor, &crate::os::in_group))
    }

    /// Refuse `request` when its asker may only watch; true when it was refused.
    pub(super) fn refused_to_viewer(
        &mut self,
        client: u64,
        request: &Request,
        waiter: Waiter,
    ) -> bool {
        if request.watches() {
            return false;
        }
        let actor = self.who(client);
        if let Some(shared) = self.engine.store().coordination()
            && !shared.session().writes
        {
            self.clients.fail(
                waiter,
                FailureKind::Refused,
                format!(
                    "{actor} is a viewer of this project: the database role {actor} may only read the team state (read-only grants), so this process watches but may not act; ask a lead"
                ),
            );
            return true;
        }
        // The socket's peer counts too: on the team backend an OS user listed as a viewer
        // stays one on a lead's machine, whose database role is the lead's.
        let peer = self.peer(client);
        if !self.is_viewer(&actor) && !self.is_viewer(&peer) {
            return false;
        }
        let actor = if self.is_viewer(&actor) { actor } else { peer };
        self.clients.fail(
            waiter,
            FailureKind::Refused,
            format!(
                "{actor} is a viewer of this project ([access] viewers): may watch everything and save their own marker, but not act; ask a lead"
            ),
        );
        true
    }

    /// On the team backend under change control, a person is the database role this process
    /// logs in as: another OS user attached to its socket would act, ask or approve in that
    /// role's name. Refuse them any request but watching; true when refused.
    pub(super) fn refused_to_another_person(
        &mut self,
        client: u64,
        request: &Request,
        waiter: Waiter,
    ) -> bool {
        let change = &self.engine.project().change;
        let controlled = change.approvals.is_some() || !change.viewers.is_empty();
        let Some(shared) = self.engine.store().coordination() else {
            return false;
        };
        if !controlled || request.watches() || self.owners_user(client) {
            return false;
        }
        let role = shared.session().user.clone();
        let peer = self.peer(client);
        self.clients.fail(
            waiter,
            FailureKind::Refused,
            format!(
                "{peer} may watch here but not act: this process acts as the database role {role}; on the team backend each lead runs cutover logged in as their own role"
            ),
        );
        true
    }

    /// Refuse `cmd` when its action is outside its window or frozen now; true when it was
    /// refused. The refusal names the next moment it may run.
    pub(super) fn refused_by_window(&mut self, cmd: &Command, waiter: Waiter) -> bool {
        let phase = self.engine.state(&cmd.segment).phase;
        // Deleting active users is a rollback: never held by a window.
        let name = crate::model::change_control::action_name(cmd.action, phase, false);
        let now = self.now();
        let rules = &self.engine.project().change.rules;
        let Err(closed) = rules.check(name, now) else {
            return false;
        };
        // Shown in the zone of the first window naming the action (else UTC).
        let zone = rules
            .windows
            .iter()
            .find(|w| w.actions.iter().any(|a| a == name))
            .map_or(chrono_tz::UTC, |w| w.zone);
        let opens = match closed.opens {
            Some(t) => format!(
                "it next opens at {} ({})",
                t.with_timezone(&zone).to_rfc3339(),
                zone.name()
            ),
            None => "no window opens for it".to_string(),
        };
        self.clients.fail(
            waiter,
            FailureKind::Refused,
            format!(
                "{} of {} refused: {}; {opens}. Rollbacks are never held.",
                name, cmd.segment, closed.why
            ),
        );
        true
    }
}
