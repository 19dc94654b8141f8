//! The board as a scrape shows it: a standby's owner series alone, updates moving the series
//! as they move a cockpit, a move counted by outcome and code, and what the board asks the
//! owner for after a failed snapshot or an approval.

use super::*;
use crate::metrics::families::render;
use crate::owner::protocol::SegmentView;

/// A board told the sample project's snapshot, as a subscriber is.
fn told(leads: bool) -> (Board, crate::engine::view::Snapshot) {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = crate::sample_project::build(dir.path()).expect("sample project");
    let snapshot = engine
        .snapshot(crate::sample_project::now())
        .expect("snapshot");
    let mut board = Board::new(OwnerFacts {
        pid: 4242,
        role: Role::Watch,
        started: crate::sample_project::now(),
        leads: Arc::new(AtomicBool::new(leads)),
    });
    board.absorb(ServerMsg::Reply {
        id: 1,
        reply: Reply::Snapshot {
            snapshot: Box::new(snapshot.clone()),
        },
    });
    (board, snapshot)
}

#[test]
fn a_standby_exports_its_owner_series_only() {
    let (board, _) = told(false);
    let text = render(&board, Format::Text);
    assert_eq!(board.text(Format::Text), text.as_bytes(), "the kept text");
    // Leading changes what is shown, without a message: the kept text is not reused.
    board.owner.leads.store(true, Ordering::Relaxed);
    assert!(board.text(Format::Text).len() > text.len());
    board.owner.leads.store(false, Ordering::Relaxed);
    assert!(text.contains("cutover_owner_leader 0\n"), "{text}");
    assert!(text.contains("cutover_owner_pid 4242\n"));
    let samples: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(
        samples.iter().all(|l| l.starts_with("cutover_owner_")),
        "{samples:?}"
    );
}

#[test]
fn updates_move_the_series_as_they_move_the_cockpit() {
    let (mut board, snapshot) = told(true);
    let first = &snapshot.status.segments[0];
    let id = first.id.clone();
    let text = render(&board, Format::Text);
    let phase = format!(
        "cutover_segment_phase{{segment=\"{id}\",phase=\"{}\"}} 1\n",
        first.phase.as_str()
    );
    assert!(text.contains(&phase), "{text}");
    let phases = text
        .lines()
        .filter(|l| l.starts_with(&format!("cutover_segment_phase{{segment=\"{id}\"")))
        .count();
    assert_eq!(phases, 7, "one series a phase");

    // A fresh status of the segment replaces its series.
    let mut changed = first.clone();
    changed.migrated_share = Some(0.375);
    changed.guard_streak = 2;
    board.absorb(ServerMsg::Update {
        update: Update::SegmentsChanged {
            segments: vec![SegmentView {
                status: changed,
                series: None,
            }],
            decommission: None,
        },
    });
    board.absorb(ServerMsg::Update {
        update: Update::NotifyHealth {
            failing: vec![crate::engine::status::SinkFailing {
                sink: "pager".into(),
                since: crate::sample_project::now(),
                error: "connection refused".into(),
                pending: 3,
            }],
        },
    });
    board.absorb(ServerMsg::Update {
        update: Update::HookStarted {
            segment: id.clone(),
            action: HookAction::Rollback,
            key: 9,
        },
    });
    board.absorb(ServerMsg::Update {
        update: Update::MoveProgress {
            segment: id.clone(),
            progress: Some(MoveNow {
                done: 250,
                of: 1000,
                rate: 50.0,
                left_seconds: Some(15.0),
                undo: true,
                reset: false,
            }),
        },
    });
    let text = render(&board, Format::Text);
    for want in [
        format!("cutover_segment_migrated_ratio{{segment=\"{id}\"}} 0.375\n"),
        format!("cutover_guard_failing_streak{{segment=\"{id}\"}} 2\n"),
        format!("cutover_hook_running{{segment=\"{id}\",hook=\"rollback\"}} 1\n"),
        format!("cutover_move_running{{segment=\"{id}\",kind=\"undo\"}} 1\n"),
        format!("cutover_move_settled_users{{segment=\"{id}\"}} 250\n"),
        "cutover_notify_sink_failing{sink=\"pager\"} 1\n".to_string(),
        "cutover_notify_pending_messages{sink=\"pager\"} 3\n".to_string(),
    ] {
        assert!(text.contains(&want), "{want} missing:\n{text}");
    }

    // The hook ends and the move with it: their series go.
    board.absorb(ServerMsg::Update {
        update: Update::HookFinished {
            segment: id.clone(),
            action: HookAction::Rollback,
            key: 9,
            ok: true,
            detail: String::new(),
        },
    });
    board.absorb(ServerMsg::Update {
        update: Update::MoveProgress {
            segment: id.clone(),
            progress: None,
        },
    });
    let text = render(&board, Format::Text);
    assert!(!text.contains("cutover_hook_running{"), "{text}");
    assert!(!text.contains("cutover_move_running{"), "{text}");
}

#[test]
fn a_failed_snapshot_is_asked_again_and_an_approval_asks_anew() {
    let (mut board, _) = told(true);
    let failed = ServerMsg::Reply {
        id: 2,
        reply: Reply::Failed {
            kind: crate::owner::protocol::FailureKind::Stopped,
            message: "the state database is unreachable".into(),
        },
    };
    assert_eq!(board.absorb(failed), Next::RetryLater);
    let at = crate::sample_project::now();
    let event = |seq, kind| ServerMsg::Update {
        update: Update::EventAppended {
            event: crate::model::Event {
                seq,
                body: crate::model::NewEvent::new(at, "eu", kind, "ana"),
            },
        },
    };
    let before = board.events;
    assert_eq!(
        board.absorb(event(before + 1, crate::model::Action::Pause)),
        Next::Nothing
    );
    assert_eq!(
        board.absorb(event(before + 2, crate::model::Action::Approval)),
        Next::Refresh
    );
    assert_eq!(board.events, before + 2, "the log's count follows");
}

#[test]
fn a_recorded_move_is_counted_by_outcome_and_code() {
    let (mut board, snapshot) = told(true);
    let mut status = snapshot.status.segments[0].clone();
    let id = status.id.clone();
    let report = crate::model::moved::MoveReport {
        segment: id.clone(),
        which: "real".into(),
        total: 100,
        created: 90,
        already_present: 4,
        updated: 0,
        skipped: [("NO_EMAIL".to_string(), 2)].into(),
        failed: [("DUPLICATE_EMAIL".to_string(), 4)].into(),
        without_password: 0,
        seconds: 1.0,
        rate: 100.0,
        state: "moved".into(),
        deleted: 0,
        kept: 0,
        started: None,
    };
    status.moving = Some(crate::engine::move_status::MoveStatus {
        real: Some(report),
        rehearsal: None,
        predicted_seconds: None,
        prediction: None,
        drift_created: 0,
    });
    board.absorb(ServerMsg::Update {
        update: Update::SegmentsChanged {
            segments: vec![SegmentView {
                status,
                series: None,
            }],
            decommission: None,
        },
    });
    let text = render(&board, Format::OpenMetrics);
    for want in [
        format!("cutover_move_users{{segment=\"{id}\",which=\"real\",outcome=\"created\"}} 90\n"),
        format!("cutover_move_users{{segment=\"{id}\",which=\"real\",outcome=\"failed\"}} 4\n"),
        format!(
            "cutover_move_refused_users{{segment=\"{id}\",which=\"real\",outcome=\"failed\",code=\"DUPLICATE_EMAIL\"}} 4\n"
        ),
        format!(
            "cutover_move_refused_users{{segment=\"{id}\",which=\"real\",outcome=\"skipped\",code=\"NO_EMAIL\"}} 2\n"
        ),
        format!("cutover_move_state{{segment=\"{id}\",which=\"real\",state=\"moved\"}} 1\n"),
    ] {
        assert!(text.contains(&want), "{want} missing:\n{text}");
    }
    assert!(text.ends_with("# EOF\n"));
}
