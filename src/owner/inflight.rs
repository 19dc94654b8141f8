//! Work the owner runs off its loop, tracked one way: hooks, test checks, polls and long reads
//! (verify, backup) are each an [`InFlight`] set of tasks, every task spawned with what the
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
