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

use super::budget::{Budget, RemoteOut};
use super::protocol::{ClientMsg, PROTOCOL_VERSION, ServerMsg};
use super::{Identity, Inbox, Outbox};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};
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
/// Longest wait for a client to take the next [`WRITE_CHUNK`] of a frame: a client that
/// reads slowly but steadily stays, one that stopped reading goes.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes of a frame written at a time.
const WRITE_CHUNK: usize = 64 * 1024;

/// The framing on both sides, with a size cap.
pub fn codec(max: usize) -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_length(4)
        .max_frame_length(max)
        .new_codec()
}

/// Who may use the socket besides its owner's user (and root).
#[derive(Debug, Clone)]
struct Access {
    owner_uid: Option<u32>,
    group: Option<crate::os::Group>,
}

impl Access {
    fn allows(&self, uid: u32, gid: u32) -> bool {
        if uid == 0 || Some(uid) == self.owner_uid {
            return true;
        }
        self.group.as_ref().is_some_and(|g| {
            g.gid == gid || g.members.iter().any(|m| *m == crate::os::user_name(uid))
        })
    }
}

/// Bind the socket at `path` (replacing a stale file: the caller holds the project lock, so no
/// live owner serves it) with mode 0600, or 0660 for `group`.
pub fn bind(path: &Path, group: Option<&str>) -> std::io::Result<BoundSocket> {
    use std::os::unix::fs::PermissionsExt;
    let group = match group {
        Some(name) => Some(crate::os::group(name).ok_or_else(|| {
            std::io::Error::other(format!(
                "socket_group '{name}' is not a group on this machine (see /etc/group)"
            ))
        })?),
        None => None,
    };
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
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
        return Err(std::io::Error::other(format!(
            "cannot give the socket its mode or group ({e}); is this user a member of socket_group?"
        )));
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
struct Pending {
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

    fn done(&self, client: u64) {
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
            let conn = Conn {
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

async fn goodbye(
    frames_out: &mut FramedWrite<tokio::net::unix::OwnedWriteHalf, LengthDelimitedCodec>,
    reason: String,
) {
    if let Ok(bytes) = serde_json::to_vec(&ServerMsg::Goodbye { reason }) {
        let _ = tokio::time::timeout(WRITE_TIMEOUT, frames_out.send(Bytes::from(bytes))).await;
    }
}

/// One connection and what it shares with the others.
struct Conn<'a> {
    client: u64,
    inbox: &'a mpsc::Sender<Inbox>,
    identity: &'a Identity,
    access: &'a Access,
    open: &'a AtomicUsize,
}

type FramesOut = FramedWrite<tokio::net::unix::OwnedWriteHalf, LengthDelimitedCodec>;
type FramesIn = FramedRead<tokio::net::unix::OwnedReadHalf, LengthDelimitedCodec>;

impl Conn<'_> {
    async fn serve(&self, stream: UnixStream, evicted: CancellationToken, pending: &Pending) {
        let cred = stream.peer_cred();
        let (read, write) = stream.into_split();
        let mut frames_in = FramedRead::new(read, codec(MAX_CLIENT_FRAME));
        let mut frames_out = FramedWrite::new(write, codec(MAX_SERVER_FRAME));
        let hello = self
            .hello(cred, &mut frames_in, &mut frames_out, evicted)
            .await;
        pending.done(self.client);
        let Some((actor, role, uid)) = hello else {
            return;
        };
        // A client's place is taken only now, after its hello.
        let count = self.open.fetch_add(1, Ordering::SeqCst) + 1;
        if count > MAX_CLIENTS {
            goodbye(
                &mut frames_out,
                format!("too many clients ({MAX_CLIENTS} at most); retry later"),
            )
            .await;
        } else {
            self.run(frames_in, frames_out, actor, role, uid).await;
        }
        self.open.fetch_sub(1, Ordering::SeqCst);
    }

    /// Check the peer and read its hello; None: the connection ended (told why).
    async fn hello(
        &self,
        cred: std::io::Result<tokio::net::unix::UCred>,
        frames_in: &mut FramesIn,
        frames_out: &mut FramesOut,
        evicted: CancellationToken,
    ) -> Option<(String, super::protocol::Role, u32)> {
        let (uid, gid) = match cred {
            Ok(c) => (c.uid(), c.gid()),
            Err(e) => {
                goodbye(frames_out, format!("cannot read your credentials: {e}")).await;
                return None;
            }
        };
        if !self.access.allows(uid, gid) {
            tracing::warn!(uid, "socket: refused a connection from another user");
            let reason = format!(
                "user '{}' may not use this project (owned by pid {}); ask its owner to set socket_group in [project]",
                crate::os::user_name(uid),
                self.identity.pid
            );
            goodbye(frames_out, reason).await;
            return None;
        }
        let first = tokio::select! {
            first = tokio::time::timeout(HELLO_TIMEOUT, frames_in.next()) => first,
            () = evicted.cancelled() => {
                let reason = format!("no hello while {MAX_PENDING} newer connections waited; say hello first");
                goodbye(frames_out, reason).await;
                return None;
            }
        };
        let frame = match first {
            Ok(Some(Ok(frame))) => frame,
            Ok(Some(Err(e))) => {
                goodbye(frames_out, format!("bad frame: {e}")).await;
                return None;
            }
            Ok(None) => return None,
            Err(_) => {
                let reason = format!("no hello within {} s", HELLO_TIMEOUT.as_secs());
                goodbye(frames_out, reason).await;
                return None;
            }
        };
        match serde_json::from_slice::<ClientMsg>(&frame) {
            Ok(ClientMsg::Hello {
                protocol,
                actor,
                role,
            }) if protocol == PROTOCOL_VERSION => {
                let actor = actor
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty())
                    .unwrap_or_else(|| crate::os::user_name(uid));
                if let Err(why) = crate::model::log_rules::actor(&actor) {
                    goodbye(frames_out, why).await;
                    return None;
                }
                Some((actor, role, uid))
            }
            Ok(ClientMsg::Hello { protocol, .. }) => {
                let reason = format!(
                    "protocol {protocol} is not this owner's ({PROTOCOL_VERSION}); run the same cutover version on both sides"
                );
                // A welcome tells the client which version the owner speaks.
                let welcome = ServerMsg::Welcome(self.identity.welcome(String::new()));
                if let Ok(bytes) = serde_json::to_vec(&welcome) {
                    let _ = frames_out.send(Bytes::from(bytes)).await;
                }
                goodbye(frames_out, reason).await;
                None
            }
            _ => {
                goodbye(frames_out, "expected a hello first".into()).await;
                None
            }
        }
    }

    /// Serve a client past its hello until it or the owner ends the connection.
    async fn run(
        &self,
        mut frames_in: FramesIn,
        mut frames_out: FramesOut,
        actor: String,
        role: super::protocol::Role,
        uid: u32,
    ) {
        let client = self.client;
        let welcome = ServerMsg::Welcome(self.identity.welcome(actor.clone()));
        let Ok(bytes) = serde_json::to_vec(&welcome) else {
            return;
        };
        if frames_out.send(Bytes::from(bytes)).await.is_err() {
            return;
        }
        let budget = Arc::new(Budget::default());
        let (out, mut out_rx) = RemoteOut::new(budget.clone());
        let joined = Inbox::Join {
            client,
            out: Outbox::Remote(out),
            actor,
            role,
            uid: Some(uid),
        };
        if self.inbox.send(joined).await.is_err() {
            return;
        }
        let inbox_r = self.inbox.clone();
        let budget_r = budget.clone();
        let reader = tokio::spawn(async move {
            let reason = loop {
                match frames_in.next().await {
                    None => break None,
                    Some(Err(e)) => break Some(format!("bad frame: {e}")),
                    Some(Ok(frame)) => match serde_json::from_slice::<ClientMsg>(&frame) {
                        Ok(ClientMsg::Request { id, request }) => {
                            // Bounded: a client waits for its own replies to be read.
                            if !budget_r.take_request().await {
                                break None;
                            }
                            let msg = Inbox::Request {
                                client,
                                id,
                                request,
                            };
                            if inbox_r.send(msg).await.is_err() {
                                break None;
                            }
                        }
                        Ok(ClientMsg::Hello { .. }) => {}
                        Err(e) => break Some(format!("not a cutover message: {e}")),
                    },
                }
            };
            let _ = inbox_r.send(Inbox::Leave { client, reason }).await;
        });
        // The writer: until the owner drops this client, or a write waits too long.
        let mut write = frames_out.into_inner();
        loop {
            let frame = tokio::select! {
                frame = out_rx.recv() => match frame {
                    Some(frame) => frame,
                    None => break,
                },
                () = budget.gone.cancelled() => break,
            };
            let sent = tokio::select! {
                sent = write_frame(&mut write, &frame.bytes) => sent,
                () = budget.gone.cancelled() => false,
            };
            budget.written(&frame);
            if !sent {
                break;
            }
        }
        budget.gone.cancel();
        reader.abort();
        // What this client cost goes with it: its queue and its writer's buffer.
        drop(out_rx);
        drop(write);
        let _ = self.inbox.try_send(Inbox::Leave {
            client,
            reason: None,
        });
    }
}

/// Write one frame (its length, then its bytes) in chunks, each of which the client must take
/// within [`WRITE_TIMEOUT`]. False: it did not, or the connection broke.
async fn write_frame(write: &mut tokio::net::unix::OwnedWriteHalf, bytes: &[u8]) -> bool {
    use tokio::io::AsyncWriteExt;
    let Ok(len) = u32::try_from(bytes.len()) else {
        return false;
    };
    let head = len.to_be_bytes();
    for chunk in std::iter::once(&head[..]).chain(bytes.chunks(WRITE_CHUNK)) {
        match tokio::time::timeout(WRITE_TIMEOUT, write.write_all(chunk)).await {
            Ok(Ok(())) => {}
            _ => return false,
        }
    }
    true
}
