//! How the owner talks to its clients: a reply to one request, an update to every
//! subscriber, a notice, a goodbye. A socket client gets frames serialized once and queued
//! within its budget ([`super::budget`]); one over it, or gone, is dropped here.

use super::Outbox;
use super::core::{Core, Waiter};
use super::protocol::{FailureKind, Reply, ServerMsg, Tone, Update};
use super::shared_view::{Served, reply_frame};

impl Core {
    pub(super) fn send(&mut self, client: u64, msg: ServerMsg) {
        let Some(c) = self.clients.get(&client) else {
            return;
        };
        let gone = match &c.out {
            Outbox::Local(tx) => tx.send(msg).is_err(),
            Outbox::Remote(out) => {
                let ends = matches!(&msg, ServerMsg::Reply { reply, .. } if reply.is_final());
                match serde_json::to_vec(&msg) {
                    Ok(bytes) => !out.push(bytes.into(), ends),
                    Err(_) => false,
                }
            }
        };
        if gone {
            tracing::info!(client, "client dropped: gone, or not reading");
            self.clients.remove(&client);
        }
    }

    /// Answer request `id` of `client` with a shared snapshot: socket clients get the reply
    /// serialized once for all of them.
    pub(super) fn reply_served(&mut self, client: u64, id: u64, served: &Served) {
        let Some(c) = self.clients.get(&client) else {
            return;
        };
        let gone = match &c.out {
            Outbox::Local(tx) => {
                let reply = Reply::Snapshot {
                    snapshot: Box::new((*served.snapshot).clone()),
                };
                tx.send(ServerMsg::Reply { id, reply }).is_err()
            }
            Outbox::Remote(out) => !out.push(reply_frame(id, &served.reply), true),
        };
        if gone {
            tracing::info!(client, "client dropped: gone, or not reading");
            self.clients.remove(&client);
        }
    }

    pub(super) fn reply(&mut self, waiter: Waiter, reply: Reply) {
        if let Some((client, id)) = waiter {
            self.send(client, ServerMsg::Reply { id, reply });
        }
    }

    pub(super) fn fail(&mut self, waiter: Waiter, kind: FailureKind, message: String) {
        self.reply(waiter, Reply::Failed { kind, message });
    }

    /// Tell every subscriber (serialized once for all socket clients).
    pub(super) fn broadcast(&mut self, update: Update, only_polls: bool) {
        let msg = ServerMsg::Update { update };
        let mut bytes: Option<bytes::Bytes> = None;
        let mut gone = Vec::new();
        for (id, c) in &self.clients {
            if !c.subscribed || (only_polls && !c.polls) {
                continue;
            }
            let ok = match &c.out {
                Outbox::Local(tx) => tx.send(msg.clone()).is_ok(),
                Outbox::Remote(out) => {
                    if bytes.is_none() {
                        bytes = serde_json::to_vec(&msg).ok().map(Into::into);
                    }
                    bytes.clone().is_some_and(|b| out.push(b, false))
                }
            };
            if !ok {
                gone.push(*id);
            }
        }
        for id in gone {
            tracing::info!(client = id, "client dropped: gone, or not reading");
            self.clients.remove(&id);
        }
    }

    pub(super) fn notice(&mut self, tone: Tone, text: String) {
        tracing::warn!("{text}");
        self.broadcast(Update::Notice { tone, text }, false);
    }

    pub(super) fn say_goodbye(&mut self, reason: &str) {
        let ids: Vec<u64> = self.clients.keys().copied().collect();
        for id in ids {
            self.send(
                id,
                ServerMsg::Goodbye {
                    reason: reason.to_string(),
                },
            );
        }
        self.clients.clear();
    }
}
