//! What changed since clients were last told: the events appended (each told to every
//! subscriber once), the segments whose samples moved (recomputed a chunk per refresh, so a
//! large project never stalls the loop), and the snapshot served to all who ask until the
//! state changes ([`SharedView`]).

use super::core::Core;
use super::protocol::{SegmentView, Tone, Update};
use super::shared_view::{Served, SharedView};
use crate::engine::Engine;
use crate::model::HookAction;
use std::collections::{BTreeMap, BTreeSet};

/// Segments recomputed per refresh turn, so a large project never stalls the loop.
const REFRESH_CHUNK: usize = 64;

pub(super) struct Changes {
    /// Segments with new samples, to recompute for subscribers.
    segments: BTreeSet<String>,
    /// How many of the log's events subscribers have been told.
    events_published: usize,
    /// The snapshot served to every client until the state changes.
    shared: SharedView,
    /// This turn only answered a read-only request: the shared snapshot still holds.
    quiet: bool,
}

impl Changes {
    pub(super) fn new(engine: &Engine) -> Changes {
        Changes {
            segments: BTreeSet::new(),
            events_published: engine.events().len(),
            shared: SharedView::default(),
            quiet: false,
        }
    }

    /// These segments' samples changed: recompute them for subscribers.
    pub(super) fn touch(&mut self, segments: impl IntoIterator<Item = String>) {
        self.segments.extend(segments);
    }

    /// This turn answers a request that only reads (or not).
    pub(super) fn reads_only(&mut self, quiet: bool) {
        self.quiet = quiet;
    }

    /// A turn of the loop ended: any turn but a read-only request may have changed what a
    /// snapshot shows.
    pub(super) fn turn_ended(&mut self) {
        if !std::mem::take(&mut self.quiet) {
            self.shared.changed();
        }
    }

    /// The snapshot at `now`, shared with every client that asks in this state and second.
    pub(super) fn snapshot(
        &mut self,
        engine: &Engine,
        now: chrono::DateTime<chrono::Utc>,
        running: BTreeMap<String, HookAction>,
    ) -> Result<Served, crate::store::StoreError> {
        self.shared.get(engine, now, running)
    }
}

impl Core {
    /// Tell subscribers of every event appended since the last call, and recompute the
    /// segments they touched at once (an action shows in every cockpit within a frame).
    pub(super) fn publish_events(&mut self) {
        let events = self.engine.events();
        if events.len() == self.changes.events_published {
            return;
        }
        let new: Vec<_> = events[self.changes.events_published..].to_vec();
        self.changes.events_published = events.len();
        let mut touched = BTreeSet::new();
        for event in new {
            touched.insert(event.body.segment.clone());
            self.clients
                .broadcast(Update::EventAppended { event }, false);
        }
        for s in &touched {
            self.changes.segments.remove(s);
        }
        self.send_segments(touched);
    }

    /// Recompute a chunk of the segments whose samples changed.
    pub(super) fn refresh_changed(&mut self) {
        if self.changes.segments.is_empty() {
            return;
        }
        let chunk: BTreeSet<String> = self
            .changes
            .segments
            .iter()
            .take(REFRESH_CHUNK)
            .cloned()
            .collect();
        for id in &chunk {
            self.changes.segments.remove(id);
        }
        self.send_segments(chunk);
    }

    pub(super) fn send_segments(&mut self, ids: BTreeSet<String>) {
        if !self.clients.any_subscribed() || ids.is_empty() {
            return;
        }
        let now = self.now();
        let mut segments = Vec::new();
        let ahead = self.engine.read_ahead(ids.iter().map(String::as_str));
        if let Err(e) = ahead {
            if self.engine.unreachable_since().is_none() {
                self.clients.notice(Tone::Danger, e.to_string());
            }
            return;
        }
        let view = self.segment_views(ids, now);
        self.engine.store().samples().forget();
        match view {
            Ok(v) => segments.extend(v),
            // An outage of the state database is told once (`StateDatabase`), not per
            // refresh.
            Err(_) if self.engine.unreachable_since().is_some() => return,
            Err(e) => return self.clients.notice(Tone::Danger, e.to_string()),
        }
        // The switch-off view spans the project: worked out anew with each change, only
        // for a project that asks for it.
        let decommission = self.engine.decommission(now).unwrap_or_default();
        self.clients.broadcast(
            Update::SegmentsChanged {
                segments,
                decommission,
            },
            false,
        );
    }

    fn segment_views(
        &self,
        ids: BTreeSet<String>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<SegmentView>, crate::store::StoreError> {
        let mut segments = Vec::new();
        for id in ids {
            let Some(seg) = self.engine.project().segment(&id) else {
                continue;
            };
            let view = self.engine.segment_status(seg, now).and_then(|status| {
                let series = match status.cutover_at {
                    Some(_) => Some(self.engine.daily_adoption(&id, now)?),
                    None => None,
                };
                Ok(SegmentView { status, series })
            });
            segments.push(view?);
        }
        Ok(segments)
    }
}
