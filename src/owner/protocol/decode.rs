//! Reading the owner's messages without buffering them. `ServerMsg`, `Reply` and `Update` are
//! internally tagged (`{"msg": "reply", ...}`), and serde reads such an enum by first copying
//! the whole object into a generic tree, then reading the variant from that copy. For a status
//! or a snapshot of a thousand segments in cutover (megabytes) that copy was most of an
//! attached `status`'s time. The large messages are read here straight from the frame into
//! their types: the tag and the payload are located first (the payload kept as raw JSON
//! text), then the payload is read once. Every other message, small, takes serde's own path.
//! Both give the same value for the same bytes (see the tests). `status-json` is only read
//! here: its payload ([`StatusJson`]) stays raw JSON, which serde's buffered reading cannot
//! keep.

use super::{Reply, ServerMsg};
use crate::owner::updates::Update;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A [`crate::engine::status::ProjectStatus`] as JSON text, written once by the owner and
/// passed through as is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StatusJson(pub Box<serde_json::value::RawValue>);

impl StatusJson {
    pub fn of(status: &crate::engine::status::ProjectStatus) -> serde_json::Result<Self> {
        serde_json::value::to_raw_value(status).map(Self)
    }

    /// The JSON text, compact.
    pub fn text(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for StatusJson {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

/// A server message's tag and the parts a large message has, as raw JSON.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    msg: Cow<'a, str>,
    id: Option<u64>,
    #[serde(borrow)]
    reply: Option<&'a RawValue>,
    #[serde(borrow)]
    update: Option<&'a RawValue>,
}

/// A reply's or an update's tag and its large payload, as raw JSON.
#[derive(Deserialize)]
struct Inner<'a> {
    #[serde(borrow, default)]
    reply: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    update: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<&'a RawValue>,
    #[serde(borrow)]
    snapshot: Option<&'a RawValue>,
}

/// One frame from the owner, as `serde_json::from_slice::<ServerMsg>` reads it.
pub fn server_msg(frame: &[u8]) -> serde_json::Result<ServerMsg> {
    let Ok(head) = serde_json::from_slice::<Head>(frame) else {
        return serde_json::from_slice(frame);
    };
    match (head.msg.as_ref(), head.id, head.reply, head.update) {
        ("reply", Some(id), Some(raw), _) => {
            let reply = match large_reply(raw)? {
                Some(reply) => reply,
                None => serde_json::from_str(raw.get())?,
            };
            Ok(ServerMsg::Reply { id, reply })
        }
        ("update", _, _, Some(raw)) => {
            let update = match large_update(raw)? {
                Some(update) => update,
                None => serde_json::from_str(raw.get())?,
            };
            Ok(ServerMsg::Update { update })
        }
        _ => serde_json::from_slice(frame),
    }
}

/// A status or a snapshot reply, read straight into its type; `None` for any other reply.
fn large_reply(raw: &RawValue) -> serde_json::Result<Option<Reply>> {
    let Ok(inner) = serde_json::from_str::<Inner>(raw.get()) else {
        return Ok(None);
    };
    Ok(
        match (inner.reply.as_deref(), inner.status, inner.snapshot) {
            (Some("status"), Some(status), _) => Some(Reply::Status {
                status: serde_json::from_str(status.get())?,
            }),
            (Some("status-json"), Some(status), _) => Some(Reply::StatusJson {
                status: StatusJson(status.to_owned()),
            }),
            (Some("snapshot"), _, Some(snapshot)) => Some(Reply::Snapshot {
                snapshot: serde_json::from_str(snapshot.get())?,
            }),
            _ => None,
        },
    )
}

/// A snapshot update, read straight into its type; `None` for any other update.
fn large_update(raw: &RawValue) -> serde_json::Result<Option<Update>> {
    let Ok(inner) = serde_json::from_str::<Inner>(raw.get()) else {
        return Ok(None);
    };
    Ok(match (inner.update.as_deref(), inner.snapshot) {
        (Some("snapshot"), Some(snapshot)) => Some(Update::Snapshot {
            snapshot: serde_json::from_str(snapshot.get())?,
        }),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::owner::shared_view::reply_frame;

    fn sample_snapshot() -> crate::engine::view::Snapshot {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = crate::sample_project::build(dir.path()).expect("sample project");
        engine
            .snapshot(crate::sample_project::now())
            .expect("snapshot")
    }

    /// Each frame reads as serde's own path reads it.
    fn same(frame: &[u8]) -> ServerMsg {
        let fast = server_msg(frame).expect("read here");
        let slow: ServerMsg = serde_json::from_slice(frame).expect("read by serde");
        assert_eq!(fast, slow);
        fast
    }

    #[test]
    fn large_messages_read_as_serde_reads_them() {
        let snapshot = sample_snapshot();
        let status = snapshot.status.clone();
        let frames = [
            ServerMsg::Reply {
                id: 3,
                reply: Reply::Status {
                    status: Box::new(status),
                },
            },
            ServerMsg::Reply {
                id: 4,
                reply: Reply::Snapshot {
                    snapshot: Box::new(snapshot.clone()),
                },
            },
            ServerMsg::Update {
                update: Update::Snapshot {
                    snapshot: Box::new(snapshot),
                },
            },
            ServerMsg::Reply {
                id: 5,
                reply: Reply::Done,
            },
            ServerMsg::Reply {
                id: 6,
                reply: Reply::Chart {
                    segment: "eu".into(),
                    points: vec![(0.0, 0.0), (0.25, 0.125)],
                },
            },
            ServerMsg::Goodbye {
                reason: "a \"quoted\" reason".into(),
            },
        ];
        for msg in frames {
            let frame = serde_json::to_vec(&msg).expect("serialize");
            assert_eq!(same(&frame), msg);
        }
        // The owner's spliced frame, its fields in its own order.
        let reply = serde_json::to_vec(&Reply::Failed {
            kind: super::super::FailureKind::Refused,
            message: "no".into(),
        })
        .expect("serialize");
        same(&reply_frame(9, &reply));
    }

    #[test]
    fn a_status_as_json_is_passed_through_as_written() {
        let status = sample_snapshot().status;
        let msg = ServerMsg::Reply {
            id: 2,
            reply: Reply::StatusJson {
                status: StatusJson::of(&status).expect("serialize"),
            },
        };
        let frame = serde_json::to_vec(&msg).expect("serialize");
        // On the wire: the same object as a status reply's.
        let plain = serde_json::to_vec(&ServerMsg::Reply {
            id: 2,
            reply: Reply::Status {
                status: Box::new(status.clone()),
            },
        })
        .expect("serialize");
        let as_value = |b: &[u8]| {
            let mut v: serde_json::Value = serde_json::from_slice(b).expect("json");
            v["reply"]["reply"] = serde_json::Value::Null;
            v
        };
        assert_eq!(as_value(&frame), as_value(&plain));
        let read = server_msg(&frame).expect("read");
        assert_eq!(read, msg);
        let ServerMsg::Reply {
            reply: Reply::StatusJson { status: json },
            ..
        } = read
        else {
            panic!("not a status-json reply");
        };
        let again: crate::engine::status::ProjectStatus =
            serde_json::from_str(json.text()).expect("a status");
        assert_eq!(again, status);
        assert_eq!(json.text(), serde_json::to_string(&status).expect("json"));
    }

    #[test]
    fn a_bad_frame_is_an_error_as_serde_says() {
        for frame in [
            &br#"{"msg":"reply","id":1,"reply":{"reply":"status","status":{"project":1}}}"#[..],
            br#"{"msg":"reply","id":1,"reply":{"reply":"no-such"}}"#,
            br#"{"msg":"update","update":{"update":"snapshot","snapshot":[]}}"#,
            br#"{"msg":"reply","id":1}"#,
            b"not json",
        ] {
            assert!(
                server_msg(frame).is_err(),
                "{}",
                String::from_utf8_lossy(frame)
            );
            assert!(serde_json::from_slice::<ServerMsg>(frame).is_err());
        }
    }
}
