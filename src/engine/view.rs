//! What a client needs to draw a project, as one owned value: the [`Snapshot`] (status, plans,
//! the log, adoption series) that the owner hands to every cockpit, and the adoption chart a
//! report reads.
//!
//! A snapshot carries each segment's daily closes only: all the overview draws (its sparks,
//! the project chart by date), read from the view the forecast keeps anyway. The full chart
//! (raw samples, or minute, hour or day rollups, as the segment's age asks, at most
//! [`SERIES_POINTS`]) is read for one segment when a client shows it
//! ([`Engine::client_series`], the `chart` request): at a thousand segments, reading every
//! chart was most of the cockpit's first frame.
//!
//! The adoption series of a segment is its `migrated` samples since it entered `cutover`,
//! divided by the size recorded at that moment (the base a migration lead counts from: "the
//! number of accounts in the old system just before cutover"), as (days since cutover, share).
//! The cockpit's and the fit's views of it are kept in the engine ([`super::adoption`]); a
//! report reads it from the store at its own width.

use super::{Engine, MIGRATED};
use crate::engine::status::ProjectStatus;
use crate::model::{Event, LoginModel};
use crate::store::StoreError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Points of a full chart sent to a client (the `chart` reply), at most: a chart needs about
/// one per screen column. A snapshot's daily closes are one a day, uncapped.
pub const SERIES_POINTS: usize = 512;

/// What the plan of a segment says (from the project file), for the detail view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentPlan {
    pub id: String,
    pub login: Option<LoginModel>,
    /// The share already migrated when the segment (last) entered cutover: its projection is
    /// `start + (1 − start) · S(D)` (see [`crate::model::Plan`]).
    #[serde(default)]
    pub start: f64,
    pub goal: f64,
    /// What each hook will do, e.g. "run ./route.sh eu legacy" (None: no hook).
    pub cutover_hook: Option<String>,
    pub rollback_hook: Option<String>,
    pub done_hook: Option<String>,
}

impl SegmentPlan {
    /// The projection the cockpit draws: the login model from the share at cutover.
    pub fn projection(&self) -> Option<crate::model::Plan> {
        self.login
            .clone()
            .map(|m| crate::model::Plan::new(m, self.start))
    }
}

/// How many of the newest events a snapshot carries, and the most one page of the log holds
/// ([`crate::owner::protocol::Request::Log`] with `limit`). The log is numbered from 1 without
/// gaps, so a client knows how many older events there are: the first one's number, less one.
pub const LOG_PAGE: usize = 1_000;

/// Everything a client is told about a project in one piece.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub status: ProjectStatus,
    pub plans: Vec<SegmentPlan>,
    pub events: Vec<Event>,
    /// Per segment in or after cutover: each day's close, the last sample of each day since
    /// cutover, as (days since cutover, migrated share 0..1), in time order. The full chart
    /// is [`Engine::client_series`].
    pub series: BTreeMap<String, Vec<(f64, f64)>>,
    /// Hooks the owner is running right now, by segment (filled in by the owner).
    #[serde(default)]
    pub running: BTreeMap<String, crate::model::HookAction>,
}

/// Days from `a` to `b`, fractional: the one conversion from time to the projection's D.
pub fn days_between(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_milliseconds() as f64 / 86_400_000.0
}

/// The moment `days` (fractional) after `at`: the inverse of [`days_between`]. Beyond the
/// calendar (a tiny login probability plans billions of days) it stops at the calendar's end
/// rather than overflow.
pub fn days_after(at: DateTime<Utc>, days: f64) -> DateTime<Utc> {
    let ms = (days * 86_400_000.0) as i64;
    Duration::try_milliseconds(ms)
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(if days < 0.0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

impl Engine {
    /// The adoption series of a segment read straight from the store for a chart of about
    /// `columns` columns from its cutover to `to`: raw samples over a short span, else each
    /// bucket's lowest and highest share. Empty before cutover.
    pub fn adoption_chart(
        &self,
        segment: &str,
        to: DateTime<Utc>,
        columns: usize,
    ) -> Result<Vec<(f64, f64)>, StoreError> {
        let state = self.state(segment);
        let (Some(at), Some(seg)) = (state.cutover_at, self.project().segment(segment)) else {
            return Ok(Vec::new());
        };
        let base = state.size_at_cutover.unwrap_or(seg.size).max(1) as f64;
        let points = self
            .store()
            .samples()
            .chart(
                segment,
                MIGRATED,
                at.timestamp_millis(),
                to.timestamp_millis(),
                columns,
            )
            .map_err(|e| crate::store::sample_error(self.store().dir(), e))?;
        Ok(points
            .into_iter()
            .filter_map(|(t, v)| {
                let t = DateTime::from_timestamp_millis(t)?;
                Some((days_between(at, t).max(0.0), (v / base).clamp(0.0, 1.0)))
            })
            .collect())
    }

    /// The plans of every segment, as the detail view shows them.
    pub fn plans(&self) -> Vec<SegmentPlan> {
        self.project()
            .segments
            .iter()
            .map(|s| SegmentPlan {
                id: s.id.clone(),
                login: self.plan_of(&s.id),
                start: self.state(&s.id).start_share(),
                goal: s.goal,
                cutover_hook: s.hooks.cutover.as_ref().map(|h| h.describe()),
                rollback_hook: s.hooks.rollback.as_ref().map(|h| h.describe()),
                done_hook: s.hooks.done.as_ref().map(|h| h.describe()),
            })
            .collect()
    }

    /// Build the snapshot of the whole project at `now`.
    pub fn snapshot(&self, now: DateTime<Utc>) -> Result<Snapshot, StoreError> {
        self.read_ahead(self.project().segments.iter().map(|s| s.id.as_str()))?;
        let snapshot = self.snapshot_read(now);
        self.store().samples().forget();
        snapshot
    }

    fn snapshot_read(&self, now: DateTime<Utc>) -> Result<Snapshot, StoreError> {
        let status = self.status_read(now)?;
        // Each view was built (or kept) by the status just read: its daily closes are at hand.
        let series = status
            .segments
            .iter()
            .filter(|s| s.cutover_at.is_some())
            .map(|s| Ok((s.id.clone(), self.daily_adoption(&s.id, now)?)))
            .collect::<Result<_, StoreError>>()?;
        Ok(Snapshot {
            status,
            plans: self.plans(),
            events: self.events()[self.events().len().saturating_sub(LOG_PAGE)..].to_vec(),
            series,
            running: BTreeMap::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_after_stops_at_the_calendar_s_ends() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(days_after(at, 2e12), DateTime::<Utc>::MAX_UTC);
        assert_eq!(days_after(at, -2e12), DateTime::<Utc>::MIN_UTC);
        assert_eq!(days_after(at, 1.5), at + Duration::hours(36));
    }
}
