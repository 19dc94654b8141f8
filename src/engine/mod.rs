//! The core every operator action goes through: `request` (decide, record the intent),
//! `finish` (record a hook's outcome) and `apply` (both, with the hook in between).
//!
//! Keys in the cockpit and headless commands call the same functions, so they write the same
//! events. The engine owns the [`Store`] and an in-memory fold of the log; it takes the time
//! as an argument so tests control the clock.

pub mod adoption;
mod error;
pub use error::EngineError;
pub mod checks;
pub mod finish;
pub mod guarding;
pub mod held;
mod hooks;
pub mod live;
mod record;
pub mod status;
mod sync;
pub mod view;

pub use live::plan_problems;
pub use record::describe_model;

use crate::config::Project;
use crate::hook::HookJob;
use crate::model::log_rules;
use crate::model::{
    Action, Decision, Event, Facts, HookSet, NewEvent, Outcome, Phase, SegmentState, decide,
};
use crate::secret::Redactor;
use crate::store::{Storage, StoreError};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::path::PathBuf;

pub use crate::model::criteria::MIGRATED;

/// One operator (or guard) request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub segment: String,
    pub action: Action,
    pub actor: String,
    pub reason: Option<String>,
    /// The phase the operator saw (see `Request::Act`); `None`: decide on the phase as it is.
    pub expect: Option<Phase>,
}

/// What `request` did.
#[derive(Debug)]
pub enum Step {
    /// The action took effect; this event records it.
    Done(Event),
    /// The intent is recorded (this event); run the job, then call [`Engine::finish`].
    Hook(Event, Box<HookJob>),
}

/// The owner of a project's state.
pub struct Engine {
    project: Project,
    project_dir: PathBuf,
    store: Box<dyn Storage>,
    events: Vec<Event>,
    states: BTreeMap<String, SegmentState>,
    redactor: Redactor,
    /// Source health seen by this process, by (segment, metric).
    health: BTreeMap<(String, String), live::SourceHealth>,
    /// The guard's counts of fresh failing (and clear) readings, by segment.
    streaks: crate::model::streak::Streaks,
    /// The adoption view of segments in cutover, moved forward by each sample.
    adoption: std::sync::Mutex<BTreeMap<String, adoption::Adoption>>,
    /// Where each segment's latest audit and check run are in the log.
    latest: checks::Latest,
    /// Polled samples waiting for the state database (see [`held`]).
    held: held::Held,
}

impl Engine {
    pub fn new(
        project: Project,
        project_dir: PathBuf,
        store: impl Storage + 'static,
    ) -> Result<Engine, StoreError> {
        Engine::boxed(project, project_dir, Box::new(store))
    }

    /// [`Engine::new`] on a backend chosen at run time (`[state] backend`).
    pub fn boxed(
        project: Project,
        project_dir: PathBuf,
        mut store: Box<dyn Storage>,
    ) -> Result<Engine, StoreError> {
        store.set_raw_retention(project.raw_retention.map(|d| (d.as_secs() / 86_400) as i64));
        let events = store.events_after(0)?;
        let states = crate::model::event::fold(&events);
        let redactor = Redactor::new(&project.secret_refs());
        let mut latest = checks::Latest::default();
        for (i, e) in events.iter().enumerate() {
            latest.note(i, e);
        }
        Ok(Engine {
            latest,
            project,
            project_dir,
            store,
            events,
            states,
            redactor,
            health: BTreeMap::new(),
            streaks: Default::default(),
            adoption: Default::default(),
            held: Default::default(),
        })
    }

    pub fn project(&self) -> &Project {
        &self.project
    }

    /// The project folder (hooks and command sources run there).
    pub fn project_dir(&self) -> &std::path::Path {
        &self.project_dir
    }

    pub fn store(&self) -> &dyn Storage {
        self.store.as_ref()
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The plan a segment's projection, gate and forecast measure against: a mix adopted
    /// from the forecast (`adopt-fit`, in the log), else the project file's.
    pub fn plan_of(&self, segment: &str) -> Option<crate::model::LoginModel> {
        match self.state(segment).adopted {
            Some(a) => Some(crate::model::LoginModel::Mix(a.cohorts)),
            None => self.project.segment(segment).and_then(|s| s.login.clone()),
        }
    }

    /// The plan as the segment's current cutover measures against it: [`Engine::plan_of`]
    /// started from the share already migrated when it entered cutover.
    pub fn projection_of(&self, segment: &str) -> Option<crate::model::Plan> {
        let start = self.state(segment).start_share();
        self.plan_of(segment)
            .map(|m| crate::model::Plan::new(m, start))
    }

    /// The state of a segment (a segment never acted on is in `plan`).
    pub fn state(&self, segment: &str) -> SegmentState {
        self.states.get(segment).cloned().unwrap_or_default()
    }

    pub(crate) fn append(&mut self, mut body: NewEvent) -> Result<Event, StoreError> {
        // A detail (hook output, a refusal) is kept within what a log may hold
        // (`model::log_rules`), cut at a character boundary.
        if let Some(d) = &mut body.detail
            && d.len() > log_rules::DETAIL_MAX
        {
            let mut end = log_rules::DETAIL_MAX - 4;
            while !d.is_char_boundary(end) {
                end -= 1;
            }
            d.truncate(end);
            d.push('…');
        }
        let mut written = self.store.append(body, self.last_seq())?;
        let event = written.pop().ok_or_else(|| StoreError::Corrupt {
            dir: self.store.dir().to_path_buf(),
            cause: "an append returned no event".into(),
        })?;
        for e in written {
            self.fold_in(e);
        }
        self.fold_in(event.clone());
        Ok(event)
    }

    /// Decide `cmd`, record what was decided (flushed), and say what remains to be done.
    pub fn request(&mut self, cmd: &Command, now: DateTime<Utc>) -> Result<Step, EngineError> {
        self.request_checked(cmd, now, None)
    }

    /// [`Engine::request`] with the segment's test checks just run (`checks`), which an advance
    /// from test decides on. Without them, each declared check is unknown, which never passes.
    pub fn request_checked(
        &mut self,
        cmd: &Command,
        now: DateTime<Utc>,
        checks: Option<Vec<crate::model::gate::Verdict>>,
    ) -> Result<Step, EngineError> {
        self.admit(cmd)?;
        let fresh = self.store.hold(&cmd.segment, self.last_seq());
        self.decide_held(cmd, now, checks, fresh)
    }

    /// What a request must be before anything is held or recorded: a known segment, and a
    /// reason and actor the log may hold.
    pub fn admit(&self, cmd: &Command) -> Result<(), EngineError> {
        if self.project.segment(&cmd.segment).is_none() {
            return Err(EngineError::UnknownSegment(cmd.segment.clone()));
        }
        if let Some(reason) = &cmd.reason {
            log_rules::reason(reason)?;
        }
        log_rules::actor(&cmd.actor)?;
        Ok(())
    }

    /// Ask for the hold `cmd` is decided under, without waiting for it (the owner's loop waits
    /// on another thread); then [`Engine::decide_held`]. One hold at a time.
    pub fn hold_later(&mut self, cmd: &Command) -> crate::store::HoldTicket {
        self.store.hold_later(&cmd.segment, self.last_seq())
    }

    /// Decide `cmd` once its hold was granted (`fresh`: the log past what this engine held
    /// when it asked), on the segment as the log holds it now, other writers held off until
    /// the outcome is recorded (see `Storage::hold`); the hold ends here.
    pub fn decide_held(
        &mut self,
        cmd: &Command,
        now: DateTime<Utc>,
        checks: Option<Vec<crate::model::gate::Verdict>>,
        fresh: Result<Vec<Event>, StoreError>,
    ) -> Result<Step, EngineError> {
        let fresh = match fresh {
            Ok(fresh) => {
                self.store.hold_granted();
                fresh
            }
            Err(e) => {
                self.store.release();
                return Err(e.into());
            }
        };
        // While the hold was waited for, this engine may have read some of these already:
        // `fold_in` skips what it holds.
        for e in fresh {
            self.fold_in(e);
        }
        let step = self.decide_and_record(cmd, now, checks);
        self.store.release();
        step
    }

    fn decide_and_record(
        &mut self,
        cmd: &Command,
        now: DateTime<Utc>,
        checks: Option<Vec<crate::model::gate::Verdict>>,
    ) -> Result<Step, EngineError> {
        let seg = self
            .project
            .segment(&cmd.segment)
            .cloned()
            .ok_or_else(|| EngineError::UnknownSegment(cmd.segment.clone()))?;
        let state = self.state(&seg.id);
        if let Some(seen) = cmd.expect
            && seen != state.phase
        {
            let reason = self.moved_since(&seg.id, seen, state.phase);
            self.append(NewEvent {
                from: Some(state.phase),
                reason: cmd.reason.clone(),
                outcome: Outcome::Refused,
                detail: Some(reason.clone()),
                ..NewEvent::new(now, &seg.id, cmd.action, &cmd.actor)
            })?;
            return Err(EngineError::Refused {
                segment: seg.id,
                action: cmd.action,
                reason,
            });
        }
        let plan_problems = plan_problems(&seg);
        let migrated_share = self.migrated(&seg)?.map(|(_, _, s)| s);
        let gates = self.gate_verdicts(&seg, now)?;
        // The fitted mix only matters to adopt-fit; the forecast is not worked out otherwise.
        let fitted = match cmd.action {
            Action::AdoptFit => self
                .segment_status(&seg, now)?
                .forecast
                .map(|f| f.fitted_cohorts),
            _ => None,
        };
        // Checks count only for an advance from test, run fresh for it by the owner.
        let checks = if cmd.action == Action::Advance && state.phase == Phase::Test {
            checks.unwrap_or_else(|| checks::not_run_all(&seg))
        } else {
            Vec::new()
        };
        let facts = Facts {
            segment: &seg.id,
            state: &state,
            plan_problems: &plan_problems,
            checks: &checks,
            gates: &gates,
            migrated_share,
            goal: seg.goal,
            deadline_passed: seg.deadline.is_some_and(|d| now.date_naive() > d),
            fitted: fitted.as_deref(),
            hooks: HookSet {
                cutover: seg.hooks.cutover.is_some(),
                rollback: seg.hooks.rollback.is_some(),
                done: seg.hooks.done.is_some(),
            },
        };
        let base = NewEvent {
            from: Some(state.phase),
            reason: cmd.reason.clone(),
            checks: (!checks.is_empty()).then(|| checks.clone()),
            ..NewEvent::new(now, &seg.id, cmd.action, &cmd.actor)
        };
        let decision = match decide(cmd.action, &facts) {
            Ok(d) => d,
            Err(refusal) => {
                self.append(NewEvent {
                    outcome: Outcome::Refused,
                    detail: Some(refusal.0.clone()),
                    ..base
                })?;
                return Err(EngineError::Refused {
                    segment: seg.id,
                    action: cmd.action,
                    reason: refusal.0,
                });
            }
        };
        let (size, migrated) = if decision.target() == Some(Phase::Cutover) {
            self.cutover_marks(&seg.id, now)?
        } else {
            (None, None)
        };
        match decision {
            Decision::Hold | Decision::Resume => {
                Ok(Step::Done(self.append(NewEvent { from: None, ..base })?))
            }
            Decision::Adopt(mix) => {
                let old = self
                    .plan_of(&seg.id)
                    .map_or_else(|| "none".to_string(), |m| describe_model(&m));
                let detail = format!(
                    "plan: {old} → {} (the forecast's fit)",
                    describe_model(&crate::model::LoginModel::Mix(mix.clone()))
                );
                Ok(Step::Done(self.append(NewEvent {
                    from: None,
                    detail: Some(detail),
                    plan: Some(mix),
                    ..base
                })?))
            }
            Decision::Move { from, to, note } => Ok(Step::Done(self.append(NewEvent {
                from: Some(from),
                to: Some(to),
                detail: note,
                size,
                migrated,
                ..base
            })?)),
            Decision::Fire {
                hook,
                from,
                to,
                retry_of,
                note,
            } => {
                let Some(spec) = seg.hooks.get(hook).cloned() else {
                    return Err(EngineError::Refused {
                        segment: seg.id,
                        action: cmd.action,
                        reason: format!("no {hook} hook is configured"),
                    });
                };
                let event =
                    self.append(NewEvent {
                        from: Some(from),
                        to: Some(to),
                        outcome: Outcome::Requested,
                        hook: Some(hook),
                        intent: retry_of,
                        detail: Some(note.map_or_else(
                            || spec.describe(),
                            |n| format!("{}; {n}", spec.describe()),
                        )),
                        ..base
                    })?;
                let job = HookJob {
                    project: self.project.name.clone(),
                    segment: seg.id.clone(),
                    action: hook,
                    event_id: event.hook_key(),
                    from,
                    to,
                    actor: cmd.actor.clone(),
                    reason: cmd.reason.clone(),
                    requested_at: now,
                    spec,
                    workdir: self.project_dir.clone(),
                };
                Ok(Step::Hook(event, Box::new(job)))
            }
        }
    }
}
