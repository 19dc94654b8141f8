//! How the metrics exporter ([`crate::metrics`]) joins the owner: as an in-process client,
//! joined and then subscribed through the inbox (in that order, as any client), so the first
//! thing it gets is the snapshot and every update follows, as for a cockpit.

use super::{Identity, Inbox, Outbox, protocol};
use anyhow::{Context, Result};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::sync::mpsc;

/// Start the exporter on `listener`, its board fed by a client joined to the loop's `inbox`.
pub(super) fn start(
    listener: std::net::TcpListener,
    inbox: &mpsc::Sender<Inbox>,
    next_client: &AtomicU64,
    identity: &Identity,
    leads: Arc<AtomicBool>,
) -> Result<crate::metrics::Exporter> {
    let client = next_client.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = mpsc::unbounded_channel();
    let facts = crate::metrics::board::OwnerFacts {
        pid: identity.pid,
        role: identity.role,
        started: identity.clock.now(),
        leads,
    };
    let again = inbox.clone();
    let resubscribe: crate::metrics::Resubscribe = Box::new(move || {
        // Full (a thousand requests queued): the next event asks again.
        let _ = again.try_send(Inbox::Request {
            client,
            id: 2,
            request: protocol::Request::Subscribe { polls: false },
        });
    });
    let exporter = crate::metrics::Exporter::start(listener, facts, rx, resubscribe)
        .context("cannot serve the project's metrics")?;
    // The inbox was made just now with room for 1,024: both fit.
    let joined = inbox.try_send(Inbox::Join {
        client,
        out: Outbox::Local(tx),
        actor: "metrics".into(),
        role: identity.role,
        uid: None,
    });
    let subscribed = inbox.try_send(Inbox::Request {
        client,
        id: 1,
        request: protocol::Request::Subscribe { polls: false },
    });
    joined
        .and(subscribed)
        .map_err(|e| anyhow::anyhow!("the owner loop did not take the metrics client: {e}"))?;
    Ok(exporter)
}
