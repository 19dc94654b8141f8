//! Choosing a project's backend: the one place `[state] backend` becomes a [`Storage`].

use super::Storage;
use std::path::Path;

/// Open a project's state on the backend its `[state] backend` names: the one place a backend
/// is chosen (sled in `state_dir`; PostgreSQL, with only the process lock and the socket in
/// `state_dir`). The in-memory store ([`super::memory`]) is for tests and is never chosen here.
pub fn open_backend(
    backend: &crate::config::StateBackend,
    state_dir: &Path,
    project: &str,
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
            Box::new(super::pg_store::PgStore::open(state_dir, &url, project)?)
        }
    })
}
