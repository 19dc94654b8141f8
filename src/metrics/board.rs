//! What a scrape reads: the owner's view of the project as its clients see it, kept in memory
//! by the exporter from the same updates every cockpit gets (a snapshot when it subscribes,
//! then segments changed, hooks started and finished, moves' progress, sinks failing). A
//! scrape renders this board and nothing else: it never asks the owner loop, and never reads
//! the store.

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
        }
    }

    pub fn leads(&self) -> bool {
        self.owner.leads.load(Ordering::Relaxed)
    }

    /// Take in one message from the owner.
    pub fn absorb(&mut self, msg: ServerMsg) {
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
            ServerMsg::Update { update } => self.update(update),
            ServerMsg::Reply { .. } | ServerMsg::Welcome(_) | ServerMsg::Goodbye { .. } => {}
        }
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
            Update::EventAppended { event } => self.events = self.events.max(event.seq),
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
            Update::Snapshot { .. } | Update::Polled { .. } | Update::Notice { .. } => {}
        }
    }
}
