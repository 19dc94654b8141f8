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
//!   message, or no `hello` within 5 s end that connection with a `goodbye` naming the reason.
//! * **Nobody waits for a client.** Each connection has its own reader and writer task. The
//!   owner hands a connection's writer already-serialized frames through a bounded queue and
//!   never waits: a client that stops reading is dropped once a write to it has waited 5 s or
//!   its queue is full. At most [`MAX_CLIENTS`] connections are served at once; more are told
//!   so and closed.

use super::protocol::{ClientMsg, PROTOCOL_VERSION, ServerMsg};
use super::{Identity, Inbox, Outbox};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

/// Largest frame a client may send (a request is a few hundred bytes).
pub const MAX_CLIENT_FRAME: usize = 64 * 1024;
/// Largest frame the owner sends (a snapshot of a large project).
pub const MAX_SERVER_FRAME: usize = 256 * 1024 * 1024;
/// Connections served at once.
pub const MAX_CLIENTS: usize = 256;
/// Frames queued for one client before it counts as not reading and is dropped.
pub const CLIENT_QUEUE: usize = 4096;
/// Longest wait for one frame to be written to a client.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

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

/// Accept connections until the task is aborted.
pub(crate) async fn serve(
    socket: BoundSocket,
    inbox: mpsc::Sender<Inbox>,
    next_client: Arc<AtomicU64>,
    identity: Identity,
) {
    let open = Arc::new(AtomicUsize::new(0));
    let identity = Arc::new(identity);
    let access = Arc::new(socket.access);
    loop {
        let Ok((stream, _)) = socket.listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let (inbox, identity, access, open) = (
            inbox.clone(),
            identity.clone(),
            access.clone(),
            open.clone(),
        );
        let client = next_client.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let count = open.fetch_add(1, Ordering::SeqCst) + 1;
            connection(stream, client, count, &inbox, &identity, &access).await;
            open.fetch_sub(1, Ordering::SeqCst);
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

async fn connection(
    stream: UnixStream,
    client: u64,
    count: usize,
    inbox: &mpsc::Sender<Inbox>,
    identity: &Identity,
    access: &Access,
) {
    let cred = stream.peer_cred();
    let (read, write) = stream.into_split();
    let mut frames_in = FramedRead::new(read, codec(MAX_CLIENT_FRAME));
    let mut frames_out = FramedWrite::new(write, codec(MAX_SERVER_FRAME));
    let (uid, gid) = match cred {
        Ok(c) => (c.uid(), c.gid()),
        Err(e) => {
            return goodbye(
                &mut frames_out,
                format!("cannot read your credentials: {e}"),
            )
            .await;
        }
    };
    if !access.allows(uid, gid) {
        tracing::warn!(uid, "socket: refused a connection from another user");
        return goodbye(
            &mut frames_out,
            format!(
                "user '{}' may not use this project (owned by pid {}); ask its owner to set socket_group in [project]",
                crate::os::user_name(uid),
                identity.pid
            ),
        )
        .await;
    }
    if count > MAX_CLIENTS {
        return goodbye(
            &mut frames_out,
            format!("too many clients ({MAX_CLIENTS} at most); retry later"),
        )
        .await;
    }
    let hello = tokio::time::timeout(Duration::from_secs(5), frames_in.next()).await;
    let (actor, role) = match hello {
        Ok(Some(Ok(frame))) => match serde_json::from_slice::<ClientMsg>(&frame) {
            Ok(ClientMsg::Hello {
                protocol,
                actor,
                role,
            }) if protocol == PROTOCOL_VERSION => (
                actor
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty())
                    .unwrap_or_else(|| crate::os::user_name(uid)),
                role,
            ),
            Ok(ClientMsg::Hello { protocol, .. }) => {
                let reason = format!(
                    "protocol {protocol} is not this owner's ({PROTOCOL_VERSION}); run the same cutover version on both sides"
                );
                // A welcome tells the client which version the owner speaks.
                let welcome = ServerMsg::Welcome(identity.welcome(String::new()));
                if let Ok(bytes) = serde_json::to_vec(&welcome) {
                    let _ = frames_out.send(Bytes::from(bytes)).await;
                }
                return goodbye(&mut frames_out, reason).await;
            }
            _ => return goodbye(&mut frames_out, "expected a hello first".into()).await,
        },
        Ok(Some(Err(e))) => return goodbye(&mut frames_out, format!("bad frame: {e}")).await,
        Ok(None) => return,
        Err(_) => return goodbye(&mut frames_out, "no hello within 5 s".into()).await,
    };
    let welcome = ServerMsg::Welcome(identity.welcome(actor.clone()));
    let Ok(bytes) = serde_json::to_vec(&welcome) else {
        return;
    };
    if frames_out.send(Bytes::from(bytes)).await.is_err() {
        return;
    }
    let (out_tx, mut out_rx) = mpsc::channel::<Bytes>(CLIENT_QUEUE);
    let joined = Inbox::Join {
        client,
        out: Outbox::Remote(out_tx),
        actor,
        role,
        uid: Some(uid),
    };
    if inbox.send(joined).await.is_err() {
        return;
    }
    let inbox_r = inbox.clone();
    let reader = tokio::spawn(async move {
        let reason = loop {
            match frames_in.next().await {
                None => break None,
                Some(Err(e)) => break Some(format!("bad frame: {e}")),
                Some(Ok(frame)) => match serde_json::from_slice::<ClientMsg>(&frame) {
                    Ok(ClientMsg::Request { id, request }) => {
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
    // The writer: until the owner drops this client (it left, or stopped reading).
    while let Some(frame) = out_rx.recv().await {
        match tokio::time::timeout(WRITE_TIMEOUT, frames_out.send(frame)).await {
            Ok(Ok(())) => {}
            _ => break,
        }
    }
    reader.abort();
    let _ = inbox.try_send(Inbox::Leave {
        client,
        reason: None,
    });
}
