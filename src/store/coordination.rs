//! The coordination seam: what a backend shared by several processes provides beside storage.
//! Storage ([`super::Storage`]) keeps the log and the samples; a shared backend also says
//! which process leads (runs the pollers and guards), tells each process when another one
//! appended, and whether it answers at all. sled (one process per state) and the in-memory
//! store coordinate nothing and provide none of it; PostgreSQL provides all of it
//! ([`super::pg_follow`] and [`super::pg_store::PgStore`]).

use super::StoreError;
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};

/// Where this process stands among those sharing the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lead {
    /// It leads: it polls and guards.
    Leading,
    /// It led and its connection failed: it must not act (another process may lead by now),
    /// but may go on polling, holding the samples until the backend answers.
    Lost,
    /// Another process leads: no polling, no guarding.
    Standby,
}

/// A process following a shared state: where it stands, and a wake-up whenever another
/// process appended (or after a reconnect, to catch up). Dropping it stops the following.
pub struct Following {
    pub leading: watch::Receiver<Lead>,
    pub news: mpsc::UnboundedReceiver<()>,
    /// Stops the backend's followers when dropped.
    pub stop: Box<dyn Send>,
}

/// What a shared backend provides beside storage.
pub trait Coordination: Send + Sync {
    /// Start following the project's state: the leadership, asked for continually, and news
    /// of the other processes' appends.
    fn follow(&self, project: &str) -> Following;
    /// Ask the backend whether it answers (updating [`Coordination::unreachable_since`]).
    fn probe(&self);
    /// Since when the backend has been out of reach, if it is.
    fn unreachable_since(&self) -> Option<DateTime<Utc>>;
    /// Which process leads (`pid N on HOST`); `None` when none does.
    fn guard(&self) -> Result<Option<String>, StoreError>;
    /// Who this process is on the backend (change control's identity), and whether it may
    /// write: one that may not is a viewer, and never leads.
    fn session(&self) -> &super::pg_roles::Session;
    /// Keep this session's own cockpit memory, the one write a viewer may make.
    fn save_own_prefs(&self, prefs: &[u8]) -> Result<(), StoreError>;
}
