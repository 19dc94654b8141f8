//! The owner of a project's state: one loop, in one process at a time, that runs the pollers,
//! the guards, the hooks, the flushing and the scripted operator, and serves every client.
//!
//! ```text
//!   cockpit (owning)  ──in-process session──┐
//!   cockpit (attached) ─┐                   ▼
//!   status / advance ───┼─ Unix socket ──▶ owner loop ──▶ Engine (decide, record) ──▶ sled
//!   watch (attached) ───┘   (socket.rs)     │   ▲
//!                                           │   └── pollers, hook tasks, gate polls (tokio tasks)
//!                                           └──▶ replies and updates to every client
//! ```
//!
//! `watch`, the cockpit, the demo and one-shot commands all run this same loop when they own
//! the project ([`link`] decides whether to own or attach). Nothing inside the loop waits on
//! the outside world: polls and hooks run as tasks and come back as messages, so a 30 s
//! rollback hook delays neither polling, other segments' guards, nor a stop.
//!
//! **A hook still running when the owner stops.** [`StopMode::Drain`] (a one-shot command)
//! waits for it and records its outcome. [`StopMode::Now`] (quitting the cockpit, `SIGTERM`
//! to `watch`) does not wait: the hook's process is killed, its intent stays in the log
//! without an outcome, and every client shows the segment as `⚠ <hook> pending`. The next
//! owner shows the same; `cutover rollback SEG --retry` (key `R`) re-fires a pending rollback,
//! and `cutover advance SEG` a pending cutover or done hook, with the same idempotency key.

mod access;
mod approvals;
mod budget;
pub mod calls;
mod changes;
mod check_requests;
mod clients;
mod conditions;
mod connection;
mod core;
mod exporter;
#[cfg(test)]
mod faults;
mod inflight;
pub mod link;
mod move_requests;
mod move_tasks;
mod outbox;
mod periodic;
mod polling;
mod prefs;
pub mod protocol;
mod read_requests;
mod reconcile_tasks;
mod requests;
mod reset_tasks;
mod rollback_delta;
mod running;
pub mod session;
mod shared_view;
pub mod socket;
mod team;
mod updates;
mod work;

use crate::clock::Clock;
use crate::engine::Engine;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use protocol::{ClockSpec, Role, ServerMsg, Welcome};
use session::Session;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Actions scheduled by a script (the demo's operator), asked on every tick by the owner of the
/// state and executed exactly like an operator's keys or commands.
pub trait Script: Send {
    /// The commands due at `now`, given the engine's current state.
    fn due(
        &mut self,
        now: DateTime<Utc>,
        engine: &crate::engine::Engine,
    ) -> Vec<crate::engine::Command>;

    /// Segments to rehearse now (`cutover move --rehearse`, as a lead would in test); none by
    /// default.
    fn rehearsals(&mut self, _now: DateTime<Utc>, _engine: &crate::engine::Engine) -> Vec<String> {
        Vec::new()
    }

    /// Segments to reconcile now (`cutover reconcile`, as a lead would after a move); none by
    /// default.
    fn reconciliations(
        &mut self,
        _now: DateTime<Utc>,
        _engine: &crate::engine::Engine,
    ) -> Vec<String> {
        Vec::new()
    }
}

/// How an owner is run.
pub struct OwnerOptions {
    pub role: Role,
    pub clock: Clock,
    /// Scheduled commands (the demo's operator), asked on every tick.
    pub script: Option<Box<dyn Script>>,
    /// Run the pollers and guards continuously (`watch`, the cockpit, the demo). One-shot
    /// commands do not: they poll only when asked.
    pub poll: bool,
    /// Serve the project's socket so other invocations can work through this one.
    pub serve: bool,
    /// A Unix group whose members may use the socket too (mode 0660 instead of 0600).
    pub socket_group: Option<String>,
    /// Serve the project's metrics here ([`crate::metrics`]), bound by the caller.
    pub metrics: Option<std::net::TcpListener>,
}

impl OwnerOptions {
    pub fn new(role: Role) -> OwnerOptions {
        OwnerOptions {
            role,
            clock: Clock::real(),
            script: None,
            poll: role != Role::Command,
            serve: true,
            socket_group: None,
            metrics: None,
        }
    }
}

/// How the owner stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    /// Wait for running hooks and polls to finish and record their outcomes.
    Drain,
    /// Stop at once; running hooks are killed and stay pending in the log.
    Now,
}

/// Where a client's messages go.
pub(crate) enum Outbox {
    /// An in-process client: never dropped for being slow (it is this process's own UI).
    Local(mpsc::UnboundedSender<ServerMsg>),
    /// A socket client: frames already serialized, queued within its budget
    /// ([`budget`]); a client over it is dropped.
    Remote(budget::RemoteOut),
}

/// What reaches the owner loop from its clients.
pub(crate) enum Inbox {
    Join {
        client: u64,
        out: Outbox,
        actor: String,
        role: Role,
        /// The client's OS user (peer credentials), when known.
        uid: Option<u32>,
    },
    Leave {
        client: u64,
        /// Told to the client before its connection closes (a protocol error).
        reason: Option<String>,
    },
    Request {
        client: u64,
        id: u64,
        request: protocol::Request,
    },
}

/// What every client is told about the owner when it connects.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub pid: u32,
    pub role: Role,
    pub project: String,
    pub clock: Clock,
    /// `[access] viewers`: a client that is one is told so in its welcome.
    pub viewers: Vec<crate::model::change_control::Principal>,
    /// On the team backend, this process's database session: its user is every client's
    /// identity, and a role that may not write makes every client a viewer.
    pub session: Option<crate::store::pg_roles::Session>,
}

impl Identity {
    /// The welcome of a client named `actor`, whose OS user is `uid` (when known).
    pub fn welcome(&self, actor: String, uid: Option<u32>) -> Welcome {
        let peer = uid.map_or_else(|| actor.clone(), crate::os::user_name);
        let user = match &self.session {
            Some(session) => session.user.clone(),
            None => peer.clone(),
        };
        // A viewer by the database role, or by the socket's peer (an OS user listed as a
        // viewer stays one on a lead's machine).
        let listed = |name: &str| {
            self.viewers
                .iter()
                .any(|p| p.holds(name, &crate::os::in_group))
        };
        let viewer =
            self.session.as_ref().is_some_and(|s| !s.writes) || listed(&user) || listed(&peer);
        Welcome {
            viewer,
            person: Some(user),
            protocol: protocol::PROTOCOL_VERSION,
            pid: self.pid,
            role: self.role,
            project: self.project.clone(),
            actor,
            clock: ClockSpec {
                now: self.clock.now(),
                factor: self.clock.factor(),
            },
        }
    }
}

/// A running owner. Dropping it without [`Owner::stop`] stops the loop as [`StopMode::Now`].
pub struct Owner {
    inbox: mpsc::Sender<Inbox>,
    stop: Option<oneshot::Sender<StopMode>>,
    task: Option<JoinHandle<Result<()>>>,
    server: Option<JoinHandle<()>>,
    identity: Identity,
    next_client: Arc<AtomicU64>,
    socket: Option<PathBuf>,
    metrics: Option<crate::metrics::Exporter>,
    /// Why the metrics asked for are not served (the address could not be bound).
    metrics_error: Option<String>,
}

/// The project's socket in a state folder.
pub fn socket_path(state_dir: &std::path::Path) -> PathBuf {
    state_dir.join("sock")
}

impl Owner {
    /// Start the loop on `engine` (which holds the project's lock). Must run inside a tokio
    /// runtime. With `serve`, binds `<state dir>/sock` first, replacing a stale one.
    pub fn start(engine: Engine, mut options: OwnerOptions) -> Result<Owner> {
        let identity = Identity {
            pid: std::process::id(),
            role: options.role,
            project: engine.project().name.clone(),
            clock: options.clock,
            viewers: engine.project().change.viewers.clone(),
            session: engine.store().coordination().map(|c| c.session().clone()),
        };
        let (inbox_tx, inbox_rx) = mpsc::channel(1024);
        let next_client = Arc::new(AtomicU64::new(1));
        let (mut server, mut socket) = (None, None);
        if options.serve {
            let path = socket_path(engine.store().dir());
            match socket::bind(&path, options.socket_group.as_deref()) {
                Ok(listener) => {
                    server = Some(tokio::spawn(socket::serve(
                        listener,
                        inbox_tx.clone(),
                        next_client.clone(),
                        identity.clone(),
                    )));
                    socket = Some(path);
                }
                // A bad socket_group is the operator's to fix: say so now.
                Err(e @ (socket::BindError::NoSuchGroup(_) | socket::BindError::NotPrivate(_))) => {
                    return Err(e).with_context(|| {
                        format!("cannot serve the project on '{}'", path.display())
                    });
                }
                // The project still works, alone: others are told it is open here (pid).
                Err(e) => tracing::warn!(
                    "cannot serve the project on '{}' ({e}); other invocations cannot attach (a path over 107 bytes? use --state with a shorter one)",
                    path.display()
                ),
            }
        }
        // On sled this process guards alone; on the team backend, once it leads.
        let leads = Arc::new(AtomicBool::new(engine.store().coordination().is_none()));
        let metrics = options.metrics.take();
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(core::run(engine, options, inbox_rx, stop_rx, leads.clone()));
        let metrics = match metrics {
            Some(listener) => Some(exporter::start(
                listener,
                &inbox_tx,
                &next_client,
                &identity,
                leads,
            )?),
            None => None,
        };
        Ok(Owner {
            inbox: inbox_tx,
            stop: Some(stop_tx),
            task: Some(task),
            server,
            identity,
            next_client,
            socket,
            metrics,
            metrics_error: None,
        })
    }

    /// Where this owner serves its metrics, if it does.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.metrics.as_ref().map(crate::metrics::Exporter::addr)
    }

    /// An in-process client of this owner. `actor`: `--actor`, else this process's OS user.
    pub async fn connect(&self, actor: Option<String>) -> Session {
        let client = self.next_client.fetch_add(1, Ordering::Relaxed);
        let actor = crate::os::actor(actor);
        let (tx, rx) = mpsc::unbounded_channel();
        let welcome = self
            .identity
            .welcome(actor.clone(), crate::os::current_uid());
        // Joined before anything this session asks: the inbox keeps the order.
        let _ = self
            .inbox
            .send(Inbox::Join {
                client,
                out: Outbox::Local(tx),
                actor,
                role: self.identity.role,
                uid: crate::os::current_uid(),
            })
            .await;
        Session::local(welcome, client, self.inbox.clone(), rx)
    }

    pub fn pid(&self) -> u32 {
        self.identity.pid
    }

    /// Whether the loop has ended (it stops by itself only on a fatal error).
    pub fn finished(&self) -> bool {
        self.task.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stop the loop, wait for it, and release the project (lock and socket).
    pub async fn stop(mut self, mode: StopMode) -> Result<()> {
        // The metrics port first: the next owner (this process or another) may want it the
        // moment the lock is free.
        self.metrics = None;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(mode);
        }
        let result = match self.task.take() {
            Some(task) => match task.await {
                Ok(r) => r,
                Err(e) => Err(anyhow::anyhow!("the owner loop failed: {e}")),
            },
            None => Ok(()),
        };
        self.close_socket();
        result
    }

    /// The loop removes the socket file itself, while it still holds the lock (a new owner
    /// may bind the same path the moment the lock is free); here only the server stops.
    fn close_socket(&mut self) {
        self.metrics = None;
        if let Some(server) = self.server.take() {
            server.abort();
        }
        self.socket = None;
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(StopMode::Now);
        }
        self.close_socket();
    }
}
