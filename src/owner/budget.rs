//! What one socket client may cost the owner, in bytes and in work: the queue of frames
//! waiting to be written to it, and the requests of it the owner is working on.
//!
//! * **Requests in flight.** The connection's reader hands the owner at most
//!   [`MAX_IN_FLIGHT`] requests that have no final reply yet, and none while more than
//!   [`QUEUE_SOFT`] bytes wait to be written to the client. A client that pipelines thousands
//!   of requests and reads slowly is slowed down to its own pace (its socket fills, its
//!   writes block); it costs the owner at most a few frames.
//! * **Bytes queued.** The owner queues a frame for a client (a reply, or an update it
//!   subscribed to) without waiting. A client whose queue would pass [`QUEUE_HARD`] bytes
//!   (only updates it does not read can get it there) is dropped at once, and so is one that
//!   has not taken the next 64 KiB of a frame within 5 s (a slow but steady reader stays).
//! * **When a client goes**, its queue and its writer's buffer go with it: nothing it cost
//!   stays behind. A client the owner drops for its bound is cut off at once; one that
//!   leaves, or is told goodbye, gets what was queued before it (a goodbye names the
//!   reason).

use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

/// Requests of one client the owner works on at once.
pub const MAX_IN_FLIGHT: usize = 4;
/// Bytes queued for a client above which the owner takes no further request of it.
pub const QUEUE_SOFT: usize = 1 << 20;
/// Bytes queued for a client above which it is dropped as not reading.
pub const QUEUE_HARD: usize = 8 << 20;
/// Frames queued for one client before it counts as not reading and is dropped.
pub const QUEUE_FRAMES: usize = 4096;

/// One serialized frame for a client, and whether it is the final reply to a request.
pub(crate) struct Frame {
    pub bytes: Bytes,
    pub ends_request: bool,
}

/// The counters one connection shares with the owner.
#[derive(Default)]
pub(crate) struct Budget {
    queued: AtomicUsize,
    in_flight: AtomicUsize,
    /// Woken when a frame was written (bytes or a request freed).
    room: Notify,
    /// Cancelled when the client goes or is dropped: the writer stops at once.
    pub gone: CancellationToken,
}

impl Budget {
    /// Wait until the owner may take another request of this client, and count it. False:
    /// the client went meanwhile.
    pub async fn take_request(&self) -> bool {
        loop {
            if self.gone.is_cancelled() {
                return false;
            }
            if self.in_flight.load(Ordering::Acquire) < MAX_IN_FLIGHT
                && self.queued.load(Ordering::Acquire) < QUEUE_SOFT
            {
                self.in_flight.fetch_add(1, Ordering::AcqRel);
                return true;
            }
            tokio::select! {
                () = self.room.notified() => {}
                () = self.gone.cancelled() => return false,
            }
        }
    }

    /// A frame left the queue (written, or not).
    pub fn written(&self, frame: &Frame) {
        self.queued.fetch_sub(frame.bytes.len(), Ordering::AcqRel);
        if frame.ends_request {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
        }
        self.room.notify_one();
    }

    /// Bytes waiting to be written.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }
}

/// The owner's end of a socket client's queue.
pub(crate) struct RemoteOut {
    tx: mpsc::Sender<Frame>,
    budget: Arc<Budget>,
}

impl RemoteOut {
    pub fn new(budget: Arc<Budget>) -> (RemoteOut, mpsc::Receiver<Frame>) {
        let (tx, rx) = mpsc::channel(QUEUE_FRAMES);
        (RemoteOut { tx, budget }, rx)
    }

    /// Queue a frame without waiting. False: the client is gone or over its bound, and is
    /// dropped (its writer stops, its queue is freed).
    pub fn push(&self, bytes: Bytes, ends_request: bool) -> bool {
        let queued = self.budget.queued();
        if queued > 0 && queued + bytes.len() > QUEUE_HARD {
            self.budget.gone.cancel();
            return false;
        }
        self.budget.queued.fetch_add(bytes.len(), Ordering::AcqRel);
        let frame = Frame {
            bytes,
            ends_request,
        };
        match self.tx.try_send(frame) {
            Ok(()) => true,
            Err(e) => {
                self.budget.written(&e.into_inner());
                self.budget.gone.cancel();
                false
            }
        }
    }
}
