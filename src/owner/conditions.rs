//! Lasting conditions the guarding owner watches for its notifications, recorded as `alarm`
//! events once per transition (so the log says it, and the outbox sends it once):
//!
//! * a rollback whose hook is still pending past its timeout (plus a 5 s grace): critical;
//! * a source failing for longer than its `stale_after`, and when it answers again: warn;
//! * a guard that passes again after failing (its failure is the `guard-failed` event): warn;
//! * the forecast's finish slipping past the segment's deadline, and the plateau signal
//!   (looked at once a minute: a forecast costs about a millisecond): warn; back: info.
//!
//! Which alarms are open is folded from the log on start, so a restart neither repeats a
//! raise nor invents a clear: a condition is cleared only when seen gone (the rollback
//! finished, the source answered).

use crate::config::HookSpec;
use crate::engine::Engine;
use crate::model::{Action, HookAction, Phase};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// A transition to record: (segment, key, raised, detail).
pub(super) type Transition = (String, String, bool, String);

pub(super) struct Alarms {
    /// Open alarms, by (segment, key).
    open: BTreeSet<(String, String)>,
    /// Segments whose guard this owner has seen failing.
    guard_failing: BTreeSet<String>,
    started: DateTime<Utc>,
    last: Instant,
    /// The last event looked at for `guard-failed`.
    scanned: u64,
    /// The forecast conditions as last worked out, and when.
    slow: BTreeMap<(String, String), String>,
    slow_at: Option<Instant>,
}

fn hook_time(spec: &HookSpec) -> Duration {
    match spec {
        HookSpec::Command { timeout, .. } => *timeout,
        HookSpec::Webhook {
            timeout, retries, ..
        } => {
            // Each attempt's time, and the backoff between attempts (250 ms doubling, capped).
            timeout.saturating_mul(retries.saturating_add(1))
                + Duration::from_millis(250 * 32).saturating_mul(*retries)
        }
    }
}

impl Alarms {
    pub(super) fn new(engine: &Engine, now: DateTime<Utc>) -> Alarms {
        let mut open = BTreeSet::new();
        for e in engine.events() {
            if e.body.kind != Action::Alarm {
                continue;
            }
            let Some((state, key)) = e.body.reason.as_deref().and_then(|r| r.split_once(": "))
            else {
                continue;
            };
            let entry = (e.body.segment.clone(), key.to_string());
            if state == "raised" {
                open.insert(entry);
            } else {
                open.remove(&entry);
            }
        }
        Alarms {
            open,
            guard_failing: BTreeSet::new(),
            started: now,
            last: Instant::now(),
            scanned: engine.last_seq(),
            slow: BTreeMap::new(),
            slow_at: None,
        }
    }

    /// Whether a look is due (at most once a second).
    pub(super) fn due(&self) -> bool {
        self.last.elapsed() >= Duration::from_secs(1)
    }

    /// Note a transition as recorded in the log (a failed record is found again next look).
    pub(super) fn recorded(&mut self, (seg, key, raised, _): &Transition) {
        if key == "guard" {
            return;
        }
        if *raised {
            self.open.insert((seg.clone(), key.clone()));
        } else {
            self.open.remove(&(seg.clone(), key.clone()));
        }
    }

    /// What changed since the last look; `now` is the owner's clock.
    pub(super) fn evaluate(&mut self, engine: &Engine, now: DateTime<Utc>) -> Vec<Transition> {
        self.last = Instant::now();
        let mut out = Vec::new();
        // A guard that failed and passed again between two looks still counts as failing.
        let events = engine.events();
        let start = events.partition_point(|e| e.seq <= self.scanned);
        for e in &events[start..] {
            if e.body.kind == Action::GuardFailed {
                self.guard_failing.insert(e.body.segment.clone());
            }
        }
        self.scanned = engine.last_seq();
        if self
            .slow_at
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(60))
        {
            self.slow_at = Some(Instant::now());
            // Kept as they were when the forecast cannot be worked out (a database outage).
            if let Some(slow) = forecast_conditions(engine, now) {
                self.slow = slow;
            }
        }
        let mut current: BTreeMap<(String, String), String> = self.slow.clone();
        for seg in &engine.project().segments {
            let state = engine.state(&seg.id);
            if let Some(p) = state.pending.filter(|p| p.action == HookAction::Rollback)
                && let Some(spec) = &seg.hooks.rollback
                && let Some(asked) = engine.events().iter().find(|e| e.seq == p.key)
            {
                let limit = hook_time(spec) + Duration::from_secs(5);
                let waited = (now - asked.body.at).to_std().unwrap_or_default();
                if waited > limit {
                    current.insert(
                        (seg.id.clone(), format!("rollback-stuck:{}", p.key)),
                        format!(
                            "asked by {} at {}, pending for {} (its hook's time is {})",
                            asked.body.actor,
                            asked.body.at.format("%Y-%m-%d %H:%M:%S UTC"),
                            humantime::format_duration(Duration::from_secs(waited.as_secs())),
                            humantime::format_duration(limit - Duration::from_secs(5))
                        ),
                    );
                }
            }
            for src in &seg.sources {
                let Some(h) = engine.source_health(&seg.id, &src.metric) else {
                    continue;
                };
                let key = (seg.id.clone(), format!("source-stale:{}", src.metric));
                match &h.last_error {
                    Some(error) => {
                        let since = h.last_ok_at.unwrap_or(self.started);
                        if (now - since).to_std().unwrap_or_default() > src.stale_after {
                            current.insert(
                                key,
                                format!(
                                    "{} has failed since {} (stale_after {}): {error}",
                                    src.metric,
                                    since.format("%Y-%m-%d %H:%M:%S UTC"),
                                    humantime::format_duration(src.stale_after)
                                ),
                            );
                        }
                    }
                    None if self.open.contains(&key) => {
                        out.push((key.0, key.1, false, format!("{} answers again", src.metric)));
                    }
                    None => {}
                }
            }
            if engine.guard_alarm_open(&seg.id) {
                self.guard_failing.insert(seg.id.clone());
            } else if self.guard_failing.remove(&seg.id) && state.phase == Phase::Cutover {
                out.push((
                    seg.id.clone(),
                    "guard".into(),
                    false,
                    "every criterion passes".into(),
                ));
            }
        }
        // A forecast condition is over when the last look no longer finds it.
        for (seg, key) in &self.open {
            let slow_key = key == "forecast-late" || key == "plateau";
            // Only a segment still in cutover can be on time again (one that left it keeps
            // its alarm until it is back).
            let in_cutover = engine.state(seg).phase == Phase::Cutover;
            if slow_key && in_cutover && !current.contains_key(&(seg.clone(), key.clone())) {
                out.push((seg.clone(), key.clone(), false, "no longer".into()));
            }
        }
        // A stuck rollback is over when its hook no longer pends.
        for (seg, key) in &self.open {
            if key.starts_with("rollback-stuck:")
                && !current.contains_key(&(seg.clone(), key.clone()))
            {
                let pending = engine
                    .state(seg)
                    .pending
                    .is_some_and(|p| key.ends_with(&format!(":{}", p.key)));
                if !pending {
                    out.push((
                        seg.clone(),
                        key.clone(),
                        false,
                        "the hook is no longer pending".into(),
                    ));
                }
            }
        }
        for ((seg, key), detail) in current {
            if !self.open.contains(&(seg.clone(), key.clone())) {
                out.push((seg, key, true, detail));
            }
        }
        out
    }
}

/// The segments in cutover whose forecast misses their deadline, or that have plateaued.
fn forecast_conditions(
    engine: &Engine,
    now: DateTime<Utc>,
) -> Option<BTreeMap<(String, String), String>> {
    let mut out = BTreeMap::new();
    let in_cutover: Vec<&crate::config::Segment> = engine
        .project()
        .segments
        .iter()
        .filter(|s| engine.state(&s.id).phase == Phase::Cutover)
        .collect();
    engine
        .read_ahead(in_cutover.iter().map(|s| s.id.as_str()))
        .ok()?;
    let statuses: Result<Vec<_>, _> = in_cutover
        .iter()
        .map(|s| engine.segment_status(s, now).map(|st| (*s, st)))
        .collect();
    engine.store().samples().forget();
    for (seg, status) in statuses.ok()? {
        if let (Some(f), Some(deadline)) = (&status.forecast, seg.deadline)
            && f.late
        {
            let finish = f
                .finish
                .map_or_else(|| "never".to_string(), |t| t.format("%Y-%m-%d").to_string());
            out.insert(
                (seg.id.clone(), "forecast-late".to_string()),
                format!("forecast finish {finish}, deadline {deadline}"),
            );
        }
        if let Some(p) = status.plateau {
            out.insert((seg.id.clone(), "plateau".to_string()), p);
        }
    }
    Some(out)
}
