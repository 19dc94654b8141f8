//! The snapshot every client asks for, worked out once per change of the state and served to
//! all who ask until the next one: a crowd of clients asking for snapshots (cockpits opening,
//! or a client asking thousands of times) costs the owner one snapshot, not one each, so a
//! lead's `status` never waits behind them.
//!
//! The loop marks every turn that may have changed what a snapshot shows ([`SharedView::changed`]:
//! anything but a read-only request); a snapshot is also never served past the second of the
//! owner's clock it was taken in (ages and staleness move with time).

use crate::engine::Engine;
use crate::engine::view::Snapshot;
use crate::model::HookAction;
use crate::store::StoreError;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// [`super::protocol::Reply::Snapshot`] serialized from a borrowed snapshot (the same JSON).
#[derive(serde::Serialize)]
#[serde(tag = "reply", rename_all = "kebab-case")]
enum SnapshotReply<'a> {
    Snapshot { snapshot: &'a Snapshot },
}

/// One snapshot, and its reply serialized once for every socket client (when the first asks:
/// a cockpit that owns the project takes the snapshot itself, and never needs the JSON).
#[derive(Clone)]
pub(super) struct Served {
    pub snapshot: Arc<Snapshot>,
    json: Arc<std::sync::OnceLock<Bytes>>,
}

impl Served {
    /// `Reply::Snapshot` as JSON (or, should it not serialize, a `failed` reply saying so).
    pub fn reply(&self) -> Bytes {
        self.json
            .get_or_init(|| {
                serde_json::to_vec(&SnapshotReply::Snapshot {
                    snapshot: &self.snapshot,
                })
                .unwrap_or_else(|e| {
                    serde_json::to_vec(&super::protocol::Reply::Failed {
                        kind: super::protocol::FailureKind::Store,
                        message: format!("a snapshot does not serialize: {e}"),
                    })
                    .unwrap_or_default()
                })
                .into()
            })
            .clone()
    }
}

struct Taken {
    generation: u64,
    second: i64,
    running: BTreeMap<String, HookAction>,
    served: Served,
}

#[derive(Default)]
pub(super) struct SharedView {
    generation: u64,
    taken: Option<Taken>,
}

impl SharedView {
    /// The state may have changed: the next snapshot is taken anew.
    pub fn changed(&mut self) {
        self.generation += 1;
        self.taken = None;
    }

    /// The snapshot at `now` with the hooks `running`, taken now or earlier in this generation
    /// and second.
    pub fn get(
        &mut self,
        engine: &Engine,
        now: DateTime<Utc>,
        running: BTreeMap<String, HookAction>,
    ) -> Result<Served, StoreError> {
        if let Some(t) = &self.taken
            && t.generation == self.generation
            && t.second == now.timestamp()
            && t.running == running
        {
            return Ok(t.served.clone());
        }
        let mut snapshot = engine.snapshot(now)?;
        snapshot.running = running.clone();
        let served = Served {
            snapshot: Arc::new(snapshot),
            json: Arc::default(),
        };
        self.taken = Some(Taken {
            generation: self.generation,
            second: now.timestamp(),
            running,
            served: served.clone(),
        });
        Ok(served)
    }
}

/// The frame of `reply` (a serialized [`super::protocol::Reply`]) answering request `id`: the same bytes
/// `serde_json` writes for `ServerMsg::Reply { id, reply }`.
pub(super) fn reply_frame(id: u64, reply: &[u8]) -> Bytes {
    let head = format!(r#"{{"msg":"reply","id":{id},"reply":"#);
    let mut frame = Vec::with_capacity(head.len() + reply.len() + 1);
    frame.extend_from_slice(head.as_bytes());
    frame.extend_from_slice(reply);
    frame.push(b'}');
    Bytes::from(frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::owner::protocol::{Reply, ServerMsg};

    #[test]
    fn the_shared_snapshot_reply_reads_as_a_snapshot_reply() {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = crate::sample_project::build(dir.path()).expect("sample project");
        let mut view = SharedView::default();
        let served = view
            .get(&engine, crate::sample_project::now(), BTreeMap::new())
            .expect("snapshot");
        let frame = reply_frame(7, &served.reply());
        let read: ServerMsg = serde_json::from_slice(&frame).expect("a server message");
        let ServerMsg::Reply {
            id: 7,
            reply: Reply::Snapshot { snapshot },
        } = read
        else {
            panic!("not a snapshot reply");
        };
        assert_eq!(*snapshot, *served.snapshot);
        // Asked again in the same generation and second: the same one, not taken anew.
        let again = view
            .get(&engine, crate::sample_project::now(), BTreeMap::new())
            .expect("snapshot");
        assert!(Arc::ptr_eq(&again.snapshot, &served.snapshot));
        view.changed();
        let after = view
            .get(&engine, crate::sample_project::now(), BTreeMap::new())
            .expect("snapshot");
        assert!(!Arc::ptr_eq(&after.snapshot, &served.snapshot));
    }

    #[test]
    fn a_spliced_frame_reads_as_the_reply_it_stands_for() {
        let reply = Reply::Done;
        let json = serde_json::to_vec(&reply).expect("json");
        let frame = reply_frame(42, &json);
        let read: ServerMsg = serde_json::from_slice(&frame).expect("a server message");
        assert_eq!(read, ServerMsg::Reply { id: 42, reply });
    }
}
