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
#[path = "board_tests.rs"]
mod tests;
