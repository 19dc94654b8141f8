//! Work the owner runs off its loop, tracked one way: hooks, test checks, polls, long reads,
//! holds, flushes and deliveries are each an [`InFlight`] set of tasks ([`super::running`]), every task spawned with what the
//! loop needs to know about it (who waits, which hook), and every end comes back with that,
//! whether the task finished or panicked. So a waiter is always answered: a task that panics
//! ends in a [`Crashed`] the loop turns into a failed reply, never in silence.

use std::collections::HashMap;
use std::future::Future;
use tokio::task::{Id, JoinSet};

/// A task that ended without its result (it panicked, or was cancelled), and why.
#[derive(Debug, Clone)]
pub(super) struct Crashed(pub String);

/// Tasks producing `T`, each with its `M`.
pub(super) struct InFlight<M, T> {
    set: JoinSet<T>,
    meta: HashMap<Id, M>,
}

impl<M, T: Send + 'static> Default for InFlight<M, T> {
    fn default() -> Self {
        InFlight {
            set: JoinSet::new(),
            meta: HashMap::new(),
        }
    }
}

impl<M, T: Send + 'static> InFlight<M, T> {
    /// Run `work` as a task, remembered with `meta`.
    pub fn spawn(&mut self, meta: M, work: impl Future<Output = T> + Send + 'static) {
        let task = self.set.spawn(work);
        self.meta.insert(task.id(), meta);
    }

    /// Run blocking `work` on its own thread, remembered with `meta`.
    pub fn spawn_blocking(&mut self, meta: M, work: impl FnOnce() -> T + Send + 'static) {
        let task = self.set.spawn_blocking(work);
        self.meta.insert(task.id(), meta);
    }

    /// The next task to end, with its `meta`: its result, or why it has none. `None` when
    /// nothing runs (the loop guards the call with [`InFlight::is_empty`]).
    pub async fn next(&mut self) -> Option<(M, Result<T, Crashed>)> {
        loop {
            let done = self.set.join_next_with_id().await?;
            let (id, result) = match done {
                Ok((id, value)) => (id, Ok(value)),
                Err(e) => {
                    let id = e.id();
                    let why = if e.is_panic() {
                        let payload = e.into_panic();
                        payload
                            .downcast_ref::<&str>()
                            .map(|s| (*s).to_string())
                            .or_else(|| payload.downcast_ref::<String>().cloned())
                            .map_or_else(
                                || "it panicked".to_string(),
                                |m| format!("it panicked: {m}"),
                            )
                    } else {
                        "it was cancelled".to_string()
                    };
                    (id, Err(Crashed(why)))
                }
            };
            if let Some(meta) = self.meta.remove(&id) {
                return Some((meta, result));
            }
        }
    }

    /// Whether no task runs.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// What each running task was spawned with.
    pub fn running(&self) -> impl Iterator<Item = &M> {
        self.meta.values()
    }

    /// Stop every task; what they were spawned with, for the record.
    pub fn abort_all(&mut self) -> Vec<M> {
        self.set.abort_all();
        self.meta.drain().map(|(_, m)| m).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_that_panics_comes_back_with_its_meta_and_why() {
        let mut work: InFlight<&str, u32> = InFlight::default();
        work.spawn("fine", async { 7 });
        work.spawn("panics", async { panic!("boom") });
        work.spawn_blocking("blocking panics", || panic!("bang"));
        let mut ends = Vec::new();
        while !work.is_empty() {
            if let Some((meta, result)) = work.next().await {
                ends.push((meta, result.map_err(|c| c.0)));
            }
        }
        ends.sort_by_key(|e| e.0);
        assert_eq!(ends.len(), 3);
        assert_eq!(
            ends[0],
            ("blocking panics", Err("it panicked: bang".into()))
        );
        assert_eq!(ends[1], ("fine", Ok(7)));
        assert_eq!(ends[2], ("panics", Err("it panicked: boom".into())));
        assert_eq!(work.running().count(), 0);
    }
}

/// The owner with a planted fault: the waiter of a task that panics is answered, and the
/// owner goes on serving.
#[cfg(test)]
mod owner_tests {
    use crate::owner::protocol::{FailureKind, Reply, Request, Role};
    use crate::owner::{Owner, OwnerOptions, StopMode, faults};

    fn project(dir: &std::path::Path, name: &str) -> crate::engine::Engine {
        let toml = format!(
            "[project]\nname = \"{name}\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 100\nlogin_probability = 0.1\ngoal = 0.9\n[segments.sources.migrated]\nkind = \"command\"\ncommand = [\"echo\", \"5\"]\n"
        );
        std::fs::write(dir.join("cutover.toml"), toml).expect("project");
        let (project, _) = crate::config::load(dir).expect("load");
        let store = crate::store::Store::open(&dir.join(".cutover")).expect("store");
        crate::engine::Engine::new(project, dir.to_path_buf(), store).expect("engine")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_poll_and_a_verify_that_panic_answer_their_waiters_and_the_owner_goes_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let name = "Faulty";
        let engine = project(dir.path(), name);
        let mut options = OwnerOptions::new(Role::Command);
        options.serve = false;
        let owner = Owner::start(engine, options).expect("owner");
        let mut session = owner.connect(Some("tester".into())).await;
        for (kind, request) in [
            ("poll", Request::PollNow { segment: None }),
            ("verify", Request::Verify),
        ] {
            faults::plant(name, kind);
            let reply = session
                .call(request.clone(), |_| {})
                .await
                .expect("answered");
            let Reply::Failed {
                kind: FailureKind::Stopped,
                message,
            } = reply
            else {
                panic!("{kind}: {reply:?}");
            };
            assert!(message.contains("ended without"), "{kind}: {message}");
            // The owner goes on: the same request, without the fault, succeeds.
            let again = session.call(request, |_| {}).await.expect("answered");
            assert!(!matches!(again, Reply::Failed { .. }), "{kind}: {again:?}");
        }
        drop(session);
        owner.stop(StopMode::Drain).await.expect("stops");
    }
}
