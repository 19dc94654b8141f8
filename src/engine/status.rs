//! The status of every segment as one plain value: what `cutover status` prints and what the
//! cockpit's overview shows. Computed from the engine at a given moment.

use super::Engine;
use super::adoption::Adoption;
use super::view::{days_after, days_between};
use crate::config::Segment;
use crate::config::{SourceKind, Strategy};
use crate::model::{HookAction, PhaseShown};
use crate::model::{Phase, projection};
use crate::model::{Verdict, gate};
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use super::forecast_status::ForecastStatus;

/// The status of a whole project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectStatus {
    pub project: String,
    pub legacy: Option<String>,
    pub target: Option<String>,
    /// Size-weighted migrated share over the segments whose count is known.
    pub migrated_share: Option<f64>,
    /// Since when the state database has been out of reach (team backend): what is shown is
    /// as of then, and actions are refused until it answers. Null when it answers (always on
    /// sled).
    #[serde(default)]
    pub state_unreachable_since: Option<DateTime<Utc>>,
    /// Team backend only: where the state lives (`PostgreSQL host:port/db`) and the process
    /// that runs the pollers and guards (`pid N on HOST`; null when none runs). Both null on
    /// sled, whose owner is the guard.
    #[serde(default)]
    pub team: Option<TeamStatus>,
    /// Notification sinks whose deliveries fail now (told by the owner that sends them).
    #[serde(default)]
    pub notify_failing: Vec<SinkFailing>,
    /// Whether the legacy system may be switched off (`[legacy.decommission]`; absent when
    /// the project does not ask).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decommission: Option<crate::model::decommission::Decommission>,
    /// Requests waiting for approval (`[approvals]`), oldest first.
    #[serde(default)]
    pub approvals: Vec<crate::model::approval::Pending>,
    /// The actions `[[windows]]` and `[[freezes]]` name: open or not now, and when that next
    /// changes (empty without either).
    #[serde(default)]
    pub windows: Vec<crate::model::change_window::WindowNow>,
    pub segments: Vec<SegmentStatus>,
}

/// A notification sink that fails to deliver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinkFailing {
    pub sink: String,
    pub since: DateTime<Utc>,
    pub error: String,
    /// Messages waiting for it.
    pub pending: usize,
}

/// The team backend in a status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamStatus {
    pub state: String,
    pub guard: Option<String>,
    /// Polled samples this process holds in memory while the database is away.
    #[serde(default)]
    pub samples_held: usize,
}

/// The status of one segment (the contract of `status --json`; keep field names stable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentStatus {
    pub id: String,
    pub name: String,
    pub strategy: Strategy,
    /// The machine phase, or `rollback-failed`.
    pub phase: PhaseShown,
    pub size: u64,
    /// Latest migrated count; null until a sample is known.
    pub migrated: Option<u64>,
    pub migrated_share: Option<f64>,
    pub migrated_at: Option<DateTime<Utc>>,
    /// S(D) since cutover; null before cutover.
    pub projected_share: Option<f64>,
    /// Actual minus projected, in points.
    pub deviation_points: Option<f64>,
    /// More than `tolerance` points behind the projection.
    pub behind: bool,
    pub cutover_at: Option<DateTime<Utc>>,
    pub days_in_cutover: Option<f64>,
    pub goal: f64,
    pub deadline: Option<chrono::NaiveDate>,
    /// Projected date the goal is reached (planned P), null when never or not in cutover.
    pub projected_finish: Option<DateTime<Utc>>,
    /// Days from cutover to goal at the planned P (or mix); null when never reached.
    pub days_to_goal: Option<f64>,
    pub gates: String,
    /// Every gate criterion passes now (true with none declared).
    pub gates_ok: bool,
    /// Each criterion with its state and reason.
    pub criteria: Vec<Verdict>,
    /// Each test check with its latest result (unknown until run).
    #[serde(default)]
    pub checks: Vec<Verdict>,
    /// When the checks last ran (with an advance from test, or on their own).
    #[serde(default)]
    pub checks_at: Option<DateTime<Utc>>,
    /// The latest audit of the segment's export (else the project's): counts only.
    #[serde(default)]
    pub audit: Option<AuditSeen>,
    /// Each source: last value, age, last error.
    pub sources: Vec<SourceStatus>,
    /// "plateau: consider bulk migration of the remaining N users", when it applies.
    pub plateau: Option<String>,
    /// Fresh failing readings in a row of one criterion (in cutover; see `model::streak`).
    pub guard_streak: u32,
    /// In cutover with nothing guarding it: since when (from the log's guarding records);
    /// null while a guard runs, or out of cutover.
    #[serde(default)]
    pub unguarded_since: Option<DateTime<Utc>>,
    /// One P fitted to the samples since cutover (a diagnostic: a mix is not one P).
    pub observed_p: Option<f64>,
    /// The plan adopted from the forecast, overriding the project file's: "48.2 % @ P 0.1180 +
    /// … (adopted by ana on 2026-12-01)"; null while the file's plan holds.
    pub adopted_plan: Option<String>,
    /// The live forecast of the goal, once a slow segment has two days of data in cutover.
    pub forecast: Option<ForecastStatus>,
    /// The hook whose outcome is not recorded yet, if any.
    pub pending_hook: Option<HookAction>,
    pub hold: Option<String>,
    pub last_failure: Option<String>,
    /// The segment's moves of users and the real move's predicted duration; null without
    /// `[segments.move]` or a recorded move.
    #[serde(default, rename = "move")]
    pub moving: Option<super::move_status::MoveStatus>,
}

/// The latest audit a segment's checks would read: when, by whom, in which event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditSeen {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// The segment it was recorded for (`*`: the whole project).
    pub segment: String,
    pub summary: String,
}

/// One source as status shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceStatus {
    pub metric: String,
    pub kind: SourceKind,
    pub value: Option<f64>,
    pub at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub error_at: Option<DateTime<Utc>>,
    /// The source's `stale_after`, in seconds: a newest sample older than this is stale.
    #[serde(default)]
    pub stale_after_secs: Option<f64>,
}

impl ProjectStatus {
    /// The status as `status` answers it: each forecast without its chart's band (97 points a
    /// segment, most of a thousand segments' megabytes; charts come from snapshots).
    pub fn without_bands(mut self) -> Self {
        for f in self.segments.iter_mut().filter_map(|s| s.forecast.as_mut()) {
            f.band = Vec::new();
        }
        self
    }
}

/// The size-weighted migrated share over the segments whose count is known.
pub fn weighted_share(segments: &[SegmentStatus]) -> Option<f64> {
    let (mut migrated, mut size) = (0u64, 0u64);
    for s in segments {
        if let Some(m) = s.migrated {
            migrated += m.min(s.size);
            size += s.size;
        }
    }
    (size > 0).then(|| migrated as f64 / size as f64)
}

impl Engine {
    /// The status of one segment at `now`.
    pub fn segment_status(
        &self,
        seg: &Segment,
        now: DateTime<Utc>,
    ) -> Result<SegmentStatus, StoreError> {
        let state = self.state(&seg.id);
        let migrated = self.migrated(seg)?;
        let in_cutover = matches!(state.phase, Phase::Cutover | Phase::Done);
        let cutover_at = if in_cutover { state.cutover_at } else { None };
        let end = if state.phase == Phase::Done {
            state.since.unwrap_or(now)
        } else {
            now
        };
        let days = cutover_at.map(|at| days_between(at, end).max(0.0));
        let plan = self.projection_of(&seg.id);
        let projected = match (&plan, days) {
            (Some(model), Some(d)) => Some(model.share(d)),
            _ => None,
        };
        let share = migrated.map(|(_, _, s)| s);
        let deviation = match (share, projected) {
            (Some(a), Some(p)) if state.phase == Phase::Cutover => {
                Some(projection::deviation_points(a, p))
            }
            _ => None,
        };
        let days_to_goal = plan.as_ref().and_then(|m| m.days_to_goal(seg.goal));
        let projected_finish = match (cutover_at, days_to_goal) {
            (Some(at), Some(d)) => Some(days_after(at, d)),
            _ => None,
        };
        let criteria = self.gate_verdicts(seg, now)?;
        let mut sources = Vec::new();
        for src in &seg.sources {
            let h = self.source_health(&seg.id, &src.metric);
            // What this process polled is in memory; otherwise read the newest stored sample.
            let latest = match h.and_then(|h| h.last_ok_at.zip(h.last_value)) {
                Some(seen) => Some(seen),
                None => self.store().latest(&seg.id, &src.metric)?,
            };
            sources.push(SourceStatus {
                metric: src.metric.clone(),
                kind: src.kind(),
                value: latest.map(|(_, v)| v),
                at: latest.map(|(at, _)| at),
                error: h.and_then(|h| h.last_error.clone()),
                error_at: h.and_then(|h| h.last_error_at),
                stale_after_secs: Some(src.stale_after.as_secs_f64()),
            });
        }
        let (mut observed_p, mut forecast) = (None, None);
        let plateau = match (state.phase, cutover_at, seg.strategy) {
            (Phase::Cutover, Some(at), crate::config::Strategy::Slow) => {
                observed_p = projection::fit_p(&self.daily_adoption(&seg.id, now)?);
                let limit = seg.deadline.and_then(|d| {
                    let end = d.succ_opt()?.and_hms_opt(0, 0, 0)?.and_utc();
                    Some(days_between(at, end))
                });
                let (f, left) = self
                    .with_adoption(&seg.id, false, now, Adoption::assess)?
                    .unwrap_or((None, None));
                self.keep_forecast(&seg.id);
                let date = |d: Option<f64>| d.map(|d| days_after(at, d));
                forecast = f.map(|f| ForecastStatus {
                    churn: plan
                        .as_ref()
                        .zip(days)
                        .and_then(|(p, d)| crate::model::forecast::churn::ChurnSeen::of(p, &f, d)),
                    finish: date(f.finish),
                    low: date(f.low),
                    high: date(f.high),
                    reachable: f.reachable,
                    model: "two cohorts and a never-share, fitted to the daily share".into(),
                    late: match (f.finish, limit) {
                        (None, _) => true,
                        (Some(x), Some(l)) => x > l,
                        (Some(_), None) => false,
                    },
                    fitted_cohorts: f.cohorts,
                    band: f.band,
                });
                left.map(|left| match seg.deadline {
                    Some(d) => format!(
                        "plateau: at this pace the goal is not reached by the deadline {d}; about {left} users would remain: consider bulk migration"
                    ),
                    None => format!(
                        "plateau: at this pace the goal is not reached within 10 years; about {left} users would remain: consider bulk migration"
                    ),
                })
            }
            _ => None,
        };
        let (checks, checks_at) = self.check_status(seg);
        let audit = self.latest_audit_event(&seg.id).map(|e| AuditSeen {
            seq: e.seq,
            at: e.body.at,
            actor: e.body.actor.clone(),
            segment: e.body.segment.clone(),
            summary: e.body.detail.clone().unwrap_or_default(),
        });
        Ok(SegmentStatus {
            moving: self.move_status(&seg.id),
            checks,
            checks_at,
            audit,
            id: seg.id.clone(),
            name: seg.name.clone(),
            strategy: seg.strategy,
            phase: state.display_phase(),
            size: seg.size,
            migrated: migrated.map(|(_, c, _)| c),
            migrated_share: share,
            migrated_at: migrated.map(|(at, _, _)| at),
            projected_share: projected,
            deviation_points: deviation,
            behind: deviation.is_some_and(|d| d < -seg.tolerance_points),
            cutover_at,
            days_in_cutover: days,
            goal: seg.goal,
            deadline: seg.deadline,
            projected_finish,
            days_to_goal,
            gates: gate::summary(&criteria),
            gates_ok: criteria.iter().all(Verdict::passes),
            sources,
            plateau,
            guard_streak: self.guard_streak(&seg.id),
            unguarded_since: self.unguarded_since(&seg.id),
            observed_p,
            adopted_plan: state.adopted.as_ref().map(|a| {
                format!(
                    "{} (adopted by {} on {})",
                    super::describe_model(&crate::model::LoginModel::Mix(a.cohorts.clone())),
                    a.actor,
                    a.at.format("%Y-%m-%d")
                )
            }),
            forecast,
            criteria,
            pending_hook: state.pending.map(|p| p.action),
            hold: state.hold.map(|h| format!("{} (by {})", h.reason, h.actor)),
            last_failure: state.last_failure,
        })
    }

    /// The status of the whole project at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> Result<ProjectStatus, StoreError> {
        self.read_ahead(self.project().segments.iter().map(|s| s.id.as_str()))?;
        let status = self.status_read(now);
        self.store().samples().forget();
        status
    }

    /// [`Engine::status`] on what is read ahead (or read as it goes).
    pub(crate) fn status_read(&self, now: DateTime<Utc>) -> Result<ProjectStatus, StoreError> {
        let segments = super::spread::on_every_core(&self.project().segments, |s| {
            self.segment_status(s, now)
        })?;
        Ok(ProjectStatus {
            project: self.project().name.clone(),
            legacy: self.project().legacy.clone(),
            target: self.project().target.clone(),
            migrated_share: weighted_share(&segments),
            state_unreachable_since: self.unreachable_since(),
            notify_failing: Vec::new(),
            decommission: self.decommission(now)?,
            approvals: self.approvals_pending(now),
            windows: self.project().change.rules.standing(now),
            team: match self.store().coordination() {
                None => None,
                Some(c) => Some(TeamStatus {
                    state: self.store().place(),
                    guard: c.guard()?,
                    samples_held: self.held_samples().0,
                }),
            },
            segments,
        })
    }
}
