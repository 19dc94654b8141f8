//! The owner's protocol as other programs see it (issue 24, §4): the shape of every message's
//! JSON is a reviewed snapshot (`tests/snapshots/protocol_wire__shapes.snap`), so a change to
//! the wire shows in review, and a changed shape fails until `PROTOCOL_VERSION` is bumped and
//! the new shape's fingerprint recorded beside it (`WIRE`, in `protocol_wire/wire.rs`).

use cutover::owner::protocol::{
    ClientMsg, ClockSpec, FailureKind, PROTOCOL_VERSION, Reply, Request, Role, SegmentView,
    ServerMsg, Tone, Update, Welcome,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

#[path = "protocol_wire/wire.rs"]
mod wire;
use wire::WIRE;

/// A value's shape: its keys and the types of their values, not the values themselves.
fn shape(v: &Value, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(_) => out.push_str("bool"),
        Value::Number(_) => out.push_str("number"),
        Value::String(_) => out.push_str("string"),
        Value::Array(a) => match a.first() {
            None => out.push_str("[]"),
            Some(first) => {
                out.push('[');
                shape(first, indent, out);
                out.push(']');
            }
        },
        Value::Object(o) => {
            out.push_str("{\n");
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            for k in keys {
                out.push_str(&format!("{pad}  {k}: "));
                // A tag's value is part of the shape: it names the message.
                match (&o[k], k.as_str()) {
                    (Value::String(s), "msg" | "request" | "reply" | "update") => {
                        out.push_str(&format!("\"{s}\""));
                    }
                    (v, _) => shape(v, indent + 1, out),
                }
                out.push('\n');
            }
            out.push_str(&format!("{pad}}}"));
        }
    }
}

/// One message of every kind, filled from the sample project where the value is large.
fn every_message() -> Vec<(String, Value)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = cutover::sample_project::build(dir.path()).expect("sample project");
    let now = cutover::sample_project::now();
    let status = engine.status(now).expect("status");
    let snapshot = engine.snapshot(now).expect("snapshot");
    let events = engine.events().to_vec();
    let event = events.last().cloned().expect("an event");
    let table = cutover::audit::compat::Table::built_in();
    let options = cutover::audit::Options {
        mapping: &cutover::config::AuditFile::default(),
        table: &table,
        target: Some("fusionauth"),
        at: now,
    };
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit/auth0.ndjson");
    let audit = Box::new(cutover::audit::run(&fixture, &options, &mut |_| {}).expect("audit"));
    let view = SegmentView {
        status: status.segments[0].clone(),
        series: Some(vec![(1.0, 0.1)]),
    };
    let polled_ok = cutover::source::Polled {
        segment: "eu".into(),
        metric: "migrated".into(),
        at: now,
        result: Ok(12.0),
    };
    let polled = polled_ok.clone();
    let health = cutover::engine::live::SourceHealth {
        segment: "eu".into(),
        metric: "migrated".into(),
        kind: cutover::config::SourceKind::Prometheus,
        last_value: Some(1.0),
        last_ok_at: Some(now),
        last_error: Some("timeout".into()),
        last_error_at: Some(now),
        consecutive_failures: 1,
    };
    let sample = cutover::store::SampleLine {
        segment: "eu".into(),
        metric: "migrated".into(),
        at: now,
        value: 1.0,
    };
    let requests = vec![
        Request::Act {
            segment: "eu".into(),
            action: cutover::model::Action::Advance,
            reason: Some("why".into()),
            expect: Some(cutover::model::Phase::Gate),
            delete_active: false,
            override_window: false,
        },
        Request::Record {
            segment: "eu".into(),
            metric: "migrated".into(),
            value: 1.0,
            at: Some(now),
        },
        Request::Import {
            samples: vec![sample],
        },
        Request::PollNow {
            segment: Some("eu".into()),
        },
        Request::Status,
        Request::StatusJson,
        Request::Log {
            segment: Some("eu".into()),
            before: None,
            limit: None,
        },
        Request::Log {
            segment: None,
            before: Some(1_501),
            limit: Some(1_000),
        },
        Request::Snapshot,
        Request::Subscribe { polls: true },
        Request::Report {
            out: "/tmp/report".into(),
            at: Some(now),
        },
        Request::Verify,
        Request::Backup {
            out: "/tmp/backup".into(),
        },
        Request::RunChecks {
            segment: "eu".into(),
        },
        Request::RecordAudit {
            segment: Some("eu".into()),
            audit: audit.clone(),
        },
        Request::Prefs,
        Request::SavePrefs {
            prefs: Default::default(),
        },
        Request::Move {
            segment: "eu".into(),
            rehearse: true,
            keep: false,
            remaining: false,
            changed_since_move: false,
        },
        Request::Move {
            segment: "eu".into(),
            rehearse: false,
            keep: false,
            remaining: false,
            changed_since_move: true,
        },
        Request::Reset {
            segment: "eu".into(),
        },
        Request::Approve {
            id: 57,
            reason: Some("looks fine".into()),
        },
        Request::Reject {
            id: 57,
            reason: "not on a Friday".into(),
        },
        Request::Chart {
            segment: "eu".into(),
        },
    ];
    let replies = vec![
        Reply::Event {
            event: event.clone(),
        },
        Reply::Polled {
            polled: polled.clone(),
        },
        Reply::Status {
            status: Box::new(status.clone()),
        },
        Reply::StatusJson {
            status: cutover::owner::protocol::StatusJson::of(&status).expect("serialize"),
        },
        Reply::Log {
            events: vec![event.clone()],
        },
        Reply::Snapshot {
            snapshot: Box::new(snapshot.clone()),
        },
        Reply::Written {
            files: vec!["/tmp/report/report.md".into()],
        },
        Reply::Verified {
            verified: cutover::store::Verified {
                events: 1,
                samples: 2,
                problems: vec!["one".into()],
            },
        },
        Reply::Imported {
            written: 1,
            rejected: vec![(0, "why".into())],
        },
        Reply::Prefs {
            user: "lead".into(),
            prefs: Default::default(),
        },
        Reply::MoveProgress { done: 1, of: 2 },
        Reply::Reset {
            report: Box::new(cutover::reset::ResetReport {
                segment: "eu".into(),
                state: "sending".into(),
                refused: [("not-found".to_string(), 1)].into(),
                ..Default::default()
            }),
        },
        Reply::Moved {
            report: Box::new(cutover::model::moved::MoveReport {
                segment: "eu".into(),
                which: "real".into(),
                total: 3,
                created: 1,
                already_present: 1,
                updated: 0,
                skipped: [("unreadable".to_string(), 1)].into(),
                failed: [("INVALID_EMAIL".to_string(), 0)].into(),
                without_password: 0,
                seconds: 1.5,
                rate: 2.0,
                state: "moved".into(),
                deleted: 0,
                kept: 0,
                started: None,
            }),
        },
        Reply::Chart {
            segment: "eu".into(),
            points: vec![(0.0, 0.0), (1.5, 0.25)],
        },
        Reply::Done,
        Reply::Failed {
            kind: FailureKind::Refused,
            message: "no".into(),
        },
    ];
    let updates = vec![
        Update::Snapshot {
            snapshot: Box::new(snapshot),
        },
        Update::SegmentsChanged {
            segments: vec![view],
            decommission: None,
        },
        Update::EventAppended { event },
        Update::HookStarted {
            segment: "eu".into(),
            action: cutover::model::HookAction::Rollback,
            key: 7,
        },
        Update::HookFinished {
            segment: "eu".into(),
            action: cutover::model::HookAction::Rollback,
            key: 7,
            ok: true,
            detail: "done".into(),
        },
        Update::Polled { polled },
        Update::Polled {
            polled: cutover::source::Polled {
                result: Err(cutover::source::PollError::new(
                    cutover::source::PollFailure::Timeout,
                    "no answer within 5s",
                )),
                ..polled_ok.clone()
            },
        },
        Update::SourceHealth { health },
        Update::Notice {
            tone: Tone::Warn,
            text: "note".into(),
        },
        Update::StateDatabase {
            unreachable_since: Some(now),
        },
        Update::NotifyHealth {
            failing: vec![cutover::engine::status::SinkFailing {
                sink: "ops".into(),
                since: now,
                error: "502".into(),
                pending: 1,
            }],
        },
        Update::MoveProgress {
            segment: "eu".into(),
            progress: Some(cutover::owner::protocol::MoveNow {
                done: 1,
                of: 2,
                rate: 3.0,
                left_seconds: Some(4.0),
                undo: false,
                reset: false,
            }),
        },
    ];
    let mut out = Vec::new();
    let json = |v: &dyn erased::Ser| v.value();
    out.push((
        "client hello".to_string(),
        json(&ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            role: Role::Cockpit,
            actor: Some("lead".into()),
        }),
    ));
    for (id, request) in requests.into_iter().enumerate() {
        let m = ClientMsg::Request {
            id: id as u64,
            request,
        };
        out.push(("client request".to_string(), json(&m)));
    }
    out.push((
        "owner welcome".to_string(),
        json(&ServerMsg::Welcome(Welcome {
            protocol: PROTOCOL_VERSION,
            pid: 1,
            role: Role::Watch,
            project: "Acme".into(),
            actor: "lead".into(),
            clock: ClockSpec { now, factor: 1.0 },
            viewer: true,
            person: Some("carol".into()),
        })),
    ));
    for reply in replies {
        out.push((
            "owner reply".to_string(),
            json(&ServerMsg::Reply { id: 1, reply }),
        ));
    }
    for update in updates {
        out.push((
            "owner update".to_string(),
            json(&ServerMsg::Update { update }),
        ));
    }
    out.push((
        "owner goodbye".to_string(),
        json(&ServerMsg::Goodbye {
            reason: "stopped".into(),
        }),
    ));
    out
}

/// Serialize any message to a JSON value.
mod erased {
    pub trait Ser {
        fn value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn value(&self) -> serde_json::Value {
            serde_json::to_value(self).expect("a message serializes")
        }
    }
}

fn shapes() -> String {
    let mut text = format!("protocol {PROTOCOL_VERSION}\n");
    for (what, value) in every_message() {
        text.push_str(&format!("\n# {what}\n"));
        shape(&value, 0, &mut text);
        text.push('\n');
    }
    text
}

#[test]
fn every_message_s_shape_is_a_reviewed_snapshot() {
    insta::assert_snapshot!("shapes", shapes());
}

#[test]
fn the_wire_changes_only_with_the_protocol_version() {
    let text = shapes();
    let fingerprint = format!("{:x}", Sha256::digest(text.as_bytes()));
    let recorded = WIRE.iter().find(|(v, _)| *v == PROTOCOL_VERSION);
    assert!(
        recorded.is_some_and(|(_, f)| *f == fingerprint),
        "the protocol's wire is not the one recorded for version {PROTOCOL_VERSION}. If you changed it on purpose, bump PROTOCOL_VERSION in src/owner/protocol.rs and add ({}, \"{fingerprint}\") to WIRE in tests/protocol_wire/wire.rs (other programs speak this protocol: keep the frame, the hello/welcome handshake and today's names)",
        PROTOCOL_VERSION + 1
    );
    let mut versions: Vec<u32> = WIRE.iter().map(|w| w.0).collect();
    versions.dedup();
    assert_eq!(versions.len(), WIRE.len(), "one line a version");
    assert_eq!(
        WIRE.last().map(|w| w.0),
        Some(PROTOCOL_VERSION),
        "the newest line is this version's"
    );
}
