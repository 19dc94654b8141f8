//! What a scrape reads: the owner's view of the project as its clients see it, kept in memory
//! by the exporter from the same updates every cockpit gets (a snapshot when it subscribes,
//! then segments changed, hooks started and finished, moves' progress, sinks failing). A
//! scrape renders this board and nothing else: it never asks the owner loop, and never reads
//! the store.

use super::exposition::Format;
use crate::engine::status::ProjectStatus;
use crate::model::HookAction;
use crate::owner::protocol::{MoveNow, Reply, Role, ServerMsg, Update};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The owning process, as the owner series tell it.
#[derive(Debug, Clone)]
pub struct OwnerFacts {
    pub pid: u32,
    pub role: Role,
    pub started: DateTime<Utc>,
    /// Whether this process runs the pollers and guards: always on sled; on the team
    /// backend, while it leads. Only a leader exports the segments.
    pub leads: Arc<AtomicBool>,
}

/// What the board needs after a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Nothing,
    /// The project anew: what waits for approval changed, and only a snapshot carries it.
    Refresh,
    /// The owner could not answer with the project: ask again a little later.
    RetryLater,
}

/// The exporter's view of the project.
pub struct Board {
    pub owner: OwnerFacts,
    /// The project's status as last told (none before the first snapshot).
    pub status: Option<ProjectStatus>,
    /// Where each segment is in `status.segments`.
    index: HashMap<String, usize>,
    /// Hooks running now, by segment.
    pub running: BTreeMap<String, HookAction>,
    /// Moves (undos, resets) running now, by segment.
    pub moves: BTreeMap<String, MoveNow>,
    /// The newest event's number: how many events the audit log holds.
    pub events: u64,
    /// Bumped by every message: the scrape text below holds while it stays.
    version: u64,
    /// The last scrape's text, by version, leadership and format: an HA pair of Prometheus
    /// servers, or a quick re-scrape, costs one rendering.
    rendered: std::sync::Mutex<Option<(u64, bool, Format, bytes::Bytes)>>,
}

impl Board {
    pub fn new(owner: OwnerFacts) -> Board {
        Board {
            owner,
            status: None,
            index: HashMap::new(),
            running: BTreeMap::new(),
            moves: BTreeMap::new(),
            events: 0,
            version: 0,
            rendered: std::sync::Mutex::new(None),
        }
    }

    /// The scrape's text in `format`, rendered anew only when the board changed.
    pub fn text(&self, format: Format) -> bytes::Bytes {
        let key = (self.version, self.leads(), format);
        let mut kept = self
            .rendered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((v, l, f, text)) = kept.as_ref()
            && (*v, *l, *f) == key
        {
            return text.clone();
        }
        let text = bytes::Bytes::from(super::families::render(self, format));
        *kept = Some((key.0, key.1, key.2, text.clone()));
        text
    }

    pub fn leads(&self) -> bool {
        self.owner.leads.load(Ordering::Relaxed)
    }

    /// Take in one message from the owner, and say what the board needs next.
    pub fn absorb(&mut self, msg: ServerMsg) -> Next {
        self.version += 1;
        match msg {
            ServerMsg::Reply {
                reply: Reply::Snapshot { snapshot },
                ..
            }
            | ServerMsg::Update {
                update: Update::Snapshot { snapshot },
            } => {
                let snapshot = *snapshot;
                self.events = snapshot.events.last().map_or(0, |e| e.seq);
                self.running = snapshot.running;
                self.index = snapshot
                    .status
                    .segments
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.id.clone(), i))
                    .collect();
                self.status = Some(snapshot.status);
            }
            ServerMsg::Reply {
                reply: Reply::Failed { .. },
                ..
            } => return Next::RetryLater,
            ServerMsg::Update {
                update: Update::EventAppended { event },
            } => {
                self.events = self.events.max(event.seq);
                if event.body.kind == crate::model::Action::Approval {
                    return Next::Refresh;
                }
            }
            ServerMsg::Update { update } => self.update(update),
            ServerMsg::Reply { .. } | ServerMsg::Welcome(_) | ServerMsg::Goodbye { .. } => {}
        }
        Next::Nothing
    }

    fn update(&mut self, update: Update) {
        match update {
            Update::SegmentsChanged { segments, .. } => {
                let Some(status) = self.status.as_mut() else {
                    return;
                };
                for view in segments {
                    match self.index.get(&view.status.id) {
                        Some(&i) => status.segments[i] = view.status,
                        None => {
                            self.index
                                .insert(view.status.id.clone(), status.segments.len());
                            status.segments.push(view.status);
                        }
                    }
                }
                status.migrated_share = crate::engine::status::weighted_share(&status.segments);
            }
            Update::HookStarted {
                segment, action, ..
            } => {
                self.running.insert(segment, action);
            }
            Update::HookFinished { segment, .. } => {
                self.running.remove(&segment);
            }
            Update::MoveProgress { segment, progress } => match progress {
                Some(p) => {
                    self.moves.insert(segment, p);
                }
                None => {
                    self.moves.remove(&segment);
                }
            },
            Update::NotifyHealth { failing } => {
                if let Some(s) = self.status.as_mut() {
                    s.notify_failing = failing;
                }
            }
            Update::StateDatabase { unreachable_since } => {
                if let Some(s) = self.status.as_mut() {
                    s.state_unreachable_since = unreachable_since;
                }
            }
            Update::SourceHealth { health } => {
                let Some(&i) = self.index.get(&health.segment) else {
                    return;
                };
                let Some(status) = self.status.as_mut() else {
                    return;
                };
                let sources = &mut status.segments[i].sources;
                if let Some(src) = sources.iter_mut().find(|s| s.metric == health.metric) {
                    src.error = health.last_error;
                    src.error_at = health.last_error_at;
                    if let Some(at) = health.last_ok_at {
                        src.at = Some(at);
                        src.value = health.last_value;
                    }
                }
            }
            Update::Snapshot { .. }
            | Update::EventAppended { .. }
            | Update::Polled { .. }
            | Update::Notice { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
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
            format!(
                "cutover_move_users{{segment=\"{id}\",which=\"real\",outcome=\"created\"}} 90\n"
            ),
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
}
