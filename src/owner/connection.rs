//! One connection to the project's socket, from accept to close: the peer's credentials and
//! its hello (a client's place is taken only after it), then a reader that hands the owner
//! the client's requests within its budget ([`super::budget`]) and a writer that writes what
//! the owner queued, in chunks a slow but steady reader can take.

use super::budget::{Budget, RemoteOut};
use super::protocol::{ClientMsg, PROTOCOL_VERSION, ServerMsg};
use super::socket::{
    Access, HELLO_TIMEOUT, MAX_CLIENT_FRAME, MAX_CLIENTS, MAX_PENDING, MAX_SERVER_FRAME, Pending,
    codec,
};
use super::{Identity, Inbox, Outbox};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::UnixStream;
use tokio::sync::mpsc;
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};
use tokio_util::sync::CancellationToken;

/// Longest wait for a client to take the next [`WRITE_CHUNK`] of a frame: a client that
/// reads slowly but steadily stays, one that stopped reading goes.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes of a frame written at a time.
const WRITE_CHUNK: usize = 64 * 1024;

async fn goodbye(
    frames_out: &mut FramedWrite<tokio::net::unix::OwnedWriteHalf, LengthDelimitedCodec>,
    reason: String,
) {
    if let Ok(bytes) = serde_json::to_vec(&ServerMsg::Goodbye { reason }) {
        let _ = tokio::time::timeout(WRITE_TIMEOUT, frames_out.send(Bytes::from(bytes))).await;
    }
}

/// One connection and what it shares with the others.
pub(super) struct Conn<'a> {
    pub client: u64,
    pub inbox: &'a mpsc::Sender<Inbox>,
    pub identity: &'a Identity,
    pub access: &'a Access,
    pub open: &'a AtomicUsize,
}

type FramesOut = FramedWrite<tokio::net::unix::OwnedWriteHalf, LengthDelimitedCodec>;
type FramesIn = FramedRead<tokio::net::unix::OwnedReadHalf, LengthDelimitedCodec>;

impl Conn<'_> {
    pub async fn serve(&self, stream: UnixStream, evicted: CancellationToken, pending: &Pending) {
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
                    goodbye(frames_out, why.into()).await;
                    return None;
                }
                Some((actor, role, uid))
            }
            Ok(ClientMsg::Hello { protocol, .. }) => {
                let reason = format!(
                    "protocol {protocol} is not this owner's ({PROTOCOL_VERSION}); run the same cutover version on both sides"
                );
                // A welcome tells the client which version the owner speaks.
                let welcome = ServerMsg::Welcome(self.identity.welcome(String::new(), None));
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
        let welcome = ServerMsg::Welcome(self.identity.welcome(actor.clone(), Some(uid)));
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
