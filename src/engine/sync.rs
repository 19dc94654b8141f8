//! The engine's part in a shared state: other processes (other leads, the guard on a
//! server) write to the same log on the team backend, so the engine folds in what it has not
//! seen before it decides and whenever the owner hears news, and refuses an action decided on
//! a phase that another lead's event has since changed, naming that event.

use super::Engine;
use crate::model::{Event, Outcome, Phase};
use crate::store::StoreError;

impl Engine {
    /// The sequence number of the newest event this engine has folded (0: none).
    /// Since when the shared state has been out of reach, if it is (never on a state this
    /// process holds alone).
    pub fn unreachable_since(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.store()
            .coordination()
            .and_then(|c| c.unreachable_since())
    }

    pub fn last_seq(&self) -> u64 {
        self.events.last().map_or(0, |e| e.seq)
    }

    /// Fold in what other processes recorded since this engine last looked (a team state on
    /// PostgreSQL); returns how many events arrived. On sled there is never any.
    pub fn refresh(&mut self) -> Result<usize, StoreError> {
        let fresh = self.store.events_after(self.last_seq())?;
        let n = fresh.len();
        for e in fresh {
            self.fold_in(e);
        }
        Ok(n)
    }

    /// Fold one event of the log in (once: an event already folded is skipped).
    pub(crate) fn fold_in(&mut self, event: Event) {
        if event.seq <= self.last_seq() {
            return;
        }
        self.states
            .entry(event.body.segment.clone())
            .or_default()
            .apply(&event);
        self.latest.note(self.events.len(), &event);
        let segment = event.body.segment.clone();
        self.events.push(event);
        self.forget_adoption(&segment);
        self.refresh_drift_moments(&segment);
    }

    /// Set the moment each of `segment`'s drift sources counts from, as its log now says:
    /// the start of its last real move (none once that move is undone), when it entered
    /// cutover, or the time the source names.
    pub(crate) fn refresh_drift_moments(&self, segment: &str) {
        use crate::config::SourceRequest;
        use crate::export::drift::Since;
        let Some(seg) = self.project.segment(segment) else {
            return;
        };
        for spec in &seg.sources {
            let SourceRequest::Drift { since, moment, .. } = &spec.request else {
                continue;
            };
            let at = match since {
                Since::At(t) => Some(*t),
                Since::Cutover => self.state(segment).cutover_at,
                Since::Move => {
                    let started = |which: &str| {
                        self.latest
                            .moves
                            .get(&(segment.to_string(), which.to_string()))
                            .and_then(|&i| self.events.get(i))
                            .and_then(|e| {
                                let m = e.body.moved.as_deref()?;
                                if m.state == "undone" || m.state == "undoing" {
                                    return None;
                                }
                                m.started.or_else(|| {
                                    let ms = (m.seconds * 1000.0) as i64;
                                    e.body
                                        .at
                                        .checked_sub_signed(chrono::Duration::try_milliseconds(ms)?)
                                })
                            })
                    };
                    // A finished drift pass (`move --changed-since-move`) after the real move
                    // moved the changes before its start: the count goes on from there.
                    let real = started("real");
                    let pass = started("drift").filter(|&p| real.is_some_and(|r| p >= r));
                    pass.or(real)
                }
            };
            moment.set(at);
        }
    }

    /// Why an action decided on `seen` no longer applies: the event that moved the segment.
    pub(crate) fn moved_since(&self, segment: &str, seen: Phase, now_in: Phase) -> String {
        let mover = self.events.iter().rev().find(|e| {
            e.body.segment == segment
                && e.body.to == Some(now_in)
                && matches!(e.body.outcome, Outcome::Ok | Outcome::Succeeded)
        });
        match mover {
            Some(e) => format!(
                "{segment} moved to {now_in} since you looked (it was {seen}): event #{} by {} at {}; look again and retry",
                e.seq,
                e.body.actor,
                e.body.at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            None => {
                format!("{segment} is in {now_in}, not {seen} as you saw it; look again and retry")
            }
        }
    }

    /// Read ahead what a status (or a snapshot) of these segments reads, in one round trip on
    /// a shared database: thousands of small reads become one query. Pair with
    /// `self.store().samples().forget()`.
    pub(crate) fn read_ahead<'a>(
        &self,
        segments: impl Iterator<Item = &'a str>,
    ) -> Result<(), StoreError> {
        if self.store().coordination().is_none() {
            return Ok(());
        }
        let mut series: Vec<(&str, &str)> = Vec::new();
        for id in segments {
            let Some(seg) = self.project().segment(id) else {
                continue;
            };
            // Day rollups are read for segments that have been in cutover (their adoption).
            if self.state_ref(id).is_none_or(|s| s.cutover_at.is_none()) {
                continue;
            }
            series.push((id, super::MIGRATED));
            for src in &seg.sources {
                if src.metric != super::MIGRATED {
                    series.push((id, src.metric.as_str()));
                }
            }
        }
        self.store()
            .samples()
            .prefetch(&series)
            .map_err(|e| crate::store::sample_error(self.store().dir(), e))
    }
}

impl Engine {
    /// Record that a lasting condition of a segment started (`raised`) or ended: one event
    /// per transition (see `Action::Alarm`).
    pub fn record_alarm(
        &mut self,
        segment: &str,
        key: &str,
        raised: bool,
        detail: String,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Event, StoreError> {
        let state = if raised { "raised" } else { "cleared" };
        self.append(crate::model::NewEvent {
            reason: Some(format!("{state}: {key}")),
            detail: Some(detail),
            ..crate::model::NewEvent::new(now, segment, crate::model::Action::Alarm, "auto")
        })
    }

    /// Whether a segment's guard has an open alarm (failing, not yet clear long enough).
    pub fn guard_alarm_open(&self, segment: &str) -> bool {
        self.streaks.alarm_open(segment)
    }
}
