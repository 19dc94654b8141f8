//! Typed calls on a [`Session`]: each request and the one reply it ends in, so a caller writes
//! `session.status()` and gets a status, not a [`Reply`] to match by hand. A refusal of the
//! owner is [`CallError::Failed`] with its kind; a reply of another kind (an owner of another
//! version) is [`CallError::Unexpected`], named once here.

use super::protocol::{FailureKind, Reply, Request};
use super::session::{Lost, Session};
use crate::engine::status::ProjectStatus;
use crate::engine::view::Snapshot;
use crate::model::Event;
use crate::model::prefs::UserPrefs;
use crate::store::{SampleLine, Verified};
use chrono::{DateTime, Utc};
use std::path::PathBuf;

/// Why a typed call has no answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The owner went away or stayed silent (or the request could not be sent).
    #[error(transparent)]
    Lost(#[from] Lost),
    /// The owner answered that the request failed, and why.
    #[error("{message}")]
    Failed { kind: FailureKind, message: String },
    /// The owner answered with another kind of reply.
    #[error(
        "the owner answered `{asked}` with a {got} reply; run the same cutover version on both sides"
    )]
    Unexpected {
        asked: &'static str,
        got: &'static str,
    },
}

/// An answer a request ends in: how to take it out of its [`Reply`].
pub trait Answer: Sized {
    /// The answer in `reply`, if it is of this kind.
    fn from_reply(reply: Reply) -> Option<Self>;
}

macro_rules! answer {
    ($t:ty, $pat:pat => $out:expr) => {
        impl Answer for $t {
            fn from_reply(reply: Reply) -> Option<Self> {
                match reply {
                    $pat => Some($out),
                    _ => None,
                }
            }
        }
    };
}

/// Files the owner wrote (a report, a backup).
pub struct Written(pub Vec<PathBuf>);
/// What an import batch did: samples written, rows refused by index with the reason.
pub struct Imported {
    pub written: u64,
    pub rejected: Vec<(usize, String)>,
}
/// The request succeeded, with nothing to say.
pub struct Done;

answer!(Box<ProjectStatus>, Reply::Status { status } => status);
answer!(super::protocol::StatusJson, Reply::StatusJson { status } => status);
answer!(Vec<Event>, Reply::Log { events } => events);
answer!(Box<Snapshot>, Reply::Snapshot { snapshot } => snapshot);
answer!(Verified, Reply::Verified { verified } => verified);
answer!(Written, Reply::Written { files } => Written(files));
answer!(crate::model::moved::MoveReport, Reply::Moved { report } => *report);
answer!(crate::reset::ResetReport, Reply::Reset { report } => *report);
answer!(Imported, Reply::Imported { written, rejected } => Imported { written, rejected });
answer!((String, UserPrefs), Reply::Prefs { user, prefs } => (user, prefs));
answer!(Done, Reply::Done => Done);
answer!(crate::model::moved::RollbackDelta, Reply::RollbackDelta { delta } => *delta);

/// Any final reply, for requests whose answer is told by their progress (an action's events).
impl Answer for Reply {
    fn from_reply(reply: Reply) -> Option<Self> {
        Some(reply)
    }
}

/// The kind of a reply, as the protocol names it.
fn kind(reply: &Reply) -> &'static str {
    match reply {
        Reply::Event { .. } => "event",
        Reply::Polled { .. } => "polled",
        Reply::Status { .. } => "status",
        Reply::StatusJson { .. } => "status-json",
        Reply::Log { .. } => "log",
        Reply::Snapshot { .. } => "snapshot",
        Reply::Written { .. } => "written",
        Reply::Verified { .. } => "verified",
        Reply::Imported { .. } => "imported",
        Reply::Prefs { .. } => "prefs",
        Reply::MoveProgress { .. } => "move-progress",
        Reply::Moved { .. } => "moved",
        Reply::Reset { .. } => "reset",
        Reply::RollbackDelta { .. } => "rollback-delta",
        Reply::Chart { .. } => "chart",
        Reply::Done => "done",
        Reply::Failed { .. } => "failed",
    }
}

impl Session {
    /// Send `request` and take its answer as `T` (`asked` names it in an error).
    pub async fn ask<T: Answer>(
        &mut self,
        asked: &'static str,
        request: Request,
        progress: impl FnMut(&Reply),
    ) -> Result<T, CallError> {
        match self.call(request, progress).await? {
            Reply::Failed { kind, message } => Err(CallError::Failed { kind, message }),
            reply => {
                let got = kind(&reply);
                T::from_reply(reply).ok_or(CallError::Unexpected { asked, got })
            }
        }
    }

    pub async fn status(&mut self) -> Result<Box<ProjectStatus>, CallError> {
        self.ask("status", Request::Status, |_| {}).await
    }

    /// The whole log (of one segment), oldest first.
    pub async fn log(&mut self, segment: Option<String>) -> Result<Vec<Event>, CallError> {
        let request = Request::Log {
            segment,
            before: None,
            limit: None,
        };
        self.ask("log", request, |_| {}).await
    }

    /// One page of the log: the newest `limit` events (at most `LOG_PAGE`) numbered below
    /// `before` (of one segment), oldest first.
    pub async fn log_page(
        &mut self,
        segment: Option<String>,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Event>, CallError> {
        let request = Request::Log {
            segment,
            before,
            limit: Some(limit),
        };
        self.ask("log", request, |_| {}).await
    }

    pub async fn snapshot(&mut self) -> Result<Box<Snapshot>, CallError> {
        self.ask("snapshot", Request::Snapshot, |_| {}).await
    }

    /// A snapshot, then every update (with `polls`, every polled sample too).
    pub async fn subscribe(&mut self, polls: bool) -> Result<Box<Snapshot>, CallError> {
        self.ask("subscribe", Request::Subscribe { polls }, |_| {})
            .await
    }

    pub async fn verify(&mut self) -> Result<Verified, CallError> {
        self.ask("state verify", Request::Verify, |_| {}).await
    }

    /// A backup into `out`, an absolute path.
    pub async fn backup(&mut self, out: PathBuf) -> Result<Written, CallError> {
        self.ask("state backup", Request::Backup { out }, |_| {})
            .await
    }

    /// The report into `out`, an absolute path, read at `at` (default: now).
    pub async fn report(
        &mut self,
        out: PathBuf,
        at: Option<DateTime<Utc>>,
    ) -> Result<Written, CallError> {
        self.ask("report", Request::Report { out, at }, |_| {})
            .await
    }

    pub async fn import(&mut self, samples: Vec<SampleLine>) -> Result<Imported, CallError> {
        self.ask("import", Request::Import { samples }, |_| {})
            .await
    }

    /// This user's cockpit memory: (user name, prefs).
    pub async fn prefs(&mut self) -> Result<(String, UserPrefs), CallError> {
        self.ask("prefs", Request::Prefs, |_| {}).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_taken_only_from_its_own_kind_of_reply() {
        assert!(Done::from_reply(Reply::Done).is_some());
        assert!(<Box<ProjectStatus>>::from_reply(Reply::Done).is_none());
        assert!(Verified::from_reply(Reply::Done).is_none());
        assert_eq!(kind(&Reply::Done), "done");
        let e = CallError::Unexpected {
            asked: "status",
            got: "done",
        };
        assert!(
            e.to_string()
                .contains("answered `status` with a done reply"),
            "{e}"
        );
    }
}
