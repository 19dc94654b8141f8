//! The live runtime: one tokio task per source polling on its interval (with backoff after
//! failures), results sent as owned messages to the owner of the state ([`crate::owner`]),
//! which stores them as samples and runs the guards.
//!
//! One failing or slow source never delays another: each has its own task and timeout. The
//! pollers never touch the state; only the owner loop does, through the
//! [`crate::engine::Engine`].

use crate::clock::Clock;
use crate::config::SourceSpec;
use crate::secret::Redactor;
use crate::source::{self, Polled};
use chrono::Utc;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// The runtime the long-running owners use (cockpit, watch, demo, simulate), sized for the
/// machine it runs on: one worker per core the process may use, at least 2 (the owner's loop
/// and the pollers beside it) and at most [`MAX_WORKERS`] (the work is I/O: more threads only
/// cost memory). Blocking work (the store's calls that may wait on the database, backups,
/// verify, reports) runs on tokio's separate blocking pool, never on these workers.
pub fn multi_thread() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_count(
            std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
        ))
        .enable_all()
        .build()
}

/// The most workers the live runtime starts, whatever the core count.
pub const MAX_WORKERS: usize = 8;

/// How many workers for `cores` usable cores.
pub fn worker_count(cores: usize) -> usize {
    cores.clamp(2, MAX_WORKERS)
}

/// Longest wait between two polls of a failing source.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The wait before the next poll: the interval, doubled per consecutive failure, capped.
pub fn next_delay(every: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return every;
    }
    let factor = 1u32 << failures.min(6);
    every.saturating_mul(factor).min(MAX_BACKOFF.max(every))
}

async fn poll(
    client: &reqwest::Client,
    spec: &SourceSpec,
    workdir: &std::path::Path,
    redactor: &Redactor,
    clock: &Clock,
) -> Polled {
    let result = source::fetch(client, spec, workdir)
        .await
        .map_err(|e| source::PollError::new(e.kind(), redactor.scrub(&e.to_string())));
    Polled {
        segment: spec.segment.clone(),
        metric: spec.metric.clone(),
        at: clock.now(),
        result,
    }
}

/// Poll every source once, concurrently; results in the order of `specs`.
pub async fn poll_once(
    specs: &[SourceSpec],
    workdir: PathBuf,
    redactor: &Redactor,
    clock: Clock,
) -> Vec<Polled> {
    let client = match source::client() {
        Ok(c) => c,
        Err(e) => {
            return specs
                .iter()
                .map(|s| Polled {
                    segment: s.segment.clone(),
                    metric: s.metric.clone(),
                    at: Utc::now(),
                    result: Err(source::PollError::new(
                        source::PollFailure::NoClient,
                        e.to_string(),
                    )),
                })
                .collect();
        }
    };
    let mut set = JoinSet::new();
    for (i, spec) in specs.iter().cloned().enumerate() {
        let (client, workdir, redactor) = (client.clone(), workdir.clone(), redactor.clone());
        set.spawn(async move { (i, poll(&client, &spec, &workdir, &redactor, &clock).await) });
    }
    let mut out: Vec<Option<Polled>> = vec![None; specs.len()];
    while let Some(done) = set.join_next().await {
        if let Ok((i, p)) = done {
            out[i] = Some(p);
        }
    }
    out.into_iter()
        .zip(specs)
        .map(|(p, s)| {
            p.unwrap_or_else(|| Polled {
                segment: s.segment.clone(),
                metric: s.metric.clone(),
                at: Utc::now(),
                result: Err(source::PollError::new(
                    source::PollFailure::Crashed,
                    "the poll task panicked",
                )),
            })
        })
        .collect()
}

/// The first polls start this far apart (200 sources a second), wrapping around within each
/// source's interval: a project of thousands of sources opens without every request leaving
/// at once, at the identity provider (whose API has rate limits) and on this machine's cores
/// (which draw the cockpit's first frame meanwhile). A project of a few sources polls them
/// all within a few tens of milliseconds.
pub const FIRST_POLL_STAGGER: Duration = Duration::from_millis(5);

/// When the `i`-th source of a project first polls, after its pollers start: always within
/// its first interval.
pub fn first_poll(i: usize, every: Duration) -> Duration {
    if every.is_zero() {
        return Duration::ZERO;
    }
    let after = FIRST_POLL_STAGGER.saturating_mul(u32::try_from(i).unwrap_or(u32::MAX));
    // Below `every`, so it fits wherever `every` does.
    Duration::from_nanos(u64::try_from(after.as_nanos() % every.as_nanos()).unwrap_or(0))
}

/// Start one polling task per source; results go to `tx`. Dropping the returned set stops them.
pub fn spawn_pollers(
    specs: Vec<SourceSpec>,
    workdir: PathBuf,
    redactor: Redactor,
    clock: Clock,
    tx: mpsc::Sender<Polled>,
) -> JoinSet<()> {
    let mut set = JoinSet::new();
    let client = source::client().ok();
    for (i, spec) in specs.into_iter().enumerate() {
        let (tx, workdir, redactor, client) = (
            tx.clone(),
            workdir.clone(),
            redactor.clone(),
            client.clone(),
        );
        let first = first_poll(i, spec.every);
        set.spawn(async move {
            if !first.is_zero() {
                tokio::time::sleep(first).await;
            }
            let Some(client) = client.or_else(|| source::client().ok()) else {
                return;
            };
            let mut failures = 0u32;
            loop {
                let polled = poll(&client, &spec, &workdir, &redactor, &clock).await;
                failures = if polled.result.is_ok() {
                    0
                } else {
                    failures.saturating_add(1)
                };
                if tx.send(polled).await.is_err() {
                    return; // the owner is gone
                }
                tokio::time::sleep(next_delay(spec.every, failures)).await;
            }
        });
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_polls_are_staggered_within_each_interval() {
        let every = Duration::from_secs(30);
        assert_eq!(first_poll(0, every), Duration::ZERO);
        assert_eq!(first_poll(3, every), Duration::from_millis(15));
        // 2,000 sources: the last starts 10 s in, inside its 30 s interval.
        assert_eq!(first_poll(1999, every), Duration::from_millis(9995));
        // Polled every second, 1,000 sources wrap around it: five start in each 5 ms step,
        // never all of the late ones at its end.
        let second = Duration::from_secs(1);
        assert_eq!(first_poll(200, second), Duration::ZERO);
        assert_eq!(first_poll(999, second), Duration::from_millis(995));
        let late = (0..1000)
            .filter(|&i| first_poll(i, second) >= Duration::from_millis(900))
            .count();
        assert_eq!(late, 100, "a tenth of them in the last tenth");
        // A source polled every 100 ms never waits longer than that for its first poll.
        let fast = Duration::from_millis(100);
        assert!((0..5000).all(|i| first_poll(i, fast) < fast));
        assert_eq!(first_poll(usize::MAX, Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn the_runtime_follows_the_cores_within_bounds() {
        assert_eq!(worker_count(1), 2, "the loop and the pollers need two");
        assert_eq!(worker_count(2), 2);
        assert_eq!(worker_count(6), 6, "a 6-core server gets 6");
        assert_eq!(worker_count(64), MAX_WORKERS);
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let every = Duration::from_secs(30);
        assert_eq!(next_delay(every, 0), every);
        assert_eq!(next_delay(every, 1), Duration::from_secs(60));
        assert_eq!(next_delay(every, 3), Duration::from_secs(240));
        assert_eq!(next_delay(every, 30), MAX_BACKOFF);
        let slow = Duration::from_secs(600);
        assert_eq!(next_delay(slow, 2), slow, "never shorter than the interval");
    }
}
