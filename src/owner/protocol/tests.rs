//! Every message of the protocol round-trips through JSON unchanged.

use super::*;

#[test]
fn every_message_round_trips_through_json() {
    let msgs = vec![
        ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            role: Role::Cockpit,
            actor: None,
        },
        ClientMsg::Request {
            id: 7,
            request: Request::Act {
                segment: "eu".into(),
                action: Action::RetryRollBack,
                reason: Some("why".into()),
                expect: Some(crate::model::Phase::Cutover),
                delete_active: false,
                override_window: false,
            },
        },
    ];
    for m in msgs {
        let json = serde_json::to_string(&m).expect("serialize");
        assert_eq!(serde_json::from_str::<ClientMsg>(&json).expect("parse"), m);
    }
    let reply = ServerMsg::Reply {
        id: 7,
        reply: Reply::Failed {
            kind: FailureKind::Refused,
            message: "no".into(),
        },
    };
    let json = serde_json::to_string(&reply).expect("serialize");
    assert!(json.contains(r#""kind":"refused""#), "{json}");
    assert_eq!(
        serde_json::from_str::<ServerMsg>(&json).expect("parse"),
        reply
    );
}
