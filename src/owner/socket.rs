//! The project's Unix socket (`<state dir>/sock`): how other invocations on this machine work
//! through the owner. Local IPC in the manner of tmux's or Docker's socket, not a network
//! service.
//!
//! * **Who may connect.** The socket is mode 0600: only the owner's OS user. With
//!   `socket_group` in `[project]`, it is 0660 and that group's members may connect too (a
//!   shared jump host). The peer's credentials (`SO_PEERCRED`) are checked again on every
//!   connection, so a loosened file mode does not let anyone else in; root is always allowed.
//! * **Frames.** A 4-byte big-endian length, then one JSON message ([`super::protocol`]).
//!   A client's frames are capped at [`MAX_CLIENT_FRAME`]; a bigger one, bytes that are not a
//!   message, or no `hello` within [`HELLO_TIMEOUT`] end that connection with a `goodbye`
//!   naming the reason.
//! * **Nobody waits for a client.** Each connection has its own reader and writer task. The
//!   owner hands a connection's writer already-serialized frames and never waits; what a
//!   client may cost, in bytes queued and requests in flight, is bounded by
//!   [`super::budget`]. At most [`MAX_CLIENTS`] clients (connections past their `hello`) are
//!   served at once; more are told so and closed.
//! * **Connections before their hello** hold no client's place. At most [`MAX_PENDING`] wait
//!   for their hello at once; when another arrives, the one waiting longest is closed, so
//!   idle connections can never lock a lead out.

use super::{Identity, Inbox};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::UnixListener;
use tokio::sync::mpsc;
use tokio_util::codec::LengthDelimitedCodec;
use tokio_util::sync::CancellationToken;

/// Largest frame a client may send (a request is a few hundred bytes).
pub const MAX_CLIENT_FRAME: usize = 64 * 1024;
/// Largest frame the owner sends (a snapshot of a large project).
pub const MAX_SERVER_FRAME: usize = 256 * 1024 * 1024;
/// Clients (connections past their hello) served at once.
pub const MAX_CLIENTS: usize = 256;
/// Connections waiting for their hello at once; the oldest goes when another arrives.
pub const MAX_PENDING: usize = 64;
/// How long a new connection may take to say hello.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(5);

/// The framing on both sides, with a size cap.
pub fn codec(max: usize) -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_length(4)
        .max_frame_length(max)
        .new_codec()
}

/// Who may use the socket besides its owner's user (and root).
#[derive(Debug, Clone)]
pub(super) struct Access {
    owner_uid: Option<u32>,
    group: Option<crate::os::Group>,
}

impl Access {
    pub(super) fn allows(&self, uid: u32, gid: u32) -> bool {
        if uid == 0 || Some(uid) == self.owner_uid {
            return true;
        }
        self.group.as_ref().is_some_and(|g| {
            g.gid == gid || g.members.iter().any(|m| *m == crate::os::user_name(uid))
        })
    }
}

/// Why the socket could not be served.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// `[project] socket_group` names no group here: the operator's to fix before starting.
    #[error("socket_group '{0}' is not a group on this machine (see /etc/group)")]
    NoSuchGroup(String),
    /// The socket's mode or group could not be set (this user is not in the group?): it is
    /// removed rather than left open to anyone.
    #[error(
        "cannot give the socket its mode or group ({0}); is this user a member of socket_group?"
    )]
    NotPrivate(std::io::Error),
    /// The socket itself could not be made (a path over 107 bytes, a read-only folder): the
    /// project still works, alone.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Bind the socket at `path` (replacing a stale file: the caller holds the project lock, so no
/// live owner serves it) with mode 0600, or 0660 for `group`.
pub fn bind(path: &Path, group: Option<&str>) -> Result<BoundSocket, BindError> {
    use std::os::unix::fs::PermissionsExt;
    let group = match group {
        Some(name) => {
            Some(crate::os::group(name).ok_or_else(|| BindError::NoSuchGroup(name.to_string()))?)
        }
        None => None,
    };
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let listener = UnixListener::bind(path)?;
    let mode = if group.is_some() { 0o660 } else { 0o600 };
    let private =
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).and_then(|()| {
            match &group {
                Some(g) => std::os::unix::fs::chown(path, None, Some(g.gid)),
                None => Ok(()),
            }
        });
    if let Err(e) = private {
        let _ = std::fs::remove_file(path);
        return Err(BindError::NotPrivate(e));
    }
    Ok(BoundSocket {
        listener,
        access: Access {
            owner_uid: crate::os::current_uid(),
            group,
        },
    })
}

/// A bound socket, ready to serve.
pub struct BoundSocket {
    listener: UnixListener,
    access: Access,
}

/// Connections waiting for their hello, oldest first, each with the token that closes it.
#[derive(Default)]
pub(super) struct Pending {
    waiting: Mutex<VecDeque<(u64, CancellationToken)>>,
}

impl Pending {
    /// Make room for one more (closing the oldest waiting if full) and register it.
    fn admit(&self, client: u64) -> CancellationToken {
        let token = CancellationToken::new();
        let mut w = self
            .waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while w.len() >= MAX_PENDING {
            if let Some((_, oldest)) = w.pop_front() {
                oldest.cancel();
            }
        }
        w.push_back((client, token.clone()));
        token
    }

    pub(super) fn done(&self, client: u64) {
        let mut w = self
            .waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        w.retain(|(c, _)| *c != client);
    }
}

/// Accept connections until the task is aborted.
pub(crate) async fn serve(
    socket: BoundSocket,
    inbox: mpsc::Sender<Inbox>,
    next_client: Arc<AtomicU64>,
    identity: Identity,
) {
    let open = Arc::new(AtomicUsize::new(0));
    let pending = Arc::new(Pending::default());
    let identity = Arc::new(identity);
    let access = Arc::new(socket.access);
    loop {
        let Ok((stream, _)) = socket.listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let (inbox, identity, access, open, pending) = (
            inbox.clone(),
            identity.clone(),
            access.clone(),
            open.clone(),
            pending.clone(),
        );
        let client = next_client.fetch_add(1, Ordering::Relaxed);
        let evicted = pending.admit(client);
        tokio::spawn(async move {
            let conn = super::connection::Conn {
                client,
                inbox: &inbox,
                identity: &identity,
                access: &access,
                open: &open,
            };
            conn.serve(stream, evicted, &pending).await;
        });
    }
}
