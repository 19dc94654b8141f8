//! The owner's side of approvals (`[approvals]`): an action `[approvals] actions` names, or an
//! override of a window, is recorded as a request instead of running; `cutover approve ID`
//! and `cutover reject ID` decide it; when the last approval needed arrives, the action runs
//! through the normal path at once, so its gates are checked then. Who asks and who approves
//! is the client's OS user from the socket's credentials (never a name a client claims), so
//! nobody approves their own request.

use super::clients::Waiter;
use super::core::Core;
use super::protocol::{FailureKind, Reply};
use crate::engine::Command;
use crate::model::approval::{ApprovalBody, Asked, Fate};
use crate::model::change_control::action_name;

/// How an action comes to the owner's door.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Asking {
    /// The lead asks to run it outside its window (`--override`, with a reason).
    pub override_window: bool,
    /// A rollback that deletes users active on the target since they moved.
    pub delete_active: bool,
    /// Approved: it runs now (an override's window is not asked again).
    pub approved: bool,
}

impl Core {
    /// Who a client is, for change control: on the team backend the database session's user
    /// (each lead's process logs in as their own role), else its OS user by the socket's
    /// credentials.
    pub(super) fn who(&self, client: u64) -> String {
        match self.engine.store().coordination() {
            Some(shared) => shared.session().user.clone(),
            None => self.peer(client),
        }
    }

    /// The client's OS user by the socket's credentials (the actor it claims without them).
    pub(super) fn peer(&self, client: u64) -> String {
        match self.clients.uid(client) {
            Some(uid) => crate::os::user_name(uid),
            None => self.clients.actor(client),
        }
    }

    /// Hold `cmd` at the door when change control says so: refused outside its window (or
    /// turned into a request when an override is asked), or recorded as a request when it
    /// needs approval. True when it was held.
    pub(super) fn held(&mut self, cmd: &Command, asking: Asking, waiter: Waiter) -> bool {
        if asking.approved {
            return !asking.override_window && self.refused_by_window(cmd, waiter);
        }
        let phase = self.engine.state(&cmd.segment).phase;
        let name = action_name(cmd.action, phase, asking.delete_active);
        let window = action_name(cmd.action, phase, false);
        let now = self.now();
        let change = &self.engine.project().change;
        let closed = change.rules.check(window, now).is_err();
        let needs = change
            .approvals
            .as_ref()
            .is_some_and(|a| a.actions.iter().any(|x| x == name));
        match (closed, asking.override_window, &change.approvals) {
            (true, false, _) => return self.refused_by_window(cmd, waiter),
            (true, true, None) => {
                self.clients.fail(
                    waiter,
                    FailureKind::Refused,
                    format!("{window} of {} is outside its window, and an override needs [approvals] in cutover.toml (someone else approves it)", cmd.segment),
                );
                return true;
            }
            (true, true, Some(a)) if !a.overrides => {
                self.clients.fail(
                    waiter,
                    FailureKind::Refused,
                    format!("{window} of {} is outside its window, and [approvals] overrides = false: wait for the window", cmd.segment),
                );
                return true;
            }
            (false, _, _) if !needs => return false,
            _ => {}
        }
        if cmd.reason.as_deref().is_none_or(|r| r.trim().is_empty()) && asking.override_window {
            self.clients.fail(
                waiter,
                FailureKind::Invalid,
                "an override needs a reason: --override --reason \"…\"".into(),
            );
            return true;
        }
        let asked = Asked {
            name: name.to_string(),
            action: cmd.action,
            expect: cmd.expect,
            delete_active: asking.delete_active,
            override_window: closed && asking.override_window,
        };
        let recorded = self.engine.record_approval(
            &cmd.segment,
            ApprovalBody::Request(asked),
            &cmd.actor,
            cmd.reason.clone(),
            now,
        );
        match recorded {
            Ok(event) => {
                self.sync();
                self.publish_events();
                let approvers = self.approvers();
                self.clients.fail(
                    waiter,
                    FailureKind::Refused,
                    format!(
                        "{name} of {} waits for approval: request #{} by {}; one of {approvers} approves it with `cutover approve {}` (it runs then, its gates checked then)",
                        cmd.segment, event.seq, cmd.actor, event.seq
                    ),
                );
            }
            Err(e) => self.engine_failed(waiter, e),
        }
        true
    }

    fn approvers(&self) -> String {
        self.engine
            .project()
            .change
            .approvals
            .as_ref()
            .map(|a| {
                a.approvers
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }

    /// `cutover approve ID` (`approve`) or `cutover reject ID` by `client`.
    pub(super) fn decide_request(
        &mut self,
        client: u64,
        id: u64,
        approve: bool,
        reason: Option<String>,
        waiter: Waiter,
    ) {
        let who = self.who(client);
        let now = self.now();
        let Some(cfg) = self.engine.project().change.approvals.clone() else {
            return self.clients.fail(
                waiter,
                FailureKind::Invalid,
                "this project has no [approvals]: nothing waits for approval".into(),
            );
        };
        let expires = crate::engine::approvals::expires(cfg.expires);
        let found =
            crate::model::approval::fate(self.engine.events(), id, cfg.required, expires, now);
        let Some((request, asked, approved_by, fate)) = found else {
            return self.clients.fail(
                waiter,
                FailureKind::Invalid,
                format!("there is no request #{id}: `cutover status` lists those waiting"),
            );
        };
        let refuse =
            |this: &mut Core, why: String| this.clients.fail(waiter, FailureKind::Refused, why);
        match fate {
            Fate::Approved => return refuse(self, format!("request #{id} is approved already")),
            Fate::Rejected { by } => {
                return refuse(self, format!("request #{id} was rejected by {by}"));
            }
            Fate::Expired => {
                return refuse(
                    self,
                    format!(
                        "request #{id} expired at {} ([approvals] expires); ask again",
                        (request.body.at + expires).to_rfc3339()
                    ),
                );
            }
            Fate::Pending => {}
        }
        let requester = request.body.actor.clone();
        let approver = cfg
            .approvers
            .iter()
            .any(|p| p.holds(&who, &crate::os::in_group));
        if approve && who == requester {
            return refuse(
                self,
                format!(
                    "{who} asked for request #{id}: someone else must approve it (self-approval is refused)"
                ),
            );
        }
        // The requester may withdraw their own request; anyone else must be an approver.
        let withdraws = who == requester && !approve;
        if !(approver || withdraws) {
            return refuse(
                self,
                format!(
                    "{who} may not decide request #{id}: the approvers are {}",
                    self.approvers()
                ),
            );
        }
        if approve && approved_by.contains(&who) {
            return refuse(self, format!("{who} approved request #{id} already"));
        }
        let body = if approve {
            ApprovalBody::Approve { request: id }
        } else {
            ApprovalBody::Reject { request: id }
        };
        let segment = request.body.segment.clone();
        let event = match self
            .engine
            .record_approval(&segment, body, &who, reason, now)
        {
            Ok(e) => e,
            Err(e) => return self.engine_failed(waiter, e),
        };
        self.sync();
        self.publish_events();
        self.clients.reply(
            waiter,
            Reply::Event {
                event: event.clone(),
            },
        );
        if !approve || (approved_by.len() as u32 + 1) < cfg.required {
            return self.clients.reply(waiter, Reply::Done);
        }
        // Enough: the action runs now, as its requester asked it, through the normal path.
        let mut approvers = approved_by;
        approvers.push(who);
        let reason = format!(
            "{} (approved by {} in #{})",
            request
                .body
                .reason
                .clone()
                .unwrap_or_else(|| format!("request #{id}")),
            approvers.join(", "),
            event.seq
        );
        let cmd = Command {
            segment,
            action: asked.action,
            actor: requester,
            reason: Some(reason),
            expect: asked.expect,
        };
        self.act_as(
            cmd,
            waiter,
            Asking {
                override_window: asked.override_window,
                delete_active: asked.delete_active,
                approved: true,
            },
        );
    }
}
