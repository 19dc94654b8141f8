//! A client's end of the protocol: the same [`Session`] whether the owner runs in this
//! process (an in-process channel) or in another one (the project's socket), so the cockpit
//! and the commands cannot tell the two apart.

use super::Inbox;
use super::protocol::{ClientMsg, PROTOCOL_VERSION, Reply, Request, Role, ServerMsg, Welcome};
use super::socket::{self, MAX_SERVER_FRAME};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::UnixStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::codec::{FramedRead, FramedWrite};

/// How long [`Session::call`] waits for an owner that answers nothing at all, not even a
/// liveness probe, in milliseconds (`--deadline`; 60 s unless set).
static DEADLINE_MS: AtomicU64 = AtomicU64::new(60_000);

/// Set how long a call waits for a silent owner (the command line's `--deadline`).
pub fn set_deadline(deadline: Duration) {
    let ms = u64::try_from(deadline.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    DEADLINE_MS.store(ms, Ordering::Relaxed);
}

fn deadline() -> Duration {
    Duration::from_millis(DEADLINE_MS.load(Ordering::Relaxed))
}

/// The owner went away (stopped, crashed, or dropped this client), fell silent past the
/// deadline, or a request could not be sent to it at all.
#[derive(Debug, Clone)]
pub struct Lost {
    pub reason: Option<String>,
    /// What went wrong was found here, not said by the owner (a request too big to send, an
    /// owner silent past the deadline): the whole message.
    pub said_here: Option<String>,
}

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.said_here, &self.reason) {
            (Some(why), _) => f.write_str(why),
            (None, Some(r)) => write!(f, "the owner of this project went away: {r}"),
            (None, None) => f.write_str("the owner of this project went away"),
        }
    }
}

impl std::error::Error for Lost {}

enum Tx {
    Local {
        client: u64,
        inbox: mpsc::Sender<Inbox>,
    },
    Remote {
        /// Frames already serialized and checked against the owner's limit.
        out: mpsc::Sender<Bytes>,
        tasks: [JoinHandle<()>; 2],
    },
}

/// Why a client could not attach to the owner through its socket.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// The socket's permissions keep this user out.
    #[error(
        "permission denied on the project's socket '{}': it admits only the owner's user, or the members of [project] socket_group",
        .0.display()
    )]
    NotAdmitted(std::path::PathBuf),
    /// The owner answered, and refused (its goodbye says why).
    #[error("{0}")]
    Refused(String),
    /// The owner speaks another protocol: another cutover version.
    #[error(
        "the owner (pid {pid}) speaks protocol {theirs}, this cutover {PROTOCOL_VERSION}; run the same cutover version on both sides"
    )]
    OtherProtocol { pid: u32, theirs: u32 },
    /// Something that is not cutover's owner answered on the socket.
    #[error("the owner's first answer is not a welcome")]
    NotAWelcome,
    /// Nobody answered (no socket yet, an owner gone, no welcome within 5 s): worth retrying.
    #[error("{0}")]
    NoAnswer(String),
}

/// One client's connection to the owner.
pub struct Session {
    pub welcome: Welcome,
    /// The owner's clock, carried on from the moment the welcome arrived: `clock.now()` is the
    /// owner's now, however long this session has been open.
    pub clock: crate::clock::Clock,
    /// Whether the owner is another process.
    pub remote: bool,
    tx: Tx,
    rx: mpsc::UnboundedReceiver<ServerMsg>,
    next_id: u64,
    /// Why the owner said goodbye, if it did.
    goodbye: Option<String>,
}

impl Session {
    pub(super) fn local(
        welcome: Welcome,
        client: u64,
        inbox: mpsc::Sender<Inbox>,
        rx: mpsc::UnboundedReceiver<ServerMsg>,
    ) -> Session {
        Session {
            clock: clock_of(&welcome),
            welcome,
            remote: false,
            tx: Tx::Local { client, inbox },
            rx,
            next_id: 1,
            goodbye: None,
        }
    }

    /// Connect to the owner serving `path`, as `role`; `actor` is `--actor` if given.
    pub async fn connect(
        path: &Path,
        role: Role,
        actor: Option<String>,
    ) -> Result<Session, AttachError> {
        let stream = UnixStream::connect(path).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                AttachError::NotAdmitted(path.to_path_buf())
            } else {
                AttachError::NoAnswer(e.to_string())
            }
        })?;
        let (read, write) = stream.into_split();
        let mut frames_in = FramedRead::new(read, socket::codec(MAX_SERVER_FRAME));
        let mut frames_out = FramedWrite::new(write, socket::codec(socket::MAX_CLIENT_FRAME));
        let hello = ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            role,
            actor,
        };
        // An owner that refuses this peer says why and closes at once, possibly before the
        // hello is written: read its answer even when sending failed.
        let hello = json(&hello).map_err(|e| AttachError::NoAnswer(e.to_string()))?;
        let sent = frames_out.send(Bytes::from(hello)).await;
        let first = tokio::time::timeout(Duration::from_secs(5), frames_in.next())
            .await
            .map_err(|_| AttachError::NoAnswer("the owner did not answer within 5 s".into()))?;
        let welcome = match first {
            Some(Ok(frame)) => match super::protocol::decode::server_msg(&frame) {
                Ok(ServerMsg::Welcome(w)) if w.protocol == PROTOCOL_VERSION => w,
                Ok(ServerMsg::Welcome(w)) => {
                    return Err(AttachError::OtherProtocol {
                        pid: w.pid,
                        theirs: w.protocol,
                    });
                }
                Ok(ServerMsg::Goodbye { reason }) => return Err(AttachError::Refused(reason)),
                Ok(_) | Err(_) => {
                    return Err(AttachError::NotAWelcome);
                }
            },
            Some(Err(e)) => return Err(AttachError::NoAnswer(sent.err().unwrap_or(e).to_string())),
            None => {
                let why = sent.err().map_or_else(
                    || "the owner closed the connection".to_string(),
                    |e| e.to_string(),
                );
                return Err(AttachError::NoAnswer(why));
            }
        };
        let (in_tx, rx) = mpsc::unbounded_channel();
        let reader = tokio::spawn(async move {
            while let Some(Ok(frame)) = frames_in.next().await {
                let Ok(msg) = super::protocol::decode::server_msg(&frame) else {
                    break;
                };
                if in_tx.send(msg).is_err() {
                    break;
                }
            }
        });
        let (out, mut out_rx) = mpsc::channel::<Bytes>(256);
        let writer = tokio::spawn(async move {
            while let Some(bytes) = out_rx.recv().await {
                if frames_out.send(bytes).await.is_err() {
                    break;
                }
            }
        });
        Ok(Session {
            clock: clock_of(&welcome),
            welcome,
            remote: true,
            tx: Tx::Remote {
                out,
                tasks: [reader, writer],
            },
            rx,
            next_id: 1,
            goodbye: None,
        })
    }

    /// Send a request; its replies come back through [`Session::recv`] under the returned id.
    pub async fn send(&mut self, request: Request) -> Result<u64, Lost> {
        let id = self.next_id;
        self.next_id += 1;
        let sent = match &self.tx {
            Tx::Local { client, inbox } => inbox
                .send(Inbox::Request {
                    client: *client,
                    id,
                    request,
                })
                .await
                .is_ok(),
            Tx::Remote { out, .. } => {
                // Checked here: a frame over the owner's limit would end the connection, and
                // look like the owner going away.
                let msg = ClientMsg::Request { id, request };
                let bytes = serde_json::to_vec(&msg).map_err(|e| Lost {
                    reason: None,
                    said_here: Some(format!("cannot encode the request: {e}")),
                })?;
                if bytes.len() > socket::MAX_CLIENT_FRAME {
                    return Err(Lost {
                        reason: None,
                        said_here: Some(format!(
                            "this request is {} KiB, over the {} KiB a client may send the owner; nothing was sent",
                            bytes.len() >> 10,
                            socket::MAX_CLIENT_FRAME >> 10
                        )),
                    });
                }
                out.send(Bytes::from(bytes)).await.is_ok()
            }
        };
        if sent { Ok(id) } else { Err(self.lost()) }
    }

    /// The next message from the owner; `None` once it is gone ([`Session::lost`] says why).
    pub async fn recv(&mut self) -> Option<ServerMsg> {
        match self.rx.recv().await {
            Some(ServerMsg::Goodbye { reason }) => {
                self.goodbye = Some(reason);
                None
            }
            other => other,
        }
    }

    /// Why the session ended.
    pub fn lost(&self) -> Lost {
        Lost {
            reason: self.goodbye.clone(),
            said_here: None,
        }
    }

    /// Send a request and wait for its final reply; `progress` sees each progress reply
    /// (acknowledged events, polled sources) as it comes. Updates are ignored.
    ///
    /// **A deadline on silence, not on work.** A request may rightly take long (a hook runs
    /// for minutes); an owner that answers nothing at all is stuck. After a third of the
    /// deadline without a word, the call asks the owner something it answers at once (a
    /// liveness probe, the user's cockpit memory); anything the owner says proves it alive and
    /// the call waits on. When the deadline passes without a word, the call ends with an error
    /// naming the owner.
    pub async fn call(
        &mut self,
        request: Request,
        mut progress: impl FnMut(&Reply),
    ) -> Result<Reply, Lost> {
        let id = self.send(request).await?;
        let deadline = deadline();
        let mut silent_since = Instant::now();
        let mut probed = false;
        loop {
            let quiet = silent_since.elapsed();
            let wait = if probed {
                deadline.saturating_sub(quiet)
            } else {
                (deadline / 3).saturating_sub(quiet)
            };
            match tokio::time::timeout(wait, self.recv()).await {
                Ok(Some(msg)) => {
                    (silent_since, probed) = (Instant::now(), false);
                    match msg {
                        ServerMsg::Reply { id: rid, reply } if rid == id => {
                            if reply.is_final() {
                                return Ok(reply);
                            }
                            progress(&reply);
                        }
                        _ => {}
                    }
                }
                Ok(None) => return Err(self.lost()),
                Err(_) if !probed => {
                    self.send(Request::Prefs).await?;
                    probed = true;
                }
                Err(_) => {
                    return Err(Lost {
                        reason: None,
                        said_here: Some(format!(
                            "the owner of this project (pid {}) has not answered for {} s, not even a liveness probe; it may be stuck: see .cutover/cutover.log, or stop it (kill {}) and run this again (--deadline waits longer)",
                            self.welcome.pid,
                            deadline.as_secs(),
                            self.welcome.pid
                        )),
                    });
                }
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        match &self.tx {
            Tx::Local { client, inbox } => {
                let _ = inbox.try_send(Inbox::Leave {
                    client: *client,
                    reason: None,
                });
            }
            Tx::Remote { tasks, .. } => {
                for t in tasks {
                    t.abort();
                }
            }
        }
    }
}

/// The owner's clock as of its welcome: the wall clock when it runs at real time.
fn clock_of(w: &Welcome) -> crate::clock::Clock {
    if w.clock.factor == 1.0 {
        crate::clock::Clock::real()
    } else {
        crate::clock::Clock::resume(w.clock.now, w.clock.factor)
    }
}

fn json<T: serde::Serialize>(value: &T) -> std::io::Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(std::io::Error::other)
}
