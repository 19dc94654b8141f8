//! The core every operator action goes through: `request` (decide, record the intent),
//! `finish` (record a hook's outcome) and `apply` (both, with the hook in between).
//!
//! Keys in the cockpit and headless commands call the same functions, so they write the same
//! events. The engine owns the [`Store`] and an in-memory fold of the log; it takes the time
//! as an argument so tests control the clock.

pub mod adoption;
pub mod approvals;
mod error;
pub use error::EngineError;
pub mod checks;
mod decommission;
pub mod finish;
pub mod forecast_status;
pub mod guarding;
pub mod held;
mod hooks;
pub mod live;
pub mod move_status;
mod record;
mod request;
mod spread;
pub mod status;
mod sync;
pub mod view;

pub use live::plan_problems;
pub use record::{Imported, describe_model};

use crate::config::Project;
use crate::hook::HookJob;
use crate::model::log_rules;
use crate::model::{Action, Event, NewEvent, Phase, SegmentState};
use crate::secret::Redactor;
use crate::store::{Storage, StoreError};
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
        let engine = Engine {
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
        };
        for seg in &engine.project.segments {
            engine.refresh_drift_moments(&seg.id);
        }
        Ok(engine)
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
        self.state_ref(segment).cloned().unwrap_or_default()
    }

    /// The state of a segment read in place (`None`: never acted on, so in `plan`): for a
    /// field or two where a caller runs per segment or per sample, without copying the rest.
    pub fn state_ref(&self, segment: &str) -> Option<&SegmentState> {
        self.states.get(segment)
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
}

// A status reads its segments on several threads (see `spread`).
const _: fn() = || {
    fn sync<T: Sync>() {}
    sync::<Engine>();
};
