//! How the owner talks to its clients: a reply to one request, an update to every
//! subscriber, a notice, a goodbye. A socket client gets frames serialized once and queued
//! within its budget ([`super::budget`]); one over it, or gone, is dropped here.

use super::Outbox;
use super::protocol::{FailureKind, Reply, ServerMsg, Tone, Update};
use super::shared_view::{Served, reply_frame};
use std::collections::BTreeMap;

/// A request waiting for an outcome: (client, request id).
pub(super) type Waiter = Option<(u64, u64)>;

struct Client {
    out: Outbox,
    actor: String,
    subscribed: bool,
    /// The client's OS user, when known (a `socket_group` member is not the owner's user).
    uid: Option<u32>,
    /// Also wants every polled sample (`watch` logs them).
    polls: bool,
}

/// The clients joined to the owner, by id.
#[derive(Default)]
pub(super) struct Clients {
    map: BTreeMap<u64, Client>,
}

impl Clients {
    pub(super) fn join(&mut self, client: u64, out: Outbox, actor: String, uid: Option<u32>) {
        let c = Client {
            out,
            actor,
            uid,
            subscribed: false,
            polls: false,
        };
        self.map.insert(client, c);
    }

    /// A client leaves (told why, when there is a reason to tell).
    pub(super) fn leave(&mut self, client: u64, reason: Option<String>) {
        if let Some(reason) = reason {
            self.send(client, ServerMsg::Goodbye { reason });
        }
        self.map.remove(&client);
    }

    /// From now on `client` is told every change (and every polled sample, if `polls`).
    pub(super) fn subscribe(&mut self, client: u64, polls: bool) {
        if let Some(c) = self.map.get_mut(&client) {
            c.subscribed = true;
            c.polls = polls;
        }
    }

    /// Whether anyone is told changes (no subscriber: nothing to recompute for).
    pub(super) fn any_subscribed(&self) -> bool {
        self.map.values().any(|c| c.subscribed)
    }

    /// Who a client acts as, for the log.
    pub(super) fn actor(&self, client: u64) -> String {
        self.map
            .get(&client)
            .map_or_else(|| "unknown".to_string(), |c| c.actor.clone())
    }

    /// A client's OS user, when known.
    pub(super) fn uid(&self, client: u64) -> Option<u32> {
        self.map.get(&client).and_then(|c| c.uid)
    }

    pub(super) fn send(&mut self, client: u64, msg: ServerMsg) {
        let Some(c) = self.map.get(&client) else {
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
            self.map.remove(&client);
        }
    }

    /// Answer request `id` of `client` with a shared snapshot: socket clients get the reply
    /// serialized once for all of them.
    pub(super) fn reply_served(&mut self, client: u64, id: u64, served: &Served) {
        let Some(c) = self.map.get(&client) else {
            return;
        };
        let gone = match &c.out {
            Outbox::Local(tx) => {
                let reply = Reply::Snapshot {
                    snapshot: Box::new((*served.snapshot).clone()),
                };
                tx.send(ServerMsg::Reply { id, reply }).is_err()
            }
            Outbox::Remote(out) => !out.push(reply_frame(id, &served.reply()), true),
        };
        if gone {
            tracing::info!(client, "client dropped: gone, or not reading");
            self.map.remove(&client);
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
        for (id, c) in &self.map {
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
            self.map.remove(&id);
        }
    }

    pub(super) fn notice(&mut self, tone: Tone, text: String) {
        tracing::warn!("{text}");
        self.broadcast(Update::Notice { tone, text }, false);
    }

    pub(super) fn say_goodbye(&mut self, reason: &str) {
        let ids: Vec<u64> = self.map.keys().copied().collect();
        for id in ids {
            self.send(
                id,
                ServerMsg::Goodbye {
                    reason: reason.to_string(),
                },
            );
        }
        self.map.clear();
    }
}
