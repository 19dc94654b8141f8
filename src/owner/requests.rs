//! The owner's answers to client requests: joining and leaving, and each [`Request`]. Reads
//! are answered at once from the engine; actions and polls start work in [`super::work`].

use super::Inbox;
use super::clients::Waiter;
use super::core::Core;
use super::protocol::{FailureKind, Reply, Request, Role, Tone};
use super::running::PollJob;
use crate::engine::{Command, EngineError};

impl Core {
    pub(super) fn on_inbox(&mut self, msg: Inbox) {
        match msg {
            Inbox::Join {
                client,
                out,
                actor,
                role,
                uid,
            } => {
                if role != Role::Command {
                    self.start_polling();
                }
                self.clients.join(client, out, actor, uid);
            }
            Inbox::Leave { client, reason } => {
                self.clients.leave(client, reason);
            }
            Inbox::Request {
                client,
                id,
                request,
            } => {
                self.changes.reads_only(request.reads_only());
                self.on_request(client, id, request);
            }
        }
    }

    pub(super) fn on_request(&mut self, client: u64, id: u64, request: Request) {
        let waiter = Some((client, id));
        if self.refused_to_viewer(client, &request, waiter)
            || self.refused_to_another_person(client, &request, waiter)
        {
            return;
        }
        let now = self.engine.reading_time(self.now());
        match request {
            Request::Act {
                segment,
                action,
                reason,
                expect,
                delete_active,
                override_window,
            } => {
                let actor = self.actor_of(client);
                let delete_active = delete_active && action == crate::model::Action::RollBack;
                self.act_as(
                    Command {
                        segment,
                        action,
                        actor,
                        reason,
                        expect,
                    },
                    waiter,
                    super::approvals::Asking {
                        override_window,
                        delete_active,
                        approved: false,
                    },
                );
            }
            Request::Approve { id, reason } => {
                self.decide_request(client, id, true, reason, waiter);
            }
            Request::Reject { id, reason } => {
                self.decide_request(client, id, false, Some(reason), waiter);
            }
            Request::Record {
                segment,
                metric,
                value,
                at,
            } => {
                // The one sample rule of every door (crate::model::reading), with the owner's
                // now: a raw socket request gets no more latitude than `import`.
                let now = self.now();
                let at = at.unwrap_or(now);
                match self
                    .engine
                    .record_sample_live(&segment, &metric, at, value, Some(now))
                {
                    Ok(()) => {
                        self.changes.touch([segment]);
                        self.clients.reply(waiter, Reply::Done);
                    }
                    Err(e) => self.engine_failed(waiter, e),
                }
            }
            Request::Import { samples } => match self.engine.import(&samples, self.now()) {
                Ok(done) => {
                    self.changes.touch(done.segments);
                    self.clients.reply(
                        waiter,
                        Reply::Imported {
                            written: done.written,
                            rejected: done.rejected,
                        },
                    );
                }
                Err(e) => self.engine_failed(waiter, e.into()),
            },
            Request::PollNow { segment } => {
                let specs: Vec<_> = match &segment {
                    Some(s) => match self.engine.project().segment(s) {
                        Some(seg) => seg.sources.clone(),
                        None => {
                            return self
                                .engine_failed(waiter, EngineError::UnknownSegment(s.clone()));
                        }
                    },
                    None => self.engine.project().sources(),
                };
                self.spawn_poll(specs, PollJob::Now { waiter });
            }
            Request::Status => self.answer_status(waiter, now, false),
            Request::StatusJson => self.answer_status(waiter, now, true),
            Request::Chart { segment } => self.answer_chart(waiter, segment, now),
            Request::Log {
                segment,
                before,
                limit,
            } => self.answer_log(waiter, segment, before, limit),
            Request::Snapshot | Request::Subscribe { .. } => {
                let subscribe = match &request {
                    Request::Subscribe { polls } => Some(*polls),
                    _ => None,
                };
                match self
                    .changes
                    .snapshot(&self.engine, now, self.running_hooks())
                {
                    Ok(served) => {
                        self.clients.reply_served(client, id, &served);
                        if let Some(polls) = subscribe {
                            self.clients.subscribe(client, polls);
                        }
                    }
                    Err(e) => self.engine_failed(waiter, e.into()),
                }
            }
            Request::Verify => {
                let reader = self.engine.store().reader();
                #[cfg(test)]
                let fault = super::faults::take(&self.engine.project().name, "verify");
                self.running.blocking_job(waiter, move || {
                    #[cfg(test)]
                    assert!(!fault, "a fault planted by a test");
                    match reader.verify() {
                        Ok(verified) => Reply::Verified { verified },
                        Err(e) => Reply::Failed {
                            kind: FailureKind::Store,
                            message: e.to_string(),
                        },
                    }
                });
            }
            Request::RunChecks { segment } => {
                let actor = self.actor_of(client);
                self.run_checks(segment, actor, waiter);
            }
            Request::RecordAudit { segment, audit } => {
                let actor = self.actor_of(client);
                self.record_audit(segment, *audit, actor, waiter);
            }
            Request::RollbackDelta { segment } => self.rollback_delta(segment, waiter),
            Request::RecordReconciled { reconciled } => {
                let actor = self.actor_of(client);
                let now = self.now();
                match self.engine.record_reconciled(*reconciled, &actor, now) {
                    Ok(event) => {
                        self.sync();
                        self.clients.reply(waiter, Reply::Event { event });
                        self.clients.reply(waiter, Reply::Done);
                    }
                    Err(e) => self.engine_failed(waiter, e),
                }
            }
            Request::Backup { .. } | Request::Report { .. } if !self.owners_user(client) => {
                self.clients.fail(
                    waiter,
                    FailureKind::Invalid,
                    "only the owner's OS user may have it write files (a backup, a report); run this as that user".into(),
                );
            }
            Request::Backup { out } | Request::Report { out, .. } if out.is_relative() => {
                // The owner's working folder is not the caller's: a relative path would land
                // wherever the owner was started. The commands send absolute paths.
                self.clients.fail(
                    waiter,
                    FailureKind::Invalid,
                    format!(
                        "out '{}' is a relative path, and the owner does not run in your folder; give an absolute path",
                        crate::model::reading::shown(&out.to_string_lossy())
                    ),
                );
            }
            Request::Backup { out } => {
                // Flushed first, so the copy holds everything acknowledged so far; written off
                // the loop, which goes on polling and guarding meanwhile.
                self.sync();
                let reader = self.engine.store().reader();
                self.running
                    .blocking_job(waiter, move || match reader.backup(&out) {
                        Ok(files) => Reply::Written { files },
                        Err(e) => Reply::Failed {
                            kind: FailureKind::Store,
                            message: e.to_string(),
                        },
                    });
            }
            Request::Reset { segment } => self.start_reset(segment, waiter),
            Request::Move {
                segment,
                rehearse,
                keep,
                remaining,
                changed_since_move,
            } => {
                let actor = self.actor_of(client);
                if changed_since_move {
                    self.start_drift_pass(segment, actor, waiter);
                } else if remaining {
                    self.start_long_tail(segment, actor, waiter);
                } else {
                    self.start_move(segment, rehearse, keep, actor, waiter);
                }
            }
            Request::Prefs => self.read_prefs(client, waiter),
            Request::SavePrefs { prefs } => self.save_prefs(client, prefs, waiter),
            Request::Report { out, at } => {
                // Read in the loop (text and points, from the snapshot its clients are
                // served when it is for now); drawn and written on a thread of its own at a
                // lower priority, while the loop goes on serving and polling.
                let draft = match at {
                    None => self
                        .changes
                        .snapshot(&self.engine, now, self.running_hooks())
                        .map_err(crate::report::ReportError::from)
                        .and_then(|served| {
                            crate::report::Draft::with_status(
                                &self.engine,
                                &served.snapshot.status,
                                now,
                            )
                        }),
                    Some(at) => crate::report::Draft::of(&self.engine, at),
                };
                match draft {
                    Ok(draft) => self.draw_report(draft, out, waiter),
                    Err(e) => self
                        .clients
                        .fail(waiter, FailureKind::Invalid, e.to_string()),
                }
            }
        }
    }

    /// Draw a report on a thread of its own, at a lower priority: the cockpit and the polls
    /// keep the cores. Its answer comes back as a job's, so a thread that panics still answers.
    fn draw_report(
        &mut self,
        draft: crate::report::Draft,
        out: std::path::PathBuf,
        waiter: Waiter,
    ) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("cutover-report".into())
            .spawn(move || {
                crate::os::lower_this_threads_priority();
                let _ = tx.send(draft.write(&out));
            });
        if let Err(e) = spawned {
            return self.clients.fail(
                waiter,
                FailureKind::Store,
                format!("cannot start the report's thread: {e}"),
            );
        }
        self.running.job(waiter, async move {
            match rx.await {
                Ok(Ok(files)) => Reply::Written { files },
                Ok(Err(e)) => Reply::Failed {
                    kind: FailureKind::Invalid,
                    message: e.to_string(),
                },
                Err(_) => Reply::Failed {
                    kind: FailureKind::Stopped,
                    message: "the report's thread ended without an answer; ask again".into(),
                },
            }
        });
    }

    /// The hooks running now, by segment (a snapshot shows them).
    fn running_hooks(&self) -> std::collections::BTreeMap<String, crate::model::HookAction> {
        self.running
            .hooks()
            .map(|h| (h.segment.clone(), h.action))
            .collect()
    }

    fn actor_of(&self, client: u64) -> String {
        // Under change control a person is their OS user, whatever name a client claims:
        // nobody approves their own request under another name.
        let change = &self.engine.project().change;
        if change.approvals.is_some() || !change.viewers.is_empty() {
            return self.who(client);
        }
        self.clients.actor(client)
    }

    /// Whether a client is the owner's own OS user (or root): only they may have the owner
    /// write files in their name.
    pub(super) fn owners_user(&self, client: u64) -> bool {
        let uid = self.clients.uid(client);
        uid == Some(0) || (uid.is_some() && uid == crate::os::current_uid())
    }

    pub(super) fn engine_failed(&mut self, waiter: Waiter, e: EngineError) {
        let kind = match &e {
            EngineError::UnknownSegment(_) => FailureKind::UnknownSegment,
            EngineError::Refused { .. } => FailureKind::Refused,
            EngineError::HookFailed { .. } => FailureKind::HookFailed,
            EngineError::Invalid(_) => FailureKind::Invalid,
            EngineError::Store(_) => FailureKind::Store,
        };
        // On the team backend, an outage is said with its start: the same line as the
        // cockpit's header and `watch`.
        let message = match (&e, self.engine.unreachable_since()) {
            (
                EngineError::Store(crate::store::StoreError::Database(
                    crate::store::pg::PgError::Unreachable(cause),
                )),
                Some(since),
            ) => format!(
                "state database unreachable since {}: {}",
                since.format("%Y-%m-%d %H:%M:%S UTC"),
                crate::store::pg::unreachable_why(cause)
            ),
            _ => e.to_string(),
        };
        if kind == FailureKind::Store {
            self.clients.notice(Tone::Danger, message.clone());
        }
        self.clients.fail(waiter, kind, message);
    }
}
