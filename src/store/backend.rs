//! Choosing a project's backend: the one place `[state] backend` becomes a [`Storage`].

use super::Storage;
use std::path::Path;

/// Open a project's state on the backend its `[state] backend` names: the one place a backend
/// is chosen (sled in `state_dir`; PostgreSQL, with only the process lock and the socket in
/// `state_dir`). The in-memory store ([`super::memory`]) is for tests and is never chosen here.
/// `long_lived`: a process that polls (`watch`, the cockpit, the demo) gets the backend's full
/// set of connections; a one-shot command the fewest that serve it.
pub fn open_backend(
    backend: &crate::config::StateBackend,
    state_dir: &Path,
    project: &str,
    long_lived: bool,
) -> anyhow::Result<Box<dyn Storage>> {
    use crate::config::StateBackend;
    Ok(match backend {
        StateBackend::Sled => Box::new(super::Store::open(state_dir)?),
        StateBackend::Postgres { .. } => {
            let url = match backend.database_url() {
                Ok(url) => url.unwrap_or_default(),
                Err(e) => {
                    // The process that owns the project holds the secret already: without it
                    // here, this one still attaches to that owner (the lock says `Locked`).
                    drop(super::lock_dir(state_dir)?);
                    anyhow::bail!(e);
                }
            };
            Box::new(if long_lived {
                super::pg_store::PgStore::open(state_dir, &url, project)?
            } else {
                super::pg_store::PgStore::open_one_shot(state_dir, &url, project)?
            })
        }
    })
}
