//! The legacy switch-off view from the engine's state (see [`crate::model::decommission`]):
//! the segments' phases and reconciliations from the log, the legacy traffic from its
//! source's hourly rollups, and drift from every drift source's latest count.

use super::Engine;
use crate::config::SourceKind;
use crate::model::decommission::{Condition, Decommission, traffic};
use crate::model::gate::Status;
use crate::model::phase::Phase;
use crate::model::rollup::Resolution;
use crate::store::StoreError;
use chrono::{DateTime, Duration, Utc};

/// How far back a condition's last held time is looked for.
const LOOK_BACK_DAYS: i64 = 90;

impl Engine {
    /// Whether the legacy system may be switched off at `now` (None: the project does not
    /// ask, having no `[legacy.decommission]`).
    pub fn decommission(&self, now: DateTime<Utc>) -> Result<Option<Decommission>, StoreError> {
        let Some(d) = &self.project().decommission else {
            return Ok(None);
        };
        let from = now - Duration::days(i64::from(d.days) + 1);
        let corrupt = |e| crate::store::sample_error(self.store().dir(), e);
        let hours = self
            .store()
            .samples()
            .rollups(
                &d.segment,
                &d.metric,
                Resolution::Hour,
                from.timestamp_millis(),
                now.timestamp_millis() + 1,
            )
            .map_err(corrupt)?;
        Ok(Some(Decommission::of(vec![
            self.segments_closed(now),
            traffic(&hours, d.below, d.days, now),
            self.undrifted(now)?,
        ])))
    }

    /// Every segment done, and every one that moved users reconciled.
    fn segments_closed(&self, now: DateTime<Utc>) -> Condition {
        let mut open = Vec::new();
        for seg in &self.project().segments {
            let phase = self.state(&seg.id).phase;
            if phase != Phase::Done {
                open.push(format!("{} is in {phase}", seg.id));
                continue;
            }
            if seg.moving.is_some() {
                let (status, why) = crate::model::criteria::ReconciledSeen::judge(
                    self.latest_reconciled(&seg.id, "real", now).as_ref(),
                    &seg.reconciled_limits(),
                    &seg.id,
                );
                if status != Status::Pass {
                    open.push(format!("{} is not reconciled ({why})", seg.id));
                }
            }
        }
        let holds = open.is_empty();
        Condition {
            name: "segments".into(),
            holds,
            detail: if holds {
                "every segment done and reconciled".into()
            } else {
                open.join(", ")
            },
            last_true: holds.then_some(now),
        }
    }

    /// Every drift source's latest count is 0 (a project without one cannot know).
    fn undrifted(&self, now: DateTime<Utc>) -> Result<Condition, StoreError> {
        let mut drifted = Vec::new();
        let mut sources = 0;
        let mut last_zero: Option<DateTime<Utc>> = None;
        for seg in &self.project().segments {
            for spec in seg.sources.iter().filter(|s| s.kind() == SourceKind::Drift) {
                sources += 1;
                match self.store().latest(&seg.id, &spec.metric)? {
                    Some((_, 0.0)) => {}
                    Some((_, v)) => drifted.push(format!("{} users changed in {}", v, seg.id)),
                    None => drifted.push(format!("{} not counted yet", seg.id)),
                }
                let hours = self
                    .store()
                    .samples()
                    .rollups(
                        &seg.id,
                        &spec.metric,
                        Resolution::Hour,
                        (now - Duration::days(LOOK_BACK_DAYS)).timestamp_millis(),
                        now.timestamp_millis() + 1,
                    )
                    .map_err(|e| crate::store::sample_error(self.store().dir(), e))?;
                if let Some(r) = hours.iter().rev().find(|r| r.min == 0.0) {
                    let at = DateTime::from_timestamp_millis(r.last_at_ms).unwrap_or(now);
                    last_zero = Some(last_zero.map_or(at, |t: DateTime<Utc>| t.min(at)));
                }
            }
        }
        if sources == 0 {
            return Ok(Condition {
                name: "drift".into(),
                holds: false,
                detail: "no drift source counts legacy changes since the move: declare kind = \"drift\" on a segment whose export is live (ldap:// or sql:)".into(),
                last_true: None,
            });
        }
        let holds = drifted.is_empty();
        Ok(Condition {
            name: "drift".into(),
            holds,
            detail: if holds {
                "no legacy user changed since the last move".into()
            } else {
                drifted.join(", ")
            },
            last_true: if holds { Some(now) } else { last_zero },
        })
    }
}
